//! Raft as production systems run it (issue 14): PreVote, CheckQuorum,
//! leadership transfer and reads without the log, switched on in whole
//! simulated runs.

use quorum_core::protocol::{Command, KvOp, Role};
use quorum_core::sim::trace::TraceEvent;
use quorum_core::sim::{Lab, Scenario, Simulator};

/// Five servers; S{lone} is cut off from 1 s to 4 s, then the network
/// heals; the run goes to 7 s. The leader's term before the cut and at
/// the end.
fn lone_server_returns(pre_vote: bool, lone: u32) -> (Option<u32>, u64, u64) {
    let file = format!(
        r#"{{"version":1,"nodes":5,"seed":11,"duration_ms":7000,
            "raft":{{"pre_vote":{pre_vote}}},
            "events":[{{"do":"partition","at_ms":1000,"groups":[[{lone}]]}},
                      {{"do":"heal","at_ms":4000}}]}}"#
    );
    let mut lab = Lab::from_json(&file, false).expect("a valid scenario");
    lab.advance(900_000);
    let leader = lab.leader().expect("a leader before the cut");
    let before = lab.node(leader).expect("the leader").current_term();
    while !lab.at_end() {
        lab.advance(100_000);
    }
    let end = lab
        .leader()
        .and_then(|l| lab.node(l))
        .map_or(0, |n| n.current_term());
    (Some(leader), before, end)
}

#[test]
fn a_server_that_comes_back_deposes_the_leader_without_pre_vote_and_not_with_it() {
    // A follower, not the leader, is cut off.
    let (leader, _, _) = lone_server_returns(false, 1);
    let lone = if leader == Some(1) { 2 } else { 1 };
    let (_, before, after) = lone_server_returns(false, lone);
    assert!(
        after > before,
        "without PreVote the returning S{lone} raises the term: {before} → {after}"
    );
    let (_, before, after) = lone_server_returns(true, lone);
    assert_eq!(
        after, before,
        "with PreVote the returning S{lone} cannot disturb the leader"
    );
}

/// Three servers; the links S2→S1 and S3→S1 are cut at 1 s (S1 still
/// reaches them, but hears nothing back); clients write throughout. The
/// client operations that succeeded after the cut.
fn one_way_cut(check_quorum: bool) -> (u64, u64, Option<u32>) {
    let file = format!(
        r#"{{"version":1,"nodes":3,"seed":5,"duration_ms":6000,
            "raft":{{"check_quorum":{check_quorum}}},
            "clients":{{"count":2,"think_ms":[20,40]}},
            "events":[{{"do":"timeout","at_ms":10,"node":1}},
                      {{"do":"cut","at_ms":1000,"from":2,"to":1}},
                      {{"do":"cut","at_ms":1000,"from":3,"to":1}}]}}"#
    );
    let mut lab = Lab::from_json(&file, false).expect("a valid scenario");
    lab.advance(1_000_000);
    let stats = lab.sim().stats();
    let (ok, done) = (stats.ok, stats.ok + stats.failed + stats.timed_out);
    while !lab.at_end() {
        lab.advance(100_000);
    }
    let stats = lab.sim().stats();
    let finished = stats.ok + stats.failed + stats.timed_out - done;
    (stats.ok - ok, finished, lab.leader())
}

#[test]
fn check_quorum_lets_a_connected_majority_go_on_past_a_one_way_cut() {
    let (without, _, _) = one_way_cut(false);
    let (with, finished, leader) = one_way_cut(true);
    println!(
        "operations after the cut: {with} of {finished} succeed with CheckQuorum, {without} without"
    );
    assert!(
        with > without + 10,
        "with CheckQuorum {with} operations succeed after the cut, without it {without}"
    );
    assert!(
        2 * with >= finished,
        "at least half of the operations finished during the cut succeed: {with} of {finished}"
    );
    assert!(matches!(leader, Some(2 | 3)), "S2 or S3 leads: {leader:?}");
}

/// Three servers with clients; at 2 s the leader is asked to hand over to
/// another server. Returns the leader before, the target, the leader an
/// election timeout (300 ms) later, and the client operations that failed
/// or timed out from the transfer on.
fn transfer(bugs: &str) -> (u32, u32, Option<u32>, u64) {
    let probe = r#"{"version":1,"nodes":3,"seed":3,"duration_ms":2000,
        "clients":{"count":3,"think_ms":[0,20]}}"#;
    let mut lab = Lab::from_json(probe, false).expect("a valid scenario");
    lab.advance(1_990_000);
    let before = lab.leader().expect("a leader before the transfer");
    let to = before % 3 + 1;
    let file = format!(
        r#"{{"version":1,"nodes":3,"seed":3,"duration_ms":4000,
            "clients":{{"count":3,"think_ms":[0,20]}},
            "raft":{{"bugs":[{bugs}]}},
            "events":[{{"do":"transfer_leader","at_ms":2000,"to":{to}}}]}}"#
    );
    let mut lab = Lab::from_json(&file, true).expect("a valid scenario");
    lab.advance(2_000_000);
    assert_eq!(
        lab.leader(),
        Some(before),
        "the same run up to the transfer"
    );
    let s = lab.sim().stats();
    let failed = s.failed + s.timed_out;
    lab.advance(300_000);
    let after = lab.leader();
    while !lab.at_end() {
        lab.advance(100_000);
    }
    let s = lab.sim().stats();
    (before, to, after, s.failed + s.timed_out - failed)
}

#[test]
fn a_transfer_hands_over_within_an_election_timeout_and_fails_no_operation() {
    let (before, to, after, failed) = transfer("");
    assert_ne!(before, to);
    assert_eq!(after, Some(to), "S{to} leads 300 ms after the transfer");
    assert_eq!(failed, 0, "no client operation failed");
}

#[test]
fn a_leader_that_keeps_accepting_during_a_transfer_breaks_the_rule_the_checker_holds() {
    let scenario = Scenario::parse(
        r#"{"version":1,"nodes":3,"seed":3,"duration_ms":2600,
            "clients":{"count":3,"think_ms":[0,20]},
            "raft":{"bugs":["transfer_keeps_accepting"]},
            "events":[{"do":"transfer_leader","at_ms":2000,"to":1},
                      {"do":"transfer_leader","at_ms":2000,"to":2}]}"#,
    )
    .expect("a valid scenario");
    let mut sim = Simulator::from_scenario(&scenario);
    sim.enable_checks();
    sim.run_to_end();
    let v = sim.violations();
    assert!(
        v.iter()
            .any(|v| v.property.name().contains("handing over leadership")),
        "{v:?}"
    );
}

/// Three servers, two keys, clients reading and writing; the gets that
/// went into a log, and the `read` trace records (with and without a
/// round).
fn reads(mode: &str) -> (usize, usize, usize) {
    let file = format!(
        r#"{{"version":1,"nodes":3,"seed":8,"duration_ms":3000,
            "clients":{{"count":2,"think_ms":[10,30],"keys":2}},
            "raft":{{"read":"{mode}"}}}}"#
    );
    let scenario = Scenario::parse(&file).expect("a valid scenario");
    let mut sim = Simulator::from_scenario(&scenario);
    sim.enable_checks();
    sim.set_recording(true);
    sim.run_to_end();
    let leader = (1..=3)
        .filter_map(|i| sim.node(i))
        .find(|n| n.role() == Role::Leader)
        .expect("a leader");
    let gets = leader
        .log()
        .iter()
        .filter(|e| matches!(&e.cmd, Command::Kv(c) if matches!(c.op, KvOp::Get { .. })))
        .count();
    let (mut rounds, mut leased) = (0, 0);
    for r in sim.trace() {
        if let TraceEvent::Read { round, .. } = r.ev {
            if round.is_some() {
                rounds += 1;
            } else {
                leased += 1;
            }
        }
    }
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    (gets, rounds, leased)
}

#[test]
fn gets_skip_the_log_with_read_index_and_leases() {
    let (gets, rounds, leased) = reads("log");
    assert!(gets > 10, "through the log: {gets} gets in it");
    assert_eq!((rounds, leased), (0, 0));
    let (gets, rounds, leased) = reads("read_index");
    assert_eq!(gets, 0, "ReadIndex: no get in the log");
    assert!(
        rounds > 10,
        "each read waits on a heartbeat round: {rounds}"
    );
    assert_eq!(leased, 0);
    let (gets, rounds, leased) = reads("lease");
    assert_eq!(gets, 0, "lease reads: no get in the log");
    assert!(
        leased > 10 && leased > rounds,
        "most reads fall within the lease: {leased} leased, {rounds} with a round"
    );
}

#[test]
fn a_switch_event_turns_lease_reads_on_mid_run() {
    let mut lab = Lab::from_json(
        r#"{"version":1,"nodes":3,"seed":8,"duration_ms":3000,
            "clients":{"count":2,"think_ms":[10,30],"keys":2},
            "events":[{"do":"set","at_ms":1500,"read":"lease","pre_vote":true}]}"#,
        true,
    )
    .expect("a valid scenario");
    lab.advance(1_400_000);
    let leader = lab.leader().expect("a leader");
    let node = lab.node(leader).expect("the leader");
    assert!(!node.options().pre_vote);
    let gets_before = node.log().last_index();
    while !lab.at_end() {
        lab.advance(100_000);
    }
    let node = lab
        .node(lab.leader().expect("a leader"))
        .expect("the leader");
    assert!(node.options().pre_vote);
    assert_eq!(node.role(), Role::Leader);
    assert!(node.lease_until().is_some(), "the leader holds a lease");
    assert!(node.log().last_index() > gets_before);
}
