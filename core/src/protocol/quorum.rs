//! Quorum math over a cluster configuration, as etcd's `quorum/majority.go`:
//! the index a majority has matched (the commit rule, §5.3) and the outcome
//! of an election (§5.2). Quorums are computed from the voter set, never
//! from a constant N, so joint consensus (§6) can later replace it with two
//! sets.

use super::types::{LogIndex, NodeId};
use std::collections::BTreeSet;

/// Cluster membership as data: the set of voting servers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Configuration {
    voters: Vec<NodeId>,
}

/// Where an election stands (etcd's `VoteResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteResult {
    /// A majority granted: the candidate wins (§5.2).
    Won,
    /// Neither a majority for nor against yet.
    Pending,
    /// A majority denied: the election cannot be won.
    Lost,
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

    /// The highest index that a majority has matched: sort the voters'
    /// match indexes descending and take the majority-th (etcd's
    /// `CommittedIndex`). `scratch` is reused to keep allocation off the
    /// hot path. Whether it may commit is the caller's rule (§5.4.2).
    pub fn committed_index(
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

    /// The election's outcome given each voter's answer: `Some(true)`
    /// granted, `Some(false)` denied, `None` not heard from (etcd's
    /// `VoteResult`).
    pub fn vote_result(&self, vote: impl Fn(NodeId) -> Option<bool>) -> VoteResult {
        let (mut granted, mut missing) = (0, 0);
        for &v in &self.voters {
            match vote(v) {
                Some(true) => granted += 1,
                Some(false) => {}
                None => missing += 1,
            }
        }
        let majority = self.voters.len() / 2 + 1;
        if granted >= majority {
            VoteResult::Won
        } else if granted + missing >= majority {
            VoteResult::Pending
        } else {
            VoteResult::Lost
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_index_is_the_majority_th_highest_match() {
        let c = Configuration::of_size(5);
        let m = [0, 7, 5, 9, 1, 5];
        assert_eq!(c.committed_index(&mut Vec::new(), |v| m[v as usize]), 5);
        let c = Configuration::of_size(4);
        assert_eq!(c.committed_index(&mut Vec::new(), |v| m[v as usize]), 5);
        let c = Configuration::new([]);
        assert_eq!(c.committed_index(&mut Vec::new(), |_| 3), 0);
    }

    #[test]
    fn vote_result_needs_a_strict_majority() {
        let c = Configuration::of_size(4);
        let vote = |yes: &[NodeId], no: &[NodeId]| {
            c.vote_result(|v| {
                if yes.contains(&v) {
                    Some(true)
                } else if no.contains(&v) {
                    Some(false)
                } else {
                    None
                }
            })
        };
        assert_eq!(vote(&[1, 2], &[]), VoteResult::Pending);
        assert_eq!(vote(&[1, 2, 3], &[]), VoteResult::Won);
        assert_eq!(vote(&[1, 2], &[3, 4]), VoteResult::Lost);
        assert_eq!(vote(&[1], &[3]), VoteResult::Pending);
    }
}
