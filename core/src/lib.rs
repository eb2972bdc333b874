//! Quorum's core: the Raft protocol as a pure state machine (`protocol`) and
//! the deterministic simulator that runs a cluster of them (`sim`).
//!
//! Dependencies point one way: `protocol ← sim`. Neither layer touches a
//! clock, the OS or the web; the simulator's only randomness is one seeded
//! ChaCha8 stream, so a scenario gives the same trace on every platform.

pub mod protocol;
pub mod sim;
pub mod util;
