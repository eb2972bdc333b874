//! The leader's view of one follower's log (Fig. 2's nextIndex[] and
//! matchIndex[]) with flow control, as etcd's `tracker/progress.go`: a
//! follower is either **probed** (the leader does not know where the logs
//! match and sends one AppendEntries at a time) or **replicated to** (the
//! logs match up to matchIndex and the leader streams entries, at most
//! `max_inflight` AppendEntries in flight). Every update is a method, so the
//! rules for moving the two indexes live in one place.
//!
//! The network may reorder messages. An AppendEntries that overtakes the
//! one before it is rejected by the follower ("my log is too short",
//! §5.3) although nothing is wrong: the missing entries are on their way.
//! Going back to probing then would send everything in flight again. So
//! while the gap is covered by a young in-flight message, a too-short
//! rejection only marks the rejected message's entries to go again once
//! the follower has caught up to them; a gap that stays open for
//! [`STALE_TICKS`] heartbeats is taken as loss, and the leader sends again
//! from the follower's hint. A rejection that shows the logs differ
//! (a conflicting term) goes back to probing.

use super::snapshot::SnapshotRef;
use super::types::LogIndex;
use std::collections::VecDeque;

/// An in-flight AppendEntries older than this many heartbeat intervals is
/// taken as lost, not late.
pub const STALE_TICKS: u64 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProgressState {
    /// Where the logs match is unknown: one AppendEntries at a time, sent on
    /// a reply or a heartbeat; nextIndex moves only on replies.
    Probe,
    /// The logs match up to matchIndex: nextIndex moves on send.
    Replicate,
}

/// One AppendEntries with entries that went out while replicating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Inflight {
    first: LogIndex,
    last: LogIndex,
    /// Heartbeat intervals since it went out, up to [`STALE_TICKS`] (a
    /// count that stops keeps the node's state finite for the model
    /// checker).
    age: u64,
    /// The follower dropped it (it overtook an earlier one): send it again
    /// when matchIndex reaches `first - 1`.
    dropped: bool,
}

/// The leader's view of one follower (Fig. 2 nextIndex[] and matchIndex[]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Progress {
    pub next_index: LogIndex,
    pub match_index: LogIndex,
    pub state: ProgressState,
    /// Probe: a probe is out; wait for its answer or the next heartbeat.
    probe_sent: bool,
    /// Replicate: the AppendEntries in flight, oldest first.
    inflight: VecDeque<Inflight>,
    /// A snapshot being sent (InstallSnapshot, §7): no AppendEntries with
    /// entries go out until it is in.
    pub snapshot: Option<SendingSnapshot>,
}

/// A snapshot on its way to a follower, one chunk at a time: the chunk at
/// `offset` is the one out (sent again on each heartbeat until answered).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SendingSnapshot {
    pub data: SnapshotRef,
    pub offset: u64,
}

/// What a rejection asks of the leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Stale, or explained by reordering with nothing to re-send: ignore.
    Ignore,
    /// Send again from nextIndex (which moved back).
    Resend,
    /// Send a dropped message again, alone.
    Again(Again),
}

/// Entries to send again, alone, as the AppendEntries that carried them
/// before: the follower dropped that one because it overtook an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Again {
    pub first: LogIndex,
    pub last: LogIndex,
}

impl Progress {
    /// A new leader's view (Fig. 2: nextIndex = last log index + 1). It
    /// probes until the first success tells it where the logs match.
    pub fn new(next_index: LogIndex, match_index: LogIndex) -> Self {
        Progress {
            next_index,
            match_index,
            state: ProgressState::Probe,
            probe_sent: false,
            inflight: VecDeque::new(),
            snapshot: None,
        }
    }

    /// The follower holds the snapshot through `index`: its log matches
    /// ours there, so probe from just past it.
    pub fn snapshot_installed(&mut self, index: LogIndex) {
        *self = Progress::new(index + 1, self.match_index.max(index));
    }

    pub fn is_probing(&self) -> bool {
        self.state == ProgressState::Probe
    }

    /// AppendEntries in flight while replicating.
    pub fn inflight(&self) -> usize {
        self.inflight.len()
    }

    /// May an AppendEntries with entries go out now? A probe waits for its
    /// answer; replication stops at `max_inflight` messages in flight.
    pub fn can_send_entries(&self, max_inflight: usize) -> bool {
        if self.snapshot.is_some() {
            return false;
        }
        match self.state {
            ProgressState::Probe => !self.probe_sent,
            // New entries wait while a dropped message waits for its gap
            // to fill: beyond a gap they would only be dropped too.
            ProgressState::Replicate => {
                self.inflight.len() < max_inflight && !self.inflight.iter().any(|f| f.dropped)
            }
        }
    }

    /// An AppendEntries carrying `first..=last` went out: when replicating, assume it arrives and move nextIndex past
    /// it (etcd's `UpdateOnEntriesSend`); a probe waits for its reply.
    pub fn sent_entries(&mut self, first: LogIndex, last: LogIndex) {
        match self.state {
            ProgressState::Probe => self.probe_sent = true,
            ProgressState::Replicate if last >= first => {
                self.next_index = last + 1;
                self.inflight.push_back(Inflight {
                    first,
                    last,
                    age: 0,
                    dropped: false,
                });
            }
            ProgressState::Replicate => {}
        }
    }

    /// A heartbeat interval passed: a probe may go out again, and what is
    /// in flight grows older.
    pub fn on_heartbeat(&mut self) {
        self.probe_sent = false;
        for f in &mut self.inflight {
            f.age = (f.age + 1).min(STALE_TICKS);
        }
    }

    /// A success says the follower's log matches ours up to `match_index`
    /// (§5.3). Replies may come late, twice or out of order: only move
    /// forward. The logs now match, so replication can start. Returns the
    /// dropped message that the follower can take now, if any.
    pub fn maybe_update(&mut self, match_index: LogIndex) -> Option<Again> {
        self.match_index = self.match_index.max(match_index);
        self.next_index = self.next_index.max(self.match_index + 1);
        if self.state == ProgressState::Probe {
            self.state = ProgressState::Replicate;
            self.probe_sent = false;
        }
        let m = self.match_index;
        self.inflight.retain(|f| f.last > m);
        self.take_ready()
    }

    /// The dropped message the follower can take now (it starts just after
    /// matchIndex), marked as sent again.
    fn take_ready(&mut self) -> Option<Again> {
        let m = self.match_index;
        let f = self
            .inflight
            .iter_mut()
            .find(|f| f.dropped && f.first == m + 1)?;
        f.dropped = false;
        f.age = 0;
        Some(Again {
            first: f.first,
            last: f.last,
        })
    }

    /// A rejection of the AppendEntries at `rejected` (its prevLogIndex),
    /// with the follower's fast-backtracking `hint` (§5.3); `too_short`:
    /// the follower has no entry at `rejected` at all.
    pub fn on_reject(&mut self, rejected: LogIndex, hint: LogIndex, too_short: bool) -> Rejected {
        // At or below matchIndex the follower's log is known to match: a
        // rejection from before it did. It never moves nextIndex back, but
        // the message it refused may carry entries still missing.
        if rejected <= self.match_index {
            if self.state == ProgressState::Replicate && too_short {
                self.mark_dropped(rejected);
                return self.take_ready().map_or(Rejected::Ignore, Rejected::Again);
            }
            return Rejected::Ignore;
        }
        match self.state {
            ProgressState::Probe => {
                // Probes go one at a time: only the outstanding one counts.
                if rejected + 1 != self.next_index {
                    return Rejected::Ignore;
                }
                self.probe_from(rejected, hint);
                Rejected::Resend
            }
            ProgressState::Replicate => {
                // Sent before nextIndex moved back to or below it.
                if rejected >= self.next_index {
                    return Rejected::Ignore;
                }
                if !too_short {
                    // The logs differ: find where by probing (§5.3).
                    self.probe_from(rejected, hint);
                    return Rejected::Resend;
                }
                // The follower's log ends before `gap`: a hint older than
                // a success says less than matchIndex does.
                let gap = hint.max(self.match_index + 1);
                if self.in_flight_young(gap) {
                    self.mark_dropped(rejected);
                    return self.take_ready().map_or(Rejected::Ignore, Rejected::Again);
                }
                self.go_back_to(gap);
                Rejected::Resend
            }
        }
    }

    /// Reordering: the follower dropped the AppendEntries at `rejected`
    /// because an earlier one has not arrived yet. If that one carried
    /// entries, they go again once the gap is filled; a heartbeat carried
    /// none.
    fn mark_dropped(&mut self, rejected: LogIndex) {
        if let Some(f) = self.inflight.iter_mut().find(|f| f.first == rejected + 1) {
            f.dropped = true;
        }
    }

    /// Loss: what the follower lacks from `gap` on is not on its way. Send
    /// it again from there, still streaming: the logs do match below.
    fn go_back_to(&mut self, gap: LogIndex) {
        self.next_index = gap;
        self.inflight.retain(|f| f.last < gap);
    }

    /// Is the entry at `index` on its way: in an AppendEntries that went
    /// out less than [`STALE_TICKS`] heartbeats ago and was not dropped?
    fn in_flight_young(&self, index: LogIndex) -> bool {
        self.inflight
            .iter()
            .find(|f| f.first <= index && index <= f.last)
            .is_some_and(|f| !f.dropped && f.age < STALE_TICKS)
    }

    /// The logs differ, or a gap stayed open: probe again from the hint,
    /// never to or below what the follower already matched.
    fn probe_from(&mut self, rejected: LogIndex, hint: LogIndex) {
        self.next_index = hint.min(rejected).max(self.match_index + 1);
        self.state = ProgressState::Probe;
        self.probe_sent = false;
        self.inflight.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicating(next: LogIndex, matched: LogIndex) -> Progress {
        let mut p = Progress::new(next, matched);
        assert_eq!(p.maybe_update(matched), None);
        p
    }

    #[test]
    fn a_probe_waits_for_its_answer_then_replication_streams() {
        let mut p = Progress::new(5, 0);
        assert!(p.can_send_entries(2));
        p.sent_entries(5, 7);
        assert_eq!(p.next_index, 5, "a probe does not advance nextIndex");
        assert!(!p.can_send_entries(2), "one probe at a time");
        p.on_heartbeat();
        assert!(p.can_send_entries(2), "again on the next heartbeat");
        assert_eq!(p.maybe_update(4), None);
        assert_eq!((p.next_index, p.match_index), (5, 4));
        assert_eq!(p.state, ProgressState::Replicate);
        assert_eq!(p.maybe_update(2), None);
        assert_eq!((p.next_index, p.match_index), (5, 4), "a late reply");
        p.sent_entries(5, 7);
        p.sent_entries(8, 8);
        assert_eq!((p.next_index, p.inflight()), (9, 2), "streaming");
        assert!(!p.can_send_entries(2), "the window is full");
        assert_eq!(p.maybe_update(7), None);
        assert_eq!(p.inflight(), 1, "acknowledged messages leave the window");
    }

    #[test]
    fn stale_rejections_change_nothing() {
        let mut p = Progress::new(10, 0);
        assert_eq!(p.on_reject(5, 3, false), Rejected::Ignore, "not the probe");
        assert_eq!(p.on_reject(9, 3, false), Rejected::Resend);
        assert_eq!((p.next_index, p.state), (3, ProgressState::Probe));
        assert_eq!(p.maybe_update(4), None);
        // Finding 3: a rejection at prevLogIndex = matchIndex is stale.
        assert_eq!(p.on_reject(4, 1, true), Rejected::Ignore);
        assert_eq!((p.next_index, p.state), (5, ProgressState::Replicate));
        assert_eq!(p.on_reject(9, 1, true), Rejected::Ignore, "beyond next");
    }

    #[test]
    fn a_message_that_overtook_its_predecessor_goes_again_when_the_gap_fills() {
        let mut p = replicating(5, 4);
        p.sent_entries(5, 5);
        p.sent_entries(6, 6);
        p.sent_entries(7, 7);
        // 6 arrived before 5: too short, the follower's log ends at 4.
        assert_eq!(p.on_reject(5, 5, true), Rejected::Ignore, "5 is on its way");
        assert_eq!((p.next_index, p.inflight()), (8, 3));
        assert!(!p.can_send_entries(8), "nothing new beyond a gap");
        // A heartbeat at 7 overtook too: it carried nothing.
        assert_eq!(p.on_reject(7, 5, true), Rejected::Ignore);
        // 5 arrives: now 6 goes again, alone; 7 may still arrive in order.
        assert_eq!(p.maybe_update(5), Some(Again { first: 6, last: 6 }));
        assert_eq!((p.next_index, p.inflight()), (8, 2));
        assert!(p.can_send_entries(8));
        assert_eq!(p.state, ProgressState::Replicate);
    }

    #[test]
    fn a_rejection_read_after_the_gap_filled_sends_at_once() {
        // The success for 5 overtook the rejection of 6.
        let mut p = replicating(5, 4);
        p.sent_entries(5, 5);
        p.sent_entries(6, 6);
        p.sent_entries(7, 7);
        assert_eq!(p.maybe_update(5), None);
        assert_eq!(
            p.on_reject(5, 5, true),
            Rejected::Again(Again { first: 6, last: 6 })
        );
    }

    #[test]
    fn a_gap_that_stays_open_is_loss_and_is_sent_again() {
        let mut p = replicating(5, 4);
        p.sent_entries(5, 5);
        p.sent_entries(6, 6);
        for _ in 0..STALE_TICKS {
            p.on_heartbeat();
        }
        // 5 was lost: a heartbeat at 6 is refused, the log ends at 4.
        assert_eq!(p.on_reject(6, 5, true), Rejected::Resend);
        assert_eq!((p.next_index, p.inflight()), (5, 0));
        assert_eq!(p.state, ProgressState::Replicate, "the logs match below 5");
    }

    #[test]
    fn a_conflict_is_never_put_down_to_reordering() {
        let mut p = replicating(5, 4);
        p.sent_entries(5, 5);
        p.sent_entries(6, 6);
        assert_eq!(p.on_reject(5, 5, false), Rejected::Resend);
        assert_eq!((p.next_index, p.state), (5, ProgressState::Probe));
    }
}
