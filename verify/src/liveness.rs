//! Liveness after the faults end: a leader, and one committed log.

use quorum_core::protocol::{NodeId, Role};
use quorum_core::sim::Simulator;

/// With every fault healed (and a majority up), is there exactly one
/// leader of the highest term, and does every up node hold the same log,
/// all of it committed?
pub fn converged(sim: &Simulator) -> Result<(), String> {
    let n = sim.node_count();
    let up: Vec<NodeId> = (1..=n).filter(|&i| sim.is_up(i)).collect();
    if up.len() * 2 <= n as usize {
        return Ok(()); // no majority up: nothing can be expected
    }
    let node = |i: NodeId| sim.node(i).expect("node");
    let top = up
        .iter()
        .map(|&i| node(i).current_term())
        .max()
        .unwrap_or(0);
    let leaders: Vec<NodeId> = up
        .iter()
        .copied()
        .filter(|&i| node(i).role() == Role::Leader && node(i).current_term() == top)
        .collect();
    if leaders.len() != 1 {
        return Err(format!(
            "no single leader in term {top}: leaders {leaders:?}"
        ));
    }
    let l = node(leaders[0]);
    for &i in &up {
        let f = node(i);
        if f.log() != l.log() {
            return Err(format!(
                "S{i}'s log ({} entries) differs from leader S{}'s ({} entries)",
                f.log().last_index(),
                leaders[0],
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
