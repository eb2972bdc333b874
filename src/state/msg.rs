//! Everything that can happen to the page, as data: a click, a key, a
//! frame, a call of `window.quorum`, a message from the embedding page.
//! The UI, the JS API and the embed protocol all speak these same
//! messages, so they cannot drift apart.

use quorum_core::protocol::{ClientId, NodeId};
use quorum_core::sim::link::ViewOptions;
use quorum_core::sim::scenario::{EventSpec, ScenarioFile};
use quorum_core::sim::Lab;

pub enum Msg {
    /// An animation frame at real time `ts` (ms), and whether the tab is
    /// hidden then.
    Frame {
        ts: f64,
        hidden: bool,
    },
    Play,
    Pause,
    Toggle,
    Step,
    /// The speed slider's position (log10 of speed).
    Speed(f64),
    /// "Skip quiet time" on or off (`lab::QUIET_SPEEDUP`).
    SkipQuiet(bool),
    /// The tab was hidden or shown.
    Visibility {
        hidden: bool,
    },
    SelectNode(NodeId),
    SelectMessage(u64),
    /// A click on the ring at these ring units (the canvas and the SVG
    /// share one square box, 600 units wide).
    RingClick(f64, f64),
    CloseNode,
    CloseMessage,
    /// A user action: recorded as a scenario event at the current time.
    Act(EventSpec),
    CrashLeader,
    RestartAll,
    Request,
    PartitionMode,
    PartitionPick(NodeId),
    /// A client clicked (or Enter on it) while the partition tool is open:
    /// cycle its group. Nothing otherwise.
    PartitionPickClient(ClientId),
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
    /// "More" on a phone: show or fold the rest of the controls.
    ToggleMore,
    /// The theme button: dark colours or light, remembered.
    ToggleTheme,
    /// The system's colour scheme changed (dark or not); followed unless a
    /// theme was chosen.
    SystemTheme(bool),
    /// The welcome: closed (remembered), and the first lesson opened if
    /// `start`.
    CloseWelcome {
        start: bool,
    },
    /// The lesson chooser: open or closed.
    Chooser(bool),
    /// The language picker (not a run's event: the page's words only).
    SetLanguage(crate::i18n::Lang),
    /// The "?" key.
    ToggleHelp,
    /// The Escape key: close panels and tools.
    Escape,
    LogFrom(Option<u64>),
    /// Break it: load this planted bug's scenario.
    BreakIt(String),
    /// Switch the loaded planted bug off or back on, same seed.
    ToggleBug,
    /// Scrubber: go to this virtual time (ms). Pauses.
    Seek(f64),
    /// Step this many events back (negative) or forward.
    StepEvents(i64),
    ShowScenario(bool),
    DismissNotice,
    /// Close the notice that the run was made with an older behaviour.
    DismissOlder,
    /// Something the page could not do, in words (e.g. a refused download).
    Notice(String),
    /// Space-time diagram: window length (µs), pointer moves and clicks in
    /// canvas units.
    LamportSpan(u64),
    /// The page's first render is on screen: draw one more linked view
    /// (`Model::linked_on`).
    LinkedViews,
    /// The diagram came into view (it is not drawn off screen): paint it.
    DiagramSeen,
    LamportHover(Option<(f64, f64)>),
    LamportClick(f64, f64),
    /// A message pointed at in one view, highlighted in all.
    HoverMsg(Option<u64>),
    /// Event log: scrolled to (top, at the bottom?), kind toggled, node.
    EvScroll(f64, bool),
    EvKind(u8),
    EvNode(Option<NodeId>),
    /// A scenario loaded by the JS API or the embedding page, already
    /// validated: replaces the run, playback unchanged.
    Loaded(Box<Lab>),
    /// The library menu: load this shipped scenario.
    Library(String),
    /// The worker's reply to a job (JSON text, `quorum_verify::jobs`), or
    /// why job `id` got none (the worker could not start or crashed).
    Checked(Result<String, (u64, String)>),
    /// A shipped scenario's file, fetched from beside the page (or why it
    /// could not be).
    Fetched {
        id: String,
        text: Result<String, String>,
    },
    /// Lesson mode: play to the next caption or question; back to the last.
    LessonNext,
    LessonBack,
    /// A checkpoint question: pick a choice; close it.
    Answer(usize),
    CloseQuestion,
    /// The browser answered "Copy link": copied, or refused.
    Copied(bool),
    /// Fold the open question to a bar to look at the ring, or unfold it.
    PeekQuestion(bool),
    CopyLink,
    CloseShare,
    /// Download the scenario, the trace or the ring.
    Export(Export),
    /// A file to import (name, text) or why it could not be read.
    Import(String, Result<String, String>),
    /// The address bar's fragment changed (a pasted link), and what it
    /// holds now, if anything.
    HashChanged(Option<String>),
}

impl Msg {
    /// A command for the run on screen (playback, lesson steps, seeking,
    /// an action): one that arrives while a shipped scenario is being
    /// fetched waits for it.
    pub fn is_run_command(&self) -> bool {
        matches!(
            self,
            Msg::Play
                | Msg::Pause
                | Msg::Toggle
                | Msg::Step
                | Msg::StepEvents(_)
                | Msg::Seek(_)
                | Msg::LessonNext
                | Msg::LessonBack
                | Msg::Answer(_)
                | Msg::Act(_)
                | Msg::CrashLeader
                | Msg::RestartAll
                | Msg::Request
                | Msg::Heal
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    Scenario,
    Trace,
    Svg,
}

/// What the shell must do after an update: effects as data, run by the
/// component shell (`app`) and the platform layer, never by `update`.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Re-render the virtual DOM.
    Render,
    /// Redraw what moves (the canvases, the clock, the scrubber) now,
    /// without a virtual-DOM pass.
    Paint,
    /// Ask for an animation frame if playing, visible and none is pending.
    EnsureLoop,
    /// Cancel the pending animation frame: paused, the page uses no CPU.
    StopLoop,
    /// Tell the embedding page what changed (leader, commit, violations).
    TellParent,
    /// Offer a file download.
    Download {
        name: String,
        mime: &'static str,
        text: String,
    },
    /// Put this text on the clipboard (may be refused by the browser).
    CopyToClipboard(String),
    /// Hand job `id` (a `quorum_verify::jobs::Request` as JSON text) to the
    /// worker, started on first use; the reply comes back as
    /// `Msg::Checked`. A newer job replaces one not yet sent.
    Check { id: u64, request: String },
    /// Fetch a shipped scenario's file (`url` relative to the page); its
    /// text comes back as `Msg::Fetched`.
    Fetch { id: String, url: String },
    /// Draw one more linked view after this task (`Msg::LinkedViews`).
    LinkedViews,
    /// Tell the embedding page how a lesson goes (`quorum:caption`,
    /// `quorum:question`, `quorum:answer`, `quorum:lesson-end`).
    Lesson(LessonEvent),
    /// Show the page dark or light; `remember` the choice for the next
    /// visit (not in an embed).
    Theme { dark: bool, remember: bool },
    /// Keep a small fact for the next visit (`localStorage`): the welcome
    /// was seen, the lessons finished.
    Remember { key: &'static str, value: String },
    /// Put the page's words in this language, and remember it.
    Language(crate::i18n::Lang),
    /// The action was refused, and why (also shown as the notice); the JS
    /// API returns it as `{error}`.
    Refused(String),
}

/// A step of a lesson, for the embedding page (docs/embedding.md).
#[derive(Clone, Debug, PartialEq)]
pub enum LessonEvent {
    /// Lesson mode stopped at caption `index` (its time in ms).
    Caption { index: usize, t_ms: f64 },
    /// Lesson mode stopped at question `index`, which now waits.
    Question { index: usize, t_ms: f64 },
    /// Question `index` was answered with `choice`: right or not.
    Answer {
        index: usize,
        choice: usize,
        right: bool,
    },
    /// The last stop of the lesson was reached.
    End,
}

/// A run to open, with the moment and the view to show.
pub struct Opened {
    pub file: ScenarioFile,
    pub t_ms: f64,
    pub view: ViewOptions,
    /// The library entry it is, if any.
    pub lib: Option<String>,
    pub play: bool,
    /// A link or a file, for the words of the older-behaviour notice.
    pub source: crate::i18n::Source,
}

/// The keyboard shortcuts (see the help overlay). `key` is the DOM key
/// name, with "Shift+" before an arrow when Shift is held.
pub fn key_msg(key: &str) -> Option<Msg> {
    Some(match key {
        " " => Msg::Toggle,
        "." => Msg::Step,
        "c" | "C" => Msg::Request,
        "k" | "K" => Msg::CrashLeader,
        "r" | "R" => Msg::RestartAll,
        "?" => Msg::ToggleHelp,
        "Escape" => Msg::Escape,
        "ArrowLeft" => Msg::StepEvents(-1),
        "ArrowRight" => Msg::StepEvents(1),
        "Shift+ArrowLeft" => Msg::StepEvents(-10),
        "Shift+ArrowRight" => Msg::StepEvents(10),
        _ => return None,
    })
}
