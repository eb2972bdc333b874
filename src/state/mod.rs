//! The page's state in the Elm architecture: a plain-data [`Model`] (what
//! the views show), the [`Session`] (the running lab and what belongs to
//! it), the messages ([`Msg`]) and a pure [`update`] that returns
//! [`Effect`]s as data. Nothing here touches the DOM, so all of it runs
//! natively under `cargo test`.

mod msg;
mod session;
mod update;

#[cfg(test)]
mod tests;

pub use msg::{key_msg, Effect, Export, LessonEvent, Msg, Opened};
pub use session::{Env, Handover, Session, Waiting};
pub use update::{arrivals, update, DONE_KEY, WELCOMED_KEY};

use crate::history::{Charts, Filter, Lanes};
use crate::i18n::{Lang, Source, Text};
use crate::lab::question_at;
pub use crate::lab::{PartitionTool, WITH_THE_REST};
use crate::logs::LogModel;
use crate::share::Embed;
use quorum_core::protocol::{ClientId, NodeId};
use quorum_core::sim::describe::Line;
use quorum_core::sim::link::ViewOptions;
use quorum_core::sim::scenario::ScenarioFile;
use quorum_core::sim::Micros;
use std::rc::Rc;

/// The one writer of the running lab: the shell behind the UI, the JS API
/// and the embedding page's messages all go through `dispatch`, which runs
/// [`update`] and its effects at once (so `quorum.step(); quorum.state()`
/// sees the step) and then asks for a re-render.
pub trait Store {
    /// Run `msg` now; the effects it produced (already run).
    fn dispatch(&self, msg: Msg) -> Vec<Effect>;
    /// Read the running lab.
    fn session(&self) -> std::cell::Ref<'_, Session>;
}

/// Event-log row height, in CSS pixels (the log is virtualised by rows).
pub const ROW: f64 = 24.0;

/// What the views show that is not the simulator's.
pub struct Model {
    pub page: Page,
    pub selection: Selection,
    pub tools: Tools,
    pub clock: FrameClock,
    pub log: LogTable,
    pub events: EventLog,
    pub diagram: Diagram,
    pub checks: Checks,
    pub lesson: Lesson,
    /// The planted-bug scenario loaded by "break it", if any.
    pub bug: Option<PlantedBug>,
    /// The run on screen came from a link or a scenario made with an older
    /// simulator behaviour: the notice that it may differ from the one
    /// shared, until dismissed or another run is loaded.
    pub older: Option<OlderRun>,
    /// How many of the linked views below the ring are drawn, in page
    /// order (the space-time diagram, the log table, the event log and
    /// the charts): none in the page's first render, then one more per
    /// task (`Msg::LinkedViews`), so that no task is long.
    pub linked_on: u8,
}

/// A run made with an older simulator behaviour than this build's (see
/// `quorum_core::sim::behaviour`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OlderRun {
    pub source: Source,
    pub made_with: u32,
}

impl OlderRun {
    /// `Some` when `file` says it was made with an older behaviour.
    pub fn of(file: &ScenarioFile, source: Source) -> Option<OlderRun> {
        file.older_behaviour().map(|o| OlderRun {
            source,
            made_with: o.made_with,
        })
    }

    /// The notice, in words.
    pub fn text(self) -> Text {
        Text::OlderBehaviour {
            source: self.source,
            made_with: self.made_with,
        }
    }
}

/// How the page was opened.
pub struct Page {
    /// Options from the query string (`?embed=1&panels=...`).
    pub embed: Embed,
    /// The page's address without its fragment, for share links.
    pub url: String,
    /// The page's language (`?lang=`, else the browser's).
    pub lang: Lang,
    /// Dark colours (the theme button, remembered; `theme=`; else the
    /// system's).
    pub dark: bool,
    /// A first visit (no welcome seen on this browser).
    pub first_visit: bool,
    /// The shipped lessons finished on this browser, by id (remembered).
    pub done: Vec<String>,
}

/// What is picked or pointed at.
#[derive(Default)]
pub struct Selection {
    pub node: Option<NodeId>,
    pub msg: Option<u64>,
    /// A message pointed at in one view, highlighted in all.
    pub hover: Option<u64>,
}

/// Tools and overlays that are open.
#[derive(Default)]
pub struct Tools {
    /// The partition tool's picks, when it is open.
    pub partition: Option<PartitionTool>,
    pub help: bool,
    /// On a phone, the controls beyond play, step and the faults are
    /// folded behind "More" (the style sheet hides them there).
    pub more: bool,
    pub show_scenario: bool,
    /// The last link made by "Copy link", shown for copying by hand.
    pub share_url: Option<String>,
    /// Whether the browser put that link on the clipboard (`None` while
    /// it has not answered).
    pub copied: Option<bool>,
    /// The welcome for a first visit, until dismissed (remembered).
    pub welcome: bool,
    /// The lesson chooser is open.
    pub chooser: bool,
}

/// Real time (ms) as the frame loop sees it.
pub struct FrameClock {
    /// The last frame's time, while playing.
    pub last_ts: Option<f64>,
    /// Virtual µs owed but not yet run (less than one).
    pub carry_us: f64,
    /// When the log table was last rebuilt while playing.
    pub log_built: f64,
    /// When the event log and the charts were last rebuilt.
    pub views_built: f64,
    /// When the ring's servers and clients were last re-rendered.
    pub ring_built: f64,
    /// The fingerprint of what the SVG ring drew last.
    pub ring_version: u64,
    /// The last frame passed quiet time quickly (the clock shows it).
    pub quiet: bool,
}

/// The log table: its model, rebuilt when its fingerprint changes, and
/// the first index shown (None: follow the newest).
pub struct LogTable {
    pub version: u64,
    pub model: Rc<LogModel>,
    pub from: Option<u64>,
}

/// The event log: lines up to now, the filter, the scroll position.
pub struct EventLog {
    pub lines: Rc<Vec<Line>>,
    pub filter: Filter,
    pub scroll: f64,
    /// At the bottom: new lines scroll into view.
    pub follow: bool,
}

/// The space-time diagram: the window length, what was drawn last (also
/// what a pointer hits) and when.
pub struct Diagram {
    pub span: Micros,
    pub lanes: Lanes,
    /// Real time (ms) it was last drawn while playing.
    pub drawn: f64,
}

/// The charts and the linearizability verdict, worked out while paused.
#[derive(Default)]
pub struct Checks {
    pub charts: Rc<Charts>,
    /// The linearizability check of the run as it is when paused (`None`
    /// while playing).
    pub lin: Option<Verdict>,
    /// The history `lin` is about: its job's id, a hash of the history (the
    /// same history is never checked twice). `None` when no job was needed.
    pub lin_of: Option<u64>,
}

impl Checks {
    /// The worker's answer to job `lin_of` is still to come.
    pub fn lin_waiting(&self) -> bool {
        self.lin
            .as_ref()
            .is_some_and(|v| v.state == LinState::Checking)
    }

    /// A verdict that needed no job (or none while playing).
    pub fn settle(&mut self, lin: Option<Verdict>) {
        self.lin = lin;
        self.lin_of = None;
    }
}

/// The linearizability check's result, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub text: String,
    pub state: LinState,
}

/// Where the linearizability check stands. Only `Holds` is a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinState {
    /// The worker is searching.
    Checking,
    Holds,
    Broken,
    /// The search reached its bound, the history is too long to keep, or
    /// the checker could not run: nothing was concluded.
    Undecided,
}

/// Lesson mode and the library.
#[derive(Default)]
pub struct Lesson {
    /// The library entry loaded, if any.
    pub lib_id: Option<String>,
    /// "Next": play until this time, then pause.
    pub stop_at: Option<Micros>,
    /// The speed on the way to `stop_at`: the chosen one, or faster, so
    /// that the stop comes within `lab::NEXT_REAL_MS`.
    pub pace: f64,
    /// The open checkpoint question.
    pub question: Option<Question>,
    pub answered: Vec<bool>,
    /// The open question is folded to a bar so the student can look at
    /// the ring it asks about.
    pub peek: bool,
}

/// A checkpoint question on screen and the choice made, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Question {
    pub index: usize,
    pub chosen: Option<usize>,
}

/// A planted bug's scenario and whether its bug is switched on.
pub struct PlantedBug {
    pub name: String,
    pub file: ScenarioFile,
    pub on: bool,
}

impl Model {
    /// A fresh page for this lab.
    pub fn new(page: Page, session: &Session) -> Self {
        let log = Rc::new(LogModel::build(&session.lab, None));
        // A first visit to the plain page (not an embed, a link or a
        // lesson): where to start.
        let welcome =
            page.first_visit && !page.embed.on && session.lab.scenario().captions.is_empty();
        Model {
            page,
            selection: Selection::default(),
            tools: Tools {
                welcome,
                ..Tools::default()
            },
            clock: FrameClock::default(),
            log: LogTable {
                version: log.version,
                model: log,
                from: None,
            },
            events: EventLog {
                lines: Rc::new(Vec::new()),
                filter: Filter::default(),
                scroll: 0.0,
                follow: true,
            },
            diagram: Diagram {
                span: 600_000,
                lanes: Lanes::default(),
                drawn: f64::NEG_INFINITY,
            },
            checks: Checks::default(),
            lesson: Lesson::default(),
            bug: None,
            older: None,
            linked_on: 0,
        }
    }

    /// Whether a panel (`share::P_*`) shows: all of them, unless embedded.
    pub fn shows(&self, panel: u8) -> bool {
        !self.page.embed.on || self.page.embed.panels & panel != 0
    }

    /// The share-link fragment for the run as it is now.
    pub fn fragment(&self, s: &Session) -> String {
        let view = ViewOptions {
            speed: Some(s.speed),
            window_ms: Some(self.diagram.span as f64 / 1000.0),
            kinds: Some(self.events.filter.kinds),
            node: self.events.filter.node,
            selected: self.selection.node,
        };
        s.fragment(&view)
    }
}

impl Default for FrameClock {
    /// Nothing drawn yet, no frame seen.
    fn default() -> Self {
        FrameClock {
            last_ts: None,
            carry_us: 0.0,
            log_built: f64::NEG_INFINITY,
            views_built: f64::NEG_INFINITY,
            ring_built: f64::NEG_INFINITY,
            ring_version: 0,
            quiet: false,
        }
    }
}

impl FrameClock {
    /// Real time (ms) since the last frame, capped so a stall does not
    /// jump the run; `lab::stretch` maps it to virtual time.
    pub fn real_dt(&mut self, ts: f64) -> f64 {
        let dt = self.last_ts.map_or(0.0, |l| (ts - l).clamp(0.0, 100.0));
        self.last_ts = Some(ts);
        dt
    }
}

impl Lesson {
    /// Where the frame loop must stop: lesson mode's target or the next
    /// unanswered question, whichever comes first.
    pub fn next_stop(&self, file: &ScenarioFile, now: Micros) -> Option<Micros> {
        let q = crate::lab::next_question(file, now, &self.answered);
        match (self.stop_at, q.map(|q| q.1)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The unanswered question exactly at `now`, opened.
    pub fn question_at(&self, file: &ScenarioFile, now: Micros) -> Option<Question> {
        question_at(file, now, &self.answered).map(|index| Question {
            index,
            chosen: None,
        })
    }

    /// Record a choice for the open question (once).
    pub fn answer(&mut self, choice: usize) {
        if let Some(Question {
            index,
            chosen: None,
        }) = self.question
        {
            self.question = Some(Question {
                index,
                chosen: Some(choice),
            });
            if self.answered.len() <= index {
                self.answered.resize(index + 1, false);
            }
            self.answered[index] = true;
        }
    }

    /// Lesson "Back": the stop before the one we are at (or just passed).
    pub fn back_target(file: &ScenarioFile, now: Micros) -> Micros {
        let stops = crate::lab::lesson_stops(file);
        let here = stops.iter().rposition(|&t| t <= now);
        match here {
            Some(i) if stops[i] == now && i > 0 => stops[i - 1],
            Some(i) if stops[i] < now => stops[i],
            _ => 0,
        }
    }
}

impl Selection {
    /// Open a server's panel, or close it when it is the one open.
    pub fn toggle_node(&mut self, id: NodeId) {
        self.node = if self.node == Some(id) {
            None
        } else {
            Some(id)
        };
    }
}

impl Tools {
    /// Partition tool: each click cycles a server's group (0..=3).
    pub fn cycle_group(&mut self, id: NodeId) -> bool {
        let Some(tool) = &mut self.partition else {
            return false;
        };
        if let Some(c) = tool.nodes.get_mut((id as usize).wrapping_sub(1)) {
            *c = (*c + 1) % 4;
        }
        true
    }

    /// Partition tool: each click cycles a client's pick: no group, 1, 2,
    /// 3, with the rest, no group again.
    pub fn cycle_client(&mut self, c: ClientId) -> bool {
        let Some(tool) = &mut self.partition else {
            return false;
        };
        let next = (tool.client(c) + 1) % (WITH_THE_REST + 1);
        match tool.clients.binary_search_by_key(&c, |x| x.0) {
            Ok(i) => tool.clients[i].1 = next,
            Err(i) => tool.clients.insert(i, (c, next)),
        }
        true
    }
}
