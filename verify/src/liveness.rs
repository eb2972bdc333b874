//! Liveness after the faults end: a leader, and one committed log.

use quorum_core::protocol::{NodeId, RaftNode, Role};
use quorum_core::sim::{Node, Simulator};

/// What the liveness check found at the end of a scenario's `liveness`
/// window. Three outcomes, not two: an expectation that cannot hold
/// whatever the protocol does is not applicable, and that is never a pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Liveness {
    /// The cluster recovered.
    Converged,
    /// Nothing could be expected of the run, and why (e.g. no majority of
    /// servers is up, so no leader can be elected, §5.2). Counted apart
    /// from passes and failures.
    NotApplicable(String),
    /// The cluster did not recover, and how.
    Stuck(String),
}

/// A protocol's own answer to "has the cluster recovered?" at the end of a
/// scenario's `liveness` window (`quorum run --check`). Each protocol says
/// what convergence means for it, and when it cannot be expected; Raft's
/// is [`converged`].
pub trait Converges: Node + Sized {
    fn converged(sim: &Simulator<Self>) -> Liveness;
}

impl Converges for RaftNode {
    fn converged(sim: &Simulator<RaftNode>) -> Liveness {
        converged(sim)
    }
}

/// With every fault healed, is there exactly one leader of the highest
/// term, and does every up node hold the same log, all of it committed?
/// Not applicable when no majority of servers is up: a candidate needs the
/// votes of a majority (§5.2), so no leader can be expected.
pub fn converged(sim: &Simulator) -> Liveness {
    let n = sim.node_count();
    let up: Vec<(NodeId, &RaftNode)> = (1..=n)
        .filter(|&i| sim.is_up(i))
        .filter_map(|i| sim.node(i).map(|node| (i, node)))
        .collect();
    if up.len() * 2 <= n as usize {
        return Liveness::NotApplicable(format!(
            "only {} of {n} servers are up: without a majority no leader can be elected (§5.2)",
            up.len()
        ));
    }
    // Judged on the final configuration (thesis chapter 4): that of the
    // leader of the highest term; a server removed from it hears from
    // nobody any more, whatever term it reached (§4.2.2).
    let newest = up
        .iter()
        .filter(|(_, x)| x.role() == Role::Leader)
        .map(|(_, x)| x.current_term())
        .max();
    let members: Vec<NodeId> = match newest {
        Some(t) => up
            .iter()
            .filter(|(_, x)| x.role() == Role::Leader && x.current_term() == t)
            .flat_map(|(_, x)| x.config().members())
            .collect(),
        None => (1..=n).collect(),
    };
    let top = up
        .iter()
        .filter(|(i, _)| members.contains(i))
        .map(|(_, x)| x.current_term())
        .max()
        .unwrap_or(0);
    let leaders: Vec<(NodeId, &RaftNode)> = up
        .iter()
        .copied()
        .filter(|(_, x)| x.role() == Role::Leader && x.current_term() == top)
        .collect();
    let [(lid, l)] = leaders[..] else {
        let ids: Vec<NodeId> = leaders.iter().map(|(i, _)| *i).collect();
        return Liveness::Stuck(format!("no single leader in term {top}: leaders {ids:?}"));
    };
    for &(i, f) in up.iter().filter(|(i, _)| members.contains(i)) {
        if !same_log(f, l) {
            return Liveness::Stuck(format!(
                "S{i}'s log ({} entries) differs from leader S{lid}'s ({} entries)",
                f.log().last_index(),
                l.log().last_index()
            ));
        }
        if f.commit_index() != f.log().last_index() {
            return Liveness::Stuck(format!(
                "S{i} committed {} of {} entries",
                f.commit_index(),
                f.log().last_index()
            ));
        }
    }
    Liveness::Converged
}

/// The same log, as far as both still hold it: the same last entry, and
/// the same entries after the later of their snapshots (what a snapshot
/// covers is committed, and the checker holds it to the committed log).
fn same_log(f: &RaftNode, l: &RaftNode) -> bool {
    let (a, b) = (f.log(), l.log());
    if (a.last_index(), a.last_term()) != (b.last_index(), b.last_term()) {
        return false;
    }
    let from = a.snapshot_index().max(b.snapshot_index()) + 1;
    (from..=a.last_index()).all(|i| a.entry(i) == b.entry(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::{check_scenario, FailureKind};
    use quorum_core::sim::Scenario;

    fn scenario(events: &str) -> Scenario {
        Scenario::parse(&format!(
            r#"{{ "version": 1, "name": "t", "seed": 1, "nodes": 3, "duration_ms": 3000,
                 "events": [{events}],
                 "liveness": {{ "from_ms": 1000, "within_ms": 2000 }} }}"#
        ))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn no_majority_up_is_not_applicable_and_not_a_pass() {
        let s = scenario(
            r#"{ "at_ms": 1000, "do": "crash", "node": 2 },
               { "at_ms": 1000, "do": "crash", "node": 3 }"#,
        );
        let mut sim = Simulator::from_scenario(&s);
        sim.run_to_end();
        match converged(&sim) {
            Liveness::NotApplicable(why) => assert!(why.contains("only 1 of 3"), "{why}"),
            other => panic!("{other:?}"),
        }
        let o = check_scenario(&s);
        assert!(o.failure.is_none(), "{:?}", o.failure);
        assert!(o.liveness_not_applicable.is_some());
    }

    #[test]
    fn a_majority_up_and_cut_apart_is_stuck() {
        // All three up, each in its own group: applicable, and it fails.
        let s = scenario(r#"{ "at_ms": 1000, "do": "partition", "groups": [[1], [2], [3]] }"#);
        let o = check_scenario(&s);
        assert!(o.liveness_not_applicable.is_none());
        assert!(
            matches!(o.failure.map(|f| f.kind), Some(FailureKind::Liveness(_))),
            "a cluster cut apart did not converge"
        );
        // One of three down leaves a majority: applicable, and it holds.
        let s = scenario(r#"{ "at_ms": 1000, "do": "crash", "node": 3 }"#);
        let o = check_scenario(&s);
        assert!(o.failure.is_none() && o.liveness_not_applicable.is_none());
    }
}
