//! Scenario events, one validator per kind: each becomes an [`Action`]
//! at a virtual time, or an error naming the bad field (`events[3].node`).

use super::validate::{check_op, err, ms_to_us, node_in, probability, range_us};
use super::*;
use crate::protocol::Switches;
use std::collections::BTreeSet;

impl EventSpec {
    /// Validate this event for an `n`-node cluster whose run has
    /// `clients` clients in all (see [`ScenarioFile::client_total`]); `p`
    /// is its path for error messages (e.g. `events[3]`).
    pub fn validate(&self, p: &str, n: u32, clients: u64) -> Result<Action, ScenarioError> {
        let at = ms_to_us(&format!("{p}.at_ms"), self.at_ms(), MAX_DURATION_MS)?;
        let node = |id: NodeId| node_in(&format!("{p}.node"), id, n);
        let what = match self {
            EventSpec::Crash { node: id, .. } => ActionKind::Crash(node(*id)?),
            EventSpec::Restart { node: id, .. } => ActionKind::Restart(node(*id)?),
            EventSpec::Timeout { node: id, .. } => ActionKind::Timeout(node(*id)?),
            EventSpec::AddServer { node: id, .. } => ActionKind::AddServer(node(*id)?),
            EventSpec::RemoveServer { node: id, .. } => ActionKind::RemoveServer(node(*id)?),
            EventSpec::TransferLeader { to, .. } => {
                ActionKind::TransferLeader(node_in(&format!("{p}.to"), *to, n)?)
            }
            EventSpec::Set {
                pre_vote,
                check_quorum,
                read,
                snapshot_every,
                ..
            } => {
                if let Some(v) = snapshot_every {
                    let path = format!("{p}.snapshot_every");
                    super::validate::within(&path, *v, 0, MAX_SNAPSHOT_EVERY)?;
                }
                ActionKind::Set(Switches {
                    pre_vote: *pre_vote,
                    check_quorum: *check_quorum,
                    read: *read,
                    snapshot_every: *snapshot_every,
                })
            }
            EventSpec::Partition { groups, .. } => {
                ActionKind::Partition(partition(p, groups, n, clients)?)
            }
            EventSpec::Heal { .. } => ActionKind::Heal,
            EventSpec::DropMessage { id, .. } => ActionKind::DropMessage(*id),
            EventSpec::DuplicateMessage { id, .. } => ActionKind::DuplicateMessage(*id),
            EventSpec::Cut { from, to, .. } => {
                let (f, t) = link(p, *from, *to, n, clients)?;
                ActionKind::Cut(f, t)
            }
            EventSpec::Uncut { from, to, .. } => {
                let (f, t) = link(p, *from, *to, n, clients)?;
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

/// A server of this cluster, or a client of this run (`c1..=c{clients}`).
fn endpoint_in(path: &str, e: Endpoint, n: u32, clients: u64) -> Result<Endpoint, ScenarioError> {
    match e {
        Endpoint::Node(id) => node_in(path, id, n).map(Endpoint::Node),
        Endpoint::Client(c) if c == 0 || c > clients => err(
            path,
            format!(
                "there is no client c{c}: the scenario's client count is {clients} (c1, c2, ... are the `clients` block's, then one per request)"
            ),
        ),
        Endpoint::Client(_) => Ok(e),
    }
}

/// Non-empty groups of this cluster's nodes and this run's clients, each
/// in one group at most.
fn partition(
    p: &str,
    groups: &[Vec<Endpoint>],
    n: u32,
    clients: u64,
) -> Result<Vec<Vec<Endpoint>>, ScenarioError> {
    if groups.is_empty() {
        return err(format!("{p}.groups"), "needs at least one group");
    }
    let mut seen = BTreeSet::new();
    for (g, group) in groups.iter().enumerate() {
        if group.is_empty() {
            return err(format!("{p}.groups[{g}]"), "is empty");
        }
        for (k, &e) in group.iter().enumerate() {
            let q = format!("{p}.groups[{g}][{k}]");
            endpoint_in(&q, e, n, clients)?;
            if !seen.insert(e) {
                let what = match e {
                    Endpoint::Node(id) => format!("node {id}"),
                    Endpoint::Client(c) => format!("client c{c}"),
                };
                return err(q, format!("{what} is in more than one group"));
            }
        }
    }
    Ok(groups.to_vec())
}

/// A one-way link between two different endpoints, at least one of them
/// a server (`cut`, `uncut`): clients talk only to servers.
fn link(
    p: &str,
    from: Endpoint,
    to: Endpoint,
    n: u32,
    clients: u64,
) -> Result<(Endpoint, Endpoint), ScenarioError> {
    let f = endpoint_in(&format!("{p}.from"), from, n, clients)?;
    let t = endpoint_in(&format!("{p}.to"), to, n, clients)?;
    if f == t {
        return err(format!("{p}.to"), "a link joins two different nodes");
    }
    if f.client().is_some() && t.client().is_some() {
        return err(
            format!("{p}.to"),
            "clients talk only to servers: a link joins a client and a server, or two servers",
        );
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
