//! Time-travel benchmark (native): seek latency over a 10-minute run and
//! the memory a 1-hour run's checkpoints take. Not a test: it prints.
//!
//!     cargo run --release -p quorum-core --example seek_bench

use quorum_core::sim::Lab;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const SCENARIO: &str = r#"{"version":1,"seed":5,"nodes":5,
  "clients":{"count":4,"think_ms":[50,150],"keys":3,"timeout_ms":1000},
  "duration_ms":3600000}"#;

fn main() {
    // Seek latency over a 10-minute run.
    let mut lab = Lab::from_json(SCENARIO, false).expect("scenario");
    let t0 = Instant::now();
    lab.advance(600_000_000);
    println!(
        "10 min of virtual time: {:.0} ms to simulate, {} events, {} checkpoints",
        t0.elapsed().as_secs_f64() * 1e3,
        lab.sim().stats().events,
        lab.checkpoint_count()
    );
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut times = Vec::new();
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = x % 600_000_000;
        let s = Instant::now();
        lab.seek(t);
        times.push(s.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "seek to a random time (200 seeks): median {:.2} ms, p99 {:.2} ms, worst {:.2} ms",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times[times.len() - 1]
    );
    drop(lab);

    // Memory of a 1-hour run with its checkpoints, without and with the
    // live safety checkers.
    for (checks, timeline) in [(false, false), (true, false), (true, true)] {
        let base = LIVE.load(Ordering::Relaxed);
        let file = quorum_core::sim::Scenario::parse(SCENARIO)
            .expect("scenario")
            .file;
        let lab = if timeline {
            Lab::with_timeline(file, true, quorum_core::sim::lab::CHECKPOINT_INTERVAL)
        } else if checks {
            Lab::with_checks(file, false)
        } else {
            Lab::new(file, false)
        };
        let mut lab = lab.expect("lab");
        let t0 = Instant::now();
        lab.advance(3_600_000_000);
        let secs = t0.elapsed().as_secs_f64();
        let bytes = LIVE.load(Ordering::Relaxed) - base;
        let longest = (1..=5)
            .filter_map(|i| lab.node(i))
            .map(|n| n.log().last_index())
            .max()
            .unwrap_or(0);
        println!(
            "1 hour of virtual time{}: {:.1} MB live heap, {} checkpoints, logs of {} entries, {:.1} s to simulate, {} violations",
            match (checks, timeline) {
                (_, true) => " as the page runs it (checkers and timeline)",
                (true, _) => " with the safety checkers",
                _ => "",
            },
            bytes as f64 / 1e6,
            lab.checkpoint_count(),
            longest,
            secs,
            lab.violations().len()
        );
    }
}
