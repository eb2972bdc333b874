//! Quorum math over a cluster configuration, as etcd's `quorum/majority.go`:
//! the index a majority has matched (the commit rule, §5.3) and the outcome
//! of an election (§5.2). Quorums are computed from the voter set, never
//! from a constant N, so joint consensus (§6) can later replace it with two
//! sets.

use super::types::{LogIndex, NodeId};
use serde::Serialize;

/// Cluster membership as data (thesis chapter 4): the voting servers, the
/// old configuration's voters during joint consensus (paper §6; empty
/// otherwise), and learners, which receive the log but neither vote nor
/// count towards a commit (catching up before they join, §4.2.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Configuration {
    voters: Vec<NodeId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    outgoing: Vec<NodeId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    learners: Vec<NodeId>,
}

/// One membership change, as an administrator asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfChange {
    Add(NodeId),
    Remove(NodeId),
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

/// Ids in order, once each (by insertion: a handful of servers, and no
/// sorting code in the page for it).
fn sorted(ids: impl IntoIterator<Item = NodeId>) -> Vec<NodeId> {
    let mut v: Vec<NodeId> = Vec::new();
    for id in ids {
        if let Err(i) = v.binary_search(&id) {
            v.insert(i, id);
        }
    }
    v
}

impl Configuration {
    pub fn new(voters: impl IntoIterator<Item = NodeId>) -> Self {
        Configuration {
            voters: sorted(voters),
            outgoing: Vec::new(),
            learners: Vec::new(),
        }
    }

    /// Servers 1..=n.
    pub fn of_size(n: u32) -> Self {
        Self::new(1..=n)
    }

    /// A configuration with all three sets given.
    pub fn with_sets(
        voters: impl IntoIterator<Item = NodeId>,
        outgoing: impl IntoIterator<Item = NodeId>,
        learners: impl IntoIterator<Item = NodeId>,
    ) -> Self {
        Configuration {
            voters: sorted(voters),
            outgoing: sorted(outgoing),
            learners: sorted(learners),
        }
    }

    /// The voters (C_new during joint consensus).
    pub fn voters(&self) -> &[NodeId] {
        &self.voters
    }

    /// C_old's voters during joint consensus; empty otherwise.
    pub fn outgoing(&self) -> &[NodeId] {
        &self.outgoing
    }

    pub fn learners(&self) -> &[NodeId] {
        &self.learners
    }

    /// Joint consensus (C_old,new): decisions need both majorities.
    pub fn is_joint(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// May it vote and stand for election (a voter of either set)?
    pub fn contains(&self, id: NodeId) -> bool {
        self.voters.binary_search(&id).is_ok() || self.outgoing.binary_search(&id).is_ok()
    }

    pub fn is_learner(&self, id: NodeId) -> bool {
        self.learners.binary_search(&id).is_ok()
    }

    /// Every server in it, voters of both sets and learners, in id order:
    /// those a leader replicates to.
    pub fn members(&self) -> Vec<NodeId> {
        sorted(
            self.voters
                .iter()
                .chain(&self.outgoing)
                .chain(&self.learners)
                .copied(),
        )
    }

    /// Every voter of either set, in id order: those asked for votes.
    pub fn all_voters(&self) -> Vec<NodeId> {
        sorted(self.voters.iter().chain(&self.outgoing).copied())
    }

    /// The highest index that a majority has matched: sort the voters'
    /// match indexes descending and take the majority-th (etcd's
    /// `CommittedIndex`); during joint consensus the lower of the two
    /// sets' (paper §6). `scratch` is reused to keep allocation off the
    /// hot path. Whether it may commit is the caller's rule (§5.4.2).
    pub fn committed_index(
        &self,
        scratch: &mut Vec<LogIndex>,
        matched: impl Fn(NodeId) -> LogIndex,
    ) -> LogIndex {
        let new = majority_index(&self.voters, scratch, &matched);
        if self.outgoing.is_empty() {
            new
        } else {
            new.min(majority_index(&self.outgoing, scratch, &matched))
        }
    }

    /// As [`Configuration::committed_index`], counting the new voters only
    /// (the planted bug `joint_commits_with_new_only`).
    pub fn committed_index_new_only(
        &self,
        scratch: &mut Vec<LogIndex>,
        matched: impl Fn(NodeId) -> LogIndex,
    ) -> LogIndex {
        majority_index(&self.voters, scratch, &matched)
    }

    /// The election's outcome given each voter's answer: `Some(true)`
    /// granted, `Some(false)` denied, `None` not heard from (etcd's
    /// `VoteResult`); during joint consensus it needs both majorities.
    pub fn vote_result(&self, vote: impl Fn(NodeId) -> Option<bool>) -> VoteResult {
        let new = set_vote(&self.voters, &vote);
        if self.outgoing.is_empty() {
            return new;
        }
        match (new, set_vote(&self.outgoing, &vote)) {
            (VoteResult::Won, VoteResult::Won) => VoteResult::Won,
            (VoteResult::Lost, _) | (_, VoteResult::Lost) => VoteResult::Lost,
            _ => VoteResult::Pending,
        }
    }
}

fn majority_index(
    set: &[NodeId],
    scratch: &mut Vec<LogIndex>,
    matched: &impl Fn(NodeId) -> LogIndex,
) -> LogIndex {
    scratch.clear();
    scratch.extend(set.iter().map(|&v| matched(v)));
    if scratch.is_empty() {
        return 0;
    }
    scratch.sort_unstable_by(|a, b| b.cmp(a));
    let q = scratch[set.len() / 2];
    scratch.clear();
    q
}

fn set_vote(set: &[NodeId], vote: &impl Fn(NodeId) -> Option<bool>) -> VoteResult {
    let (mut granted, mut missing) = (0, 0);
    for &v in set {
        match vote(v) {
            Some(true) => granted += 1,
            Some(false) => {}
            None => missing += 1,
        }
    }
    let majority = set.len() / 2 + 1;
    if granted >= majority {
        VoteResult::Won
    } else if granted + missing >= majority {
        VoteResult::Pending
    } else {
        VoteResult::Lost
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

    #[test]
    fn joint_consensus_needs_both_majorities() {
        // C_old = {1, 2, 3}, C_new = {3, 4, 5}.
        let c = Configuration::with_sets([3, 4, 5], [1, 2, 3], []);
        assert!(c.is_joint() && c.contains(1) && c.contains(5));
        let m = [0, 9, 9, 9, 0, 0];
        // C_old has 9 on a majority, C_new only on S3: nothing commits.
        assert_eq!(c.committed_index(&mut Vec::new(), |v| m[v as usize]), 0);
        assert_eq!(
            c.committed_index_new_only(&mut Vec::new(), |v| m[v as usize]),
            0
        );
        let m = [0, 0, 0, 9, 9, 9];
        assert_eq!(c.committed_index(&mut Vec::new(), |v| m[v as usize]), 0);
        assert_eq!(
            c.committed_index_new_only(&mut Vec::new(), |v| m[v as usize]),
            9
        );
        let m = [0, 9, 0, 9, 9, 0];
        assert_eq!(c.committed_index(&mut Vec::new(), |v| m[v as usize]), 9);
        let yes = |ids: &'static [NodeId]| move |v: NodeId| ids.contains(&v).then_some(true);
        assert_eq!(c.vote_result(yes(&[3, 4, 5])), VoteResult::Pending);
        assert_eq!(c.vote_result(yes(&[1, 3, 4])), VoteResult::Won);
        // Learners neither vote nor count.
        let c = Configuration::with_sets([1, 2, 3], [], [4]);
        assert!(c.is_learner(4) && !c.contains(4));
        assert_eq!(c.members(), [1, 2, 3, 4]);
        assert_eq!(c.all_voters(), [1, 2, 3]);
    }
}
