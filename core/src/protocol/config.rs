//! The node's tunables: what shapes the protocol, not its timing (the
//! caller owns the clock and picks every timer's length).

use super::bugs::Bugs;

/// Tunables that shape the protocol (not its timing, which the caller owns).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftConfig {
    /// The most entries one AppendEntries carries.
    pub max_entries_per_append: u32,
    /// Planted bugs (none in a correct node).
    pub bugs: Bugs,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            max_entries_per_append: 64,
            bugs: Bugs::NONE,
        }
    }
}
