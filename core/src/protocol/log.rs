//! The replicated log. Indexes start at 1 and are absolute: the log keeps a
//! snapshot offset (`snapshot_index`, `snapshot_term`), so compaction (§7)
//! can drop a prefix without renumbering anything.

use super::{Command, LogIndex, Term};
use serde::Serialize;

/// One log entry: the term it was created in and its command (Fig. 2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Entry {
    pub term: Term,
    #[serde(rename = "op")]
    pub cmd: Command,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RaftLog {
    /// The last index covered by a snapshot (0: none).
    snapshot_index: LogIndex,
    snapshot_term: Term,
    /// Entries `snapshot_index + 1 ..= last_index()`.
    entries: Vec<Entry>,
}

impl RaftLog {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_entries(entries: Vec<Entry>) -> Self {
        RaftLog {
            snapshot_index: 0,
            snapshot_term: 0,
            entries,
        }
    }

    pub fn snapshot_index(&self) -> LogIndex {
        self.snapshot_index
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
        self.pos(index).map(|p| self.entries[p].term)
    }

    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        self.pos(index).map(|p| &self.entries[p])
    }

    /// Entries in the log, oldest first (from `snapshot_index + 1`).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Up to `max` entries starting at `from`.
    pub fn slice(&self, from: LogIndex, max: usize) -> &[Entry] {
        match self.pos(from) {
            Some(p) => {
                let end = p.saturating_add(max).min(self.entries.len());
                &self.entries[p..end]
            }
            None => &[],
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
            self.entries[p] = entry;
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
        assert_eq!(log.slice(5, 10).len(), 2);
        assert_eq!(log.slice(2, 2).len(), 2);
        assert!(log.slice(7, 10).is_empty());
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
}
