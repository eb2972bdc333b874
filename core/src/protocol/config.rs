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
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            max_entries_per_append: 64,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            bugs: Bugs::NONE,
        }
    }
}
