//! Allocation stays off the hot path: count heap allocations per simulator
//! event in the benchmark's workload (a deterministic count).

use quorum_core::sim::{Scenario, Simulator};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Only the simulating thread counts: the test harness's own threads
    /// allocate now and then (output capture, timers), which made the
    /// count flaky under load.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocs_per_event(json: &str) -> (f64, u64) {
    let s = Scenario::parse(json).unwrap();
    let mut sim = Simulator::from_scenario(&s);
    sim.run_until(1_000_000); // warm up: queues and buffers reach size
    COUNTING.with(|c| c.set(true));
    let (a0, e0) = (ALLOCS.load(Ordering::Relaxed), sim.stats().events);
    sim.run_to_end();
    let (a1, e1) = (ALLOCS.load(Ordering::Relaxed), sim.stats().events);
    COUNTING.with(|c| c.set(false));
    ((a1 - a0) as f64 / (e1 - e0) as f64, e1 - e0)
}

// One test function: the counter is global, so nothing may run beside it.
#[test]
fn allocation_per_event() {
    // Heartbeats, replies and timers only.
    let (per, events) = allocs_per_event(r#"{"version":1,"seed":1,"nodes":5,"duration_ms":10000}"#);
    assert!(events > 1_000, "{events}");
    assert_eq!(per, 0.0, "{per} allocations per event");
    // Client ops allocate their strings, and AppendEntries that carry
    // entries allocate their batch; nothing else does.
    let (per, events) = allocs_per_event(
        r#"{"version":1,"seed":1,"nodes":5,"clients":{"count":4,"think_ms":[0,10],"keys":5},"duration_ms":10000}"#,
    );
    assert!(events > 5_000, "{events}");
    assert!(per < 0.5, "{per} allocations per event");
    println!("{per:.3} allocations per event over {events} events");
}
