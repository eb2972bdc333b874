//! The page's first load (issue 12): the live cluster's simulator, its ring
//! and its play control, in a module a fifth of the full page's size. It
//! draws the first frame, then fetches the full page (`quorum-app`, built
//! by Trunk as a separately loaded module), which takes the run over at the
//! same seed and virtual time and removes this one's markup in the same
//! task as its own first render.
//!
//! The markup (`page.html`) is the full page's first frame as the app
//! renders it, so nothing moves when the app takes over; an end-to-end test
//! ("the first load hands over...") compares the two and fails when they
//! drift apart. A link, a lesson or an embed (anything in the fragment or
//! the query) skips the boot module: the full page opens it.
//!
//! The handover, as `window.quorumBoot.stop()` returns it:
//! `{seed, now, running, skip_quiet}` (virtual time in µs). The run is deterministic
//! from the seed, so the app replays to `now` and shows the same cluster.

use quorum_app::i18n::{Lang, Text};
use quorum_app::lab::{
    clock_text, default_scenario, ms_value, run_paced, term_color, DEFAULT_SPEED, LIVE_NODES,
};
use quorum_app::platform::dom::{mark, random_seed};
use quorum_app::platform::{i18n_loader, translator};
use quorum_app::ring::{node_label, node_pos, node_radius, ring_version};
use quorum_app::state::FrameClock;
use quorum_core::protocol::Role;
use quorum_core::sim::Lab;
use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlCanvasElement, HtmlInputElement, Window};

const PAGE: &str = include_str!("page.html");
/// The linearizability line of the safety panel (`view/side.rs`), while
/// running (as in `page.html`) and paused with no client operation.
const LIN_RUNNING: &str = "<li id=\"linearizability\" data-property=\"Linearizability\" title=\"Client operations are checked for linearizability whenever the run is paused\" class=\"pending\"><span class=\"mark\">…</span>Linearizability<span class=\"lin-note\">checked when paused</span></li>";
const LIN_PAUSED: &str = "<li id=\"linearizability\" data-property=\"Linearizability\" title=\"no client operations yet\" aria-busy=\"false\" data-state=\"holds\"><span class=\"mark\">✓</span>Linearizability<span class=\"lin-note\">no client operations yet</span></li>";
/// The full page, beside this module (Trunk's `data-type="worker"` build:
/// a classic script defining `wasm_bindgen`, and its wasm).
const APP_JS: &str = "./quorum-app.js";
const APP_WASM: &str = "./quorum-app_bg.wasm";

struct Boot {
    lab: Lab,
    seed: u64,
    running: bool,
    clock: FrameClock,
    drawn: Option<u64>,
    nodes: Element,
    canvas: HtmlCanvasElement,
    time: Element,
    scrub: HtmlInputElement,
    play: Element,
    /// "Skip quiet time", as the student left it.
    skip: HtmlInputElement,
    stopped: bool,
    /// Frames run so far.
    frames: u32,
}

type Shared = Rc<RefCell<Boot>>;

fn main() {
    let Some(window) = web_sys::window() else {
        return;
    };
    match translator::wanted() {
        Lang::En => go(&window),
        // The translator first (its own module, fetched only for this):
        // the cluster and the full page are then translated from their
        // first frame. Without it the page goes on in English.
        lang => {
            let ready = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {
                if let Some(w) = web_sys::window() {
                    go(&w);
                }
            });
            let failed = Closure::<dyn FnMut(JsValue)>::new(move |why: JsValue| {
                if let Some(w) = web_sys::window() {
                    if let Some(doc) = w.document() {
                        if let Some(root) = doc.document_element() {
                            root.set_attribute("lang", Lang::En.tag()).ok();
                        }
                        let why = why.as_string().unwrap_or_default();
                        notice(
                            &doc,
                            &format!("{} ({why})", Text::CatalogueNotLoaded.get(lang)),
                        );
                    }
                    go(&w);
                }
            });
            let _ = i18n_loader::load(lang, false).then2(&ready, &failed);
            ready.forget();
            failed.forget();
        }
    }
}

/// The live cluster for a plain visit (nothing in the fragment, and no
/// query but the language and the theme); else the full page at once.
fn go(window: &Window) {
    let loc = window.location();
    let plain = loc.hash().is_ok_and(|h| h.len() <= 1)
        && loc.search().is_ok_and(|q| {
            q.trim_start_matches('?')
                .split('&')
                .all(|kv| kv.is_empty() || kv.starts_with("lang=") || kv.starts_with("theme="))
        });
    if !plain || start(window).is_none() {
        load_app(window);
    }
}

/// Draw the live cluster and run it; `None` if the page is not as expected
/// (then the full page loads at once).
fn start(window: &Window) -> Option<()> {
    let doc = window.document()?;
    // Only the starting seed is random (as the full page draws it); every
    // run is then deterministic.
    let seed = random_seed();
    let lab = Lab::with_checks(default_scenario(seed, LIVE_NODES), false).ok()?;
    let dark = quorum_app::platform::dom::resolved_dark();
    quorum_app::theme::set_dark(dark);
    let reduced = quorum_app::platform::dom::prefers_reduced_motion();
    quorum_app::theme::set_reduced_motion(reduced);
    let root = doc.get_element_by_id("app")?;
    root.set_inner_html(
        &PAGE
            .replace("{seed}", &seed.to_string())
            .replace("{nodes}", ""),
    );
    let find = |sel: &str| doc.query_selector(sel).ok().flatten();
    let boot = Rc::new(RefCell::new(Boot {
        lab,
        seed,
        // Reduced motion: it waits for Play.
        running: !reduced,
        clock: FrameClock::default(),
        drawn: None,
        nodes: find("#boot g.nodes")?,
        canvas: find("#boot canvas.ring-canvas")?.dyn_into().ok()?,
        time: find("#boot #clock")?,
        scrub: find("#boot #scrubber")?.dyn_into().ok()?,
        play: find("#boot #play")?,
        skip: find("#boot #skip-quiet")?.dyn_into().ok()?,
        stopped: false,
        frames: 0,
    }));
    // A property, as the app sets it (so the markup stays the same).
    boot.borrow().skip.set_checked(true);
    if reduced {
        boot.borrow().paint_play();
    }
    if let Some(b) = find("#boot #theme") {
        b.set_attribute("aria-pressed", if dark { "true" } else { "false" })
            .ok()?;
    }
    let toggle = {
        let s = boot.clone();
        Closure::<dyn FnMut()>::new(move || {
            let mut s = s.borrow_mut();
            s.running = !s.running;
            s.clock.last_ts = None;
            s.clock.quiet = false;
            quorum_app::paint::quiet_mark(&s.time, false);
            s.paint_play();
        })
    };
    boot.borrow()
        .play
        .add_event_listener_with_callback("click", toggle.as_ref().unchecked_ref())
        .ok()?;
    toggle.forget();
    install_handover(window, &boot)?;
    // Drawn in the first frame: the page's first layout (the canvas reads
    // its size) is then part of that frame's work, not of this task, which
    // also instantiated the module.
    request_frame(window, boot);
    Some(())
}

/// `window.quorumBoot.stop()`: stop running and drawing, and say where
/// the run is. The app calls it once, as it starts.
fn install_handover(window: &Window, boot: &Shared) -> Option<()> {
    let s = boot.clone();
    let stop = Closure::<dyn FnMut() -> JsValue>::new(move || {
        let mut s = s.borrow_mut();
        s.stopped = true;
        let o = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&o, &k.into(), &v).ok();
        set("seed", JsValue::from_f64(s.seed as f64));
        set("now", JsValue::from_f64(s.lab.now() as f64));
        set("running", JsValue::from_bool(s.running));
        set("skip_quiet", JsValue::from_bool(s.skip.checked()));
        o.into()
    });
    let api = js_sys::Object::new();
    js_sys::Reflect::set(&api, &"stop".into(), stop.as_ref()).ok()?;
    stop.forget();
    js_sys::Reflect::set(window, &"quorumBoot".into(), &api).ok()?;
    Some(())
}

fn request_frame(window: &Window, boot: Shared) {
    let w = window.clone();
    let cb = Closure::once_into_js(move |ts: f64| frame(&w, boot, ts));
    window.request_animation_frame(cb.unchecked_ref()).ok();
}

fn frame(window: &Window, boot: Shared, ts: f64) {
    {
        let mut s = boot.borrow_mut();
        if s.stopped {
            return;
        }
        if s.running {
            let dt = s.clock.real_dt(ts);
            let Boot {
                lab, clock, skip, ..
            } = &mut *s;
            let on = skip.checked();
            clock.quiet = run_paced(lab, dt, DEFAULT_SPEED, on, &mut clock.carry_us);
        }
        if s.running || s.frames == 0 {
            s.draw();
        }
        // The first frame is drawn in this callback and presented before
        // the next one: fetch the rest from the second, after this task, so
        // that nothing of the full page delays the first frame.
        if s.frames == 0 {
            mark("quorum:ring");
        } else if s.frames == 1 {
            let w = window.clone();
            let load = Closure::once_into_js(move || load_app(&w));
            window.set_timeout_with_callback(load.unchecked_ref()).ok();
        }
        s.frames += 1;
    }
    request_frame(window, boot);
}

impl Boot {
    /// The play button, and the linearizability line as the app shows
    /// it: checked when paused, and with no client operations in the
    /// boot (it sends none), it holds trivially.
    fn paint_play(&self) {
        let label = if self.running { "Pause" } else { "Play" };
        self.play.set_text_content(Some(label));
        self.play.set_attribute("aria-label", label).ok();
        let lin = self
            .play
            .owner_document()
            .and_then(|d| d.query_selector("#boot #linearizability").ok().flatten());
        if let Some(li) = lin {
            li.set_outer_html(if self.running {
                LIN_RUNNING
            } else {
                LIN_PAUSED
            });
        }
    }

    /// The canvas, the clock and the timeline every frame; the servers
    /// when what they show changed.
    fn draw(&mut self) {
        quorum_app::canvas::draw(&self.canvas, &self.lab, None, None);
        self.time.set_text_content(Some(&clock_text(&self.lab)));
        quorum_app::paint::quiet_mark(&self.time, self.running && self.clock.quiet);
        self.scrub.set_max(&ms_value(self.lab.horizon()));
        self.scrub.set_value(&ms_value(self.lab.now()));
        let v = ring_version(&self.lab);
        if self.drawn != Some(v) {
            self.drawn = Some(v);
            self.nodes.set_inner_html(&self.servers());
        }
        // The checks run here too: a broken property is marked, and the
        // run pauses at it, as the app does (which shows the details).
        if let Some(v) = self.lab.violations().first() {
            let sel = format!("#boot li[data-property=\"{:?}\"]", v.property);
            if let Some(li) = self
                .nodes
                .owner_document()
                .and_then(|d| d.query_selector(&sel).ok().flatten())
            {
                li.set_class_name("broken");
                li.set_inner_html(&format!(
                    "<span class=\"mark\">✗</span>{}",
                    v.property.name()
                ));
            }
            self.running = false;
            self.paint_play();
        }
    }

    /// The servers as the app's ring draws them (`view/ring.rs`,
    /// `node_view`), for a cluster no one has acted on.
    fn servers(&self) -> String {
        let sim = self.lab.sim();
        let n = sim.node_count();
        let r = node_radius(n);
        let mut out = String::new();
        for id in 1..=n {
            let Some(node) = sim.node(id) else { continue };
            let (x, y) = node_pos(id, n);
            let (role, term, up) = (node.role(), node.current_term(), sim.is_up(id));
            let stroke = term_color(term);
            let name = role.as_str();
            let crashed = if up { "" } else { " crashed" };
            let label = node_label(id, role, term, node.voted_for(), up);
            let _ = write!(
                out,
                "<g transform=\"translate({x:.1},{y:.1})\" role=\"button\" tabindex=\"0\" \
                 aria-label=\"{label}\" data-node=\"{id}\" data-role=\"{name}\" \
                 data-term=\"{term}\" data-up=\"{up}\" class=\"node {name}{crashed}\">"
            );
            let _ = match role {
                Role::Leader => write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" stroke=\"{stroke}\" class=\"shape\"></rect>",
                    -r,
                    -r,
                    2.0 * r,
                    2.0 * r,
                    r * 0.35
                ),
                Role::Candidate => write!(
                    out,
                    "<polygon stroke=\"{stroke}\" points=\"0,{} {},0 0,{} {},0\" class=\"shape\"></polygon>",
                    -r * 1.15,
                    r * 1.15,
                    r * 1.15,
                    -r * 1.15
                ),
                Role::Follower => write!(out, "<circle r=\"{r}\" stroke=\"{stroke}\" class=\"shape\"></circle>"),
            };
            let vote = node
                .voted_for()
                .map(|v| format!("voted S{v}"))
                .unwrap_or_default();
            // The texts beside the button, as `view/ring.rs` draws them.
            let _ = write!(
                out,
                "</g><g aria-hidden=\"true\" transform=\"translate({x:.1},{y:.1})\" \
                 class=\"node-text{crashed}\"><text y=\"-4\" class=\"name\">S{id}</text>\
                 <text y=\"13\" class=\"term\">T{term}</text>\
                 <text y=\"{}\" class=\"vote\">{vote}</text>",
                r + 24.0
            );
            if role == Role::Leader {
                let _ = write!(
                    out,
                    "<text y=\"{}\" class=\"badge\">★ leader</text>",
                    -r - 6.0
                );
            }
            if !up {
                out.push_str("<text y=\"4\" class=\"cross\">✕</text>");
            }
            out.push_str("</g>");
        }
        out
    }
}

/// Fetch the full page: its script defines `wasm_bindgen`, which starts it
/// from its wasm. A failure is shown: the boot module alone cannot act on the run.
fn load_app(window: &Window) {
    let Some(doc) = window.document() else {
        return;
    };
    if let Err(why) = add_script(&doc) {
        show_failure(&doc, &why);
    }
}

fn add_script(doc: &Document) -> Result<(), String> {
    let script = doc
        .create_element("script")
        .map_err(|_| "cannot create a script element".to_string())?;
    script.set_attribute("src", APP_JS).ok();
    // The inline script below reports a failed start here.
    let d = doc.clone();
    let failed = Closure::<dyn FnMut(String)>::new(move |why: String| show_failure(&d, &why));
    if let Some(w) = web_sys::window() {
        js_sys::Reflect::set(&w, &"quorumBootFailed".into(), failed.as_ref()).ok();
    }
    failed.forget();
    // The script declares `wasm_bindgen` with a top-level `let`: a global
    // binding that is not a property of `window`, so a second (inline)
    // script calls it.
    let onload = Closure::once_into_js(move || {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let (Ok(start), Some(body)) = (doc.create_element("script"), doc.body()) {
            start.set_text_content(Some(&format!(
                "wasm_bindgen({{ module_or_path: '{APP_WASM}' }})\
                 .catch(function (e) {{ window.quorumBootFailed(String(e)); }})"
            )));
            body.append_child(&start).ok();
        }
    });
    script
        .add_event_listener_with_callback("load", onload.unchecked_ref())
        .ok();
    let d = doc.clone();
    let onerror =
        Closure::once_into_js(move || show_failure(&d, "the page's main module did not load"));
    script
        .add_event_listener_with_callback("error", onerror.unchecked_ref())
        .ok();
    doc.body()
        .ok_or_else(|| "no document body".to_string())?
        .append_child(&script)
        .map_err(|_| "cannot add a script".to_string())?;
    Ok(())
}

/// A visible alert, already in the page's language (not translated again).
fn notice(doc: &Document, text: &str) {
    let Ok(div) = doc.create_element("div") else {
        return;
    };
    div.set_class_name("notice");
    div.set_attribute("role", "alert").ok();
    div.set_attribute("translate", "no").ok();
    div.set_text_content(Some(text));
    if let Some(body) = doc.body() {
        body.append_child(&div).ok();
    }
}

fn show_failure(doc: &Document, why: &str) {
    let text = Text::PageNotLoaded.get(translator::wanted());
    notice(doc, &format!("{text} ({why})"));
    // A link or a lesson drew nothing yet: the skeleton says it too.
    if let Some(sk) = doc.get_element_by_id("skeleton") {
        sk.set_class_name("skeleton failed");
        if let Some(t) = doc.get_element_by_id("skeleton-text") {
            t.set_text_content(Some(&text));
        }
    }
}
