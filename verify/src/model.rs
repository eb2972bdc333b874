//! Model checking the real `RaftNode` (the very code the simulator and the
//! browser run) with stateright: every interleaving of timeouts,
//! heartbeats, client proposals, deliveries, losses and duplications, for a
//! small cluster and bounded terms.
//!
//! The network is a set of messages in flight. Delivering one may keep it
//! (a duplicate) or remove it; a lossy network may also drop it. Ghost
//! state records every leader ever elected and every entry ever applied,
//! so the properties cover the whole history, not one state.

use quorum_core::protocol::{
    Bugs, Command, Configuration, Input, KvOp, LogIndex, Message, NodeId, Output, RaftConfig,
    RaftNode, Role, Term, Timer,
};
use stateright::{Model, Property};
use std::collections::{BTreeMap, BTreeSet};

/// The bounds of the exploration.
#[derive(Clone, Debug)]
pub struct RaftModel {
    pub nodes: u32,
    /// No node times out once it has reached this term.
    pub max_term: Term,
    /// How many client commands may be proposed in total.
    pub commands: u32,
    pub lossy: bool,
    pub duplicating: bool,
    /// The most messages in flight at once.
    pub max_in_flight: usize,
    pub bugs: Bugs,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    pub nodes: Vec<RaftNode>,
    pub net: BTreeSet<(NodeId, NodeId, Message)>,
    pub proposed: u32,
    /// Ghost: every (term, leader) elected so far.
    pub leaders: BTreeSet<(Term, NodeId)>,
    /// Ghost: the first entry applied at each index.
    pub applied: BTreeMap<LogIndex, (Term, Command)>,
    /// Ghost: set when some node applied a different entry at an index.
    pub diverged: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Timeout(NodeId),
    Heartbeat(NodeId),
    Propose(NodeId),
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: Message,
        keep: bool,
    },
    Drop {
        from: NodeId,
        to: NodeId,
        msg: Message,
    },
}

impl RaftModel {
    pub fn new(nodes: u32, max_term: Term, commands: u32) -> Self {
        RaftModel {
            nodes,
            max_term,
            commands,
            lossy: true,
            duplicating: true,
            max_in_flight: 6,
            bugs: Bugs::NONE,
        }
    }

    fn step(&self, s: &mut State, id: NodeId, input: Input<Message>) {
        let mut out = Vec::new();
        s.nodes[id as usize - 1].step(input, &mut out);
        for o in out {
            match o {
                Output::Send { to, msg } => {
                    s.net.insert((id, to, msg));
                }
                Output::Role {
                    role: Role::Leader,
                    term,
                } => {
                    s.leaders.insert((term, id));
                }
                Output::Apply {
                    index, term, cmd, ..
                } => match s.applied.get(&index) {
                    Some((t, c)) if *t != term || *c != cmd => s.diverged = true,
                    Some(_) => {}
                    None => {
                        s.applied.insert(index, (term, cmd));
                    }
                },
                _ => {}
            }
        }
    }
}

/// Two different leaders in one term, ever?
pub fn election_safe(s: &State) -> bool {
    let mut last: Option<(Term, NodeId)> = None;
    for &(t, id) in &s.leaders {
        if let Some((lt, lid)) = last {
            if lt == t && lid != id {
                return false;
            }
        }
        last = Some((t, id));
    }
    true
}

impl Model for RaftModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let cfg = Configuration::of_size(self.nodes);
        let opts = RaftConfig {
            bugs: self.bugs,
            ..RaftConfig::default()
        };
        vec![State {
            nodes: (1..=self.nodes)
                .map(|i| RaftNode::new(i, cfg.clone(), opts.clone()))
                .collect(),
            net: BTreeSet::new(),
            proposed: 0,
            leaders: BTreeSet::new(),
            applied: BTreeMap::new(),
            diverged: false,
        }]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Action>) {
        for n in &s.nodes {
            let id = n.id();
            if n.current_term() < self.max_term && n.role() != Role::Leader {
                actions.push(Action::Timeout(id));
            }
            if n.role() == Role::Leader {
                // A heartbeat only when none of this leader's messages is in
                // flight: a bound that keeps the space finite and small.
                if !s.net.iter().any(|(from, _, _)| *from == id) {
                    actions.push(Action::Heartbeat(id));
                }
                if s.proposed < self.commands {
                    actions.push(Action::Propose(id));
                }
            }
        }
        for (from, to, msg) in &s.net {
            actions.push(Action::Deliver {
                from: *from,
                to: *to,
                msg: msg.clone(),
                keep: false,
            });
            if self.duplicating {
                actions.push(Action::Deliver {
                    from: *from,
                    to: *to,
                    msg: msg.clone(),
                    keep: true,
                });
            }
            if self.lossy {
                actions.push(Action::Drop {
                    from: *from,
                    to: *to,
                    msg: msg.clone(),
                });
            }
        }
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        let mut s = last.clone();
        match action {
            Action::Timeout(id) => self.step(&mut s, id, Input::Timeout(Timer::Election)),
            Action::Heartbeat(id) => self.step(&mut s, id, Input::Timeout(Timer::Heartbeat)),
            Action::Propose(id) => {
                s.proposed += 1;
                let op_id = u64::from(s.proposed);
                let op = KvOp::Put {
                    key: "x".into(),
                    value: format!("v{}", s.proposed).into(),
                };
                self.step(
                    &mut s,
                    id,
                    Input::Propose {
                        client: 1,
                        op_id,
                        op,
                        first_unacked: op_id,
                    },
                );
            }
            Action::Deliver {
                from,
                to,
                msg,
                keep,
            } => {
                if !keep {
                    s.net.remove(&(from, to, msg.clone()));
                }
                self.step(&mut s, to, Input::Message { from, msg });
            }
            Action::Drop { from, to, msg } => {
                s.net.remove(&(from, to, msg));
            }
        }
        (s.net.len() <= self.max_in_flight).then_some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::<Self>::always("Election Safety", |_, s| election_safe(s)),
            Property::<Self>::always("State Machine Safety", |_, s| !s.diverged),
            Property::<Self>::sometimes("a value commits", |_, s| {
                s.applied.values().any(|(_, c)| matches!(c, Command::Kv(_)))
            }),
        ]
    }
}
