//! A live, interactive run: a simulator plus the scenario it records.
//!
//! Every action (a click in the browser, a call from the JS API) becomes a
//! scenario event at the current virtual time and is appended to the
//! scenario, so the recorded scenario replays the whole run exactly.

use super::scenario::{EventSpec, Scenario, ScenarioError, ScenarioFile, MAX_EVENTS};
use super::{Micros, NodeStatus, Simulator};
use crate::protocol::{Message, NodeId, RaftNode, Role};
use serde::Serialize;

#[derive(Clone, Debug)]
pub struct Lab {
    file: ScenarioFile,
    sim: Simulator,
}

/// One message on the wire, as `state()` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct MessageState {
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub sent_ms: f64,
    pub arrives_ms: f64,
    pub msg: Message,
}

/// The cluster now, as plain data.
#[derive(Clone, Debug, Serialize)]
pub struct LabState {
    pub t_ms: f64,
    pub nodes: Vec<NodeStatus>,
    pub in_flight: Vec<MessageState>,
}

pub fn us_to_ms(t: Micros) -> f64 {
    t as f64 / 1000.0
}

impl Lab {
    /// Start a scenario (validated first). `record` keeps the trace.
    pub fn new(file: ScenarioFile, record: bool) -> Result<Lab, ScenarioError> {
        let scenario = Scenario::from_file(file)?;
        let mut sim = Simulator::from_scenario(&scenario);
        sim.set_recording(record);
        sim.boot();
        Ok(Lab {
            file: scenario.file,
            sim,
        })
    }

    /// Parse, validate and start a scenario document.
    pub fn from_json(json: &str, record: bool) -> Result<Lab, ScenarioError> {
        let s = Scenario::parse(json)?;
        Lab::new(s.file, record)
    }

    pub fn sim(&self) -> &Simulator {
        &self.sim
    }

    pub fn sim_mut(&mut self) -> &mut Simulator {
        &mut self.sim
    }

    /// The scenario so far: as loaded, plus every action taken since.
    pub fn scenario(&self) -> &ScenarioFile {
        &self.file
    }

    pub fn now(&self) -> Micros {
        self.sim.now()
    }

    pub fn at_end(&self) -> bool {
        self.sim.now() >= self.sim.end_time()
    }

    /// Run the simulation `dt` microseconds of virtual time on.
    pub fn advance(&mut self, dt: Micros) {
        let t = self.sim.now().saturating_add(dt);
        self.sim.run_until(t);
    }

    /// Process the next event; false when there is none before the end.
    pub fn step(&mut self) -> bool {
        self.sim.step()
    }

    /// Take an action now: `e`'s `at_ms` is replaced by the current virtual
    /// time. It is validated, recorded and run at once (after whatever else
    /// is due at this microsecond, as it will be in a replay).
    pub fn act(&mut self, mut e: EventSpec) -> Result<(), ScenarioError> {
        if self.file.events.len() >= MAX_EVENTS {
            return Err(ScenarioError {
                path: "events".into(),
                message: format!("a scenario holds at most {MAX_EVENTS} events"),
            });
        }
        set_at_ms(&mut e, us_to_ms(self.sim.now()));
        let action = e.validate("event", self.sim.node_count())?;
        self.sim.schedule(action).map_err(|m| ScenarioError {
            path: "event".into(),
            message: m,
        })?;
        self.file.events.push(e);
        let now = self.sim.now();
        self.sim.run_until(now);
        Ok(())
    }

    /// The up leader with the highest term, if any.
    pub fn leader(&self) -> Option<NodeId> {
        (1..=self.sim.node_count())
            .filter(|&i| self.sim.is_up(i))
            .filter_map(|i| self.sim.node(i).map(|n| (i, n)))
            .filter(|(_, n)| n.role() == Role::Leader)
            .max_by_key(|(_, n)| n.current_term())
            .map(|(i, _)| i)
    }

    pub fn node(&self, id: NodeId) -> Option<&RaftNode> {
        self.sim.node(id)
    }

    pub fn state(&self) -> LabState {
        let nodes = (1..=self.sim.node_count())
            .filter_map(|i| self.sim.node(i).map(|n| (i, n)))
            .map(|(i, n)| NodeStatus {
                id: i,
                up: self.sim.is_up(i),
                role: n.role(),
                term: n.current_term(),
                voted_for: n.voted_for(),
                commit_index: n.commit_index(),
                last_applied: n.last_applied(),
                log: n.log().iter().cloned().collect(),
            })
            .collect();
        let in_flight = self
            .sim
            .in_flight()
            .into_iter()
            .map(|m| MessageState {
                id: m.id,
                from: m.from,
                to: m.to,
                sent_ms: us_to_ms(m.sent),
                arrives_ms: us_to_ms(m.arrives),
                msg: m.msg.clone(),
            })
            .collect();
        LabState {
            t_ms: us_to_ms(self.sim.now()),
            nodes,
            in_flight,
        }
    }
}

fn set_at_ms(e: &mut EventSpec, t: f64) {
    match e {
        EventSpec::Crash { at_ms, .. }
        | EventSpec::Restart { at_ms, .. }
        | EventSpec::Partition { at_ms, .. }
        | EventSpec::Heal { at_ms }
        | EventSpec::Cut { at_ms, .. }
        | EventSpec::Uncut { at_ms, .. }
        | EventSpec::Timeout { at_ms, .. }
        | EventSpec::Request { at_ms, .. }
        | EventSpec::DropMessage { at_ms, .. }
        | EventSpec::DuplicateMessage { at_ms, .. }
        | EventSpec::Network { at_ms, .. } => *at_ms = t,
    }
}
