//! The page's Web Worker (`worker/`, its own wasm module): started the
//! first time a job is handed to it, so the first load does not carry it.
//! One job runs at a time; a newer job replaces one not yet sent (only the
//! run on screen matters). Its replies, and its failures, come back as
//! `Msg::Checked`.

use crate::state::Msg;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Where Trunk puts the worker's loader (`index.html`, `data-loader-shim`),
/// relative to the page.
const LOADER: &str = "./quorum-worker_loader.js";

pub struct Jobs {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    send: Rc<dyn Fn(Msg)>,
    worker: Option<web_sys::Worker>,
    /// It said "ready": its handler is installed.
    ready: bool,
    /// The job it is working on.
    busy: Option<u64>,
    /// The job to send when it is free.
    next: Option<(u64, String)>,
    /// Kept alive as long as the worker.
    _handlers: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
}

impl Jobs {
    pub fn new(send: impl Fn(Msg) + 'static) -> Self {
        Jobs {
            inner: Rc::new(RefCell::new(Inner {
                send: Rc::new(send),
                worker: None,
                ready: false,
                busy: None,
                next: None,
                _handlers: Vec::new(),
            })),
        }
    }

    /// Hand job `id` to the worker (starting it if need be).
    pub fn submit(&self, id: u64, request: String) {
        let started = {
            let mut i = self.inner.borrow_mut();
            // A job not yet sent is replaced: nobody waits for it any more.
            i.next = Some((id, request));
            i.worker.is_some()
        };
        if !started {
            if let Err(why) = start(&self.inner) {
                fail(&self.inner, &why);
                return;
            }
        }
        pump(&self.inner);
    }
}

/// Start the worker and listen to it.
fn start(inner: &Rc<RefCell<Inner>>) -> Result<(), String> {
    let worker = web_sys::Worker::new(LOADER).map_err(|e| describe(&e))?;
    let me = Rc::downgrade(inner);
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let Some(inner) = me.upgrade() else { return };
            let text = e.data().as_string().unwrap_or_default();
            if text == "ready" {
                inner.borrow_mut().ready = true;
            } else {
                let send = {
                    let mut i = inner.borrow_mut();
                    i.busy = None;
                    i.send.clone()
                };
                send(Msg::Checked(Ok(text)));
            }
            pump(&inner);
        });
    let me = Rc::downgrade(inner);
    // A worker that cannot load, or whose wasm traps, fires "error".
    let on_error =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if let Some(inner) = me.upgrade() {
                let why = js_sys::Reflect::get(&e, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "the worker failed to load".into());
                fail(&inner, &why);
            }
        });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let mut i = inner.borrow_mut();
    i.worker = Some(worker);
    i.ready = false;
    // An earlier worker's handlers may be on the stack (this can run from
    // inside one): leaked, not dropped. It happens only after a failure.
    for h in std::mem::replace(&mut i._handlers, vec![on_message, on_error]) {
        h.forget();
    }
    Ok(())
}

/// Send the next job if the worker is ready and free.
fn pump(inner: &Rc<RefCell<Inner>>) {
    let mut i = inner.borrow_mut();
    if !i.ready || i.busy.is_some() {
        return;
    }
    let Some((id, request)) = i.next.take() else {
        return;
    };
    let posted = i
        .worker
        .as_ref()
        .map(|w| w.post_message(&JsValue::from_str(&request)));
    match posted {
        Some(Ok(())) => i.busy = Some(id),
        _ => {
            i.next = Some((id, request));
            drop(i);
            fail(inner, "the worker refused the job");
        }
    }
}

/// The worker is gone: the jobs it had fail with `why` (never a verdict),
/// and the next job starts a new one.
fn fail(inner: &Rc<RefCell<Inner>>, why: &str) {
    let (send, lost) = {
        let mut i = inner.borrow_mut();
        if let Some(w) = i.worker.take() {
            w.terminate();
        }
        i.ready = false;
        let lost: Vec<u64> = i
            .busy
            .take()
            .into_iter()
            .chain(i.next.take().map(|n| n.0))
            .collect();
        (i.send.clone(), lost)
    };
    for id in lost {
        send(Msg::Checked(Err((id, why.to_string()))));
    }
}

fn describe(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "the browser refused to start a worker".into())
}
