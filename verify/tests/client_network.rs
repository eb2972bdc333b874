//! Clients as network endpoints, checked end to end: fuzzed runs whose
//! partitions and cuts also strand clients stay safe, linearizable and
//! live, and so do the shipped scenarios that partition clients.

use quorum_core::sim::scenario::{EventSpec, ScenarioFile};
use quorum_core::sim::Endpoint;
use quorum_verify::fuzz::{self, check_file};
use std::path::PathBuf;

/// The fuzzer's scenario with clients put into its partitions' groups and
/// a cut between a client and a server after each partition.
fn with_clients_in_partitions(mut f: ScenarioFile, seed: u64) -> ScenarioFile {
    let clients = f.client_total();
    if clients == 0 {
        return f;
    }
    let mut extra = Vec::new();
    let mut k = seed;
    for e in &mut f.events {
        if let EventSpec::Partition { at_ms, groups } = e {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let c = Endpoint::Client(k % clients + 1);
            // The generator's own client partitions already name every
            // client, and a client is in one group at most.
            if !groups.iter().flatten().any(|e| *e == c) {
                groups[0].push(c);
            }
            let node = (k >> 33) as u32 % f.nodes + 1;
            extra.push(EventSpec::Cut {
                at_ms: *at_ms,
                from: c,
                to: node.into(),
            });
        }
    }
    f.events.extend(extra);
    f.events.sort_by(|a, b| a.at_ms().total_cmp(&b.at_ms()));
    f
}

#[test]
fn fuzzed_runs_with_stranded_clients_pass_every_check() {
    let (mut runs, mut named, mut undecided) = (0, 0, 0);
    for seed in 0..150 {
        let f = with_clients_in_partitions(fuzz::generate(seed, 12, &[]), seed);
        named += f
            .events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    EventSpec::Cut {
                        from: Endpoint::Client(_),
                        ..
                    }
                )
            })
            .count();
        let o = check_file(&f).unwrap_or_else(|| panic!("seed {seed}: not a valid scenario"));
        assert!(o.failure.is_none(), "seed {seed}: {:?}", o.failure);
        undecided += usize::from(o.undecided.is_some());
        runs += 1;
    }
    assert_eq!(runs, 150);
    assert!(named > 100, "{named} client cuts");
    println!("{runs} runs, {named} client cuts, {undecided} undecided");
    assert!(undecided <= 3, "{undecided} undecided");
}

#[test]
fn shipped_scenarios_that_partition_clients_are_linearizable() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut checked = 0;
    for e in std::fs::read_dir(&dir).expect("scenarios/") {
        let p = e.expect("an entry").path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("read");
        let f: ScenarioFile = serde_json::from_str(&text).expect("parses");
        let names_a_client = f.events.iter().any(|e| match e {
            EventSpec::Partition { groups, .. } => {
                groups.iter().flatten().any(|g| g.client().is_some())
            }
            EventSpec::Cut { from, to, .. } => from.client().is_some() || to.client().is_some(),
            _ => false,
        });
        if names_a_client {
            let o = check_file(&f).expect("valid");
            assert!(
                o.failure.is_none() && o.undecided.is_none(),
                "{}: {:?}",
                p.display(),
                o.failure
            );
            checked += 1;
        }
    }
    assert!(checked >= 1);
}
