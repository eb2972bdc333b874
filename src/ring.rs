//! The ring's geometry and the one place that tells the RPCs apart for
//! drawing: where each server sits, how big it is, how each message looks,
//! and a fingerprint of what the SVG ring draws. Shared by the DOM view, the
//! canvas and the SVG export.

use quorum_core::protocol::{Message, NodeId};
use quorum_core::sim::Lab;
use quorum_core::util::Fnv64;

const CX: f64 = 300.0;
const CY: f64 = 300.0;
const RING: f64 = 220.0;

pub fn node_pos(i: NodeId, n: u32) -> (f64, f64) {
    if n == 1 {
        return (CX, CY);
    }
    let a = -std::f64::consts::FRAC_PI_2 + (i - 1) as f64 * std::f64::consts::TAU / n as f64;
    (CX + RING * a.cos(), CY + RING * a.sin())
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

/// A message's style class, size and a short description.
pub fn message_class(m: &Message) -> (&'static str, f64, String) {
    match m {
        Message::RequestVote(m) => ("m-rv", 8.0, format!("RequestVote T{}", m.term)),
        Message::RequestVoteReply(m) if m.vote_granted => {
            ("m-vote-yes", 6.0, "vote granted".into())
        }
        Message::RequestVoteReply(_) => ("m-vote-no", 6.0, "vote denied".into()),
        Message::AppendEntries(m) if m.entries.is_empty() => ("m-hb", 5.0, "heartbeat".into()),
        Message::AppendEntries(m) => (
            "m-ae",
            7.0 + (m.entries.len().min(6) as f64),
            format!("AppendEntries ×{}", m.entries.len()),
        ),
        Message::AppendEntriesReply(m) if m.success => ("m-ae-ok", 5.0, "append ok".into()),
        Message::AppendEntriesReply(_) => ("m-ae-fail", 6.0, "append rejected".into()),
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
        }
    }
    mix(lab.scenario().events.len() as u64);
    mix(u64::from(lab.forks()));
    mix(lab.violations().len() as u64);
    h.value()
}
