//! The trace format: JSON Lines, one event per line in causal order. See
//! `docs/trace-format.md`. Every record has `t` (virtual microseconds) and
//! `ev`; field order is fixed by these types, so bytes are reproducible.
//! A trace file starts with a header line ([`write_header`]) naming the
//! simulator behaviour that produced it.

use super::network::{Blocked, Endpoint};
use super::status::NodeStatus;
use super::Micros;
use crate::protocol::{
    ClientId, ClientResponse, Command, Configuration, KvOp, LogIndex, NodeId, OpId, OpResult,
    ReadMode, Role, Term,
};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct TraceRecord<M> {
    pub t: Micros,
    #[serde(flatten)]
    pub ev: TraceEvent<M>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum TraceEvent<M> {
    /// A node's role or term changed, or it (re)started.
    Role {
        node: NodeId,
        role: Role,
        term: Term,
    },
    /// votedFor was set.
    Vote {
        node: NodeId,
        term: Term,
        #[serde(rename = "for")]
        voted_for: NodeId,
    },
    Send {
        id: u64,
        from: NodeId,
        to: NodeId,
        msg: M,
    },
    /// A client's request leaves for server `to`: a message like any
    /// other (its `deliver`, `drop` or `duplicate` names the same `id`).
    Request {
        id: u64,
        client: ClientId,
        to: NodeId,
        op_id: OpId,
        op: KvOp,
    },
    /// A server's answer leaves for client `client`.
    Reply {
        id: u64,
        from: NodeId,
        client: ClientId,
        op_id: OpId,
        response: ClientResponse,
    },
    /// The network will deliver message `id` twice.
    Duplicate {
        id: u64,
    },
    Deliver {
        id: u64,
    },
    /// Message `id` will never arrive; `why` says what lost it.
    Drop {
        id: u64,
        why: DropReason,
    },
    Append {
        node: NodeId,
        index: LogIndex,
        term: Term,
        op: Command,
    },
    Truncate {
        node: NodeId,
        from_index: LogIndex,
    },
    Commit {
        node: NodeId,
        index: LogIndex,
    },
    Apply {
        node: NodeId,
        index: LogIndex,
        term: Term,
        op: Command,
        result: Option<OpResult>,
    },
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    /// A forced election timeout (scenario or user action).
    Timeout {
        node: NodeId,
    },
    /// A `transfer_leader` action: the leader is asked to hand over to
    /// `to` (thesis §3.10).
    TransferLeader {
        to: NodeId,
    },
    /// An `add_server` action: server `node` is to join (a new id starts
    /// an empty server now); the leader carries the change out.
    AddServer {
        node: NodeId,
    },
    /// A `remove_server` action: server `node` is to leave.
    RemoveServer {
        node: NodeId,
    },
    /// Server `node`'s configuration in force changed (thesis chapter 4):
    /// a configuration entry was appended, truncated away or installed.
    Config {
        node: NodeId,
        config: Configuration,
    },
    /// A `set` action: production switches flipped for every server.
    Set {
        #[serde(skip_serializing_if = "Option::is_none")]
        pre_vote: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        check_quorum: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        read: Option<ReadMode>,
        #[serde(skip_serializing_if = "Option::is_none")]
        snapshot_every: Option<u64>,
    },
    /// Log compaction (§7): `node` snapshotted its state machine through
    /// `index` (whose entry has `term`) and dropped those entries.
    Snapshot {
        node: NodeId,
        index: LogIndex,
        term: Term,
    },
    /// InstallSnapshot (thesis Fig. 5.3): `node` replaced its state with
    /// the leader's snapshot through `index`; its log after it was `kept`
    /// or discarded.
    Install {
        node: NodeId,
        index: LogIndex,
        term: Term,
        kept: bool,
    },
    /// A leader began handing leadership to `to`, or (`null`) the
    /// transfer ended.
    Transfer {
        node: NodeId,
        to: Option<NodeId>,
    },
    /// A leader answers a `get` without the log (§6.4): at read index
    /// `index`, after heartbeat round `round`, or within its lease
    /// (`round` null).
    Read {
        node: NodeId,
        client: ClientId,
        op_id: OpId,
        index: LogIndex,
        round: Option<u64>,
    },
    Partition {
        groups: Vec<Vec<Endpoint>>,
    },
    Heal,
    Cut {
        from: Endpoint,
        to: Endpoint,
    },
    Uncut {
        from: Endpoint,
        to: Endpoint,
    },
    Network {
        drop: f64,
        duplicate: f64,
        latency_ms: [f64; 2],
    },
    Invoke {
        client: ClientId,
        op_id: OpId,
        op: KvOp,
    },
    Return {
        client: ClientId,
        op_id: OpId,
        /// When the operation was invoked (so latency = t - invoked).
        invoked: Micros,
        result: OpResult,
    },
    /// A safety checker fired (only when checks are on).
    Violation {
        property: crate::sim::check::Property,
        nodes: Vec<NodeId>,
        index: Option<LogIndex>,
        terms: Vec<Term>,
        message: String,
    },
    End {
        nodes: Vec<NodeStatus>,
    },
}

impl<M> TraceEvent<M> {
    /// The id of the message this record puts on the wire: a server's
    /// `send`, a client's `request` or a server's `reply`.
    pub fn sent_id(&self) -> Option<u64> {
        match self {
            TraceEvent::Send { id, .. }
            | TraceEvent::Request { id, .. }
            | TraceEvent::Reply { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// Why a message was lost. Serialised as today's trace strings: "loss",
/// "partition", "cut", "crashed", "user".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DropReason {
    /// The network's random loss (`network.drop`).
    Loss,
    /// Sender and receiver are in different partition groups.
    Partition,
    /// The one-way link from sender to receiver is cut.
    Cut,
    /// The receiver was down when the message arrived.
    Crashed,
    /// A `drop_message` event (a scenario's or a user's click).
    User,
}

impl DropReason {
    /// The `why` of a trace `drop` event.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::Cut => "cut",
            DropReason::Crashed => "crashed",
            DropReason::User => "user",
        }
    }
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Blocked> for DropReason {
    fn from(b: Blocked) -> Self {
        match b {
            Blocked::Partition => DropReason::Partition,
            Blocked::Cut => DropReason::Cut,
        }
    }
}

/// The header line every trace file starts with:
/// `{"t":0,"ev":"header","behaviour":2}`. Not a simulator event (the
/// simulator's records never include it): whoever writes a trace file
/// writes it first.
pub fn write_header(buf: &mut String) {
    #[derive(Serialize)]
    struct Header {
        t: Micros,
        ev: &'static str,
        behaviour: u32,
    }
    let h = Header {
        t: 0,
        ev: "header",
        behaviour: super::BEHAVIOUR,
    };
    if let Ok(s) = serde_json::to_string(&h) {
        buf.push_str(&s);
    }
    buf.push('\n');
}

/// Appends one record and a newline.
pub fn write_line<M: Serialize>(buf: &mut String, r: &TraceRecord<M>) {
    // Serializing these types cannot fail: no maps with non-string keys.
    if let Ok(s) = serde_json::to_string(r) {
        buf.push_str(&s);
    }
    buf.push('\n');
}
