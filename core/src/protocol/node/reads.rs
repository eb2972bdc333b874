//! Reads without the log (thesis §6.4) and leadership transfer (§3.10).
//!
//! ReadIndex: the leader notes its commitIndex as the read index (once it
//! has committed an entry of its own term, §6.4 step 1), confirms it is
//! still the leader with one heartbeat round (step 2: every AppendEntries
//! carries the latest round number, and an answer of this term to it shows
//! the follower still took us for its leader after the round began), then
//! answers once lastApplied reaches the read index (steps 3 and 4).
//!
//! Lease reads (§6.4.1): a majority that answered a round begun at local
//! time `s` ignores other candidates until its election timers run out
//! (leader stickiness, §6.2), at least one shortest election timeout after
//! `s` in their clocks. With clocks that drift by at most `d`, the leader
//! may answer alone while its own clock reads less than
//! `s + timeout * (1 - d) / (1 + d)`; past that it confirms with a round,
//! as ReadIndex does.

use super::{Out, RaftNode};
use crate::protocol::bugs::Bug;
use crate::protocol::config::ReadMode;
use crate::protocol::io::{ClientResponse, Output, Role, Timer};
use crate::protocol::kv::Text;
use crate::protocol::message::{Message, TimeoutNow};
use crate::protocol::types::{ClientId, LogIndex, NodeId, OpId};

/// A `get` the leader is answering without the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct PendingRead {
    pub client: ClientId,
    pub op_id: OpId,
    pub key: Text,
    /// The read index, once the leader has committed in its term.
    pub index: Option<LogIndex>,
    /// The heartbeat round that must confirm leadership (0: none needed).
    pub round: u64,
}

/// The most unconfirmed rounds whose start times a leader keeps.
const MAX_ROUNDS: usize = 256;

const PPM: u64 = 1_000_000;

impl RaftNode {
    fn reads_off_log(&self) -> bool {
        self.opts.read != ReadMode::Log
    }

    /// A `get` reached the leader (which is not transferring): queue it
    /// and answer what can be answered.
    pub(super) fn read(&mut self, client: ClientId, op_id: OpId, key: Text, out: &mut Out) {
        self.reads.push(PendingRead {
            client,
            op_id,
            key,
            index: None,
            round: 0,
        });
        self.start_reads(out);
    }

    /// Give each queued read its read index and the round that confirms
    /// it, once this leader has committed an entry of its term (§6.4 step
    /// 1: before that its commitIndex may be behind the last leader's).
    pub(super) fn start_reads(&mut self, out: &mut Out) {
        if self.role != Role::Leader
            || self.log.term(self.commit_index) != Some(self.current_term)
            || self.reads.iter().all(|r| r.index.is_some())
        {
            return;
        }
        let index = self.commit_index;
        let no_round = self.lease_valid() || self.bug(Bug::ReadIndexWithoutRound);
        let round = if no_round {
            0
        } else {
            // One round for every read that arrived before it begins.
            self.begin_round(out)
        };
        for r in self.reads.iter_mut().filter(|r| r.index.is_none()) {
            r.index = Some(index);
            r.round = round;
            out.push(Output::Read {
                client: r.client,
                op_id: r.op_id,
                index,
                round: (round > 0).then_some(round),
            });
        }
        self.serve_reads(out);
    }

    /// Begin a heartbeat round now: every follower hears from us, and the
    /// answers to it count for this round. Its number.
    pub(super) fn begin_round(&mut self, out: &mut Out) -> u64 {
        self.read_round += 1;
        if self.round_started.len() == MAX_ROUNDS {
            self.round_started.pop_front();
        }
        self.round_started.push_back((self.read_round, self.now));
        // Only this broadcast carries the round: its answers are the
        // round's (the views draw these heartbeats as a read's round).
        self.stamp_round = true;
        self.broadcast_append(out);
        self.stamp_round = false;
        self.read_round
    }

    /// The highest round a majority (us included) has answered.
    fn confirmed_round(&mut self) -> u64 {
        let (me, mine, acks) = (self.id, self.read_round, &self.round_acks);
        self.config.committed_index(&mut self.scratch, |v| {
            if v == me {
                mine
            } else {
                acks.get(&v).copied().unwrap_or(0)
            }
        })
    }

    /// A follower answered an AppendEntries of this term that carried
    /// round `round`.
    pub(super) fn on_round_ack(&mut self, from: NodeId, round: u64, out: &mut Out) {
        if !self.reads_off_log() && self.reads.is_empty() {
            return;
        }
        let seen = self.round_acks.entry(from).or_insert(0);
        if round <= *seen {
            return;
        }
        *seen = round;
        let confirmed = self.confirmed_round();
        // The lease runs from the start of the latest round a majority
        // answered.
        while let Some(&(r, at)) = self.round_started.front() {
            if r > confirmed {
                break;
            }
            if r == confirmed {
                self.lease_from = Some(at);
            }
            self.round_started.pop_front();
        }
        self.serve_reads(out);
    }

    /// Answer every read whose round is confirmed and whose read index is
    /// applied (§6.4 steps 3 and 4).
    pub(super) fn serve_reads(&mut self, out: &mut Out) {
        if self.reads.is_empty() || self.role != Role::Leader {
            return;
        }
        let confirmed = self.confirmed_round();
        let applied = self.last_applied;
        let kv = &self.kv;
        self.reads.retain(|r| match r.index {
            Some(i) if i <= applied && r.round <= confirmed => {
                out.push(Output::Reply {
                    client: r.client,
                    op_id: r.op_id,
                    response: ClientResponse::Done {
                        result: kv.read(&r.key),
                    },
                });
                false
            }
            _ => true,
        });
    }

    /// How long a lease lasts from the start of its round, in this
    /// server's clock: the shortest election timeout shrunk by the drift
    /// bound, t (1 - d) / (1 + d) rounded down.
    fn lease_length(&self) -> u64 {
        let t = self.opts.lease_timeout;
        if self.bug(Bug::LeaseIgnoresDrift) {
            return t;
        }
        let d = u64::from(self.opts.clock_drift_ppm).min(PPM - 1);
        t.saturating_mul(PPM - d) / (PPM + d)
    }

    /// When the lease in force ends, in this server's clock: `None` when
    /// there is none (not leader, not lease reads, transferring, or
    /// expired).
    pub fn lease_until(&self) -> Option<u64> {
        if self.opts.read != ReadMode::Lease || self.transfer.is_some() || self.lease_void {
            return None;
        }
        let until = self.lease_from?.saturating_add(self.lease_length());
        (self.now < until).then_some(until)
    }

    /// Is the lease in force now (§6.4.1)?
    fn lease_valid(&self) -> bool {
        self.lease_until().is_some()
    }

    /// Leaving leadership: the reads it had not answered go back to their
    /// clients with a pointer to `hint` (the leader now, if known), and a
    /// transfer ends.
    pub(super) fn drop_leader_state(&mut self, hint: Option<NodeId>, out: &mut Out) {
        for r in std::mem::take(&mut self.reads) {
            out.push(Output::Reply {
                client: r.client,
                op_id: r.op_id,
                response: ClientResponse::NotLeader { hint },
            });
        }
        self.round_acks.clear();
        self.round_started.clear();
        self.lease_from = None;
        self.lease_void = false;
        if self.transfer.take().is_some() {
            out.push(Output::Transfer { to: None });
            out.push(Output::ClearTimer(Timer::Transfer));
        }
    }

    // --- leadership transfer (§3.10) ---

    /// Hand leadership to `to`: stop taking client commands, bring its log
    /// up to ours, then tell it to time out now. Given up after an
    /// election timeout (the `Transfer` timer).
    pub(super) fn transfer_leadership(&mut self, to: NodeId, out: &mut Out) {
        if self.role != Role::Leader
            || to == self.id
            || !self.config.contains(to)
            || self.transfer.is_some_and(|(t, _)| t == to)
        {
            return;
        }
        self.transfer = Some((to, false));
        out.push(Output::Transfer { to: Some(to) });
        out.push(Output::SetTimer(Timer::Transfer));
        if !self.maybe_timeout_now(out) {
            self.send_entries(to, out);
        }
    }

    /// The target's log matches ours: TimeoutNow, once per transfer.
    /// From then on no lease read is safe in this term: the target's
    /// election sets stickiness aside.
    pub(super) fn maybe_timeout_now(&mut self, out: &mut Out) -> bool {
        let Some((to, false)) = self.transfer else {
            return false;
        };
        let last = self.log.last_index();
        if self.progress.get(&to).map_or(0, |p| p.match_index) != last {
            return false;
        }
        self.transfer = Some((to, true));
        self.lease_void = true;
        out.push(Output::Send {
            to,
            msg: Message::TimeoutNow(TimeoutNow {
                term: self.current_term,
            }),
        });
        true
    }

    /// The transfer took an election timeout: give up and lead on.
    pub(super) fn abort_transfer(&mut self, out: &mut Out) {
        if self.transfer.take().is_some() {
            out.push(Output::Transfer { to: None });
        }
    }

    /// TimeoutNow from our leader of this term: start an election at once,
    /// with no pre-vote, marked so that voters set stickiness aside.
    pub(super) fn on_timeout_now(&mut self, term: u64, out: &mut Out) {
        if term == self.current_term && self.role == Role::Follower {
            self.start_election_with(true, out);
        }
    }
}
