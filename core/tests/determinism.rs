//! Same scenario, same trace bytes. (Native against wasm32 is checked by
//! `tests/wasm-determinism.test.mjs`, which runs the same scenarios in a
//! bare wasm32 module.)

mod common;
use common::*;
use quorum_core::sim::{run_to_jsonl, trace, Scenario, Simulator};

fn all_scenarios() -> Vec<(String, Scenario)> {
    let mut v: Vec<_> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    assert!(v.len() >= 15, "shipped scenarios: {v:?}");
    v.into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name.clone(), load(&name))
        })
        .collect()
}

#[test]
fn every_shipped_scenario_replays_byte_for_byte() {
    for (name, s) in all_scenarios() {
        let a = run_to_jsonl(&s);
        let b = run_to_jsonl(&s);
        assert!(a == b, "{name}: two runs differ");
        assert!(a.lines().count() > 20, "{name}: trace too short");
        assert!(
            a.lines().last().unwrap().contains(r#""ev":"end""#),
            "{name}"
        );
    }
}

#[test]
fn the_seed_changes_the_run() {
    let mut s = load("lab-churn");
    let a = run_to_jsonl(&s);
    s.seed += 1;
    let b = run_to_jsonl(&s);
    assert_ne!(a, b);
}

#[test]
fn a_cloned_simulator_continues_identically() {
    // Checkpoints (time travel) rely on this: clone mid-run, run both on.
    let s = load("lab-figure8-unreliable");
    let mut a = Simulator::from_scenario(&s);
    a.set_recording(true);
    a.run_until(ms(7_000));
    let mut b = a.clone();
    a.run_to_end();
    b.run_to_end();
    let text = |sim: &mut Simulator| {
        let mut out = String::new();
        for r in sim.take_trace() {
            trace::write_line(&mut out, &r);
        }
        out
    };
    assert_eq!(text(&mut a), text(&mut b));
}

#[test]
fn stepping_and_running_give_the_same_trace() {
    let s = load("lab-persist");
    let whole = run_to_jsonl(&s);
    let mut sim = Simulator::from_scenario(&s);
    sim.set_recording(true);
    let mut steps = 0;
    while sim.step() {
        steps += 1;
    }
    let before = sim.stats().events;
    sim.run_to_end(); // moves the clock to the end; no event is left
    assert_eq!(sim.stats().events, before);
    let mut out = String::new();
    trace::write_header(&mut out);
    for r in sim.take_trace() {
        trace::write_line(&mut out, &r);
    }
    assert!(steps > 1000);
    assert_eq!(out, whole);
}
