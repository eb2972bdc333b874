//! Live safety checkers (thesis Fig. 3.2 and the invariants of etcd's TLA+
//! spec), fed every node output as it happens. Incremental: each event
//! costs O(log n) or O(nodes), never a rescan of the logs.
//!
//! The checker keeps a shadow of each node's persistent log (term and a
//! hash of the command per index, plus a running hash of the whole prefix),
//! so "logs identical up to index i" is one comparison.

use super::status::NodeStatus;
use super::Micros;
use crate::protocol::{Command, KvOp, LogIndex, NodeId, Output, Role, Term};
use crate::util::{Chunked, Fnv64};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// The properties checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    ElectionSafety,
    LeaderAppendOnly,
    LogMatching,
    LeaderCompleteness,
    StateMachineSafety,
    TermMonotonic,
    CommitMonotonic,
    CommitBounds,
    CommittedOnMajority,
    LogTermsNonDecreasing,
    OneVotePerTerm,
    LeaderCommitsCurrentTerm,
}

impl Property {
    pub const ALL: [Property; 12] = [
        Property::ElectionSafety,
        Property::LeaderAppendOnly,
        Property::LogMatching,
        Property::LeaderCompleteness,
        Property::StateMachineSafety,
        Property::TermMonotonic,
        Property::CommitMonotonic,
        Property::CommitBounds,
        Property::CommittedOnMajority,
        Property::LogTermsNonDecreasing,
        Property::OneVotePerTerm,
        Property::LeaderCommitsCurrentTerm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Property::ElectionSafety => "Election Safety",
            Property::LeaderAppendOnly => "Leader Append-Only",
            Property::LogMatching => "Log Matching",
            Property::LeaderCompleteness => "Leader Completeness",
            Property::StateMachineSafety => "State Machine Safety",
            Property::TermMonotonic => "currentTerm is monotonic",
            Property::CommitMonotonic => "commitIndex is monotonic",
            Property::CommitBounds => "lastApplied <= commitIndex <= last index",
            Property::CommittedOnMajority => "committed entries are on a majority",
            Property::LogTermsNonDecreasing => "terms never decrease along a log",
            Property::OneVotePerTerm => "one vote per term",
            Property::LeaderCommitsCurrentTerm => {
                "a leader commits by counting only entries of its term"
            }
        }
    }

    /// What the property says, in one sentence.
    pub fn rule(self) -> &'static str {
        match self {
            Property::ElectionSafety => "At most one leader can be elected in a given term (§5.2).",
            Property::LeaderAppendOnly => "A leader never overwrites or deletes entries in its log; it only appends (§5.3).",
            Property::LogMatching => "If two logs contain an entry with the same index and term, the logs are identical in all entries up through that index (§5.3).",
            Property::LeaderCompleteness => "If an entry is committed in a term, it is present in the logs of the leaders of all higher terms (§5.4).",
            Property::StateMachineSafety => "If a server has applied an entry at an index, no other server ever applies a different entry at that index (§5.4.3).",
            Property::TermMonotonic => "currentTerm only grows, across crashes too: it is persistent state (Fig. 2).",
            Property::CommitMonotonic => "commitIndex never decreases while a server is up.",
            Property::CommitBounds => "A server applies only committed entries and commits only entries it has: lastApplied <= commitIndex <= last log index.",
            Property::CommittedOnMajority => "An entry is committed only once a majority of servers store it (§5.3).",
            Property::LogTermsNonDecreasing => "Terms along a log never decrease.",
            Property::OneVotePerTerm => "A server votes for at most one candidate in a term, across crashes too: votedFor is persistent (Fig. 2).",
            Property::LeaderCommitsCurrentTerm => "A leader moves commitIndex to N only if log[N] is from its current term; older entries commit with it (§5.4.2, Fig. 8).",
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A broken property: which, when, who, where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub property: Property,
    /// Virtual time in microseconds.
    pub t: Micros,
    pub nodes: Vec<NodeId>,
    pub index: Option<LogIndex>,
    pub terms: Vec<Term>,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} violated at t = {:.6} s: {}",
            self.property,
            self.t as f64 / 1e6,
            self.message
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    term: Term,
    cmd: u64,
    /// Hash of the whole log up to and including this entry.
    prefix: u64,
}

#[derive(Clone, Debug)]
struct Shadow {
    up: bool,
    role: Role,
    term: Term,
    last_vote: Option<(Term, NodeId)>,
    log: Chunked<Slot>,
    commit: LogIndex,
    applied: LogIndex,
}

const SEED: u64 = Fnv64::new().value();

fn mix(h: u64, v: u64) -> u64 {
    Fnv64::from_value(h).u64(v).value()
}

fn mix_str(h: u64, s: &str) -> u64 {
    Fnv64::from_value(h).str(s).value()
}

/// A platform-independent hash of a command.
pub fn command_hash(c: &Command) -> u64 {
    match c {
        Command::Noop => mix(SEED, 1),
        Command::Kv(k) => {
            let mut h = match &k.op {
                KvOp::Put { key, value } => mix_str(mix_str(mix(SEED, 2), key), value),
                KvOp::Get { key } => mix_str(mix(SEED, 3), key),
                KvOp::Cas { key, expect, value } => {
                    let h = mix_str(mix(SEED, 4), key);
                    let h = match expect {
                        Some(e) => mix_str(mix(h, 1), e),
                        None => mix(h, 0),
                    };
                    mix_str(h, value)
                }
            };
            if let Some(s) = k.session {
                h = mix(mix(h, s.client), s.op_id);
            }
            h
        }
    }
}

fn prefix_hash(prev: u64, term: Term, cmd: u64) -> u64 {
    mix(mix(prev, term), cmd)
}

/// The checker. Feed it every node output, crash and restart, in order.
#[derive(Clone, Debug)]
pub struct Checker {
    nodes: Vec<Shadow>,
    /// The leader of each term seen so far.
    leaders: BTreeMap<Term, NodeId>,
    /// Prefix hashes of the committed log, index 1 first.
    committed: Chunked<u64>,
    /// Per index: what was applied there first (term, command hash, node).
    applied: Chunked<(Term, u64, NodeId)>,
    violations: Vec<Violation>,
}

impl Checker {
    /// Start from the nodes' current persistent state.
    pub fn new(nodes: &[NodeStatus]) -> Checker {
        let mut c = Checker {
            nodes: Vec::with_capacity(nodes.len()),
            leaders: BTreeMap::new(),
            committed: Chunked::new(),
            applied: Chunked::new(),
            violations: Vec::new(),
        };
        for s in nodes {
            let mut log = Chunked::new();
            let mut prev = SEED;
            for e in s.log.iter() {
                let cmd = command_hash(&e.cmd);
                prev = prefix_hash(prev, e.term, cmd);
                log.push(Slot {
                    term: e.term,
                    cmd,
                    prefix: prev,
                });
            }
            c.nodes.push(Shadow {
                up: s.up,
                role: s.role,
                term: s.term,
                last_vote: s.voted_for.map(|v| (s.term, v)),
                log,
                commit: s.commit_index,
                applied: s.last_applied,
            });
        }
        c
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    pub fn first_violation(&self) -> Option<&Violation> {
        self.violations.first()
    }

    fn flag(
        &mut self,
        property: Property,
        t: Micros,
        nodes: Vec<NodeId>,
        index: Option<LogIndex>,
        terms: Vec<Term>,
        message: String,
    ) {
        // Keep the report short: one violation per property.
        if self.violations.iter().any(|v| v.property == property) {
            return;
        }
        self.violations.push(Violation {
            property,
            t,
            nodes,
            index,
            terms,
            message,
        });
    }

    fn shadow(&mut self, id: NodeId) -> Option<&mut Shadow> {
        self.nodes.get_mut((id as usize).checked_sub(1)?)
    }

    pub fn crash(&mut self, id: NodeId) {
        if let Some(s) = self.shadow(id) {
            s.up = false;
            s.role = Role::Follower;
            s.commit = 0;
            s.applied = 0;
        }
    }

    pub fn restart(&mut self, id: NodeId) {
        if let Some(s) = self.shadow(id) {
            s.up = true;
        }
    }

    /// One output of node `id` at time `t`.
    pub fn observe<M>(&mut self, t: Micros, id: NodeId, o: &Output<M>) {
        if (id as usize)
            .checked_sub(1)
            .is_none_or(|i| i >= self.nodes.len())
        {
            return;
        }
        match o {
            Output::Role { role, term } => self.on_role(t, id, *role, *term),
            Output::Vote { term, voted_for } => self.on_vote(t, id, *term, *voted_for),
            Output::Append { index, term, cmd } => self.on_append(t, id, *index, *term, cmd),
            Output::Truncate { from } => self.on_truncate(t, id, *from),
            Output::Commit { index } => self.on_commit(t, id, *index),
            Output::Apply {
                index, term, cmd, ..
            } => self.on_apply(t, id, *index, *term, cmd),
            Output::Send { .. }
            | Output::Reply { .. }
            | Output::SetTimer(_)
            | Output::ClearTimer(_) => {}
        }
    }

    fn on_role(&mut self, t: Micros, id: NodeId, role: Role, term: Term) {
        let s = &self.nodes[id as usize - 1];
        let old = s.term;
        if term < old {
            self.flag(
                Property::TermMonotonic,
                t,
                vec![id],
                None,
                vec![old, term],
                format!("S{id}'s currentTerm went back from {old} to {term}"),
            );
        }
        let s = &mut self.nodes[id as usize - 1];
        s.term = term;
        s.role = role;
        if role != Role::Leader {
            return;
        }
        if let Some(&other) = self.leaders.get(&term) {
            if other != id {
                self.flag(
                    Property::ElectionSafety,
                    t,
                    vec![other, id],
                    None,
                    vec![term],
                    format!("S{other} and S{id} were both elected leader of term {term}"),
                );
            }
        } else {
            self.leaders.insert(term, id);
        }
        // Leader Completeness: the new leader holds every committed entry.
        let k = self.committed.len();
        if k > 0 {
            let log = &self.nodes[id as usize - 1].log;
            let has = log.get(k - 1).map(|s| s.prefix) == self.committed.get(k - 1).copied();
            if !has {
                let missing = (1..=k)
                    .find(|&i| log.get(i - 1).map(|s| s.prefix) != Some(self.committed[i - 1]))
                    .unwrap_or(k);
                self.flag(
                    Property::LeaderCompleteness,
                    t,
                    vec![id],
                    Some(missing as LogIndex),
                    vec![term],
                    format!(
                        "S{id} became leader of term {term} without committed entry {missing} (entries 1..={k} were committed)"
                    ),
                );
            }
        }
    }

    fn on_vote(&mut self, t: Micros, id: NodeId, term: Term, voted_for: NodeId) {
        let s = &mut self.nodes[id as usize - 1];
        let prev = s.last_vote;
        s.last_vote = Some((term, voted_for));
        if let Some((pt, pf)) = prev {
            if pt == term && pf != voted_for {
                self.flag(
                    Property::OneVotePerTerm,
                    t,
                    vec![id, pf, voted_for],
                    None,
                    vec![term],
                    format!("S{id} voted for S{pf} and then for S{voted_for} in term {term}"),
                );
            }
        }
    }

    fn on_append(&mut self, t: Micros, id: NodeId, index: LogIndex, term: Term, cmd: &Command) {
        let Some(i) = (index as usize).checked_sub(1) else {
            return;
        };
        let cmd = command_hash(cmd);
        let (len, role) = {
            let s = &self.nodes[id as usize - 1];
            (s.log.len(), s.role)
        };
        if i > len {
            self.flag(
                Property::LogMatching,
                t,
                vec![id],
                Some(index),
                vec![term],
                format!("S{id} appended index {index} to a log of {len} entries"),
            );
            return;
        }
        if i < len && role == Role::Leader {
            self.flag(
                Property::LeaderAppendOnly,
                t,
                vec![id],
                Some(index),
                vec![self.nodes[id as usize - 1].log[i].term, term],
                format!("leader S{id} overwrote its entry at index {index}"),
            );
        }
        if i > 0 {
            let before = self.nodes[id as usize - 1].log[i - 1].term;
            if term < before {
                self.flag(
                    Property::LogTermsNonDecreasing,
                    t,
                    vec![id],
                    Some(index),
                    vec![before, term],
                    format!(
                        "S{id}'s entry {index} has term {term} after an entry of term {before}"
                    ),
                );
            }
        }
        // Write the entry (an overwrite keeps what follows: only a planted
        // bug does that) and refresh the prefix hashes from here on.
        let s = &mut self.nodes[id as usize - 1];
        let slot = Slot {
            term,
            cmd,
            prefix: 0,
        };
        if i == s.log.len() {
            s.log.push(slot);
        } else {
            s.log.set(i, slot);
        }
        let mut prev = if i == 0 { SEED } else { s.log[i - 1].prefix };
        let end = if i + 1 == s.log.len() {
            i + 1
        } else {
            s.log.len()
        };
        let mut changed = Vec::new();
        for k in i..end {
            let mut sl = s.log[k];
            sl.prefix = prefix_hash(prev, sl.term, sl.cmd);
            prev = sl.prefix;
            s.log.set(k, sl);
            changed.push((k, sl.term, sl.prefix));
        }
        // Log Matching against every other log as it is now: O(nodes).
        for (k, tm, prefix) in changed {
            let other = self.nodes.iter().enumerate().find_map(|(o, sh)| {
                let sl = sh.log.get(k)?;
                (o + 1 != id as usize && sl.term == tm && sl.prefix != prefix)
                    .then_some(o as NodeId + 1)
            });
            if let Some(other) = other {
                let idx = k as LogIndex + 1;
                self.flag(
                    Property::LogMatching,
                    t,
                    vec![other, id],
                    Some(idx),
                    vec![tm],
                    format!("S{other} and S{id} both hold an entry of term {tm} at index {idx}, but their logs differ up to it"),
                );
            }
        }
    }

    fn on_truncate(&mut self, t: Micros, id: NodeId, from: LogIndex) {
        let s = &mut self.nodes[id as usize - 1];
        let role = s.role;
        let keep = (from as usize).saturating_sub(1).min(s.log.len());
        s.log.truncate(keep);
        if role == Role::Leader {
            let term = s.term;
            self.flag(
                Property::LeaderAppendOnly,
                t,
                vec![id],
                Some(from),
                vec![term],
                format!("leader S{id} deleted its entries from index {from} on"),
            );
        }
    }

    fn on_commit(&mut self, t: Micros, id: NodeId, index: LogIndex) {
        let n = self.nodes.len();
        let s = &self.nodes[id as usize - 1];
        let (old, len) = (s.commit, s.log.len() as LogIndex);
        if index < old {
            self.flag(
                Property::CommitMonotonic,
                t,
                vec![id],
                Some(index),
                vec![],
                format!("S{id}'s commitIndex went back from {old} to {index}"),
            );
        }
        self.nodes[id as usize - 1].commit = index;
        if index > len {
            self.flag(
                Property::CommitBounds,
                t,
                vec![id],
                Some(index),
                vec![],
                format!("S{id} set commitIndex to {index} but its log ends at {len}"),
            );
            return;
        }
        if index == 0 {
            return;
        }
        let k = index as usize;
        let (prefix, entry_term) = {
            let s = &self.nodes[id as usize - 1];
            (s.log[k - 1].prefix, s.log[k - 1].term)
        };
        let (role, term) = (
            self.nodes[id as usize - 1].role,
            self.nodes[id as usize - 1].term,
        );
        if role == Role::Leader && entry_term != term {
            self.flag(
                Property::LeaderCommitsCurrentTerm,
                t,
                vec![id],
                Some(index),
                vec![entry_term, term],
                format!("leader S{id} of term {term} committed index {index}, an entry of term {entry_term}, by counting replicas"),
            );
        }
        // Committed on a majority: count the logs (of up and crashed nodes
        // alike: logs are persistent) that hold the same prefix.
        let holders = self
            .nodes
            .iter()
            .filter(|s| s.log.get(k - 1).is_some_and(|sl| sl.prefix == prefix))
            .count();
        if holders * 2 <= n {
            let term = self.nodes[id as usize - 1].log[k - 1].term;
            self.flag(
                Property::CommittedOnMajority,
                t,
                vec![id],
                Some(index),
                vec![term],
                format!("S{id} committed index {index} (term {term}), but only {holders} of {n} servers store it"),
            );
        }
        // The committed prefix only grows and never changes.
        let known = self.committed.len();
        let check = known.min(k);
        if check > 0
            && self.nodes[id as usize - 1].log[check - 1].prefix != self.committed[check - 1]
        {
            self.flag(
                Property::StateMachineSafety,
                t,
                vec![id],
                Some(check as LogIndex),
                vec![],
                format!("S{id} committed a log that differs from the committed log at or before index {check}"),
            );
            return;
        }
        for j in known..k {
            let p = self.nodes[id as usize - 1].log[j].prefix;
            self.committed.push(p);
        }
    }

    fn on_apply(&mut self, t: Micros, id: NodeId, index: LogIndex, term: Term, cmd: &Command) {
        let s = &mut self.nodes[id as usize - 1];
        let commit = s.commit;
        s.applied = index;
        if index > commit {
            self.flag(
                Property::CommitBounds,
                t,
                vec![id],
                Some(index),
                vec![term],
                format!("S{id} applied index {index} while its commitIndex was {commit}"),
            );
        }
        let Some(i) = (index as usize).checked_sub(1) else {
            return;
        };
        let h = command_hash(cmd);
        if i < self.applied.len() {
            let (t0, h0, n0) = self.applied[i];
            if t0 != term || h0 != h {
                self.flag(
                    Property::StateMachineSafety,
                    t,
                    vec![n0, id],
                    Some(index),
                    vec![t0, term],
                    format!("S{n0} applied an entry of term {t0} at index {index}; S{id} applied a different one (term {term})"),
                );
            }
        } else if i == self.applied.len() {
            self.applied.push((term, h, id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Entry, Message};

    type O = Output<Message>;

    fn fresh(n: usize) -> Checker {
        let s = NodeStatus {
            id: 0,
            up: true,
            role: Role::Follower,
            term: 0,
            voted_for: None,
            commit_index: 0,
            last_applied: 0,
            log: Vec::<Entry>::new(),
        };
        Checker::new(&vec![s; n])
    }

    fn append(c: &mut Checker, id: NodeId, index: LogIndex, term: Term) {
        c.observe::<Message>(
            0,
            id,
            &O::Append {
                index,
                term,
                cmd: Command::Noop,
            },
        );
    }

    fn props(c: &Checker) -> Vec<Property> {
        c.violations().iter().map(|v| v.property).collect()
    }

    #[test]
    fn two_leaders_in_a_term() {
        let mut c = fresh(3);
        c.observe::<Message>(
            1,
            1,
            &O::Role {
                role: Role::Leader,
                term: 2,
            },
        );
        c.observe::<Message>(
            2,
            2,
            &O::Role {
                role: Role::Leader,
                term: 3,
            },
        );
        assert!(c.violations().is_empty());
        c.observe::<Message>(
            3,
            3,
            &O::Role {
                role: Role::Leader,
                term: 3,
            },
        );
        assert_eq!(props(&c), [Property::ElectionSafety]);
        assert_eq!(c.violations()[0].nodes, [2, 3]);
        assert_eq!(c.violations()[0].t, 3);
    }

    #[test]
    fn log_matching_and_state_machine_safety() {
        let mut c = fresh(3);
        append(&mut c, 1, 1, 1);
        append(&mut c, 1, 2, 2);
        append(&mut c, 2, 1, 1);
        append(&mut c, 2, 2, 2);
        assert!(c.violations().is_empty(), "identical logs");
        // S3 holds (2, term 2) on top of a different entry 1.
        c.observe::<Message>(
            5,
            3,
            &O::Append {
                index: 1,
                term: 1,
                cmd: Command::kv(KvOp::Get { key: "x".into() }, None),
            },
        );
        append(&mut c, 3, 2, 2);
        assert_eq!(props(&c), [Property::LogMatching]);
        c.observe::<Message>(6, 1, &O::Commit { index: 1 });
        c.observe::<Message>(
            6,
            1,
            &O::Apply {
                index: 1,
                term: 1,
                cmd: Command::Noop,
                result: None,
            },
        );
        c.observe::<Message>(7, 3, &O::Commit { index: 1 });
        c.observe::<Message>(
            7,
            3,
            &O::Apply {
                index: 1,
                term: 1,
                cmd: Command::kv(KvOp::Get { key: "x".into() }, None),
                result: None,
            },
        );
        assert!(props(&c).contains(&Property::StateMachineSafety));
    }

    #[test]
    fn commits_need_a_majority_and_bounds() {
        let mut c = fresh(5);
        c.observe::<Message>(
            0,
            1,
            &O::Role {
                role: Role::Leader,
                term: 1,
            },
        );
        append(&mut c, 1, 1, 1);
        append(&mut c, 2, 1, 1);
        c.observe::<Message>(1, 1, &O::Commit { index: 1 });
        assert_eq!(props(&c), [Property::CommittedOnMajority], "2 of 5 hold it");
        c.observe::<Message>(2, 2, &O::Commit { index: 4 });
        assert!(props(&c).contains(&Property::CommitBounds));
    }

    #[test]
    fn terms_and_votes_are_persistent() {
        let mut c = fresh(3);
        c.observe::<Message>(
            0,
            1,
            &O::Role {
                role: Role::Candidate,
                term: 4,
            },
        );
        c.observe::<Message>(
            0,
            1,
            &O::Vote {
                term: 4,
                voted_for: 1,
            },
        );
        c.crash(1);
        c.restart(1);
        c.observe::<Message>(
            1,
            1,
            &O::Vote {
                term: 4,
                voted_for: 2,
            },
        );
        c.observe::<Message>(
            1,
            1,
            &O::Role {
                role: Role::Follower,
                term: 0,
            },
        );
        assert_eq!(
            props(&c),
            [Property::OneVotePerTerm, Property::TermMonotonic]
        );
    }

    #[test]
    fn a_leader_never_truncates() {
        let mut c = fresh(3);
        c.observe::<Message>(
            0,
            2,
            &O::Role {
                role: Role::Leader,
                term: 1,
            },
        );
        append(&mut c, 2, 1, 1);
        c.observe::<Message>(1, 2, &O::Truncate { from: 1 });
        assert_eq!(props(&c), [Property::LeaderAppendOnly]);
    }
}
