//! The network model: latency range, loss, duplication, partitions into
//! groups and one-way link cuts. Reordering follows from the latency spread.
//!
//! Its endpoints are the servers and the clients ([`Endpoint`]): a client's
//! requests and the servers' replies cross the same network as the
//! servers' messages, so a partition or a cut can strand a client with
//! some of the servers.

use super::rng::Chance;
use super::Micros;
use crate::protocol::{ClientId, NodeId};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One end of a link: a server (`1`, shown as S1) or a client (`"c1"`,
/// shown as C1). In JSON a server is its number and a client its name, so
/// `[1, "c1"]` is a partition group of S1 and client 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    Node(NodeId),
    Client(ClientId),
}

impl Endpoint {
    /// The server's id, if this is a server.
    pub fn node(self) -> Option<NodeId> {
        match self {
            Endpoint::Node(id) => Some(id),
            Endpoint::Client(_) => None,
        }
    }

    /// The client's id, if this is a client.
    pub fn client(self) -> Option<ClientId> {
        match self {
            Endpoint::Client(c) => Some(c),
            Endpoint::Node(_) => None,
        }
    }
}

impl From<NodeId> for Endpoint {
    fn from(id: NodeId) -> Self {
        Endpoint::Node(id)
    }
}

/// `S3` or `C1`, as the page and the event log name them.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Node(id) => write!(f, "S{id}"),
            Endpoint::Client(c) => write!(f, "C{c}"),
        }
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Endpoint::Node(id) => s.serialize_u32(*id),
            Endpoint::Client(c) => s.collect_str(&format_args!("c{c}")),
        }
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EndpointVisitor)
    }
}

struct EndpointVisitor;

impl Visitor<'_> for EndpointVisitor {
    type Value = Endpoint;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a server number (1, 2, ...) or a client name (\"c1\", \"c2\", ...)")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Endpoint, E> {
        NodeId::try_from(v)
            .map(Endpoint::Node)
            .map_err(|_| E::custom(format!("server {v} is too large")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Endpoint, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!("server {v} is negative"))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Endpoint, E> {
        parse_client(v).map(Endpoint::Client).ok_or_else(|| {
            E::custom(format!(
                "{v:?} is not a client name: clients are \"c1\", \"c2\", ... (servers are numbers)"
            ))
        })
    }
}

/// `"c7"` → 7. Digits only, no sign, no leading zero, at least 1.
fn parse_client(s: &str) -> Option<ClientId> {
    let digits = s.strip_prefix('c')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Network {
    pub latency: (Micros, Micros),
    pub drop: Chance,
    pub duplicate: Chance,
    /// Group number per node (index id-1); `None`: no partition.
    groups: Option<Vec<u32>>,
    /// The group of each client a partition names. A client it does not
    /// name reaches every server, as before clients were endpoints.
    client_groups: BTreeMap<ClientId, u32>,
    /// One-way cuts (from, to).
    cuts: BTreeSet<(Endpoint, Endpoint)>,
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
            client_groups: BTreeMap::new(),
            cuts: BTreeSet::new(),
        }
    }

    /// Split `n` nodes into `groups`; nodes not listed form one more group.
    /// Clients listed join their group; clients not listed stay connected
    /// to every server.
    pub fn partition(&mut self, n: u32, groups: &[Vec<Endpoint>]) {
        let rest = groups.len() as u32;
        let mut g = vec![rest; n as usize];
        self.client_groups.clear();
        for (i, group) in groups.iter().enumerate() {
            for &e in group {
                match e {
                    Endpoint::Node(id) => {
                        if let Some(slot) = (id as usize).checked_sub(1).and_then(|i| g.get_mut(i))
                        {
                            *slot = i as u32;
                        }
                    }
                    Endpoint::Client(c) => {
                        self.client_groups.insert(c, i as u32);
                    }
                }
            }
        }
        self.groups = Some(g);
    }

    /// Remove the partition and every one-way cut.
    pub fn heal(&mut self) {
        self.groups = None;
        self.client_groups.clear();
        self.cuts.clear();
    }

    pub fn cut(&mut self, from: impl Into<Endpoint>, to: impl Into<Endpoint>) {
        self.cuts.insert((from.into(), to.into()));
    }

    pub fn uncut(&mut self, from: impl Into<Endpoint>, to: impl Into<Endpoint>) {
        self.cuts.remove(&(from.into(), to.into()));
    }

    /// A server's side of the partition in force, if any.
    pub fn group_of(&self, id: NodeId) -> Option<u32> {
        self.groups
            .as_ref()?
            .get((id as usize).checked_sub(1)?)
            .copied()
    }

    /// A client's side of the partition in force, if the partition names it.
    pub fn client_group(&self, c: ClientId) -> Option<u32> {
        self.groups.as_ref()?;
        self.client_groups.get(&c).copied()
    }

    /// An endpoint's side of the partition in force, if it has one.
    pub fn endpoint_group(&self, e: Endpoint) -> Option<u32> {
        match e {
            Endpoint::Node(id) => self.group_of(id),
            Endpoint::Client(c) => self.client_group(c),
        }
    }

    pub fn is_partitioned(&self) -> bool {
        self.groups.is_some()
    }

    pub fn cuts(&self) -> &BTreeSet<(Endpoint, Endpoint)> {
        &self.cuts
    }

    /// Can a message from `from` reach `to` right now? Two endpoints on
    /// different sides of the partition cannot; a client the partition
    /// does not name has no side and reaches everyone.
    pub fn blocked(&self, from: impl Into<Endpoint>, to: impl Into<Endpoint>) -> Option<Blocked> {
        let (from, to) = (from.into(), to.into());
        if self.groups.is_some() {
            if let (Some(a), Some(b)) = (self.endpoint_group(from), self.endpoint_group(to)) {
                if a != b {
                    return Some(Blocked::Partition);
                }
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
        n.partition(5, &[vec![1.into(), 2.into()]]);
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

    #[test]
    fn clients_are_endpoints() {
        let c = Endpoint::Client;
        let mut n = Network::new((1, 1), Chance::NEVER, Chance::NEVER);
        n.partition(5, &[vec![1.into(), c(1)], vec![2.into(), c(2)]]);
        assert_eq!(n.blocked(c(1), 1), None);
        assert_eq!(n.blocked(c(1), 2), Some(Blocked::Partition));
        assert_eq!(n.blocked(3, c(1)), Some(Blocked::Partition));
        assert_eq!(n.blocked(c(2), 2), None);
        assert_eq!(
            n.blocked(c(2), 4),
            Some(Blocked::Partition),
            "S4 is in the rest"
        );
        for s in 1..=5 {
            assert_eq!(
                n.blocked(c(3), s),
                None,
                "an unnamed client reaches everyone"
            );
            assert_eq!(n.blocked(s, c(3)), None);
        }
        assert_eq!(n.client_group(1), Some(0));
        assert_eq!(n.client_group(3), None);
        n.heal();
        assert_eq!(n.client_group(1), None);
        assert_eq!(n.blocked(c(1), 2), None);
        n.cut(c(1), 2);
        assert_eq!(n.blocked(c(1), 2), Some(Blocked::Cut));
        assert_eq!(n.blocked(2, c(1)), None, "cuts are one-way");
    }

    #[test]
    fn endpoints_read_and_write_as_numbers_and_names() {
        let v: Vec<Endpoint> = serde_json::from_str(r#"[1, "c1", 5, "c12"]"#).unwrap();
        assert_eq!(
            v,
            vec![
                Endpoint::Node(1),
                Endpoint::Client(1),
                Endpoint::Node(5),
                Endpoint::Client(12)
            ]
        );
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"[1,"c1",5,"c12"]"#);
        for bad in [
            r#""c0""#,
            r#""c""#,
            r#""C1""#,
            r#""c01""#,
            r#""s1""#,
            "-1",
            "1.5",
            r#""c-1""#,
            "4294967296",
        ] {
            let e = serde_json::from_str::<Endpoint>(bad);
            assert!(e.is_err(), "{bad} parsed as {e:?}");
        }
        let e = serde_json::from_str::<Endpoint>(r#""x""#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a client name"), "{e}");
        assert_eq!(Endpoint::Client(3).to_string(), "C3");
        assert_eq!(Endpoint::Node(3).to_string(), "S3");
    }
}
