//! The protocol's vocabulary: ids, terms and indexes. A leaf module: it
//! imports nothing, so every other module can depend on it without cycles.

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
