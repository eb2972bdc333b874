//! The page's Web Worker: Trunk builds it as its own wasm module
//! (`index.html`, `data-type="worker"`), loaded only when the page first
//! needs it. It answers [`quorum_verify::jobs`] requests, JSON text in and
//! out, one at a time; a search as long as it needs never holds up a frame
//! of the page. It says `"ready"` once it listens.

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let out = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let reply = match e.data().as_string() {
            Some(text) => quorum_verify::jobs::handle(&text),
            None => quorum_verify::jobs::handle(""),
        };
        let _ = out.post_message(&JsValue::from_str(&reply));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str("ready"));
}

/// Natively there is nothing to run: the jobs are tested in
/// `quorum-verify` (`jobs::tests`).
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("quorum-worker runs in the browser; see quorum_verify::jobs");
}
