//! Verification on top of the core: linearizability of client histories
//! (stateright's `LinearizabilityTester`), liveness after faults heal,
//! seeded fault simulation with shrinking, and model checking of the real
//! `RaftNode` with stateright.

pub mod fuzz;
pub mod jobs;
pub mod linearizability;
pub mod liveness;
pub mod model;
pub mod wgl;

pub use fuzz::{check_scenario, Failure, FailureKind};
