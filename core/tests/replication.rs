//! Replication efficiency under reordering (issue 11, findings 2 and 3):
//! the leader's per-follower progress (probe / replicate, §5.3 with etcd's
//! flow control) must not re-ship entries a follower already holds.

mod common;

use common::Trace;
use quorum_core::protocol::{Message, Role};
use quorum_core::sim::{Scenario, Simulator, TraceEvent};

/// No faults, one leader, latency 1-100 ms (so messages overtake each
/// other), one entry per AppendEntries: the setting of finding 3.
const REORDERING: &str = r#"{
  "version": 1, "name": "reordering", "seed": SEED, "nodes": 5,
  "timing": {"election_timeout_ms": [300, 600], "heartbeat_ms": 50, "latency_ms": [1, 100]},
  "raft": {"max_entries_per_append": 1},
  "clients": {"count": 2, "keys": 3, "timeout_ms": 5000, "stop_ms": 25000},
  "duration_ms": 30000
}"#;

struct Shipping {
    appends: usize,
    rejected: usize,
    shipped: usize,
    needed: usize,
}

fn shipping(json: &str) -> (Shipping, Trace) {
    let mut s = Simulator::from_scenario(&Scenario::parse(json).expect("scenario"));
    s.set_recording(true);
    s.run_to_end();
    let trace = Trace(s.take_trace());
    common::assert_safe(&trace);
    let leaders = trace.roles(Role::Leader);
    assert_eq!(
        leaders.len(),
        1,
        "one leader for the whole run: {leaders:?}"
    );
    let leader = leaders[0].1;
    let last = common::node(&s, leader).log().last_index() as usize;
    let followers = s.node_count() as usize - 1;
    let mut out = Shipping {
        appends: 0,
        rejected: 0,
        shipped: 0,
        // Every follower starts empty and ends with the leader's whole log.
        needed: last * followers,
    };
    for r in &trace {
        if let TraceEvent::Send { msg, .. } = &r.ev {
            match msg {
                Message::AppendEntries(m) => {
                    out.appends += 1;
                    out.shipped += m.entries.len();
                }
                Message::AppendEntriesReply(m) if !m.success => out.rejected += 1,
                _ => {}
            }
        }
    }
    for id in 1..=s.node_count() {
        assert_eq!(
            common::node(&s, id).log().last_index() as usize,
            last,
            "S{id} caught up"
        );
    }
    (out, trace)
}

/// RaftScope's setting: latency 10-15 ms, one entry per AppendEntries,
/// steady load. Messages sent in the same instant overtake each other.
const STEADY: &str = r#"{
  "version": 1, "name": "steady", "seed": SEED, "nodes": 5,
  "timing": {"election_timeout_ms": [100, 200], "heartbeat_ms": 50, "latency_ms": [10, 15]},
  "raft": {"max_entries_per_append": 1},
  "clients": {"count": 4, "think_ms": [0, 20], "keys": 3, "timeout_ms": 1000, "stop_ms": 25000},
  "duration_ms": 30000
}"#;

/// Run `setting` on `seeds`: each run carries at least `min_needed`
/// entries to the followers and ships at most 1.5x of them.
fn at_most_one_and_a_half_times(
    setting: &str,
    seeds: std::ops::RangeInclusive<u64>,
    min_needed: usize,
) {
    for seed in seeds {
        let (m, _) = shipping(&setting.replace("SEED", &seed.to_string()));
        eprintln!(
            "seed {seed}: {} AppendEntries, {} rejected, {} entries shipped, {} needed ({:.2}x)",
            m.appends,
            m.rejected,
            m.shipped,
            m.needed,
            m.shipped as f64 / m.needed as f64
        );
        assert!(
            m.needed > min_needed,
            "enough traffic to measure: {}",
            m.needed
        );
        assert!(
            m.shipped * 2 <= m.needed * 3,
            "seed {seed}: {} entries shipped where {} were needed: more than 1.5x",
            m.shipped,
            m.needed
        );
    }
}

#[test]
fn a_steady_load_is_not_sent_in_bursts_that_overtake_each_other() {
    at_most_one_and_a_half_times(STEADY, 1..=3, 2000);
}

#[test]
fn reordering_does_not_reship_what_followers_hold() {
    at_most_one_and_a_half_times(REORDERING, 1..=5, 500);
}
