//! Reading an event: one flat record with every field any event has,
//! then a check that the fields given are exactly the ones its kind
//! takes. Errors read as serde's own (`missing field `node``, `unknown
//! field `node``), at the event's path.

use super::EventSpec;
use crate::protocol::{KvOp, NodeId, ReadMode};
use crate::sim::network::Endpoint;
use serde::Deserialize;

/// What an event does (`"do"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Crash,
    Restart,
    Partition,
    Heal,
    Cut,
    Uncut,
    Timeout,
    TransferLeader,
    AddServer,
    RemoveServer,
    Set,
    Request,
    DropMessage,
    DuplicateMessage,
    Network,
}

/// Every field of every event kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    #[serde(rename = "do")]
    kind: Kind,
    at_ms: Option<f64>,
    node: Option<NodeId>,
    groups: Option<Vec<Vec<Endpoint>>>,
    from: Option<Endpoint>,
    to: Option<Endpoint>,
    pre_vote: Option<bool>,
    check_quorum: Option<bool>,
    read: Option<ReadMode>,
    snapshot_every: Option<u64>,
    op: Option<KvOp>,
    count: Option<u32>,
    id: Option<u64>,
    drop: Option<f64>,
    duplicate: Option<f64>,
    latency_ms: Option<[f64; 2]>,
}

/// The fields each kind takes besides `do` and `at_ms`.
fn fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Crash | Kind::Restart | Kind::Timeout | Kind::AddServer | Kind::RemoveServer => {
            &["node"]
        }
        Kind::Partition => &["groups"],
        Kind::Heal => &[],
        Kind::Cut | Kind::Uncut => &["from", "to"],
        Kind::TransferLeader => &["to"],
        Kind::Set => &["pre_vote", "check_quorum", "read", "snapshot_every"],
        Kind::Request => &["op", "node", "count"],
        Kind::DropMessage | Kind::DuplicateMessage => &["id"],
        Kind::Network => &["drop", "duplicate", "latency_ms"],
    }
}

fn missing(name: &str) -> String {
    format!("missing field `{name}`")
}

fn need<T>(v: Option<T>, name: &str) -> Result<T, String> {
    v.ok_or_else(|| missing(name))
}

impl TryFrom<RawEvent> for EventSpec {
    type Error = String;

    fn try_from(r: RawEvent) -> Result<EventSpec, String> {
        let given = [
            ("node", r.node.is_some()),
            ("groups", r.groups.is_some()),
            ("from", r.from.is_some()),
            ("to", r.to.is_some()),
            ("pre_vote", r.pre_vote.is_some()),
            ("check_quorum", r.check_quorum.is_some()),
            ("read", r.read.is_some()),
            ("snapshot_every", r.snapshot_every.is_some()),
            ("op", r.op.is_some()),
            ("count", r.count.is_some()),
            ("id", r.id.is_some()),
            ("drop", r.drop.is_some()),
            ("duplicate", r.duplicate.is_some()),
            ("latency_ms", r.latency_ms.is_some()),
        ];
        let takes = fields(r.kind);
        if let Some((name, _)) = given.iter().find(|(n, g)| *g && !takes.contains(n)) {
            return Err(format!("unknown field `{name}`"));
        }
        let at_ms = need(r.at_ms, "at_ms")?;
        let node = || need(r.node, "node");
        Ok(match r.kind {
            Kind::Crash => EventSpec::Crash {
                at_ms,
                node: node()?,
            },
            Kind::Restart => EventSpec::Restart {
                at_ms,
                node: node()?,
            },
            Kind::Timeout => EventSpec::Timeout {
                at_ms,
                node: node()?,
            },
            Kind::AddServer => EventSpec::AddServer {
                at_ms,
                node: node()?,
            },
            Kind::RemoveServer => EventSpec::RemoveServer {
                at_ms,
                node: node()?,
            },
            Kind::Partition => EventSpec::Partition {
                at_ms,
                groups: need(r.groups, "groups")?,
            },
            Kind::Heal => EventSpec::Heal { at_ms },
            Kind::Cut => EventSpec::Cut {
                at_ms,
                from: need(r.from, "from")?,
                to: need(r.to, "to")?,
            },
            Kind::Uncut => EventSpec::Uncut {
                at_ms,
                from: need(r.from, "from")?,
                to: need(r.to, "to")?,
            },
            Kind::TransferLeader => EventSpec::TransferLeader {
                at_ms,
                to: match need(r.to, "to")? {
                    Endpoint::Node(id) => id,
                    Endpoint::Client(c) => {
                        return Err(format!(
                            "`to` names client c{c}: leadership goes to a server"
                        ))
                    }
                },
            },
            Kind::Set => EventSpec::Set {
                at_ms,
                pre_vote: r.pre_vote,
                check_quorum: r.check_quorum,
                read: r.read,
                snapshot_every: r.snapshot_every,
            },
            Kind::Request => EventSpec::Request {
                at_ms,
                op: need(r.op, "op")?,
                node: r.node,
                count: r.count,
            },
            Kind::DropMessage => EventSpec::DropMessage {
                at_ms,
                id: need(r.id, "id")?,
            },
            Kind::DuplicateMessage => EventSpec::DuplicateMessage {
                at_ms,
                id: need(r.id, "id")?,
            },
            Kind::Network => EventSpec::Network {
                at_ms,
                drop: r.drop,
                duplicate: r.duplicate,
                latency_ms: r.latency_ms,
            },
        })
    }
}
