//! What every protocol reports of a node for the trace's `end` event and
//! the page's `quorum.state()`: a leaf module, so the trace, the checkers
//! and the node seam can all read it without importing each other.

use crate::protocol::{Configuration, Entry, LogIndex, NodeId, Role, Term};
use serde::Serialize;

/// One node in the trace's final `end` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeStatus {
    pub id: NodeId,
    pub up: bool,
    pub role: Role,
    pub term: Term,
    pub voted_for: Option<NodeId>,
    pub commit_index: LogIndex,
    pub last_applied: LogIndex,
    /// Once it has compacted (§7): the snapshot's last index and term; `log`
    /// then holds the entries after it.
    #[serde(skip_serializing_if = "is_zero")]
    pub snapshot_index: LogIndex,
    #[serde(skip_serializing_if = "is_zero")]
    pub snapshot_term: Term,
    /// Its configuration, once it differs from the one the cluster
    /// booted with (membership changes, thesis chapter 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<Configuration>,
    pub log: Vec<Entry>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
