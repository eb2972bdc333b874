//! Scenario events, one validator per kind: each becomes an [`Action`]
//! at a virtual time, or an error naming the bad field (`events[3].node`).

use super::validate::{check_op, err, ms_to_us, node_in, probability, range_us};
use super::*;

impl EventSpec {
    /// Validate this event for an `n`-node cluster; `p` is its path for
    /// error messages (e.g. `events[3]`).
    pub fn validate(&self, p: &str, n: u32) -> Result<Action, ScenarioError> {
        let at = ms_to_us(&format!("{p}.at_ms"), self.at_ms(), MAX_DURATION_MS)?;
        let node = |id: NodeId| node_in(&format!("{p}.node"), id, n);
        let what = match self {
            EventSpec::Crash { node: id, .. } => ActionKind::Crash(node(*id)?),
            EventSpec::Restart { node: id, .. } => ActionKind::Restart(node(*id)?),
            EventSpec::Timeout { node: id, .. } => ActionKind::Timeout(node(*id)?),
            EventSpec::Partition { groups, .. } => ActionKind::Partition(partition(p, groups, n)?),
            EventSpec::Heal { .. } => ActionKind::Heal,
            EventSpec::DropMessage { id, .. } => ActionKind::DropMessage(*id),
            EventSpec::DuplicateMessage { id, .. } => ActionKind::DuplicateMessage(*id),
            EventSpec::Cut { from, to, .. } => {
                let (f, t) = link(p, *from, *to, n)?;
                ActionKind::Cut(f, t)
            }
            EventSpec::Uncut { from, to, .. } => {
                let (f, t) = link(p, *from, *to, n)?;
                ActionKind::Uncut(f, t)
            }
            EventSpec::Request {
                op, node, count, ..
            } => request(p, op, *node, *count, n)?,
            EventSpec::Network {
                drop,
                duplicate,
                latency_ms,
                ..
            } => network(p, *drop, *duplicate, *latency_ms)?,
        };
        Ok(Action { at, what })
    }
}

/// Non-empty groups of this cluster's nodes, each node in one group at most.
fn partition(p: &str, groups: &[Vec<NodeId>], n: u32) -> Result<Vec<Vec<NodeId>>, ScenarioError> {
    if groups.is_empty() {
        return err(format!("{p}.groups"), "needs at least one group");
    }
    let mut seen = vec![false; n as usize];
    for (g, group) in groups.iter().enumerate() {
        if group.is_empty() {
            return err(format!("{p}.groups[{g}]"), "is empty");
        }
        for (k, &id) in group.iter().enumerate() {
            let q = format!("{p}.groups[{g}][{k}]");
            node_in(&q, id, n)?;
            let s = &mut seen[id as usize - 1];
            if *s {
                return err(q, format!("node {id} is in more than one group"));
            }
            *s = true;
        }
    }
    Ok(groups.to_vec())
}

/// A one-way link between two different nodes (`cut`, `uncut`).
fn link(p: &str, from: NodeId, to: NodeId, n: u32) -> Result<(NodeId, NodeId), ScenarioError> {
    let f = node_in(&format!("{p}.from"), from, n)?;
    let t = node_in(&format!("{p}.to"), to, n)?;
    if f == t {
        return err(format!("{p}.to"), "a link joins two different nodes");
    }
    Ok((f, t))
}

/// `count` one-shot clients sending `op` (to `node` first, if given).
fn request(
    p: &str,
    op: &KvOp,
    node: Option<NodeId>,
    count: Option<u32>,
    n: u32,
) -> Result<ActionKind, ScenarioError> {
    check_op(&format!("{p}.op"), op)?;
    let node = node
        .map(|id| node_in(&format!("{p}.node"), id, n))
        .transpose()?;
    let count = count.unwrap_or(1);
    if count == 0 || count > MAX_REQUEST_COUNT {
        return err(
            format!("{p}.count"),
            format!("{count} is out of range 1..={MAX_REQUEST_COUNT}"),
        );
    }
    Ok(ActionKind::Request {
        op: op.clone(),
        node,
        count,
    })
}

/// A change of loss, duplication or latency: each given value checked.
fn network(
    p: &str,
    drop: Option<f64>,
    duplicate: Option<f64>,
    latency_ms: Option<[f64; 2]>,
) -> Result<ActionKind, ScenarioError> {
    Ok(ActionKind::Network {
        drop: drop
            .map(|d| probability(&format!("{p}.drop"), d))
            .transpose()?,
        duplicate: duplicate
            .map(|d| probability(&format!("{p}.duplicate"), d))
            .transpose()?,
        latency: latency_ms
            .map(|l| range_us(&format!("{p}.latency_ms"), l, 0.0))
            .transpose()?,
    })
}
