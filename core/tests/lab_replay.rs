//! A live run, driven by actions at arbitrary virtual times (as the browser
//! does), replays exactly from the scenario it recorded.

use quorum_core::protocol::{KvOp, Message};
use quorum_core::sim::scenario::EventSpec;
use quorum_core::sim::{run_to_jsonl, trace, Lab, Scenario};

fn base() -> &'static str {
    r#"{"version":1,"seed":77,"nodes":5,"clients":{"count":2},"duration_ms":6000}"#
}

/// The live run as a trace file (header first), as `run_to_jsonl` writes.
fn jsonl(lab: &mut Lab) -> String {
    let mut s = String::new();
    trace::write_header(&mut s);
    for r in lab.sim_mut().take_trace() {
        trace::write_line(&mut s, &r);
    }
    s
}

#[test]
fn recorded_actions_replay_byte_for_byte() {
    let mut lab = Lab::from_json(base(), true).unwrap();
    lab.advance(812_345);
    let leader = lab.leader().expect("a leader by 0.8 s");
    lab.act(EventSpec::Crash {
        at_ms: 0.0,
        node: leader,
    })
    .unwrap();
    lab.advance(1);
    for _ in 0..37 {
        lab.step();
    }
    lab.act(EventSpec::Request {
        at_ms: 0.0,
        op: KvOp::Put {
            key: "x".into(),
            value: "hello".into(),
        },
        node: None,
        count: None,
    })
    .unwrap();
    lab.advance(400_000);
    lab.act(EventSpec::Partition {
        at_ms: 0.0,
        groups: vec![vec![1.into(), 2.into()]],
    })
    .unwrap();
    lab.advance(123_457);
    // Drop one in-flight message and duplicate another, by id.
    let ids: Vec<u64> = lab.sim().in_flight().iter().map(|m| m.id).collect();
    assert!(ids.len() >= 2, "{ids:?}");
    lab.act(EventSpec::DropMessage {
        at_ms: 0.0,
        id: ids[0],
    })
    .unwrap();
    lab.act(EventSpec::DuplicateMessage {
        at_ms: 0.0,
        id: ids[ids.len() - 1],
    })
    .unwrap();
    assert!(lab.sim().in_flight().iter().all(|m| m.id != ids[0]));
    lab.advance(700_000);
    lab.act(EventSpec::Heal { at_ms: 0.0 }).unwrap();
    lab.act(EventSpec::Restart {
        at_ms: 0.0,
        node: leader,
    })
    .unwrap();
    lab.act(EventSpec::Network {
        at_ms: 0.0,
        drop: Some(0.2),
        duplicate: None,
        latency_ms: Some([5.0, 40.0]),
    })
    .unwrap();
    lab.advance(10_000_000);
    lab.sim_mut().finish();
    let live = jsonl(&mut lab);
    assert!(live.contains(r#""why":"user""#));

    let recorded = serde_json::to_string(lab.scenario()).unwrap();
    let replay = run_to_jsonl(&Scenario::parse(&recorded).unwrap());
    assert_eq!(lab.scenario().events.len(), 8);
    assert!(live == replay, "the recorded scenario replays the live run");
}

#[test]
fn bad_actions_are_refused_and_change_nothing() {
    let mut lab = Lab::from_json(base(), false).unwrap();
    lab.advance(500_000);
    let before = lab.scenario().events.len();
    let e = lab
        .act(EventSpec::Crash {
            at_ms: 0.0,
            node: 9,
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "event.node: 9 is not a node of a 5-node cluster (nodes are 1..=5)"
    );
    assert!(lab
        .act(EventSpec::Network {
            at_ms: 0.0,
            drop: Some(7.0),
            duplicate: None,
            latency_ms: None
        })
        .is_err());
    assert_eq!(lab.scenario().events.len(), before);
    assert!((1..=5).all(|i| lab.sim().is_up(i)));
}

#[test]
fn state_reports_nodes_and_messages() {
    let mut lab = Lab::from_json(base(), false).unwrap();
    lab.advance(1_000_000);
    let st = lab.state();
    assert_eq!(st.t_ms, 1000.0);
    assert_eq!(st.nodes.len(), 5);
    assert!(st
        .nodes
        .iter()
        .any(|n| n.role == quorum_core::protocol::Role::Leader));
    assert!(!st.in_flight.is_empty());
    for m in &st.in_flight {
        assert!(m.sent_ms <= st.t_ms && m.arrives_ms >= st.t_ms, "{m:?}");
        assert!(matches!(
            m.msg,
            Message::AppendEntries(_)
                | Message::AppendEntriesReply(_)
                | Message::RequestVote(_)
                | Message::RequestVoteReply(_)
        ));
    }
    let v = serde_json::to_value(&st).unwrap();
    assert!(v["nodes"][0]["log"].is_array());
}
