//! A Raft server as a deterministic state machine (paper Fig. 2).
//!
//! [`RaftNode::step`] takes one [`Input`] and pushes [`Output`]s. The node
//! never reads a clock or draws a random number: it asks for timers with
//! [`Output::SetTimer`] and the caller decides their length.
//!
//! This file holds the node's state, its lifecycle, the one dispatch point
//! for messages (as etcd's `Step`) and the role changes; the handlers live
//! in `election` (§5.2, §5.4.1) and `replication` (§5.3, §5.4.2).

mod election;
mod membership;
mod reads;
mod replication;
mod snapshot;
#[cfg(test)]
mod tests;

use super::bugs::Bug;
use super::config::Switches;
use super::config::{RaftConfig, ReadMode};
use super::io::{ClientResponse, Input, Output, Role, Timer};
use super::kv::{Command, KvCommand, KvOp, KvStore, Session};
use super::log::RaftLog;
use super::message::Message;
use super::progress::Progress;
use super::quorum::Configuration;
use super::snapshot::SnapshotRef;
use super::types::{LogIndex, NodeId, OpId, Term};
use reads::PendingRead;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

type Out = Vec<Output<Message>>;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftNode {
    id: NodeId,
    /// The configuration in force: the latest in the log, committed or
    /// not (§4.1), else the snapshot's, else `boot_config`.
    config: Configuration,
    /// Where `config` comes from: its entry's index (0: the boot
    /// configuration, or the snapshot's).
    config_index: LogIndex,
    /// The configuration the cluster started with (persistent).
    boot_config: Configuration,
    /// `config.members()`, kept so the hot paths do not allocate it.
    members: Vec<NodeId>,
    opts: RaftConfig,

    // Persistent state on all servers (Fig. 2).
    current_term: Term,
    voted_for: Option<NodeId>,
    log: RaftLog,
    /// The latest snapshot (§7): the state machine through
    /// `log.snapshot_index()`.
    snapshot: Option<SnapshotRef>,

    // Volatile state on all servers.
    role: Role,
    commit_index: LogIndex,
    last_applied: LogIndex,
    leader_id: Option<NodeId>,
    kv: KvStore,

    // Volatile state on candidates and leaders.
    votes: BTreeSet<NodeId>,
    /// While asking for pre-votes (§9.6): who said yes so far.
    pre_votes: Option<BTreeSet<NodeId>>,
    /// CheckQuorum (§6.2): the followers a leader heard from since its
    /// last check.
    recent_active: BTreeSet<NodeId>,
    progress: BTreeMap<NodeId, Progress>,
    /// Log index -> the client op this leader accepted there, to answer it
    /// once applied.
    pending: BTreeMap<LogIndex, Session>,

    /// This server's clock (µs), as its caller last set it: read only for
    /// lease arithmetic (§6.4.1).
    now: u64,
    /// Leader stickiness that outlives `leader_id` (lease reads): set when
    /// a leader is heard from and at start, cleared when the election
    /// timer runs out.
    sticky: bool,
    /// Gets being answered without the log (§6.4).
    reads: Vec<PendingRead>,
    /// The latest heartbeat round begun ...
    read_round: u64,
    /// True while a round's broadcast goes out.
    stamp_round: bool,
    /// ... the unconfirmed ones with their start times ...
    round_started: VecDeque<(u64, u64)>,
    /// ... and the highest round each follower answered in this term.
    round_acks: BTreeMap<NodeId, u64>,
    /// The start of the latest round a majority answered (lease reads).
    lease_from: Option<u64>,
    /// TimeoutNow went out in this term: no more lease reads in it.
    lease_void: bool,
    /// A leadership transfer: its target, and whether TimeoutNow went out.
    transfer: Option<(NodeId, bool)>,
    /// Leaders: each learner's catch-up round (§4.2.1): its number, the
    /// index it must reach, and when it began (this server's clock).
    /// (A short list: there are few learners at a time.)
    rounds: Vec<(NodeId, u32, LogIndex, u64)>,
    /// A snapshot being received (InstallSnapshot): its index and how many
    /// of its items arrived in order.
    incoming: Option<(LogIndex, u64)>,

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
        let mut node = RaftNode {
            id,
            config: config.clone(),
            config_index: 0,
            members: config.members(),
            boot_config: config,
            opts,
            current_term,
            voted_for,
            log,
            snapshot: None,
            role: Role::Follower,
            commit_index: commit,
            last_applied: commit,
            leader_id: None,
            kv: KvStore::new(),
            votes: BTreeSet::new(),
            pre_votes: None,
            recent_active: BTreeSet::new(),
            progress: BTreeMap::new(),
            pending: BTreeMap::new(),
            now: 0,
            sticky: false,
            reads: Vec::new(),
            read_round: 0,
            stamp_round: false,
            round_started: VecDeque::new(),
            round_acks: BTreeMap::new(),
            lease_from: None,
            lease_void: false,
            transfer: None,
            rounds: Vec::new(),
            incoming: None,
            scratch: Vec::new(),
        };
        // An initial log may hold configuration entries.
        node.refresh_config(&mut Vec::new());
        node
    }

    /// A new server joining `like`'s cluster: an empty log, the same
    /// boot configuration and options (it learns the configuration in
    /// force from the leader's log or snapshot).
    pub fn joiner(like: &RaftNode, id: NodeId) -> RaftNode {
        RaftNode::new(id, like.boot_config.clone(), like.opts.clone())
    }

    // --- read access (for the simulator, checkers and the UI) ---

    /// Is its configuration other than the one the cluster booted with?
    pub fn config_changed(&self) -> bool {
        self.config != self.boot_config
    }

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
    /// The latest snapshot, once it has compacted its log or installed one.
    pub fn snapshot(&self) -> Option<&SnapshotRef> {
        self.snapshot.as_ref()
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
    /// The options it runs with (switches included).
    pub fn options(&self) -> &RaftConfig {
        &self.opts
    }
    /// The leadership transfer under way, if any (leaders).
    pub fn transfer_target(&self) -> Option<NodeId> {
        self.transfer.map(|(to, _)| to)
    }
    /// The read index of each get being answered without the log, oldest
    /// first (`None`: waiting for this term's first commit).
    pub fn pending_reads(&self) -> impl Iterator<Item = Option<LogIndex>> + '_ {
        self.reads.iter().map(|r| r.index)
    }
    /// The latest heartbeat round begun (reads without the log).
    pub fn read_round(&self) -> u64 {
        self.read_round
    }

    /// Set this server's clock (µs, its own clock: it may drift). Only
    /// lease reads read it.
    pub fn set_clock(&mut self, now: u64) {
        self.now = now;
    }

    /// Flip the production switches mid-run (a scenario `set` event).
    pub fn set_switches(&mut self, s: &Switches, out: &mut Out) {
        if let Some(p) = s.pre_vote {
            self.opts.pre_vote = p;
            if !p {
                self.pre_votes = None;
            }
        }
        if let Some(c) = s.check_quorum {
            if c != self.opts.check_quorum && self.role == Role::Leader {
                // A leader's election timer times the quorum checks.
                if c {
                    self.recent_active.clear();
                    out.push(Output::SetTimer(Timer::Election));
                } else {
                    out.push(Output::ClearTimer(Timer::Election));
                }
            }
            self.opts.check_quorum = c;
        }
        if let Some(k) = s.snapshot_every {
            self.opts.snapshot_every = k;
        }
        if let Some(r) = s.read {
            self.opts.read = r;
            if r != ReadMode::Lease {
                self.lease_from = None;
            }
        }
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
        // The state machine restarts from the snapshot (§7), if any.
        self.kv = self
            .snapshot
            .as_ref()
            .map_or_else(KvStore::new, |s| s.get().kv.clone());
        self.votes.clear();
        self.progress.clear();
        self.pending.clear();
        self.reads.clear();
        self.read_round = 0;
        self.round_started.clear();
        self.round_acks.clear();
        self.lease_from = None;
        self.lease_void = false;
        self.transfer = None;
        self.rounds.clear();
        self.incoming = None;
        // The configuration is the log's (persistent state).
        self.refresh_config(&mut Vec::new());
    }

    /// Restart from persistent state alone.
    pub fn restart(&mut self, out: &mut Out) {
        self.crash();
        // With lease reads a restarted server waits one election timeout
        // before it votes: a lease it backed before its crash may still
        // run, and it no longer knows.
        self.sticky = self.opts.read == ReadMode::Lease;
        self.start(out);
    }

    fn bug(&self, b: Bug) -> bool {
        self.opts.bugs.has(b)
    }

    // --- the step function ---

    pub fn step(&mut self, input: Input<Message>, out: &mut Out) {
        match input {
            Input::Message { from, msg } => self.on_message(from, msg, out),
            Input::Timeout(Timer::Election) => {
                if self.role != Role::Leader {
                    self.sticky = false;
                }
                if self.role == Role::Leader && self.opts.check_quorum {
                    self.check_quorum(out)
                } else if self.opts.pre_vote && self.role != Role::Leader {
                    self.pre_campaign(out)
                } else {
                    self.start_election(out)
                }
            }
            Input::Timeout(Timer::Heartbeat) => {
                if self.role == Role::Leader {
                    self.heartbeat(out);
                    out.push(Output::SetTimer(Timer::Heartbeat));
                }
            }
            Input::Timeout(Timer::Transfer) => self.abort_transfer(out),
            Input::TransferLeadership { to } => self.transfer_leadership(to, out),
            Input::ChangeConfig(c) => self.change_config(c, out),
            Input::Propose {
                client,
                op_id,
                op,
                first_unacked,
            } => self.propose(Session { client, op_id }, op, first_unacked, out),
        }
    }

    /// The one dispatch point for messages (etcd's `Step`): settle the term
    /// first, then hand the RPC to its handler.
    fn on_message(&mut self, from: NodeId, msg: Message, out: &mut Out) {
        match &msg {
            // A pre-vote changes no term and no vote (§9.6).
            Message::PreVote(m) => return self.on_pre_vote(from, m, out),
            // Granted in the term asked for, one above ours.
            Message::PreVoteReply(m) if m.vote_granted => {
                return self.on_pre_vote_reply(from, m.term, out)
            }
            // Leader stickiness (§6.2): while a leader is heard from, a
            // higher-term election is ignored, term and all.
            Message::RequestVote(m)
                if (self.opts.check_quorum || self.opts.read == ReadMode::Lease)
                    && m.term > self.current_term
                    && (self.leader_id.is_some() || self.sticky)
                    && !m.transfer =>
            {
                return
            }
            Message::InstallSnapshotReply(m)
                if self.role == Role::Leader && m.request_term == self.current_term =>
            {
                self.recent_active.insert(from);
            }
            Message::AppendEntriesReply(m)
                if self.role == Role::Leader && m.request_term == self.current_term =>
            {
                self.recent_active.insert(from);
                // Only an answer in our own term says the follower still
                // takes us for its leader: one of a later term deposes us.
                if m.term == self.current_term {
                    let round = m.read_round;
                    self.on_round_ack(from, round, out);
                }
            }
            _ => {}
        }
        // All servers: a higher term makes us a follower of that term (§5.1).
        if msg.term() > self.current_term {
            self.become_follower(msg.term(), None, out);
        }
        match msg {
            // Requests are answered in every role, stale ones with a refusal.
            Message::RequestVote(m) => self.on_request_vote(from, m, out),
            Message::AppendEntries(m) => self.on_append_entries(from, m, out),
            // Replies count only in the role and term that asked for them.
            Message::RequestVoteReply(m)
                if self.role == Role::Candidate && m.term == self.current_term =>
            {
                self.on_vote_reply(from, m, out)
            }
            // An AppendEntries answer counts only for a request of this
            // leader's term: a refusal of an older request is not a mismatch.
            Message::AppendEntriesReply(m)
                if self.role == Role::Leader && m.request_term == self.current_term =>
            {
                self.on_append_reply(from, m, out)
            }
            Message::TimeoutNow(m) => self.on_timeout_now(m.term, out),
            Message::InstallSnapshot(m) => self.on_install_snapshot(from, m, out),
            Message::InstallSnapshotReply(m)
                if self.role == Role::Leader && m.request_term == self.current_term =>
            {
                self.on_snapshot_reply(from, m, out)
            }
            Message::RequestVoteReply(_)
            | Message::InstallSnapshotReply(_)
            | Message::AppendEntriesReply(_)
            | Message::PreVote(_)
            | Message::PreVoteReply(_) => {}
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
        self.pre_votes = None;
        if was_leader {
            self.drop_leader_state(leader, out);
        }
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

    // --- the state machine ---

    fn set_commit(&mut self, index: LogIndex, out: &mut Out) {
        self.commit_index = index;
        out.push(Output::Commit { index });
        self.apply(out);
        if self.role == Role::Leader {
            self.start_reads(out);
            self.serve_reads(out);
            self.advance_config(out);
        }
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
            let (result, fresh) = match &cmd {
                Command::Noop | Command::Config(_) => (None, false),
                Command::Kv(c) => {
                    let (r, fresh) = self.kv.apply_fresh(c);
                    (Some(r), fresh)
                }
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
                fresh,
            });
        }
        self.maybe_compact(out);
    }

    // --- clients ---

    /// Only the leader accepts commands; it answers once the entry is
    /// applied (§8). Others point at the leader they know.
    fn propose(&mut self, session: Session, op: KvOp, first_unacked: OpId, out: &mut Out) {
        // A leader handing over leadership takes no more commands: they
        // go to the target (§3.10).
        let transferring = self
            .transfer
            .filter(|_| !self.bug(Bug::TransferKeepsAccepting));
        if self.role != Role::Leader || transferring.is_some() {
            let hint = transferring.map_or(self.leader_id, |(to, _)| Some(to));
            out.push(Output::Reply {
                client: session.client,
                op_id: session.op_id,
                response: ClientResponse::NotLeader { hint },
            });
            return;
        }
        if let (KvOp::Get { key }, true) = (&op, self.opts.read != ReadMode::Log) {
            let key = key.clone();
            return self.read(session.client, session.op_id, key, out);
        }
        let cmd = Command::Kv(std::sync::Arc::new(KvCommand {
            op,
            session: Some(session),
            first_unacked,
        }));
        let index = self.append_local(cmd, out);
        self.pending.insert(index, session);
        for i in 0..self.members.len() {
            let peer = self.members[i];
            if peer != self.id {
                self.send_entries(peer, out);
            }
        }
        self.maybe_commit(out);
    }
}
