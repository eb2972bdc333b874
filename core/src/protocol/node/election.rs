//! Leader election (§5.2) with the voting restriction (§5.4.1).

use super::{Out, RaftNode};
use crate::protocol::bugs::Bug;
use crate::protocol::io::{Output, Role, Timer};
use crate::protocol::kv::Command;
use crate::protocol::message::{Message, RequestVote, RequestVoteReply};
use crate::protocol::progress::Progress;
use crate::protocol::quorum::VoteResult;
use crate::protocol::types::NodeId;

impl RaftNode {
    /// Candidates (§5.2): increment currentTerm, vote for self, reset the
    /// election timer, send RequestVote to all other servers.
    pub(super) fn start_election(&mut self, out: &mut Out) {
        self.start_election_with(false, out)
    }

    /// An election; `transfer` when TimeoutNow asked for it (§3.10).
    pub(super) fn start_election_with(&mut self, transfer: bool, out: &mut Out) {
        if !self.may_stand() {
            // Not a voter (a learner, or removed): it stands for nothing,
            // but it no longer takes the leader it last heard for alive.
            self.leader_id = None;
            return;
        }
        if self.role == Role::Leader {
            out.push(Output::ClearTimer(Timer::Heartbeat));
            self.drop_leader_state(None, out);
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
        if self.won_election() {
            self.become_leader(out);
            return;
        }
        let msg = Message::RequestVote(self.vote_request(self.current_term, transfer));
        self.send_to_voters(msg, out);
    }

    /// "Vote for me in `term`", with our log's last entry (§5.4.1).
    fn vote_request(&self, term: u64, transfer: bool) -> RequestVote {
        RequestVote {
            term,
            candidate_id: self.id,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
            transfer,
        }
    }

    /// `msg` to every other voter, of both sets during joint consensus.
    fn send_to_voters(&self, msg: Message, out: &mut Out) {
        for peer in self.config.all_voters() {
            if peer != self.id {
                out.push(Output::Send {
                    to: peer,
                    msg: msg.clone(),
                });
            }
        }
    }

    /// Do `yes` (with us counted if listed) make a majority of the voters?
    fn majority(&self, yes: &std::collections::BTreeSet<NodeId>) -> bool {
        self.config
            .vote_result(|v| yes.contains(&v).then_some(true))
            == VoteResult::Won
    }

    /// PreVote (thesis §9.6): before raising its term, ask the others
    /// whether they would vote for it in the next term. Nothing persistent
    /// changes; a majority of yes starts the real election.
    pub(super) fn pre_campaign(&mut self, out: &mut Out) {
        if !self.may_stand() {
            self.leader_id = None;
            return;
        }
        if self.role != Role::Follower {
            self.role = Role::Follower;
            self.emit_role(out);
        }
        self.leader_id = None;
        self.pre_votes = Some(std::iter::once(self.id).collect());
        out.push(Output::SetTimer(Timer::Election));
        if self.won_pre_vote() {
            self.pre_votes = None;
            self.start_election(out);
            return;
        }
        let msg = Message::PreVote(self.vote_request(self.current_term + 1, false));
        self.send_to_voters(msg, out);
    }

    fn won_pre_vote(&self) -> bool {
        self.pre_votes
            .as_ref()
            .is_some_and(|yes| self.majority(yes))
    }

    /// A pre-vote request: yes if it asks for a later term, the asker's log
    /// is at least as up to date as ours (§5.4.1), and we hear from no
    /// leader (our election timer has not run out since one spoke). Our
    /// term and vote stay as they are.
    pub(super) fn on_pre_vote(&mut self, from: NodeId, m: &RequestVote, out: &mut Out) {
        let up_to_date = self.log.is_up_to_date(m.last_log_index, m.last_log_term);
        let grant = m.term > self.current_term && up_to_date && self.leader_id.is_none();
        if grant && self.bug(Bug::PreVoteRecordsVote) {
            // The planted mistake: a pre-vote taken for a real vote.
            self.become_follower(m.term, None, out);
            self.voted_for = Some(m.candidate_id);
            out.push(Output::Vote {
                term: m.term,
                voted_for: m.candidate_id,
            });
        }
        out.push(Output::Send {
            to: from,
            msg: Message::PreVoteReply(RequestVoteReply {
                term: if grant { m.term } else { self.current_term },
                vote_granted: grant,
            }),
        });
    }

    /// A yes for the term we asked about: a majority starts the election.
    pub(super) fn on_pre_vote_reply(&mut self, from: NodeId, term: u64, out: &mut Out) {
        if term != self.current_term + 1 {
            return;
        }
        if let Some(yes) = self.pre_votes.as_mut() {
            yes.insert(from);
        }
        if self.won_pre_vote() {
            self.pre_votes = None;
            self.start_election(out);
        }
    }

    /// CheckQuorum (thesis §6.2): a leader's election timer ran out. Heard
    /// from a majority since the last check: lead on; else step down, so
    /// a leader cut off from the majority stops taking writes.
    pub(super) fn check_quorum(&mut self, out: &mut Out) {
        let mut heard = std::mem::take(&mut self.recent_active);
        heard.insert(self.id);
        if self.majority(&heard) {
            out.push(Output::SetTimer(Timer::Election));
        } else {
            let term = self.current_term;
            self.become_follower(term, None, out);
        }
    }

    /// Have the votes received so far made a majority (§5.2)?
    fn won_election(&self) -> bool {
        self.majority(&self.votes)
    }

    pub(super) fn become_leader(&mut self, out: &mut Out) {
        self.role = Role::Leader;
        self.leader_id = Some(self.id);
        self.votes.clear();
        self.emit_role(out);
        if self.opts.check_quorum {
            // Its election timer now times the quorum checks.
            self.recent_active.clear();
            out.push(Output::SetTimer(Timer::Election));
        } else {
            out.push(Output::ClearTimer(Timer::Election));
        }
        // Fig. 2: reinitialise nextIndex to last log index + 1, matchIndex to 0.
        let next = self.log.last_index() + 1;
        let old = std::mem::take(&mut self.progress);
        let keep_stale = self.bug(Bug::StaleMatchIndex);
        self.progress = self
            .config
            .members()
            .into_iter()
            .filter(|&v| v != self.id)
            .map(|v| {
                let stale = old.get(&v).map_or(0, |p| p.match_index);
                (v, Progress::new(next, if keep_stale { stale } else { 0 }))
            })
            .collect();
        self.rounds.clear();
        for l in self.config.learners().to_vec() {
            self.begin_catch_up(l);
        }
        // A no-op from the new term lets earlier entries commit (§8, Fig. 8).
        self.append_local(Command::Noop, out);
        out.push(Output::SetTimer(Timer::Heartbeat));
        self.broadcast_append(out);
        self.maybe_commit(out);
    }

    /// RequestVote receiver (Fig. 2): grant if the term is current, we have
    /// not voted for another candidate in it, and the candidate's log is at
    /// least as up-to-date as ours (§5.4.1).
    pub(super) fn on_request_vote(&mut self, from: NodeId, m: RequestVote, out: &mut Out) {
        let candidate = m.candidate_id;
        let up_to_date = self.log.is_up_to_date(m.last_log_index, m.last_log_term)
            || self.bug(Bug::NoUpToDateCheck);
        let free = self.voted_for.is_none_or(|v| v == candidate) || self.bug(Bug::DoubleVote);
        let grant = m.term == self.current_term && free && up_to_date;
        if grant {
            if self.voted_for != Some(candidate) {
                self.voted_for = Some(candidate);
                out.push(Output::Vote {
                    term: m.term,
                    voted_for: candidate,
                });
            }
            // Granting a vote resets the election timer (Fig. 2, Followers).
            out.push(Output::SetTimer(Timer::Election));
        }
        out.push(Output::Send {
            to: from,
            msg: Message::RequestVoteReply(RequestVoteReply {
                term: self.current_term,
                vote_granted: grant,
            }),
        });
    }

    /// Candidates: a vote of the current term; a majority wins (§5.2).
    pub(super) fn on_vote_reply(&mut self, from: NodeId, m: RequestVoteReply, out: &mut Out) {
        if !m.vote_granted {
            return;
        }
        self.votes.insert(from);
        if self.won_election() {
            self.become_leader(out);
        }
    }
}
