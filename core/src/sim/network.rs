//! The network model: latency range, loss, duplication, partitions into
//! groups and one-way link cuts. Reordering follows from the latency spread.

use super::rng::Chance;
use super::Micros;
use crate::protocol::NodeId;
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Network {
    pub latency: (Micros, Micros),
    pub drop: Chance,
    pub duplicate: Chance,
    /// Group number per node (index id-1); `None`: no partition.
    groups: Option<Vec<u32>>,
    /// One-way cuts (from, to).
    cuts: BTreeSet<(NodeId, NodeId)>,
}

/// Why a link is blocked (a trace `drop` says it as a `DropReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    Partition,
    Cut,
}

impl Network {
    pub fn new(latency: (Micros, Micros), drop: Chance, duplicate: Chance) -> Self {
        Network {
            latency,
            drop,
            duplicate,
            groups: None,
            cuts: BTreeSet::new(),
        }
    }

    /// Split `n` nodes into `groups`; nodes not listed form one more group.
    pub fn partition(&mut self, n: u32, groups: &[Vec<NodeId>]) {
        let rest = groups.len() as u32;
        let mut g = vec![rest; n as usize];
        for (i, group) in groups.iter().enumerate() {
            for &id in group {
                if let Some(slot) = (id as usize).checked_sub(1).and_then(|i| g.get_mut(i)) {
                    *slot = i as u32;
                }
            }
        }
        self.groups = Some(g);
    }

    /// Remove the partition and every one-way cut.
    pub fn heal(&mut self) {
        self.groups = None;
        self.cuts.clear();
    }

    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        self.cuts.insert((from, to));
    }

    pub fn uncut(&mut self, from: NodeId, to: NodeId) {
        self.cuts.remove(&(from, to));
    }

    pub fn group_of(&self, id: NodeId) -> Option<u32> {
        self.groups
            .as_ref()?
            .get((id as usize).checked_sub(1)?)
            .copied()
    }

    pub fn is_partitioned(&self) -> bool {
        self.groups.is_some()
    }

    pub fn cuts(&self) -> &BTreeSet<(NodeId, NodeId)> {
        &self.cuts
    }

    /// Can a message from `from` reach `to` right now?
    pub fn blocked(&self, from: NodeId, to: NodeId) -> Option<Blocked> {
        if let Some(g) = &self.groups {
            let at = |id: NodeId| (id as usize).checked_sub(1).and_then(|i| g.get(i));
            if at(from) != at(to) {
                return Some(Blocked::Partition);
            }
        }
        if !self.cuts.is_empty() && self.cuts.contains(&(from, to)) {
            return Some(Blocked::Cut);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_cuts() {
        let mut n = Network::new((1, 1), Chance::NEVER, Chance::NEVER);
        assert_eq!(n.blocked(1, 2), None);
        n.partition(5, &[vec![1, 2]]);
        assert_eq!(n.blocked(1, 2), None);
        assert_eq!(n.blocked(3, 5), None, "unlisted nodes share a group");
        assert_eq!(n.blocked(2, 3), Some(Blocked::Partition));
        n.heal();
        n.cut(1, 2);
        assert_eq!(n.blocked(1, 2), Some(Blocked::Cut));
        assert_eq!(n.blocked(2, 1), None, "cuts are one-way");
        n.uncut(1, 2);
        assert_eq!(n.blocked(1, 2), None);
    }
}
