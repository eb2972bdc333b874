//! Liveness after the faults end: a leader, and one committed log.

use quorum_core::protocol::{NodeId, RaftNode, Role};
use quorum_core::sim::{Node, Simulator};

/// A protocol's own answer to "has the cluster recovered?" at the end of a
/// scenario's `liveness` window (`quorum run --check`). Each protocol says
/// what convergence means for it; Raft's is [`converged`].
pub trait Converges: Node + Sized {
    fn converged(sim: &Simulator<Self>) -> Result<(), String>;
}

impl Converges for RaftNode {
    fn converged(sim: &Simulator<RaftNode>) -> Result<(), String> {
        converged(sim)
    }
}

/// With every fault healed (and a majority up), is there exactly one
/// leader of the highest term, and does every up node hold the same log,
/// all of it committed?
pub fn converged(sim: &Simulator) -> Result<(), String> {
    let n = sim.node_count();
    let up: Vec<(NodeId, &RaftNode)> = (1..=n)
        .filter(|&i| sim.is_up(i))
        .filter_map(|i| sim.node(i).map(|node| (i, node)))
        .collect();
    if up.len() * 2 <= n as usize {
        return Ok(()); // no majority up: nothing can be expected
    }
    let top = up.iter().map(|(_, x)| x.current_term()).max().unwrap_or(0);
    let leaders: Vec<(NodeId, &RaftNode)> = up
        .iter()
        .copied()
        .filter(|(_, x)| x.role() == Role::Leader && x.current_term() == top)
        .collect();
    let [(lid, l)] = leaders[..] else {
        let ids: Vec<NodeId> = leaders.iter().map(|(i, _)| *i).collect();
        return Err(format!("no single leader in term {top}: leaders {ids:?}"));
    };
    for &(i, f) in &up {
        if f.log() != l.log() {
            return Err(format!(
                "S{i}'s log ({} entries) differs from leader S{lid}'s ({} entries)",
                f.log().last_index(),
                l.log().last_index()
            ));
        }
        if f.commit_index() != f.log().last_index() {
            return Err(format!(
                "S{i} committed {} of {} entries",
                f.commit_index(),
                f.log().last_index()
            ));
        }
    }
    Ok(())
}
