//! The `sim` layer: a whole cluster in virtual time.
//!
//! A virtual clock in integer microseconds, an event queue with a
//! deterministic tie-break (time, then insertion order), one seeded ChaCha8
//! stream for every random choice, a network model, closed-loop clients,
//! faults, and the scenario and trace formats. Pure Rust: the same scenario
//! gives the same trace bytes natively and in wasm32.

pub mod behaviour;
pub mod check;
pub mod describe;
pub mod lab;
pub mod library;
pub mod link;
mod network;
mod node;
mod rng;
pub mod scenario;
mod simulator;
mod status;
pub mod timeline;
pub mod trace;

pub use behaviour::BEHAVIOUR;
pub use check::{Checker, Property, Violation};
pub use describe::Wire;
pub use lab::{Lab, LabState};
pub use network::{Endpoint, Network};
pub use node::{Node, Protocol};
pub use rng::SimRng;
pub use scenario::{Scenario, ScenarioError, ScenarioFile};
pub use simulator::{
    ClientInFlight, ClientMessage, ClientSpec, ClientStatus, HistoryEvent, InFlight, Simulator,
    Stats, Timing,
};
pub use status::NodeStatus;
pub use trace::{DropReason, TraceEvent, TraceRecord};

/// Virtual time in microseconds.
pub type Micros = u64;

/// Runs a scenario to its end and returns the trace as JSON Lines, header
/// first.
pub fn run_to_jsonl(scenario: &Scenario) -> String {
    let mut sim = Simulator::from_scenario(scenario);
    sim.set_recording(true);
    sim.run_to_end();
    let mut s = String::new();
    trace::write_header(&mut s);
    for r in sim.take_trace() {
        trace::write_line(&mut s, &r);
    }
    s
}
