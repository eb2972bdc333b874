//! The architecture as a test (docs/architecture.md): dependencies point
//! one way, `protocol ← sim ← ui`, and no crate has an import circle
//! between its files. Reads the sources as text: every `crate::…` and
//! `super::…` path outside comments and test modules is an edge from its
//! file to the file that defines the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

type Module = Vec<String>;

/// Every `.rs` file under `src`, by module path (`sim::simulator::queue`).
fn modules(src: &Path) -> BTreeMap<Module, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read a source folder") {
            let p = e.expect("an entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(src).expect("under src").with_extension("");
                let mut m: Module = rel
                    .iter()
                    .map(|c| c.to_string_lossy().into_owned())
                    .collect();
                if matches!(m.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    m.pop();
                }
                if m.last().is_some_and(|l| l == "tests") {
                    continue; // test-only modules may reach anywhere
                }
                let text = std::fs::read_to_string(&p).expect("read a source file");
                // Product code only: stop at the unit tests.
                let code = text
                    .split("#[cfg(test)]\nmod tests")
                    .next()
                    .unwrap_or_default();
                out.entry(m).or_insert_with(String::new).push_str(code);
            }
        }
    }
    out
}

/// The paths after each `crate::` or `super::` in `code`, one level of
/// `{a::b, c}` groups expanded, as (anchor, segments).
fn paths(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut out = Vec::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        for (anchor, is_crate) in [("crate::", true), ("super::", false)] {
            let mut rest = line;
            while let Some(i) = rest.find(anchor) {
                let before = rest[..i].chars().last();
                rest = &rest[i + anchor.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // e.g. `quorum_core::…` is another crate
                }
                let mut supers = 0;
                while let Some(r) = rest.strip_prefix("super::") {
                    supers += 1;
                    rest = r;
                }
                let mut heads = Vec::new();
                if let Some(group) = rest.strip_prefix('{') {
                    let inner = group.split('}').next().unwrap_or_default();
                    heads.extend(inner.split(',').map(str::trim).map(str::to_string));
                } else {
                    heads.push(rest.to_string());
                }
                for h in heads {
                    let segs: Vec<String> = h
                        .split("::")
                        .map(|s| {
                            s.chars()
                                .take_while(|c| c.is_alphanumeric() || *c == '_')
                                .collect()
                        })
                        .take_while(|s: &String| !s.is_empty())
                        .collect();
                    let mut v = vec!["super".to_string(); supers];
                    v.extend(segs);
                    out.push((is_crate, v));
                }
            }
        }
    }
    out
}

/// File-level import edges of one crate (to ancestors excluded: a child
/// module may use what its parent defines).
fn edges(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let mods = modules(src);
    let mut g: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, code) in &mods {
        let targets = g.entry(m.clone()).or_default();
        for (is_crate, segs) in paths(code) {
            let mut path: Module = if is_crate {
                Vec::new()
            } else {
                m[..m.len().saturating_sub(1)].to_vec()
            };
            for s in segs {
                if s == "super" {
                    path.pop();
                } else {
                    path.push(s);
                }
            }
            let target = (0..=path.len())
                .rev()
                .map(|k| path[..k].to_vec())
                .find(|p| mods.contains_key(p));
            if let Some(t) = target {
                if t != *m && !m.starts_with(&t) {
                    targets.insert(t);
                }
            }
        }
    }
    g
}

fn cycle(g: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<String>> {
    fn visit(
        u: &Module,
        g: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<String>> {
        state.insert(u.clone(), 1);
        stack.push(u.clone());
        for v in g.get(u).into_iter().flatten() {
            match state.get(v).copied().unwrap_or(0) {
                0 => {
                    if let Some(c) = visit(v, g, state, stack) {
                        return Some(c);
                    }
                }
                1 => {
                    let from = stack.iter().position(|x| x == v).unwrap_or(0);
                    let mut c: Vec<String> = stack[from..].iter().map(|m| m.join("::")).collect();
                    c.push(v.join("::"));
                    return Some(c);
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(u.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for u in g.keys() {
        if state.get(u).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(u, g, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

const CRATES: [&str; 5] = ["src", "core/src", "cli/src", "verify/src", "wasm-trace/src"];

#[test]
fn no_crate_has_an_import_circle() {
    for c in CRATES {
        let g = edges(&workspace().join(c));
        assert!(g.len() > 1 || c != "src", "{c}: no modules found");
        if let Some(cyc) = cycle(&g) {
            panic!("{c}: import circle {}", cyc.join(" -> "));
        }
    }
}

#[test]
fn dependencies_point_one_way() {
    let g = edges(&workspace().join("core/src"));
    for (m, targets) in &g {
        let layer = m.first().map(String::as_str);
        for t in targets {
            let to = t.first().map(String::as_str);
            let ok = match layer {
                Some("util") => to == Some("util"),
                Some("protocol") => matches!(to, Some("protocol" | "util")),
                _ => true,
            };
            assert!(
                ok,
                "{} imports {} against protocol <- sim",
                m.join("::"),
                t.join("::")
            );
        }
    }
    // The UI: only the crate root mounts the component shell, and the
    // model/update never touch the browser.
    let src = workspace().join("src");
    let ui = edges(&src);
    for (m, targets) in &ui {
        let shell = vec!["app".to_string()];
        assert!(
            m.is_empty() || !targets.contains(&shell),
            "{} imports the shell",
            m.join("::")
        );
    }
    for (m, code) in modules(&src) {
        if m.first().is_some_and(|x| x == "state") {
            for banned in ["web_sys", "js_sys", "wasm_bindgen"] {
                assert!(!code.contains(banned), "{} uses {banned}", m.join("::"));
            }
        }
    }
}

#[test]
fn the_checker_sees_a_circle_when_there_is_one() {
    // The test above must be able to fail: a made-up pair of modules that
    // import each other is found.
    let mut g: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let (a, b) = (vec!["a".to_string()], vec!["b".to_string()]);
    g.entry(a.clone()).or_default().insert(b.clone());
    g.entry(b.clone()).or_default().insert(a.clone());
    assert_eq!(cycle(&g), Some(vec!["a".into(), "b".into(), "a".into()]));
    // And real edges are read: the event log reads the trace.
    let core = edges(&workspace().join("core/src"));
    let describe = vec!["sim".to_string(), "describe".to_string()];
    assert!(core[&describe].contains(&vec!["sim".to_string(), "trace".to_string()]));
    let p = paths("use super::{describe::Wire, status::NodeStatus};\n// crate::x\nmy_crate::y");
    assert_eq!(
        p,
        vec![
            (false, vec!["describe".into(), "Wire".into()]),
            (false, vec!["status".into(), "NodeStatus".into()]),
        ]
    );
}
