//! The Chinese catalogue (issue 13), `www/i18n/zh.json`: the page's
//! English → Chinese, as `quorum_app::translate` applies it.
//!
//! Fails when:
//! - the catalogue is malformed, or an entry is left in English;
//! - a string a view shows (a `{"…"}` child, an `aria-label`, `title` or
//!   `placeholder`, a `format!` in `src/view/`) has no translation;
//! - an event-log line of any shipped scenario (lessons, the paper's
//!   figures, lab runs, planted bugs with their broken properties) has
//!   none, or keeps English words;
//! - a safety property, a planted bug or a library entry has none.
//!
//! The end-to-end test `e2e/i18n.test.mjs` checks the page itself, in
//! Chinese, state by state.

use quorum_app::translate::{has_words, Catalogue};
use quorum_core::sim::describe::{format_line, EventLog};
use quorum_core::sim::library::{self, ENTRIES};
use quorum_core::sim::Lab;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn entries() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("www/i18n/zh.json")).expect("www/i18n/zh.json");
    serde_json::from_str(&text).expect("a JSON object of strings")
}

fn catalogue() -> Catalogue {
    let text = std::fs::read_to_string(root().join("www/i18n/zh.json")).expect("www/i18n/zh.json");
    Catalogue::parse(&text).expect("a valid catalogue")
}

/// Words that stay as they are in every language: the product, the
/// protocol and its messages as the papers name them, the key-value
/// store's operations.
const KEEP: &[&str] = &[
    "Quorum",
    "Raft",
    "RequestVote",
    "AppendEntries",
    "VoteGranted",
    "VoteDenied",
    "Heartbeat",
    "AppendOk",
    "AppendRejected",
    "PreVote",
    "PreVoteGranted",
    "PreVoteDenied",
    "TimeoutNow",
    "InstallSnapshot",
    "SnapshotReceived",
    "CheckQuorum",
    "ReadIndex",
    "Request",
    "Reply",
    "NotLeader",
    "put",
    "get",
    "cas",
    "ok",
    "matchIndex",
    "nextIndex",
    "commitIndex",
    "lastApplied",
    "currentTerm",
    "votedFor",
    "log",
    "Fig",
    "CAP",
    "SVG",
    "PNG",
    "JSON",
    "JSONL",
    "Lines",
];

fn cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The English words left in `s` that are not [`KEEP`] words (nor
/// inside a JSON value or a code identifier).
fn english_left(s: &str) -> Vec<String> {
    // Placeholders aside.
    let s: String = s
        .split('{')
        .enumerate()
        .map(|(i, p)| {
            if i == 0 {
                p
            } else {
                p.split_once('}').map_or(p, |x| x.1)
            }
        })
        .collect();
    // The command line is code, as are the reader's data (`x=stale-1`,
    // JSON) and flags.
    let s = s.replace("quorum run", "");
    let mut left = Vec::new();
    let data =
        |t: &str| ['=', '"', '_', '\''].iter().any(|c| t.contains(*c)) || t.starts_with("--");
    let words = s
        .split_whitespace()
        .filter(|t| !data(t))
        .flat_map(|t| t.split(|c: char| !c.is_ascii_alphanumeric()));
    for w in words {
        let word = w.trim_matches(|c: char| c.is_ascii_digit());
        if word.len() >= 2 && word.chars().all(|c| c.is_ascii_alphabetic()) && !KEEP.contains(&word)
        {
            left.push(word.to_string());
        }
    }
    left
}

#[test]
fn the_catalogue_is_chinese_with_the_same_placeholders() {
    let map = entries();
    assert!(map.len() > 300, "a whole catalogue: {}", map.len());
    let cat = catalogue();
    assert_eq!(cat.len(), map.len(), "no entry twice");
    for (k, v) in &map {
        // The literal text around the placeholders.
        let literal: String = k
            .split('{')
            .map(|p| p.split_once('}').map_or(p, |x| x.1))
            .collect();
        if has_words(&literal) && english_left(k).len() > english_left(v).len() {
            assert!(cjk(v), "{k:?} is left in English: {v:?}");
        }
        let left = english_left(v);
        assert!(
            left.is_empty(),
            "{k:?} → {v:?} keeps English words {left:?}"
        );
    }
}

/// The Rust string literal starting at `s[0] == '"'` (escapes read), and
/// its length in bytes.
fn literal(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '\'' => out.push('\''),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            c => out.push(c),
        }
    }
    None
}

/// `format!`'s `{name}`, `{}`, `{:.1}`, `{x:?}` filled with `1`; `{{`
/// and `}}` as braces.
fn filled(fmt: &str) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                }
                out.push('1');
            }
            c => out.push(c),
        }
    }
    out
}

/// Strings in the views that are not words for the reader: class names
/// and SVG transforms built with `format!`, data written to the store,
/// code, and the language picker's own names.
const NOT_WORDS: &[&str] = &[
    "series s1",
    "sw s1",
    "translate(1,1)",
    "via S1",
    "quorum run",
    "Quorum",
    "English",
    "dot",
    "dot bad",
    "button",
    "img",
];

fn short(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// What the views show: `{"…"}` children, `aria-label="…"`, `title="…"`,
/// `placeholder="…"` and `format!("…")`, in every file of `src/view/`
/// and in what the live region says (`src/announce.rs`); lines in
/// comments, `translate="no"` lines and tests aside.
fn view_strings() -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("src/view"))
        .expect("src/view")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    // What the live region says.
    files.push(root().join("src/announce.rs"));
    for p in files {
        let text = std::fs::read_to_string(&p).expect("a source");
        // Not the tests' strings.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") || line.contains("translate=\"no\"") {
                continue;
            }
            for pat in [
                "{\"",
                "{ \"",
                "aria-label=\"",
                "title=\"",
                "placeholder=\"",
                "format!(\"",
            ] {
                let mut from = 0;
                while let Some(i) = line[from..].find(pat) {
                    let at = from + i + pat.len() - 1;
                    let Some((s, len)) = literal(&line[at..]) else {
                        from = at + 1;
                        continue;
                    };
                    from = at + len;
                    let s = if pat.starts_with("format!") {
                        filled(&s)
                    } else {
                        s
                    };
                    // CSS, ids, classes and styles are no words to show.
                    let markup = s.contains(':') && !s.contains(' ')
                        || s.starts_with('#')
                        || s.starts_with("--")
                        || NOT_WORDS.contains(&s.as_str());
                    if has_words(&s) && !markup {
                        found.push((format!("{}:{}", short(&p), n + 1), s));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn every_string_the_views_show_is_translated() {
    let cat = catalogue();
    let shown = view_strings();
    assert!(shown.len() > 200, "the views were read: {}", shown.len());
    let missing: Vec<String> = shown
        .iter()
        .filter(|(_, s)| cat.translate(s).is_none())
        .map(|(at, s)| format!("{at}: {s:?}"))
        .collect();
    assert!(
        missing.is_empty(),
        "{} view strings missing from www/i18n/zh.json:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn every_event_log_line_of_every_shipped_scenario_is_translated() {
    let cat = catalogue();
    let mut missing = BTreeSet::new();
    let mut english = BTreeSet::new();
    let mut lines = 0;
    // The shipped scenarios, and the switches none of them turns on yet
    // (PreVote, CheckQuorum), with a server cut off and back.
    let switched = quorum_core::sim::Scenario::parse(
        r#"{"version":1,"nodes":5,"seed":11,"duration_ms":6000,
            "raft":{"pre_vote":true,"check_quorum":true},
            "events":[{"do":"partition","at_ms":1000,"groups":[[1]]},
                      {"do":"cut","at_ms":2000,"from":2,"to":3},
                      {"do":"heal","at_ms":4000}]}"#,
    )
    .expect("a valid scenario")
    .file;
    let files = ENTRIES
        .iter()
        .map(|e| library::get(e.id).expect("a shipped scenario"))
        .chain(std::iter::once(switched));
    for file in files {
        let mut lab = Lab::with_checks(file, true).expect("it loads");
        while !lab.at_end() {
            lab.advance(100_000);
        }
        let mut log = EventLog::new();
        for r in lab.sim().trace() {
            let Some(l) = log.line(r) else { continue };
            lines += 1;
            let text = format_line(&l);
            match cat.translate(&text) {
                None => {
                    // One line of each shape (numbers aside).
                    let shape: String = l
                        .text
                        .chars()
                        .map(|c| if c.is_ascii_digit() { '#' } else { c })
                        .collect();
                    missing.insert(shape.replace("##", "#").replace("##", "#"));
                }
                Some(t) => {
                    let left = english_left(&t);
                    if !left.is_empty() {
                        english.insert(format!("{t:?} keeps {left:?}"));
                    }
                }
            }
        }
    }
    assert!(lines > 1000, "the scenarios ran: {lines} lines");
    let missing: Vec<String> = missing.into_iter().take(200).collect();
    assert!(
        missing.is_empty(),
        "event-log lines without a translation (one of each shape, # a number):\n{}",
        missing.join("\n")
    );
    let english: Vec<String> = english.into_iter().take(60).collect();
    assert!(english.is_empty(), "{}", english.join("\n"));
}

#[test]
fn every_library_entry_property_and_bug_is_translated() {
    let cat = catalogue();
    let mut missing = Vec::new();
    let mut check = |s: &str| {
        if cat.translate(s).is_none() {
            missing.push(s.to_string());
        }
    };
    for e in ENTRIES {
        check(e.name);
    }
    for p in quorum_core::sim::Property::ALL {
        check(p.name());
        check(p.rule());
    }
    assert!(missing.is_empty(), "missing: {missing:#?}");
}
