//! Model checking the real `RaftNode` (the very code the simulator and the
//! browser run) with stateright: every interleaving of timeouts,
//! heartbeats, client proposals, deliveries, losses and duplications, for a
//! small cluster and bounded terms.
//!
//! The network is a set of messages in flight. Delivering one may keep it
//! (a duplicate) or remove it; a lossy network may also drop it. Ghost
//! state records every leader ever elected and every entry ever applied,
//! so the properties cover the whole history, not one state.
//!
//! The production switches PreVote (thesis §9.6) and CheckQuorum with
//! leader stickiness (§6.2) can be turned on; an election timeout then
//! starts a pre-campaign, and on a leader it is the quorum check.

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
    /// PreVote (thesis §9.6): a timeout asks for pre-votes first.
    pub pre_vote: bool,
    /// CheckQuorum and leader stickiness (thesis §6.2): a leader may time
    /// out too (its quorum check, which may make it step down).
    pub check_quorum: bool,
    /// Log compaction (§7): each node snapshots every this many applied
    /// entries (0: never), and leaders send InstallSnapshot.
    pub snapshot_every: u64,
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
    /// Ghost: set when delivering a PreVote changed the receiver's term or
    /// vote (it must not, §9.6).
    pub prevote_changed_state: bool,
    /// Ghost: set when a leader's quorum check made it step down.
    pub stepped_down_by_check_quorum: bool,
    /// Ghost: set when a node installed a leader's snapshot.
    pub installed: bool,
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
            pre_vote: false,
            check_quorum: false,
            snapshot_every: 0,
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
                Output::Install { .. } => s.installed = true,
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
            pre_vote: self.pre_vote,
            check_quorum: self.check_quorum,
            snapshot_every: self.snapshot_every,
            snapshot_chunk: 1,
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
            prevote_changed_state: false,
            stepped_down_by_check_quorum: false,
            installed: false,
        }]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Action>) {
        for n in &s.nodes {
            let id = n.id();
            // A follower's or candidate's timeout starts an election (with
            // PreVote a pre-campaign, which keeps the term; winning it raises
            // the term by one), so only below max_term. With CheckQuorum a
            // leader's timeout is its quorum check: it keeps the term or
            // steps down in it, so it needs no term bound to stay finite.
            let leader = n.role() == Role::Leader;
            if (!leader && n.current_term() < self.max_term) || (leader && self.check_quorum) {
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
            Action::Timeout(id) => {
                let was_leader = s.nodes[id as usize - 1].role() == Role::Leader;
                self.step(&mut s, id, Input::Timeout(Timer::Election));
                if was_leader && s.nodes[id as usize - 1].role() != Role::Leader {
                    s.stepped_down_by_check_quorum = true;
                }
            }
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
                let pre_vote = matches!(msg, Message::PreVote(_));
                let n = &s.nodes[to as usize - 1];
                let before = (n.current_term(), n.voted_for());
                self.step(&mut s, to, Input::Message { from, msg });
                let n = &s.nodes[to as usize - 1];
                if pre_vote && (n.current_term(), n.voted_for()) != before {
                    s.prevote_changed_state = true;
                }
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
            Property::<Self>::always("PreVote changes no term or vote", |_, s| {
                !s.prevote_changed_state
            }),
            Property::<Self>::sometimes("a value commits", |_, s| {
                s.applied.values().any(|(_, c)| matches!(c, Command::Kv(_)))
            }),
            // Witnesses that the switches are wired through. A granted reply
            // always enters the network (a state whose network would
            // overflow is not explored), so no ghost is needed.
            Property::<Self>::sometimes("a pre-vote was granted", |_, s| {
                s.net
                    .iter()
                    .any(|(_, _, m)| matches!(m, Message::PreVoteReply(r) if r.vote_granted))
            }),
            Property::<Self>::sometimes("a leader stepped down by CheckQuorum", |_, s| {
                s.stepped_down_by_check_quorum
            }),
            // Snapshots: whoever has applied as far holds the same state,
            // however it got there (its log or a snapshot), sessions too.
            Property::<Self>::always("the same applied index, the same state", |_, s| {
                s.nodes.iter().all(|a| {
                    s.nodes
                        .iter()
                        .all(|b| a.last_applied() != b.last_applied() || a.kv() == b.kv())
                })
            }),
            Property::<Self>::sometimes("a snapshot was installed", |_, s| s.installed),
        ]
    }
}
