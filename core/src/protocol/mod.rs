//! The `protocol` layer: a Raft node as a sans-IO state machine.
//!
//! Inputs are messages, timer expiries and client proposals ([`Input`]);
//! outputs are messages, persistent-state changes, timer requests and applied
//! entries ([`Output`]). No clock, no RNG, no IO: the caller owns all three.

mod io;
mod kv;
mod log;
mod message;
mod node;

pub use io::{ClientResponse, Input, Output, Role, Timer};
pub use kv::{Command, KvCommand, KvOp, KvStore, OpResult, Session, Text};
pub use log::{Entry, RaftLog};
pub use message::Message;
pub use node::{Bug, Bugs, Configuration, Progress, RaftConfig, RaftNode};

/// A server's id. Servers are numbered 1..=N as in the paper.
pub type NodeId = u32;
/// A Raft term (§5.1).
pub type Term = u64;
/// A log index; the first entry has index 1, 0 means "before the log".
pub type LogIndex = u64;
/// A client's id.
pub type ClientId = u64;
/// A per-client operation number; with the client id it names an operation.
pub type OpId = u64;
