//! The scenario format (JSON, versioned). See `docs/scenario-format.md`.
//!
//! [`ScenarioFile`] is the document as written by hand (and by the UI, which
//! appends events); [`Scenario::parse`] validates it into a [`Scenario`] with
//! times in integer microseconds. Every error names the path of the bad
//! value; nothing here panics on input.

use super::Micros;
use crate::protocol::{Bug, Bugs, Command, Entry, KvOp, NodeId, RaftLog, Term};
use serde::{Deserialize, Serialize};
use std::fmt;

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
pub const MAX_CAPTIONS: usize = 200;
pub const MAX_CAPTION_LEN: usize = 1000;
pub const MAX_CHOICES: usize = 6;

/// The whole scenario document, field names as in the format's contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub version: u32,
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

fn default_duration() -> f64 {
    10_000.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimingSpec {
    pub election_timeout_ms: [f64; 2],
    pub heartbeat_ms: f64,
    pub latency_ms: [f64; 2],
}

impl Default for TimingSpec {
    fn default() -> Self {
        TimingSpec {
            election_timeout_ms: [150.0, 300.0],
            heartbeat_ms: 50.0,
            latency_ms: [10.0, 20.0],
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
    /// Planted bugs to switch on, by name (see `Bug::name`). Never set by
    /// default; the checkers must catch each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bugs: Vec<String>,
}

impl Default for RaftSpec {
    fn default() -> Self {
        RaftSpec {
            max_entries_per_append: 64,
            bugs: Vec::new(),
        }
    }
}

/// One timed event. `at_ms` may be fractional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
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
    Partition {
        at_ms: f64,
        groups: Vec<Vec<NodeId>>,
    },
    /// Remove the partition and all one-way cuts.
    Heal {
        at_ms: f64,
    },
    Cut {
        at_ms: f64,
        from: NodeId,
        to: NodeId,
    },
    Uncut {
        at_ms: f64,
        from: NodeId,
        to: NodeId,
    },
    /// Force an election timeout on a node.
    Timeout {
        at_ms: f64,
        node: NodeId,
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
            | EventSpec::Request { at_ms, .. }
            | EventSpec::DropMessage { at_ms, .. }
            | EventSpec::DuplicateMessage { at_ms, .. }
            | EventSpec::Network { at_ms, .. } => *at_ms,
        }
    }
}

impl EventSpec {
    /// Validate this event for an `n`-node cluster; `p` is its path for
    /// error messages (e.g. `events[3]`).
    pub fn validate(&self, p: &str, n: u32) -> Result<Action, ScenarioError> {
        let e = self;
        let at = ms_to_us(&format!("{p}.at_ms"), e.at_ms(), MAX_DURATION_MS)?;
        let what = match e {
            EventSpec::Crash { node, .. } => {
                ActionKind::Crash(node_in(&format!("{p}.node"), *node, n)?)
            }
            EventSpec::Restart { node, .. } => {
                ActionKind::Restart(node_in(&format!("{p}.node"), *node, n)?)
            }
            EventSpec::Timeout { node, .. } => {
                ActionKind::Timeout(node_in(&format!("{p}.node"), *node, n)?)
            }
            EventSpec::Partition { groups, .. } => {
                let mut seen = vec![false; n as usize];
                if groups.is_empty() {
                    return err(format!("{p}.groups"), "needs at least one group");
                }
                for (g, group) in groups.iter().enumerate() {
                    if group.is_empty() {
                        return err(format!("{p}.groups[{g}]"), "is empty");
                    }
                    for (k, &id) in group.iter().enumerate() {
                        let q = format!("{p}.groups[{g}][{k}]");
                        node_in(&q, id, n)?;
                        let s = &mut seen[id as usize - 1];
                        if *s {
                            return err(q, format!("node {id} is in more than one group"));
                        }
                        *s = true;
                    }
                }
                ActionKind::Partition(groups.clone())
            }
            EventSpec::Heal { .. } => ActionKind::Heal,
            EventSpec::DropMessage { id, .. } => ActionKind::DropMessage(*id),
            EventSpec::DuplicateMessage { id, .. } => ActionKind::DuplicateMessage(*id),
            EventSpec::Cut { from, to, .. } | EventSpec::Uncut { from, to, .. } => {
                let f = node_in(&format!("{p}.from"), *from, n)?;
                let t = node_in(&format!("{p}.to"), *to, n)?;
                if f == t {
                    return err(format!("{p}.to"), "a link joins two different nodes");
                }
                if matches!(e, EventSpec::Cut { .. }) {
                    ActionKind::Cut(f, t)
                } else {
                    ActionKind::Uncut(f, t)
                }
            }
            EventSpec::Request {
                op, node, count, ..
            } => {
                check_op(&format!("{p}.op"), op)?;
                let node = match node {
                    Some(id) => Some(node_in(&format!("{p}.node"), *id, n)?),
                    None => None,
                };
                let count = count.unwrap_or(1);
                if count == 0 || count > MAX_REQUEST_COUNT {
                    return err(
                        format!("{p}.count"),
                        format!("{count} is out of range 1..={MAX_REQUEST_COUNT}"),
                    );
                }
                ActionKind::Request {
                    op: op.clone(),
                    node,
                    count,
                }
            }
            EventSpec::Network {
                drop,
                duplicate,
                latency_ms,
                ..
            } => ActionKind::Network {
                drop: drop
                    .map(|d| probability(&format!("{p}.drop"), d))
                    .transpose()?,
                duplicate: duplicate
                    .map(|d| probability(&format!("{p}.duplicate"), d))
                    .transpose()?,
                latency: latency_ms
                    .map(|l| range_us(&format!("{p}.latency_ms"), l, 0.0))
                    .transpose()?,
            },
        };
        Ok(Action { at, what })
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
    Partition(Vec<Vec<NodeId>>),
    Heal,
    Cut(NodeId, NodeId),
    Uncut(NodeId, NodeId),
    Timeout(NodeId),
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
    /// Sorted by time; equal times keep file order.
    pub actions: Vec<Action>,
    /// Index id-1; `None`: a fresh node.
    pub initial: Vec<Option<InitialState>>,
    pub max_entries_per_append: u32,
    pub bugs: Bugs,
}

fn text_ok(path: String, text: &str) -> Result<(), ScenarioError> {
    if text.len() > MAX_CAPTION_LEN {
        return err(
            path,
            format!("is {} bytes; the limit is {MAX_CAPTION_LEN}", text.len()),
        );
    }
    Ok(())
}

/// Captions and questions: counts, lengths, times, and a right answer
/// that is one of the choices.
fn validate_lesson(file: &ScenarioFile) -> Result<(), ScenarioError> {
    if file.captions.len() > MAX_CAPTIONS {
        return err(
            "captions",
            format!(
                "{} captions; the limit is {MAX_CAPTIONS}",
                file.captions.len()
            ),
        );
    }
    if file.questions.len() > MAX_CAPTIONS {
        return err(
            "questions",
            format!(
                "{} questions; the limit is {MAX_CAPTIONS}",
                file.questions.len()
            ),
        );
    }
    for (i, c) in file.captions.iter().enumerate() {
        ms_to_us(&format!("captions[{i}].at_ms"), c.at_ms, MAX_DURATION_MS)?;
        text_ok(format!("captions[{i}].text"), &c.text)?;
    }
    for (i, q) in file.questions.iter().enumerate() {
        let p = format!("questions[{i}]");
        ms_to_us(&format!("{p}.at_ms"), q.at_ms, MAX_DURATION_MS)?;
        text_ok(format!("{p}.question"), &q.question)?;
        text_ok(format!("{p}.explain"), &q.explain)?;
        if q.choices.len() < 2 || q.choices.len() > MAX_CHOICES {
            return err(
                format!("{p}.choices"),
                format!(
                    "{} choices; a question has 2..={MAX_CHOICES}",
                    q.choices.len()
                ),
            );
        }
        for (k, c) in q.choices.iter().enumerate() {
            text_ok(format!("{p}.choices[{k}]"), c)?;
        }
        if q.answer >= q.choices.len() {
            return err(
                format!("{p}.answer"),
                format!(
                    "{} is not one of the {} choices (they count from 0)",
                    q.answer,
                    q.choices.len()
                ),
            );
        }
    }
    Ok(())
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

fn err<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, ScenarioError> {
    Err(ScenarioError {
        path: path.into(),
        message: message.into(),
    })
}

/// Milliseconds (maybe fractional) to integer microseconds, within `0..=max_ms`.
pub fn ms_to_us(path: &str, ms: f64, max_ms: f64) -> Result<Micros, ScenarioError> {
    if !ms.is_finite() {
        return err(path, "must be a finite number of milliseconds");
    }
    if ms < 0.0 {
        return err(path, format!("{ms} is negative"));
    }
    if ms > max_ms {
        return err(path, format!("{ms} ms is over the limit of {max_ms} ms"));
    }
    // Exact IEEE multiply and round; no libm.
    Ok((ms * 1000.0).round() as Micros)
}

fn range_us(path: &str, r: [f64; 2], min_ms: f64) -> Result<(Micros, Micros), ScenarioError> {
    let lo = ms_to_us(&format!("{path}[0]"), r[0], MAX_PARAM_MS)?;
    let hi = ms_to_us(&format!("{path}[1]"), r[1], MAX_PARAM_MS)?;
    if r[0] < min_ms {
        return err(
            format!("{path}[0]"),
            format!("must be at least {min_ms} ms"),
        );
    }
    if lo > hi {
        return err(path, format!("the range [{}, {}] is reversed", r[0], r[1]));
    }
    Ok((lo, hi))
}

fn probability(path: &str, p: f64) -> Result<f64, ScenarioError> {
    if !p.is_finite() || !(0.0..=1.0).contains(&p) {
        return err(path, format!("{p} is not a probability in [0, 1]"));
    }
    Ok(p)
}

fn node_in(path: &str, id: NodeId, n: u32) -> Result<NodeId, ScenarioError> {
    if id == 0 || id > n {
        return err(
            path,
            format!("{id} is not a node of a {n}-node cluster (nodes are 1..={n})"),
        );
    }
    Ok(id)
}

fn check_op(path: &str, op: &KvOp) -> Result<(), ScenarioError> {
    let (key, values): (&str, Vec<(&str, &str)>) = match op {
        KvOp::Put { key, value } => (key, vec![("value", value)]),
        KvOp::Get { key } => (key, vec![]),
        KvOp::Cas { key, expect, value } => {
            let mut v = vec![("value", &**value)];
            if let Some(e) = expect {
                v.push(("expect", e));
            }
            (key, v)
        }
    };
    if key.len() > MAX_KEY_LEN {
        return err(
            format!("{path}.key"),
            format!("is {} bytes; the limit is {MAX_KEY_LEN}", key.len()),
        );
    }
    for (name, v) in values {
        if v.len() > MAX_VALUE_LEN {
            return err(
                format!("{path}.{name}"),
                format!("is {} bytes; the limit is {MAX_VALUE_LEN}", v.len()),
            );
        }
    }
    Ok(())
}

impl Scenario {
    /// Parse and validate a scenario document.
    pub fn parse(json: &str) -> Result<Scenario, ScenarioError> {
        if json.len() > MAX_INPUT_BYTES {
            return err(
                "",
                format!(
                    "the document is {} bytes; the limit is {MAX_INPUT_BYTES}",
                    json.len()
                ),
            );
        }
        if !json.trim_start().starts_with('{') {
            return err(
                "",
                "a scenario is a JSON object: {\"version\": 1, \"nodes\": 3, ...}",
            );
        }
        let de = &mut serde_json::Deserializer::from_str(json);
        let file: ScenarioFile = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let mut path = e.path().to_string();
            if path.len() > 100 {
                // Deeply nested junk: keep the start, which says where it is.
                let cut = (0..=100)
                    .rev()
                    .find(|&i| path.is_char_boundary(i))
                    .unwrap_or(0);
                path.truncate(cut);
                path.push('…');
            }
            ScenarioError {
                path: if path == "." || path == "?" {
                    String::new()
                } else {
                    path
                },
                message: e.into_inner().to_string(),
            }
        })?;
        de.end().map_err(|e| ScenarioError {
            path: String::new(),
            message: format!("trailing characters after the scenario: {e}"),
        })?;
        Scenario::from_file(file)
    }

    /// Validate a document already in memory (the UI builds these).
    pub fn from_file(file: ScenarioFile) -> Result<Scenario, ScenarioError> {
        if file.version != FORMAT_VERSION {
            return err(
                "version",
                format!(
                    "version {} is not supported (this build reads version {FORMAT_VERSION})",
                    file.version
                ),
            );
        }
        if file.name.len() > MAX_NAME_LEN {
            return err(
                "name",
                format!("is {} bytes; the limit is {MAX_NAME_LEN}", file.name.len()),
            );
        }
        if file.description.len() > MAX_DESCRIPTION_LEN {
            return err(
                "description",
                format!(
                    "is {} bytes; the limit is {MAX_DESCRIPTION_LEN}",
                    file.description.len()
                ),
            );
        }
        let n = file.nodes;
        if n == 0 || n > MAX_NODES {
            return err(
                "nodes",
                format!("{n} is out of range: a cluster has 1..={MAX_NODES} nodes"),
            );
        }
        let t = &file.timing;
        let election_timeout = range_us("timing.election_timeout_ms", t.election_timeout_ms, 1.0)?;
        let heartbeat = ms_to_us("timing.heartbeat_ms", t.heartbeat_ms, MAX_PARAM_MS)?;
        if t.heartbeat_ms < 1.0 {
            return err("timing.heartbeat_ms", "must be at least 1 ms");
        }
        let latency = range_us("timing.latency_ms", t.latency_ms, 0.0)?;
        let drop = probability("network.drop", file.network.drop)?;
        let duplicate = probability("network.duplicate", file.network.duplicate)?;
        let duration = ms_to_us("duration_ms", file.duration_ms, MAX_DURATION_MS)?;

        let clients = match &file.clients {
            None => None,
            Some(c) => {
                if c.count > MAX_CLIENTS {
                    return err(
                        "clients.count",
                        format!("{} is over the limit of {MAX_CLIENTS}", c.count),
                    );
                }
                if c.keys == 0 || c.keys > MAX_KEYS {
                    return err(
                        "clients.keys",
                        format!("{} is out of range 1..={MAX_KEYS}", c.keys),
                    );
                }
                let think = range_us("clients.think_ms", c.think_ms, 0.0)?;
                let timeout = ms_to_us("clients.timeout_ms", c.timeout_ms, MAX_PARAM_MS)?;
                if c.timeout_ms < 1.0 {
                    return err("clients.timeout_ms", "must be at least 1 ms");
                }
                let retry = match c.retry_ms {
                    Some(r) => {
                        if r < 1.0 {
                            return err("clients.retry_ms", "must be at least 1 ms");
                        }
                        ms_to_us("clients.retry_ms", r, MAX_PARAM_MS)?
                    }
                    None => election_timeout.1,
                };
                let stop = c
                    .stop_ms
                    .map(|v| ms_to_us("clients.stop_ms", v, MAX_DURATION_MS))
                    .transpose()?;
                Some(ClientLoad {
                    stop,
                    count: c.count,
                    think,
                    keys: c.keys,
                    timeout,
                    retry,
                })
            }
        };

        if let Some(l) = &file.liveness {
            ms_to_us("liveness.from_ms", l.from_ms, MAX_DURATION_MS)?;
            ms_to_us("liveness.within_ms", l.within_ms, MAX_DURATION_MS)?;
        }
        let batch = file.raft.max_entries_per_append;
        if batch == 0 || batch > MAX_BATCH {
            return err(
                "raft.max_entries_per_append",
                format!("{batch} is out of range 1..={MAX_BATCH}"),
            );
        }

        let mut bugs = Bugs::NONE;
        for (i, name) in file.raft.bugs.iter().enumerate() {
            match Bug::from_name(name) {
                Some(b) => bugs = bugs.with(b),
                None => {
                    let known: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
                    return err(
                        format!("raft.bugs[{i}]"),
                        format!(
                            "unknown bug `{name}`; the planted bugs are {}",
                            known.join(", ")
                        ),
                    );
                }
            }
        }

        validate_lesson(&file)?;
        if file.events.len() > MAX_EVENTS {
            return err(
                "events",
                format!("{} events; the limit is {MAX_EVENTS}", file.events.len()),
            );
        }
        let mut actions = Vec::with_capacity(file.events.len());
        for (i, e) in file.events.iter().enumerate() {
            actions.push(e.validate(&format!("events[{i}]"), n)?);
        }
        // Stable: equal times keep the file's order.
        actions.sort_by_key(|a| a.at);

        let mut initial: Vec<Option<InitialState>> = vec![None; n as usize];
        for (i, init) in file.initial.iter().enumerate() {
            let p = format!("initial[{i}]");
            let id = node_in(&format!("{p}.node"), init.node, n)?;
            if initial[id as usize - 1].is_some() {
                return err(format!("{p}.node"), format!("node {id} is given twice"));
            }
            if init.current_term > MAX_TERM {
                return err(
                    format!("{p}.current_term"),
                    format!("is over the limit of {MAX_TERM}"),
                );
            }
            if let Some(v) = init.voted_for {
                node_in(&format!("{p}.voted_for"), v, n)?;
            }
            if init.log.len() > MAX_INITIAL_LOG {
                return err(
                    format!("{p}.log"),
                    format!("{} entries; the limit is {MAX_INITIAL_LOG}", init.log.len()),
                );
            }
            let mut entries = Vec::with_capacity(init.log.len());
            let mut prev = 0;
            for (k, item) in init.log.iter().enumerate() {
                let q = format!("{p}.log[{k}]");
                let term = item.term();
                if term == 0 {
                    return err(q, "entry terms start at 1");
                }
                if term < prev {
                    return err(
                        q,
                        format!(
                            "term {term} follows term {prev}: terms along a log never decrease"
                        ),
                    );
                }
                if term > init.current_term {
                    return err(
                        q,
                        format!(
                            "term {term} is above the node's current_term {}",
                            init.current_term
                        ),
                    );
                }
                prev = term;
                let cmd = match item {
                    LogItem::Entry { op: Some(op), .. } => {
                        check_op(&format!("{q}.op"), op)?;
                        Command::kv(op.clone(), None)
                    }
                    _ => Command::Noop,
                };
                entries.push(Entry { term, cmd });
            }
            initial[id as usize - 1] = Some(InitialState {
                current_term: init.current_term,
                voted_for: init.voted_for,
                log: RaftLog::from_entries(entries),
            });
        }

        Ok(Scenario {
            seed: file.seed,
            nodes: n,
            election_timeout,
            heartbeat,
            latency,
            drop,
            duplicate,
            clients,
            duration,
            actions,
            initial,
            max_entries_per_append: batch,
            bugs,
            file,
        })
    }
}
