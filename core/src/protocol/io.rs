//! The node's inputs and outputs: the whole interface between a protocol
//! node and whatever drives it (the simulator, a model checker, a test).

use super::kv::{Command, KvOp, OpResult};
use super::quorum::{ConfChange, Configuration};
use super::types::{ClientId, LogIndex, NodeId, OpId, Term};
use serde::Serialize;

/// A server's role (§5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// The timers a node may ask its caller to run. The caller chooses each
/// length (the election timeout is drawn from the seeded RNG, §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    Election,
    Heartbeat,
    /// A leadership transfer gives up when this runs out (an election
    /// timeout, thesis §3.10).
    Transfer,
}

impl Timer {
    pub const ALL: [Timer; 3] = [Timer::Election, Timer::Heartbeat, Timer::Transfer];

    pub fn slot(self) -> usize {
        match self {
            Timer::Election => 0,
            Timer::Heartbeat => 1,
            Timer::Transfer => 2,
        }
    }
}

/// One input to a node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Input<M> {
    /// A message from another server.
    Message { from: NodeId, msg: M },
    /// A timer the node asked for has expired. `Timeout(Election)` also
    /// serves as the "force an election timeout" action.
    Timeout(Timer),
    /// A client asks this node to run an operation. `first_unacked` is
    /// the lowest op id the client has not yet had an answer to (or given
    /// up on): the servers may forget the results of all before it
    /// (thesis §6.3).
    Propose {
        client: ClientId,
        op_id: OpId,
        op: KvOp,
        first_unacked: OpId,
    },
    /// Hand leadership to `to` (thesis §3.10). Only a leader acts on it.
    TransferLeadership { to: NodeId },
    /// An administrator asks for a membership change (thesis chapter 4):
    /// a leader that can start it does; anyone else ignores it.
    ChangeConfig(ConfChange),
}

/// The node's answer to a client's proposal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientResponse {
    /// The operation was committed and applied; this is its result.
    Done { result: OpResult },
    /// Only the leader accepts commands (§8); `hint` is the leader this node
    /// knows of, if any.
    NotLeader { hint: Option<NodeId> },
}

/// One output of a node. Each persistent-state change is reported, so a
/// caller can trace, check and animate it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Output<M> {
    Send {
        to: NodeId,
        msg: M,
    },
    /// The role or currentTerm changed (or the node just started).
    Role {
        role: Role,
        term: Term,
    },
    /// votedFor was set (persistent).
    Vote {
        term: Term,
        voted_for: NodeId,
    },
    /// An entry was appended to the log (persistent).
    Append {
        index: LogIndex,
        term: Term,
        cmd: Command,
    },
    /// Entries from `from` on were deleted (persistent, §5.3).
    Truncate {
        from: LogIndex,
    },
    /// commitIndex advanced to `index`.
    Commit {
        index: LogIndex,
    },
    /// The entry at `index` was applied to the state machine; `result` is
    /// `None` for a no-op. `fresh`: the command ran (not a no-op, and not
    /// answered from its client's session as a retry already run).
    Apply {
        index: LogIndex,
        term: Term,
        cmd: Command,
        result: Option<OpResult>,
        fresh: bool,
    },
    /// Log compaction (§7): a snapshot now covers the log up to `index`
    /// (its entry has `term`), and those entries are gone from the log.
    Snapshot {
        index: LogIndex,
        term: Term,
    },
    /// InstallSnapshot (thesis Fig. 5.3): the leader's snapshot through
    /// `index` replaced the state machine; the log after it was `kept`
    /// (its entry at `index` had `term`) or discarded.
    Install {
        index: LogIndex,
        term: Term,
        kept: bool,
    },
    /// An answer for a client.
    Reply {
        client: ClientId,
        op_id: OpId,
        response: ClientResponse,
    },
    /// A leadership transfer began (`Some(target)`) or ended (`None`:
    /// TimeoutNow went out and the leader stepped down, or it gave up).
    Transfer {
        to: Option<NodeId>,
    },
    /// A `get` is answered without the log (§6.4): at `index` (the
    /// read index), after heartbeat round `round` confirms leadership, or
    /// at once within the leader's lease (`round` is `None`).
    Read {
        client: ClientId,
        op_id: OpId,
        index: LogIndex,
        round: Option<u64>,
    },
    /// The configuration in force changed (a configuration entry was
    /// appended, truncated away or installed with a snapshot).
    Config {
        config: Configuration,
    },
    /// Start (or restart) this timer; the caller picks its length.
    SetTimer(Timer),
    /// Stop this timer.
    ClearTimer(Timer),
}
