//! The ring's geometry and the one place that tells the RPCs apart for
//! drawing: where each server sits, how big it is, how each message looks,
//! and a fingerprint of what the SVG ring draws. Shared by the DOM view, the
//! canvas and the SVG export.

use quorum_core::protocol::{ClientId, ClientResponse, Message, NodeId};
use quorum_core::sim::{ClientInFlight, ClientMessage, ClientStatus, Endpoint, Lab, Micros};
use quorum_core::util::Fnv64;

const CX: f64 = 300.0;
const CY: f64 = 300.0;
const RING: f64 = 220.0;

pub fn node_pos(i: NodeId, n: u32) -> (f64, f64) {
    if n == 1 {
        return (CX, CY);
    }
    let a = -std::f64::consts::FRAC_PI_2 + (i - 1) as f64 * std::f64::consts::TAU / n as f64;
    (
        CX + RING * crate::math::cos(a),
        CY + RING * crate::math::sin(a),
    )
}

pub fn node_radius(n: u32) -> f64 {
    if n <= 7 {
        36.0
    } else if n <= 11 {
        30.0
    } else {
        24.0
    }
}

/// At most this many clients are drawn: three in each corner of the box,
/// outside the ring. Later clients take the slot of the one twelve before.
pub const CLIENT_SLOTS: u64 = 12;
pub const CLIENT_RADIUS: f64 = 15.0;

/// Where client `c` is drawn: slot `(c - 1) % 12`, the corners in turn
/// (top left, top right, bottom right, bottom left), three deep.
pub fn client_pos(c: ClientId) -> (f64, f64) {
    let k = c.saturating_sub(1) % CLIENT_SLOTS;
    let (dx, dy) = [(0.0, 0.0), (58.0, 0.0), (0.0, 58.0)][(k / 4) as usize];
    let (x, y) = (30.0 + dx, 30.0 + dy);
    match k % 4 {
        0 => (x, y),
        1 => (600.0 - x, y),
        2 => (600.0 - x, 600.0 - y),
        _ => (x, 600.0 - y),
    }
}

/// The clients drawn when the run has had `count`: the latest twelve (a
/// closed-loop load's clients are the first ones; one-shot clients come
/// and go).
pub fn shown_clients(count: u64) -> std::ops::RangeInclusive<ClientId> {
    count.saturating_sub(CLIENT_SLOTS - 1).max(1)..=count
}

/// Where a server or a client is drawn.
pub fn endpoint_pos(e: Endpoint, n: u32) -> (f64, f64) {
    match e {
        Endpoint::Node(id) => node_pos(id, n),
        Endpoint::Client(c) => client_pos(c),
    }
}

/// Where a message is now: along the line between its ends, by the share
/// of its latency that has passed.
pub fn along(
    from: (f64, f64),
    to: (f64, f64),
    sent: Micros,
    arrives: Micros,
    now: Micros,
) -> (f64, f64) {
    let span = arrives.saturating_sub(sent).max(1) as f64;
    let f = (now.saturating_sub(sent) as f64 / span).clamp(0.0, 1.0);
    // Reduced motion: a message moves in four steps, not smoothly.
    let f = if crate::theme::reduced_motion() {
        (f * 4.0).floor().min(3.0) / 3.0
    } else {
        f
    };
    (from.0 + (to.0 - from.0) * f, from.1 + (to.1 - from.1) * f)
}

/// Where a client message is now.
pub fn client_message_xy(m: &ClientInFlight<'_>, n: u32, now: Micros) -> (f64, f64) {
    let (from, to) = m.ends();
    along(
        endpoint_pos(from, n),
        endpoint_pos(to, n),
        m.sent,
        m.arrives,
        now,
    )
}

/// A client message's style class, size and a short description.
pub fn client_message_class(m: &ClientInFlight<'_>) -> (&'static str, f64, String) {
    match m.what {
        ClientMessage::Request(op) => (
            "m-creq",
            6.0,
            format!(
                "request op {}: {}",
                m.op_id,
                quorum_core::sim::describe::op_text(op)
            ),
        ),
        ClientMessage::Reply(ClientResponse::Done { .. }) => {
            ("m-crep", 6.0, format!("reply to op {}", m.op_id))
        }
        ClientMessage::Reply(ClientResponse::NotLeader { .. }) => {
            ("m-crep-no", 6.0, format!("not leader (op {})", m.op_id))
        }
    }
}

/// A client's state in words, for its label.
pub fn client_status_text(s: Option<ClientStatus>) -> String {
    match s {
        Some(ClientStatus::Waiting { op_id, target }) => {
            format!("waiting for op {op_id}, last sent to S{target}")
        }
        Some(ClientStatus::Done) => "done".into(),
        _ => "between operations".into(),
    }
}

/// A message's style class, size and a short description.
pub fn message_class(m: &Message) -> (&'static str, f64, String) {
    match m {
        Message::RequestVote(m) => ("m-rv", 8.0, format!("RequestVote T{}", m.term)),
        Message::RequestVoteReply(m) if m.vote_granted => {
            ("m-vote-yes", 6.0, "vote granted".into())
        }
        Message::RequestVoteReply(_) => ("m-vote-no", 6.0, "vote denied".into()),
        // A heartbeat round that confirms leadership for reads (§6.4).
        Message::AppendEntries(m) if m.entries.is_empty() && m.read_round > 0 => (
            "m-rd",
            6.0,
            format!("heartbeat, read round {}", m.read_round),
        ),
        Message::AppendEntries(m) if m.entries.is_empty() => ("m-hb", 5.0, "heartbeat".into()),
        Message::AppendEntries(m) => (
            "m-ae",
            7.0 + (m.entries.len().min(6) as f64),
            format!("AppendEntries ×{}", m.entries.len()),
        ),
        Message::AppendEntriesReply(m) if m.success => ("m-ae-ok", 5.0, "append ok".into()),
        Message::AppendEntriesReply(_) => ("m-ae-fail", 6.0, "append rejected".into()),
        // Pre-votes (§9.6): their own kind, drawn as RequestVote's.
        Message::PreVote(m) => ("m-pv", 8.0, format!("PreVote T{}", m.term)),
        Message::PreVoteReply(m) if m.vote_granted => {
            ("m-vote-yes", 6.0, "pre-vote granted".into())
        }
        Message::PreVoteReply(_) => ("m-vote-no", 6.0, "pre-vote denied".into()),
        // Leadership transfer's last step (§3.10).
        Message::TimeoutNow(m) => ("m-tn", 9.0, format!("TimeoutNow T{}", m.term)),
        // A chunk of the leader's snapshot (§7): big, and square-ish in
        // colour to the log's entries.
        Message::InstallSnapshot(m) => (
            "m-is",
            10.0,
            format!(
                "InstallSnapshot through {}, items {}..{} of {}",
                m.last_included_index,
                m.offset,
                m.offset + m.len,
                m.size
            ),
        ),
        Message::InstallSnapshotReply(_) => ("m-ae-ok", 5.0, "snapshot chunk received".into()),
    }
}

/// A server's place in the configuration in force: the leader's (of the
/// highest term), else the one of the server with the highest term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    Voter,
    /// Receives the log, neither votes nor counts (§4.2.1).
    Learner,
    /// Joint consensus: in C_new only, in C_old only, in both.
    New,
    Old,
    Both,
    /// Not in it (removed, or not yet added).
    Outside,
}

impl Member {
    pub fn class(self) -> Option<&'static str> {
        match self {
            Member::Voter | Member::Both => None,
            Member::Learner => Some("learner"),
            Member::New => Some("c-new"),
            Member::Old => Some("c-old"),
            Member::Outside => Some("outside"),
        }
    }

    /// What the ring writes under the server, if anything.
    pub fn word(self) -> Option<&'static str> {
        match self {
            Member::Voter | Member::Both => None,
            Member::Learner => Some("learner"),
            Member::New => Some("joining"),
            Member::Old => Some("leaving"),
            Member::Outside => Some("not a member"),
        }
    }
}

pub fn membership_of(lab: &Lab, id: NodeId) -> Member {
    let sim = lab.sim();
    let by = lab.leader().or_else(|| {
        (1..=sim.node_count()).max_by_key(|&i| sim.node(i).map_or(0, |n| n.current_term()))
    });
    let Some(c) = by.and_then(|i| sim.node(i)).map(|n| n.config()) else {
        return Member::Voter;
    };
    let (new, old) = (c.voters().contains(&id), c.outgoing().contains(&id));
    match (c.is_joint(), new, old) {
        (true, true, true) => Member::Both,
        (true, true, false) => Member::New,
        (true, false, true) => Member::Old,
        (false, true, _) => Member::Voter,
        _ if c.is_learner(id) => Member::Learner,
        _ => Member::Outside,
    }
}

/// A fingerprint of everything the SVG ring draws (not the canvas): when
/// it is unchanged, a frame needs no DOM work.
pub fn ring_version(lab: &Lab) -> u64 {
    let sim = lab.sim();
    let net = sim.network();
    let mut h = Fnv64::new();
    let mut mix = |v: u64| h = h.u64(v);
    for i in 1..=sim.node_count() {
        if let Some(n) = sim.node(i) {
            mix(u64::from(sim.is_up(i)));
            mix(n.role() as u64);
            mix(n.current_term());
            mix(n.voted_for().map_or(0, u64::from));
            mix(net.group_of(i).map_or(u64::MAX, u64::from));
            mix(membership_of(lab, i) as u64);
        }
    }
    let count = sim.client_count();
    mix(count);
    for c in shown_clients(count) {
        mix(match sim.client_status(c) {
            Some(ClientStatus::Waiting { op_id, target }) => op_id << 8 | u64::from(target),
            Some(ClientStatus::Idle) => 1,
            Some(ClientStatus::Done) => 2,
            None => 3,
        });
        mix(net.client_group(c).map_or(u64::MAX, u64::from));
    }
    mix(lab.scenario().events.len() as u64);
    mix(u64::from(lab.forks()));
    mix(lab.violations().len() as u64);
    h.value()
}

/// A server's name for screen readers: what its drawing says, in words
/// ("S2, candidate, term 3, voted for S2").
pub fn node_label(
    id: NodeId,
    role: quorum_core::protocol::Role,
    term: quorum_core::protocol::Term,
    voted_for: Option<NodeId>,
    up: bool,
) -> String {
    let vote = voted_for.map_or(String::new(), |v| format!(", voted for S{v}"));
    let down = if up { "" } else { ", crashed" };
    format!("S{id}, {}, term {term}{vote}{down}", role.as_str())
}
