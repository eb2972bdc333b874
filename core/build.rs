//! Compiles the shipped scenarios into the library (`sim::library`) with
//! the JSON's insignificant white space removed: the files in `scenarios/`
//! stay readable, the page's wasm carries only what parses (about 1 KB
//! less gzipped). Text inside strings is kept byte for byte.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("scenarios");
    println!("cargo:rerun-if-changed={}", root.display());
    for sub in ["", "bugs"] {
        let dir = root.join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        std::fs::create_dir_all(out.join(sub)).expect("create OUT_DIR/scenarios");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&p).expect("read a scenario");
                let name = p.file_name().expect("a file name");
                std::fs::write(out.join(sub).join(name), minify(&text)).expect("write a scenario");
            }
        }
    }
}

/// JSON without the white space between tokens.
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}
