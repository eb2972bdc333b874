//! Every planted bug is caught: the fuzzer finds a violation within a
//! stated seed budget, shrinks it, and the shrunk scenario (kept in
//! `scenarios/bugs/`) fails `quorum run --check` the same way. The correct
//! code passes the same seeds.

use quorum_core::protocol::Bug;
use quorum_core::sim::scenario::ScenarioFile;
use quorum_verify::fuzz::{self, check_file};
use std::path::PathBuf;

const STEPS: u32 = 12;

/// Seeds the fuzzer may use to find each bug (it found each well within).
fn budget(b: Bug) -> u64 {
    match b {
        Bug::DoubleVote => 50,
        Bug::NoUpToDateCheck => 50,
        Bug::CommitOldTermByCounting => 50,
        Bug::AppendWithoutTruncate => 50,
        Bug::AcceptStaleTerm => 2500,
        Bug::ForgetVotedFor => 300,
        Bug::ForgetCurrentTerm => 50,
        Bug::ApplyBeforeCommit => 50,
        Bug::StaleMatchIndex => 2500,
        Bug::CommitBeyondLastNew => 50,
        Bug::LeaseIgnoresDrift => 10000,
        Bug::ReadIndexWithoutRound => 500,
        Bug::PreVoteRecordsVote => 50,
        Bug::TransferKeepsAccepting => 100,
        Bug::SnapshotDropsSessions => 50,
        Bug::JointCommitsWithNewOnly => 50,
    }
}

fn bugs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/bugs")
}

#[test]
fn every_planted_bug_is_found_shrunk_and_reproduced() {
    let mut report = Vec::new();
    let mut stale = Vec::new();
    for bug in Bug::ALL {
        let names = vec![bug.name().to_string()];
        let n = budget(bug);
        let batch = fuzz::run_batch(0, n, STEPS, &names, 2, true);
        let Some((seed, failure)) = batch.failures.first().cloned() else {
            panic!("{}: no violation in {n} seeds", bug.name());
        };
        // Shrink, and keep the reproduction for the browser's "break it" mode.
        let small: ScenarioFile = fuzz::shrink(&fuzz::generate(seed, STEPS, &names), &failure, 400);
        let mut named = small.clone();
        named.name = format!("Planted bug: {}", bug.name());
        named.description = format!(
            "Found by `quorum fuzz --bug {} --seeds {n}` at seed {seed} and shrunk. Fails with: {}. Remove the bug from raft.bugs and the same run is safe.",
            bug.name(),
            failure.label()
        );
        // The shipped file must be exactly this reproduction (the app and
        // its lessons load it); QUORUM_BLESS=1 rewrites it after a change.
        let path = bugs_dir().join(format!("{}.json", bug.name()));
        let json = serde_json::to_string_pretty(&named).unwrap() + "\n";
        if std::fs::read_to_string(&path).ok().as_deref() != Some(json.as_str()) {
            if std::env::var_os("QUORUM_BLESS").is_some() {
                std::fs::create_dir_all(bugs_dir()).unwrap();
                std::fs::write(&path, &json).unwrap();
            } else {
                stale.push(bug.name());
            }
        }
        // The file reproduces the failure...
        let again = check_file(&named)
            .and_then(|o| o.failure)
            .expect("the reproduction fails");
        assert!(
            again.same_as(&failure),
            "{}: {again} vs {failure}",
            bug.name()
        );
        // ... and the same scenario without the bug does not fail.
        let mut fixed = named.clone();
        fixed.raft.bugs.clear();
        let clean = check_file(&fixed).expect("valid");
        assert!(
            clean.failure.is_none(),
            "{} without the bug: {:?}",
            bug.name(),
            clean.failure
        );
        report.push(format!(
            "{:<28} seed {seed:>5} -> {} ({} nodes, {} events)",
            bug.name(),
            failure.label(),
            small.nodes,
            small.events.len()
        ));
    }
    println!("{}", report.join("\n"));
    assert!(
        stale.is_empty(),
        "scenarios/bugs/ is out of date for {stale:?}: the fuzzer now finds a different reproduction. \
         Check it, then run `QUORUM_BLESS=1 cargo test --release -p quorum-verify --test planted_bugs`."
    );
}

#[test]
fn the_correct_code_passes_the_same_seeds() {
    let most = Bug::ALL.iter().map(|&b| budget(b)).max().unwrap();
    let batch = fuzz::run_batch(0, most, STEPS, &[], 2, false);
    assert_eq!(batch.runs, most);
    assert!(batch.failures.is_empty(), "{:?}", batch.failures.first());
}

#[test]
fn fuzz_runs_are_deterministic() {
    let a = fuzz::generate(42, STEPS, &[]);
    let b = fuzz::generate(42, STEPS, &[]);
    assert_eq!(a, b);
    let (x, y) = (check_file(&a).unwrap(), check_file(&b).unwrap());
    assert_eq!(x.events, y.events);
    assert_ne!(fuzz::generate(43, STEPS, &[]), a);
}
