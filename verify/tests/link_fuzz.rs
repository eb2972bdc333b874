//! The share-link decoder against a million arbitrary inputs (run in
//! release by the test command): no panic, no hang, and every input
//! either decodes to a valid scenario or gets an error.
//!
//! Five kinds of input, 200 000 each, from one seeded stream: random
//! bytes; the link marker and random base64url; real links with bytes
//! flipped, cut, or spliced; compressed random mutations of a real
//! payload's JSON; and compressed JSON built from scenario-ish pieces.

use quorum_core::sim::link::{decode, encode, ViewOptions};
use quorum_core::sim::{library, Scenario};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

const PER_KIND: usize = 200_000;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn pack(json: &[u8]) -> String {
    format!(
        "#q1.{}",
        b64(&miniz_oxide::deflate::compress_to_vec(json, 1))
    )
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"s\"",
    "\"t\"",
    "\"e\"",
    "\"o\"",
    "\"lib\"",
    "\"version\"",
    "1",
    "\"nodes\"",
    "3",
    "5000",
    "-1",
    "1e308",
    "0.5",
    "null",
    "true",
    "\"events\"",
    "\"at_ms\"",
    "\"do\"",
    "\"crash\"",
    "\"node\"",
    "\"partition\"",
    "\"groups\"",
    "\"captions\"",
    "\"text\"",
    "\"questions\"",
    "\"choices\"",
    "\"answer\"",
    "\"paper-fig7\"",
    "\"initial\"",
    "\"log\"",
    "\"term\"",
    "\"clients\"",
    "\"count\"",
    "\"timing\"",
    "\"latency_ms\"",
    "\"duration_ms\"",
    "\"raft\"",
    "\"bugs\"",
    "\"double_vote\"",
    "\"speed\"",
    "\"\\u0000\"",
    "\"é\"",
];

#[test]
fn a_million_hostile_links_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x51_4c_1e);
    let real: Vec<String> = library::ENTRIES
        .iter()
        .filter_map(|e| library::get(e.id))
        .map(|f| encode(&f, 1.0, &ViewOptions::default()))
        .chain(std::iter::once({
            let f = Scenario::parse(
                r#"{"version":1,"seed":3,"nodes":4,"clients":{"count":2,"keys":2},
                   "events":[{"at_ms":100,"do":"crash","node":2}]}"#,
            )
            .unwrap()
            .file;
            encode(&f, 50.0, &ViewOptions::default())
        }))
        .collect();
    let payload = br#"{"b":1,"s":{"version":1,"nodes":3,"seed":7,"events":[{"at_ms":10,"do":"crash","node":1}],"captions":[{"at_ms":1,"text":"hi"}]},"t":5,"o":{"speed":0.5}}"#;
    let t0 = Instant::now();
    let (mut ok, mut total) = (0usize, 0usize);
    let mut try_one = |s: &str| {
        total += 1;
        if let Ok(l) = decode(s) {
            // Whatever decodes is a valid scenario and moment.
            assert!(Scenario::from_file(l.scenario.clone()).is_ok());
            assert!(l.t_ms >= 0.0 && l.t_ms <= l.scenario.duration_ms);
            // ...made with a behaviour this build knows, said once.
            assert!((1..=quorum_core::sim::BEHAVIOUR).contains(&l.behaviour));
            assert_eq!(l.scenario.behaviour, Some(l.behaviour));
            ok += 1;
        }
    };
    let mut buf = Vec::new();
    for kind in 0..5 {
        for _ in 0..PER_KIND {
            let s = match kind {
                0 => {
                    buf.resize(rng.random_range(0..64), 0);
                    rng.fill_bytes(&mut buf);
                    String::from_utf8_lossy(&buf).into_owned()
                }
                1 => {
                    buf.resize(rng.random_range(0..96), 0);
                    rng.fill_bytes(&mut buf);
                    format!("#q1.{}", b64(&buf))
                }
                2 => {
                    let mut b = real[rng.random_range(0..real.len())].clone().into_bytes();
                    for _ in 0..rng.random_range(1..4) {
                        let i = rng.random_range(0..b.len());
                        match rng.random_range(0..3) {
                            0 => b[i] =
                                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                    [rng.random_range(0..64)],
                            1 => b.truncate(i.max(1)),
                            _ => b.insert(i, b"A_-z9.#"[rng.random_range(0..7)]),
                        }
                    }
                    String::from_utf8_lossy(&b).into_owned()
                }
                3 => {
                    let mut b = payload.to_vec();
                    for _ in 0..rng.random_range(1..4) {
                        let i = rng.random_range(0..b.len());
                        match rng.random_range(0..3) {
                            0 => b[i] = rng.random(),
                            1 => {
                                b.remove(i);
                            }
                            _ => b.insert(i, b"{}[]\",:0-9e."[rng.random_range(0..12)]),
                        }
                    }
                    pack(&b)
                }
                _ => {
                    let n = rng.random_range(1..40);
                    let json: String = (0..n)
                        .map(|_| PIECES[rng.random_range(0..PIECES.len())])
                        .collect();
                    pack(json.as_bytes())
                }
            };
            try_one(&s);
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "link fuzz: {total} inputs, {ok} decoded to valid runs, no panic, {:.1} s ({:.0} inputs/s)",
        secs,
        total as f64 / secs
    );
    assert_eq!(total, 5 * PER_KIND);
    assert!(ok > 0, "some mutated links still decode");
}
