//! The store behind the page: the model and the session, the one
//! `dispatch` that runs [`update`] and then its effects, and the surfaces
//! it paints. The component shell, `window.quorum` and the embedding
//! page's messages all hold it and write the lab only through it.

use crate::platform::embed::Told;
use crate::platform::frame::FrameLoop;
use crate::platform::worker::Jobs;
use crate::platform::{dom, files};
use crate::state::{update, Effect, Env, Model, Msg, Page, Session, Store};
use crate::view::Surfaces;
use std::cell::{Ref, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use yew::Callback;

pub struct Runtime {
    model: RefCell<Model>,
    session: RefCell<Session>,
    pub surfaces: Surfaces,
    frames: FrameLoop,
    told: RefCell<Told>,
    /// Asks the shell for a virtual-DOM pass.
    render: RefCell<Callback<()>>,
    /// Itself, for effects that answer later (a fetch).
    me: Weak<Runtime>,
    /// The Web Worker for long checks, started on first use.
    jobs: Jobs,
    /// An IntersectionObserver watches the space-time diagram (once it is
    /// drawn).
    diagram_watched: std::cell::Cell<bool>,
    /// Where focus was before a modal dialog took it (`dom::focus_dialog`).
    focus_return: RefCell<Option<web_sys::HtmlElement>>,
    /// What the live region said last (`announce::Announcer`).
    announcer: RefCell<crate::announce::Announcer>,
}

impl Runtime {
    pub fn new(page: Page, session: Session) -> Rc<Self> {
        Rc::new_cyclic(|me: &Weak<Runtime>| {
            let this = me.clone();
            let me = me.clone();
            let frames = FrameLoop::new(move |ts| {
                if let Some(rt) = me.upgrade() {
                    rt.frames.fired();
                    rt.dispatch(Msg::Frame {
                        ts,
                        hidden: dom::hidden(),
                    });
                }
            });
            Runtime {
                model: RefCell::new(Model::new(page, &session)),
                session: RefCell::new(session),
                surfaces: Surfaces::default(),
                frames,
                told: RefCell::new(Told::default()),
                render: RefCell::new(Callback::noop()),
                jobs: Jobs::new({
                    let me = this.clone();
                    move |msg| {
                        if let Some(rt) = me.upgrade() {
                            rt.dispatch(msg);
                        }
                    }
                }),
                me: this,
                diagram_watched: std::cell::Cell::new(false),
                focus_return: RefCell::new(None),
                announcer: RefCell::new(crate::announce::Announcer::default()),
            }
        })
    }

    /// The page's first run, from the query string.
    pub fn start(env: Env) -> Rc<Self> {
        dom::mark("quorum:app-start");
        let embed = crate::share::parse_query(&dom::location_search());
        // The first-load module ran the live cluster until now: go on
        // from where it is (only for a plain page: it never runs for a
        // link, a lesson or an embed).
        let session = match dom::take_over_boot() {
            Some(h) => Session::resume(h, env),
            None => Session::start(&embed, env),
        }
        .expect_throw("default scenario");
        // Reduced motion: nothing plays until asked (an autoplaying embed
        // included), and messages move in steps.
        let reduced = dom::prefers_reduced_motion();
        crate::theme::set_reduced_motion(reduced);
        let mut session = session;
        if reduced {
            session.running = false;
        }
        // As the first-load module put the document (`platform::translator`).
        let lang = crate::platform::translator::current();
        let dark = dom::resolved_dark();
        crate::theme::set_dark(dark);
        use crate::state::{DONE_KEY, WELCOMED_KEY};
        let first_visit = dom::remembered(WELCOMED_KEY).is_none()
            && dom::location_hash().is_none()
            && embed.lesson.is_none();
        let done = dom::remembered(DONE_KEY)
            .unwrap_or_default()
            .split(',')
            .filter(|id| id.starts_with("lesson-") && id.len() <= 64)
            .map(str::to_owned)
            .collect();
        let page = Page {
            embed,
            url: dom::page_url(),
            lang,
            dark,
            first_visit,
            done,
        };
        Runtime::new(page, session)
    }

    pub fn set_render(&self, cb: Callback<()>) {
        *self.render.borrow_mut() = cb;
    }

    pub fn model(&self) -> Ref<'_, Model> {
        self.model.borrow()
    }

    /// A callback for the views: each message is dispatched at once.
    pub fn sender(self: &Rc<Self>) -> Callback<Msg> {
        let me = Rc::downgrade(self);
        Callback::from(move |msg| {
            if let Some(rt) = me.upgrade() {
                rt.dispatch(msg);
            }
        })
    }

    fn run(&self, fx: &[Effect]) {
        for e in fx {
            match e {
                Effect::Render => self.render.borrow().emit(()),
                Effect::Paint => self.paint(),
                Effect::EnsureLoop => self.ensure_loop(),
                Effect::StopLoop => self.frames.cancel(),
                Effect::TellParent => {
                    self.told.borrow_mut().tell(&self.session.borrow().lab);
                    self.announce();
                }
                Effect::Download { name, mime, text } => {
                    if let Err(why) = files::download(name, mime, text) {
                        self.dispatch(Msg::Notice(why));
                    }
                }
                Effect::CopyToClipboard(text) => {
                    let me = self.me.clone();
                    dom::copy_text(text, move |ok| {
                        if let Some(rt) = me.upgrade() {
                            rt.dispatch(Msg::Copied(ok));
                        }
                    });
                }
                Effect::Check { id, request } => self.jobs.submit(*id, request.clone()),
                Effect::Fetch { id, url } => {
                    let me = self.me.clone();
                    let id = id.clone();
                    files::fetch_text(url, move |text| {
                        if let Some(rt) = me.upgrade() {
                            rt.dispatch(Msg::Fetched { id, text });
                        }
                    });
                }
                Effect::LinkedViews => self.next_linked_view(),
                Effect::Theme { dark, remember } => {
                    dom::set_theme(*dark, *remember);
                    crate::theme::set_dark(*dark);
                    // The diagram is redrawn at once (paused or not).
                    self.model.borrow_mut().diagram.drawn = f64::NEG_INFINITY;
                    self.paint();
                }
                Effect::Language(lang) => dom::set_language(*lang),
                Effect::Remember { key, value } => dom::remember(key, value),
                Effect::Refused(_) => {}
                Effect::Lesson(ev) => crate::platform::embed::tell_lesson(ev),
            }
        }
    }

    /// The next linked view, in a task of its own after this one.
    fn next_linked_view(&self) {
        let me = self.me.clone();
        gloo_timers::callback::Timeout::new(0, move || {
            if let Some(rt) = me.upgrade() {
                rt.dispatch(Msg::LinkedViews);
            }
        })
        .forget();
    }

    fn ensure_loop(&self) {
        if self.session.borrow().running && !dom::hidden() {
            self.frames.request();
        }
    }

    /// Redraw the canvases, the clock and the scrubber. While playing, the
    /// clock and the scrubber skip a frame that redraws the space-time
    /// diagram: the compositor redraws one rectangle around all that
    /// changed, and the clock, at the top, would stretch the diagram's
    /// frame over the whole page above it.
    pub fn paint(&self) {
        let mut m = self.model.borrow_mut();
        let mut s = self.session.borrow_mut();
        if !crate::paint::canvases(&self.surfaces, &mut m, &mut s) {
            crate::paint::time(&self.surfaces, &s.lab, m.clock.quiet);
        }
    }

    /// Say what changed in the run in the live region, while it plays
    /// (a seek or a step changes much at once: it is only noted).
    fn announce(&self) {
        let s = self.session.borrow();
        let said = self.announcer.borrow_mut().update(&s.lab, dom::now_ms());
        if let (Some(text), true) = (said, s.running) {
            if let Some(el) = dom::document().and_then(|d| d.get_element_by_id("announce")) {
                el.set_text_content(Some(&text));
            }
        }
    }

    /// After each virtual-DOM pass: paint, tell the embedding page, keep
    /// the event log at its bottom while following, start the loop.
    pub fn rendered(&self, first: bool) {
        self.paint();
        dom::focus_dialog(&self.focus_return);
        self.announce();
        self.told.borrow_mut().tell(&self.session.borrow().lab);
        let m = self.model.borrow();
        let lines = std::rc::Rc::as_ptr(&m.events.lines) as usize;
        if m.events.follow && self.surfaces.evlog_scrolled.replace(lines) != lines {
            if let Some(el) = self.surfaces.evlog.cast::<web_sys::Element>() {
                // The browser clamps this to the bottom (no layout read,
                // but a layout: so only when the lines changed).
                el.set_scroll_top(i32::MAX);
            }
        }
        drop(m);
        if first {
            crate::platform::embed::watch_height();
            dom::remove_boot();
            dom::mark("quorum:app-drawn");
            self.ensure_loop();
            self.next_linked_view();
        }
        if !self.diagram_watched.get() {
            self.watch_diagram();
        }
    }

    /// Tell the painter whether the space-time diagram is on screen; when it
    /// comes into view, paint it at once.
    fn watch_diagram(&self) {
        let Some(canvas) = self.surfaces.lamport.cast::<web_sys::Element>() else {
            return;
        };
        let me = self.me.clone();
        let seen = wasm_bindgen::closure::Closure::<dyn FnMut(js_sys::Array)>::new(
            move |entries: js_sys::Array| {
                let Some(rt) = me.upgrade() else { return };
                // The latest entry says where it is now.
                let on = entries
                    .iter()
                    .filter_map(|e| e.dyn_into::<web_sys::IntersectionObserverEntry>().ok())
                    .next_back()
                    .is_none_or(|e| e.is_intersecting());
                let was_hidden = rt.surfaces.diagram_hidden.replace(!on);
                if on && was_hidden {
                    rt.dispatch(Msg::DiagramSeen);
                }
            },
        );
        if let Ok(obs) = web_sys::IntersectionObserver::new(seen.as_ref().unchecked_ref()) {
            obs.observe(&canvas);
            self.diagram_watched.set(true);
            // Both live as long as the page.
            seen.forget();
            std::mem::forget(obs);
        }
    }

    pub fn stop(&self) {
        self.frames.cancel();
    }
}

impl Store for Runtime {
    fn dispatch(&self, msg: Msg) -> Vec<Effect> {
        let fx = update(
            &mut self.model.borrow_mut(),
            &mut self.session.borrow_mut(),
            msg,
        );
        self.run(&fx);
        fx
    }

    fn session(&self) -> Ref<'_, Session> {
        self.session.borrow()
    }
}
