//! The `quorum` binary: runs every shipped scenario, exit codes, options.

use std::path::PathBuf;
use std::process::{Command, Output};

fn quorum(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quorum"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run quorum")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn runs_every_file_in_scenarios() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 15);
    for f in files {
        let out = quorum(&["run", f.to_str().unwrap()]);
        let so = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            f.display(),
            text(&out.stderr)
        );
        for want in ["leaders:", "entries committed:", "messages:", "client ops:"] {
            assert!(so.contains(want), "{}: no `{want}` in\n{so}", f.display());
        }
    }
}

#[test]
fn summary_reports_the_run() {
    let out = quorum(&["run", "scenarios/paper-fig8-d.json"]);
    let so = text(&out.stdout);
    assert!(
        so.contains("leaders: term 1: S1; term 2: S1; term 3: S5; term 4: S1; term 5: S5"),
        "{so}"
    );
    assert!(so.contains("entries committed: 3"), "{so}");
}

#[test]
fn time_reports_the_simulators_own_wall_time_on_stderr() {
    let plain = quorum(&["run", "scenarios/lab-basic-agree.json"]);
    let timed = quorum(&["run", "scenarios/lab-basic-agree.json", "--time"]);
    assert!(timed.status.success());
    assert_eq!(timed.stdout, plain.stdout, "the summary is unchanged");
    assert!(text(&plain.stderr).is_empty());
    let se = text(&timed.stderr);
    let so = text(&plain.stdout);
    let events = so
        .lines()
        .find(|l| l.starts_with("seed "))
        .and_then(|l| l.rsplit(", ").next())
        .and_then(|w| w.strip_suffix(" events"))
        .map(str::to_owned);
    let line = se.lines().next().unwrap_or_default();
    let field = |i: usize| line.split_whitespace().nth(i).unwrap_or_default();
    assert_eq!(field(0), "time:", "{se}");
    let wall: f64 = field(5).parse().unwrap_or(-1.0);
    assert!(wall > 0.0 && wall < 60.0, "{se}");
    assert!(line.contains("x real time"), "{se}");
    let events = events.expect("the summary's event count");
    assert!(line.contains(&format!(", {events} events (")), "{se}");
}

#[test]
fn trace_to_stdout_is_clean_jsonl_and_replays() {
    let a = quorum(&["run", "scenarios/lab-basic-agree.json", "--trace", "-"]);
    assert_eq!(a.status.code(), Some(0));
    let lines: Vec<String> = text(&a.stdout).lines().map(String::from).collect();
    assert!(lines.len() > 50);
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
        assert!(v["t"].is_u64() && v["ev"].is_string(), "{l}");
    }
    assert!(
        text(&a.stderr).contains("leaders:"),
        "the summary goes to stderr"
    );
    let b = quorum(&["run", "scenarios/lab-basic-agree.json", "--trace", "-"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn seed_and_until_override_the_file() {
    let base = quorum(&["run", "scenarios/lab-churn.json", "--trace", "-"]);
    let seeded = quorum(&[
        "run",
        "scenarios/lab-churn.json",
        "--trace",
        "-",
        "--seed",
        "99",
    ]);
    assert_ne!(base.stdout, seeded.stdout);
    let short = quorum(&[
        "run",
        "scenarios/lab-churn.json",
        "--until",
        "500",
        "--trace",
        "-",
    ]);
    let last = text(&short.stdout).lines().last().unwrap().to_string();
    let end: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(end["ev"], "end");
    assert_eq!(end["t"], 500_000);
}

#[test]
fn bad_input_exits_2_with_the_error_on_stderr() {
    let dir = std::env::temp_dir().join(format!("quorum-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"version":1,"nodes":5,"events":[{"at_ms":1,"do":"crash","node":9}]}"#,
    )
    .unwrap();
    let out = quorum(&["run", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("events[0].node: 9 is not a node of a 5-node cluster"));
    assert!(out.stdout.is_empty());

    let out = quorum(&["run", "no/such/file.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/file.json"));

    let out = quorum(&["run", "scenarios/lab-count.json", "--until", "1e12"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--until"),
        "{}",
        text(&out.stderr)
    );

    let out = quorum(&["run", "scenarios/lab-count.json", "--seed", "-3"]);
    assert_eq!(out.status.code(), Some(2), "clap rejects it");

    let out = quorum(&[
        "run",
        "scenarios/lab-count.json",
        "--trace",
        dir.join("no/dir/t.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_planted_bug_scenario_fails_check_with_exit_1() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios/bugs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        quorum_core::protocol::Bug::ALL.len(),
        "one per planted bug"
    );
    for f in files {
        let out = quorum(&["run", "--check", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", f.display());
        assert!(text(&out.stdout).contains("VIOLATION"), "{}", f.display());
        // Without --check the run itself is fine.
        assert_eq!(quorum(&["run", f.to_str().unwrap()]).status.code(), Some(0));
    }
}

#[test]
fn check_passes_on_every_shipped_scenario() {
    for name in ["paper-fig8-d", "lab-churn", "lab-figure8-unreliable"] {
        let out = quorum(&["run", "--check", &format!("scenarios/{name}.json")]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stdout));
        assert!(text(&out.stdout).contains("safety: all properties held"));
        assert!(
            text(&out.stdout).contains("are linearizable"),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn an_undecided_check_is_never_a_pass() {
    // The linearizability search held to 10 configurations per key cannot
    // decide lab-churn's history: exit 3, and the summary says why.
    let out = quorum(&[
        "run",
        "--check",
        "--lin-states",
        "10",
        "scenarios/lab-churn.json",
    ]);
    let so = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{so}");
    assert!(so.contains("safety: all properties held"), "{so}");
    assert!(
        so.contains("UNDECIDED: Linearizability: key \"k")
            && so.contains("bound of 10 configurations"),
        "{so}"
    );
    assert!(!so.contains("are linearizable"), "{so}");
    // With the default bound the same run is decided.
    let out = quorum(&["run", "--check", "scenarios/lab-churn.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // The bound needs --check.
    assert_eq!(
        quorum(&["run", "--lin-states", "10", "scenarios/lab-churn.json"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn liveness_without_a_majority_up_is_not_applicable_not_a_pass() {
    // Two of three servers are down when the liveness window closes: no
    // leader can be expected, so the check cannot say the cluster is live
    // (it used to print "liveness: converged" and exit 0).
    let dir = std::env::temp_dir().join(format!("quorum-liveness-na-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("minority.json");
    std::fs::write(
        &file,
        r#"{
  "version": 1, "name": "a minority up", "seed": 1, "nodes": 3,
  "duration_ms": 3000,
  "events": [
    { "at_ms": 1000, "do": "crash", "node": 2 },
    { "at_ms": 1000, "do": "crash", "node": 3 }
  ],
  "liveness": { "from_ms": 1000, "within_ms": 2000 }
}"#,
    )
    .unwrap();
    let out = quorum(&["run", "--check", file.to_str().unwrap()]);
    let so = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{so}");
    assert!(so.contains("safety: all properties held"), "{so}");
    assert!(
        so.contains("NOT APPLICABLE: Liveness: only 1 of 3 servers are up"),
        "{so}"
    );
    assert!(!so.contains("liveness: converged"), "{so}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fuzz_runs_a_batch_and_refuses_bad_options() {
    let out = quorum(&["fuzz", "--seeds", "50", "--start", "1000"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let so = text(&out.stdout);
    assert!(
        so.contains("fuzz: 50 runs (seeds 1000..1050), 0 failures"),
        "{so}"
    );
    assert!(so.contains(", 0 liveness not applicable"), "{so}");
    // Per-fault coverage: a count for each kind the generator makes.
    let faults = so
        .lines()
        .find(|l| l.starts_with("faults (runs with each kind): crash "))
        .unwrap_or_else(|| panic!("no coverage line in {so}"));
    assert!(faults.contains(", long delay "), "{faults}");
    assert!(faults.contains(", client partition "), "{faults}");
    assert!(!faults.contains("not generated"), "{faults}");
    let bad = quorum(&["fuzz", "--seeds", "5", "--bug", "no_such_bug"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("unknown"));
    let dir = std::env::temp_dir().join(format!("quorum-fuzz-test-{}", std::process::id()));
    let found = quorum(&[
        "fuzz",
        "--seeds",
        "20",
        "--bug",
        "forget_current_term",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(found.status.code(), Some(1));
    let so = text(&found.stdout);
    assert!(
        so.contains("FAILED seed 0: currentTerm is monotonic violated"),
        "{so}"
    );
    let repro = dir.join("seed-0.json");
    // A reproduction is an export: it records the behaviour that found it.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&repro).unwrap()).unwrap();
    assert_eq!(written["behaviour"], quorum_core::sim::BEHAVIOUR);
    let again = quorum(&["run", "--check", repro.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(!text(&again.stderr).contains("notice"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A link as builds before behaviour 2 wrote them (no `b` in the payload):
/// the shipped Fig. 7 at 500 ms.
const OLD_LINK: &str = "https://example.org/quorum/#q1.q1bKyUxSslIqSCxILdJNy0w3V9JRKlGyMjUw0DOoBQA";
/// The same, claiming a behaviour no build has yet (999).
const FUTURE_LINK: &str = "#q1.q1ZKUrKytLTUUcrJBLKUChILUot00zLTzZV0lEqUrEwNDPQMagE";

#[test]
fn version_names_the_simulator_behaviour() {
    let out = quorum(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let want = format!("(simulator behaviour {})", quorum_core::sim::BEHAVIOUR);
    assert!(text(&out.stdout).contains(&want), "{}", text(&out.stdout));
}

#[test]
fn a_link_from_an_older_behaviour_runs_with_a_notice() {
    let old = quorum(&["run", "--link", OLD_LINK, "--state"]);
    assert_eq!(old.status.code(), Some(0), "{}", text(&old.stderr));
    let err = text(&old.stderr);
    assert!(
        err.contains(&format!(
            "notice: this link was made with simulator behaviour 1; this is behaviour {}, \
             so the run may differ from the one that was shared",
            quorum_core::sim::BEHAVIOUR
        )),
        "{err}"
    );
    // stdout is the run's, untouched by the notice.
    let state: serde_json::Value = serde_json::from_slice(&old.stdout).expect("JSON state");
    assert_eq!(state["t_ms"], 500.0);

    // The same run shared again from this build: no notice.
    let fresh = quorum(&["link", "scenarios/paper-fig7.json", "--at", "500"]);
    let link = text(&fresh.stdout).trim().to_string();
    let now = quorum(&["run", "--link", &link, "--state"]);
    assert_eq!(now.status.code(), Some(0));
    assert!(
        !text(&now.stderr).contains("notice"),
        "{}",
        text(&now.stderr)
    );
    assert_eq!(now.stdout, old.stdout, "the same scenario, the same run");

    // A newer behaviour: refused by name.
    let future = quorum(&["run", "--link", FUTURE_LINK]);
    assert_eq!(future.status.code(), Some(2));
    assert!(
        text(&future.stderr).contains("made with simulator behaviour 999"),
        "{}",
        text(&future.stderr)
    );
}

#[test]
fn an_exported_scenario_from_an_older_behaviour_runs_with_a_notice() {
    let dir = std::env::temp_dir().join(format!("quorum-behaviour-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, behaviour: &str| {
        let p = dir.join(name);
        std::fs::write(
            &p,
            format!(r#"{{"version":1,{behaviour}"nodes":3,"seed":4,"duration_ms":2000}}"#),
        )
        .unwrap();
        p.to_str().unwrap().to_string()
    };
    let old = write("old.json", r#""behaviour":1,"#);
    let out = quorum(&["run", &old]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("old.json was made with simulator behaviour 1")
            && err.contains("may differ from the one that was shared"),
        "{err}"
    );
    // Hand-written (no behaviour) or this build's: no notice.
    let current = format!(r#""behaviour":{},"#, quorum_core::sim::BEHAVIOUR);
    for p in [write("plain.json", ""), write("now.json", &current)] {
        let out = quorum(&["run", &p]);
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stderr).is_empty(), "{p}: {}", text(&out.stderr));
    }
    let newer = write("newer.json", r#""behaviour":999,"#);
    let out = quorum(&["run", &newer]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("behaviour: made with simulator behaviour 999"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_trace_starts_with_the_behaviour_that_made_it() {
    let out = quorum(&["run", "scenarios/paper-fig7.json", "--trace", "-"]);
    let first = text(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        first,
        format!(
            r#"{{"t":0,"ev":"header","behaviour":{}}}"#,
            quorum_core::sim::BEHAVIOUR
        )
    );
}
