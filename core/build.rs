//! Compiles the shipped scenarios into the library (`sim::library`, with
//! the `library` feature: the command line and the tests; the page fetches
//! the files instead) with the JSON's insignificant white space removed.
//! Text inside strings is kept byte for byte.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("scenarios");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut arms = String::new();
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
                let rel = if sub.is_empty() {
                    name.to_string_lossy().into_owned()
                } else {
                    format!("{sub}/{}", name.to_string_lossy())
                };
                arms.push_str(&format!(
                    "        {rel:?} => Some(include_str!(concat!(env!(\"OUT_DIR\"), \"/scenarios/{rel}\"))),\n"
                ));
            }
        }
    }
    write_index(out.parent().expect("OUT_DIR/scenarios has a parent"), &arms);
}

/// `library_texts.rs`: `by_path`, every shipped file's text by its path.
fn write_index(out: &Path, arms: &str) {
    let code = format!(
        "/// A shipped file's minified text by its path under `scenarios/`.\n\
         fn by_path(path: &str) -> Option<&'static str> {{\n    match path {{\n{arms}        _ => None,\n    }}\n}}\n"
    );
    std::fs::write(out.join("library_texts.rs"), code).expect("write library_texts.rs");
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
