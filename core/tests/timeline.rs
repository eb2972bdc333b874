//! The linked views' history: whatever path the playhead took (straight,
//! seeks back and forth, steps, a fork, evicted segments rebuilt by
//! replay), the timeline holds exactly the trace of a straight run of the
//! recorded scenario, and its summaries match.

mod common;
use common::scenarios_dir;
use quorum_core::protocol::KvOp;
use quorum_core::sim::scenario::{EventSpec, ScenarioFile};
use quorum_core::sim::timeline::{arrows, summarize, Rec, CACHED_SEGMENTS};
use quorum_core::sim::{trace, Lab, Scenario, Simulator};

const LEN: u64 = 500_000;

fn churn() -> ScenarioFile {
    let text = std::fs::read_to_string(scenarios_dir().join("lab-churn.json")).unwrap();
    Scenario::parse(&text).unwrap().file
}

fn jsonl<'a>(records: impl Iterator<Item = &'a Rec>) -> Vec<String> {
    records
        .map(|r| {
            let mut s = String::new();
            trace::write_line(&mut s, r);
            s
        })
        .collect()
}

/// The trace of a straight run of `file` to `t`.
fn straight(file: &ScenarioFile, t: u64) -> Vec<String> {
    let s = Scenario::from_file(file.clone()).unwrap();
    let mut sim = Simulator::from_scenario(&s);
    sim.set_recording(true);
    sim.run_until(t);
    jsonl(sim.trace().iter())
}

/// Every record the lab's timeline holds from 0 to now.
fn held(lab: &mut Lab) -> Vec<String> {
    let (segs, tail) = lab.window(0);
    let tail = tail.to_vec();
    jsonl(
        segs.iter()
            .flat_map(|s| s.records.iter())
            .chain(tail.iter()),
    )
}

fn lab() -> Lab {
    Lab::with_timeline(churn(), false, LEN).unwrap()
}

#[test]
fn a_straight_run_is_held_whole_even_past_the_cache() {
    let mut l = lab();
    let t = LEN * (CACHED_SEGMENTS as u64 + 9) + 123_457;
    l.advance(t);
    let got = held(&mut l);
    let want = straight(l.scenario(), t);
    assert!(want.len() > 1000);
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
}

#[test]
fn seeks_and_steps_do_not_duplicate_or_lose_records() {
    let mut l = lab();
    l.advance(9_876_543);
    let mut x: u64 = 7;
    for _ in 0..25 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let t = (x >> 33) % 12_000_000;
        l.seek(t);
        // Stepping leaves the run mid-microsecond.
        let steps = x % 5;
        for _ in 0..steps {
            l.step();
        }
        let now = l.now();
        let s = Scenario::from_file(l.scenario().clone()).unwrap();
        let mut sim = Simulator::from_scenario(&s);
        sim.set_recording(true);
        sim.run_until(t);
        for _ in 0..steps {
            sim.step();
        }
        assert_eq!(sim.now(), now);
        let (got, want) = (held(&mut l), jsonl(sim.trace().iter()));
        let diff = got.iter().zip(&want).position(|(a, b)| a != b);
        assert_eq!(
            (got.len(), diff),
            (want.len(), None),
            "at {now}: first difference {:?}",
            diff.map(|i| (&got[i], &want[i]))
        );
    }
}

#[test]
fn a_fork_replaces_the_history_after_it() {
    let mut l = lab();
    l.advance(8_000_000);
    l.seek(3_210_000);
    l.act(EventSpec::Crash {
        at_ms: 0.0,
        node: 1,
    })
    .unwrap();
    l.advance(1_000_000);
    l.act(EventSpec::Request {
        at_ms: 0.0,
        op: KvOp::Put {
            key: "f".into(),
            value: "1".into(),
        },
        node: None,
        count: None,
    })
    .unwrap();
    l.advance(2_500_000);
    assert_eq!(l.forks(), 1);
    let t = l.now();
    let got = held(&mut l);
    assert_eq!(got, straight(l.scenario(), t));
    assert!(got.iter().any(|r| r.contains("\"crash\"")));
}

#[test]
fn summaries_match_the_straight_trace() {
    let mut l = lab();
    l.advance(6_000_000);
    l.seek(1_000_000);
    l.advance(2_000_000);
    l.seek(7_400_001);
    let s = Scenario::from_file(l.scenario().clone()).unwrap();
    let mut sim = Simulator::from_scenario(&s);
    sim.set_recording(true);
    sim.run_until(7_400_000);
    let trace = sim.take_trace();
    let sums = l.timeline().unwrap().summaries().to_vec();
    assert_eq!(sums.len(), 14);
    let mut base = 0;
    for (k, got) in sums.iter().enumerate() {
        let (a, b) = (k as u64 * LEN, (k as u64 + 1) * LEN);
        let seg: Vec<Rec> = trace
            .iter()
            .filter(|r| (r.t > a || (k == 0 && r.t == 0)) && r.t <= b)
            .cloned()
            .collect();
        let want = summarize(&seg, a, LEN, base);
        base = want.commit_end;
        assert_eq!(got, &want, "segment {k}");
    }
    let ops: usize = sums.iter().map(|s| s.ops.len()).sum();
    let sent: u32 = sums.iter().flat_map(|s| s.sent.iter().flatten()).sum();
    assert!(ops > 10 && sent > 100, "{ops} ops, {sent} sent");
    assert!(sums.last().unwrap().commit_end > 5);
}

#[test]
fn arrows_pair_sends_with_deliveries_drops_and_copies() {
    let text = r#"{"version":1,"seed":4,"nodes":3,"duration_ms":3000,
        "network":{"drop":0.3,"duplicate":0.2},
        "clients":{"count":2,"keys":1}}"#;
    let s = Scenario::parse(text).unwrap();
    let mut sim = Simulator::from_scenario(&s);
    sim.set_recording(true);
    sim.run_until(2_000_000);
    let trace = sim.take_trace();
    let a = arrows(trace.iter(), 0, 2_000_000);
    use quorum_core::sim::TraceEvent;
    // The diagram's lanes are the servers: client requests and replies
    // (messages too, with ids of their own) draw no arrow.
    let server: std::collections::BTreeSet<u64> = trace
        .iter()
        .filter_map(|r| match r.ev {
            TraceEvent::Send { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    let dups = trace
        .iter()
        .filter(|r| matches!(r.ev, TraceEvent::Duplicate { id } if server.contains(&id)))
        .count();
    assert_eq!(a.len(), server.len() + dups);
    assert!(a.iter().all(|x| server.contains(&x.id)));
    let client_dups = trace
        .iter()
        .filter(|r| matches!(r.ev, TraceEvent::Duplicate { id } if !server.contains(&id)))
        .count();
    assert!(client_dups > 0, "client traffic is duplicated too");
    assert!(a.iter().any(|x| x.dropped) && a.iter().any(|x| !x.dropped));
    for x in &a {
        if let Some(e) = x.end {
            assert!(e >= x.sent);
        }
    }
    // Only a message sent in the window is drawn.
    let late = arrows(trace.iter(), 1_000_000, 2_000_000);
    assert!(late.iter().all(|x| x.sent >= 1_000_000));
    assert!(late.len() < a.len());
}

#[test]
fn event_log_lines_match_a_straight_run_whatever_the_path() {
    use quorum_core::sim::describe::{format_line, EventLog};
    let mut l = lab();
    l.advance(LEN * (CACHED_SEGMENTS as u64 + 4));
    for t in [LEN * 3 + 17, LEN * 20 + 1, 1_234_567, LEN * 5] {
        l.seek(t);
        let from = t.saturating_sub(LEN);
        let (segs, tail) = l.window_lines(from);
        let got: Vec<String> = segs
            .iter()
            .flat_map(|s| s.lines(None).iter())
            .chain(tail.iter())
            .map(format_line)
            .collect();
        let s = Scenario::from_file(l.scenario().clone()).unwrap();
        let mut sim = Simulator::from_scenario(&s);
        sim.set_recording(true);
        sim.run_until(t);
        let mut log = EventLog::new();
        let start = (from.saturating_sub(1) / LEN) * LEN;
        let want: Vec<String> = sim
            .trace()
            .iter()
            .filter_map(|r| log.line(r))
            .filter(|x| x.t > start || (start == 0 && x.t == 0))
            .map(|x| format_line(&x))
            .collect();
        assert!(want.len() > 20);
        assert_eq!(got, want, "at {t}");
    }
}

#[test]
fn a_dense_segment_keeps_its_last_records_only() {
    use quorum_core::sim::timeline::{Segment, MAX_SEGMENT_RECORDS};
    use quorum_core::sim::{TraceEvent, TraceRecord};
    let recs: Vec<Rec> = (0..MAX_SEGMENT_RECORDS as u64 + 10)
        .map(|t| TraceRecord {
            t,
            ev: TraceEvent::Heal,
        })
        .collect();
    let s = Segment::new(recs);
    assert_eq!((s.records.len(), s.dropped), (MAX_SEGMENT_RECORDS, 10));
    assert_eq!(s.records[0].t, 10);
    let small = Segment::new(vec![TraceRecord {
        t: 1,
        ev: TraceEvent::Heal,
    }]);
    assert_eq!((small.records.len(), small.dropped), (1, 0));
}
