//! The simulator's own behaviour: actions at run time, the network model.

use quorum_core::protocol::Role;
use quorum_core::sim::scenario::{Action, ActionKind};
use quorum_core::sim::{DropReason, Endpoint, Scenario, Simulator, TraceEvent};

fn sim(json: &str) -> Simulator {
    let mut s = Simulator::from_scenario(&Scenario::parse(json).unwrap());
    s.set_recording(true);
    s
}

#[test]
fn scheduled_actions_run_at_their_time_and_bad_ids_are_refused() {
    let mut s = sim(r#"{"version":1,"seed":3,"nodes":3,"duration_ms":3000}"#);
    s.run_until(1_000_000);
    let leader = (1..=3)
        .find(|&i| s.node(i).unwrap().role() == Role::Leader)
        .unwrap();
    assert!(s
        .schedule(Action {
            at: 0,
            what: ActionKind::Crash(4)
        })
        .is_err());
    assert!(s
        .schedule(Action {
            at: 0,
            what: ActionKind::Cut(1.into(), 1.into())
        })
        .is_err());
    assert!(s
        .schedule(Action {
            at: 0,
            what: ActionKind::Partition(vec![vec![0.into()]])
        })
        .is_err());
    for bad in [
        ActionKind::Partition(vec![vec![Endpoint::Client(1)]]),
        ActionKind::Cut(Endpoint::Client(1), 2.into()),
    ] {
        let what = bad.clone();
        let e = s.schedule(Action { at: 0, what }).unwrap_err();
        assert!(e.contains("client outside"), "{bad:?}: {e}");
    }
    // A request's client may be named in the same breath.
    let op = quorum_core::protocol::KvOp::Get { key: "x".into() };
    let what = ActionKind::Request {
        op,
        node: None,
        count: 2,
    };
    s.schedule(Action { at: 0, what }).unwrap();
    for ok in [
        ActionKind::Cut(Endpoint::Client(2), 1.into()),
        ActionKind::Uncut(Endpoint::Client(2), 1.into()),
    ] {
        s.schedule(Action { at: 0, what: ok }).unwrap();
    }
    let what = ActionKind::Cut(Endpoint::Client(1), Endpoint::Client(2));
    assert!(
        s.schedule(Action { at: 0, what }).is_err(),
        "client to client"
    );
    // "Now" for an action in the past.
    s.schedule(Action {
        at: 5,
        what: ActionKind::Crash(leader),
    })
    .unwrap();
    s.run_until(1_000_000);
    assert!(!s.is_up(leader));
    s.run_to_end();
    let trace = s.take_trace();
    let crash = trace
        .iter()
        .find(|r| matches!(r.ev, TraceEvent::Crash { .. }))
        .unwrap();
    assert_eq!(crash.t, 1_000_000);
    let later = trace.iter().any(|r| {
        r.t > 1_000_000
            && matches!(r.ev, TraceEvent::Role { role: Role::Leader, node, .. } if node != leader)
    });
    assert!(later, "the others elect a new leader");
}

#[test]
fn loss_and_duplication_follow_their_probabilities() {
    let mut s = sim(
        r#"{"version":1,"seed":4,"nodes":5,"network":{"drop":0.2,"duplicate":0.1},"duration_ms":20000}"#,
    );
    s.run_to_end();
    let st = s.stats();
    let lost = st.dropped_loss as f64 / st.sent as f64;
    let dup = st.duplicated as f64 / (st.sent - st.dropped_loss) as f64;
    assert!((0.17..0.23).contains(&lost), "{lost}");
    assert!((0.08..0.12).contains(&dup), "{dup}");
    // Every copy is delivered or dropped, but for the few still in flight.
    let copies = st.sent + st.duplicated;
    let accounted = st.delivered + st.dropped();
    assert!(
        accounted <= copies && copies - accounted < 20,
        "{accounted} of {copies}"
    );
}

#[test]
fn latency_stays_in_range_and_partitions_drop_both_ways() {
    let mut s = sim(
        r#"{"version":1,"seed":5,"nodes":3,"timing":{"latency_ms":[7,9]},"duration_ms":2000,
            "events":[{"at_ms":1000,"do":"partition","groups":[[3]]}]}"#,
    );
    s.run_to_end();
    let trace = s.take_trace();
    let mut sent_at = std::collections::BTreeMap::new();
    let mut across = 0;
    for r in &trace {
        match &r.ev {
            TraceEvent::Send { id, from, to, .. } => {
                sent_at.insert(*id, (r.t, *from, *to));
            }
            TraceEvent::Deliver { id } => {
                let (t0, from, to) = sent_at[id];
                assert!(
                    (7_000..=9_000).contains(&(r.t - t0)),
                    "latency {}",
                    r.t - t0
                );
                assert!(
                    r.t < 1_000_000 || (from != 3 && to != 3),
                    "crossed the partition"
                );
            }
            TraceEvent::Drop {
                id,
                why: DropReason::Partition,
            } => {
                let (_, from, to) = sent_at[id];
                assert!(from == 3 || to == 3);
                across += 1;
            }
            _ => {}
        }
    }
    assert!(across > 10);
}

#[test]
fn one_way_cut_blocks_one_direction_only() {
    let mut s = sim(r#"{"version":1,"seed":6,"nodes":3,"duration_ms":2000,
            "events":[{"at_ms":0,"do":"timeout","node":1},{"at_ms":500,"do":"cut","from":1,"to":2}]}"#);
    s.run_to_end();
    let trace = s.take_trace();
    let mut links = std::collections::BTreeMap::new();
    for r in &trace {
        if let TraceEvent::Send { id, from, to, .. } = &r.ev {
            links.insert(*id, (*from, *to));
        }
        if let TraceEvent::Drop {
            id,
            why: DropReason::Cut,
        } = &r.ev
        {
            assert_eq!(links[id], (1, 2));
        }
    }
    // S2 hears nothing from S1 after 500 ms, times out and takes over.
    assert!(trace.iter().any(|r| matches!(
        r.ev,
        TraceEvent::Role {
            node: 2,
            role: Role::Candidate,
            ..
        }
    )));
}
