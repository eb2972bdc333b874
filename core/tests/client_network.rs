//! Clients are network endpoints: their requests and the servers' replies
//! are messages with latency, loss, duplication, partitions and cuts, and
//! a partition or a cut may name a client ("c1"). Issue 11, finding 6.

mod common;
use common::*;
use quorum_core::protocol::{ClientResponse, OpResult};
use quorum_core::sim::describe::{format_line, EventLog};
use quorum_core::sim::scenario::EventSpec;
use quorum_core::sim::{trace, Endpoint, Lab, Scenario, Simulator, TraceEvent};
use std::collections::BTreeSet;

fn run(json: &str) -> (Simulator, Trace) {
    let s = Scenario::parse(json).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulator::from_scenario(&s);
    sim.set_recording(true);
    sim.enable_checks();
    sim.run_to_end();
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    let tr = Trace(sim.take_trace());
    assert_safe(&tr);
    (sim, tr)
}

/// S1 leads term 1; C1 is stranded with it from 1 s to 3.5 s, C2 with the
/// other four.
const STRANDED: &str = r#"{"version":1,"seed":1,"nodes":5,
    "clients":{"count":2,"think_ms":[150,300],"keys":1,"timeout_ms":1000,"retry_ms":300,"stop_ms":4000},
    "duration_ms":5000,
    "events":[{"at_ms":0,"do":"timeout","node":1},
              {"at_ms":1000,"do":"partition","groups":[[1,"c1"],[2,3,4,5,"c2"]]},
              {"at_ms":3500,"do":"heal"}]}"#;

#[test]
fn a_client_stranded_with_the_old_leader_gets_no_answer_while_the_majority_serves_the_other() {
    let (sim, tr) = run(STRANDED);
    let (from, to) = (ms(1000), ms(3500));
    let during = |t: u64| t >= from && t < to;
    // C1 reaches only S1; whatever it sends elsewhere is lost in the
    // partition, and S1 (leader of term 1 throughout) never answers it.
    let c1 = tr.requests(|c, _, _| c == 1);
    let c1_out: Vec<_> = c1.iter().filter(|r| during(r.0)).collect();
    assert!(c1_out.iter().any(|r| r.3 == 1) && c1_out.iter().any(|r| r.3 != 1));
    for r in &c1_out {
        if r.3 == 1 {
            assert_eq!(tr.delivered(r.1).len(), 1, "S1 hears C1: {r:?}");
        } else {
            assert_eq!(tr.dropped_why(r.1), Some("partition"), "{r:?}");
        }
    }
    assert!(
        tr.replies_to(1).iter().all(|r| !during(r.0)),
        "S1 never answers"
    );
    let c1_ops: Vec<_> = tr
        .iter()
        .filter_map(|r| match &r.ev {
            TraceEvent::Return {
                client: 1,
                invoked,
                result,
                ..
            } if during(*invoked) => Some((r.t, result.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(c1_ops.len(), 2);
    assert!(c1_ops.iter().all(|o| o.0 < to
        && o.1
            == OpResult::Error {
                reason: "timeout".into()
            }));
    // The majority elects S5 and serves C2.
    assert_eq!(tr.leader_of(2).map(|l| l.1), Some(5));
    let served: Vec<_> = tr
        .returns()
        .into_iter()
        .filter(|r| r.1 == 2 && during(r.0) && !matches!(r.2, OpResult::Error { .. }))
        .collect();
    assert!(served.len() >= 5, "{served:?}");
    let c2_to_s1 = tr.requests(|c, to, _| c == 2 && to == 1);
    assert!(c2_to_s1
        .iter()
        .filter(|r| during(r.0))
        .all(|r| tr.dropped_why(r.1) == Some("partition")));
    // S1 stepped down at the heal and dropped C1's uncommitted entries;
    // after it, C1 is served by S3.
    let after: Vec<_> = tr
        .returns()
        .into_iter()
        .filter(|r| r.1 == 1 && r.0 > to)
        .collect();
    assert!(!after.is_empty() && after.iter().all(|r| !matches!(r.2, OpResult::Error { .. })));
    assert_converged(&sim);
    let st = sim.stats();
    assert!(st.client_dropped >= 7, "{st:?}");
    assert_eq!(st.timed_out, 2);
}

#[test]
fn client_messages_are_lost_and_duplicated_like_any_other() {
    let (sim, tr) = run(
        r#"{"version":1,"seed":4,"nodes":3,"network":{"drop":0.2,"duplicate":0.2},
            "clients":{"count":3,"keys":2,"timeout_ms":3000,"retry_ms":100,"stop_ms":4000},
            "duration_ms":8000,
            "events":[{"at_ms":4000,"do":"network","drop":0,"duplicate":0}]}"#,
    );
    let mut requests = BTreeSet::new();
    let mut replies = BTreeSet::new();
    for r in tr.iter() {
        match r.ev {
            TraceEvent::Request { id, .. } => requests.insert(id),
            TraceEvent::Reply { id, .. } => replies.insert(id),
            _ => false,
        };
    }
    let lost = |ids: &BTreeSet<u64>| {
        ids.iter()
            .filter(|&&i| tr.dropped_why(i) == Some("loss"))
            .count()
    };
    let twice = |ids: &BTreeSet<u64>| ids.iter().filter(|&&i| tr.delivered(i).len() == 2).count();
    assert!(lost(&requests) > 5 && lost(&replies) > 5);
    assert!(twice(&requests) > 0 && twice(&replies) > 0);
    let st = sim.stats();
    assert_eq!(st.client_sent as usize, requests.len() + replies.len());
    let drops = tr
        .iter()
        .filter(|r| matches!(r.ev, TraceEvent::Drop { id, .. } if requests.contains(&id) || replies.contains(&id)))
        .count();
    assert_eq!(st.client_dropped as usize, drops);
    // A duplicated request reaches the log twice but applies once: every
    // acknowledged write is in the log, and the servers agree.
    assert!(assert_acknowledged_ops_in_log(&tr, node(&sim, 1)) > 20);
    assert_converged(&sim);
    let kv = node(&sim, 1).kv().clone();
    for i in 2..=3 {
        assert_eq!(node(&sim, i).kv(), &kv);
    }
    // Invokes and returns stay the client's own: a return never comes
    // before its invoke, and each op returns at most once.
    let mut seen = BTreeSet::new();
    for r in tr.iter() {
        if let TraceEvent::Return {
            client,
            op_id,
            invoked,
            ..
        } = r.ev
        {
            assert!(invoked <= r.t);
            assert!(
                seen.insert((client, op_id)),
                "op ({client}, {op_id}) returned twice"
            );
        }
    }
}

#[test]
fn cuts_between_a_client_and_a_server_are_one_way() {
    // C1 cannot reach S1 until 900 ms; S1's answers cannot reach C2.
    let (sim, tr) = run(r#"{"version":1,"seed":2,"nodes":3,
            "clients":{"count":0,"timeout_ms":2000,"retry_ms":5000},
            "duration_ms":3000,
            "events":[{"at_ms":0,"do":"timeout","node":1},
                      {"at_ms":0,"do":"cut","from":"c1","to":1},
                      {"at_ms":0,"do":"cut","from":1,"to":"c2"},
                      {"at_ms":300,"do":"request","op":{"type":"put","key":"x","value":"1"},"node":1},
                      {"at_ms":400,"do":"request","op":{"type":"put","key":"y","value":"2"},"node":1},
                      {"at_ms":900,"do":"uncut","from":"c1","to":1}]}"#);
    let c1 = tr.requests(|c, _, _| c == 1);
    assert_eq!(tr.dropped_why(c1[0].1), Some("cut"));
    // Nothing from C1 got through, so it waits out its 5 s retry: the
    // operation times out though the link is back.
    assert_eq!(c1.len(), 1);
    assert_eq!(
        tr.returned(1).1,
        OpResult::Error {
            reason: "timeout".into()
        }
    );
    // C2's put reaches S1 and is applied, but the answer is cut: C2 times
    // out on a write that did happen (an indeterminate operation).
    let c2 = tr.requests(|c, _, _| c == 2);
    assert_eq!(tr.delivered(c2[0].1).len(), 1);
    let r2 = tr.replies_to(2);
    assert!(matches!(
        r2[0].3,
        ClientResponse::Done {
            result: OpResult::Ok
        }
    ));
    assert_eq!(tr.dropped_why(r2[0].1), Some("cut"));
    assert_eq!(
        tr.returned(2).1,
        OpResult::Error {
            reason: "timeout".into()
        }
    );
    assert_eq!(node(&sim, 1).kv().get("y"), Some("2"));
    assert_eq!(node(&sim, 1).kv().get("x"), None);
}

#[test]
fn the_event_log_and_the_trace_name_clients() {
    let s = Scenario::parse(STRANDED).unwrap();
    let mut sim = Simulator::from_scenario(&s);
    sim.set_recording(true);
    sim.run_until(ms(1500));
    let records = sim.take_trace();
    let mut log = EventLog::new();
    let text: Vec<String> = records
        .iter()
        .filter_map(|r| log.line(r))
        .map(|l| format_line(&l))
        .collect();
    let text = text.join("\n");
    for want in [
        "0.219 s  C2 → S2  Request(op 1: put k1=2.1)",
        "0.232 s  S2 → C2  NotLeader(op 1, try S1)",
        "0.244 s  C2 receives NotLeader(op 1, try S1) from S2",
        "0.256 s  S1 receives Request(op 1: put k1=2.1) from C2",
        "0.281 s  S1 → C2  Reply(op 1: ok)",
        "1.000 s  partition: {S1 C1} {S2 S3 S4 S5 C2} cut off from the rest",
        "1.125 s  lost (partition): C2 → S1  Request(op 4: put k1=2.4)",
        "1.438 s  lost (partition): C1 → S2  Request(op 4: put k1=1.4)",
    ] {
        assert!(text.contains(want), "no {want:?} in\n{text}");
    }
    // The JSON: a request, a reply, and a partition naming clients.
    let mut jsonl = String::new();
    for r in &records {
        if matches!(
            r.ev,
            TraceEvent::Request { .. } | TraceEvent::Reply { .. } | TraceEvent::Partition { .. }
        ) {
            trace::write_line(&mut jsonl, r);
        }
    }
    for want in [
        r#"{"t":219163,"ev":"request","id":41,"client":2,"to":2,"op_id":1,"#,
        r#","client":2,"to":2,"op_id":1,"op":{"type":"put","key":"k1","value":"2.1"}}"#,
        r#","from":2,"client":2,"op_id":1,"response":{"type":"not_leader","hint":1}}"#,
        r#","from":1,"client":2,"op_id":1,"response":{"type":"done","result":{"type":"ok"}}}"#,
        r#"{"t":1000000,"ev":"partition","groups":[[1,"c1"],[2,3,4,5,"c2"]]}"#,
    ] {
        assert!(jsonl.contains(want), "no {want} in\n{jsonl}");
    }
}

#[test]
fn the_page_can_partition_clients_it_knows_and_refuses_others() {
    let s = Scenario::parse(r#"{"version":1,"seed":3,"nodes":3,"clients":{"count":2}}"#).unwrap();
    let mut lab = Lab::new(s.file, true).unwrap();
    lab.advance(ms(500));
    let c = Endpoint::Client;
    let bad = EventSpec::Partition {
        at_ms: 0.0,
        groups: vec![vec![1.into(), c(3)]],
    };
    let e = lab.act(bad).unwrap_err().to_string();
    assert!(e.contains("there is no client c3"), "{e}");
    // A request makes client 3; then it may be named.
    let op = quorum_core::protocol::KvOp::Get { key: "k1".into() };
    lab.act(EventSpec::Request {
        at_ms: 0.0,
        op,
        node: None,
        count: None,
    })
    .unwrap();
    let good = EventSpec::Partition {
        at_ms: 0.0,
        groups: vec![vec![1.into(), c(3)], vec![2.into(), 3.into(), c(1)]],
    };
    lab.act(good).unwrap();
    let net = lab.sim().network();
    assert_eq!(
        (
            net.client_group(3),
            net.client_group(1),
            net.client_group(2)
        ),
        (Some(0), Some(1), None)
    );
    assert!(net.blocked(c(3), 2).is_some() && net.blocked(c(2), 2).is_none());
    // Time travel replays it exactly.
    lab.advance(ms(1500));
    let straight = lab.sim().stats().clone();
    lab.seek(ms(200));
    lab.seek(ms(2000));
    assert_eq!(lab.sim().stats(), &straight);
    assert_eq!(lab.sim().client_count(), 3);
}

#[test]
fn a_client_message_on_the_wire_can_be_dropped_or_duplicated_by_hand() {
    use quorum_core::sim::scenario::{Action, ActionKind};
    let s = Scenario::parse(STRANDED).unwrap();
    let mut sim = Simulator::from_scenario(&s);
    sim.set_recording(true);
    // C2's first request is on its way to S2 at 225 ms.
    sim.run_until(ms(225));
    let first = sim.client_in_flight()[0].id;
    sim.schedule(Action {
        at: 0,
        what: ActionKind::DropMessage(first),
    })
    .unwrap();
    sim.run_until(ms(230));
    assert!(sim.client_in_flight().iter().all(|m| m.id != first));
    assert_eq!(sim.stats().client_dropped, 1);
    // C1's first request (sent at 257 ms), duplicated by hand, arrives twice.
    sim.run_until(ms(260));
    let c1 = sim
        .client_in_flight()
        .iter()
        .find(|m| m.client == 1)
        .map(|m| m.id)
        .unwrap();
    sim.schedule(Action {
        at: 0,
        what: ActionKind::DuplicateMessage(c1),
    })
    .unwrap();
    sim.run_until(ms(320));
    assert_eq!(sim.stats().client_duplicated, 1);
    let tr = Trace(sim.take_trace());
    assert_eq!(tr.dropped_why(first), Some("user"));
    assert_eq!(tr.delivered(c1).len(), 2);
    // The second copy reaches the log too (the session skips it when applied).
    let log = node(&sim, 1).log();
    let copies = log
        .iter()
        .filter(|e| {
            e.cmd
                .session()
                .is_some_and(|x| (x.client, x.op_id) == (1, 1))
        })
        .count();
    assert_eq!(copies, 2);
}
