//! The safety net for refactoring: every shipped scenario's trace, and a
//! fixed batch of fuzz seeds, must stay byte for byte what they were.
//!
//! `golden/traces.tsv` holds, for each scenario in `scenarios/` and
//! `scenarios/bugs/`, the SHA-256, length and line count of its trace
//! (`quorum run FILE --trace -`; the full traces are 47 MB, so only their
//! digests are committed). `golden/fuzz.tsv` holds, for seeds
//! `0..FUZZ_SEEDS` of `quorum fuzz` with its default 12 faults, the
//! SHA-256 of the generated scenario and of its trace, and what the checks
//! found. `tests/wasm-determinism.test.mjs` checks the wasm32 traces against
//! the same digests.
//!
//! A change that alters runs on purpose rewrites them with `QUORUM_BLESS=1`
//! and says so in its commit. On a mismatch the new trace is written to
//! `target/golden-actual/` to diff against the old build's.
//!
//! The files' first line records the simulator behaviour they were blessed
//! under (`#behaviour`, a tab, the number; docs/share-links.md). A change
//! that alters runs must bump `sim::BEHAVIOUR`, so share links made before
//! it say their run may differ: the test fails when the recorded number is
//! not `BEHAVIOUR`, and blessing refuses to write changed digests under the
//! number they were blessed with. Only a change to the trace's bytes that
//! alters no run (a new trace field) blesses with
//! `QUORUM_BLESS_SAME_BEHAVIOUR=1` as well.

use quorum_core::sim::{run_to_jsonl, Scenario, BEHAVIOUR};
use quorum_verify::fuzz;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::PathBuf;

const FUZZ_SEEDS: u64 = 200;
const FUZZ_STEPS: u32 = 12;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn scenario_files() -> Vec<(String, PathBuf)> {
    let mut v = Vec::new();
    for dir in ["scenarios", "scenarios/bugs"] {
        let d = root().join(dir);
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("directory entry").path();
            if p.extension().is_some_and(|x| x == "json") {
                let name = p.strip_prefix(root()).expect("under the root");
                v.push((name.to_string_lossy().into_owned(), p));
            }
        }
    }
    v.sort();
    v
}

const BEHAVIOUR_TAG: &str = "#behaviour\t";

/// A golden table's first line: the behaviour it is blessed under.
fn table_header() -> String {
    format!("{BEHAVIOUR_TAG}{BEHAVIOUR}\n")
}

/// The behaviour a golden file was blessed under (files from before it was
/// recorded: behaviour 1).
fn blessed_under(text: &str) -> Option<u32> {
    match text.lines().next() {
        Some(l) if l.starts_with(BEHAVIOUR_TAG) => l[BEHAVIOUR_TAG.len()..].trim().parse().ok(),
        _ => Some(1),
    }
}

/// The rows of a golden file, without its header.
fn rows(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

/// Compare `actual` with the committed file, or rewrite it when blessing.
fn compare(file: &str, actual: &str, dumps: &[(String, String)]) {
    let path = golden(file);
    let committed = std::fs::read_to_string(&path);
    if std::env::var_os("QUORUM_BLESS").is_some() {
        if let Ok(old) = &committed {
            let same_number = blessed_under(old) == Some(BEHAVIOUR);
            if same_number
                && rows(old) != rows(actual)
                && std::env::var_os("QUORUM_BLESS_SAME_BEHAVIOUR").is_none()
            {
                panic!(
                    "{file}: runs changed, but sim::BEHAVIOUR is still {BEHAVIOUR}, the behaviour \
                     these digests were blessed under. A change that alters runs must bump it \
                     (core/src/sim/behaviour.rs, and the changelog in docs/share-links.md), so \
                     that links made before it say their run may differ. If only the trace's \
                     bytes changed and no run did, bless with QUORUM_BLESS_SAME_BEHAVIOUR=1 too."
                );
            }
        }
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir golden");
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected =
        committed.unwrap_or_else(|e| panic!("{}: {e} (QUORUM_BLESS=1 writes it)", path.display()));
    let was = blessed_under(&expected);
    assert_eq!(
        was,
        Some(BEHAVIOUR),
        "{file} was blessed under simulator behaviour {was:?}, but this build runs behaviour \
         {BEHAVIOUR}: bless it again (QUORUM_BLESS=1)"
    );
    if expected == actual {
        return;
    }
    let out = root().join("target/golden-actual");
    let _ = std::fs::create_dir_all(&out);
    let mut changed = Vec::new();
    let old = rows(&expected);
    for line in rows(actual) {
        if !old.contains(&line) {
            let key = line.split('\t').next().unwrap_or_default().to_string();
            if let Some((_, text)) = dumps.iter().find(|(k, _)| *k == key) {
                let _ = std::fs::write(out.join(key.replace('/', "_") + ".jsonl"), text);
            }
            changed.push(key);
        }
    }
    for line in &old {
        let key = line.split('\t').next().unwrap_or_default();
        if !rows(actual)
            .iter()
            .any(|l| l.split('\t').next() == Some(key))
        {
            changed.push(format!("{key} (gone)"));
        }
    }
    panic!(
        "{file}: runs changed for {} entries: {changed:?}\nnew traces in {}; \
         if the change is meant, QUORUM_BLESS=1 rewrites the golden files",
        changed.len(),
        out.display()
    );
}

fn line_for(name: &str, trace: &str) -> String {
    format!(
        "{name}\t{}\t{}\t{}\n",
        trace.lines().count(),
        trace.len(),
        hex(trace.as_bytes())
    )
}

#[test]
fn every_shipped_scenario_keeps_its_trace() {
    let files = scenario_files();
    assert!(files.len() >= 30, "{} scenarios found", files.len());
    let mut table = table_header();
    let mut dumps = Vec::new();
    for (name, path) in files {
        let text = std::fs::read_to_string(&path).expect("read scenario");
        let s = Scenario::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let trace = run_to_jsonl(&s);
        assert!(trace.len() > 1000, "{name}: a {} byte trace", trace.len());
        table.push_str(&line_for(&name, &trace));
        dumps.push((name, trace));
    }
    compare("traces.tsv", &table, &dumps);
}

#[test]
fn a_fixed_fuzz_batch_keeps_its_fingerprint() {
    let mut table = table_header();
    let mut dumps = Vec::new();
    let mut failures = 0;
    for seed in 0..FUZZ_SEEDS {
        let file = fuzz::generate(seed, FUZZ_STEPS, &[]);
        let json = serde_json::to_string(&file).expect("scenario serialises");
        let Ok(s) = Scenario::from_file(file.clone()) else {
            table.push_str(&format!("{seed}\tinvalid\t{}\n", hex(json.as_bytes())));
            continue;
        };
        let trace = run_to_jsonl(&s);
        let outcome = fuzz::check_scenario(&s);
        let found = outcome.failure.as_ref().map_or("ok", |f| f.label());
        failures += usize::from(outcome.failure.is_some());
        let _ = writeln!(
            table,
            "{seed}\t{}\t{}\t{}\t{found}\t{}",
            hex(json.as_bytes()),
            trace.lines().count(),
            hex(trace.as_bytes()),
            outcome.events,
        );
        dumps.push((seed.to_string(), trace));
    }
    assert_eq!(failures, 0, "the fuzz batch found failures:\n{table}");
    compare("fuzz.tsv", &table, &dumps);
}

#[test]
fn the_golden_files_cover_every_scenario() {
    // A scenario added without blessing would otherwise only show up as a
    // "changed" row; say it plainly.
    let text = std::fs::read_to_string(golden("traces.tsv")).unwrap_or_default();
    let listed: Vec<&str> = text.lines().filter_map(|l| l.split('\t').next()).collect();
    for (name, _) in scenario_files() {
        assert!(
            listed.contains(&name.as_str()) || std::env::var_os("QUORUM_BLESS").is_some(),
            "{name} has no golden trace: QUORUM_BLESS=1 cargo test --release -p quorum-verify --test golden"
        );
    }
}

#[test]
fn the_golden_files_record_the_behaviour() {
    assert_eq!(blessed_under("#behaviour\t7\nx\t1\n"), Some(7));
    assert_eq!(blessed_under("x\t1\n"), Some(1), "before it was recorded");
    assert_eq!(blessed_under("#behaviour\tx\n"), None);
    assert_eq!(rows("#behaviour\t7\na\nb\n"), vec!["a", "b"]);
    for file in ["traces.tsv", "fuzz.tsv"] {
        let text = std::fs::read_to_string(golden(file)).unwrap_or_default();
        assert!(
            text.starts_with(&table_header()) || std::env::var_os("QUORUM_BLESS").is_some(),
            "{file} does not start with {:?}",
            table_header()
        );
    }
}
