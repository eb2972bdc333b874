//! The node's tunables: what shapes the protocol, not its timing (the
//! caller owns the clock and picks every timer's length).

use super::bugs::Bugs;

/// The default in-flight window.
pub const DEFAULT_MAX_INFLIGHT: u32 = 8;

/// Tunables that shape the protocol (not its timing, which the caller owns).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftConfig {
    /// The most entries one AppendEntries carries.
    pub max_entries_per_append: u32,
    /// The most AppendEntries with entries in flight to one follower while
    /// replicating (etcd's `MaxInflightMsgs`): the window that bounds what
    /// a reordering or lossy network can waste.
    pub max_inflight: u32,
    /// Planted bugs (none in a correct node).
    pub bugs: Bugs,
    /// PreVote (thesis §9.6): ask for votes without raising the term first.
    pub pre_vote: bool,
    /// CheckQuorum and leader stickiness (thesis §6.2): a leader that did
    /// not hear from a majority within an election timeout steps down; a
    /// follower that hears from a leader ignores higher-term elections.
    pub check_quorum: bool,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            max_entries_per_append: 64,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            bugs: Bugs::NONE,
            pre_vote: false,
            check_quorum: false,
        }
    }
}
