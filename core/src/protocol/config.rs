//! The node's tunables: what shapes the protocol, not its timing (the
//! caller owns the clock and picks every timer's length).

use super::bugs::Bugs;
use serde::{Deserialize, Serialize};

/// How the leader answers a `get` (thesis §6.4).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// Through the log, like any command (§8): simple, and one log entry
    /// and one commit round per read.
    #[default]
    Log,
    /// ReadIndex (§6.4): note commitIndex, confirm leadership with one
    /// heartbeat round, then answer once lastApplied reaches it.
    ReadIndex,
    /// Lease reads (§6.4.1): answer at once while a majority's recent
    /// acknowledgements guarantee no other leader can exist yet; this
    /// trusts the clocks' drift bound.
    Lease,
}

impl ReadMode {
    pub const ALL: [ReadMode; 3] = [ReadMode::Log, ReadMode::ReadIndex, ReadMode::Lease];

    /// The name used in scenarios (`"raft": {"read": "lease"}`).
    pub fn name(self) -> &'static str {
        match self {
            ReadMode::Log => "log",
            ReadMode::ReadIndex => "read_index",
            ReadMode::Lease => "lease",
        }
    }
}

/// How membership changes (thesis chapter 4).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    /// Joint consensus (paper §6, thesis §4.3): C_old,new, decided by
    /// majorities of both, then C_new.
    #[default]
    Joint,
    /// One server at a time (thesis §4.1-4.3): any two majorities of
    /// configurations one server apart overlap.
    Single,
}

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
    /// How `get` is answered (§6.4).
    pub read: ReadMode,
    /// Lease reads: the shortest election timeout, in this server's own
    /// clock (µs). A follower that heard from the leader ignores other
    /// candidates at least this long (§6.2 stickiness), which is what a
    /// lease stands on.
    pub lease_timeout: u64,
    /// The bound on every server's clock drift, in parts per million: a
    /// clock runs at a rate within [1 - drift, 1 + drift] of real time.
    pub clock_drift_ppm: u32,
    /// Log compaction (§7): snapshot once this many applied entries are
    /// in the log (0: never).
    pub snapshot_every: u64,
    /// InstallSnapshot: the most items (key-value pairs, sessions, the
    /// configuration) one chunk carries.
    pub snapshot_chunk: u64,
    /// How membership changes.
    pub membership: Membership,
}

/// The default InstallSnapshot chunk, in items.
pub const DEFAULT_SNAPSHOT_CHUNK: u64 = 16;

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            max_entries_per_append: 64,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            bugs: Bugs::NONE,
            pre_vote: false,
            check_quorum: false,
            read: ReadMode::Log,
            lease_timeout: 0,
            clock_drift_ppm: 0,
            snapshot_every: 0,
            snapshot_chunk: DEFAULT_SNAPSHOT_CHUNK,
            membership: Membership::Joint,
        }
    }
}

/// The production switches a scenario may flip mid-run (`{"do":"set"}`):
/// each given one changes, the others stay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switches {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_vote: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_quorum: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<ReadMode>,
    /// Log compaction (§7): snapshot every this many applied entries (0:
    /// never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_every: Option<u64>,
}
