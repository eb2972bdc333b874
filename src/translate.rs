//! The catalogue's translator: English text in, the page's language out.
//!
//! The views are written in English. For another language the page loads
//! that language's catalogue (`www/i18n/zh.json`: English → Chinese) and
//! the first-load module translates what the page shows, as it appears
//! (`platform::translator`). So an English page carries no translation
//! code or data at all, and the views stay as small as their literals.
//!
//! A catalogue entry is either a whole string or a template with
//! `{name}` placeholders, written as the view's `format!` writes it:
//! `"S{id}, {role}, term {term}"` → `"S{id}，{role}，任期 {term}"`. A
//! placeholder takes any text that is translatable itself ("leader") or
//! has no English word in it (numbers, ids, `k1=v2`); a placeholder whose
//! name starts with `_` (`{_value}`) takes any text and keeps it as it is
//! (the reader's data: keys, values, JSON). A string made of
//! pieces (`"S2, leader, term 3" + ", crashed"`) is translated piece by
//! piece, split where a piece starts with `", "`, `"; "`, `" · "` or
//! `". "`. What cannot be translated is left as it is and reported by
//! [`Catalogue::translate`] as `None`, which the tests turn into a
//! failure.

use std::collections::BTreeMap;

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Lit(String),
    Hole(String),
}

#[derive(Clone, Debug)]
struct Template {
    from: Vec<Part>,
    to: Vec<Part>,
    /// Literal characters in `from`: the more, the more specific.
    weight: usize,
}

/// A catalogue, ready to translate.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    exact: BTreeMap<String, String>,
    templates: Vec<Template>,
}

/// Where a string may be cut into separately translated pieces: before
/// each of these.
const JOINS: &[&str] = &[", ", "; ", " · ", ". ", " ("];

/// Does `s` hold an English word (two ASCII letters in a row)?
pub fn has_words(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic())
}

fn parts(s: &str) -> Result<Vec<Part>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else {
            return Err(format!("\"{s}\": a '{{' without its '}}'"));
        };
        let name = &rest[i + 1..i + j];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("\"{s}\": {{{name}}} is not a placeholder name"));
        }
        if i > 0 {
            out.push(Part::Lit(rest[..i].to_string()));
        }
        if matches!(out.last(), Some(Part::Hole(_))) {
            return Err(format!("\"{s}\": two placeholders in a row"));
        }
        out.push(Part::Hole(name.to_string()));
        rest = &rest[i + j + 1..];
    }
    if !rest.is_empty() {
        out.push(Part::Lit(rest.to_string()));
    }
    Ok(out)
}

fn holes(p: &[Part]) -> Vec<&str> {
    let mut v: Vec<&str> = p
        .iter()
        .filter_map(|p| match p {
            Part::Hole(h) => Some(h.as_str()),
            Part::Lit(_) => None,
        })
        .collect();
    v.sort_unstable();
    v
}

impl Catalogue {
    /// Read a catalogue: a JSON object of English → translation. Refused:
    /// anything but strings, an empty translation, a template whose
    /// translation has other placeholders than its English.
    pub fn parse(json: &str) -> Result<Catalogue, String> {
        let map: BTreeMap<String, String> = serde_json::from_str(json)
            .map_err(|e| format!("the catalogue is not a JSON object of strings: {e}"))?;
        Catalogue::from_map(map)
    }

    /// A catalogue from its entries (as [`Catalogue::parse`] checks them).
    pub fn from_map(map: BTreeMap<String, String>) -> Result<Catalogue, String> {
        let mut c = Catalogue::default();
        for (k, v) in map {
            c.add(&k, &v)?;
        }
        Ok(c)
    }

    /// Add one entry (a later entry for the same English replaces it).
    pub fn add(&mut self, english: &str, translation: &str) -> Result<(), String> {
        let (k, v) = (english.trim(), translation.trim());
        if k.is_empty() || v.is_empty() {
            return Err(format!("the catalogue's entry for \"{english}\" is empty"));
        }
        if !k.contains('{') {
            self.exact.insert(k.to_string(), v.to_string());
            return Ok(());
        }
        let (from, to) = (parts(k)?, parts(v)?);
        if holes(&from) != holes(&to) {
            return Err(format!(
                "\"{english}\": its translation \"{translation}\" has other placeholders"
            ));
        }
        let weight = from
            .iter()
            .map(|p| match p {
                Part::Lit(l) => l.len(),
                Part::Hole(_) => 0,
            })
            .sum();
        self.templates.retain(|t| t.from != from);
        let at = self.templates.partition_point(|t| t.weight >= weight);
        self.templates.insert(at, Template { from, to, weight });
        Ok(())
    }

    /// Entries in all.
    pub fn len(&self) -> usize {
        self.exact.len() + self.templates.len()
    }

    /// No entries?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `text` in the catalogue's language; `None` if it has English words
    /// the catalogue cannot translate. Text without English words comes
    /// back as it is. The whitespace around it is kept.
    pub fn translate(&self, text: &str) -> Option<String> {
        let core = text.trim();
        if !has_words(core) {
            return Some(text.to_string());
        }
        let start = text.len() - text.trim_start().len();
        let end = start + core.len();
        let t = self.whole(core, 0)?;
        Some(format!("{}{t}{}", &text[..start], &text[end..]))
    }

    /// A trimmed string: an entry, a template, or pieces.
    fn whole(&self, s: &str, depth: u8) -> Option<String> {
        if depth > 6 {
            return None;
        }
        if !has_words(s) {
            return Some(s.to_string());
        }
        if let Some(t) = self.exact.get(s) {
            return Some(t.clone());
        }
        if let Some(t) = self.templated(s, depth) {
            return Some(t);
        }
        // Pieces: the first piece whole, the rest (which starts with its
        // join) recursively.
        for (i, _) in s.char_indices().skip(1) {
            let rest = &s[i..];
            let Some(join) = JOINS.iter().find(|j| rest.starts_with(**j)) else {
                continue;
            };
            // Sentences: each with its full stop ("S4 crashed. S3 is …").
            if *join == ". " {
                if let (Some(head), Some(tail)) = (
                    self.whole(&s[..=i], depth + 1),
                    self.whole(&rest[2..], depth + 1),
                ) {
                    return Some(format!("{head}{tail}"));
                }
            }
            let Some(head) = self.whole(&s[..i], depth + 1) else {
                continue;
            };
            // The piece with its join as an entry has it (", crashed"),
            // else the join in the translation's punctuation.
            if let Some(tail) = self.whole(rest.trim_start(), depth + 1) {
                let space = if rest.starts_with(' ') { " " } else { "" };
                return Some(format!("{head}{space}{tail}"));
            }
            if let Some(tail) = self.whole(&rest[join.len()..], depth + 1) {
                return Some(format!("{head}{}{tail}", join_in_translation(join)));
            }
        }
        None
    }

    fn templated(&self, s: &str, depth: u8) -> Option<String> {
        for t in &self.templates {
            let mut got = Vec::new();
            if self.fit(&t.from, s, depth, &mut got) {
                let mut out = String::new();
                for p in &t.to {
                    match p {
                        Part::Lit(l) => out.push_str(l),
                        Part::Hole(h) => {
                            if let Some((_, v)) = got.iter().find(|(n, _)| n == h) {
                                out.push_str(v);
                            }
                        }
                    }
                }
                return Some(out);
            }
        }
        None
    }

    /// Does `s` fit the template `from`? Fills `got` with each
    /// placeholder's value, translated.
    fn fit(&self, from: &[Part], s: &str, depth: u8, got: &mut Vec<(String, String)>) -> bool {
        match from.split_first() {
            None => s.is_empty(),
            Some((Part::Lit(l), rest)) => {
                s.starts_with(l.as_str()) && self.fit(rest, &s[l.len()..], depth, got)
            }
            Some((Part::Hole(h), rest)) => {
                // The shortest value that lets the rest fit.
                let ends: Vec<usize> = match rest.first() {
                    None => vec![s.len()],
                    Some(Part::Lit(next)) => {
                        s.match_indices(next.as_str()).map(|(i, _)| i).collect()
                    }
                    Some(Part::Hole(_)) => return false,
                };
                for e in ends.into_iter().filter(|&e| e > 0) {
                    let v = &s[..e];
                    let kept = h.starts_with('_').then(|| v.to_string());
                    let Some(tv) = kept.or_else(|| self.value(v, depth)) else {
                        continue;
                    };
                    let mark = got.len();
                    got.push((h.clone(), tv));
                    if self.fit(rest, &s[e..], depth, got) {
                        return true;
                    }
                    got.truncate(mark);
                }
                false
            }
        }
    }

    /// A placeholder's value: kept if it has no English word, else
    /// translated.
    fn value(&self, v: &str, depth: u8) -> Option<String> {
        if v.is_empty() {
            return None;
        }
        if v.trim() != v {
            return None;
        }
        // A number or a name ("0.25", "S3", "1..=4"): one token. Text with
        // spaces is a phrase, which must translate.
        if !has_words(v) {
            return (!v.contains(char::is_whitespace)).then(|| v.to_string());
        }
        self.whole(v, depth + 1)
    }
}

/// A join between two translated pieces, in Chinese punctuation.
fn join_in_translation(join: &str) -> &'static str {
    match join {
        ", " => "，",
        "; " => "；",
        ". " => "。",
        " (" => "（",
        _ => " · ",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(entries: &[(&str, &str)]) -> Catalogue {
        Catalogue::from_map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .expect("a catalogue")
    }

    #[test]
    fn entries_templates_and_values() {
        let c = cat(&[
            ("leader", "领导者"),
            ("S{id}, {role}, term {term}", "S{id}，{role}，任期 {term}"),
            (", crashed", "，已崩溃"),
            (", voted for S{server}", "，已投票给 S{server}"),
            ("Crash S{id}", "让 S{id} 崩溃"),
        ]);
        assert_eq!(c.translate("leader").as_deref(), Some("领导者"));
        assert_eq!(c.translate("  leader ").as_deref(), Some("  领导者 "));
        assert_eq!(c.translate("Crash S3").as_deref(), Some("让 S3 崩溃"));
        assert_eq!(
            c.translate("S2, leader, term 3").as_deref(),
            Some("S2，领导者，任期 3")
        );
        assert_eq!(
            c.translate("S2, leader, term 3, voted for S2, crashed")
                .as_deref(),
            Some("S2，领导者，任期 3，已投票给 S2，已崩溃")
        );
        // Sentences, each an entry with its full stop.
        let s = cat(&[
            ("S{id} crashed.", "S{id} 崩溃了。"),
            ("It is over.", "结束了。"),
        ]);
        assert_eq!(
            s.translate("S4 crashed. It is over.").as_deref(),
            Some("S4 崩溃了。结束了。")
        );
        // An untranslatable word in a value, or an unknown string.
        assert_eq!(c.translate("S2, boss, term 3"), None);
        assert_eq!(c.translate("Crash everything"), None);
        // No English words: as it is.
        assert_eq!(c.translate("3.5 · 12").as_deref(), Some("3.5 · 12"));
        assert_eq!(c.translate("S1").as_deref(), Some("S1"));
    }

    #[test]
    fn data_placeholders_keep_their_words() {
        let c = cat(&[
            ("put {_kv}", "写入 {_kv}"),
            ("Reply(op {op}: {result})", "Reply(操作 {op}：{result})"),
            ("value {_v}", "值 {_v}"),
        ]);
        assert_eq!(c.translate("put x=last").as_deref(), Some("写入 x=last"));
        assert_eq!(
            c.translate("Reply(op 3: value \"stale\")").as_deref(),
            Some("Reply(操作 3：值 \"stale\")")
        );
    }

    #[test]
    fn the_more_specific_template_wins() {
        let c = cat(&[("{n} ms", "{n} 毫秒"), ("at {n} ms", "在 {n} 毫秒")]);
        assert_eq!(c.translate("at 3 ms").as_deref(), Some("在 3 毫秒"));
        assert_eq!(c.translate("3 ms").as_deref(), Some("3 毫秒"));
        // A lone letter is no word: "3 s" needs no translation.
        assert_eq!(c.translate("3 s").as_deref(), Some("3 s"));
    }

    #[test]
    fn bad_catalogues_are_refused() {
        assert!(Catalogue::parse("[1]").is_err());
        assert!(Catalogue::parse(r#"{"a b": ""}"#).is_err());
        assert!(Catalogue::parse(r#"{"S{id} up": "S{n} 在"}"#).is_err());
        assert!(Catalogue::parse(r#"{"S{id up": "x"}"#).is_err());
        assert!(Catalogue::parse(r#"{"{a}{b}": "x{a}{b}"}"#).is_err());
        assert!(Catalogue::parse(r#"{"ok": "好"}"#).is_ok());
    }
}
