//! Share links: every shipped scenario and a recorded live run survive the
//! round trip; library scenarios travel as short ids; hostile links get
//! a clear error, never a panic.

mod common;
use common::scenarios_dir;
use quorum_core::sim::link::{decode, encode, LinkError, ViewOptions, MAX_LINK_CHARS};
use quorum_core::sim::scenario::EventSpec;
use quorum_core::sim::{library, Lab, Scenario, BEHAVIOUR};

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn packed(json: &str) -> String {
    format!(
        "#q1.{}",
        b64(&miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 6))
    )
}

#[test]
fn every_scenario_file_round_trips() {
    let view = ViewOptions {
        speed: Some(0.1),
        window_ms: Some(600.0),
        kinds: Some(0b101),
        node: Some(2),
        selected: None,
    };
    let mut n = 0;
    for dir in [scenarios_dir(), scenarios_dir().join("bugs")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let file = Scenario::parse(&std::fs::read_to_string(&p).unwrap())
                .unwrap()
                .file;
            let link = encode(&file, 123.456, &view);
            let back = decode(&format!("https://example.org/quorum/?embed=1{link}")).unwrap();
            // A link is an export: it comes back stamped with this build's
            // behaviour.
            assert_eq!(back.scenario, file.exported(), "{}", p.display());
            assert_eq!(back.behaviour, BEHAVIOUR);
            assert_eq!(back.older(), None);
            assert_eq!((back.t_ms, &back.view), (123.456, &view));
            n += 1;
        }
    }
    assert!(n >= 25, "{n} files");
}

#[test]
fn library_links_are_short_and_carry_the_actions_taken() {
    for e in library::ENTRIES {
        let file = library::get(e.id).unwrap();
        let link = encode(&file, 0.0, &ViewOptions::default());
        assert!(link.len() < 100, "{}: {} chars", e.id, link.len());
        assert_eq!(decode(&link).unwrap().scenario, file.exported());
    }
    // A live run from a library scenario, with actions recorded.
    let mut lab = Lab::new(library::get("lab-churn").unwrap(), false).unwrap();
    lab.advance(1_234_000);
    lab.act(EventSpec::Crash {
        at_ms: 0.0,
        node: 3,
    })
    .unwrap();
    lab.advance(500_000);
    lab.act(EventSpec::Heal { at_ms: 0.0 }).unwrap();
    let link = encode(lab.scenario(), 2000.0, &ViewOptions::default());
    assert!(link.len() < 200, "{}", link.len());
    let back = decode(&link).unwrap();
    assert_eq!(back.scenario, lab.scenario().exported());
    assert_eq!(back.t_ms, 2000.0);
}

#[test]
fn a_custom_scenario_keeps_every_field_but_travels_without_defaults() {
    let text = r#"{"version":1,"name":"custom","seed":99,"nodes":4,"duration_ms":5000,
        "timing":{"election_timeout_ms":[150,300],"heartbeat_ms":50,"latency_ms":[5,40]},
        "network":{"drop":0.05,"duplicate":0.0},
        "clients":{"count":3,"keys":2},
        "events":[{"at_ms":1000,"do":"partition","groups":[[1,2]]},{"at_ms":2500,"do":"heal"}]}"#;
    let file = Scenario::parse(text).unwrap().file;
    let link = encode(&file, 4999.0, &ViewOptions::default());
    assert!(link.len() < 400, "{}: {link}", link.len());
    assert_eq!(decode(&link).unwrap().scenario, file.exported());
}

fn err(link: &str) -> LinkError {
    match decode(link) {
        Err(e) => e,
        Ok(l) => panic!("{link:?} decoded: {l:?}"),
    }
}

#[test]
fn hostile_links_get_clear_errors() {
    let good = encode(
        &library::get("paper-fig7").unwrap(),
        0.0,
        &ViewOptions::default(),
    );
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "damaged"),
        ("#".into(), "damaged"),
        ("https://example.org/".into(), "damaged"),
        ("#x1.abc".into(), "damaged"),
        ("#q.abc".into(), "damaged"),
        ("#q1abc".into(), "damaged"),
        ("#q0.abc".into(), "damaged"),
        ("#q99999999999.abc".into(), "damaged"),
        ("#q2.abc".into(), "newer version"),
        ("#q17.".into(), "newer version"),
        ("#q1.!!!!".into(), "damaged"),
        ("#q1.AAAA".into(), "damaged"),
        (good[..good.len() - 3].to_string(), "damaged"),
        (packed("not json"), "damaged"),
        (packed("{}"), "damaged"),
        (packed(r#"{"t":0}"#), "damaged"),
        (packed(r#"{"lib":"nope","t":0}"#), "no shipped scenario"),
        (
            packed(r#"{"lib":"paper-fig7","s":{"version":1,"nodes":3},"t":0}"#),
            "damaged",
        ),
        (
            packed(r#"{"s":{"version":1,"nodes":5000},"t":0}"#),
            "asks for 5000 nodes",
        ),
        (
            packed(r#"{"s":{"version":1,"nodes":3},"t":-1}"#),
            "outside the run",
        ),
        (
            packed(r#"{"s":{"version":1,"nodes":3},"t":1e300}"#),
            "outside the run",
        ),
        (
            packed(r#"{"s":{"version":2,"nodes":3},"t":0}"#),
            "version 2 is not supported",
        ),
        (
            packed(r#"{"s":{"version":1,"nodes":3,"seed":-4},"t":0}"#),
            "not valid",
        ),
        (
            packed(r#"{"s":{"version":1,"nodes":3},"t":0,"o":{"speed":-1}}"#),
            "damaged",
        ),
        (
            packed(r#"{"s":{"version":1,"nodes":3},"t":0,"x":1}"#),
            "damaged",
        ),
        // A newer simulator behaviour: refused by name, never misread.
        (
            packed(&format!(
                r#"{{"b":{},"s":{{"version":1,"nodes":3}},"t":0}}"#,
                BEHAVIOUR + 1
            )),
            "made with simulator behaviour",
        ),
        (
            packed(r#"{"b":4294967295,"lib":"paper-fig7","t":0}"#),
            "newer than this Quorum's",
        ),
        (
            packed(r#"{"b":0,"lib":"paper-fig7","t":0}"#),
            "behaviour 0 does not exist",
        ),
        (packed(r#"{"b":-1,"lib":"paper-fig7","t":0}"#), "damaged"),
        (packed(r#"{"b":"2","lib":"paper-fig7","t":0}"#), "damaged"),
        // The behaviour travels once, outside the scenario.
        (
            packed(r#"{"b":1,"s":{"version":1,"nodes":3,"behaviour":1},"t":0}"#),
            "damaged",
        ),
        (
            packed(&format!(
                r#"{{"s":{{"version":1,"nodes":3,"name":"{}"}},"t":0}}"#,
                "a".repeat(5000)
            )),
            "not valid",
        ),
        (
            packed(&format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000))),
            "damaged",
        ),
        (
            packed(&format!(
                r#"{{"s":{{"version":1,"nodes":3,"events":[{}]}},"t":0}}"#,
                vec![r#"{"at_ms":1,"do":"heal"}"#; 100_001].join(",")
            )),
            "too large",
        ),
        (
            format!("#q1.{}", "A".repeat(MAX_LINK_CHARS + 1)),
            "too large",
        ),
        // A zip bomb: 64 MB of zeros in a few KB.
        (
            format!(
                "#q1.{}",
                b64(&miniz_oxide::deflate::compress_to_vec(
                    &vec![b'0'; 64 << 20],
                    10
                ))
            ),
            "too large",
        ),
    ];
    for (link, want) in cases {
        let e = err(&link).to_string();
        assert!(e.contains(want), "{:.80}: {e}", link);
    }
    // Text from a link is data: a name with markup comes back as it was.
    let html =
        packed(r#"{"s":{"version":1,"nodes":3,"name":"<img src=x onerror=alert(1)>"},"t":0}"#);
    assert_eq!(
        decode(&html).unwrap().scenario.name,
        "<img src=x onerror=alert(1)>"
    );
}

#[test]
fn the_library_is_whole_and_every_entry_runs() {
    use quorum_core::sim::library::{Kind, ENTRIES};
    assert_eq!(
        ENTRIES.iter().filter(|e| e.kind == Kind::Bug).count(),
        quorum_core::protocol::Bug::ALL.len()
    );
    assert!(ENTRIES.iter().filter(|e| e.kind == Kind::Lesson).count() >= 7);
    for e in ENTRIES {
        let f = library::get(e.id).unwrap_or_else(|| panic!("{} does not parse", e.id));
        assert!(!f.name.is_empty(), "{} has no name", e.id);
        let mut lab = Lab::new(f.clone(), false).unwrap();
        lab.advance(500_000);
        // Its own id comes back from base_of (links use it).
        assert_eq!(library::base_of(&f).map(|b| b.0), Some(e.id));
    }
}

#[test]
fn the_compiled_in_library_is_the_files_in_scenarios() {
    // build.rs strips the files' white space; what parses must not change.
    // The page fetches `scenarios/<path>` (Trunk copies the folder into
    // dist/) and shows `name` in its menu before it has the file.
    use quorum_core::sim::library::ENTRIES;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    for e in ENTRIES {
        let path = dir.join(e.path);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let compiled = library::text(e.id).unwrap();
        assert!(compiled.len() < text.len(), "{}: not minified", e.id);
        let a = Scenario::parse(compiled).unwrap().file;
        let b = Scenario::parse(&text).unwrap().file;
        assert_eq!(a, b, "{}", e.id);
        assert_eq!(e.name, b.name, "{}: the menu's name is the file's", e.id);
        assert_eq!(library::entry(e.id).map(|x| x.path), Some(e.path));
    }
    let ids: std::collections::BTreeSet<_> = ENTRIES.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), ENTRIES.len(), "ids are unique");
    assert!(library::entry("no-such-entry").is_none());
}

#[test]
fn a_library_link_opens_in_two_steps_as_the_page_does() {
    // The page unpacks a link, fetches the shipped scenario it names, then
    // finishes it: the same run as one-step decoding.
    let mut lab = Lab::new(library::get("lab-churn").unwrap(), false).unwrap();
    lab.advance(300_000);
    lab.act(EventSpec::Crash {
        at_ms: 0.0,
        node: 2,
    })
    .unwrap();
    let frag = encode(lab.scenario(), 300.0, &ViewOptions::default());
    let u = quorum_core::sim::link::unpack(&frag).unwrap();
    assert_eq!(u.library_id(), Some("lab-churn"));
    let two = u.finish(library::get("lab-churn")).unwrap();
    assert_eq!(two, decode(&frag).unwrap());
    // Without the base it is refused by name, never guessed.
    let u = quorum_core::sim::link::unpack(&frag).unwrap();
    let err = u.finish(None).unwrap_err().to_string();
    assert!(
        err.contains("no shipped scenario is called \"lab-churn\""),
        "{err}"
    );
    // The page encodes against the one base it fetched: the same link.
    let base = library::get("lab-churn").unwrap();
    let b = library::base_in(lab.scenario(), [("lab-churn", &base)]);
    assert_eq!(
        quorum_core::sim::link::encode_from(lab.scenario(), b, 300.0, &ViewOptions::default()),
        frag
    );
    // A link carrying the whole scenario names no base.
    let whole =
        quorum_core::sim::link::encode_from(lab.scenario(), None, 300.0, &ViewOptions::default());
    let u = quorum_core::sim::link::unpack(&whole).unwrap();
    assert_eq!(u.library_id(), None);
    assert_eq!(u.finish(None).unwrap().scenario, two.scenario);
}

#[test]
fn a_link_says_which_behaviour_made_it() {
    // Links made before behaviours were recorded carry none: behaviour 1.
    // They open, and the caller learns they are older.
    for old in [
        packed(r#"{"lib":"paper-fig7","t":100}"#),
        packed(r#"{"b":1,"lib":"paper-fig7","t":100}"#),
        packed(r#"{"s":{"version":1,"nodes":3,"seed":4},"t":100}"#),
    ] {
        let l = decode(&old).unwrap();
        assert_eq!(l.behaviour, 1);
        assert_eq!(l.scenario.behaviour, Some(1));
        let notice = l.older().expect("older than this build").to_string();
        assert!(
            notice.contains("behaviour 1") && notice.contains("may differ"),
            "{notice}"
        );
    }
    // Re-shared from this build, the same run carries this build's
    // behaviour and still travels as a library id.
    let opened = decode(&packed(r#"{"lib":"paper-fig7","t":100}"#)).unwrap();
    let again = encode(&opened.scenario, 100.0, &ViewOptions::default());
    assert!(again.len() < 100, "{again}");
    let l = decode(&again).unwrap();
    assert_eq!((l.behaviour, l.older()), (BEHAVIOUR, None));
    assert_eq!(l.scenario, library::get("paper-fig7").unwrap().exported());
    // This build's links say so in their payload (`b`).
    let json = miniz_oxide::inflate::decompress_to_vec(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            again.trim_start_matches("#q1."),
        )
        .unwrap(),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["b"], BEHAVIOUR);
}
