//! `update(model, session, msg) -> effects`: the page's only writer of the
//! running lab. Arms are short and call the methods below; nothing here
//! touches the DOM (pointer positions arrive in ring or canvas units, the
//! address bar's fragment and the tab's visibility arrive in the message).

use super::{
    Effect, Export, LessonEvent, LinState, Model, Msg, OlderRun, Opened, PlantedBug, Session,
    Verdict, Waiting,
};
use crate::i18n::Source;
use crate::lab::{groups_from_choice, ms_to_us, new_lab, slider_to_speed, MAX_NODES_UI};
use crate::logs::{LogModel, LOG_WINDOW};
use quorum_core::protocol::NodeId;
use quorum_core::sim::link::{self, LinkError, Unpacked, ViewOptions};
use quorum_core::sim::scenario::{EventSpec, ScenarioFile};
use quorum_core::sim::{HistoryEvent, Lab, Micros, ScenarioError};
use std::rc::Rc;

/// How long opening a link may replay (real ms) before it stops short.
const OPEN_BUDGET_MS: f64 = 2500.0;
/// `localStorage`: the welcome was seen on this browser.
pub const WELCOMED_KEY: &str = "quorum-welcomed";
/// `localStorage`: the shipped lessons finished, their ids joined by `,`.
pub const DONE_KEY: &str = "quorum-done";
/// Where the welcome's "Start the first lesson" goes.
pub const FIRST_LESSON: &str = "lesson-basic-election";
/// The linked views drawn one per task after the first render
/// (`Model::linked_on`): diagram, log table, event log, charts.
pub const LINKED_VIEWS: u8 = 4;

/// Apply `msg`; the effects for the shell to run, in order.
pub fn update(model: &mut Model, session: &mut Session, msg: Msg) -> Vec<Effect> {
    let mut u = Update {
        m: model,
        s: session,
        fx: Vec::new(),
    };
    if u.apply(msg) {
        u.fx.push(Effect::Render);
    }
    u.fx
}

/// A borrowed view of the state for one message, collecting effects.
struct Update<'a> {
    m: &'a mut Model,
    s: &'a mut Session,
    fx: Vec<Effect>,
}

impl Update<'_> {
    /// One message; whether the page must re-render.
    fn apply(&mut self, msg: Msg) -> bool {
        // While a shipped scenario is fetched, commands for the run wait
        // for it: they were meant for it.
        if self.s.waiting.is_some() && msg.is_run_command() {
            self.s.deferred.push(msg);
            return false;
        }
        match msg {
            Msg::Frame { ts, hidden } => self.frame(ts, hidden),
            Msg::Play => self.play(),
            Msg::Pause => self.pause(),
            Msg::Toggle if self.s.running => self.pause(),
            Msg::Toggle => self.play(),
            Msg::Step => self.step(),
            Msg::Speed(v) => self.session(|s| s.speed = slider_to_speed(v)),
            Msg::SkipQuiet(on) => self.session(|s| s.skip_quiet = on),
            Msg::Visibility { hidden: true } => self.stop_loop(),
            Msg::Visibility { hidden: false } => self.effect(Effect::EnsureLoop),
            Msg::SelectNode(id) | Msg::PartitionPick(id) => self.select_node(id),
            Msg::PartitionPickClient(c) => self.m.tools.cycle_client(c),
            Msg::SelectMessage(id) => self.set(|m| m.selection.msg = Some(id)),
            Msg::RingClick(x, y) => self.ring_click(x, y),
            Msg::CloseNode => self.set(|m| m.selection.node = None),
            Msg::CloseMessage => self.set(|m| m.selection.msg = None),
            Msg::Act(e) => self.act(e),
            Msg::CrashLeader => self.crash_leader(),
            Msg::RestartAll => self.restart_all(),
            Msg::Request => self.request(),
            Msg::PartitionMode => self.partition_mode(),
            Msg::PartitionApply => self.partition_apply(),
            Msg::Heal => self.heal(),
            Msg::Resize(n) => {
                self.restart_with(self.s.lab.scenario().seed, n.clamp(1, MAX_NODES_UI))
            }
            Msg::NewSeed => {
                self.restart_with((self.s.env.random_seed)(), self.s.lab.sim().node_count())
            }
            Msg::Reset => {
                self.restart_with(self.s.lab.scenario().seed, self.s.lab.sim().node_count())
            }
            Msg::LatencyMin(v) | Msg::LatencyMax(v) if !v.is_finite() => false,
            Msg::LatencyMin(v) => self.latency(Some(v), None),
            Msg::LatencyMax(v) => self.latency(None, Some(v)),
            Msg::Drop(p) => self.network(Some(p), None, None),
            Msg::Duplicate(p) => self.network(None, Some(p), None),
            Msg::Help(on) => self.set(|m| m.tools.help = on),
            Msg::ToggleMore => self.set(|m| m.tools.more = !m.tools.more),
            Msg::ToggleTheme => {
                self.m.page.dark = !self.m.page.dark;
                let remember = !self.m.page.embed.on;
                self.fx.push(Effect::Theme {
                    dark: self.m.page.dark,
                    remember,
                });
                true
            }
            Msg::SystemTheme(dark) => {
                self.m.page.dark = dark;
                self.fx.push(Effect::Theme {
                    dark,
                    remember: false,
                });
                true
            }
            Msg::CloseWelcome { start } => {
                self.m.tools.welcome = false;
                self.fx.push(Effect::Remember {
                    key: WELCOMED_KEY,
                    value: "1".into(),
                });
                if start {
                    return self.library(FIRST_LESSON.into());
                }
                true
            }
            Msg::Chooser(on) => self.set(|m| {
                m.tools.chooser = on;
                m.tools.welcome &= !on;
            }),
            Msg::SetLanguage(lang) => {
                self.m.page.lang = lang;
                self.fx.push(Effect::Language(lang));
                true
            }
            Msg::ToggleHelp => self.set(|m| m.tools.help = !m.tools.help),
            Msg::Escape => self.escape(),
            Msg::LogFrom(f) => self.log_from(f),
            Msg::BreakIt(name) => self.library(format!("bug-{name}")),
            Msg::ToggleBug => self.toggle_bug(),
            Msg::Seek(ms) if !ms.is_finite() || ms < 0.0 => false,
            Msg::Seek(ms) => self.seek((ms * 1000.0).round() as u64),
            Msg::StepEvents(k) => self.step_events(k),
            Msg::ShowScenario(on) => self.set(|m| m.tools.show_scenario = on),
            Msg::DismissNotice => self.session(|s| s.notice = None),
            Msg::DismissOlder => self.set(|m| m.older = None),
            Msg::Notice(text) => self.notice(text),
            Msg::LamportSpan(us) => self.lamport_span(us),
            Msg::LamportHover(p) => self.hover(p.and_then(|(x, y)| self.lamport_hit(x, y))),
            Msg::LamportClick(x, y) => self.lamport_click(x, y),
            Msg::HoverMsg(id) => self.hover(id),
            Msg::LinkedViews => {
                self.m.linked_on = self.m.linked_on.saturating_add(1);
                if self.m.linked_on < LINKED_VIEWS {
                    self.effect(Effect::LinkedViews);
                }
                true
            }
            Msg::DiagramSeen => {
                // Redrawn now, not in up to 30 ms.
                self.m.diagram.drawn = f64::NEG_INFINITY;
                self.effect(Effect::Paint)
            }
            Msg::EvScroll(top, follow) => self.ev_scroll(top, follow),
            Msg::EvKind(bit) => self.filter(|f| f.kinds ^= bit),
            Msg::EvNode(n) => self.filter(|f| f.node = n),
            Msg::Loaded(lab) => self.loaded(*lab),
            Msg::Library(id) => self.library(id),
            Msg::Fetched { id, text } => self.fetched(id, text),
            Msg::Checked(reply) => self.checked(reply),
            Msg::LessonNext => self.lesson_next(),
            Msg::LessonBack => self.lesson_back(),
            Msg::Answer(i) => self.answer(i),
            Msg::CloseQuestion => self.set(|m| m.lesson.question = None),
            Msg::PeekQuestion(on) => self.set(|m| m.lesson.peek = on),
            Msg::CopyLink => self.copy_link(),
            Msg::CloseShare => self.set(|m| m.tools.share_url = None),
            Msg::Copied(ok) => self.set(|m| m.tools.copied = Some(ok)),
            Msg::Export(what) => self.export(what),
            Msg::Import(name, text) => self.import(&name, text),
            Msg::HashChanged(None) => false,
            Msg::HashChanged(Some(h)) => self.open_link(&h),
        }
    }

    /// Change the model; re-render.
    fn set(&mut self, f: impl FnOnce(&mut Model)) -> bool {
        f(self.m);
        true
    }

    /// Change the session; re-render.
    fn session(&mut self, f: impl FnOnce(&mut Session)) -> bool {
        f(self.s);
        true
    }

    /// Change the event log's filter and rebuild it.
    fn filter(&mut self, f: impl FnOnce(&mut crate::history::Filter)) -> bool {
        f(&mut self.m.events.filter);
        self.refresh_views();
        true
    }

    /// Show the log table from index `from` (None: follow the newest).
    fn log_from(&mut self, from: Option<u64>) -> bool {
        self.m.log.from = from;
        self.refresh_logs();
        true
    }

    /// The diagram's window: redrawn at once, no DOM change.
    fn lamport_span(&mut self, us: Micros) -> bool {
        self.m.diagram.span = us.clamp(1_000, 60_000_000);
        self.effect(Effect::Paint)
    }

    /// Push an effect; no re-render by itself.
    fn effect(&mut self, e: Effect) -> bool {
        self.fx.push(e);
        false
    }

    fn notice(&mut self, text: String) -> bool {
        self.s.notice = Some(text);
        true
    }

    // ---- Playback -------------------------------------------------------

    /// One animation frame: run the virtual time that passed, stop where a
    /// lesson or a broken invariant says, then decide what to redraw.
    fn frame(&mut self, ts: f64, hidden: bool) -> bool {
        if !self.s.running || hidden {
            self.m.clock.last_ts = None;
            return false;
        }
        self.run_frame(ts);
        let render = self.refresh_due(ts);
        if !render {
            self.fx.push(Effect::Paint);
        }
        self.fx.push(Effect::TellParent);
        self.fx.push(Effect::EnsureLoop);
        render
    }

    /// The real time since the last frame, as virtual time: at the
    /// chosen speed (or a lesson's faster pace on the way to its stop),
    /// quiet stretches faster when "skip quiet time" is on. The run is the
    /// same whatever the pace: only when it is shown changes.
    fn run_frame(&mut self, ts: f64) {
        let mut left = self.m.clock.real_dt(ts);
        let speed = match self.m.lesson.stop_at {
            Some(_) => self.s.speed.max(self.m.lesson.pace),
            None => self.s.speed,
        };
        let mut quiet = false;
        for _ in 0..crate::lab::MAX_STRETCHES {
            if left <= 0.0 || !self.s.running {
                break;
            }
            let st = crate::lab::stretch(
                &self.s.lab,
                left,
                speed,
                self.s.skip_quiet,
                &mut self.m.clock.carry_us,
            );
            quiet = st.quiet;
            self.advance(st.step);
            left -= st.used_ms;
        }
        self.m.clock.quiet = quiet && self.s.running;
    }

    fn advance(&mut self, step: u64) {
        let before = self.s.lab.violations().len();
        let now = self.s.lab.now();
        let stop = self.m.lesson.next_stop(self.s.lab.scenario(), now);
        let reached = stop.filter(|&st| now.saturating_add(step) >= st);
        self.s
            .lab
            .advance(reached.map_or(step, |st| st.saturating_sub(now)));
        if let Some(st) = reached {
            self.s.running = false;
            self.m.lesson.stop_at = None;
            self.m.lesson.question = self.m.lesson.question_at(self.s.lab.scenario(), st);
            self.m.lesson.peek = false;
            self.tell_stop(st);
            self.m.clock.views_built = f64::NEG_INFINITY;
        }
        // A broken invariant pauses the run, at the very moment it broke.
        if let Some((t, index)) = self.s.lab.violations().get(before).map(|v| (v.t, v.index)) {
            self.pause_at_violation(t, index);
        }
        if self.s.lab.at_end() {
            if self.m.page.embed.looping {
                self.s.lab.seek(0);
                self.m.lesson.answered.clear();
            } else {
                self.s.running = false;
            }
        }
    }

    fn pause_at_violation(&mut self, t: Micros, index: Option<u64>) {
        self.s.running = false;
        self.s.lab.seek(t);
        // Bring the entry involved into the log table.
        if let Some(i) = index {
            self.m.log.from = Some(i.saturating_sub(LOG_WINDOW / 2).max(1));
        }
        // Rebuilt at once: the views must show this moment.
        self.m.clock.log_built = f64::NEG_INFINITY;
        self.m.clock.views_built = f64::NEG_INFINITY;
    }

    /// Only what moves is redrawn every frame (the canvas and the clock).
    /// The DOM is re-rendered when a server's or a client's drawn state
    /// changes, at most 20 times a second (with 40 clients one changes
    /// nearly every frame, and each pass re-renders the whole page), and
    /// the log table and an open panel at most 5 times a second.
    fn refresh_due(&mut self, ts: f64) -> bool {
        let mut render = false;
        if ts - self.m.clock.log_built >= 200.0 {
            self.m.clock.log_built = ts;
            let before = self.m.log.version;
            self.refresh_logs();
            render |= before != self.m.log.version || self.m.selection.node.is_some();
        }
        if ts - self.m.clock.views_built >= 1000.0 {
            self.m.clock.views_built = ts;
            self.refresh_views();
            render = true;
        }
        let v = crate::ring::ring_version(&self.s.lab);
        render |= v != self.m.clock.ring_version && ts - self.m.clock.ring_built >= 50.0;
        if render {
            self.m.clock.ring_version = v;
            self.m.clock.ring_built = ts;
        }
        // The run reached its end: show Play.
        render || !self.s.running
    }

    fn play(&mut self) -> bool {
        self.s.running = true;
        self.fx.push(Effect::EnsureLoop);
        true
    }

    fn pause(&mut self) -> bool {
        self.s.running = false;
        self.stop_loop();
        self.refresh_views();
        true
    }

    /// Paused or hidden: no frame is pending, so the page uses no CPU.
    fn stop_loop(&mut self) -> bool {
        self.m.clock.last_ts = None;
        self.effect(Effect::StopLoop)
    }

    fn step(&mut self) -> bool {
        if self.question_open() {
            return false;
        }
        self.s.running = false;
        self.stop_loop();
        let from = self.s.lab.now();
        self.s.lab.step();
        self.stop_at_question(from);
        self.refresh_logs();
        true
    }

    /// An unanswered question is open: Step and Next wait for its answer
    /// (the embedding page hears why).
    fn question_open(&mut self) -> bool {
        let open = matches!(self.m.lesson.question, Some(q) if q.chosen.is_none());
        if open {
            // Not a notice: the open question says what to do.
            self.fx
                .push(Effect::Refused("answer the open question first".into()));
        }
        open
    }

    /// Stepped from `from` past an unanswered question: back to it, and
    /// open it (a step never skips a question).
    fn stop_at_question(&mut self, from: Micros) {
        let file = self.s.lab.scenario();
        let Some((index, at)) = crate::lab::next_question(file, from, &self.m.lesson.answered)
        else {
            return;
        };
        if at > self.s.lab.now() {
            return;
        }
        self.s.lab.seek(at);
        self.m.lesson.question = Some(crate::state::Question {
            index,
            chosen: None,
        });
        self.m.lesson.peek = false;
        self.tell_stop(at);
    }

    /// Go to virtual time `us` (clamped to the run's end). Seeking pauses,
    /// whoever asks (the scrubber, the JS API, the embedding page).
    fn seek(&mut self, us: Micros) -> bool {
        self.s.running = false;
        self.stop_loop();
        self.s.lab.seek(us);
        self.refresh_logs();
        true
    }

    fn step_events(&mut self, k: i64) -> bool {
        if k > 0 && self.question_open() {
            return false;
        }
        self.s.running = false;
        self.stop_loop();
        let from = self.s.lab.now();
        let target = self.s.lab.sim().stats().events.saturating_add_signed(k);
        self.s.lab.seek_events(target);
        if k > 0 {
            self.stop_at_question(from);
        }
        self.refresh_logs();
        true
    }

    // ---- Derived views ----------------------------------------------------

    /// Rebuild the log table's model only when logs, commits or progress
    /// changed; paused, the event log and the charts too.
    fn refresh_logs(&mut self) {
        let v = LogModel::version_of(&self.s.lab, self.m.log.from);
        if v != self.m.log.version {
            self.m.log.version = v;
            self.m.log.model = Rc::new(LogModel::build(&self.s.lab, self.m.log.from));
        }
        if !self.s.running {
            self.refresh_views();
        }
    }

    /// Rebuild the event log's lines and the charts (and, paused, check
    /// linearizability: one pass over the run's numbers serves both).
    fn refresh_views(&mut self) {
        let lab = &mut self.s.lab;
        self.m.events.lines = Rc::new(crate::history::lines(lab, self.m.events.filter));
        let running = self.s.running;
        let (charts, history) = match crate::history::to_now(lab) {
            Some(n) => (
                crate::history::charts(&n),
                (!running).then(|| crate::history::client_history(&n)),
            ),
            None => (Default::default(), None),
        };
        self.m.checks.charts = Rc::new(charts);
        match history {
            Some(h) => self.check_lin(h),
            None => self.m.checks.settle(None),
        }
    }

    /// Paused: check the clients' history for linearizability in the
    /// worker (the page goes on drawing while it searches). The same
    /// history is not checked twice.
    fn check_lin(&mut self, history: Option<Vec<HistoryEvent>>) {
        use quorum_verify::jobs::{request, Job};
        let c = &mut self.m.checks;
        let Some(history) = history else {
            c.settle(Some(Verdict {
                text: "undecided: too long a run to keep its history here (quorum run --check decides it)".into(),
                state: LinState::Undecided,
            }));
            return;
        };
        if history.is_empty() {
            c.settle(Some(Verdict {
                text: "no client operations yet".into(),
                state: LinState::Holds,
            }));
            return;
        }
        let (id, request) = request(&Job::Linearizability {
            history,
            max_states: quorum_verify::wgl::MAX_STATES,
        });
        if c.lin_of == Some(id) {
            return;
        }
        c.lin_of = Some(id);
        c.lin = Some(Verdict {
            text: "checking…".into(),
            state: LinState::Checking,
        });
        self.fx.push(Effect::Check { id, request });
    }

    /// The worker answered (or could not): the verdict, if it is about the
    /// history on screen.
    fn checked(&mut self, reply: Result<String, (u64, String)>) -> bool {
        let c = &mut self.m.checks;
        if !c.lin_waiting() {
            return false;
        }
        let pending = c.lin_of;
        let (text, state) = match reply {
            Err((id, why)) if Some(id) == pending => (
                format!("undecided: the checker could not run ({why})"),
                LinState::Undecided,
            ),
            Err(_) => return false,
            Ok(text) => match read_reply(&text) {
                Ok((id, r)) if Some(id) == pending => match r {
                    Ok(verdict) => crate::history::lin_words(&verdict),
                    Err(message) => (
                        format!("undecided: the checker refused the history ({message})"),
                        LinState::Undecided,
                    ),
                },
                Ok(_) => return false,
                Err(e) => (
                    format!("undecided: the checker's answer is unreadable ({e})"),
                    LinState::Undecided,
                ),
            },
        };
        c.lin = Some(Verdict { text, state });
        true
    }

    fn ev_scroll(&mut self, top: f64, follow: bool) -> bool {
        let row = |v: f64| (v / super::ROW) as i64;
        let changed = row(top) != row(self.m.events.scroll);
        self.m.events.scroll = top;
        self.m.events.follow = follow;
        changed
    }

    fn hover(&mut self, id: Option<u64>) -> bool {
        if id == self.m.selection.hover {
            return false;
        }
        self.m.selection.hover = id;
        self.fx.push(Effect::Paint);
        true
    }

    fn lamport_hit(&self, x: f64, y: f64) -> Option<u64> {
        let arrives = arrivals(&self.s.lab);
        crate::lamport::hit(&self.m.diagram.lanes, &|id| arrives.get(&id).copied(), x, y)
    }

    /// On an arrow: go to its delivery (or its send while it is on the
    /// wire); elsewhere: to that time.
    fn lamport_click(&mut self, x: f64, y: f64) -> bool {
        let lanes = &self.m.diagram.lanes;
        let t = match self.lamport_hit(x, y) {
            Some(id) => lanes
                .arrows
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.end.filter(|&e| e <= lanes.now).unwrap_or(a.sent)),
            None => Some(crate::lamport::t_of(lanes, x)),
        };
        t.is_some_and(|t| self.seek(t))
    }

    // ---- Selection and tools --------------------------------------------

    fn select_node(&mut self, id: NodeId) -> bool {
        if !self.m.tools.cycle_group(id) {
            self.m.selection.toggle_node(id);
        }
        true
    }

    /// A click on the ring picks the nearest message, or closes the panel.
    fn ring_click(&mut self, x: f64, y: f64) -> bool {
        match crate::canvas::hit(&self.s.lab, x, y) {
            Some(id) => self.m.selection.msg = Some(id),
            None => self.m.selection.node = None,
        }
        true
    }

    fn escape(&mut self) -> bool {
        // An answered question closes; an open one folds to a bar (it
        // still waits for its answer).
        match self.m.lesson.question {
            Some(q) if q.chosen.is_some() => self.m.lesson.question = None,
            Some(_) => self.m.lesson.peek = true,
            None => {}
        }
        self.m.tools.help = false;
        self.m.tools.chooser = false;
        self.m.tools.show_scenario = false;
        self.m.selection.msg = None;
        self.m.tools.partition = None;
        true
    }

    fn partition_mode(&mut self) -> bool {
        let n = self.s.lab.sim().node_count() as usize;
        self.m.tools.partition = match self.m.tools.partition {
            Some(_) => None,
            None => Some(crate::lab::PartitionTool::new(n)),
        };
        true
    }

    fn partition_apply(&mut self) -> bool {
        let Some(choice) = self.m.tools.partition.take() else {
            return true;
        };
        let groups = groups_from_choice(&choice);
        if groups.is_empty() {
            self.m.tools.partition = Some(choice);
            return self.notice(
                "Pick the servers or clients to cut off first: click them to choose a group."
                    .into(),
            );
        }
        self.act(EventSpec::Partition { at_ms: 0.0, groups })
    }

    // ---- Actions on the run ---------------------------------------------

    /// A scenario event now; a refusal is shown and returned as an effect.
    fn act(&mut self, e: EventSpec) -> bool {
        if let Err(err) = self.s.lab.act(e) {
            let text = err.to_string();
            self.s.notice = Some(text.clone());
            self.fx.push(Effect::Refused(text));
        }
        self.refresh_logs();
        true
    }

    /// A client request from the user: a put of a fresh value.
    fn request(&mut self) -> bool {
        let op = self.s.next_request();
        self.act(EventSpec::Request {
            at_ms: 0.0,
            op,
            node: None,
            count: None,
        })
    }

    fn heal(&mut self) -> bool {
        self.m.tools.partition = None;
        self.act(EventSpec::Heal { at_ms: 0.0 })
    }

    fn crash_leader(&mut self) -> bool {
        match self.s.lab.leader() {
            Some(node) => self.act(EventSpec::Crash { at_ms: 0.0, node }),
            None => self.notice("There is no leader to crash right now.".into()),
        }
    }

    fn restart_all(&mut self) -> bool {
        let sim = self.s.lab.sim();
        let down: Vec<NodeId> = (1..=sim.node_count()).filter(|&i| !sim.is_up(i)).collect();
        for node in down {
            self.act(EventSpec::Restart { at_ms: 0.0, node });
        }
        true
    }

    /// A new latency bound; the other one follows so that min <= max.
    fn latency(&mut self, lo: Option<f64>, hi: Option<f64>) -> bool {
        let (l, h) = self.s.lab.sim().network().latency;
        let (l, h) = (l as f64 / 1000.0, h as f64 / 1000.0);
        let range = match (lo, hi) {
            (Some(v), _) => [v, h.max(v)],
            (_, Some(v)) => [l.min(v), v],
            _ => [l, h],
        };
        self.network(None, None, Some(range))
    }

    fn network(
        &mut self,
        drop: Option<f64>,
        duplicate: Option<f64>,
        latency_ms: Option<[f64; 2]>,
    ) -> bool {
        self.act(EventSpec::Network {
            at_ms: 0.0,
            drop,
            duplicate,
            latency_ms,
        })
    }

    // ---- Loading runs ---------------------------------------------------

    /// Put a new lab in place (or show why not) and forget the view state
    /// that belonged to the old one. Whether it was installed. A run made
    /// with an older simulator behaviour (a link or an exported file from
    /// `source`) raises the notice that it may differ.
    fn install(&mut self, lab: Result<Lab, ScenarioError>, play: bool, source: Source) -> bool {
        let ok = lab.is_ok();
        match lab {
            Ok(lab) => {
                self.m.older = OlderRun::of(lab.scenario(), source);
                self.s.lab = lab;
                self.s.notice = None;
                self.s.running |= play;
            }
            Err(e) => self.s.notice = Some(e.to_string()),
        }
        self.after_load();
        ok
    }

    fn after_load(&mut self) {
        self.m.lesson = super::Lesson::default();
        self.m.tools.share_url = None;
        self.m.selection = super::Selection::default();
        self.m.events.follow = true;
        self.refresh_views();
        self.m.tools.partition = None;
        self.m.log.from = None;
        self.refresh_logs();
        self.fx.push(Effect::EnsureLoop);
    }

    /// The JS API or the embedding page loaded a scenario: playback stays.
    fn loaded(&mut self, lab: Lab) -> bool {
        self.m.older = OlderRun::of(lab.scenario(), Source::File);
        self.s.lab = lab;
        self.s.notice = None;
        self.m.bug = None;
        self.after_load();
        true
    }

    fn restart_with(&mut self, seed: u64, n: u32) -> bool {
        self.m.bug = None;
        self.install(
            new_lab(crate::lab::default_scenario(seed, n)),
            false,
            Source::File,
        );
        true
    }

    fn toggle_bug(&mut self) -> bool {
        if let Some(PlantedBug { name, file, on }) = self.m.bug.take() {
            let mut f = file.clone();
            if on {
                f.raft.bugs.clear();
            }
            self.m.bug = Some(PlantedBug {
                name,
                file,
                on: !on,
            });
            // Replace the run with this scenario (checks on) and play it.
            self.install(new_lab(f), true, Source::File);
        }
        true
    }

    /// Load a shipped scenario. A lesson waits for "Next"; embedded,
    /// autoplay decides.
    fn library(&mut self, id: String) -> bool {
        self.m.tools.chooser = false;
        self.m.tools.welcome = false;
        let file = match self.s.library.get(&id) {
            Some(f) => f.clone(),
            None => return self.fetch(Waiting::Library(id)),
        };
        let lesson = !file.captions.is_empty() || !file.questions.is_empty();
        let embed = &self.m.page.embed;
        let play = if embed.on { embed.autoplay } else { !lesson };
        let bug = id.strip_prefix("bug-").map(|n| PlantedBug {
            name: n.to_string(),
            file: file.clone(),
            on: true,
        });
        self.open(Opened {
            file,
            t_ms: 0.0,
            view: ViewOptions::default(),
            lib: Some(id),
            play,
            source: Source::File,
        });
        self.m.bug = bug;
        true
    }

    fn import(&mut self, name: &str, text: Result<String, String>) -> bool {
        let parsed =
            text.and_then(|t| quorum_core::sim::Scenario::parse(&t).map_err(|e| e.to_string()));
        match parsed {
            Ok(sc) => self.open_file(sc.file, 0.0, ViewOptions::default(), None, Source::File),
            Err(e) => self.notice(format!("could not import {name}: {e}")),
        }
    }

    /// A share link: open it paused at its moment; a bad one leaves the
    /// default cluster and says what was wrong.
    fn open_link(&mut self, fragment: &str) -> bool {
        match link::unpack(fragment) {
            Ok(u) => match u.library_id() {
                Some(id) if !self.s.library.contains_key(id) => self.fetch(Waiting::Link(u)),
                _ => self.finish_link(u),
            },
            Err(e) => self.link_failed(e),
        }
    }

    /// A link whose shipped scenario (if it names one) is here.
    fn finish_link(&mut self, u: Unpacked) -> bool {
        let base = u
            .library_id()
            .and_then(|id| self.s.library.get(id))
            .cloned();
        match u.finish(base) {
            Ok(l) => {
                let lib = self.s.library_base(&l.scenario).map(|b| b.0.to_string());
                self.open_file(l.scenario, l.t_ms, l.view, lib, Source::Link)
            }
            Err(e) => self.link_failed(e),
        }
    }

    fn link_failed(&mut self, e: LinkError) -> bool {
        self.restart_with(self.s.lab.scenario().seed, 5);
        self.notice(e.to_string())
    }

    /// Fetch the shipped scenario `w` waits for; `w` goes on when it
    /// arrives (a newer wait replaces an older one).
    fn fetch(&mut self, w: Waiting) -> bool {
        let entry = w.id().and_then(quorum_core::sim::library::entry);
        let Some(e) = entry else {
            return match w {
                // Refused by name, in the link's own words.
                Waiting::Link(u) => self.finish_link(u),
                Waiting::Library(id) => {
                    self.notice(format!("there is no shipped scenario called {id:?}"))
                }
            };
        };
        self.s.waiting = Some(w);
        self.effect(Effect::Fetch {
            id: e.id.to_string(),
            url: format!("scenarios/{}", e.path),
        })
    }

    /// A shipped scenario's file arrived: validated as any file is, kept,
    /// and what waited for it goes on.
    fn fetched(&mut self, id: String, text: Result<String, String>) -> bool {
        let parsed =
            text.and_then(|t| quorum_core::sim::Scenario::parse(&t).map_err(|e| e.to_string()));
        let waiting = match &self.s.waiting {
            Some(w) if w.id() == Some(id.as_str()) => self.s.waiting.take(),
            _ => None,
        };
        match parsed {
            Ok(sc) => {
                self.s.library.insert(id, sc.file);
            }
            Err(e) if waiting.is_some() => {
                self.notice(format!("could not load the shipped scenario {id:?}: {e}"));
                self.run_deferred();
                return true;
            }
            Err(_) => return false,
        }
        let opened = match waiting {
            Some(Waiting::Library(id)) => self.library(id),
            Some(Waiting::Link(u)) => self.finish_link(u),
            None => false,
        };
        self.run_deferred() | opened
    }

    /// The commands that waited for a fetch, in order (on the scenario that
    /// opened, or on the run as it is if the fetch failed).
    fn run_deferred(&mut self) -> bool {
        if self.s.waiting.is_some() {
            return false;
        }
        let mut render = false;
        for msg in std::mem::take(&mut self.s.deferred) {
            render |= self.apply(msg);
        }
        render
    }

    /// Open a file paused (an import or a link), leaving break-it mode.
    fn open_file(
        &mut self,
        file: ScenarioFile,
        t_ms: f64,
        view: ViewOptions,
        lib: Option<String>,
        source: Source,
    ) -> bool {
        self.m.bug = None;
        self.open(Opened {
            file,
            t_ms,
            view,
            lib,
            play: false,
            source,
        });
        true
    }

    /// Open a run: a new lab at the given moment and view.
    fn open(&mut self, o: Opened) {
        let t_us = ms_to_us(o.t_ms);
        if !self.install(new_lab(o.file), o.play, o.source) {
            return;
        }
        self.s.running = o.play;
        if let Some(at) = self.replay_to(t_us) {
            self.s.notice = Some(format!(
                "This run is too heavy to replay to {:.3} s here in a few seconds; it stopped at {:.3} s. Press Play or drag the timeline to go on.",
                o.t_ms / 1000.0,
                at as f64 / 1e6
            ));
        }
        if let Some(sp) = o.view.speed {
            self.s.speed = sp.clamp(crate::lab::MIN_SPEED, crate::lab::MAX_SPEED);
        }
        self.m.lesson.lib_id = o.lib;
        self.apply_view(&o.view);
        self.m.lesson.question = self
            .m
            .lesson
            .question_at(self.s.lab.scenario(), self.s.lab.now());
        if self.m.lesson.question.is_some() {
            self.s.running = false;
        }
        // (Paused, refresh_logs rebuilds the views too: not twice.)
        self.refresh_logs();
        if self.s.running {
            self.refresh_views();
        }
    }

    /// Replay to `t_us`, but not for ever: a link to the end of a day-long
    /// run of a huge cluster must not hang the page. Where it stopped
    /// short, if it did.
    fn replay_to(&mut self, t_us: Micros) -> Option<Micros> {
        let clock = self.s.env.clock;
        let start = clock().unwrap_or(0.0);
        let lab = &mut self.s.lab;
        while lab.now() < t_us && !lab.at_end() {
            lab.advance((t_us - lab.now()).min(50_000));
            if clock().is_some_and(|c| c - start > OPEN_BUDGET_MS) {
                return Some(lab.now());
            }
        }
        None
    }

    /// A link's view options: the diagram's window, the event log's
    /// filter, the server shown.
    fn apply_view(&mut self, view: &ViewOptions) {
        if let Some(w) = view.window_ms {
            self.m.diagram.span = ms_to_us(w).clamp(1_000, 60_000_000);
        }
        if let Some(k) = view.kinds {
            self.m.events.filter.kinds = k;
        }
        self.m.events.filter.node = view.node;
        let n = self.s.lab.sim().node_count();
        self.m.selection.node = view.selected.filter(|&id| id >= 1 && id <= n);
    }

    // ---- Lessons ----------------------------------------------------------

    /// "Next": on to the next caption or question, within
    /// `lab::NEXT_REAL_MS` of real time (faster than the chosen speed if
    /// need be); pressed again on the way, straight there. A question left
    /// open and unanswered keeps it: Next does not skip it.
    fn lesson_next(&mut self) -> bool {
        if self.question_open() {
            return false;
        }
        let now = self.s.lab.now();
        let on_the_way = self.s.running && self.m.lesson.stop_at.is_some();
        if let Some(stop) = self
            .m
            .lesson
            .next_stop(self.s.lab.scenario(), now)
            .filter(|_| on_the_way)
        {
            self.advance(stop.saturating_sub(now));
            self.m.clock.log_built = f64::NEG_INFINITY;
            return true;
        }
        let stops = crate::lab::lesson_stops(self.s.lab.scenario());
        self.m.lesson.question = None;
        self.m.lesson.stop_at = stops.into_iter().find(|&t| t > now);
        let to = self.m.lesson.next_stop(self.s.lab.scenario(), now);
        self.m.lesson.pace = to.map_or(0.0, |t| {
            t.saturating_sub(now) as f64 / (crate::lab::NEXT_REAL_MS * 1000.0)
        });
        self.play()
    }

    /// The embedding page hears where the lesson stopped.
    fn tell_stop(&mut self, at: Micros) {
        let file = self.s.lab.scenario();
        let t_ms = at as f64 / 1000.0;
        let event = match self.m.lesson.question {
            Some(q) => LessonEvent::Question {
                index: q.index,
                t_ms,
            },
            None => match crate::lab::caption_at(file, at) {
                Some((index, _)) => LessonEvent::Caption { index, t_ms },
                None => return,
            },
        };
        self.fx.push(Effect::Lesson(event));
        let stops = crate::lab::lesson_stops(file);
        if stops.last() == Some(&at) {
            self.fx.push(Effect::Lesson(LessonEvent::End));
            // A shipped lesson, finished: the chooser marks it.
            if let Some(id) = self
                .m
                .lesson
                .lib_id
                .as_ref()
                .filter(|l| l.starts_with("lesson-"))
            {
                if !self.m.page.done.contains(id) {
                    self.m.page.done.push(id.clone());
                    let value = self.m.page.done.join(",");
                    self.fx.push(Effect::Remember {
                        key: DONE_KEY,
                        value,
                    });
                }
            }
        }
    }

    /// A choice for the open question (taken once), right or not.
    fn answer(&mut self, choice: usize) -> bool {
        let open = self.m.lesson.question;
        self.m.lesson.answer(choice);
        if let (Some(q), None) = (open, open.and_then(|q| q.chosen)) {
            let right = self
                .s
                .lab
                .scenario()
                .questions
                .get(q.index)
                .is_some_and(|x| x.answer == choice);
            self.fx.push(Effect::Lesson(LessonEvent::Answer {
                index: q.index,
                choice,
                right,
            }));
        }
        true
    }

    fn lesson_back(&mut self) -> bool {
        let to = super::Lesson::back_target(self.s.lab.scenario(), self.s.lab.now());
        self.m.lesson.question = None;
        self.m.lesson.stop_at = None;
        self.seek(to)
    }

    // ---- Sharing ----------------------------------------------------------

    /// The link is copied (the browser may refuse) and also shown, to copy
    /// by hand.
    fn copy_link(&mut self) -> bool {
        let url = format!("{}{}", self.m.page.url, self.m.fragment(self.s));
        self.fx.push(Effect::CopyToClipboard(url.clone()));
        self.m.tools.share_url = Some(url);
        self.m.tools.copied = None;
        true
    }

    fn export(&mut self, what: Export) -> bool {
        let lab = &self.s.lab;
        let f = lab.scenario();
        let stem = crate::share::file_stem(&f.name, f.seed);
        let (name, mime, text) = match what {
            // Stamped with this build's behaviour: the run it describes.
            Export::Scenario => (
                stem + ".json",
                "application/json",
                quorum_core::util::pretty::to_string_pretty(&f.exported()) + "\n",
            ),
            Export::Trace => (
                stem + ".jsonl",
                "application/x-ndjson",
                crate::share::trace_jsonl(lab),
            ),
            Export::Svg => (stem + ".svg", "image/svg+xml", crate::share::ring_svg(lab)),
        };
        self.effect(Effect::Download { name, mime, text })
    }
}

/// When each message on the wire arrives, by id (the diagram draws those
/// still in flight up to where they are now).
pub fn arrivals(lab: &Lab) -> std::collections::BTreeMap<u64, u64> {
    lab.sim()
        .in_flight()
        .iter()
        .map(|m| (m.id, m.arrives))
        .collect()
}

/// The worker's reply (`quorum_verify::jobs::Reply` as JSON): its id, and
/// its verdict or the error it gave. Read through `serde_json::Value`,
/// which the page has anyway, instead of the derived readers (3 KB
/// gzipped); a test holds the two to the same answers.
pub(crate) fn read_reply(
    text: &str,
) -> Result<(u64, Result<quorum_verify::linearizability::Verdict, String>), String> {
    use quorum_verify::linearizability::Verdict;
    use serde_json::Value;
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let id = v["id"].as_u64().ok_or("no id")?;
    let outcome = &v["outcome"];
    if let Some(m) = outcome["error"]["message"].as_str() {
        return Ok((id, Err(m.to_string())));
    }
    let verdict = &outcome["linearizability"]["verdict"];
    let n = |v: &Value, k: &str| v[k].as_u64().map(|x| x as usize).ok_or("a missing count");
    let key = |v: &Value| v["key"].as_str().map(str::to_string).ok_or("a missing key");
    let r = if let Some(x) = verdict.get("linearizable") {
        Verdict::Linearizable {
            keys: n(x, "keys")?,
            ops: n(x, "ops")?,
        }
    } else if let Some(x) = verdict.get("violation") {
        Verdict::Violation {
            key: key(x)?,
            ops: n(x, "ops")?,
        }
    } else if let Some(x) = verdict.get("too_large") {
        Verdict::TooLarge {
            key: key(x)?,
            ops: n(x, "ops")?,
            indeterminate: n(x, "indeterminate")?,
        }
    } else {
        return Err("no verdict".into());
    };
    Ok((id, Ok(r)))
}
