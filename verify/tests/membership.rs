//! Membership changes (issue 15, thesis chapter 4, paper §6) in whole
//! simulated runs: servers join and the leader leaves, under crashes, loss
//! and a partition, in both modes, across seeds.

use quorum_core::protocol::Role;
use quorum_core::sim::scenario::ScenarioFile;
use quorum_core::sim::trace::TraceEvent;
use quorum_core::sim::{Scenario, Simulator};
use quorum_verify::fuzz::check_file;

/// Three servers, S1 the first leader. S4 and S5 join, S1 (the leader)
/// leaves; S2 crashes and comes back, 2% of messages are lost, S3 is cut
/// off for a while. Then everything heals and the cluster must converge.
fn grow_and_lose_the_leader(seed: u64, mode: &str) -> ScenarioFile {
    let json = format!(
        r#"{{"version":1,"nodes":3,"seed":{seed},"duration_ms":9000,
            "network":{{"drop":0.02}},
            "raft":{{"membership":"{mode}","pre_vote":true}},
            "clients":{{"count":2,"think_ms":[10,40],"keys":2,"stop_ms":5000}},
            "events":[{{"do":"timeout","at_ms":10,"node":1}},
                      {{"do":"crash","at_ms":800,"node":2}},
                      {{"do":"add_server","at_ms":1000,"node":4}},
                      {{"do":"add_server","at_ms":1200,"node":5}},
                      {{"do":"restart","at_ms":1800,"node":2}},
                      {{"do":"remove_server","at_ms":2000,"node":1}},
                      {{"do":"partition","at_ms":2500,"groups":[[3]]}},
                      {{"do":"heal","at_ms":3500}},
                      {{"do":"network","at_ms":5000,"drop":0.0}}],
            "liveness":{{"from_ms":5000,"within_ms":4000}}}}"#
    );
    serde_json::from_str(&json).expect("a scenario file")
}

#[test]
fn two_servers_join_and_the_leader_leaves_safely_in_both_modes() {
    for mode in ["joint", "single"] {
        for seed in 0..12 {
            let file = grow_and_lose_the_leader(seed, mode);
            // Safe, linearizable and converged, by every check the fuzzer runs.
            let o = check_file(&file).expect("valid");
            assert!(o.failure.is_none(), "{mode} seed {seed}: {:?}", o.failure);
            assert_eq!(o.undecided, None, "{mode} seed {seed}");
            assert_eq!(o.liveness_not_applicable, None, "{mode} seed {seed}");
            // And the cluster ends in the new configuration.
            let s = Scenario::from_file(file).expect("valid");
            let mut sim: Simulator = Simulator::from_scenario(&s);
            sim.set_recording(true);
            sim.run_to_end();
            let leader = (1..=sim.node_count())
                .filter_map(|i| sim.node(i))
                .filter(|n| n.role() == Role::Leader)
                .max_by_key(|n| n.current_term())
                .expect("a leader");
            let c = leader.config();
            assert_eq!(c.voters(), [2, 3, 4, 5], "{mode} seed {seed}: {c:?}");
            assert!(!c.is_joint() && c.learners().is_empty());
            assert!(leader.commit_index() >= 10);
            // Joint consensus went through C_old,new; one at a time never did.
            let joint = sim
                .trace()
                .iter()
                .any(|r| matches!(&r.ev, TraceEvent::Config { config, .. } if config.is_joint()));
            assert_eq!(joint, mode == "joint", "{mode} seed {seed}");
            // Every new server was a learner before it voted (§4.2.1).
            for id in [4, 5] {
                let first = sim.trace().iter().find_map(|r| match &r.ev {
                    TraceEvent::Config { node: 1, config }
                        if config.is_learner(id) || config.contains(id) =>
                    {
                        Some(config.is_learner(id))
                    }
                    _ => None,
                });
                assert_eq!(
                    first,
                    Some(true),
                    "{mode} seed {seed}: S{id} joined as a learner"
                );
            }
        }
    }
}

#[test]
fn a_server_that_joins_starts_empty_and_catches_up() {
    let s = Scenario::from_file(grow_and_lose_the_leader(1, "joint")).expect("valid");
    let mut sim: Simulator = Simulator::from_scenario(&s);
    sim.run_until(999_000);
    assert_eq!(sim.node_count(), 3);
    sim.run_until(1_000_000);
    assert_eq!(sim.node_count(), 4, "S4 exists once it is added");
    assert_eq!(sim.node(4).map(|n| n.log().last_index()), Some(0));
    sim.run_to_end();
    let (a, b) = (sim.node(4).expect("S4"), sim.node(2).expect("S2"));
    assert_eq!(a.last_applied(), b.last_applied());
    assert_eq!(a.kv().data(), b.kv().data());
}
