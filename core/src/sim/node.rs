//! The small interface between the simulator and a protocol node. The
//! simulator knows nothing else about Raft, so another protocol (e.g.
//! Multi-Paxos) can run on it by implementing [`Node`].

use crate::protocol::{Entry, Input, LogIndex, Message, NodeId, Output, RaftNode, Role, Term};
use serde::Serialize;
use std::fmt::Debug;

pub trait Node: Clone + Debug {
    type Msg: Clone + Debug + Serialize;
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
}

/// One node in the trace's final `end` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeStatus {
    pub id: NodeId,
    pub up: bool,
    pub role: Role,
    pub term: Term,
    pub voted_for: Option<NodeId>,
    pub commit_index: LogIndex,
    pub last_applied: LogIndex,
    pub log: Vec<Entry>,
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
    fn status(&self) -> NodeStatus {
        NodeStatus {
            id: self.id(),
            up: true,
            role: self.role(),
            term: self.current_term(),
            voted_for: self.voted_for(),
            commit_index: self.commit_index(),
            last_applied: self.last_applied(),
            log: self.log().iter().cloned().collect(),
        }
    }
}
