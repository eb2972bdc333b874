//! The small interface between the simulator and a protocol node. The
//! simulator knows nothing else about Raft, so another protocol (e.g.
//! Multi-Paxos) can run on it by implementing [`Node`].

use super::describe::Wire;
use super::status::NodeStatus;
use super::Micros;
use super::Scenario;
use crate::protocol::{
    ConfChange, Configuration, Input, Message, NodeId, Output, RaftConfig, RaftNode, Role,
    Switches, Term,
};
use serde::Serialize;
use std::fmt::Debug;

pub trait Node: Clone + Debug {
    /// Its messages: serialised into the trace (with a `"type"` tag, by
    /// convention) and described in the event log.
    type Msg: Clone + Debug + Serialize + Wire;
    fn id(&self) -> NodeId;
    /// Boot: emit the initial role and timers.
    fn start(&mut self, out: &mut Vec<Output<Self::Msg>>);
    fn step(&mut self, input: Input<Self::Msg>, out: &mut Vec<Output<Self::Msg>>);
    /// Lose all volatile state.
    fn crash(&mut self);
    /// Resume from persistent state alone.
    fn restart(&mut self, out: &mut Vec<Output<Self::Msg>>);
    /// A summary for the trace's `end` event.
    fn status(&self) -> NodeStatus;
    /// The term it leads, if it is a leader (the `transfer_leader`
    /// action asks it).
    fn leads(&self) -> Option<Term> {
        None
    }
    /// Its own clock (µs), set before each step: a server's clock may
    /// drift from the simulator's (`timing.clock_drift`).
    fn set_clock(&mut self, _local: Micros) {}
    /// Production switches flipped mid-run (a `set` action).
    fn set_switches(&mut self, _s: &Switches, _out: &mut Vec<Output<Self::Msg>>) {}
    /// A new, empty server `id` of the same cluster (an `add_server`
    /// action), if the protocol changes membership.
    fn spawn(&self, _id: NodeId) -> Option<Self> {
        None
    }
    /// An administrator asks for a membership change (a leader starts it
    /// when it can; the simulator asks again until it is settled).
    fn change_config(&mut self, _c: ConfChange, _out: &mut Vec<Output<Self::Msg>>) {}
    /// Is `c` in force, as far as this server knows (committed)?
    fn config_settled(&self, _c: ConfChange) -> bool {
        true
    }
}

/// A protocol the simulator can build from a scenario. With [`Node`] this
/// is the whole seam: `Simulator::<N>::for_protocol(&scenario)` runs it
/// with the scenario's network, faults and clients, records its trace, and
/// feeds the client history to the linearizability check.
pub trait Protocol: Node {
    /// Its name, as the CLI and the docs say it (`"raft"`).
    const NAME: &'static str;
    /// Node `id` (1..=n) of the cluster `s` describes.
    fn build(id: NodeId, s: &Scenario) -> Self;
}

impl Node for RaftNode {
    type Msg = Message;
    fn id(&self) -> NodeId {
        RaftNode::id(self)
    }
    fn start(&mut self, out: &mut Vec<Output<Message>>) {
        RaftNode::start(self, out)
    }
    fn step(&mut self, input: Input<Message>, out: &mut Vec<Output<Message>>) {
        RaftNode::step(self, input, out)
    }
    fn crash(&mut self) {
        RaftNode::crash(self)
    }
    fn restart(&mut self, out: &mut Vec<Output<Message>>) {
        RaftNode::restart(self, out)
    }
    fn leads(&self) -> Option<Term> {
        (self.role() == Role::Leader).then(|| self.current_term())
    }
    fn set_clock(&mut self, local: Micros) {
        RaftNode::set_clock(self, local)
    }
    fn set_switches(&mut self, s: &Switches, out: &mut Vec<Output<Message>>) {
        RaftNode::set_switches(self, s, out)
    }
    fn spawn(&self, id: NodeId) -> Option<RaftNode> {
        Some(RaftNode::joiner(self, id))
    }
    fn change_config(&mut self, c: ConfChange, out: &mut Vec<Output<Message>>) {
        self.step(Input::ChangeConfig(c), out)
    }
    fn config_settled(&self, c: ConfChange) -> bool {
        RaftNode::config_settled(self, c)
    }
    fn status(&self) -> NodeStatus {
        NodeStatus {
            id: self.id(),
            up: true,
            role: self.role(),
            term: self.current_term(),
            voted_for: self.voted_for(),
            commit_index: self.commit_index(),
            last_applied: self.last_applied(),
            snapshot_index: self.log().snapshot_index(),
            snapshot_term: self.log().snapshot_term(),
            config: self.config_changed().then(|| self.config().clone()),
            log: self.log().iter().cloned().collect(),
        }
    }
}

impl Protocol for RaftNode {
    const NAME: &'static str = "raft";

    /// Fresh, or from the scenario's `initial` state (Fig. 7's logs).
    fn build(id: NodeId, s: &Scenario) -> RaftNode {
        let config = Configuration::of_size(s.nodes);
        let opts = RaftConfig {
            max_entries_per_append: s.max_entries_per_append,
            max_inflight: s.max_inflight,
            bugs: s.bugs,
            pre_vote: s.pre_vote,
            check_quorum: s.check_quorum,
            read: s.read,
            // Leases stand on stickiness, which lasts at least the shortest
            // election timeout in each follower's own clock.
            lease_timeout: s.election_timeout.0,
            clock_drift_ppm: s.clock_drift_ppm,
            snapshot_every: s.snapshot_every,
            snapshot_chunk: s.snapshot_chunk,
            membership: s.membership,
        };
        match s.initial.get(id as usize - 1).and_then(Option::as_ref) {
            Some(init) => RaftNode::with_state(
                id,
                config,
                opts,
                init.current_term,
                init.voted_for,
                init.log.clone(),
            ),
            None => RaftNode::new(id, config, opts),
        }
    }
}
