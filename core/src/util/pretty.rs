//! Pretty-printing compact JSON text, byte for byte as serde_json's
//! `to_string_pretty` would (two-space indent, `": "`, `[]` and `{}` kept
//! empty). The page serializes each type once, compactly, and indents the
//! text: a second, pretty instantiation of every type's `Serialize` would
//! cost the bundle kilobytes.

use serde::Serialize;

/// `x` as pretty JSON (empty if it cannot be serialized).
pub fn to_string_pretty<T: Serialize + ?Sized>(x: &T) -> String {
    serde_json::to_string(x)
        .map(|t| indent(&t))
        .unwrap_or_default()
}

/// Indent compact JSON text (as serde_json writes it: no whitespace
/// outside strings).
pub fn indent(compact: &str) -> String {
    let b = compact.as_bytes();
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                // Copy the string, escapes included.
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.push_str(&compact[start..i]);
                continue;
            }
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                if b.get(i + 1) == Some(&close) {
                    out.push(c as char);
                    out.push(close as char);
                    i += 2;
                    continue;
                }
                out.push(c as char);
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c as char);
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            b':' => out.push_str(": "),
            _ => {
                // A number, `true`, `false` or `null`: copy up to the next
                // structural byte (all ASCII).
                let start = i;
                while i < b.len() && !matches!(b[i], b',' | b'}' | b']' | b':' | b'"') {
                    i += 1;
                }
                out.push_str(&compact[start..i]);
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indents_as_serde_json_does() {
        let v = json!({
            "version": 1,
            "name": "a \"quoted\" name, with {braces} and [brackets]: ok\\",
            "empty": [],
            "none": {},
            "nested": [{"a": [1, 2.5, -3e-7], "b": null}, true, false, "é✓"],
            "clients": {"count": 2}
        });
        let compact = serde_json::to_string(&v).unwrap();
        assert_eq!(indent(&compact), serde_json::to_string_pretty(&v).unwrap());
        assert_eq!(
            to_string_pretty(&v),
            serde_json::to_string_pretty(&v).unwrap()
        );
        assert_eq!(indent("[]"), "[]");
        assert_eq!(indent("7"), "7");
    }

    #[cfg(feature = "library")]
    #[test]
    fn a_shipped_scenario_pretty_prints_the_same() {
        for e in crate::sim::library::ENTRIES {
            let s = crate::sim::Scenario::parse(crate::sim::library::text(e.id).unwrap()).unwrap();
            assert_eq!(
                to_string_pretty(&s.file),
                serde_json::to_string_pretty(&s.file).unwrap(),
                "{}",
                e.id
            );
        }
    }
}
