//! The replicated log. Indexes start at 1 and are absolute: the log keeps a
//! snapshot offset (`snapshot_index`, `snapshot_term`), so compaction (§7)
//! can drop a prefix without renumbering anything.

use super::kv::Command;
use super::types::{LogIndex, Term};
use crate::util::Chunked;
use serde::Serialize;

/// One log entry: the term it was created in and its command (Fig. 2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Entry {
    pub term: Term,
    #[serde(rename = "op")]
    pub cmd: Command,
}

/// Why the log fails AppendEntries' consistency check (§5.3), as the
/// fast-backtracking hint the follower sends back: the term of its entry at
/// prevLogIndex (`None` if it has none) and the first index it holds for
/// that term (or its last index + 1 when its log is too short).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub term: Option<Term>,
    pub index: LogIndex,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RaftLog {
    /// The last index covered by a snapshot (0: none).
    snapshot_index: LogIndex,
    snapshot_term: Term,
    /// Entries `snapshot_index + 1 ..= last_index()`. Chunked copy-on-write,
    /// so a simulator checkpoint costs a pointer per chunk, not a copy of
    /// the log.
    entries: Chunked<Entry>,
}

impl RaftLog {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_entries(entries: Vec<Entry>) -> Self {
        let mut log = RaftLog::new();
        for e in entries {
            log.push(e);
        }
        log
    }

    pub fn snapshot_index(&self) -> LogIndex {
        self.snapshot_index
    }

    pub fn snapshot_term(&self) -> Term {
        self.snapshot_term
    }

    /// Log compaction (§7): drop the entries up to `index`, which a
    /// snapshot now covers; indexes stay as they are.
    pub fn compact(&mut self, index: LogIndex) {
        let Some(term) = self.term(index) else {
            return;
        };
        if index <= self.snapshot_index {
            return;
        }
        let rest = self.entries_from(index + 1, usize::MAX);
        self.snapshot_index = index;
        self.snapshot_term = term;
        self.entries = Chunked::new();
        for e in rest {
            self.entries.push(e);
        }
    }

    /// InstallSnapshot (thesis Fig. 5.3, steps 6 and 7): if the log holds
    /// the snapshot's last entry, keep the entries after it; otherwise
    /// discard the whole log. Returns whether entries were kept.
    pub fn install(&mut self, index: LogIndex, term: Term) -> bool {
        if self.term(index) == Some(term) && index >= self.snapshot_index {
            self.compact(index);
            if index == self.snapshot_index {
                return true;
            }
        }
        self.snapshot_index = index;
        self.snapshot_term = term;
        self.entries = Chunked::new();
        false
    }

    pub fn last_index(&self) -> LogIndex {
        self.snapshot_index + self.entries.len() as LogIndex
    }

    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(self.snapshot_term, |e| e.term)
    }

    fn pos(&self, index: LogIndex) -> Option<usize> {
        if index <= self.snapshot_index || index > self.last_index() {
            None
        } else {
            usize::try_from(index - self.snapshot_index - 1).ok()
        }
    }

    /// The term of the entry at `index`; `Some(0)` for index 0, `None` if the
    /// log has no such entry (or it was compacted away).
    pub fn term(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot_index {
            return Some(self.snapshot_term);
        }
        self.entry(index).map(|e| e.term)
    }

    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        self.pos(index).and_then(|p| self.entries.get(p))
    }

    /// Entries in the log, oldest first (from `snapshot_index + 1`).
    pub fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.entries.iter()
    }

    /// Up to `max` entries starting at `from`, copied (cheaply: commands
    /// are shared).
    pub fn entries_from(&self, from: LogIndex, max: usize) -> Vec<Entry> {
        match self.pos(from) {
            Some(p) => {
                let end = p.saturating_add(max).min(self.entries.len());
                (p..end).map(|q| self.entries[q].clone()).collect()
            }
            None => Vec::new(),
        }
    }

    /// Appends one entry and returns its index.
    pub fn push(&mut self, entry: Entry) -> LogIndex {
        self.entries.push(entry);
        self.last_index()
    }

    /// Overwrites one entry in place (only planted bugs do this).
    pub fn replace(&mut self, index: LogIndex, entry: Entry) {
        if let Some(p) = self.pos(index) {
            self.entries.set(p, entry);
        }
    }

    /// Deletes the entry at `from` and all that follow it (§5.3).
    pub fn truncate_from(&mut self, from: LogIndex) {
        if let Some(p) = self.pos(from) {
            self.entries.truncate(p);
        }
    }

    /// The first index of the run of entries with the same term as `index`
    /// (fast backtracking's conflict index).
    pub fn first_index_of_term_at(&self, index: LogIndex) -> LogIndex {
        let Some(term) = self.term(index) else {
            return index;
        };
        let mut i = index;
        while i > self.snapshot_index + 1 && self.term(i - 1) == Some(term) {
            i -= 1;
        }
        i
    }

    /// §5.4.1: is a log ending at (`last_index`, `last_term`) at least as
    /// up-to-date as this one? The later last term wins; with equal last
    /// terms, the longer log (etcd's `isUpToDate`).
    pub fn is_up_to_date(&self, last_index: LogIndex, last_term: Term) -> bool {
        last_term > self.last_term()
            || (last_term == self.last_term() && last_index >= self.last_index())
    }

    /// AppendEntries' consistency check (§5.3): does the log hold an entry
    /// at `prev_index` whose term is `prev_term`? If not, the hint for the
    /// leader.
    pub fn check_prev(&self, prev_index: LogIndex, prev_term: Term) -> Result<(), Conflict> {
        match self.term(prev_index) {
            None if prev_index > self.last_index() => Err(Conflict {
                term: None,
                index: self.last_index() + 1,
            }),
            // prevLogIndex is inside our snapshot: the leader is probing
            // below what we compacted; the first index we can check is
            // just past the snapshot.
            None => Err(Conflict {
                term: None,
                index: self.snapshot_index() + 1,
            }),
            Some(t) if t != prev_term => Err(Conflict {
                term: Some(t),
                index: self.first_index_of_term_at(prev_index),
            }),
            Some(_) => Ok(()),
        }
    }

    /// The leader's side of fast backtracking: where to retry after a
    /// follower reported `conflict`. If the leader holds entries of the
    /// conflicting term, just past its last one; otherwise the follower's
    /// first index of that term, skipping the whole term in one round trip.
    pub fn backtrack_hint(
        &self,
        conflict_term: Option<Term>,
        conflict_index: LogIndex,
    ) -> LogIndex {
        match conflict_term {
            None => conflict_index,
            Some(t) => match self.last_index_of_term(t) {
                Some(i) => i + 1,
                None => conflict_index,
            },
        }
    }

    /// The last index holding an entry of `term`, if any.
    pub fn last_index_of_term(&self, term: Term) -> Option<LogIndex> {
        // Terms never decrease along the log (Fig. 3 properties), so scan back.
        let mut i = self.last_index();
        while i > self.snapshot_index {
            let t = self.term(i)?;
            if t == term {
                return Some(i);
            }
            if t < term {
                return None;
            }
            i -= 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_shared_and_copied_on_write() {
        let mut a = RaftLog::new();
        for i in 0..1000u64 {
            a.push(Entry {
                term: 1 + i / 300,
                cmd: Command::Noop,
            });
        }
        let snapshot = a.clone();
        assert!(
            a.entries.shares_chunk(&snapshot.entries, 0),
            "a clone shares chunks"
        );
        a.truncate_from(700);
        a.push(Entry {
            term: 9,
            cmd: Command::Noop,
        });
        assert_eq!(snapshot.last_index(), 1000, "the clone is untouched");
        assert_eq!(snapshot.term(700), Some(3));
        assert_eq!(a.last_index(), 700);
        assert_eq!(a.term(700), Some(9));
        assert_eq!(a.term(699), Some(3));
        assert!(
            a.entries.shares_chunk(&snapshot.entries, 0),
            "untouched chunks stay shared"
        );
        // Truncating at a chunk boundary, then appending across chunks.
        a.truncate_from(513);
        assert_eq!(a.last_index(), 512);
        for _ in 0..300 {
            a.push(Entry {
                term: 10,
                cmd: Command::Noop,
            });
        }
        assert_eq!(a.last_index(), 812);
        assert_eq!(a.iter().count(), 812);
        assert_eq!(a.entries_from(500, 20).len(), 20);
        assert_eq!(a.entries_from(500, 20)[12].term, 2);
        assert_eq!(a.entries_from(500, 20)[13].term, 10);
        assert_eq!(a.first_index_of_term_at(600), 513);
        assert_eq!(a.last_index_of_term(2), Some(512));
    }

    fn log_of(terms: &[Term]) -> RaftLog {
        RaftLog::from_entries(
            terms
                .iter()
                .map(|&term| Entry {
                    term,
                    cmd: Command::Noop,
                })
                .collect(),
        )
    }

    #[test]
    fn indexes_and_terms() {
        let log = log_of(&[1, 1, 2, 2, 2, 4]);
        assert_eq!(log.last_index(), 6);
        assert_eq!(log.last_term(), 4);
        assert_eq!(log.term(0), Some(0));
        assert_eq!(log.term(3), Some(2));
        assert_eq!(log.term(7), None);
        assert_eq!(log.first_index_of_term_at(5), 3);
        assert_eq!(log.first_index_of_term_at(1), 1);
        assert_eq!(log.last_index_of_term(2), Some(5));
        assert_eq!(log.last_index_of_term(3), None);
        assert_eq!(log.entries_from(5, 10).len(), 2);
        assert_eq!(log.entries_from(2, 2).len(), 2);
        assert!(log.entries_from(7, 10).is_empty());
    }

    #[test]
    fn up_to_date_and_consistency_check() {
        let log = log_of(&[1, 1, 2, 2, 2]);
        assert!(!log.is_up_to_date(9, 1), "lower last term, longer log");
        assert!(!log.is_up_to_date(4, 2), "same last term, shorter log");
        assert!(log.is_up_to_date(5, 2), "same last term, same length");
        assert!(log.is_up_to_date(1, 3), "higher last term, shorter log");
        assert_eq!(log.check_prev(4, 2), Ok(()));
        assert_eq!(log.check_prev(0, 0), Ok(()));
        let short = Conflict {
            term: None,
            index: 6,
        };
        assert_eq!(log.check_prev(9, 5), Err(short));
        let mismatch = Conflict {
            term: Some(2),
            index: 3,
        };
        assert_eq!(log.check_prev(4, 3), Err(mismatch));
        assert_eq!(log.backtrack_hint(Some(2), 9), 6);
        assert_eq!(log.backtrack_hint(Some(3), 9), 9);
        assert_eq!(log.backtrack_hint(None, 4), 4);
    }

    #[test]
    fn truncate_then_push() {
        let mut log = log_of(&[1, 1, 2]);
        log.truncate_from(2);
        assert_eq!(log.last_index(), 1);
        assert_eq!(
            log.push(Entry {
                term: 3,
                cmd: Command::Noop
            }),
            2
        );
        assert_eq!(log.term(2), Some(3));
    }

    fn log_of_terms(terms: &[Term]) -> RaftLog {
        RaftLog::from_entries(
            terms
                .iter()
                .map(|&term| Entry {
                    term,
                    cmd: Command::Noop,
                })
                .collect(),
        )
    }

    #[test]
    fn compaction_drops_a_prefix_and_keeps_every_index() {
        let mut log = log_of_terms(&[1, 1, 2, 2, 3]);
        log.compact(3);
        assert_eq!((log.snapshot_index(), log.snapshot_term()), (3, 2));
        assert_eq!(log.last_index(), 5);
        assert_eq!(log.term(3), Some(2), "the snapshot's last entry");
        assert_eq!(log.term(2), None, "compacted away");
        assert_eq!(log.term(5), Some(3));
        assert_eq!(log.iter().count(), 2);
        assert_eq!(
            log.check_prev(1, 1),
            Err(Conflict {
                term: None,
                index: 4
            })
        );
        assert_eq!(log.check_prev(3, 2), Ok(()));
        log.compact(2);
        assert_eq!(log.snapshot_index(), 3, "never backwards");
    }

    #[test]
    fn install_keeps_the_entries_after_a_matching_last_entry_else_none() {
        let mut log = log_of_terms(&[1, 1, 2, 2, 3]);
        assert!(log.install(4, 2), "entry 4 has term 2: keep 5");
        assert_eq!((log.snapshot_index(), log.last_index()), (4, 5));
        let mut log = log_of_terms(&[1, 1, 2, 2, 3]);
        assert!(!log.install(4, 3), "entry 4 has another term: discard all");
        assert_eq!((log.snapshot_index(), log.last_index()), (4, 4));
        assert_eq!(log.last_term(), 3);
        let mut log = log_of_terms(&[1]);
        assert!(!log.install(9, 4), "too short: discard all");
        assert_eq!((log.last_index(), log.last_term()), (9, 4));
    }
}
