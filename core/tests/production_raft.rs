//! Raft as production systems run it (issue 14, work in progress): PreVote
//! and CheckQuorum switched on in whole simulated runs.

use quorum_core::sim::Lab;

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
fn one_way_cut(check_quorum: bool) -> (u64, Option<u32>) {
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
    let before = lab.sim().stats().ok;
    while !lab.at_end() {
        lab.advance(100_000);
    }
    (lab.sim().stats().ok - before, lab.leader())
}

#[test]
fn check_quorum_lets_a_connected_majority_go_on_past_a_one_way_cut() {
    let (without, _) = one_way_cut(false);
    let (with, leader) = one_way_cut(true);
    println!("operations after the cut: {with} with CheckQuorum, {without} without");
    assert!(
        with > without + 10,
        "with CheckQuorum {with} operations succeed after the cut, without it {without}"
    );
    assert!(matches!(leader, Some(2 | 3)), "S2 or S3 leads: {leader:?}");
}
