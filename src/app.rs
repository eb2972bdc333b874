//! The root component: owns the live lab, drives it from
//! requestAnimationFrame, turns every user action into a scenario event.

use crate::api;
use crate::history::{Charts, Filter, Lanes};
use crate::model::{
    default_scenario, groups_from_choice, slider_to_speed, Shared, SharedRef, MAX_NODES_UI,
};
use crate::view::{self, LogModel};
use quorum_core::protocol::{NodeId, Role};
use quorum_core::sim::describe::Line;
use quorum_core::sim::link::ViewOptions;
use quorum_core::sim::scenario::EventSpec;
use quorum_core::sim::Lab;
use quorum_core::sim::Micros;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

pub enum Msg {
    Frame(f64),
    Play,
    Pause,
    Toggle,
    Step,
    Speed(f64),
    /// The shared state changed outside Yew (the JS API): redraw, and run
    /// the loop if playing.
    Refresh,
    /// The JS API loaded a new scenario: forget the old run's view state.
    Loaded,
    Visibility,
    Key(String),
    SelectNode(NodeId),
    SelectMessage(u64),
    /// A click on the ring at these client coordinates (picks a message).
    RingClick((f64, f64)),
    CloseNode,
    CloseMessage,
    /// A user action: recorded as a scenario event at the current time.
    Act(EventSpec),
    CrashLeader,
    RestartAll,
    Request,
    PartitionMode,
    PartitionPick(NodeId),
    PartitionApply,
    Heal,
    Resize(u32),
    NewSeed,
    Reset,
    LatencyMin(f64),
    LatencyMax(f64),
    Drop(f64),
    Duplicate(f64),
    Help(bool),
    LogFrom(Option<u64>),
    /// Break it: load this planted bug's scenario.
    BreakIt(String),
    /// Switch the loaded planted bug off or back on, same seed.
    ToggleBug,
    /// Scrubber: go to this virtual time (ms).
    Seek(f64),
    /// Step this many events back (negative) or forward.
    StepEvents(i64),
    ShowScenario(bool),
    DismissNotice,
    /// Space-time diagram: window length (µs), pointer moves, clicks.
    LamportSpan(u64),
    LamportHover(Option<(f64, f64)>),
    LamportClick((f64, f64)),
    /// A message pointed at in one view, highlighted in all.
    HoverMsg(Option<u64>),
    /// Event log: scrolled to (top, at the bottom?), kind toggled, node.
    EvScroll(f64, bool),
    EvKind(u8),
    EvNode(Option<NodeId>),
    /// Open a run: from a link, the library, an import or the JS API.
    Open(Box<Opened>),
    /// The library menu: load this shipped scenario.
    Library(String),
    /// Lesson mode: play to the next caption or question; back to the last.
    LessonNext,
    LessonBack,
    /// A checkpoint question: pick a choice; close it.
    Answer(usize),
    CloseQuestion,
    CopyLink,
    CloseShare,
    /// Download the scenario, the trace or the ring.
    Export(Export),
    /// A file to import (name, text) or why it could not be read.
    Import(String, Result<String, String>),
    /// The address bar's fragment changed (a pasted link).
    HashChanged,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    Scenario,
    Trace,
    Svg,
}

/// A run to open, with the moment and the view to show.
pub struct Opened {
    pub file: quorum_core::sim::scenario::ScenarioFile,
    pub t_ms: f64,
    pub view: ViewOptions,
    /// The library entry it is, if any.
    pub lib: Option<String>,
    pub play: bool,
}

pub struct App {
    pub shared: SharedRef,
    selected_node: Option<NodeId>,
    selected_msg: Option<u64>,
    /// Partition tool: a group per node (0 = the rest), when open.
    partition: Option<Vec<u8>>,
    help: bool,
    show_scenario: bool,
    raf: Option<i32>,
    last_ts: Option<f64>,
    carry_us: f64,
    log_version: u64,
    log_model: Rc<LogModel>,
    log_from: Option<u64>,
    /// Real time (ms) of the last log-table rebuild while playing.
    log_built: f64,
    log_scroll: Callback<Option<u64>>,
    canvas: NodeRef,
    /// The planted-bug scenario loaded by "break it", and whether its bug
    /// is switched on.
    bug: Option<(String, quorum_core::sim::scenario::ScenarioFile, bool)>,
    clock: NodeRef,
    scrub: NodeRef,
    ring_version: u64,
    lamport: NodeRef,
    lamport_span: u64,
    /// Real time (ms) the diagram was last drawn while playing.
    lamport_drawn: f64,
    lanes: Lanes,
    hover: Option<u64>,
    evlog: NodeRef,
    lines: Rc<Vec<Line>>,
    filter: Filter,
    ev_scroll: f64,
    ev_follow: bool,
    charts: Rc<Charts>,
    /// The linearizability verdict, worked out while paused.
    lin: Option<(String, bool)>,
    embed: crate::share::Embed,
    /// The library entry loaded, if any.
    lib_id: Option<String>,
    /// Lesson mode's "Next": play until this time, then pause.
    stop_at: Option<Micros>,
    /// The open checkpoint question and the choice made, if any.
    question: Option<(usize, Option<usize>)>,
    answered: Vec<bool>,
    /// The last link made by "Copy link", shown for copying by hand.
    share_url: Option<String>,
    /// What the embedding page was last told: leader, commit, violations.
    told: (Option<(u64, NodeId)>, u64, usize),
    _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    /// Real time (ms) of the last event-log and charts rebuild.
    views_built: f64,
    frame_cb: Closure<dyn FnMut(f64)>,
    _keydown: Closure<dyn FnMut(KeyboardEvent)>,
    _visibility: Closure<dyn FnMut(web_sys::Event)>,
}

fn random_seed() -> u64 {
    // Only the starting seed is random; every run is then deterministic.
    (js_sys::Math::random() * 1_000_000.0) as u64
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// How long opening a link may replay (real ms) before it stops short.
const OPEN_BUDGET_MS: f64 = 2500.0;

/// The address bar's fragment, if it holds anything.
fn location_hash() -> Option<String> {
    let h = web_sys::window()?.location().hash().ok()?;
    (h.len() > 1).then_some(h)
}

/// Inside an iframe?
fn in_frame() -> bool {
    web_sys::window()
        .and_then(|w| w.parent().ok().flatten().map(|p| p != w))
        .unwrap_or(false)
}

/// Read a dropped or picked file (bounded) and import it.
pub fn read_file(link: yew::html::Scope<App>, f: web_sys::File) {
    let name = f.name();
    if f.size() > quorum_core::sim::scenario::MAX_INPUT_BYTES as f64 {
        link.send_message(Msg::Import(
            name,
            Err(format!(
                "{} bytes is over the limit of {} bytes",
                f.size(),
                quorum_core::sim::scenario::MAX_INPUT_BYTES
            )),
        ));
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(f.text())
            .await
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| "the file could not be read as text".to_string());
        link.send_message(Msg::Import(name, text));
    });
}

fn hidden() -> bool {
    document().is_some_and(|d| d.hidden())
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let embed = crate::share::parse_query(
            &web_sys::window()
                .and_then(|w| w.location().search().ok())
                .unwrap_or_default(),
        );
        let seed = embed.seed.unwrap_or_else(random_seed);
        let lab = crate::model::new_lab(default_scenario(seed, 5)).expect_throw("default scenario");
        let shared = Rc::new(RefCell::new(Shared::new(lab)));
        if let Some(sp) = embed.speed {
            shared.borrow_mut().speed = sp;
        }
        if embed.on {
            shared.borrow_mut().running = embed.autoplay;
        }
        api::install(shared.clone(), ctx.link().clone());
        let mut listeners = Vec::new();
        {
            // A pasted link opens without a reload; files dropped anywhere
            // on the page are imported.
            let l = ctx.link().clone();
            listeners.push(Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                l.send_message(Msg::HashChanged)
            }));
            let over =
                Closure::<dyn FnMut(web_sys::Event)>::new(|e: web_sys::Event| e.prevent_default());
            let l = ctx.link().clone();
            let drop = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                e.prevent_default();
                let file = e
                    .dyn_ref::<web_sys::DragEvent>()
                    .and_then(|d| d.data_transfer())
                    .and_then(|d| d.files())
                    .and_then(|f| f.get(0));
                if let Some(f) = file {
                    read_file(l.clone(), f);
                }
            });
            if let Some(w) = web_sys::window() {
                w.add_event_listener_with_callback(
                    "hashchange",
                    listeners[0].as_ref().unchecked_ref(),
                )
                .ok();
            }
            if let Some(d) = document() {
                d.add_event_listener_with_callback("dragover", over.as_ref().unchecked_ref())
                    .ok();
                d.add_event_listener_with_callback("drop", drop.as_ref().unchecked_ref())
                    .ok();
            }
            listeners.push(over);
            listeners.push(drop);
        }
        // What to open first: a link in the fragment, else a lesson named
        // in the query string, else the live cluster.
        if location_hash().is_some() {
            ctx.link().send_message(Msg::HashChanged);
        } else if let Some(id) = embed.lesson.clone() {
            ctx.link().send_message(Msg::Library(id));
        }
        crate::share::post_to_parent(&api::message("quorum:ready", &serde_json::json!({})));

        let link = ctx.link().clone();
        let frame_cb =
            Closure::<dyn FnMut(f64)>::new(move |ts: f64| link.send_message(Msg::Frame(ts)));
        let link = ctx.link().clone();
        let keydown = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
            if e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            // Typing in a field is not a shortcut.
            let in_field = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                });
            if in_field && e.key() != "Escape" {
                return;
            }
            let key = e.key();
            if matches!(
                key.as_str(),
                " " | "."
                    | "c"
                    | "C"
                    | "k"
                    | "K"
                    | "r"
                    | "R"
                    | "?"
                    | "Escape"
                    | "ArrowLeft"
                    | "ArrowRight"
            ) {
                e.prevent_default();
                let key = if e.shift_key() && key.starts_with("Arrow") {
                    format!("Shift+{key}")
                } else {
                    key
                };
                link.send_message(Msg::Key(key));
            }
        });
        let link = ctx.link().clone();
        let visibility = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
            link.send_message(Msg::Visibility)
        });
        if let Some(doc) = document() {
            doc.add_event_listener_with_callback("keydown", keydown.as_ref().unchecked_ref())
                .ok();
            doc.add_event_listener_with_callback(
                "visibilitychange",
                visibility.as_ref().unchecked_ref(),
            )
            .ok();
        }
        let log_model = Rc::new(LogModel::build(&shared.borrow().lab, None));
        let log_scroll = ctx.link().callback(Msg::LogFrom);
        App {
            shared,
            selected_node: None,
            selected_msg: None,
            partition: None,
            help: false,
            show_scenario: false,
            raf: None,
            last_ts: None,
            carry_us: 0.0,
            log_version: log_model.version,
            log_model,
            log_from: None,
            log_built: f64::NEG_INFINITY,
            log_scroll,
            canvas: NodeRef::default(),
            bug: None,
            clock: NodeRef::default(),
            scrub: NodeRef::default(),
            ring_version: 0,
            lamport: NodeRef::default(),
            lamport_span: 600_000,
            lamport_drawn: f64::NEG_INFINITY,
            lanes: Lanes::default(),
            hover: None,
            evlog: NodeRef::default(),
            lines: Rc::new(Vec::new()),
            filter: Filter::default(),
            ev_scroll: 0.0,
            ev_follow: true,
            charts: Rc::new(Charts::default()),
            lin: None,
            embed,
            lib_id: None,
            stop_at: None,
            question: None,
            answered: Vec::new(),
            share_url: None,
            told: (None, 0, 0),
            _listeners: listeners,
            views_built: f64::NEG_INFINITY,
            frame_cb,
            _keydown: keydown,
            _visibility: visibility,
        }
    }

    fn rendered(&mut self, _ctx: &Context<Self>, first_render: bool) {
        self.draw_canvas();
        self.paint_time();
        self.tell_parent();
        if self.ev_follow {
            if let Some(el) = self.evlog.cast::<web_sys::Element>() {
                // The browser clamps this to the bottom (no layout read).
                el.set_scroll_top(i32::MAX);
            }
        }
        if first_render {
            self.ensure_loop();
        }
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        self.stop_loop();
    }

    fn update(&mut self, _ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Frame(ts) => {
                self.raf = None;
                let (running, speed) = {
                    let s = self.shared.borrow();
                    (s.running, s.speed)
                };
                if !running || hidden() {
                    self.last_ts = None;
                    return false;
                }
                // Real time since the last frame (capped, so a stall does
                // not jump the run), times speed, is virtual time.
                let dt = self.last_ts.map_or(0.0, |l| (ts - l).clamp(0.0, 100.0));
                self.last_ts = Some(ts);
                self.carry_us += dt * speed * 1000.0;
                let whole = self.carry_us.floor();
                self.carry_us -= whole;
                {
                    let mut s = self.shared.borrow_mut();
                    let before = s.lab.violations().len();
                    // Stop at lesson mode's target and at the next
                    // unanswered question.
                    let now = s.lab.now();
                    let q = crate::model::next_question(s.lab.scenario(), now, &self.answered);
                    let stop = match (self.stop_at, q.map(|q| q.1)) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    let mut step = whole as u64;
                    let reached = stop.filter(|&st| now.saturating_add(step) >= st);
                    if let Some(st) = reached {
                        step = st.saturating_sub(now);
                    }
                    s.lab.advance(step);
                    if let Some(st) = reached {
                        s.running = false;
                        self.stop_at = None;
                        self.question =
                            crate::model::question_at(s.lab.scenario(), st, &self.answered)
                                .map(|i| (i, None));
                        self.views_built = f64::NEG_INFINITY;
                    }
                    // A broken invariant pauses the run, at the very moment
                    // it broke.
                    if let Some(v) = s.lab.violations().get(before) {
                        let (t, index) = (v.t, v.index);
                        s.running = false;
                        s.lab.seek(t);
                        // Bring the entry involved into the log table.
                        if let Some(i) = index {
                            self.log_from = Some(i.saturating_sub(view::LOG_WINDOW / 2).max(1));
                        }
                        // Rebuilt below, now: the views must show this moment.
                        self.log_built = f64::NEG_INFINITY;
                        self.views_built = f64::NEG_INFINITY;
                    }
                    if s.lab.at_end() {
                        if self.embed.looping {
                            s.lab.seek(0);
                            self.answered.clear();
                        } else {
                            s.running = false;
                        }
                    }
                }
                // Only what moves is redrawn every frame: the canvas (links,
                // messages, timers) and the clock. The DOM is re-rendered
                // when a server's drawn state changes, and the log table and
                // an open panel at most 5 times a second.
                let mut render = false;
                if ts - self.log_built >= 200.0 {
                    self.log_built = ts;
                    let before = self.log_version;
                    self.refresh_logs();
                    render |= before != self.log_version || self.selected_node.is_some();
                }
                if ts - self.views_built >= 1000.0 {
                    self.views_built = ts;
                    self.refresh_views();
                    render = true;
                }
                let v = view::ring_version(&self.shared.borrow().lab);
                render |= v != self.ring_version;
                self.ring_version = v;
                if !self.shared.borrow().running {
                    render = true; // the run reached its end: show Play
                }
                if !render {
                    self.draw_canvas();
                    self.paint_time();
                }
                self.tell_parent();
                self.ensure_loop();
                render
            }
            Msg::Play => {
                self.shared.borrow_mut().running = true;
                self.ensure_loop();
                true
            }
            Msg::Pause => {
                self.shared.borrow_mut().running = false;
                self.stop_loop();
                self.refresh_views();
                true
            }
            Msg::Toggle => {
                let running = !self.shared.borrow().running;
                Component::update(self, _ctx, if running { Msg::Play } else { Msg::Pause })
            }
            Msg::Step => {
                self.shared.borrow_mut().running = false;
                self.stop_loop();
                self.shared.borrow_mut().lab.step();
                self.refresh_logs();
                true
            }
            Msg::Speed(v) => {
                self.shared.borrow_mut().speed = slider_to_speed(v);
                true
            }
            Msg::Refresh => {
                self.refresh_logs();
                self.ensure_loop();
                true
            }
            Msg::Loaded => {
                self.bug = None;
                self.after_load();
                true
            }
            Msg::Visibility => {
                if hidden() {
                    self.stop_loop();
                } else {
                    self.ensure_loop();
                }
                false
            }
            Msg::Key(k) => self.key(_ctx, &k),
            Msg::SelectNode(id) => {
                if let Some(choice) = &mut self.partition {
                    if let Some(c) = choice.get_mut(id as usize - 1) {
                        *c = (*c + 1) % 4;
                    }
                } else {
                    self.selected_node = if self.selected_node == Some(id) {
                        None
                    } else {
                        Some(id)
                    };
                }
                true
            }
            Msg::SelectMessage(id) => {
                self.selected_msg = Some(id);
                true
            }
            Msg::RingClick((cx, cy)) => {
                // Client coordinates to ring units (the canvas and the SVG
                // share one square box, 600 units wide).
                let Some(b) = self
                    .canvas
                    .cast::<web_sys::Element>()
                    .map(|c| c.get_bounding_client_rect())
                else {
                    return false;
                };
                let x = (cx - b.left()) / b.width().max(1.0) * 600.0;
                let y = (cy - b.top()) / b.height().max(1.0) * 600.0;
                let hit = crate::canvas::hit(&self.shared.borrow().lab, x, y);
                match hit {
                    Some(id) => self.selected_msg = Some(id),
                    None => self.selected_node = None,
                }
                true
            }
            Msg::CloseNode => {
                self.selected_node = None;
                true
            }
            Msg::CloseMessage => {
                self.selected_msg = None;
                true
            }
            Msg::Act(e) => {
                self.act(e);
                true
            }
            Msg::CrashLeader => {
                let leader = self.shared.borrow().lab.leader();
                match leader {
                    Some(id) => self.act(EventSpec::Crash {
                        at_ms: 0.0,
                        node: id,
                    }),
                    None => self.notice("There is no leader to crash right now."),
                }
                true
            }
            Msg::RestartAll => {
                let down: Vec<NodeId> = {
                    let s = self.shared.borrow();
                    (1..=s.lab.sim().node_count())
                        .filter(|&i| !s.lab.sim().is_up(i))
                        .collect()
                };
                for id in down {
                    self.act(EventSpec::Restart {
                        at_ms: 0.0,
                        node: id,
                    });
                }
                true
            }
            Msg::Request => {
                let op = self.shared.borrow_mut().next_request();
                self.act(EventSpec::Request {
                    at_ms: 0.0,
                    op,
                    node: None,
                    count: None,
                });
                true
            }
            Msg::PartitionMode => {
                self.partition = match self.partition {
                    Some(_) => None,
                    None => Some(vec![
                        0;
                        self.shared.borrow().lab.sim().node_count() as usize
                    ]),
                };
                true
            }
            Msg::PartitionPick(id) => Component::update(self, _ctx, Msg::SelectNode(id)),
            Msg::PartitionApply => {
                if let Some(choice) = self.partition.take() {
                    let groups = groups_from_choice(&choice);
                    if groups.is_empty() {
                        self.notice(
                            "Pick the nodes to cut off first: click them to choose a group.",
                        );
                        self.partition = Some(choice);
                    } else {
                        self.act(EventSpec::Partition { at_ms: 0.0, groups });
                    }
                }
                true
            }
            Msg::Heal => {
                self.partition = None;
                self.act(EventSpec::Heal { at_ms: 0.0 });
                true
            }
            Msg::Resize(n) => {
                let seed = self.shared.borrow().lab.scenario().seed;
                self.restart_with(seed, n.clamp(1, MAX_NODES_UI));
                true
            }
            Msg::NewSeed => {
                let n = self.shared.borrow().lab.sim().node_count();
                self.restart_with(random_seed(), n);
                true
            }
            Msg::Reset => {
                let (seed, n) = {
                    let s = self.shared.borrow();
                    (s.lab.scenario().seed, s.lab.sim().node_count())
                };
                self.restart_with(seed, n);
                true
            }
            Msg::LatencyMin(v) | Msg::LatencyMax(v) if !v.is_finite() => {
                let _ = v;
                false
            }
            Msg::LatencyMin(v) => {
                let hi = self.latency().1.max(v);
                self.network(None, None, Some([v, hi]));
                true
            }
            Msg::LatencyMax(v) => {
                let lo = self.latency().0.min(v);
                self.network(None, None, Some([lo, v]));
                true
            }
            Msg::Drop(p) => {
                self.network(Some(p), None, None);
                true
            }
            Msg::Duplicate(p) => {
                self.network(None, Some(p), None);
                true
            }
            Msg::Seek(ms) => {
                if !ms.is_finite() || ms < 0.0 {
                    return false;
                }
                self.shared.borrow_mut().running = false;
                self.stop_loop();
                let us = (ms * 1000.0).round() as u64;
                self.shared.borrow_mut().lab.seek(us);
                self.refresh_logs();
                true
            }
            Msg::StepEvents(k) => {
                self.shared.borrow_mut().running = false;
                self.stop_loop();
                {
                    let mut s = self.shared.borrow_mut();
                    let n = s.lab.sim().stats().events;
                    let target = n.saturating_add_signed(k);
                    s.lab.seek_events(target);
                }
                self.refresh_logs();
                true
            }
            Msg::BreakIt(name) => {
                Component::update(self, _ctx, Msg::Library(format!("bug-{name}")))
            }
            Msg::ToggleBug => {
                if let Some((name, file, on)) = self.bug.take() {
                    let mut f = file.clone();
                    if on {
                        f.raft.bugs.clear();
                    }
                    self.bug = Some((name, file, !on));
                    self.load_file(f);
                }
                true
            }
            Msg::LogFrom(f) => {
                self.log_from = f;
                self.refresh_logs();
                true
            }
            Msg::Help(on) => {
                self.help = on;
                true
            }
            Msg::ShowScenario(on) => {
                self.show_scenario = on;
                true
            }
            Msg::DismissNotice => {
                self.shared.borrow_mut().notice = None;
                true
            }
            Msg::Open(o) => {
                self.open(*o);
                true
            }
            Msg::Library(id) => {
                match quorum_core::sim::library::get(&id) {
                    Some(file) => {
                        // A lesson waits for "Next"; embedded, autoplay decides.
                        let lesson = !file.captions.is_empty() || !file.questions.is_empty();
                        let play = if self.embed.on {
                            self.embed.autoplay
                        } else {
                            !lesson
                        };
                        let bug = id
                            .strip_prefix("bug-")
                            .map(|n| (n.to_string(), file.clone(), true));
                        self.open(Opened {
                            file,
                            t_ms: 0.0,
                            view: ViewOptions::default(),
                            lib: Some(id),
                            play,
                        });
                        self.bug = bug;
                    }
                    None => self.notice(&format!("there is no shipped scenario called {id:?}")),
                }
                true
            }
            Msg::LessonNext => {
                let now = self.shared.borrow().lab.now();
                let stops = crate::model::lesson_stops(self.shared.borrow().lab.scenario());
                self.question = None;
                self.stop_at = stops.into_iter().find(|&t| t > now);
                self.shared.borrow_mut().running = true;
                self.ensure_loop();
                true
            }
            Msg::LessonBack => {
                let now = self.shared.borrow().lab.now();
                let stops = crate::model::lesson_stops(self.shared.borrow().lab.scenario());
                // The stop before the one we are at (or just passed).
                let here = stops.iter().rposition(|&t| t <= now);
                let to = match here {
                    Some(i) if stops[i] == now && i > 0 => stops[i - 1],
                    Some(i) if stops[i] < now => stops[i],
                    _ => 0,
                };
                self.question = None;
                self.stop_at = None;
                Component::update(self, _ctx, Msg::Seek(to as f64 / 1000.0))
            }
            Msg::Answer(i) => {
                if let Some((q, None)) = self.question {
                    self.question = Some((q, Some(i)));
                    if self.answered.len() <= q {
                        self.answered.resize(q + 1, false);
                    }
                    self.answered[q] = true;
                }
                true
            }
            Msg::CloseQuestion => {
                self.question = None;
                true
            }
            Msg::CopyLink => {
                let url = format!("{}{}", crate::share::page_url(), self.fragment());
                if let Some(w) = web_sys::window() {
                    // May be refused (no permission, not https): the link is
                    // also shown to copy by hand.
                    let _ = w.navigator().clipboard().write_text(&url);
                }
                self.share_url = Some(url);
                true
            }
            Msg::CloseShare => {
                self.share_url = None;
                true
            }
            Msg::Export(what) => {
                let (name, mime, text) = {
                    let s = self.shared.borrow();
                    let f = s.lab.scenario();
                    let stem = crate::share::file_stem(&f.name, f.seed);
                    match what {
                        Export::Scenario => (
                            stem + ".json",
                            "application/json",
                            serde_json::to_string_pretty(f).unwrap_or_default() + "\n",
                        ),
                        Export::Trace => (
                            stem + ".jsonl",
                            "application/x-ndjson",
                            crate::share::trace_jsonl(&s.lab),
                        ),
                        Export::Svg => (
                            stem + ".svg",
                            "image/svg+xml",
                            crate::share::ring_svg(&s.lab),
                        ),
                    }
                };
                self.download(&name, mime, &text);
                false
            }
            Msg::Import(name, text) => {
                let parsed = text
                    .and_then(|t| quorum_core::sim::Scenario::parse(&t).map_err(|e| e.to_string()));
                match parsed {
                    Ok(sc) => {
                        self.bug = None;
                        self.open(Opened {
                            file: sc.file,
                            t_ms: 0.0,
                            view: ViewOptions::default(),
                            lib: None,
                            play: false,
                        });
                    }
                    Err(e) => self.notice(&format!("could not import {name}: {e}")),
                }
                true
            }
            Msg::HashChanged => {
                let Some(h) = location_hash() else {
                    return false;
                };
                match quorum_core::sim::link::decode(&h) {
                    Ok(l) => {
                        let lib = quorum_core::sim::library::base_of(&l.scenario)
                            .map(|b| b.0.to_string());
                        self.bug = None;
                        self.open(Opened {
                            file: l.scenario,
                            t_ms: l.t_ms,
                            view: l.view,
                            lib,
                            play: false,
                        });
                    }
                    Err(e) => {
                        // The default cluster stays; say what was wrong.
                        let seed = self.shared.borrow().lab.scenario().seed;
                        self.restart_with(seed, 5);
                        self.notice(&e.to_string());
                    }
                }
                true
            }
            Msg::LamportSpan(us) => {
                self.lamport_span = us.clamp(1_000, 60_000_000);
                self.draw_canvas();
                false
            }
            Msg::LamportHover(p) => {
                let id = p.and_then(|p| self.lamport_hit(p));
                Component::update(self, _ctx, Msg::HoverMsg(id))
            }
            Msg::LamportClick(p) => {
                let Some((x, _)) = self.lamport_point(p) else {
                    return false;
                };
                // An arrow: go to its delivery (or its send while it is
                // on the wire); elsewhere: to that time.
                let t = match self.lamport_hit(p) {
                    Some(id) => self
                        .lanes
                        .arrows
                        .iter()
                        .find(|a| a.id == id)
                        .map(|a| a.end.filter(|&e| e <= self.lanes.now).unwrap_or(a.sent)),
                    None => Some(crate::lamport::t_of(&self.lanes, x)),
                };
                match t {
                    Some(t) => Component::update(self, _ctx, Msg::Seek(t as f64 / 1000.0)),
                    None => false,
                }
            }
            Msg::HoverMsg(id) => {
                if id == self.hover {
                    return false;
                }
                self.hover = id;
                self.draw_canvas();
                true
            }
            Msg::EvScroll(top, follow) => {
                let row = |v: f64| (v / crate::panels::ROW) as i64;
                let changed = row(top) != row(self.ev_scroll);
                self.ev_scroll = top;
                self.ev_follow = follow;
                changed
            }
            Msg::EvKind(bit) => {
                self.filter.kinds ^= bit;
                self.refresh_views();
                true
            }
            Msg::EvNode(n) => {
                self.filter.node = n;
                self.refresh_views();
                true
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        view::page(self, ctx)
    }
}

impl App {
    pub fn selected_node(&self) -> Option<NodeId> {
        self.selected_node
    }
    pub fn selected_msg(&self) -> Option<u64> {
        self.selected_msg
    }
    pub fn partition_choice(&self) -> Option<&[u8]> {
        self.partition.as_deref()
    }
    pub fn help_open(&self) -> bool {
        self.help
    }
    pub fn scenario_open(&self) -> bool {
        self.show_scenario
    }
    pub fn log_model(&self) -> Rc<LogModel> {
        self.log_model.clone()
    }
    pub fn canvas_ref(&self) -> NodeRef {
        self.canvas.clone()
    }
    pub fn clock_ref(&self) -> NodeRef {
        self.clock.clone()
    }
    pub fn scrub_ref(&self) -> NodeRef {
        self.scrub.clone()
    }

    /// The clock and the scrubber change every frame: they are written
    /// directly, never through the virtual DOM, so the two cannot disagree.
    fn paint_time(&self) {
        let lab = &self.shared.borrow().lab;
        if let Some(c) = self.clock.cast::<web_sys::Element>() {
            c.set_text_content(Some(&view::clock_text(lab)));
        }
        if let Some(r) = self.scrub.cast::<web_sys::HtmlInputElement>() {
            r.set_max(&view::ms_value(lab.horizon()));
            r.set_value(&view::ms_value(lab.now()));
        }
    }

    /// Redraw what moves: the ring's canvas and the space-time diagram.
    fn draw_canvas(&mut self) {
        let mut s = self.shared.borrow_mut();
        if let Some(c) = self.canvas.cast::<web_sys::HtmlCanvasElement>() {
            crate::canvas::draw(&c, &s.lab, self.selected_msg, self.hover);
        }
        // While playing, the diagram is redrawn at most 30 times a second
        // (a canvas repaint costs most of a frame without a GPU); anything
        // else (a pause, a seek, a hover) redraws it at once.
        let ts = self.last_ts.unwrap_or(f64::INFINITY);
        let due = !s.running || ts - self.lamport_drawn >= 30.0 || ts < self.lamport_drawn;
        if let Some(c) = self
            .lamport
            .cast::<web_sys::HtmlCanvasElement>()
            .filter(|_| due)
        {
            self.lamport_drawn = if ts.is_finite() {
                ts
            } else {
                f64::NEG_INFINITY
            };
            let l = crate::history::lanes(&mut s.lab, self.lamport_span);
            self.lanes = l;
            let arrives = Self::arrivals(&s.lab);
            let n = s.lab.sim().node_count();
            crate::lamport::draw(
                &c,
                &self.lanes,
                n,
                &|id| arrives.get(&id).copied(),
                self.hover,
            );
        }
    }

    fn arrivals(lab: &Lab) -> std::collections::BTreeMap<u64, u64> {
        lab.sim()
            .in_flight()
            .iter()
            .map(|m| (m.id, m.arrives))
            .collect()
    }

    /// Client coordinates to space-time canvas units.
    fn lamport_point(&self, (cx, cy): (f64, f64)) -> Option<(f64, f64)> {
        let el = self.lamport.cast::<web_sys::HtmlCanvasElement>()?;
        let b = el.get_bounding_client_rect();
        let x = (cx - b.left()) / b.width().max(1.0) * f64::from(el.width());
        let y = (cy - b.top()) / b.height().max(1.0) * f64::from(el.height());
        Some((x, y))
    }

    fn lamport_hit(&self, p: (f64, f64)) -> Option<u64> {
        let (x, y) = self.lamport_point(p)?;
        let arrives = Self::arrivals(&self.shared.borrow().lab);
        crate::lamport::hit(&self.lanes, &|id| arrives.get(&id).copied(), x, y)
    }

    /// Rebuild the event log's lines and the charts.
    fn refresh_views(&mut self) {
        let mut s = self.shared.borrow_mut();
        self.lines = Rc::new(crate::history::lines(&mut s.lab, self.filter));
        // One pass over the run's numbers serves the charts and the check.
        let running = s.running;
        let (charts, lin) = match crate::history::to_now(&mut s.lab) {
            Some(n) => (
                crate::history::charts(&n),
                (!running).then(|| crate::history::linearizability(&n)),
            ),
            None => (Default::default(), None),
        };
        self.charts = Rc::new(charts);
        self.lin = lin;
    }

    pub fn linearizability(&self) -> Option<&(String, bool)> {
        self.lin.as_ref()
    }

    /// Open a run: a new lab at the given moment and view.
    fn open(&mut self, o: Opened) {
        let t_us = crate::model::ms_to_us(o.t_ms);
        if !self.install(crate::model::new_lab(o.file), o.play) {
            return;
        }
        let mut short = None;
        {
            let mut s = self.shared.borrow_mut();
            s.running = o.play;
            // Replay to the moment, but not for ever: a link to the end of
            // a day-long run of a huge cluster must not hang the page.
            let clock = web_sys::window().and_then(|w| w.performance());
            let start = clock.as_ref().map_or(0.0, |c| c.now());
            while s.lab.now() < t_us && !s.lab.at_end() {
                let step = (t_us - s.lab.now()).min(50_000);
                s.lab.advance(step);
                if clock
                    .as_ref()
                    .is_some_and(|c| c.now() - start > OPEN_BUDGET_MS)
                {
                    short = Some(s.lab.now());
                    break;
                }
            }
            if let Some(sp) = o.view.speed {
                s.speed = sp.clamp(crate::model::MIN_SPEED, crate::model::MAX_SPEED);
            }
        }
        self.lib_id = o.lib;
        if let Some(at) = short {
            self.notice(&format!(
                "This run is too heavy to replay to {:.3} s here in a few seconds; it stopped at {:.3} s. Press Play or drag the timeline to go on.",
                o.t_ms / 1000.0,
                at as f64 / 1e6
            ));
        }
        if let Some(w) = o.view.window_ms {
            self.lamport_span = crate::model::ms_to_us(w).clamp(1_000, 60_000_000);
        }
        if let Some(k) = o.view.kinds {
            self.filter.kinds = k;
        }
        self.filter.node = o.view.node;
        self.selected_node = o
            .view
            .selected
            .filter(|&n| n >= 1 && n <= self.shared.borrow().lab.sim().node_count());
        let q = {
            let s = self.shared.borrow();
            crate::model::question_at(s.lab.scenario(), s.lab.now(), &[])
        };
        self.question = q.map(|i| (i, None));
        if self.question.is_some() {
            self.shared.borrow_mut().running = false;
        }
        // (Paused, refresh_logs rebuilds the views too: not twice.)
        self.refresh_logs();
        if self.shared.borrow().running {
            self.refresh_views();
        }
    }

    /// The share-link fragment for the run as it is now.
    pub fn fragment(&self) -> String {
        let s = self.shared.borrow();
        let view = ViewOptions {
            speed: Some(s.speed),
            window_ms: Some(self.lamport_span as f64 / 1000.0),
            kinds: Some(self.filter.kinds),
            node: self.filter.node,
            selected: self.selected_node,
        };
        quorum_core::sim::link::encode(s.lab.scenario(), s.lab.now() as f64 / 1000.0, &view)
    }

    fn download(&mut self, name: &str, mime: &str, text: &str) {
        if let Err(e) = crate::share::download(name, mime, text) {
            self.notice(&e);
        }
    }

    /// Tell the embedding page what changed: a new leader, a higher
    /// commit index, a broken property.
    fn tell_parent(&mut self) {
        if !in_frame() {
            return;
        }
        let s = self.shared.borrow();
        let lab = &s.lab;
        let leader = lab
            .leader()
            .and_then(|l| lab.node(l).map(|n| (n.current_term(), l)));
        if leader != self.told.0 {
            if let Some((term, node)) = leader {
                crate::share::post_to_parent(&api::message(
                    "quorum:leader",
                    &serde_json::json!({"term": term, "node": node}),
                ));
            }
            self.told.0 = leader;
        }
        let commit = (1..=lab.sim().node_count())
            .filter_map(|i| lab.node(i))
            .map(|n| n.commit_index())
            .max()
            .unwrap_or(0);
        if commit > self.told.1 {
            crate::share::post_to_parent(&api::message(
                "quorum:commit",
                &serde_json::json!({"index": commit}),
            ));
        }
        self.told.1 = commit;
        let vs = lab.violations();
        for v in vs.iter().skip(self.told.2) {
            crate::share::post_to_parent(&api::message(
                "quorum:violation",
                &serde_json::json!({
                    "property": format!("{:?}", v.property),
                    "name": v.property.name(),
                    "t_ms": v.t as f64 / 1000.0,
                    "nodes": v.nodes,
                    "index": v.index,
                    "message": v.message,
                }),
            ));
        }
        self.told.2 = vs.len();
    }

    pub fn embed(&self) -> &crate::share::Embed {
        &self.embed
    }
    pub fn shows(&self, panel: u8) -> bool {
        !self.embed.on || self.embed.panels & panel != 0
    }
    pub fn lib_id(&self) -> Option<&str> {
        self.lib_id.as_deref()
    }
    pub fn question(&self) -> Option<(usize, Option<usize>)> {
        self.question
    }
    pub fn share_url(&self) -> Option<&str> {
        self.share_url.as_deref()
    }

    pub fn lamport_ref(&self) -> NodeRef {
        self.lamport.clone()
    }
    pub fn lamport_span(&self) -> u64 {
        self.lamport_span
    }
    pub fn evlog_ref(&self) -> NodeRef {
        self.evlog.clone()
    }
    pub fn lines(&self) -> Rc<Vec<Line>> {
        self.lines.clone()
    }
    pub fn filter(&self) -> Filter {
        self.filter
    }
    pub fn ev_scroll(&self) -> f64 {
        self.ev_scroll
    }
    pub fn hover_msg(&self) -> Option<u64> {
        self.hover
    }
    pub fn culprits(&self) -> &[u64] {
        &self.lanes.culprits
    }
    pub fn charts(&self) -> Rc<Charts> {
        self.charts.clone()
    }
    /// How far back the event log reaches (s).
    pub fn log_window_s(&self) -> f64 {
        let s = self.shared.borrow();
        s.lab
            .timeline()
            .map_or(0.0, |t| t.segment_len() as f64 / 1e6)
    }
    pub fn log_scroll_callback(&self) -> Callback<Option<u64>> {
        self.log_scroll.clone()
    }

    fn ensure_loop(&mut self) {
        if self.raf.is_some() || !self.shared.borrow().running || hidden() {
            return;
        }
        if let Some(w) = web_sys::window() {
            self.raf = w
                .request_animation_frame(self.frame_cb.as_ref().unchecked_ref())
                .ok();
        }
    }

    /// Paused or hidden: no frame is pending, so the page uses no CPU.
    fn stop_loop(&mut self) {
        if let (Some(id), Some(w)) = (self.raf.take(), web_sys::window()) {
            w.cancel_animation_frame(id).ok();
        }
        self.last_ts = None;
    }

    /// Rebuild the log table's model only when logs, commits or progress
    /// changed.
    fn refresh_logs(&mut self) {
        {
            let s = self.shared.borrow();
            let v = LogModel::version_of(&s.lab, self.log_from);
            if v != self.log_version {
                self.log_version = v;
                self.log_model = Rc::new(LogModel::build(&s.lab, self.log_from));
            }
        }
        if !self.shared.borrow().running {
            self.refresh_views();
        }
    }

    fn notice(&mut self, text: &str) {
        self.shared.borrow_mut().notice = Some(text.to_string());
    }

    fn act(&mut self, e: EventSpec) {
        let r = self.shared.borrow_mut().lab.act(e);
        if let Err(err) = r {
            self.notice(&err.to_string());
        }
        self.refresh_logs();
    }

    fn latency(&self) -> (f64, f64) {
        let s = self.shared.borrow();
        let (lo, hi) = s.lab.sim().network().latency;
        (lo as f64 / 1000.0, hi as f64 / 1000.0)
    }

    fn network(&mut self, drop: Option<f64>, duplicate: Option<f64>, latency_ms: Option<[f64; 2]>) {
        self.act(EventSpec::Network {
            at_ms: 0.0,
            drop,
            duplicate,
            latency_ms,
        });
    }

    /// Replace the run with this scenario (checks on) and play it.
    fn load_file(&mut self, file: quorum_core::sim::scenario::ScenarioFile) {
        let _ = self.install(crate::model::new_lab(file), true);
    }

    /// Put a new lab in place (or show why not) and forget the view state
    /// that belonged to the old one.
    /// Whether it was installed.
    fn install(&mut self, lab: Result<Lab, quorum_core::sim::ScenarioError>, play: bool) -> bool {
        let ok = lab.is_ok();
        match lab {
            Ok(lab) => {
                let mut s = self.shared.borrow_mut();
                s.lab = lab;
                s.notice = None;
                if play {
                    s.running = true;
                }
            }
            Err(e) => self.notice(&e.to_string()),
        }
        self.after_load();
        ok
    }

    fn after_load(&mut self) {
        self.stop_at = None;
        self.question = None;
        self.answered.clear();
        self.share_url = None;
        self.lib_id = None;
        self.selected_node = None;
        self.selected_msg = None;
        self.hover = None;
        self.ev_follow = true;
        self.refresh_views();
        self.partition = None;
        self.log_from = None;
        self.refresh_logs();
        self.ensure_loop();
    }

    pub fn bug(&self) -> Option<(&str, bool)> {
        self.bug.as_ref().map(|(n, _, on)| (n.as_str(), *on))
    }

    fn restart_with(&mut self, seed: u64, n: u32) {
        self.bug = None;
        let _ = self.install(crate::model::new_lab(default_scenario(seed, n)), false);
    }

    fn key(&mut self, ctx: &Context<Self>, k: &str) -> bool {
        match k {
            " " => Component::update(self, ctx, Msg::Toggle),
            "." => Component::update(self, ctx, Msg::Step),
            "c" | "C" => Component::update(self, ctx, Msg::Request),
            "k" | "K" => Component::update(self, ctx, Msg::CrashLeader),
            "r" | "R" => Component::update(self, ctx, Msg::RestartAll),
            "?" => {
                self.help = !self.help;
                true
            }
            "ArrowLeft" => Component::update(self, ctx, Msg::StepEvents(-1)),
            "ArrowRight" => Component::update(self, ctx, Msg::StepEvents(1)),
            "Shift+ArrowLeft" => Component::update(self, ctx, Msg::StepEvents(-10)),
            "Shift+ArrowRight" => Component::update(self, ctx, Msg::StepEvents(10)),
            "Escape" => {
                self.help = false;
                self.show_scenario = false;
                self.selected_msg = None;
                self.partition = None;
                true
            }
            _ => false,
        }
    }

    /// The leader for the log table's nextIndex/matchIndex markers.
    pub fn leader(&self) -> Option<NodeId> {
        let s = self.shared.borrow();
        s.lab
            .leader()
            .filter(|&l| s.lab.node(l).is_some_and(|n| n.role() == Role::Leader))
    }
}
