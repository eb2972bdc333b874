//! The leader's view of one follower's log (Fig. 2's nextIndex[] and
//! matchIndex[]), as etcd's `tracker/progress.go`: every update is a method,
//! so the rules for moving the two indexes live in one place.

use super::types::LogIndex;

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

impl Progress {
    /// A new leader's view (Fig. 2: nextIndex = last log index + 1). It
    /// probes until the first success tells it where the logs match.
    pub fn new(next_index: LogIndex, match_index: LogIndex) -> Self {
        Progress {
            next_index,
            match_index,
            probing: true,
        }
    }

    /// An AppendEntries carrying `n` entries from nextIndex went out: when
    /// pipelining, assume it arrives and move nextIndex past it (etcd's
    /// `UpdateOnEntriesSend`); a probe waits for its reply.
    pub fn sent_entries(&mut self, n: usize) {
        if !self.probing && n > 0 {
            self.next_index += n as LogIndex;
        }
    }

    /// Should a new entry at `index` go out at once? Only to a follower the
    /// leader pipelines to and that has not been sent it yet.
    pub fn wants(&self, index: LogIndex) -> bool {
        !self.probing && self.next_index <= index
    }

    /// A success says the follower's log matches ours up to `match_index`
    /// (§5.3). Replies may come late, twice or out of order: only move
    /// forward. The logs now match, so pipelining can start.
    pub fn maybe_update(&mut self, match_index: LogIndex) {
        self.match_index = self.match_index.max(match_index);
        self.next_index = self.next_index.max(self.match_index + 1);
        self.probing = false;
    }

    /// A rejection of the AppendEntries at `rejected` (its prevLogIndex):
    /// move nextIndex back to `hint`, the fast-backtracking guess (§5.3),
    /// but never to or below what the follower already matched, and probe
    /// from there. Returns false (and changes nothing) for a stale
    /// rejection: one at or below matchIndex, or one for an earlier probe.
    pub fn maybe_decr_to(&mut self, rejected: LogIndex, hint: LogIndex) -> bool {
        if rejected < self.match_index || (self.probing && rejected + 1 != self.next_index) {
            return false;
        }
        self.next_index = hint.min(rejected).max(self.match_index + 1);
        self.probing = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_only_move_forward_and_end_probing() {
        let mut p = Progress::new(5, 0);
        p.sent_entries(3);
        assert_eq!(p.next_index, 5, "a probe does not advance nextIndex");
        p.maybe_update(4);
        assert_eq!((p.next_index, p.match_index, p.probing), (5, 4, false));
        p.maybe_update(2);
        assert_eq!((p.next_index, p.match_index), (5, 4), "a late reply");
        p.sent_entries(3);
        assert_eq!(p.next_index, 8, "pipelining");
        assert!(p.wants(8) && !p.wants(7));
    }

    #[test]
    fn rejections_back_off_but_not_below_match() {
        let mut p = Progress::new(10, 0);
        assert!(!p.maybe_decr_to(5, 3), "not the outstanding probe");
        assert!(p.maybe_decr_to(9, 3));
        assert_eq!((p.next_index, p.probing), (3, true));
        p.maybe_update(2);
        assert!(!p.maybe_decr_to(1, 1), "at or below matchIndex: stale");
        assert!(p.maybe_decr_to(5, 1));
        assert_eq!(p.next_index, 3, "never at or below matchIndex");
    }
}
