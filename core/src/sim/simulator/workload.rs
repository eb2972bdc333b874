//! Closed-loop clients: pick an operation, find the leader, retry on "not
//! leader" and on silence, give up after a timeout (the operation is then
//! indeterminate), think, repeat.

use super::Micros;
use crate::protocol::{ClientId, KvOp, NodeId, OpId, Text};

/// Load from the scenario's `clients` block (validated).
pub type ClientSpec = super::scenario::ClientLoad;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ClientState {
    Thinking,
    Waiting {
        op_id: OpId,
        op: KvOp,
        /// Current attempt number: stale retry timers carry older ones.
        attempt: u64,
        /// When the operation was invoked.
        invoked: Micros,
    },
    /// A one-shot client (a `request` event) that has finished.
    Done,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Client {
    pub id: ClientId,
    /// Issues one operation only (from a `request` event).
    pub one_shot: Option<KvOp>,
    pub target: NodeId,
    pub next_op: OpId,
    pub state: ClientState,
    /// The value this client last wrote or read per key index, for `cas`.
    pub last_seen: Vec<Option<Text>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ClientTimer {
    /// Thinking is over: start the next operation.
    Think,
    /// No answer from the current server: try the next one (tag = attempt).
    Retry,
    /// Back-off after "not leader" without a hint: resend (tag = attempt).
    Resend,
    /// Give up on the operation (tag = op id).
    Deadline,
}

pub(crate) fn next_node(n: u32, id: NodeId) -> NodeId {
    id % n + 1
}

pub(crate) const BACKOFF_CAP: Micros = 1_000_000;
