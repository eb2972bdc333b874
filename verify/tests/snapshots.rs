//! Log compaction and InstallSnapshot (issue 15, thesis chapter 5) in
//! whole simulated runs: a follower that was down comes back through a
//! snapshot, logs stay short, and every check still holds.

use quorum_core::protocol::Message;
use quorum_core::sim::scenario::ScenarioFile;
use quorum_core::sim::trace::TraceEvent;
use quorum_core::sim::{Scenario, Simulator};
use quorum_verify::fuzz::check_file;

/// Three servers under client load, S1 the first leader; S3 is down from
/// 1 s to 6 s. Servers snapshot every `every` applied entries.
fn follower_down_for_five_seconds(every: u64, chunk: u64) -> ScenarioFile {
    let json = format!(
        r#"{{"version":1,"nodes":3,"seed":4,"duration_ms":9000,
            "raft":{{"snapshot_every":{every},"snapshot_chunk_entries":{chunk}}},
            "clients":{{"count":3,"think_ms":[0,20],"keys":3,"stop_ms":7500}},
            "events":[{{"do":"timeout","at_ms":10,"node":1}},
                      {{"do":"crash","at_ms":1000,"node":3}},
                      {{"do":"restart","at_ms":6000,"node":3}}],
            "liveness":{{"from_ms":6000,"within_ms":3000}}}}"#
    );
    serde_json::from_str(&json).expect("a scenario file")
}

#[test]
fn a_follower_down_for_five_seconds_comes_back_through_install_snapshot() {
    let every = 50;
    let file = follower_down_for_five_seconds(every, 2);
    // Safe, linearizable, and converged, by every check the fuzzer runs.
    let outcome = check_file(&file).expect("valid");
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    assert_eq!(outcome.undecided, None, "the history was decided");
    assert_eq!(outcome.liveness_not_applicable, None);

    let s = Scenario::from_file(file).expect("valid");
    let mut sim: Simulator = Simulator::from_scenario(&s);
    sim.enable_checks();
    sim.set_recording(true);
    // Sample every server's log as the run goes: what it keeps stays near
    // `snapshot_every` (applied entries wait for the next snapshot; a few
    // more are not yet applied).
    let mut longest = 0;
    while sim.now() < sim.end_time() {
        sim.run_until(sim.now() + 20_000);
        for id in 1..=3 {
            if let Some(n) = sim.node(id) {
                longest = longest.max(n.log().iter().count());
            }
        }
    }
    sim.finish();
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    let committed = sim.stats().max_commit;
    println!("{committed} entries committed; the longest log kept held {longest}");
    assert!(committed > 4 * every, "a busy run: {committed} entries");
    assert!(
        longest as u64 <= every + 10,
        "logs stay near snapshot_every ({every}): the longest held {longest}"
    );
    // S3 came back through the leader's snapshot, sent in chunks.
    let chunks = sim
        .trace()
        .iter()
        .filter(|r| {
            matches!(
                &r.ev,
                TraceEvent::Send {
                    to: 3,
                    msg: Message::InstallSnapshot(_),
                    ..
                }
            )
        })
        .count();
    let install = sim.trace().iter().find_map(|r| match r.ev {
        TraceEvent::Install { node: 3, index, .. } => Some((r.t, index)),
        _ => None,
    });
    let (t, index) = install.expect("S3 installs a snapshot");
    println!("S3 installed the snapshot through {index} at {t} µs after {chunks} chunks");
    assert!(t > 6_000_000, "after its restart");
    assert!(index >= 3 * every, "a snapshot of the busy run: {index}");
    assert!(chunks >= 2, "more than one chunk of two items: {chunks}");
    // And it converged: the same state machine as the leader's.
    let leader = (1..=3)
        .find(|&i| {
            sim.node(i)
                .is_some_and(|n| n.role() == quorum_core::protocol::Role::Leader)
        })
        .expect("a leader at the end");
    let (l, f) = (sim.node(leader).expect("leader"), sim.node(3).expect("S3"));
    assert_eq!(f.last_applied(), l.last_applied());
    assert_eq!(f.kv().data(), l.kv().data());
}

#[test]
fn compaction_changes_no_outcome_only_the_logs_length() {
    // The same run without snapshots: the same number of entries commit
    // (compaction is invisible to clients), S3 catches up by entries.
    let run = |every| {
        let s = Scenario::from_file(follower_down_for_five_seconds(every, 16)).expect("valid");
        let mut sim: Simulator = Simulator::from_scenario(&s);
        sim.enable_checks();
        sim.run_to_end();
        assert!(sim.violations().is_empty(), "{:?}", sim.violations());
        let kv = sim.node(3).map(|n| n.kv().data().clone());
        (sim.node(1).map(|n| n.log().iter().count()), kv)
    };
    let (kept_without, kv_without) = run(0);
    let (kept_with, kv_with) = run(50);
    assert!(kept_with < kept_without, "{kept_with:?} < {kept_without:?}");
    assert!(kv_with.is_some_and(|k| !k.is_empty()) && kv_without.is_some());
}

#[test]
fn compacting_every_three_entries_stays_safe_under_random_faults() {
    // Snapshots as often as they can come, with chunks of two items, on
    // the fuzzer's own faults: every check holds.
    for seed in 0..20 {
        let mut f = quorum_verify::fuzz::generate(seed, 12, &[]);
        f.raft.snapshot_every = 3;
        f.raft.snapshot_chunk_entries = 2;
        let o = check_file(&f).expect("valid");
        assert!(o.failure.is_none(), "seed {seed}: {:?}", o.failure);
    }
}
