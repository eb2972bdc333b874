//! The memoised checker against stateright's tester, on the same
//! histories: whenever stateright reaches a verdict, the two agree.
//!
//! Two sources: client histories of fuzzed runs (real Raft, faults, timed
//! out operations), and 20 000 small random one-key histories with random
//! results, most of them not linearizable.

use quorum_core::protocol::{KvOp, OpResult, Text};
use quorum_core::sim::{HistoryEvent, Scenario, Simulator};
use quorum_verify::fuzz;
use quorum_verify::linearizability::{check, check_stateright, Verdict};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn kind(v: &Verdict) -> &'static str {
    match v {
        Verdict::Linearizable { .. } => "linearizable",
        Verdict::Violation { .. } => "violation",
        Verdict::TooLarge { .. } => "too large",
    }
}

#[test]
fn agrees_with_stateright_on_fuzzed_runs() {
    let (mut both, mut only_new) = (0, 0);
    for seed in 0..300 {
        let file = fuzz::generate(seed, 12, &[]);
        let Ok(s) = Scenario::from_file(file) else {
            continue;
        };
        let mut sim = Simulator::from_scenario(&s);
        sim.enable_history();
        sim.run_to_end();
        let (new, old) = (check(sim.history()), check_stateright(sim.history()));
        match old {
            Verdict::TooLarge { .. } => {
                if !matches!(new, Verdict::TooLarge { .. }) {
                    only_new += 1;
                }
            }
            _ => {
                assert_eq!(kind(&new), kind(&old), "seed {seed}: {new:?} vs {old:?}");
                both += 1;
            }
        }
        // Raft is linearizable: neither may report a violation.
        assert!(
            !matches!(new, Verdict::Violation { .. }),
            "seed {seed}: {new:?}"
        );
    }
    println!(
        "fuzzed runs: {both} decided by both, {only_new} more decided only by the memoised checker"
    );
    assert!(both > 200);
}

fn op(rng: &mut ChaCha8Rng) -> KvOp {
    let v = |rng: &mut ChaCha8Rng| Text::from(["a", "b", "c"][rng.random_range(0..3)]);
    match rng.random_range(0..3) {
        0 => KvOp::Put {
            key: "x".into(),
            value: v(rng),
        },
        1 => KvOp::Get { key: "x".into() },
        _ => KvOp::Cas {
            key: "x".into(),
            expect: if rng.random_bool(0.3) {
                None
            } else {
                Some(v(rng))
            },
            value: v(rng),
        },
    }
}

fn result(rng: &mut ChaCha8Rng) -> OpResult {
    let v = |rng: &mut ChaCha8Rng| {
        if rng.random_bool(0.25) {
            None
        } else {
            Some(Text::from(["a", "b", "c"][rng.random_range(0..3)]))
        }
    };
    match rng.random_range(0..10) {
        0..=2 => OpResult::Ok,
        3..=6 => OpResult::Value { value: v(rng) },
        7..=8 => OpResult::Mismatch { actual: v(rng) },
        _ => OpResult::Error {
            reason: "timeout".into(),
        },
    }
}

#[test]
fn agrees_with_stateright_on_random_histories() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut counts = [0usize; 2];
    for _ in 0..20_000 {
        // Up to 3 clients, 1-3 operations each, interleaved at random.
        let mut h: Vec<HistoryEvent> = Vec::new();
        let clients = rng.random_range(1..=3u64);
        let mut todo: Vec<(u64, u64, bool)> = Vec::new(); // (client, op, invoked?)
        for c in 1..=clients {
            for o in 1..=rng.random_range(1..=3u64) {
                todo.push((c, o, false));
            }
        }
        let mut t = 0;
        while !todo.is_empty() {
            // Each client's next step: invoke its next op or return it.
            let c = todo[rng.random_range(0..todo.len())].0;
            let i = todo.iter().position(|x| x.0 == c).unwrap();
            t += 1;
            let (client, op_id, invoked) = todo[i];
            if !invoked {
                h.push(HistoryEvent::Invoke {
                    t,
                    client,
                    op_id,
                    op: op(&mut rng),
                });
                todo[i].2 = true;
            } else if rng.random_bool(0.05) {
                // Never returns: the client stops there (as in the simulator,
                // where a client waits for its operation or times it out).
                todo.retain(|x| x.0 != client);
            } else {
                h.push(HistoryEvent::Return {
                    t,
                    client,
                    op_id,
                    result: result(&mut rng),
                });
                todo.remove(i);
            }
        }
        let (new, old) = (check(&h), check_stateright(&h));
        if matches!(old, Verdict::TooLarge { .. }) {
            continue;
        }
        assert_eq!(kind(&new), kind(&old), "{h:#?}");
        counts[usize::from(matches!(new, Verdict::Violation { .. }))] += 1;
    }
    println!(
        "random histories: {} linearizable, {} not",
        counts[0], counts[1]
    );
    assert!(counts[0] > 1000 && counts[1] > 1000, "{counts:?}");
}
