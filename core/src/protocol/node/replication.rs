//! Log replication (§5.3) and the leader's commit rule (§5.4.2, Fig. 8).

use super::{Out, RaftNode};
use crate::protocol::bugs::Bug;
use crate::protocol::config::ReadMode;
use crate::protocol::io::{Output, Role, Timer};
use crate::protocol::kv::Command;
use crate::protocol::log::{Conflict, Entry};
use crate::protocol::message::{AppendEntries, AppendEntriesReply, Message};
use crate::protocol::progress::{Again, Rejected};
use crate::protocol::types::{LogIndex, NodeId, Term};

impl RaftNode {
    pub(super) fn append_local(&mut self, cmd: Command, out: &mut Out) -> LogIndex {
        let term = self.current_term;
        let config = matches!(cmd, Command::Config(_));
        let index = self.log.push(Entry {
            term,
            cmd: cmd.clone(),
        });
        out.push(Output::Append { index, term, cmd });
        if config {
            // A server uses the latest configuration in its log (§4.1).
            self.refresh_config(out);
        }
        index
    }

    /// A heartbeat interval passed (§5.2): every follower hears from the
    /// leader, with entries if its progress allows, else with none.
    pub(super) fn heartbeat(&mut self, out: &mut Out) {
        for p in self.progress.values_mut() {
            p.on_heartbeat();
        }
        if self.opts.read == ReadMode::Lease {
            // Each heartbeat is a round: its answers renew the lease.
            self.begin_round(out);
        } else {
            self.broadcast_append(out);
        }
    }

    pub(super) fn broadcast_append(&mut self, out: &mut Out) {
        for i in 0..self.members.len() {
            let peer = self.members[i];
            if peer != self.id {
                self.send_append(peer, true, out);
            }
        }
    }

    /// Send `peer` one AppendEntries with what its progress allows (up to
    /// the batch limit). One per event (a proposal, a reply), not a burst
    /// that fills the window: messages sent in the same instant overtake
    /// each other, and every one that arrives before its predecessor is
    /// refused and sent again (with one entry per AppendEntries and 10-15 ms
    /// of latency, bursts shipped 1.9x the entries needed; one per event,
    /// 1.3x).
    pub(super) fn send_entries(&mut self, peer: NodeId, out: &mut Out) {
        self.send_append(peer, false, out);
    }

    /// Send AppendEntries to `peer` with entries from its nextIndex (up to
    /// the batch limit, if its progress lets entries go out); without
    /// entries it is a heartbeat, sent only if `heartbeat`. Returns whether
    /// entries went out.
    fn send_append(&mut self, peer: NodeId, heartbeat: bool, out: &mut Out) -> bool {
        let max_inflight = self.opts.max_inflight as usize;
        let Some(p) = self.progress.get_mut(&peer) else {
            return false;
        };
        // A snapshot on its way: its chunk goes again as the heartbeat.
        if p.snapshot.is_some() {
            return heartbeat && self.send_snapshot(peer, out);
        }
        // Nothing to send: no entries allowed and no heartbeat asked for
        // (most calls, after a proposal or a reply with the window full).
        if !heartbeat && !p.can_send_entries(max_inflight) {
            return false;
        }
        let prev_log_index = p.next_index - 1;
        let Some(prev_log_term) = self.log.term(prev_log_index) else {
            // Below the snapshot: the follower needs entries we compacted
            // away, so it gets the snapshot instead (§7).
            return self.send_snapshot(peer, out);
        };
        let entries = if p.can_send_entries(max_inflight) {
            self.log
                .entries_from(p.next_index, self.opts.max_entries_per_append as usize)
        } else {
            Vec::new()
        };
        if entries.is_empty() && !heartbeat {
            return false;
        }
        let sent = !entries.is_empty();
        p.sent_entries(p.next_index, prev_log_index + entries.len() as LogIndex);
        let msg = self.append_entries(prev_log_index, prev_log_term, entries);
        out.push(Output::Send { to: peer, msg });
        sent
    }

    /// This leader's AppendEntries after `prev_log_index` (Fig. 2).
    fn append_entries(
        &self,
        prev_log_index: LogIndex,
        prev_log_term: Term,
        entries: Vec<Entry>,
    ) -> Message {
        Message::AppendEntries(AppendEntries {
            term: self.current_term,
            leader_id: self.id,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit_index,
            read_round: if self.stamp_round { self.read_round } else { 0 },
        })
    }

    /// AppendEntries receiver (Fig. 2), steps 1 to 5.
    pub(super) fn on_append_entries(&mut self, from: NodeId, m: AppendEntries, out: &mut Out) {
        // 1. Reply false if term < currentTerm (§5.1).
        if m.term < self.current_term && !self.bug(Bug::AcceptStaleTerm) {
            let stale = Conflict {
                term: None,
                index: 0,
            };
            self.reject_append(from, &m, stale, out);
            return;
        }
        // A current leader exists: candidates step down (§5.2).
        if self.role != Role::Follower {
            self.become_follower(m.term, Some(m.leader_id), out);
        }
        self.leader_id = Some(m.leader_id);
        self.pre_votes = None;
        if self.opts.read == ReadMode::Lease {
            self.sticky = true;
        }
        out.push(Output::SetTimer(Timer::Election));

        // prevLogIndex inside our snapshot (§7): what it covers is
        // committed, so it matches the leader's log. Say how far we hold
        // it, as etcd does, and the leader goes on from there.
        if m.prev_log_index < self.log.snapshot_index() {
            let held = self.log.snapshot_index();
            out.push(Output::Send {
                to: from,
                msg: Message::AppendEntriesReply(AppendEntriesReply {
                    term: self.current_term,
                    request_term: m.term,
                    success: true,
                    prev_log_index: m.prev_log_index,
                    match_index: held,
                    conflict_term: None,
                    conflict_index: 0,
                    read_round: m.read_round,
                }),
            });
            return;
        }
        // 2. Reply false if the log has no entry at prevLogIndex whose term
        //    matches prevLogTerm (§5.3), with fast-backtracking hints.
        if let Err(conflict) = self.log.check_prev(m.prev_log_index, m.prev_log_term) {
            self.reject_append(from, &m, conflict, out);
            return;
        }
        let last_new = m.prev_log_index + m.entries.len() as LogIndex;
        self.append_new_entries(m.prev_log_index, m.entries, out);
        if self.bug(Bug::ApplyBeforeCommit) {
            self.apply(out);
        }
        self.follow_leader_commit(m.leader_commit, last_new, out);
        out.push(Output::Send {
            to: from,
            msg: Message::AppendEntriesReply(AppendEntriesReply {
                term: self.current_term,
                request_term: m.term,
                success: true,
                prev_log_index: m.prev_log_index,
                match_index: last_new,
                conflict_term: None,
                conflict_index: 0,
                read_round: m.read_round,
            }),
        });
    }

    fn reject_append(&self, to: NodeId, m: &AppendEntries, c: Conflict, out: &mut Out) {
        out.push(Output::Send {
            to,
            msg: Message::AppendEntriesReply(AppendEntriesReply {
                term: self.current_term,
                request_term: m.term,
                success: false,
                prev_log_index: m.prev_log_index,
                match_index: 0,
                conflict_term: c.term,
                conflict_index: c.index,
                read_round: m.read_round,
            }),
        });
    }

    /// Steps 3 and 4 of the AppendEntries receiver, for `entries` that
    /// follow `prev_log_index`:
    /// 3. If an existing entry conflicts with a new one (same index,
    ///    different term), delete it and all that follow (§5.3).
    /// 4. Append any new entries not already in the log.
    fn append_new_entries(&mut self, prev_log_index: LogIndex, entries: Vec<Entry>, out: &mut Out) {
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
            let config = matches!(cmd, Command::Config(_));
            self.log.push(e);
            out.push(Output::Append { index, term, cmd });
            if config {
                self.refresh_config(out);
            }
        }
    }

    /// 5. If leaderCommit > commitIndex, set commitIndex =
    ///    min(leaderCommit, index of last new entry): beyond `last_new` our
    ///    log is not known to match the leader's.
    fn follow_leader_commit(&mut self, leader_commit: LogIndex, last_new: LogIndex, out: &mut Out) {
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
    }

    fn truncate(&mut self, from: LogIndex, out: &mut Out) {
        self.log.truncate_from(from);
        self.pending.split_off(&from);
        out.push(Output::Truncate { from });
        if self.config_index >= from {
            // The configuration entry went with them: the one before it
            // is in force again (§4.1).
            self.refresh_config(out);
        }
    }

    /// Leaders: the answer to an AppendEntries of the current term from
    /// `from`. On success, advance its matchIndex, commit what a majority
    /// holds and send what is left; on a rejection, back nextIndex off
    /// (fast backtracking, §5.3) and retry, unless the rejection is stale or
    /// explained by reordering (see `Progress::on_reject`).
    pub(super) fn on_append_reply(&mut self, from: NodeId, m: AppendEntriesReply, out: &mut Out) {
        let hint = self.log.backtrack_hint(m.conflict_term, m.conflict_index);
        let Some(p) = self.progress.get_mut(&from) else {
            return;
        };
        if m.success {
            let again = p.maybe_update(m.match_index);
            if self.config.is_learner(from) {
                self.on_learner_progress(from, out);
            }
            self.maybe_commit(out);
            if let Some(a) = again {
                self.send_again(from, a, out);
            }
            if !self.maybe_timeout_now(out) {
                self.send_entries(from, out);
            }
            return;
        }
        let too_short = m.conflict_term.is_none();
        match p.on_reject(m.prev_log_index, hint, too_short) {
            Rejected::Ignore => {}
            Rejected::Resend => self.send_entries(from, out),
            Rejected::Again(a) => self.send_again(from, a, out),
        }
    }

    /// Send `first..=last` to `peer` again, as the AppendEntries that
    /// carried them before (its progress already counts them in flight).
    fn send_again(&self, peer: NodeId, Again { first, last }: Again, out: &mut Out) {
        let prev_log_index = first - 1;
        let Some(prev_log_term) = self.log.term(prev_log_index) else {
            return;
        };
        let n = (last + 1).saturating_sub(first) as usize;
        let entries = self.log.entries_from(first, n);
        let msg = self.append_entries(prev_log_index, prev_log_term, entries);
        out.push(Output::Send { to: peer, msg });
    }

    /// Leaders: commitIndex = N if a majority has matchIndex >= N and
    /// log[N].term == currentTerm (§5.3, §5.4.2; Fig. 8).
    pub(super) fn maybe_commit(&mut self, out: &mut Out) {
        if self.role != Role::Leader {
            return;
        }
        let me = self.id;
        let last = self.log.last_index();
        let progress = &self.progress;
        let matched = |v| {
            if v == me {
                last
            } else {
                progress
                    .get(&v)
                    .map_or(0, |p: &crate::protocol::progress::Progress| p.match_index)
            }
        };
        let n = if self.bug(Bug::JointCommitsWithNewOnly) {
            self.config
                .committed_index_new_only(&mut self.scratch, matched)
        } else {
            self.config.committed_index(&mut self.scratch, matched)
        };
        let current = self.log.term(n) == Some(self.current_term);
        if n > self.commit_index && (current || self.bug(Bug::CommitOldTermByCounting)) {
            self.set_commit(n, out);
        }
    }
}
