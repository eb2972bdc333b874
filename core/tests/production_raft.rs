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
    let end = lab.leader().and_then(|l| lab.node(l)).map_or(0, |n| n.current_term());
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
