//! The `protocol` layer: a Raft node as a sans-IO state machine.
//!
//! Inputs are messages, timer expiries and client proposals ([`Input`]);
//! outputs are messages, persistent-state changes, timer requests and applied
//! entries ([`Output`]). No clock, no RNG, no IO: the caller owns all three.
//!
//! The parts, as in etcd-raft: `types` (ids, terms, indexes: a
//! leaf), `message` (the RPCs of Fig. 2), `log` (the replicated log and its
//! §5.3/§5.4.1 rules), `quorum` (majority math), `progress` (the leader's
//! nextIndex/matchIndex per follower), `bugs` and `config` (the node's
//! options), `kv` (the state machine), `snapshot` (log compaction, §7),
//! `io` (inputs and outputs) and `node` (the step function that ties them
//! together).

mod bugs;
mod config;
mod io;
mod kv;
mod log;
mod message;
mod node;
mod progress;
mod quorum;
mod snapshot;
mod types;

pub use bugs::{Bug, Bugs};
pub use config::{
    Membership, RaftConfig, ReadMode, Switches, DEFAULT_MAX_INFLIGHT, DEFAULT_SNAPSHOT_CHUNK,
};
pub use io::{ClientResponse, Input, Output, Role, Timer};
pub use kv::{Command, KvCommand, KvOp, KvStore, OpResult, Session, Text};
pub use log::{Conflict, Entry, RaftLog};
pub use message::{
    AppendEntries, AppendEntriesReply, InstallSnapshot, InstallSnapshotReply, Message, RequestVote,
    RequestVoteReply, TimeoutNow,
};
pub use node::RaftNode;
pub use progress::{Progress, ProgressState};
pub use quorum::{ConfChange, Configuration, VoteResult};
pub use snapshot::{Snapshot, SnapshotRef};
pub use types::{ClientId, LogIndex, NodeId, OpId, Term};
