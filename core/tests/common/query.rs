//! Reading a run like a script: `tr.leader_of(1)`, `tr.votes_for(1, 3)`,
//! `tr.committed(3, 1)`. A [`Trace`] is a recorded run's records with the
//! questions lesson and lab tests ask of them (as etcd-raft's data-driven
//! tests read their message logs).

use super::{client_results, leaders, Rec};
use quorum_core::protocol::{
    ClientResponse, KvOp, LogIndex, Message, NodeId, OpResult, Role, Term,
};
use quorum_core::sim::TraceEvent;
use std::collections::BTreeMap;
use std::ops::Deref;

/// A recorded run's trace records.
pub struct Trace(pub Vec<Rec>);

impl Deref for Trace {
    type Target = [Rec];
    fn deref(&self) -> &[Rec] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Trace {
    type Item = &'a Rec;
    type IntoIter = std::slice::Iter<'a, Rec>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Trace {
    /// Leaders per term.
    pub fn leaders(&self) -> BTreeMap<Term, Vec<NodeId>> {
        leaders(self)
    }

    /// Results of completed client ops: (client, op_id) -> (op, result).
    pub fn client_results(&self) -> BTreeMap<(u64, u64), (KvOp, OpResult)> {
        client_results(self)
    }

    /// (t, node, term) of every change to `role`.
    pub fn roles(&self, role: Role) -> Vec<(u64, NodeId, Term)> {
        self.iter()
            .filter_map(|r| match r.ev {
                TraceEvent::Role {
                    node,
                    role: x,
                    term,
                } if x == role => Some((r.t, node, term)),
                _ => None,
            })
            .collect()
    }

    /// (t, node) of the leader of `term`.
    pub fn leader_of(&self, term: Term) -> Option<(u64, NodeId)> {
        let ls: Vec<_> = self
            .roles(Role::Leader)
            .into_iter()
            .filter(|l| l.2 == term)
            .collect();
        assert!(ls.len() <= 1, "two leaders in term {term}: {ls:?}");
        ls.first().map(|&(t, n, _)| (t, n))
    }

    pub fn candidacies(&self) -> Vec<(u64, NodeId, Term)> {
        self.roles(Role::Candidate)
    }

    /// (t, voter) of every vote for `cand` in `term` other than its own.
    pub fn votes_for(&self, term: Term, cand: NodeId) -> Vec<(u64, NodeId)> {
        self.iter()
            .filter_map(|r| match r.ev {
                TraceEvent::Vote {
                    node,
                    term: t,
                    voted_for,
                } if t == term && voted_for == cand && node != cand => Some((r.t, node)),
                _ => None,
            })
            .collect()
    }

    /// When `node`'s commitIndex first reached `index`.
    pub fn committed(&self, node: NodeId, index: LogIndex) -> Option<u64> {
        self.iter().find_map(|r| match r.ev {
            TraceEvent::Commit { node: n, index: i } if n == node && i >= index => Some(r.t),
            _ => None,
        })
    }

    /// (t, term, op as JSON) of every append of `index` on `node`.
    pub fn appends(&self, node: NodeId, index: LogIndex) -> Vec<(u64, Term, String)> {
        self.iter()
            .filter_map(|r| match &r.ev {
                TraceEvent::Append {
                    node: n,
                    index: i,
                    term,
                    op,
                } if *n == node && *i == index => {
                    Some((r.t, *term, serde_json::to_string(op).unwrap()))
                }
                _ => None,
            })
            .collect()
    }

    pub fn appended(&self, node: NodeId, index: LogIndex) -> u64 {
        let a = self.appends(node, index);
        assert!(!a.is_empty(), "S{node} never appended index {index}");
        a[0].0
    }

    pub fn truncates(&self) -> Vec<(u64, NodeId, LogIndex)> {
        self.iter()
            .filter_map(|r| match r.ev {
                TraceEvent::Truncate { node, from_index } => Some((r.t, node, from_index)),
                _ => None,
            })
            .collect()
    }

    /// (t, client, result) of every client return.
    pub fn returns(&self) -> Vec<(u64, u64, OpResult)> {
        self.iter()
            .filter_map(|r| match &r.ev {
                TraceEvent::Return { client, result, .. } => Some((r.t, *client, result.clone())),
                _ => None,
            })
            .collect()
    }

    pub fn returned(&self, client: u64) -> (u64, OpResult) {
        self.returns()
            .into_iter()
            .find(|r| r.1 == client)
            .map(|(t, _, res)| (t, res))
            .unwrap_or_else(|| panic!("client {client} never got an answer"))
    }

    /// (t, id, from, to, message) of every send matching `f`.
    pub fn sends<'a>(
        &'a self,
        f: impl Fn(NodeId, NodeId, &Message) -> bool + 'a,
    ) -> Vec<(u64, u64, NodeId, NodeId, &'a Message)> {
        self.iter()
            .filter_map(|r| match &r.ev {
                TraceEvent::Send { id, from, to, msg } if f(*from, *to, msg) => {
                    Some((r.t, *id, *from, *to, msg))
                }
                _ => None,
            })
            .collect()
    }

    /// (t, id, client, to, op_id) of every client request matching `f`.
    pub fn requests(
        &self,
        f: impl Fn(u64, NodeId, u64) -> bool,
    ) -> Vec<(u64, u64, u64, NodeId, u64)> {
        self.iter()
            .filter_map(|r| match r.ev {
                TraceEvent::Request {
                    id,
                    client,
                    to,
                    op_id,
                    ..
                } if f(client, to, op_id) => Some((r.t, id, client, to, op_id)),
                _ => None,
            })
            .collect()
    }

    /// (t, id, from, client, response) of every server reply to `client`.
    pub fn replies_to(&self, client: u64) -> Vec<(u64, u64, NodeId, &ClientResponse)> {
        self.iter()
            .filter_map(|r| match &r.ev {
                TraceEvent::Reply {
                    id,
                    from,
                    client: c,
                    response,
                    ..
                } if *c == client => Some((r.t, *id, *from, response)),
                _ => None,
            })
            .collect()
    }

    /// When `node` applied `index`, if it did.
    pub fn applied(&self, node: NodeId, index: LogIndex) -> Option<u64> {
        self.iter().find_map(|r| match r.ev {
            TraceEvent::Apply {
                node: n, index: i, ..
            } if n == node && i == index => Some(r.t),
            _ => None,
        })
    }

    pub fn delivered(&self, id: u64) -> Vec<u64> {
        self.iter()
            .filter_map(|r| match r.ev {
                TraceEvent::Deliver { id: i } if i == id => Some(r.t),
                _ => None,
            })
            .collect()
    }

    pub fn dropped_why(&self, id: u64) -> Option<&'static str> {
        self.iter().find_map(|r| match r.ev {
            TraceEvent::Drop { id: i, why } if i == id => Some(why.as_str()),
            _ => None,
        })
    }

    /// The highest commitIndex any node reached by `t`.
    pub fn max_commit_by(&self, t: u64) -> LogIndex {
        self.iter()
            .take_while(|r| r.t <= t)
            .filter_map(|r| match r.ev {
                TraceEvent::Commit { index, .. } => Some(index),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}
