//! Simulator speed: a 5-node cluster with 4 closed-loop clients, no faults,
//! 60 virtual seconds, trace recording off. Criterion reports time per run
//! and, with `Throughput::Elements`, simulator events per second; the ratio
//! of virtual to wall time is 60 s divided by the time per run.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quorum_core::sim::{Scenario, Simulator};
use std::hint::black_box;

const SCENARIO: &str = r#"{
  "version": 1,
  "name": "bench: 5 nodes, 4 clients, no faults, 60 s",
  "seed": 1,
  "nodes": 5,
  "timing": { "election_timeout_ms": [150, 300], "heartbeat_ms": 50, "latency_ms": [10, 20] },
  "clients": { "count": 4, "think_ms": [0, 10], "keys": 5, "timeout_ms": 1000 },
  "duration_ms": 60000
}"#;

fn run(s: &Scenario) -> u64 {
    let mut sim = Simulator::from_scenario(s);
    sim.run_to_end();
    sim.stats().events
}

fn bench(c: &mut Criterion) {
    let s = Scenario::parse(SCENARIO).expect("bench scenario");
    let events = run(&s);
    let mut g = c.benchmark_group("sim");
    g.throughput(Throughput::Elements(events));
    g.sample_size(20);
    g.bench_function("5 nodes, 4 clients, 60 s virtual", |b| {
        b.iter(|| black_box(run(black_box(&s))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
