//! Log compaction (thesis chapter 5, paper §7): a snapshot is the state
//! machine as of an applied index, with the client sessions (so a retried
//! command still applies once, thesis §6.3) and the configuration as of
//! that index. InstallSnapshot (thesis Fig. 5.3) sends it in chunks.
//!
//! A snapshot is shared, not copied: the leader's chunks carry a pointer
//! to it and their place in it (`offset`, `len`). A chunk's unit is one
//! item: a key-value pair, a client session or the configuration.

use super::kv::KvStore;
use super::quorum::Configuration;
use super::types::{LogIndex, Term};
use crate::util::Fnv64;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The state machine as of `index` (lastIncludedIndex) and `term`
/// (lastIncludedTerm).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Snapshot {
    pub index: LogIndex,
    pub term: Term,
    pub config: Configuration,
    pub kv: KvStore,
}

impl Snapshot {
    /// Its size in chunk items: every key-value pair, every session and
    /// the configuration.
    pub fn size(&self) -> u64 {
        (self.kv.data().len() + self.kv.session_count() + 1) as u64
    }
}

/// A shared snapshot, compared and hashed by its index, term and a digest
/// of its contents (the same value on every platform).
#[derive(Clone, Debug)]
pub struct SnapshotRef {
    data: Arc<Snapshot>,
    digest: u64,
}

impl SnapshotRef {
    pub fn new(s: Snapshot) -> Self {
        let mut h = StableHasher(Fnv64::new());
        s.hash(&mut h);
        SnapshotRef {
            digest: h.0.value(),
            data: Arc::new(s),
        }
    }
    pub fn get(&self) -> &Snapshot {
        &self.data
    }
    pub fn index(&self) -> LogIndex {
        self.data.index
    }
    pub fn term(&self) -> Term {
        self.data.term
    }
    pub fn size(&self) -> u64 {
        self.data.size()
    }
    fn key(&self) -> (LogIndex, Term, u64) {
        (self.data.index, self.data.term, self.digest)
    }
}

impl PartialEq for SnapshotRef {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for SnapshotRef {}
impl PartialOrd for SnapshotRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SnapshotRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}
impl Hash for SnapshotRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

/// FNV-1a with every integer as 8 little-endian bytes, so a digest is the
/// same on 32- and 64-bit targets.
struct StableHasher(Fnv64);

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        self.0.value()
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = self
                .0
                .u64(u64::from_le_bytes(b) ^ ((chunk.len() as u64) << 56));
        }
    }
    fn write_usize(&mut self, v: usize) {
        self.0 = self.0.u64(v as u64);
    }
    fn write_isize(&mut self, v: isize) {
        self.0 = self.0.u64(v as u64);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = self.0.u64(v);
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = self.0.u64(u64::from(v));
    }
    fn write_u8(&mut self, v: u8) {
        self.0 = self.0.u64(u64::from(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::kv::{KvCommand, KvOp};

    fn store(puts: &[(&str, &str)]) -> KvStore {
        let mut kv = KvStore::new();
        for (k, v) in puts {
            kv.apply(&KvCommand {
                op: KvOp::Put {
                    key: (*k).into(),
                    value: (*v).into(),
                },
                session: None,
                first_unacked: 0,
            });
        }
        kv
    }

    #[test]
    fn snapshots_compare_by_contents_not_by_pointer() {
        let a = |v| {
            SnapshotRef::new(Snapshot {
                index: 5,
                term: 2,
                config: Configuration::of_size(3),
                kv: store(&[("x", v)]),
            })
        };
        assert_eq!(a("1"), a("1"));
        assert_ne!(a("1"), a("2"), "same index and term, other contents");
        assert_eq!(a("1").size(), 2, "one pair and the configuration");
    }
}
