//! The behaviour version (docs/share-links.md): exported scenarios and
//! traces carry it, shipped scenarios do not, and the changelog names the
//! current one.

mod common;
use common::scenarios_dir;
use quorum_core::sim::behaviour::Older;
use quorum_core::sim::{run_to_jsonl, Scenario, BEHAVIOUR};

fn shipped() -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for dir in [scenarios_dir(), scenarios_dir().join("bugs")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

#[test]
fn shipped_scenarios_carry_no_behaviour() {
    // They change with the code (the golden digests pin their runs); a
    // number in them would only go stale and raise a false notice.
    let files = shipped();
    assert!(files.len() >= 25, "{} files", files.len());
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap();
        let file = Scenario::parse(&text).unwrap().file;
        assert_eq!(file.behaviour, None, "{}", p.display());
    }
}

#[test]
fn an_exported_scenario_carries_the_behaviour_and_an_older_one_says_so() {
    let base = Scenario::parse(r#"{"version":1,"nodes":3,"seed":9}"#)
        .unwrap()
        .file;
    assert_eq!(base.older_behaviour(), None, "hand-written: no notice");
    let json = serde_json::to_string_pretty(&base.exported()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["behaviour"], BEHAVIOUR, "{json}");
    assert!(
        json.find("\"behaviour\"") < json.find("\"name\""),
        "right after the version: {json}"
    );
    let back = Scenario::parse(&json).unwrap().file;
    assert_eq!(back, base.exported());
    assert_eq!(back.older_behaviour(), None);

    let old = Scenario::parse(r#"{"version":1,"behaviour":1,"nodes":3,"seed":9}"#)
        .unwrap()
        .file;
    assert_eq!(old.older_behaviour(), Some(Older { made_with: 1 }));
    // It runs, with this build's behaviour: the same run as without.
    let again = Scenario::from_file(old.clone()).unwrap();
    let plain = Scenario::from_file(base).unwrap();
    assert_eq!(run_to_jsonl(&again), run_to_jsonl(&plain));
    // Exported again, it is this build's run.
    assert_eq!(old.exported().behaviour, Some(BEHAVIOUR));
}

#[test]
fn every_trace_starts_with_its_behaviour() {
    let s = Scenario::parse(r#"{"version":1,"nodes":3,"duration_ms":500}"#).unwrap();
    let trace = run_to_jsonl(&s);
    let first = trace.lines().next().unwrap();
    assert_eq!(
        first,
        format!(r#"{{"t":0,"ev":"header","behaviour":{BEHAVIOUR}}}"#)
    );
    // Only the first line is a header.
    assert_eq!(trace.matches(r#""ev":"header""#).count(), 1);
}

#[test]
fn the_changelog_names_the_current_behaviour() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/share-links.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let log = doc
        .split("## Changelog")
        .nth(1)
        .expect("docs/share-links.md has a changelog");
    for b in 1..=BEHAVIOUR {
        assert!(
            log.contains(&format!("- **behaviour {b}**:")),
            "docs/share-links.md: no changelog entry for behaviour {b}"
        );
    }
    assert!(
        !log.contains(&format!("**behaviour {}**", BEHAVIOUR + 1)),
        "the changelog names a behaviour this build does not have"
    );
}
