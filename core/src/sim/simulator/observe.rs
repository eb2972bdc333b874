//! The one observer path. Every node output and every simulator happening
//! (a send, a delivery, a drop, a crash, a client invoke or return) is
//! reported here once, and from here feeds the safety checker, the trace
//! recorder, the run's counters and the client history. So no part of the
//! simulator pokes a checker or a counter of its own.

use super::super::check::{Checker, Violation};
use super::super::status::NodeStatus;
use super::super::trace::{DropReason, TraceEvent, TraceRecord};
use super::super::Micros;
use crate::protocol::{
    ClientId, ClientResponse, KvOp, LogIndex, NodeId, OpId, OpResult, Output, Role, Term,
};
use std::collections::BTreeMap;

/// One client event, for the linearizability check (serialized: the page
/// sends the history to its checker in a Web Worker).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "ev", rename_all = "snake_case", deny_unknown_fields)]
pub enum HistoryEvent {
    Invoke {
        t: Micros,
        client: ClientId,
        op_id: OpId,
        op: KvOp,
    },
    Return {
        t: Micros,
        client: ClientId,
        op_id: OpId,
        result: OpResult,
    },
}

/// Counters for the run summary. `sent` .. `duplicated` count the
/// servers' messages; the `client_` ones count clients' requests and the
/// servers' replies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub events: u64,
    pub sent: u64,
    pub delivered: u64,
    pub dropped_loss: u64,
    pub dropped_partition: u64,
    pub dropped_crashed: u64,
    pub duplicated: u64,
    /// Client requests and server replies put on the network.
    pub client_sent: u64,
    pub client_delivered: u64,
    /// Client requests and replies lost (loss, partition, cut, crash, user).
    pub client_dropped: u64,
    pub client_duplicated: u64,
    pub invoked: u64,
    pub ok: u64,
    pub failed: u64,
    pub timed_out: u64,
    /// Leaders per term, in the order they took office.
    pub leaders: BTreeMap<Term, Vec<NodeId>>,
    pub max_commit: LogIndex,
    /// AppendEntries rejected for a log mismatch (not for a stale term).
    pub append_rejects: u64,
}

impl Stats {
    pub fn dropped(&self) -> u64 {
        self.dropped_loss + self.dropped_partition + self.dropped_crashed
    }
}

/// The checker, the trace, the counters and the history, fed together.
#[derive(Clone, Debug)]
pub(super) struct Observers<M> {
    pub recording: bool,
    pub trace: Vec<TraceRecord<M>>,
    pub stats: Stats,
    pub checker: Option<Checker>,
    pub history: Option<Vec<HistoryEvent>>,
    /// The step being observed answers a PreVote.
    pub harmless: bool,
}

impl<M: Clone> Observers<M> {
    pub fn new() -> Self {
        Observers {
            recording: false,
            trace: Vec::new(),
            stats: Stats::default(),
            checker: None,
            history: None,
            harmless: false,
        }
    }

    /// One more event processed (the run's event count).
    pub fn event(&mut self) {
        self.stats.events += 1;
    }

    /// Append to the trace, if it is being recorded.
    pub fn record(&mut self, t: Micros, ev: TraceEvent<M>) {
        if self.recording {
            self.trace.push(TraceRecord { t, ev });
        }
    }

    /// A node's outputs of one step, before any takes effect: the checker
    /// sees the whole step, and what it finds goes in the trace first.
    pub fn step_outputs(&mut self, t: Micros, id: NodeId, out: &[Output<M>]) {
        let harmless = std::mem::take(&mut self.harmless);
        let Some(c) = &mut self.checker else {
            return;
        };
        let before = c.violations().len();
        if harmless {
            c.pre_vote_step(t, id, out);
        }
        for o in out {
            c.observe(t, id, o);
        }
        if c.violations().len() > before && self.recording {
            let new: Vec<Violation> = c.violations()[before..].to_vec();
            for v in new {
                self.record(
                    t,
                    TraceEvent::Violation {
                        property: v.property,
                        nodes: v.nodes,
                        index: v.index,
                        terms: v.terms,
                        message: v.message,
                    },
                );
            }
        }
    }

    /// The next step answers a message that must change no term or vote.
    pub fn harmless_step(&mut self) {
        self.harmless = true;
    }

    /// A change of a node's state (role, vote, log, commit, apply). The
    /// outputs that act on the world (send, reply, timers) are the
    /// simulator's and never come here.
    pub fn state_change(&mut self, t: Micros, node: NodeId, o: Output<M>) {
        if !self.recording {
            // Only the counters: no trace record to build and drop.
            match o {
                Output::Role {
                    role: Role::Leader,
                    term,
                } => self.stats.leaders.entry(term).or_default().push(node),
                Output::Commit { index } => {
                    self.stats.max_commit = self.stats.max_commit.max(index)
                }
                _ => {}
            }
            return;
        }
        let ev = match o {
            Output::Role { role, term } => {
                if role == Role::Leader {
                    self.stats.leaders.entry(term).or_default().push(node);
                }
                TraceEvent::Role { node, role, term }
            }
            Output::Vote { term, voted_for } => TraceEvent::Vote {
                node,
                term,
                voted_for,
            },
            Output::Append { index, term, cmd } => TraceEvent::Append {
                node,
                index,
                term,
                op: cmd,
            },
            Output::Truncate { from } => TraceEvent::Truncate {
                node,
                from_index: from,
            },
            Output::Commit { index } => {
                self.stats.max_commit = self.stats.max_commit.max(index);
                TraceEvent::Commit { node, index }
            }
            Output::Apply {
                index,
                term,
                cmd,
                result,
                ..
            } => TraceEvent::Apply {
                node,
                index,
                term,
                op: cmd,
                result,
            },
            Output::Transfer { to } => TraceEvent::Transfer { node, to },
            Output::Snapshot { index, term } => TraceEvent::Snapshot { node, index, term },
            Output::Config { config } => TraceEvent::Config { node, config },
            Output::Install { index, term, kept } => TraceEvent::Install {
                node,
                index,
                term,
                kept,
            },
            Output::Read {
                client,
                op_id,
                index,
                round,
            } => TraceEvent::Read {
                node,
                client,
                op_id,
                index,
                round,
            },
            Output::Send { .. }
            | Output::Reply { .. }
            | Output::SetTimer(_)
            | Output::ClearTimer(_) => return,
        };
        self.record(t, ev);
    }

    pub fn send(&mut self, t: Micros, id: u64, from: NodeId, to: NodeId, msg: &M) {
        self.stats.sent += 1;
        if self.recording {
            let msg = msg.clone();
            self.record(t, TraceEvent::Send { id, from, to, msg });
        }
    }

    /// A client's request leaves for server `to`.
    pub fn request(
        &mut self,
        t: Micros,
        id: u64,
        client: ClientId,
        to: NodeId,
        op_id: OpId,
        op: &KvOp,
    ) {
        self.stats.client_sent += 1;
        if self.recording {
            let op = op.clone();
            let ev = TraceEvent::Request {
                id,
                client,
                to,
                op_id,
                op,
            };
            self.record(t, ev);
        }
    }

    /// A server's answer leaves for a client.
    pub fn reply(
        &mut self,
        t: Micros,
        id: u64,
        from: NodeId,
        client: ClientId,
        op_id: OpId,
        response: &ClientResponse,
    ) {
        self.stats.client_sent += 1;
        if self.recording {
            let response = response.clone();
            let ev = TraceEvent::Reply {
                id,
                from,
                client,
                op_id,
                response,
            };
            self.record(t, ev);
        }
    }

    /// `client`: the message is a client's request or a server's reply.
    pub fn duplicate(&mut self, t: Micros, id: u64, client: bool) {
        if client {
            self.stats.client_duplicated += 1;
        } else {
            self.stats.duplicated += 1;
        }
        self.record(t, TraceEvent::Duplicate { id });
    }

    pub fn deliver(&mut self, t: Micros, id: u64, client: bool) {
        if client {
            self.stats.client_delivered += 1;
        } else {
            self.stats.delivered += 1;
        }
        self.record(t, TraceEvent::Deliver { id });
    }

    pub fn drop(&mut self, t: Micros, id: u64, why: DropReason, client: bool) {
        match why {
            _ if client => self.stats.client_dropped += 1,
            DropReason::Loss | DropReason::User => self.stats.dropped_loss += 1,
            DropReason::Crashed => self.stats.dropped_crashed += 1,
            DropReason::Partition | DropReason::Cut => self.stats.dropped_partition += 1,
        }
        self.record(t, TraceEvent::Drop { id, why });
    }

    pub fn crash(&mut self, t: Micros, node: NodeId) {
        if let Some(c) = &mut self.checker {
            c.crash(node);
        }
        self.record(t, TraceEvent::Crash { node });
    }

    pub fn restart(&mut self, t: Micros, node: NodeId) {
        if let Some(c) = &mut self.checker {
            c.restart(node);
        }
        self.record(t, TraceEvent::Restart { node });
    }

    /// A client starts an operation (the history's invoke).
    pub fn invoke(&mut self, t: Micros, client: ClientId, op_id: OpId, op: KvOp) {
        self.stats.invoked += 1;
        if let Some(h) = &mut self.history {
            h.push(HistoryEvent::Invoke {
                t,
                client,
                op_id,
                op: op.clone(),
            });
        }
        self.record(t, TraceEvent::Invoke { client, op_id, op });
    }

    /// A client's operation ends: a result, an error, or its deadline (the
    /// history's return; a timed-out op stays indeterminate).
    pub fn complete(
        &mut self,
        t: Micros,
        client: ClientId,
        op_id: OpId,
        invoked: Micros,
        result: OpResult,
    ) {
        match &result {
            OpResult::Error { reason } if reason == "timeout" => self.stats.timed_out += 1,
            OpResult::Error { .. } => self.stats.failed += 1,
            _ => self.stats.ok += 1,
        }
        if let Some(h) = &mut self.history {
            h.push(HistoryEvent::Return {
                t,
                client,
                op_id,
                result: result.clone(),
            });
        }
        self.record(
            t,
            TraceEvent::Return {
                client,
                op_id,
                invoked,
                result,
            },
        );
    }

    /// The final `end` record.
    pub fn end(&mut self, t: Micros, nodes: Vec<NodeStatus>) {
        self.record(t, TraceEvent::End { nodes });
    }
}
