//! A Raft server as a deterministic state machine (paper Fig. 2).
//!
//! [`RaftNode::step`] takes one [`Input`] and pushes [`Output`]s. The node
//! never reads a clock or draws a random number: it asks for timers with
//! [`Output::SetTimer`] and the caller decides their length.

use super::{
    ClientId, ClientResponse, Command, Entry, Input, KvOp, KvStore, LogIndex, Message, NodeId,
    OpId, Output, RaftLog, Role, Session, Term, Timer,
};
use std::collections::{BTreeMap, BTreeSet};

type Out = Vec<Output<Message>>;

/// Cluster membership as data: the set of voting servers. Quorums are
/// computed from it, never from a constant N, so joint consensus (§6) can
/// later replace it with two sets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Configuration {
    voters: Vec<NodeId>,
}

impl Configuration {
    pub fn new(voters: impl IntoIterator<Item = NodeId>) -> Self {
        let set: BTreeSet<NodeId> = voters.into_iter().collect();
        Configuration {
            voters: set.into_iter().collect(),
        }
    }

    /// Servers 1..=n.
    pub fn of_size(n: u32) -> Self {
        Self::new(1..=n)
    }

    pub fn voters(&self) -> &[NodeId] {
        &self.voters
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.voters.binary_search(&id).is_ok()
    }

    /// Does the set of servers for which `yes` holds form a majority?
    pub fn is_quorum(&self, yes: impl Fn(NodeId) -> bool) -> bool {
        let n = self.voters.iter().filter(|&&v| yes(v)).count();
        n * 2 > self.voters.len()
    }

    /// The highest index that a majority has matched. `scratch` is reused
    /// to keep allocation off the hot path.
    pub fn quorum_index(
        &self,
        scratch: &mut Vec<LogIndex>,
        matched: impl Fn(NodeId) -> LogIndex,
    ) -> LogIndex {
        scratch.clear();
        scratch.extend(self.voters.iter().map(|&v| matched(v)));
        if scratch.is_empty() {
            return 0;
        }
        scratch.sort_unstable_by(|a, b| b.cmp(a));
        let q = scratch[self.voters.len() / 2];
        scratch.clear();
        q
    }
}

/// Classic Raft mistakes, planted on purpose so the checkers can prove
/// they catch them (and for the browser's "break it" mode). All are off
/// unless switched on by name; the correct code paths never consult any
/// other source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bug {
    /// Grant a vote to any up-to-date candidate, even after voting in the term.
    DoubleVote,
    /// Grant votes without the §5.4.1 up-to-date check.
    NoUpToDateCheck,
    /// Commit by counting replicas, whatever the entry's term (Fig. 8).
    CommitOldTermByCounting,
    /// On a conflict, overwrite the one entry and keep the rest (§5.3 says delete all that follow).
    AppendWithoutTruncate,
    /// Accept AppendEntries from a leader of an older term.
    AcceptStaleTerm,
    /// Lose votedFor in a crash.
    ForgetVotedFor,
    /// Lose currentTerm in a crash.
    ForgetCurrentTerm,
    /// Apply entries as soon as they are in the log, before they commit.
    ApplyBeforeCommit,
    /// A returning leader keeps the matchIndex it had in an earlier term.
    StaleMatchIndex,
    /// A follower sets commitIndex to leaderCommit, beyond its last new entry.
    CommitBeyondLastNew,
}

impl Bug {
    pub const ALL: [Bug; 10] = [
        Bug::DoubleVote,
        Bug::NoUpToDateCheck,
        Bug::CommitOldTermByCounting,
        Bug::AppendWithoutTruncate,
        Bug::AcceptStaleTerm,
        Bug::ForgetVotedFor,
        Bug::ForgetCurrentTerm,
        Bug::ApplyBeforeCommit,
        Bug::StaleMatchIndex,
        Bug::CommitBeyondLastNew,
    ];

    /// The name used in scenarios (`"raft": {"bugs": [...]}`).
    pub fn name(self) -> &'static str {
        match self {
            Bug::DoubleVote => "double_vote",
            Bug::NoUpToDateCheck => "no_up_to_date_check",
            Bug::CommitOldTermByCounting => "commit_old_term_by_counting",
            Bug::AppendWithoutTruncate => "append_without_truncate",
            Bug::AcceptStaleTerm => "accept_stale_term",
            Bug::ForgetVotedFor => "forget_voted_for",
            Bug::ForgetCurrentTerm => "forget_current_term",
            Bug::ApplyBeforeCommit => "apply_before_commit",
            Bug::StaleMatchIndex => "stale_match_index",
            Bug::CommitBeyondLastNew => "commit_beyond_last_new",
        }
    }

    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|b| b.name() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of planted bugs; empty by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bugs(u16);

impl Bugs {
    pub const NONE: Bugs = Bugs(0);

    pub fn with(self, b: Bug) -> Bugs {
        Bugs(self.0 | b.bit())
    }

    pub fn has(self, b: Bug) -> bool {
        self.0 & b.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.into_iter().filter(move |b| self.has(*b))
    }
}

/// Tunables that shape the protocol (not its timing, which the caller owns).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftConfig {
    /// The most entries one AppendEntries carries.
    pub max_entries_per_append: u32,
    /// Planted bugs (none in a correct node).
    pub bugs: Bugs,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            max_entries_per_append: 64,
            bugs: Bugs::NONE,
        }
    }
}

/// The leader's view of one follower (Fig. 2 nextIndex[] and matchIndex[]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Progress {
    pub next_index: LogIndex,
    pub match_index: LogIndex,
    /// Probing: the leader does not yet know where the follower's log
    /// matches, so it sends one AppendEntries per heartbeat or reply and does
    /// not advance nextIndex until it hears back. Otherwise it pipelines.
    pub probing: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftNode {
    id: NodeId,
    config: Configuration,
    opts: RaftConfig,

    // Persistent state on all servers (Fig. 2).
    current_term: Term,
    voted_for: Option<NodeId>,
    log: RaftLog,

    // Volatile state on all servers.
    role: Role,
    commit_index: LogIndex,
    last_applied: LogIndex,
    leader_id: Option<NodeId>,
    kv: KvStore,

    // Volatile state on candidates and leaders.
    votes: BTreeSet<NodeId>,
    progress: BTreeMap<NodeId, Progress>,
    /// Log index -> the client op this leader accepted there, to answer it
    /// once applied.
    pending: BTreeMap<LogIndex, Session>,

    scratch: Vec<LogIndex>,
}

impl RaftNode {
    /// A new server with an empty log in term 0.
    pub fn new(id: NodeId, config: Configuration, opts: RaftConfig) -> Self {
        Self::with_state(id, config, opts, 0, None, RaftLog::new())
    }

    /// A server restarting from given persistent state (e.g. the paper's
    /// Fig. 7 and Fig. 8 starting points).
    pub fn with_state(
        id: NodeId,
        config: Configuration,
        opts: RaftConfig,
        current_term: Term,
        voted_for: Option<NodeId>,
        log: RaftLog,
    ) -> Self {
        let commit = log.snapshot_index();
        RaftNode {
            id,
            config,
            opts,
            current_term,
            voted_for,
            log,
            role: Role::Follower,
            commit_index: commit,
            last_applied: commit,
            leader_id: None,
            kv: KvStore::new(),
            votes: BTreeSet::new(),
            progress: BTreeMap::new(),
            pending: BTreeMap::new(),
            scratch: Vec::new(),
        }
    }

    // --- read access (for the simulator, checkers and the UI) ---

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn config(&self) -> &Configuration {
        &self.config
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn current_term(&self) -> Term {
        self.current_term
    }
    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }
    pub fn log(&self) -> &RaftLog {
        &self.log
    }
    pub fn commit_index(&self) -> LogIndex {
        self.commit_index
    }
    pub fn last_applied(&self) -> LogIndex {
        self.last_applied
    }
    pub fn leader_id(&self) -> Option<NodeId> {
        self.leader_id
    }
    pub fn kv(&self) -> &KvStore {
        &self.kv
    }
    /// The leader's nextIndex/matchIndex per peer (empty unless leader).
    pub fn progress(&self) -> &BTreeMap<NodeId, Progress> {
        &self.progress
    }
    /// Votes received in the current election (candidates).
    pub fn votes(&self) -> &BTreeSet<NodeId> {
        &self.votes
    }

    // --- lifecycle ---

    /// Boot: report the initial role and ask for an election timer.
    pub fn start(&mut self, out: &mut Out) {
        out.push(Output::Role {
            role: self.role,
            term: self.current_term,
        });
        out.push(Output::SetTimer(Timer::Election));
    }

    /// A crash loses all volatile state; currentTerm, votedFor and the log
    /// survive (Fig. 2 "Persistent state").
    pub fn crash(&mut self) {
        if self.bug(Bug::ForgetVotedFor) {
            self.voted_for = None;
        }
        if self.bug(Bug::ForgetCurrentTerm) {
            self.current_term = 0;
        }
        let commit = self.log.snapshot_index();
        self.role = Role::Follower;
        self.commit_index = commit;
        self.last_applied = commit;
        self.leader_id = None;
        self.kv = KvStore::new();
        self.votes.clear();
        self.progress.clear();
        self.pending.clear();
    }

    /// Restart from persistent state alone.
    pub fn restart(&mut self, out: &mut Out) {
        self.crash();
        self.start(out);
    }

    fn bug(&self, b: Bug) -> bool {
        self.opts.bugs.has(b)
    }

    // --- the step function ---

    pub fn step(&mut self, input: Input<Message>, out: &mut Out) {
        match input {
            Input::Message { from, msg } => self.on_message(from, msg, out),
            Input::Timeout(Timer::Election) => self.start_election(out),
            Input::Timeout(Timer::Heartbeat) => {
                if self.role == Role::Leader {
                    self.broadcast_append(out);
                    out.push(Output::SetTimer(Timer::Heartbeat));
                }
            }
            Input::Propose { client, op_id, op } => self.propose(client, op_id, op, out),
        }
    }

    fn on_message(&mut self, from: NodeId, msg: Message, out: &mut Out) {
        // All servers: a higher term makes us a follower of that term (§5.1).
        if msg.term() > self.current_term {
            self.become_follower(msg.term(), None, out);
        }
        match msg {
            Message::RequestVote {
                term,
                candidate_id,
                last_log_index,
                last_log_term,
            } => self.on_request_vote(from, term, candidate_id, last_log_index, last_log_term, out),
            Message::RequestVoteReply { term, vote_granted } => {
                self.on_vote_reply(from, term, vote_granted, out)
            }
            Message::AppendEntries {
                term,
                leader_id,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => self.on_append_entries(
                from,
                term,
                leader_id,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                out,
            ),
            Message::AppendEntriesReply {
                term,
                success,
                prev_log_index,
                match_index,
                conflict_term,
                conflict_index,
            } => self.on_append_reply(
                from,
                term,
                success,
                prev_log_index,
                match_index,
                conflict_term,
                conflict_index,
                out,
            ),
        }
    }

    // --- roles ---

    fn emit_role(&self, out: &mut Out) {
        out.push(Output::Role {
            role: self.role,
            term: self.current_term,
        });
    }

    /// Step down to follower in `term` (equal or higher than ours).
    fn become_follower(&mut self, term: Term, leader: Option<NodeId>, out: &mut Out) {
        let changed = term != self.current_term || self.role != Role::Follower;
        let was_leader = self.role == Role::Leader;
        if term > self.current_term {
            self.current_term = term;
            self.voted_for = None;
        }
        self.role = Role::Follower;
        self.leader_id = leader;
        self.votes.clear();
        if !self.bug(Bug::StaleMatchIndex) {
            self.progress.clear();
        }
        if changed {
            self.emit_role(out);
        }
        if was_leader {
            out.push(Output::ClearTimer(Timer::Heartbeat));
            out.push(Output::SetTimer(Timer::Election));
        }
    }

    /// Candidates (§5.2): increment currentTerm, vote for self, reset the
    /// election timer, send RequestVote to all other servers.
    fn start_election(&mut self, out: &mut Out) {
        if !self.config.contains(self.id) {
            return;
        }
        if self.role == Role::Leader {
            out.push(Output::ClearTimer(Timer::Heartbeat));
        }
        self.current_term += 1;
        self.voted_for = Some(self.id);
        self.role = Role::Candidate;
        self.leader_id = None;
        if !self.bug(Bug::StaleMatchIndex) {
            self.progress.clear();
        }
        self.votes.clear();
        self.votes.insert(self.id);
        self.emit_role(out);
        out.push(Output::Vote {
            term: self.current_term,
            voted_for: self.id,
        });
        out.push(Output::SetTimer(Timer::Election));
        if self.config.is_quorum(|v| self.votes.contains(&v)) {
            self.become_leader(out);
            return;
        }
        let msg = Message::RequestVote {
            term: self.current_term,
            candidate_id: self.id,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
        };
        for &peer in self.config.voters() {
            if peer != self.id {
                out.push(Output::Send {
                    to: peer,
                    msg: msg.clone(),
                });
            }
        }
    }

    fn become_leader(&mut self, out: &mut Out) {
        self.role = Role::Leader;
        self.leader_id = Some(self.id);
        self.votes.clear();
        self.emit_role(out);
        out.push(Output::ClearTimer(Timer::Election));
        // Fig. 2: reinitialise nextIndex to last log index + 1, matchIndex to 0.
        let next = self.log.last_index() + 1;
        let old = std::mem::take(&mut self.progress);
        let keep_stale = self.bug(Bug::StaleMatchIndex);
        self.progress = self
            .config
            .voters()
            .iter()
            .filter(|&&v| v != self.id)
            .map(|&v| {
                (
                    v,
                    Progress {
                        next_index: next,
                        match_index: if keep_stale {
                            old.get(&v).map_or(0, |p| p.match_index)
                        } else {
                            0
                        },
                        probing: true,
                    },
                )
            })
            .collect();
        // A no-op from the new term lets earlier entries commit (§8, Fig. 8).
        self.append_local(Command::Noop, out);
        out.push(Output::SetTimer(Timer::Heartbeat));
        self.broadcast_append(out);
        self.maybe_commit(out);
    }

    // --- elections ---

    fn on_request_vote(
        &mut self,
        from: NodeId,
        term: Term,
        candidate: NodeId,
        last_log_index: LogIndex,
        last_log_term: Term,
        out: &mut Out,
    ) {
        // §5.4.1: the candidate's log must be at least as up-to-date as ours.
        let up_to_date = last_log_term > self.log.last_term()
            || (last_log_term == self.log.last_term() && last_log_index >= self.log.last_index())
            || self.bug(Bug::NoUpToDateCheck);
        let free = self.voted_for.is_none_or(|v| v == candidate) || self.bug(Bug::DoubleVote);
        let grant = term == self.current_term && free && up_to_date;
        if grant {
            if self.voted_for != Some(candidate) {
                self.voted_for = Some(candidate);
                out.push(Output::Vote {
                    term,
                    voted_for: candidate,
                });
            }
            // Granting a vote resets the election timer (Fig. 2, Followers).
            out.push(Output::SetTimer(Timer::Election));
        }
        out.push(Output::Send {
            to: from,
            msg: Message::RequestVoteReply {
                term: self.current_term,
                vote_granted: grant,
            },
        });
    }

    fn on_vote_reply(&mut self, from: NodeId, term: Term, granted: bool, out: &mut Out) {
        if self.role != Role::Candidate || term != self.current_term || !granted {
            return;
        }
        self.votes.insert(from);
        if self.config.is_quorum(|v| self.votes.contains(&v)) {
            self.become_leader(out);
        }
    }

    // --- replication ---

    fn append_local(&mut self, cmd: Command, out: &mut Out) -> LogIndex {
        let term = self.current_term;
        let index = self.log.push(Entry {
            term,
            cmd: cmd.clone(),
        });
        out.push(Output::Append { index, term, cmd });
        index
    }

    fn broadcast_append(&mut self, out: &mut Out) {
        for i in 0..self.config.voters().len() {
            let peer = self.config.voters()[i];
            if peer != self.id {
                self.send_append(peer, out);
            }
        }
    }

    /// Send AppendEntries to `peer` with entries from its nextIndex (up to
    /// the batch limit); with none, it is a heartbeat.
    fn send_append(&mut self, peer: NodeId, out: &mut Out) {
        let Some(p) = self.progress.get_mut(&peer) else {
            return;
        };
        let prev_log_index = p.next_index - 1;
        let Some(prev_log_term) = self.log.term(prev_log_index) else {
            // Below the snapshot: InstallSnapshot (§7) would go here.
            return;
        };
        let entries = self
            .log
            .entries_from(p.next_index, self.opts.max_entries_per_append as usize);
        if !p.probing && !entries.is_empty() {
            p.next_index += entries.len() as LogIndex;
        }
        out.push(Output::Send {
            to: peer,
            msg: Message::AppendEntries {
                term: self.current_term,
                leader_id: self.id,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit: self.commit_index,
            },
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_entries(
        &mut self,
        from: NodeId,
        term: Term,
        leader_id: NodeId,
        prev_log_index: LogIndex,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: LogIndex,
        out: &mut Out,
    ) {
        let reject = |me: &Self, conflict_term, conflict_index, out: &mut Out| {
            out.push(Output::Send {
                to: from,
                msg: Message::AppendEntriesReply {
                    term: me.current_term,
                    success: false,
                    prev_log_index,
                    match_index: 0,
                    conflict_term,
                    conflict_index,
                },
            });
        };
        // 1. Reply false if term < currentTerm (§5.1).
        if term < self.current_term && !self.bug(Bug::AcceptStaleTerm) {
            reject(self, None, 0, out);
            return;
        }
        // A current leader exists: candidates step down (§5.2).
        if self.role != Role::Follower {
            self.become_follower(term, Some(leader_id), out);
        }
        self.leader_id = Some(leader_id);
        out.push(Output::SetTimer(Timer::Election));

        // 2. Reply false if the log has no entry at prevLogIndex whose term
        //    matches prevLogTerm (§5.3), with fast-backtracking hints.
        match self.log.term(prev_log_index) {
            None if prev_log_index > self.log.last_index() => {
                reject(self, None, self.log.last_index() + 1, out);
                return;
            }
            None => {
                // prevLogIndex is inside our snapshot: committed, so it matches.
                // (Unreachable until log compaction lands.)
                reject(self, None, self.log.snapshot_index() + 1, out);
                return;
            }
            Some(t) if t != prev_log_term => {
                let first = self.log.first_index_of_term_at(prev_log_index);
                reject(self, Some(t), first, out);
                return;
            }
            Some(_) => {}
        }

        // 3. If an existing entry conflicts with a new one (same index,
        //    different term), delete it and all that follow (§5.3).
        // 4. Append any new entries not already in the log.
        let n = entries.len() as LogIndex;
        for (k, e) in entries.into_iter().enumerate() {
            let index = prev_log_index + 1 + k as LogIndex;
            match self.log.term(index) {
                Some(t) if t == e.term => continue,
                Some(_) if self.bug(Bug::AppendWithoutTruncate) => {
                    let (term, cmd) = (e.term, e.cmd.clone());
                    self.log.replace(index, e);
                    out.push(Output::Append { index, term, cmd });
                    continue;
                }
                Some(_) => {
                    self.truncate(index, out);
                }
                None => {}
            }
            let (term, cmd) = (e.term, e.cmd.clone());
            self.log.push(e);
            out.push(Output::Append { index, term, cmd });
        }

        if self.bug(Bug::ApplyBeforeCommit) {
            self.apply(out);
        }
        // 5. If leaderCommit > commitIndex, set commitIndex =
        //    min(leaderCommit, index of last new entry).
        let last_new = prev_log_index + n;
        if leader_commit > self.commit_index {
            let c = if self.bug(Bug::CommitBeyondLastNew) {
                leader_commit
            } else {
                leader_commit.min(last_new)
            };
            if c > self.commit_index {
                self.set_commit(c, out);
            }
        }
        out.push(Output::Send {
            to: from,
            msg: Message::AppendEntriesReply {
                term: self.current_term,
                success: true,
                prev_log_index,
                match_index: last_new,
                conflict_term: None,
                conflict_index: 0,
            },
        });
    }

    fn truncate(&mut self, from: LogIndex, out: &mut Out) {
        self.log.truncate_from(from);
        self.pending.split_off(&from);
        out.push(Output::Truncate { from });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_reply(
        &mut self,
        from: NodeId,
        term: Term,
        success: bool,
        prev_log_index: LogIndex,
        match_index: LogIndex,
        conflict_term: Option<Term>,
        conflict_index: LogIndex,
        out: &mut Out,
    ) {
        if self.role != Role::Leader || term != self.current_term {
            return;
        }
        let last = self.log.last_index();
        let Some(p) = self.progress.get_mut(&from) else {
            return;
        };
        if success {
            // Replies may come late, twice or out of order: only move forward.
            p.match_index = p.match_index.max(match_index);
            p.next_index = p.next_index.max(p.match_index + 1);
            p.probing = false;
            let more = p.next_index <= last;
            self.maybe_commit(out);
            if more {
                self.send_append(from, out);
            }
            return;
        }
        // A rejection at or below what the peer already matched is stale, and
        // so is one for an earlier probe.
        if prev_log_index < p.match_index || (p.probing && prev_log_index + 1 != p.next_index) {
            return;
        }
        // Fast backtracking: skip a whole conflicting term per round trip.
        let hint = match conflict_term {
            None => conflict_index,
            Some(t) => match self.log.last_index_of_term(t) {
                Some(i) => i + 1,
                None => conflict_index,
            },
        };
        p.next_index = hint.min(prev_log_index).max(p.match_index + 1);
        p.probing = true;
        self.send_append(from, out);
    }

    /// Leaders: commitIndex = N if a majority has matchIndex >= N and
    /// log[N].term == currentTerm (§5.3, §5.4.2; Fig. 8).
    fn maybe_commit(&mut self, out: &mut Out) {
        if self.role != Role::Leader {
            return;
        }
        let me = self.id;
        let last = self.log.last_index();
        let progress = &self.progress;
        let n = self.config.quorum_index(&mut self.scratch, |v| {
            if v == me {
                last
            } else {
                progress.get(&v).map_or(0, |p| p.match_index)
            }
        });
        let current = self.log.term(n) == Some(self.current_term);
        if n > self.commit_index && (current || self.bug(Bug::CommitOldTermByCounting)) {
            self.set_commit(n, out);
        }
    }

    fn set_commit(&mut self, index: LogIndex, out: &mut Out) {
        self.commit_index = index;
        out.push(Output::Commit { index });
        self.apply(out);
    }

    /// All servers: while commitIndex > lastApplied, apply the next entry.
    fn apply(&mut self, out: &mut Out) {
        let upto = if self.bug(Bug::ApplyBeforeCommit) {
            self.log.last_index()
        } else {
            self.commit_index
        };
        while self.last_applied < upto {
            let index = self.last_applied + 1;
            let Some(e) = self.log.entry(index) else {
                break;
            };
            self.last_applied = index;
            let (term, cmd) = (e.term, e.cmd.clone());
            let result = match &cmd {
                Command::Noop => None,
                Command::Kv(c) => Some(self.kv.apply(c)),
            };
            if let Some(s) = self.pending.remove(&index) {
                if cmd.session() == Some(s) {
                    if let Some(r) = &result {
                        out.push(Output::Reply {
                            client: s.client,
                            op_id: s.op_id,
                            response: ClientResponse::Done { result: r.clone() },
                        });
                    }
                }
            }
            out.push(Output::Apply {
                index,
                term,
                cmd,
                result,
            });
        }
    }

    // --- clients ---

    /// Only the leader accepts commands; it answers once the entry is
    /// applied (§8). Others point at the leader they know.
    fn propose(&mut self, client: ClientId, op_id: OpId, op: KvOp, out: &mut Out) {
        if self.role != Role::Leader {
            out.push(Output::Reply {
                client,
                op_id,
                response: ClientResponse::NotLeader {
                    hint: self.leader_id,
                },
            });
            return;
        }
        let session = Session { client, op_id };
        let index = self.append_local(Command::kv(op, Some(session)), out);
        self.pending.insert(index, session);
        for i in 0..self.config.voters().len() {
            let peer = self.config.voters()[i];
            if self
                .progress
                .get(&peer)
                .is_some_and(|p| !p.probing && p.next_index <= index)
            {
                self.send_append(peer, out);
            }
        }
        self.maybe_commit(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type O = Vec<Output<Message>>;

    fn node_with(id: NodeId, n: u32, term: Term, log_terms: &[Term]) -> RaftNode {
        let log = RaftLog::from_entries(
            log_terms
                .iter()
                .map(|&term| Entry {
                    term,
                    cmd: Command::Noop,
                })
                .collect(),
        );
        RaftNode::with_state(
            id,
            Configuration::of_size(n),
            RaftConfig::default(),
            term,
            None,
            log,
        )
    }

    fn msg(n: &mut RaftNode, from: NodeId, m: Message) -> O {
        let mut out = Vec::new();
        n.step(Input::Message { from, msg: m }, &mut out);
        out
    }

    fn sent(out: &O) -> Vec<(NodeId, Message)> {
        out.iter()
            .filter_map(|o| match o {
                Output::Send { to, msg } => Some((*to, msg.clone())),
                _ => None,
            })
            .collect()
    }

    fn rv(term: Term, cand: NodeId, lli: LogIndex, llt: Term) -> Message {
        Message::RequestVote {
            term,
            candidate_id: cand,
            last_log_index: lli,
            last_log_term: llt,
        }
    }

    fn granted(out: &O) -> bool {
        matches!(
            sent(out).as_slice(),
            [(
                _,
                Message::RequestVoteReply {
                    vote_granted: true,
                    ..
                }
            )]
        )
    }

    fn ae(
        term: Term,
        prev: LogIndex,
        prev_term: Term,
        terms: &[Term],
        commit: LogIndex,
    ) -> Message {
        Message::AppendEntries {
            term,
            leader_id: 1,
            prev_log_index: prev,
            prev_log_term: prev_term,
            entries: terms
                .iter()
                .map(|&term| Entry {
                    term,
                    cmd: Command::Noop,
                })
                .collect(),
            leader_commit: commit,
        }
    }

    fn reply(out: &O) -> Message {
        sent(out).pop().expect("a reply").1
    }

    fn terms(n: &RaftNode) -> Vec<Term> {
        n.log().iter().map(|e| e.term).collect()
    }

    #[test]
    fn one_vote_per_term() {
        let mut n = node_with(3, 3, 1, &[1]);
        assert!(granted(&msg(&mut n, 1, rv(2, 1, 1, 1))));
        assert_eq!(n.voted_for(), Some(1));
        assert!(
            granted(&msg(&mut n, 1, rv(2, 1, 1, 1))),
            "the same candidate again"
        );
        assert!(
            !granted(&msg(&mut n, 2, rv(2, 2, 1, 1))),
            "a second candidate, same term"
        );
        assert!(
            granted(&msg(&mut n, 2, rv(3, 2, 1, 1))),
            "a new term resets votedFor"
        );
        assert!(!granted(&msg(&mut n, 1, rv(2, 1, 9, 9))), "a stale term");
    }

    #[test]
    fn up_to_date_rule_5_4_1() {
        let mut n = node_with(3, 3, 3, &[1, 3, 3]);
        assert!(
            !granted(&msg(&mut n, 1, rv(4, 1, 9, 2))),
            "lower last term, longer log"
        );
        assert!(
            !granted(&msg(&mut n, 1, rv(5, 1, 2, 3))),
            "same last term, shorter log"
        );
        assert!(
            granted(&msg(&mut n, 1, rv(6, 1, 3, 3))),
            "same last term, same length"
        );
        assert!(
            granted(&msg(&mut n, 2, rv(7, 2, 1, 4))),
            "higher last term, shorter log"
        );
        // A denied higher-term request still moves our term (§5.1).
        assert_eq!(n.current_term(), 7);
    }

    #[test]
    fn append_entries_consistency_check_and_fast_backtracking_hints() {
        let mut n = node_with(2, 3, 5, &[1, 1, 2, 2, 2]);
        // Stale term.
        let r = reply(&msg(&mut n, 1, ae(4, 5, 2, &[], 0)));
        assert!(matches!(
            r,
            Message::AppendEntriesReply {
                success: false,
                term: 5,
                ..
            }
        ));
        // prevLogIndex past our log: conflict_index = last + 1.
        let r = reply(&msg(&mut n, 1, ae(5, 9, 5, &[], 0)));
        assert!(matches!(
            r,
            Message::AppendEntriesReply {
                success: false,
                conflict_term: None,
                conflict_index: 6,
                ..
            }
        ));
        // Term mismatch at prevLogIndex: conflict term 2, first index 3.
        let r = reply(&msg(&mut n, 1, ae(5, 4, 3, &[], 0)));
        assert!(matches!(
            r,
            Message::AppendEntriesReply {
                success: false,
                conflict_term: Some(2),
                conflict_index: 3,
                ..
            }
        ));
        assert_eq!(terms(&n), [1, 1, 2, 2, 2], "a rejection changes nothing");
    }

    #[test]
    fn truncates_only_real_conflicts() {
        let mut n = node_with(2, 3, 5, &[1, 1, 2, 2, 2]);
        // A reordered, older AppendEntries whose entries match: keep the rest.
        let r = reply(&msg(&mut n, 1, ae(5, 1, 1, &[1, 2], 0)));
        assert!(matches!(
            r,
            Message::AppendEntriesReply {
                success: true,
                match_index: 3,
                ..
            }
        ));
        assert_eq!(terms(&n), [1, 1, 2, 2, 2]);
        // A conflict at index 4: delete 4.. and append.
        let out = msg(&mut n, 1, ae(5, 3, 2, &[5, 5, 5], 0));
        assert!(out.contains(&Output::Truncate { from: 4 }));
        assert_eq!(terms(&n), [1, 1, 2, 5, 5, 5]);
    }

    #[test]
    fn commit_is_min_of_leader_commit_and_last_new_entry() {
        let mut n = node_with(2, 3, 5, &[1, 1, 2, 2, 2]);
        // A heartbeat at prev 2 with leaderCommit 5: only index 2 is known
        // to match the leader's log, so commitIndex goes to 2, not 5.
        msg(&mut n, 1, ae(5, 2, 1, &[], 5));
        assert_eq!(n.commit_index(), 2);
        assert_eq!(n.last_applied(), 2);
        msg(&mut n, 1, ae(5, 2, 1, &[2, 2], 9));
        assert_eq!(n.commit_index(), 4);
    }

    #[test]
    fn candidate_steps_down_for_a_current_leader() {
        let mut n = node_with(2, 3, 1, &[]);
        let mut out = Vec::new();
        n.step(Input::Timeout(Timer::Election), &mut out);
        assert_eq!((n.role(), n.current_term()), (Role::Candidate, 2));
        assert_eq!(sent(&out).len(), 2, "RequestVote to both peers");
        msg(&mut n, 1, ae(2, 0, 0, &[], 0));
        assert_eq!((n.role(), n.leader_id()), (Role::Follower, Some(1)));
    }

    #[test]
    fn leader_appends_noop_and_commits_only_current_term_entries() {
        let mut n = node_with(1, 3, 1, &[1]);
        let mut out = Vec::new();
        n.step(Input::Timeout(Timer::Election), &mut out);
        msg(
            &mut n,
            2,
            Message::RequestVoteReply {
                term: 2,
                vote_granted: true,
            },
        );
        assert_eq!(n.role(), Role::Leader);
        assert_eq!(terms(&n), [1, 2], "a no-op of the new term");
        // S2 acknowledges index 1 only: a majority holds index 1 (term 1),
        // but it is not of this term, so nothing commits (Fig. 8).
        let ok = |m| Message::AppendEntriesReply {
            term: 2,
            success: true,
            prev_log_index: 0,
            match_index: m,
            conflict_term: None,
            conflict_index: 0,
        };
        msg(&mut n, 2, ok(1));
        assert_eq!(n.commit_index(), 0);
        msg(&mut n, 2, ok(2));
        assert_eq!(
            n.commit_index(),
            2,
            "the no-op commits, and index 1 with it"
        );
    }

    #[test]
    fn followers_redirect_clients_and_leaders_answer_when_applied() {
        let mut f = node_with(2, 3, 1, &[]);
        msg(&mut f, 1, ae(1, 0, 0, &[], 0));
        let mut out = Vec::new();
        let op = KvOp::Put {
            key: "x".into(),
            value: "1".into(),
        };
        f.step(
            Input::Propose {
                client: 9,
                op_id: 1,
                op: op.clone(),
            },
            &mut out,
        );
        assert!(out.contains(&Output::Reply {
            client: 9,
            op_id: 1,
            response: ClientResponse::NotLeader { hint: Some(1) }
        }));
        // A one-node cluster commits on its own.
        let mut solo = RaftNode::new(1, Configuration::of_size(1), RaftConfig::default());
        let mut out = Vec::new();
        solo.step(Input::Timeout(Timer::Election), &mut out);
        assert_eq!(solo.role(), Role::Leader);
        out.clear();
        solo.step(
            Input::Propose {
                client: 9,
                op_id: 1,
                op,
            },
            &mut out,
        );
        assert!(out.contains(&Output::Reply {
            client: 9,
            op_id: 1,
            response: ClientResponse::Done {
                result: crate::protocol::OpResult::Ok
            }
        }));
        assert_eq!(solo.kv().get("x"), Some("1"));
    }

    #[test]
    fn crash_keeps_only_persistent_state() {
        let mut n = node_with(2, 3, 4, &[1, 4]);
        msg(&mut n, 1, ae(4, 2, 4, &[], 2));
        msg(&mut n, 3, rv(5, 3, 2, 4));
        assert_eq!((n.commit_index(), n.voted_for()), (2, Some(3)));
        n.crash();
        assert_eq!(
            (n.current_term(), n.voted_for(), terms(&n)),
            (5, Some(3), vec![1, 4])
        );
        assert_eq!(
            (n.commit_index(), n.last_applied(), n.leader_id()),
            (0, 0, None)
        );
    }
}
