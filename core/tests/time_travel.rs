//! Time travel: a seek (backwards through a checkpoint, or forwards) gives
//! exactly the state of a straight run to that time; acting in the past
//! replaces the recorded future.

mod common;
use common::scenarios_dir;
use quorum_core::protocol::KvOp;
use quorum_core::sim::scenario::{EventSpec, ScenarioFile};
use quorum_core::sim::{Lab, Scenario};

/// Everything observable about a run at its current time.
fn fingerprint(l: &Lab) -> String {
    format!(
        "{} {:?} pending={}",
        serde_json::to_string(&l.state()).unwrap(),
        l.sim().stats(),
        l.sim().pending_events()
    )
}

fn churn() -> ScenarioFile {
    let text = std::fs::read_to_string(scenarios_dir().join("lab-churn.json")).unwrap();
    Scenario::parse(&text).unwrap().file
}

/// A live run with user actions at odd times, 20 s long.
fn live() -> Lab {
    live_every(1_000_000)
}

fn live_every(interval: u64) -> Lab {
    let mut lab = Lab::new(churn(), false).unwrap();
    lab.set_checkpoint_interval(interval);
    lab.advance(3_333_333);
    lab.act(EventSpec::Crash {
        at_ms: 0.0,
        node: 2,
    })
    .unwrap();
    lab.advance(2_000_001);
    for _ in 0..17 {
        lab.step();
    }
    lab.act(EventSpec::Request {
        at_ms: 0.0,
        op: KvOp::Put {
            key: "z".into(),
            value: "1".into(),
        },
        node: None,
        count: Some(3),
    })
    .unwrap();
    lab.advance(4_000_000);
    lab.act(EventSpec::Restart {
        at_ms: 0.0,
        node: 2,
    })
    .unwrap();
    lab.advance(10_000_000);
    lab
}

fn straight(file: &ScenarioFile, t: u64) -> Lab {
    let mut l = Lab::new(file.clone(), false).unwrap();
    l.set_checkpoint_interval(u64::MAX);
    l.advance(t);
    l
}

#[test]
fn seeking_anywhere_equals_a_straight_run() {
    let mut lab = live();
    assert!(lab.checkpoint_count() > 15);
    let recorded = lab.scenario().clone();
    let end = lab.now();
    // A fixed pseudo-random walk over the timeline, back and forth.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..40 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = x % (end + 1);
        lab.seek(t);
        assert_eq!(lab.now(), t);
        assert_eq!(
            fingerprint(&lab),
            fingerprint(&straight(&recorded, t)),
            "at t = {t}"
        );
    }
    // Back to the end: the same state as before all the seeking.
    lab.seek(end);
    assert_eq!(fingerprint(&lab), fingerprint(&straight(&recorded, end)));
    assert_eq!(lab.scenario(), &recorded, "seeking records nothing");
    assert_eq!(lab.forks(), 0);
}

#[test]
fn thinned_checkpoints_still_seek_exactly() {
    // 20 s at 30 ms per checkpoint: far more than the cap, so old ones thin out.
    let mut lab = live_every(30_000);
    assert!(lab.checkpoint_count() <= quorum_core::sim::lab::MAX_CHECKPOINTS);
    let recorded = lab.scenario().clone();
    for t in [
        0, 1, 2_345_678, 9_999_999, 15_000_000, 3_000_000, 19_000_000,
    ] {
        lab.seek(t);
        assert_eq!(
            fingerprint(&lab),
            fingerprint(&straight(&recorded, t)),
            "at t = {t}"
        );
    }
}

#[test]
fn stepping_back_and_forth_one_event_at_a_time() {
    let mut lab = live();
    let recorded = lab.scenario().clone();
    lab.seek(7_500_000);
    let n = lab.sim().stats().events;
    lab.seek_events(n - 1);
    assert_eq!(lab.sim().stats().events, n - 1);
    let back = fingerprint(&lab);
    lab.seek_events(n);
    assert_eq!(lab.sim().stats().events, n);
    // The same as stepping a straight run.
    let mut s = straight(&recorded, 0);
    while s.sim().stats().events < n - 1 {
        assert!(s.step());
    }
    assert_eq!(fingerprint(&s), back);
}

#[test]
fn acting_in_the_past_replaces_the_future() {
    let mut lab = live();
    let before = lab.scenario().events.len();
    lab.seek(4_000_000);
    lab.act(EventSpec::Timeout {
        at_ms: 0.0,
        node: 5,
    })
    .unwrap();
    assert_eq!(lab.forks(), 1);
    let events = &lab.scenario().events;
    // The crash at 3.33 s stays; the request and restart after 4 s are gone.
    let user: Vec<&EventSpec> = events[before - 3..].iter().collect();
    assert!(matches!(user[0], EventSpec::Crash { .. }), "{user:?}");
    assert!(matches!(
        user.last(),
        Some(EventSpec::Timeout { node: 5, .. })
    ));
    assert_eq!(events.len(), before - 2 + 1);
    assert_eq!(lab.horizon(), 4_000_000);
    // The new timeline is what its recorded scenario replays to.
    lab.advance(3_000_000);
    let recorded = lab.scenario().clone();
    assert_eq!(
        fingerprint(&lab),
        fingerprint(&straight(&recorded, 7_000_000))
    );
}

#[test]
fn checkers_travel_with_the_checkpoints() {
    // A planted bug: the violation appears at its time, disappears when we
    // go back before it, and comes back exactly when we return.
    let text =
        std::fs::read_to_string(scenarios_dir().join("bugs/forget_current_term.json")).unwrap();
    let file = Scenario::parse(&text).unwrap().file;
    let mut lab = Lab::with_checks(file, false).unwrap();
    lab.set_checkpoint_interval(250_000);
    lab.advance(10_000_000);
    let v = lab
        .violations()
        .first()
        .cloned()
        .expect("the bug is caught");
    lab.seek(v.t - 1);
    assert!(lab.violations().is_empty(), "not yet at {}", v.t - 1);
    lab.seek(v.t);
    assert_eq!(lab.violations().first(), Some(&v));
}
