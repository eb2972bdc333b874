//! Human-readable event lines for the browser's event log, e.g.
//! `1.234 s  S3 → S1  RequestVote(term 4, last 7@3)` and
//! `S1 becomes leader (term 4)`, each with a kind to filter on.

use super::network::Endpoint;
use super::trace::{TraceEvent, TraceRecord};
use super::Micros;
use crate::protocol::{
    AppendEntries, AppendEntriesReply, ClientId, ClientResponse, KvOp, Message, NodeId, OpId,
    OpResult, RequestVote, RequestVoteReply, Role,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a line is about, for filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Elections,
    Replication,
    /// Empty AppendEntries and the replies to them.
    Heartbeats,
    Client,
    Faults,
    Safety,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub t: Micros,
    pub kind: Kind,
    /// The servers the line is about (for the node filter).
    pub nodes: Vec<NodeId>,
    /// The message the line is about, if any (links the views).
    pub msg: Option<u64>,
    pub text: String,
}

/// What the views read of any protocol's message: the event log's text
/// and its filter kind (`RequestVote(term 4, last 7@3)`, elections).
pub trait Wire {
    fn summary(&self) -> (Kind, String);
    /// A message whose receiver must change no term and no vote (a
    /// PreVote, thesis §9.6): the checker holds it to that.
    fn harmless(&self) -> bool {
        false
    }
}

impl Wire for Message {
    fn summary(&self) -> (Kind, String) {
        message_summary(self)
    }
    fn harmless(&self) -> bool {
        matches!(self, Message::PreVote(_))
    }
}

/// A short name for a Raft message with its key fields.
pub fn message_summary(m: &Message) -> (Kind, String) {
    match m {
        Message::RequestVote(m) => (Kind::Elections, request_vote_text(m)),
        Message::RequestVoteReply(m) => (Kind::Elections, vote_reply_text(m)),
        Message::PreVote(m) => (
            Kind::Elections,
            format!(
                "PreVote(term {}, last {}@{})",
                m.term, m.last_log_index, m.last_log_term
            ),
        ),
        Message::PreVoteReply(m) => (
            Kind::Elections,
            format!(
                "PreVote{}(term {})",
                if m.vote_granted { "Granted" } else { "Denied" },
                m.term
            ),
        ),
        Message::TimeoutNow(m) => (Kind::Elections, format!("TimeoutNow(term {})", m.term)),
        Message::InstallSnapshot(m) => (
            Kind::Replication,
            format!(
                "InstallSnapshot(term {}, last {}@{}, items {}..{} of {})",
                m.term,
                m.last_included_index,
                m.last_included_term,
                m.offset,
                m.offset + m.len,
                m.size
            ),
        ),
        Message::InstallSnapshotReply(m) => (
            Kind::Replication,
            format!(
                "SnapshotReceived(term {}, last {}, {} items)",
                m.term, m.last_included_index, m.received
            ),
        ),
        Message::AppendEntries(m) => (traffic_kind(m.is_heartbeat()), append_text(m)),
        // A success that matched nothing new answers a heartbeat.
        Message::AppendEntriesReply(m) => {
            (traffic_kind(m.is_heartbeat_ack()), append_reply_text(m))
        }
    }
}

fn traffic_kind(heartbeat: bool) -> Kind {
    if heartbeat {
        Kind::Heartbeats
    } else {
        Kind::Replication
    }
}

fn request_vote_text(m: &RequestVote) -> String {
    let RequestVote {
        term,
        last_log_index,
        last_log_term,
        ..
    } = m;
    format!("RequestVote(term {term}, last {last_log_index}@{last_log_term})")
}

fn vote_reply_text(m: &RequestVoteReply) -> String {
    let verdict = if m.vote_granted {
        "VoteGranted"
    } else {
        "VoteDenied"
    };
    format!("{verdict}(term {})", m.term)
}

fn append_text(m: &AppendEntries) -> String {
    let AppendEntries {
        term,
        prev_log_index,
        prev_log_term,
        entries,
        leader_commit,
        read_round,
        ..
    } = m;
    let text = if entries.is_empty() {
        format!(
            "Heartbeat(term {term}, prev {prev_log_index}@{prev_log_term}, commit {leader_commit})"
        )
    } else {
        format!(
            "AppendEntries(term {term}, prev {prev_log_index}@{prev_log_term}, {} entr{}, commit {leader_commit})",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" }
        )
    };
    with_round(text, *read_round)
}

fn append_reply_text(m: &AppendEntriesReply) -> String {
    let text = if m.success {
        format!("AppendOk(term {}, match {})", m.term, m.match_index)
    } else {
        format!(
            "AppendRejected(term {}, conflict at {})",
            m.term, m.conflict_index
        )
    };
    with_round(text, m.read_round)
}

/// `Heartbeat(term 2, …)` → `Heartbeat(term 2, …, round 5)`: the
/// heartbeat round a read waits on (§6.4), when reads skip the log.
fn with_round(mut text: String, round: u64) -> String {
    if round > 0 && text.ends_with(')') {
        text.pop();
        text.push_str(&format!(", round {round})"));
    }
    text
}

/// A client operation in a few words: `put x=1`, `get x`, `cas x 1→2`.
pub fn op_text(op: &KvOp) -> String {
    match op {
        KvOp::Put { key, value } => format!("put {key}={value}"),
        KvOp::Get { key } => format!("get {key}"),
        KvOp::Cas { key, expect, value } => {
            format!("cas {key} {}→{value}", expect.as_deref().unwrap_or("∅"))
        }
    }
}

/// A client's request: `Request(op 3: put x=1)`.
pub fn request_text(op_id: OpId, op: &KvOp) -> String {
    format!("Request(op {op_id}: {})", op_text(op))
}

/// A server's answer: `Reply(op 3: ok)`, `NotLeader(op 3, try S2)`.
pub fn reply_text(op_id: OpId, r: &ClientResponse) -> String {
    match r {
        ClientResponse::Done { result } => format!("Reply(op {op_id}: {})", result_text(result)),
        ClientResponse::NotLeader { hint: Some(h) } => format!("NotLeader(op {op_id}, try S{h})"),
        ClientResponse::NotLeader { hint: None } => {
            format!("NotLeader(op {op_id}, no leader known)")
        }
    }
}

fn result_text(r: &OpResult) -> String {
    match r {
        OpResult::Ok => "ok".into(),
        OpResult::Value { value: Some(v) } => format!("value {v:?}"),
        OpResult::Value { value: None } => "no value".into(),
        OpResult::Mismatch { actual } => format!("mismatch (actual {actual:?})"),
        OpResult::Error { reason } => format!("error: {reason}"),
    }
}

/// A line's kind, the servers it is about and its text.
type Body = (Kind, Vec<NodeId>, String);

/// The servers among a message's two ends (the node filter's).
fn servers(from: Endpoint, to: Endpoint) -> Vec<NodeId> {
    [from, to].iter().filter_map(|e| e.node()).collect()
}

/// Turns trace records into lines, remembering sends so that a delivery
/// or a drop can say what it was.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    sends: BTreeMap<u64, (Endpoint, Endpoint, Kind, String)>,
}

impl EventLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget the sends of messages with ids below `id` (ids grow with
    /// send time), so a long run does not keep every message.
    pub fn forget_before(&mut self, id: u64) {
        self.sends = self.sends.split_off(&id);
    }

    /// The line for one record, if it deserves one (deliveries of
    /// heartbeats and their replies are left out: they are most of the
    /// traffic and say little).
    pub fn line<M: Wire>(&mut self, r: &TraceRecord<M>) -> Option<Line> {
        let (kind, nodes, text) = match &r.ev {
            TraceEvent::Send { id, from, to, msg } => {
                let (kind, text) = msg.summary();
                self.send(*id, (*from).into(), (*to).into(), kind, text)
            }
            TraceEvent::Request {
                id,
                client,
                to,
                op_id,
                op,
            } => {
                let text = request_text(*op_id, op);
                let from = Endpoint::Client(*client);
                self.send(*id, from, (*to).into(), Kind::Client, text)
            }
            TraceEvent::Reply {
                id,
                from,
                client,
                op_id,
                response,
            } => {
                let text = reply_text(*op_id, response);
                let to = Endpoint::Client(*client);
                self.send(*id, (*from).into(), to, Kind::Client, text)
            }
            TraceEvent::Deliver { id } => self.deliver(*id)?,
            TraceEvent::Drop { id, why } => self.network_fault(*id, &format!("lost ({why})"))?,
            TraceEvent::Duplicate { id } => self.network_fault(*id, "duplicated")?,
            ev => event_body(ev, r.t)?,
        };
        Some(Line {
            t: r.t,
            kind,
            nodes,
            msg: message_id(&r.ev),
            text,
        })
    }

    fn send(&mut self, id: u64, from: Endpoint, to: Endpoint, kind: Kind, text: String) -> Body {
        let line = format!("{from} → {to}  {text}");
        self.sends.insert(id, (from, to, kind, text));
        (kind, servers(from, to), line)
    }

    fn deliver(&self, id: u64) -> Option<Body> {
        let (from, to, kind, text) = self.sends.get(&id)?;
        if *kind == Kind::Heartbeats {
            return None;
        }
        let line = format!("{to} receives {text} from {from}");
        Some((*kind, servers(*from, *to), line))
    }

    /// A message lost or duplicated by the network.
    fn network_fault(&self, id: u64, what: &str) -> Option<Body> {
        let (from, to, _, text) = self.sends.get(&id)?;
        let line = format!("{what}: {from} → {to}  {text}");
        Some((Kind::Faults, servers(*from, *to), line))
    }
}

/// The id of the message a record is about, if any (links the views).
fn message_id<M>(ev: &TraceEvent<M>) -> Option<u64> {
    match ev {
        TraceEvent::Send { id, .. }
        | TraceEvent::Request { id, .. }
        | TraceEvent::Reply { id, .. }
        | TraceEvent::Deliver { id }
        | TraceEvent::Drop { id, .. }
        | TraceEvent::Duplicate { id } => Some(*id),
        _ => None,
    }
}

/// The line for a record that is not about a message (those need the
/// event log's memory of sends), at time `t`.
fn event_body<M>(ev: &TraceEvent<M>, t: Micros) -> Option<Body> {
    server_body(ev).or_else(|| cluster_body(ev, t))
}

/// What one server did: role changes, votes, log changes, crashes.
fn server_body<M>(ev: &TraceEvent<M>) -> Option<Body> {
    let node = |kind, node: NodeId, text: String| Some((kind, vec![node], text));
    match ev {
        TraceEvent::Role {
            node: n,
            role,
            term,
        } => node(
            Kind::Elections,
            *n,
            format!("S{n} {} (term {term})", role_text(*role)),
        ),
        TraceEvent::Vote {
            node: n,
            term,
            voted_for: v,
        } => Some((
            Kind::Elections,
            vec![*n, *v],
            format!("S{n} votes for S{v} in term {term}"),
        )),
        TraceEvent::Append {
            node: n,
            index,
            term,
            ..
        } => node(
            Kind::Replication,
            *n,
            format!("S{n} appends index {index} (term {term})"),
        ),
        TraceEvent::Truncate {
            node: n,
            from_index,
        } => node(
            Kind::Replication,
            *n,
            format!("S{n} deletes its entries from index {from_index} on"),
        ),
        TraceEvent::Commit { node: n, index } => node(
            Kind::Replication,
            *n,
            format!("S{n} commits up to index {index}"),
        ),
        TraceEvent::Crash { node: n } => node(Kind::Faults, *n, format!("S{n} crashes")),
        TraceEvent::Restart { node: n } => node(Kind::Faults, *n, format!("S{n} restarts")),
        TraceEvent::Timeout { node: n } => node(
            Kind::Elections,
            *n,
            format!("S{n}'s election timeout is forced"),
        ),
        TraceEvent::Transfer { node: n, to } => match to {
            Some(to) => Some((
                Kind::Elections,
                vec![*n, *to],
                format!("S{n} hands leadership over to S{to}: it takes no new commands"),
            )),
            None => node(
                Kind::Elections,
                *n,
                format!("S{n}'s leadership transfer ends"),
            ),
        },
        TraceEvent::Config { node: n, config } => node(
            Kind::Elections,
            *n,
            format!("S{n}'s configuration is now {}", config_text(config)),
        ),
        TraceEvent::Snapshot {
            node: n,
            index,
            term,
        } => node(
            Kind::Replication,
            *n,
            format!("S{n} snapshots its state through index {index} (term {term}) and drops those entries"),
        ),
        TraceEvent::Install {
            node: n,
            index,
            kept,
            ..
        } => node(
            Kind::Replication,
            *n,
            if *kept {
                format!("S{n} installs the leader's snapshot through index {index} and keeps the entries after it")
            } else {
                format!("S{n} installs the leader's snapshot through index {index} and discards its log")
            },
        ),
        TraceEvent::Read {
            node: n,
            op_id,
            index,
            round,
            ..
        } => node(
            Kind::Client,
            *n,
            match round {
                Some(r) => format!(
                    "S{n} reads op {op_id} at index {index} once round {r} confirms it still leads"
                ),
                None => format!("S{n} reads op {op_id} at index {index} without a round"),
            },
        ),
        _ => None,
    }
}

/// What happened to the cluster as a whole: network faults, clients and
/// safety violations.
fn cluster_body<M>(ev: &TraceEvent<M>, t: Micros) -> Option<Body> {
    let fault = |nodes: Vec<NodeId>, text: String| Some((Kind::Faults, nodes, text));
    match ev {
        TraceEvent::Partition { groups } => fault(vec![], partition_text(groups)),
        TraceEvent::Heal => fault(vec![], "the network heals".into()),
        TraceEvent::AddServer { node } => Some((
            Kind::Elections,
            vec![*node],
            format!("S{node} is to join the cluster"),
        )),
        TraceEvent::RemoveServer { node } => Some((
            Kind::Elections,
            vec![*node],
            format!("S{node} is to leave the cluster"),
        )),
        TraceEvent::TransferLeader { to } => Some((
            Kind::Elections,
            vec![*to],
            format!("the leader is asked to hand leadership over to S{to}"),
        )),
        TraceEvent::Set {
            pre_vote,
            check_quorum,
            read,
            snapshot_every,
        } => {
            let sw = crate::protocol::Switches {
                pre_vote: *pre_vote,
                check_quorum: *check_quorum,
                read: *read,
                snapshot_every: *snapshot_every,
            };
            Some((Kind::Faults, vec![], switches_text(&sw)))
        }
        TraceEvent::Cut { from, to } => {
            fault(servers(*from, *to), format!("link {from} → {to} cut"))
        }
        TraceEvent::Uncut { from, to } => {
            fault(servers(*from, *to), format!("link {from} → {to} restored"))
        }
        TraceEvent::Network {
            drop,
            duplicate,
            latency_ms,
        } => fault(vec![], network_text(*drop, *duplicate, *latency_ms)),
        TraceEvent::Invoke { client, op_id, op } => {
            let op = serde_json::to_string(op).unwrap_or_default();
            let text = format!("client {client} sends op {op_id}: {op}");
            Some((Kind::Client, vec![], text))
        }
        TraceEvent::Return {
            client,
            op_id,
            invoked,
            result,
        } => Some((
            Kind::Client,
            vec![],
            return_text(*client, *op_id, result, t, *invoked),
        )),
        TraceEvent::Violation {
            property,
            nodes,
            message,
            ..
        } => Some((
            Kind::Safety,
            nodes.clone(),
            format!("{}: {message}", property.name()),
        )),
        _ => None,
    }
}

fn role_text(role: Role) -> &'static str {
    match role {
        Role::Leader => "becomes leader",
        Role::Candidate => "starts an election as candidate",
        Role::Follower => "is a follower",
    }
}

fn partition_text(groups: &[Vec<Endpoint>]) -> String {
    let g: Vec<String> = groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    format!("partition: {{{}}} cut off from the rest", g.join("} {"))
}

fn network_text(drop: f64, duplicate: f64, latency_ms: [f64; 2]) -> String {
    format!(
        "network: drop {:.0}%, duplicate {:.0}%, latency {}–{} ms",
        drop * 100.0,
        duplicate * 100.0,
        latency_ms[0],
        latency_ms[1]
    )
}

fn return_text(client: ClientId, op_id: OpId, r: &OpResult, t: Micros, invoked: Micros) -> String {
    format!(
        "client {client} op {op_id} returns {} after {:.1} ms",
        result_text(r),
        t.saturating_sub(invoked) as f64 / 1000.0
    )
}

/// `1.234 s` with the text, as the log shows it.
pub fn format_line(l: &Line) -> String {
    format!("{:.3} s  {}", l.t as f64 / 1e6, l.text)
}

/// `PreVote on, CheckQuorum off, reads: lease`: the switches a `set`
/// event flips.
/// A configuration in words: `[S1,S2,S3]`, then `, jointly with [S1,S2]`
/// during joint consensus and `, learners [S4]`.
pub fn config_text(c: &crate::protocol::Configuration) -> String {
    let set = |v: &[NodeId]| {
        let ids: Vec<String> = v.iter().map(|i| format!("S{i}")).collect();
        format!("[{}]", ids.join(","))
    };
    let mut text = set(c.voters());
    if c.is_joint() {
        text = format!("{text}, jointly with {}", set(c.outgoing()));
    }
    if !c.learners().is_empty() {
        text = format!("{text}, learners {}", set(c.learners()));
    }
    text
}

pub fn switches_text(s: &crate::protocol::Switches) -> String {
    let on = |b: bool| if b { "on" } else { "off" };
    let mut parts = Vec::new();
    if let Some(p) = s.pre_vote {
        parts.push(format!("PreVote {}", on(p)));
    }
    if let Some(c) = s.check_quorum {
        parts.push(format!("CheckQuorum {}", on(c)));
    }
    if let Some(r) = s.read {
        parts.push(format!("reads: {}", r.name()));
    }
    match s.snapshot_every {
        Some(0) => parts.push("snapshots off".into()),
        Some(k) => parts.push(format!("a snapshot every {k} entries")),
        None => {}
    }
    if parts.is_empty() {
        return "the switches stay as they are".into();
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Scenario, Simulator};

    #[test]
    fn a_run_reads_as_a_story() {
        let s = Scenario::parse(
            r#"{"version":1,"seed":1,"nodes":3,"duration_ms":1000,
                "timing":{"latency_ms":[10,10]},
                "events":[{"at_ms":0,"do":"timeout","node":2},{"at_ms":500,"do":"crash","node":1}]}"#,
        )
        .unwrap();
        let mut sim = Simulator::from_scenario(&s);
        sim.set_recording(true);
        sim.run_to_end();
        let mut log = EventLog::new();
        let lines: Vec<String> = sim
            .take_trace()
            .iter()
            .filter_map(|r| log.line(r))
            .map(|l| format_line(&l))
            .collect();
        let text = lines.join("\n");
        assert!(
            text.contains("0.000 s  S2's election timeout is forced"),
            "{text}"
        );
        assert!(
            text.contains("0.000 s  S2 → S1  RequestVote(term 1, last 0@0)"),
            "{text}"
        );
        assert!(
            text.contains("0.010 s  S1 receives RequestVote(term 1, last 0@0) from S2"),
            "{text}"
        );
        assert!(
            text.contains("0.020 s  S2 becomes leader (term 1)"),
            "{text}"
        );
        assert!(text.contains("0.500 s  S1 crashes"), "{text}");
        assert!(
            !text.contains("receives Heartbeat"),
            "heartbeat deliveries are left out"
        );
    }

    #[test]
    fn kinds_filter_lines() {
        let (k, t) = message_summary(&Message::AppendEntriesReply(AppendEntriesReply {
            term: 3,
            request_term: 3,
            success: false,
            prev_log_index: 7,
            match_index: 0,
            conflict_term: Some(2),
            conflict_index: 5,
            read_round: 0,
        }));
        assert_eq!(k, Kind::Replication);
        assert_eq!(t, "AppendRejected(term 3, conflict at 5)");
    }
}
