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
    PreVoteChangesNothing,
    TransferStopsCommands,
}

impl Property {
    pub const ALL: [Property; 14] = [
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
        Property::PreVoteChangesNothing,
        Property::TransferStopsCommands,
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
            Property::PreVoteChangesNothing => "a pre-vote changes no term and no vote",
            Property::TransferStopsCommands => {
                "a leader handing over leadership takes no new commands"
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
            Property::PreVoteChangesNothing => "Answering a PreVote changes neither currentTerm nor votedFor: a server that cannot win does not disrupt the cluster (thesis §9.6).",
            Property::TransferStopsCommands => "While it hands leadership over, a leader appends no new client command, so the target can catch up and the transfer finishes (thesis §3.10).",
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
    /// A leadership transfer this leader has under way.
    transferring: bool,
    /// Its configuration, once it reported one (membership changes);
    /// until then every server counts.
    config: Option<crate::protocol::Configuration>,
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
        Command::Config(c) => {
            let mut h = mix(SEED, 5);
            for set in [c.voters(), c.outgoing(), c.learners()] {
                h = mix(h, set.len() as u64);
                for &id in set {
                    h = mix(h, u64::from(id));
                }
            }
            h
        }
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

/// How far `log` agrees with the committed log, looking at its first
/// `reach` entries (both logs hold them): the prefix hashes agree up to
/// some index and differ from there on, so a binary search finds it.
fn agreement(committed: &Chunked<Slot>, log: &Chunked<Slot>, reach: usize) -> LogIndex {
    let same = |i: usize| log.get(i).map(|s| s.prefix) == committed.get(i).map(|s| s.prefix);
    if reach == 0 || same(reach - 1) {
        return reach as LogIndex;
    }
    let (mut lo, mut hi) = (0, reach - 1); // same below lo, not at hi
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if same(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo as LogIndex
}

/// A leader of a term as it was elected: what Leader Completeness needs of
/// its log. A leader never truncates its log in its term and appends only
/// entries of that term (Leader Append-Only, checked on its own), so its log
/// at election is what it holds of the entries committed in earlier terms.
#[derive(Clone, Debug)]
struct Elected {
    id: NodeId,
    /// Its log then agreed with the committed log through this index, as
    /// far as the committed log reaches: it holds committed entry `i` if
    /// and only if `i <= agree`.
    agree: LogIndex,
    /// Its log at election (shared chunks: a pointer per 256 entries),
    /// kept while the committed log has not yet reached its end and not
    /// yet diverged from it; then dropped.
    log: Option<Chunked<Slot>>,
}

/// The checker. Feed it every node output, crash and restart, in order.
#[derive(Clone, Debug)]
pub struct Checker {
    nodes: Vec<Shadow>,
    /// How many servers the cluster booted with: the configuration of a
    /// server that has reported none.
    boot_n: usize,
    /// Some server's configuration changed (membership changes).
    reconfigured: bool,
    /// The leader of each term seen so far, with its log at election.
    leaders: BTreeMap<Term, Elected>,
    /// Leaders whose log at election still reaches past the committed log
    /// (`Elected::log` is kept): each is settled once the committed log
    /// reaches its end or diverges from it.
    unsettled: Vec<Term>,
    /// In which term the committed entries were committed, as a staircase:
    /// `(i, t)` says entries `1..=i` were committed in term `t` or earlier.
    /// Both strictly increase along the vector (a pair another one covers,
    /// with a later end and an earlier term, is dropped). The term of a
    /// commit is the committing server's currentTerm: a leader commits in
    /// its own term, and a follower learns leaderCommit from a leader of
    /// its current term, whose commits are of that term or earlier.
    commit_terms: Vec<(LogIndex, Term)>,
    /// The committed log (with prefix hashes), index 1 first.
    committed: Chunked<Slot>,
    /// Per index: what was applied there first (term, command hash, node,
    /// whether the command ran).
    applied: Chunked<(Term, u64, NodeId, bool)>,
    violations: Vec<Violation>,
}

impl Checker {
    /// Start from the nodes' current persistent state.
    pub fn new(nodes: &[NodeStatus]) -> Checker {
        let mut c = Checker {
            nodes: Vec::with_capacity(nodes.len()),
            boot_n: nodes.len(),
            reconfigured: false,
            leaders: BTreeMap::new(),
            unsettled: Vec::new(),
            commit_terms: Vec::new(),
            committed: Chunked::new(),
            applied: Chunked::new(),
            violations: Vec::new(),
        };
        for s in nodes {
            c.add_node(s);
        }
        c
    }

    /// A server that joins (or one of those at the start).
    pub fn add_node(&mut self, s: &NodeStatus) {
        let c = self;
        {
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
                transferring: false,
                config: s.config.clone(),
            });
        }
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
            s.transferring = false;
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
                index,
                term,
                cmd,
                fresh,
                ..
            } => self.on_apply(t, id, *index, *term, cmd, *fresh),
            Output::Snapshot { index, term } => self.on_snapshot(t, id, *index, *term),
            Output::Install { index, term, kept } => self.on_install(t, id, *index, *term, *kept),
            Output::Transfer { to } => {
                if let Some(s) = self.shadow(id) {
                    s.transferring = to.is_some();
                }
            }
            Output::Config { config } => {
                self.reconfigured = true;
                if let Some(s) = self.shadow(id) {
                    s.config = Some(config.clone());
                }
            }
            Output::Send { .. }
            | Output::Reply { .. }
            | Output::Read { .. }
            | Output::SetTimer(_)
            | Output::ClearTimer(_) => {}
        }
    }

    /// Node `id` answered a PreVote at `t` with `out`: a term or vote
    /// change is a violation (thesis §9.6).
    pub fn pre_vote_step<M>(&mut self, t: Micros, id: NodeId, out: &[Output<M>]) {
        let Some(before) = self.shadow(id).map(|s| s.term) else {
            return;
        };
        let changed = out.iter().find_map(|o| match o {
            Output::Role { term, .. } if *term != before => {
                Some(format!("its term went from {before} to {term}"))
            }
            Output::Vote { term, voted_for } => {
                Some(format!("it voted for S{voted_for} in term {term}"))
            }
            _ => None,
        });
        if let Some(what) = changed {
            self.flag(
                Property::PreVoteChangesNothing,
                t,
                vec![id],
                None,
                vec![before],
                format!("S{id} answered a PreVote and {what}"),
            );
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
        if let Some(other) = self.leaders.get(&term).map(|e| e.id) {
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
            return;
        }
        // Leader Completeness, the new leader against past commits: it
        // holds every entry committed in an earlier term (§5.4, Fig. 3).
        // Entries committed in its own term or later (a stale leader whose
        // votes were delayed) it need not hold.
        let log = self.nodes[id as usize - 1].log.clone();
        let reach = log.len().min(self.committed.len());
        let agree = agreement(&self.committed, &log, reach);
        let settled = agree < reach as LogIndex || log.len() <= self.committed.len();
        let need = self.committed_before(term);
        if need > agree {
            let missing = agree + 1;
            self.flag(
                Property::LeaderCompleteness,
                t,
                vec![id],
                Some(missing),
                vec![term],
                format!(
                    "S{id} became leader of term {term} without committed entry {missing} (entries 1..={need} were committed in earlier terms)"
                ),
            );
        }
        self.leaders.insert(
            term,
            Elected {
                id,
                agree,
                log: (!settled).then_some(log),
            },
        );
        if !settled {
            self.unsettled.push(term);
        }
    }

    /// The last index committed in a term before `term` (0 if none).
    fn committed_before(&self, term: Term) -> LogIndex {
        let k = self.commit_terms.partition_point(|&(_, t)| t < term);
        k.checked_sub(1).map_or(0, |k| self.commit_terms[k].0)
    }

    /// Record that entries `1..=index` were committed in term `term` or
    /// earlier. False if an earlier commit already said as much.
    fn note_commit_term(&mut self, index: LogIndex, term: Term) -> bool {
        let st = &mut self.commit_terms;
        let p = st.partition_point(|&(i, _)| i < index);
        if st.get(p).is_some_and(|&(_, t)| t <= term) {
            return false;
        }
        let q = st.partition_point(|&(_, t)| t < term);
        let end = if st.get(p).is_some_and(|&(i, _)| i == index) {
            p + 1
        } else {
            p
        };
        st.splice(q..end, [(index, term)]);
        true
    }

    /// The committed log grew: bring each unsettled leader's agreement up
    /// to date (one comparison each, a binary search where it diverges).
    fn settle_leaders(&mut self) {
        let committed = &self.committed;
        let leaders = &mut self.leaders;
        self.unsettled.retain(|term| {
            let Some(e) = leaders.get_mut(term) else {
                return false;
            };
            let Some(log) = &e.log else {
                return false;
            };
            let reach = log.len().min(committed.len());
            e.agree = agreement(committed, log, reach);
            let settled = e.agree < reach as LogIndex || log.len() <= committed.len();
            if settled {
                e.log = None;
            }
            !settled
        });
    }

    /// Leader Completeness, a new commit against past leaders: entry
    /// `index`, committed in term `term` or earlier, must be in the log of
    /// every leader of a higher term already elected (Fig. 3). Only a commit
    /// that says something new gets here, and only leaders of higher terms
    /// are looked at: in a healthy run there are none.
    fn check_past_leaders(&mut self, t: Micros, id: NodeId, index: LogIndex, term: Term) {
        let missing = self
            .leaders
            .range(term.saturating_add(1)..)
            .find(|(_, e)| e.agree < index)
            .map(|(&lt, e)| (lt, e.id, e.agree + 1));
        if let Some((lt, lid, m)) = missing {
            self.flag(
                Property::LeaderCompleteness,
                t,
                vec![id, lid],
                Some(m),
                vec![term, lt],
                format!(
                    "S{id} committed index {index} in term {term} (so it was committed in term {term} or earlier), but S{lid} had become leader of term {lt} without entry {m}"
                ),
            );
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
        let s = &self.nodes[id as usize - 1];
        if s.transferring && s.role == Role::Leader && matches!(cmd, Command::Kv(_)) {
            self.flag(
                Property::TransferStopsCommands,
                t,
                vec![id],
                Some(index),
                vec![term],
                format!(
                    "leader S{id} took a client command at index {index} while handing over leadership"
                ),
            );
        }
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
        // alike: logs are persistent) that hold the same prefix; among the
        // committing server's configuration's voters once it has one, in
        // both sets during joint consensus (paper §6).
        let holds = |i: usize| {
            self.nodes
                .get(i)
                .is_some_and(|s| s.log.get(k - 1).is_some_and(|sl| sl.prefix == prefix))
        };
        let boot = self.boot_n.min(n);
        let shadow = &self.nodes[id as usize - 1];
        let (holders, n) = match &shadow.config {
            // Once membership has changed, a follower may learn of a commit
            // under another configuration than its own: the leader's commit
            // is the one to judge, under the leader's configuration.
            _ if self.reconfigured && shadow.role != Role::Leader => (1, 1),
            None => ((0..boot).filter(|&i| holds(i)).count(), boot),
            Some(c) => {
                let count = |set: &[NodeId]| {
                    let h = set.iter().filter(|&&v| holds(v as usize - 1)).count();
                    (h, set.len())
                };
                let (h, m) = count(c.voters());
                let (ho, mo) = count(c.outgoing());
                // The set with the thinner majority speaks for both.
                if c.is_joint() && ho * m < h * mo {
                    (ho, mo)
                } else {
                    (h, m)
                }
            }
        };
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
            && self.nodes[id as usize - 1].log[check - 1].prefix != self.committed[check - 1].prefix
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
            let slot = self.nodes[id as usize - 1].log[j];
            self.committed.push(slot);
        }
        if k > known && !self.unsettled.is_empty() {
            self.settle_leaders();
        }
        if self.note_commit_term(index, term) {
            self.check_past_leaders(t, id, index, term);
        }
    }

    fn on_apply(
        &mut self,
        t: Micros,
        id: NodeId,
        index: LogIndex,
        term: Term,
        cmd: &Command,
        fresh: bool,
    ) {
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
            let (t0, h0, n0, f0) = self.applied[i];
            if t0 == term && h0 == h && f0 != fresh {
                let (ran, skipped) = if fresh { (id, n0) } else { (n0, id) };
                self.flag(
                    Property::StateMachineSafety,
                    t,
                    vec![skipped, ran],
                    Some(index),
                    vec![term],
                    format!("S{ran} ran the command at index {index}, but S{skipped} answered it from its client's session as one already run: their state machines differ"),
                );
            }
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
            self.applied.push((term, h, id, fresh));
        }
    }

    /// Log compaction: only applied entries go into a snapshot (§7).
    fn on_snapshot(&mut self, t: Micros, id: NodeId, index: LogIndex, term: Term) {
        let applied = self.nodes[id as usize - 1].applied;
        if index > applied {
            self.flag(
                Property::CommitBounds,
                t,
                vec![id],
                Some(index),
                vec![term],
                format!("S{id} snapshotted through index {index} but had applied only through {applied}"),
            );
        }
    }

    /// InstallSnapshot: the snapshot must be of the committed log. The
    /// server's log becomes the committed prefix through `index`, plus
    /// the entries after it if it `kept` them; it has applied `index`.
    fn on_install(&mut self, t: Micros, id: NodeId, index: LogIndex, term: Term, kept: bool) {
        let Some(k) = (index as usize).checked_sub(1) else {
            return;
        };
        let Some(slot) = self.committed.get(k).copied() else {
            let known = self.committed.len();
            self.flag(
                Property::StateMachineSafety,
                t,
                vec![id],
                Some(index),
                vec![term],
                format!("S{id} installed a snapshot through index {index}, but only {known} entries are committed"),
            );
            return;
        };
        if slot.term != term {
            self.flag(
                Property::StateMachineSafety,
                t,
                vec![id],
                Some(index),
                vec![slot.term, term],
                format!("S{id} installed a snapshot through index {index} of term {term}; the committed entry there has term {}", slot.term),
            );
            return;
        }
        if kept {
            let own = self.nodes[id as usize - 1].log.get(k).map(|sl| sl.prefix);
            if own != Some(slot.prefix) {
                self.flag(
                    Property::LogMatching,
                    t,
                    vec![id],
                    Some(index),
                    vec![term],
                    format!("S{id} kept its log after a snapshot through index {index}, but its log differs from the committed log up to there"),
                );
            }
        } else {
            let mut log = self.committed.clone();
            log.truncate(index as usize);
            self.nodes[id as usize - 1].log = log;
        }
        self.nodes[id as usize - 1].applied = index;
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
            snapshot_index: 0,
            snapshot_term: 0,
            config: None,
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
                fresh: false,
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
                fresh: true,
            },
        );
        assert!(props(&c).contains(&Property::StateMachineSafety));
    }

    fn apply(c: &mut Checker, t: Micros, id: NodeId, fresh: bool) {
        let cmd = Command::kv(
            KvOp::Put {
                key: "x".into(),
                value: "1".into(),
            },
            Some(crate::protocol::Session {
                client: 1,
                op_id: 1,
            }),
        );
        c.observe::<Message>(t, id, &O::Commit { index: 1 });
        c.observe::<Message>(
            t,
            id,
            &O::Apply {
                index: 1,
                term: 1,
                cmd,
                result: None,
                fresh,
            },
        );
    }

    #[test]
    fn state_machine_safety_compares_what_the_session_table_did() {
        // The same entry everywhere, but S2 ran it and S1 took it for a
        // retry already run: their state machines differ.
        let mut c = fresh(3);
        for id in 1..=3 {
            append(&mut c, id, 1, 1);
        }
        apply(&mut c, 1, 1, false);
        apply(&mut c, 2, 3, false);
        assert!(c.violations().is_empty());
        apply(&mut c, 3, 2, true);
        assert_eq!(props(&c), [Property::StateMachineSafety]);
        assert_eq!(c.violations()[0].nodes, [1, 2]);
    }

    #[test]
    fn an_installed_snapshot_must_be_of_the_committed_log() {
        let mut c = fresh(3);
        for id in 1..=2 {
            append(&mut c, id, 1, 1);
            append(&mut c, id, 2, 1);
        }
        c.observe::<Message>(1, 1, &O::Commit { index: 2 });
        // S3 installs the committed prefix: its shadow log is that prefix.
        let install = |index, term| O::Install {
            index,
            term,
            kept: false,
        };
        c.observe::<Message>(2, 3, &install(2, 1));
        c.observe::<Message>(2, 3, &O::Commit { index: 2 });
        assert!(c.violations().is_empty(), "{:?}", c.violations());
        // A snapshot beyond what is committed, or of another term, is not.
        c.observe::<Message>(3, 3, &install(3, 1));
        assert_eq!(props(&c), [Property::StateMachineSafety]);
        let mut c = fresh(3);
        append(&mut c, 1, 1, 1);
        append(&mut c, 2, 1, 1);
        c.observe::<Message>(1, 1, &O::Commit { index: 1 });
        c.observe::<Message>(2, 3, &install(1, 2));
        assert_eq!(props(&c), [Property::StateMachineSafety]);
        // Compaction only of applied entries.
        let mut c = fresh(3);
        append(&mut c, 1, 1, 1);
        c.observe::<Message>(1, 1, &O::Snapshot { index: 1, term: 1 });
        assert_eq!(props(&c), [Property::CommitBounds]);
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

    fn role(c: &mut Checker, t: Micros, id: NodeId, role: Role, term: Term) {
        c.observe::<Message>(t, id, &O::Role { role, term });
    }

    fn commit(c: &mut Checker, t: Micros, id: NodeId, index: LogIndex) {
        c.observe::<Message>(t, id, &O::Commit { index });
    }

    #[test]
    fn a_commit_after_a_higher_term_leader_was_elected_without_it() {
        // S1 leads term 1 and replicates index 1 to S2. S3 wins term 2
        // with an empty log (its votes were granted wrongly), and only
        // then does S1's commit of index 1 (term 1) happen: the entry is
        // committed in term 1 and missing from the leader of term 2.
        // Checked only at elections, this order went unseen (issue 11).
        let mut c = fresh(3);
        role(&mut c, 0, 1, Role::Leader, 1);
        append(&mut c, 1, 1, 1);
        append(&mut c, 2, 1, 1);
        role(&mut c, 1, 3, Role::Leader, 2);
        assert!(c.violations().is_empty(), "nothing committed yet");
        commit(&mut c, 2, 1, 1);
        assert_eq!(props(&c), [Property::LeaderCompleteness]);
        let v = &c.violations()[0];
        assert_eq!((v.t, v.index, &v.nodes[..]), (2, Some(1), &[1, 3][..]));
        assert_eq!(v.terms, [1, 2]);
    }

    #[test]
    fn a_later_commit_of_an_earlier_leaders_entry_is_checked_too() {
        // The same, with the new leader holding a prefix: S3 has index 1
        // but not index 2, and index 2 commits in term 1 after S3 won
        // term 2.
        let mut c = fresh(3);
        role(&mut c, 0, 1, Role::Leader, 1);
        for id in 1..=3 {
            append(&mut c, id, 1, 1);
        }
        commit(&mut c, 1, 1, 1);
        append(&mut c, 1, 2, 1);
        append(&mut c, 2, 2, 1);
        role(&mut c, 2, 3, Role::Leader, 2);
        assert!(c.violations().is_empty(), "S3 holds the committed index 1");
        // A follower learning the commit in term 1 says the same.
        role(&mut c, 3, 2, Role::Follower, 1);
        commit(&mut c, 3, 2, 2);
        assert_eq!(props(&c), [Property::LeaderCompleteness]);
        assert_eq!(c.violations()[0].index, Some(2));
    }

    #[test]
    fn the_commit_terms_form_a_staircase() {
        let mut c = fresh(1);
        assert!(c.note_commit_term(3, 2));
        assert!(!c.note_commit_term(2, 2), "covered by (3, 2)");
        assert!(!c.note_commit_term(3, 5), "covered by (3, 2)");
        assert!(c.note_commit_term(5, 4));
        assert!(c.note_commit_term(4, 1), "an earlier term for 1..=4");
        assert_eq!(c.commit_terms, [(4, 1), (5, 4)]);
        assert!(c.note_commit_term(9, 4));
        assert_eq!(c.commit_terms, [(4, 1), (9, 4)]);
        assert!(c.note_commit_term(7, 3));
        assert_eq!(c.commit_terms, [(4, 1), (7, 3), (9, 4)]);
        assert_eq!(
            [1, 2, 3, 4, 5].map(|t| c.committed_before(t)),
            [0, 4, 4, 7, 9]
        );
    }

    #[test]
    fn a_leader_is_judged_by_its_log_as_it_was_elected() {
        // S3 wins term 2 holding indexes 1-2 (term 1), only index 1
        // committed. It steps down and loses index 2 as a follower (legal).
        // S1, the stale leader of term 1, then commits index 2: S3 held it
        // when it led, so that is fine; then index 3, which S3 never held.
        let mut c = fresh(3);
        role(&mut c, 0, 1, Role::Leader, 1);
        for id in 1..=3 {
            append(&mut c, id, 1, 1);
            append(&mut c, id, 2, 1);
        }
        commit(&mut c, 1, 1, 1);
        append(&mut c, 1, 3, 1);
        append(&mut c, 2, 3, 1);
        role(&mut c, 2, 3, Role::Leader, 2);
        role(&mut c, 3, 3, Role::Follower, 3);
        c.observe::<Message>(3, 3, &O::Truncate { from: 2 });
        commit(&mut c, 4, 1, 2);
        assert!(c.violations().is_empty(), "{:?}", c.violations());
        commit(&mut c, 5, 1, 3);
        assert_eq!(props(&c), [Property::LeaderCompleteness]);
        assert_eq!(c.violations()[0].index, Some(3));
        assert_eq!(c.violations()[0].nodes, [1, 3]);
    }

    #[test]
    fn an_entry_committed_in_a_later_term_need_not_be_in_an_earlier_leader() {
        // Fig. 8 (c)-(e): S5 leads term 3 without index 2 (term 2); S1,
        // leader of term 4, then commits index 3 and with it index 2. Index
        // 2 is committed in term 4, so the leader of term 3 need not hold
        // it (an entry's own term is not the term it commits in).
        let mut c = fresh(5);
        role(&mut c, 0, 1, Role::Leader, 1);
        for id in 1..=5 {
            append(&mut c, id, 1, 1);
        }
        commit(&mut c, 1, 1, 1);
        role(&mut c, 2, 1, Role::Leader, 2);
        append(&mut c, 1, 2, 2);
        append(&mut c, 2, 2, 2);
        role(&mut c, 3, 5, Role::Leader, 3);
        append(&mut c, 5, 2, 3);
        role(&mut c, 4, 5, Role::Follower, 3);
        role(&mut c, 5, 1, Role::Leader, 4);
        append(&mut c, 1, 3, 4);
        append(&mut c, 3, 2, 2);
        append(&mut c, 2, 3, 4);
        append(&mut c, 3, 3, 4);
        commit(&mut c, 6, 1, 3);
        assert!(c.violations().is_empty(), "{:?}", c.violations());
    }

    #[test]
    fn a_stale_leader_need_not_hold_what_a_higher_term_committed() {
        // S1's votes for term 2 are delayed: meanwhile S2 wins term 3 and
        // commits its no-op. When the votes arrive S1 becomes leader of
        // term 2 without it. Legal: the entry was committed in term 3, and
        // Leader Completeness binds the leaders of higher terms only.
        let mut c = fresh(3);
        role(&mut c, 0, 1, Role::Candidate, 2);
        role(&mut c, 1, 2, Role::Leader, 3);
        append(&mut c, 2, 1, 3);
        append(&mut c, 3, 1, 3);
        commit(&mut c, 2, 2, 1);
        role(&mut c, 3, 1, Role::Leader, 2);
        assert!(c.violations().is_empty(), "{:?}", c.violations());
        // A leader of term 4 must hold it, though.
        role(&mut c, 4, 1, Role::Leader, 4);
        assert_eq!(props(&c), [Property::LeaderCompleteness]);
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
