//! The scenario format (JSON, versioned). See `docs/scenario-format.md`.
//!
//! [`ScenarioFile`] is the document as written by hand (and by the UI, which
//! appends events); [`Scenario::parse`] validates it into a [`Scenario`] with
//! times in integer microseconds. Every error names the path of the bad
//! value; nothing here panics on input.

use super::network::Endpoint;
use super::Micros;
use crate::protocol::{
    Bugs, KvOp, Membership, NodeId, RaftLog, ReadMode, Switches, Term, DEFAULT_MAX_INFLIGHT,
    DEFAULT_SNAPSHOT_CHUNK,
};
use serde::{Deserialize, Serialize};
use std::fmt;

mod event;
mod raw;
mod validate;
pub use validate::{ms_to_us, parse_event};

pub const FORMAT_VERSION: u32 = 1;
pub const MAX_NODES: u32 = 101;
pub const MAX_EVENTS: usize = 100_000;
pub const MAX_DURATION_MS: f64 = 24.0 * 3600.0 * 1000.0;
/// Any single timing parameter (timeouts, latency, think time): one hour.
pub const MAX_PARAM_MS: f64 = 3600.0 * 1000.0;
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;
pub const MAX_NAME_LEN: usize = 200;
pub const MAX_DESCRIPTION_LEN: usize = 4000;
pub const MAX_KEY_LEN: usize = 256;
pub const MAX_VALUE_LEN: usize = 4096;
pub const MAX_CLIENTS: u32 = 1000;
pub const MAX_KEYS: u32 = 1000;
pub const MAX_REQUEST_COUNT: u32 = 1000;
pub const MAX_INITIAL_LOG: usize = 100_000;
pub const MAX_TERM: Term = 1 << 48;
pub const MAX_BATCH: u32 = 10_000;
/// The largest in-flight window.
pub const MAX_INFLIGHT: u32 = 1024;
/// The most entries `raft.snapshot_every` may name.
pub const MAX_SNAPSHOT_EVERY: u64 = 1_000_000;
/// The largest InstallSnapshot chunk, in items.
pub const MAX_SNAPSHOT_CHUNK: u64 = 1_000_000;
pub const MAX_CAPTIONS: usize = 200;
pub const MAX_CAPTION_LEN: usize = 1000;
pub const MAX_CHOICES: usize = 6;

/// The whole scenario document, field names as in the format's contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub version: u32,
    /// The simulator behaviour this document was exported under (see
    /// [`super::behaviour`]): the page, `window.quorum.scenario()` and
    /// `quorum fuzz` always write it. Absent: written by hand or shipped
    /// with the code, run as this build's behaviour with no notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behaviour: Option<u32>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub seed: u64,
    pub nodes: u32,
    #[serde(default)]
    pub timing: TimingSpec,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<ClientsSpec>,
    #[serde(default = "default_duration")]
    pub duration_ms: f64,
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Optional starting state per node (persistent state only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub initial: Vec<InitialNode>,
    #[serde(default)]
    pub raft: RaftSpec,
    /// A liveness expectation for `quorum run --check`: with no fault after
    /// `from_ms`, by `from_ms + within_ms` there is one leader and every up
    /// node holds the same, fully committed log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<LivenessSpec>,
    /// A lesson's caption track: text shown as the run reaches each time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captions: Vec<Caption>,
    /// A lesson's checkpoint questions: the run stops there and asks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<Question>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caption {
    pub at_ms: f64,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub at_ms: f64,
    pub question: String,
    pub choices: Vec<String>,
    /// Index into `choices` of the right answer.
    pub answer: usize,
    /// Shown after answering.
    #[serde(default)]
    pub explain: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivenessSpec {
    pub from_ms: f64,
    pub within_ms: f64,
}

impl ScenarioFile {
    /// The document as exported: stamped with this build's behaviour,
    /// since the run it describes is this build's.
    pub fn exported(&self) -> ScenarioFile {
        ScenarioFile {
            behaviour: Some(super::BEHAVIOUR),
            ..self.clone()
        }
    }

    /// Whether it was exported under an older behaviour than this build's
    /// (its run may differ from the one that was shared).
    pub fn older_behaviour(&self) -> Option<super::behaviour::Older> {
        self.behaviour.and_then(super::behaviour::Older::of)
    }
}

fn default_duration() -> f64 {
    10_000.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimingSpec {
    pub election_timeout_ms: [f64; 2],
    pub heartbeat_ms: f64,
    pub latency_ms: [f64; 2],
    /// The bound on each server's clock drift: a server's clock runs at a
    /// rate drawn once (seeded) from [1 - drift, 1 + drift]; its timers and
    /// lease arithmetic follow it, the simulator's clock does not. 0 by
    /// default (perfect clocks, no draw).
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub clock_drift: f64,
}

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

impl Default for TimingSpec {
    fn default() -> Self {
        TimingSpec {
            election_timeout_ms: [150.0, 300.0],
            heartbeat_ms: 50.0,
            latency_ms: [10.0, 20.0],
            clock_drift: 0.0,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkSpec {
    pub drop: f64,
    pub duplicate: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsSpec {
    pub count: u32,
    #[serde(default = "default_think")]
    pub think_ms: [f64; 2],
    #[serde(default = "default_keys")]
    pub keys: u32,
    #[serde(default = "default_client_timeout")]
    pub timeout_ms: f64,
    /// How long a client waits for one server before trying the next.
    /// Default: the upper election timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_ms: Option<f64>,
    /// Clients start no new operation from this time on (default: never
    /// stop), so a run can end quiet and converged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_ms: Option<f64>,
}

fn default_think() -> [f64; 2] {
    [50.0, 150.0]
}
fn default_keys() -> u32 {
    3
}
fn default_client_timeout() -> f64 {
    1000.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftSpec {
    pub max_entries_per_append: u32,
    /// The most AppendEntries with entries in flight to one follower.
    pub max_inflight: u32,
    /// Planted bugs to switch on, by name (see `Bug::name`). Never set by
    /// default; the checkers must catch each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bugs: Vec<String>,
    /// PreVote (thesis §9.6). Off by default: a file without it replays
    /// as before.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pre_vote: bool,
    /// CheckQuorum and leader stickiness (thesis §6.2). Off by default.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub check_quorum: bool,
    /// How `get` is answered: `"log"` (default), `"read_index"` or
    /// `"lease"` (thesis §6.4).
    #[serde(skip_serializing_if = "is_log")]
    pub read: ReadMode,
    /// Log compaction (§7): each server snapshots once this many applied
    /// entries are in its log. 0 (the default): never.
    #[serde(skip_serializing_if = "is_zero")]
    pub snapshot_every: u64,
    /// InstallSnapshot's chunk: the most items (key-value pairs, client
    /// sessions, the configuration) one message carries.
    #[serde(skip_serializing_if = "is_default_chunk")]
    pub snapshot_chunk_entries: u64,
    /// How membership changes: `"joint"` (joint consensus, the default) or
    /// `"single"` (one server at a time).
    #[serde(skip_serializing_if = "is_joint")]
    pub membership: Membership,
}

fn is_joint(m: &Membership) -> bool {
    *m == Membership::Joint
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_default_chunk(v: &u64) -> bool {
    *v == DEFAULT_SNAPSHOT_CHUNK
}

fn is_log(r: &ReadMode) -> bool {
    *r == ReadMode::Log
}

impl Default for RaftSpec {
    fn default() -> Self {
        RaftSpec {
            max_entries_per_append: 64,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            bugs: Vec::new(),
            pre_vote: false,
            check_quorum: false,
            read: ReadMode::Log,
            snapshot_every: 0,
            snapshot_chunk_entries: DEFAULT_SNAPSHOT_CHUNK,
            membership: Membership::Joint,
        }
    }
}

/// One timed event. `at_ms` may be fractional. Read through a flat
/// record ([`raw::RawEvent`]): serde's own reading of a tagged enum
/// buffers every event and cost the page 10 KB.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "do",
    rename_all = "snake_case",
    deny_unknown_fields,
    try_from = "raw::RawEvent"
)]
pub enum EventSpec {
    Crash {
        at_ms: f64,
        node: NodeId,
    },
    Restart {
        at_ms: f64,
        node: NodeId,
    },
    /// Split the cluster; nodes not listed form one more group together.
    /// A group may name clients (`"c1"`): they reach only their group's
    /// servers. Clients not listed reach every server.
    Partition {
        at_ms: f64,
        groups: Vec<Vec<Endpoint>>,
    },
    /// Remove the partition and all one-way cuts.
    Heal {
        at_ms: f64,
    },
    /// Cut the one-way link `from` → `to` (servers, or a client and a
    /// server).
    Cut {
        at_ms: f64,
        from: Endpoint,
        to: Endpoint,
    },
    Uncut {
        at_ms: f64,
        from: Endpoint,
        to: Endpoint,
    },
    /// Force an election timeout on a node.
    Timeout {
        at_ms: f64,
        node: NodeId,
    },
    /// Ask the leader to hand leadership over to `to` (thesis §3.10).
    TransferLeader {
        at_ms: f64,
        to: NodeId,
    },
    /// Add server `node` to the configuration (thesis chapter 4): a new id
    /// (the next above every server so far) starts an empty server.
    AddServer {
        at_ms: f64,
        node: NodeId,
    },
    /// Remove server `node` (the leader too) from the configuration.
    RemoveServer {
        at_ms: f64,
        node: NodeId,
    },
    /// Flip production switches on every server from now on; those not
    /// given stay as they are.
    Set {
        at_ms: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pre_vote: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        check_quorum: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read: Option<ReadMode>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot_every: Option<u64>,
    },
    /// A client request; sent to `node` first if given, else to the leader
    /// the clients last heard of. `count` independent clients send it.
    Request {
        at_ms: f64,
        op: KvOp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Lose one message now in flight (by its trace id).
    DropMessage {
        at_ms: f64,
        id: u64,
    },
    /// Deliver one message now in flight a second time.
    DuplicateMessage {
        at_ms: f64,
        id: u64,
    },
    /// Change the network's loss, duplication or latency from now on.
    Network {
        at_ms: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drop: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duplicate: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latency_ms: Option<[f64; 2]>,
    },
}

impl EventSpec {
    pub fn at_ms(&self) -> f64 {
        match self {
            EventSpec::Crash { at_ms, .. }
            | EventSpec::Restart { at_ms, .. }
            | EventSpec::Partition { at_ms, .. }
            | EventSpec::Heal { at_ms }
            | EventSpec::Cut { at_ms, .. }
            | EventSpec::Uncut { at_ms, .. }
            | EventSpec::Timeout { at_ms, .. }
            | EventSpec::TransferLeader { at_ms, .. }
            | EventSpec::AddServer { at_ms, .. }
            | EventSpec::RemoveServer { at_ms, .. }
            | EventSpec::Set { at_ms, .. }
            | EventSpec::Request { at_ms, .. }
            | EventSpec::DropMessage { at_ms, .. }
            | EventSpec::DuplicateMessage { at_ms, .. }
            | EventSpec::Network { at_ms, .. } => *at_ms,
        }
    }

    /// How many clients this event creates (a `request` makes `count`
    /// one-shot clients; nothing else makes any).
    pub fn clients_added(&self) -> u64 {
        match self {
            EventSpec::Request { count, .. } => u64::from(count.unwrap_or(1)),
            _ => 0,
        }
    }
}

impl ScenarioFile {
    /// Every client the run will have: the closed-loop clients `c1..cK`,
    /// then each `request` event's one-shot clients, numbered in the order
    /// the requests fire. Partitions and cuts may name any of them.
    pub fn client_total(&self) -> u64 {
        let load = self.clients.as_ref().map_or(0, |c| u64::from(c.count));
        self.events
            .iter()
            .fold(load, |n, e| n.saturating_add(e.clients_added()))
    }
}

/// A node's starting persistent state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialNode {
    pub node: NodeId,
    #[serde(default)]
    pub current_term: Term,
    #[serde(default)]
    pub voted_for: Option<NodeId>,
    /// Log entries from index 1: a bare term is a no-op entry of that term.
    #[serde(default)]
    pub log: Vec<LogItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LogItem {
    Term(Term),
    Entry {
        term: Term,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op: Option<KvOp>,
    },
}

impl LogItem {
    fn term(&self) -> Term {
        match self {
            LogItem::Term(t) | LogItem::Entry { term: t, .. } => *t,
        }
    }
}

/// A validated action at a virtual time.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub at: Micros,
    pub what: ActionKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActionKind {
    Crash(NodeId),
    Restart(NodeId),
    Partition(Vec<Vec<Endpoint>>),
    Heal,
    Cut(Endpoint, Endpoint),
    Uncut(Endpoint, Endpoint),
    Timeout(NodeId),
    TransferLeader(NodeId),
    AddServer(NodeId),
    RemoveServer(NodeId),
    Set(Switches),
    Request {
        op: KvOp,
        node: Option<NodeId>,
        count: u32,
    },
    Network {
        drop: Option<f64>,
        duplicate: Option<f64>,
        latency: Option<(Micros, Micros)>,
    },
    DropMessage(u64),
    DuplicateMessage(u64),
}

/// Client load, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientLoad {
    pub count: u32,
    pub think: (Micros, Micros),
    pub keys: u32,
    pub timeout: Micros,
    pub retry: Micros,
    pub stop: Option<Micros>,
}

/// Starting persistent state, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct InitialState {
    pub current_term: Term,
    pub voted_for: Option<NodeId>,
    pub log: RaftLog,
}

/// A validated scenario, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub file: ScenarioFile,
    pub seed: u64,
    pub nodes: u32,
    pub election_timeout: (Micros, Micros),
    pub heartbeat: Micros,
    pub latency: (Micros, Micros),
    pub drop: f64,
    pub duplicate: f64,
    pub clients: Option<ClientLoad>,
    pub duration: Micros,
    /// Sorted by time; equal times keep file order. Shared: a simulator
    /// (and every checkpoint of it) reads them without a copy.
    pub actions: std::sync::Arc<[Action]>,
    /// Index id-1; `None`: a fresh node.
    pub initial: Vec<Option<InitialState>>,
    pub max_entries_per_append: u32,
    pub max_inflight: u32,
    pub bugs: Bugs,
    pub pre_vote: bool,
    pub check_quorum: bool,
    pub read: ReadMode,
    /// The clock drift bound in parts per million.
    pub clock_drift_ppm: u32,
    /// Snapshot every this many applied entries (0: never).
    pub snapshot_every: u64,
    /// InstallSnapshot's chunk, in items.
    pub snapshot_chunk: u64,
    pub membership: Membership,
}

/// A precise error: where in the document, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}
