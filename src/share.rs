//! Sharing a run: embed options from the query string and the files a run
//! exports (scenario, trace, ring as SVG). Pure: the browser side (the
//! download itself, messages to an embedding page) is in `platform`.

use crate::i18n::Lang;
use crate::ring::{node_pos, node_radius};
use quorum_core::protocol::Role;
use quorum_core::sim::{run_to_jsonl, Lab, Scenario};

/// Which panels show (bits), for embed mode's `panels=`.
pub const P_RING: u8 = 1;
pub const P_LOG: u8 = 2;
pub const P_LAMPORT: u8 = 4;
pub const P_EVENTS: u8 = 8;
pub const P_CHARTS: u8 = 16;
pub const P_SAFETY: u8 = 32;
pub const P_ALL: u8 = 63;

const PANEL_NAMES: [(&str, u8); 6] = [
    ("ring", P_RING),
    ("log", P_LOG),
    ("lamport", P_LAMPORT),
    ("events", P_EVENTS),
    ("charts", P_CHARTS),
    ("safety", P_SAFETY),
];

/// Options from the page's query string (`?embed=1&panels=ring,log&...`).
#[derive(Clone, Debug, PartialEq)]
pub struct Embed {
    pub on: bool,
    pub panels: u8,
    pub autoplay: bool,
    pub looping: bool,
    pub speed: Option<f64>,
    /// `quiet=0`: quiet time passes at the chosen speed too.
    pub skip_quiet: Option<bool>,
    pub lesson: Option<String>,
    pub seed: Option<u64>,
    /// `lang=zh`: the page's language, over the browser's.
    pub lang: Option<Lang>,
}

impl Default for Embed {
    fn default() -> Self {
        Embed {
            on: false,
            panels: P_ALL,
            autoplay: false,
            looping: false,
            speed: None,
            skip_quiet: None,
            lesson: None,
            seed: None,
            lang: None,
        }
    }
}

fn flag(v: &str) -> bool {
    matches!(v, "" | "1" | "true" | "yes" | "on")
}

/// Parse a query string; unknown keys and bad values are ignored (the
/// page still opens), so a hand-written embed URL cannot break it.
pub fn parse_query(search: &str) -> Embed {
    let mut e = Embed::default();
    for kv in search.trim_start_matches('?').split('&').take(64) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let v = js_decode(v);
        match k {
            "embed" => e.on = flag(&v),
            "autoplay" => e.autoplay = flag(&v),
            "loop" => e.looping = flag(&v),
            "speed" => {
                e.speed = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .map(|s| s.clamp(crate::lab::MIN_SPEED, crate::lab::MAX_SPEED))
            }
            "quiet" => e.skip_quiet = Some(flag(&v)),
            "lesson" if v.len() <= 64 => e.lesson = Some(v),
            "seed" => e.seed = v.parse().ok(),
            "lang" if !v.is_empty() && v.len() <= 35 => e.lang = Some(Lang::from_tag(&v)),
            "panels" => {
                let mut p = 0;
                for name in v.split(',') {
                    if let Some((_, bit)) = PANEL_NAMES.iter().find(|(n, _)| *n == name.trim()) {
                        p |= bit;
                    }
                }
                if p != 0 {
                    e.panels = p;
                }
            }
            _ => {}
        }
    }
    e
}

/// `%2C` → `,` and `+` → space; bad escapes stay as they are.
fn js_decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(x) => {
                        out.push(x);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The trace of the run up to now, exactly as `quorum run --until <now>
/// --trace` writes it.
pub fn trace_jsonl(lab: &Lab) -> String {
    let mut file = lab.scenario().clone();
    file.duration_ms = lab.now() as f64 / 1000.0;
    Scenario::from_file(file).map_or_else(|_| String::new(), |s| run_to_jsonl(&s))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The ring now as a standalone SVG (for slides): servers, links,
/// messages in flight, terms and roles, with the colours written in.
pub fn ring_svg(lab: &Lab) -> String {
    let sim = lab.sim();
    let n = sim.node_count();
    let now = sim.now();
    let r = node_radius(n);
    let mut s = String::from(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 600" width="600" height="600" font-family="sans-serif"><rect width="600" height="600" fill="#fff"/>"##,
    );
    for a in 1..=n {
        for b in (a + 1)..=n {
            let (x1, y1) = node_pos(a, n);
            let (x2, y2) = node_pos(b, n);
            let blocked =
                sim.network().blocked(a, b).is_some() || sim.network().blocked(b, a).is_some();
            s += &format!(
                r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-width="1.5"{}/>"##,
                if blocked { "#ffa8a8" } else { "#dee2e6" },
                if blocked {
                    r#" stroke-dasharray="6 6""#
                } else {
                    ""
                }
            );
        }
    }
    for m in sim.in_flight() {
        let (x, y) = crate::canvas::message_xy(&m, n, now);
        let (class, size, _) = crate::ring::message_class(m.msg);
        let (fill, stroke, _) = crate::canvas::style(class);
        s += &format!(
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="{size:.1}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>"#
        );
    }
    for m in sim.client_in_flight() {
        let (x, y) = crate::ring::client_message_xy(&m, n, now);
        let (class, size, _) = crate::ring::client_message_class(&m);
        let (fill, stroke, _) = crate::canvas::style(class);
        s += &format!(
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="{size:.1}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>"#
        );
    }
    for c in crate::ring::shown_clients(sim.client_count()) {
        let (x, y) = crate::ring::client_pos(c);
        let cr = crate::ring::CLIENT_RADIUS;
        s += &format!(
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="5" fill="#f3f0ff" stroke="#7048e8" stroke-width="3"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11" font-weight="700" fill="#212529">C{c}</text>"##,
            x - cr,
            y - cr,
            2.0 * cr,
            2.0 * cr,
            y + 4.0
        );
    }
    for id in 1..=n {
        let Some(node) = sim.node(id) else { continue };
        let (x, y) = node_pos(id, n);
        let up = sim.is_up(id);
        let color = crate::lab::term_color(node.current_term());
        let fill = match (up, node.role()) {
            (false, _) => "#f1f3f5",
            (_, Role::Leader) => "#d3f9d8",
            (_, Role::Candidate) => "#fff4e6",
            _ => "#f8f9fa",
        };
        s += &match node.role() {
            Role::Leader => format!(
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="8" fill="{fill}" stroke="{color}" stroke-width="4"/>"#,
                x - r,
                y - r,
                2.0 * r,
                2.0 * r
            ),
            Role::Candidate => format!(
                r#"<polygon points="{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}" fill="{fill}" stroke="{color}" stroke-width="4"/>"#,
                y - r * 1.2,
                x + r * 1.2,
                y + r * 1.2,
                x - r * 1.2
            ),
            Role::Follower => format!(
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{fill}" stroke="{color}" stroke-width="4"/>"#
            ),
        };
        s += &format!(
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="15" font-weight="700" fill="#212529">S{id}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="12" fill="{color}">T{}</text>"##,
            y - 3.0,
            y + 13.0,
            node.current_term()
        );
        if !up {
            s += &format!(
                r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="12" fill="#e03131">crashed</text>"##,
                y + r + 16.0
            );
        }
    }
    s += &format!(
        r##"<text x="300" y="596" text-anchor="middle" font-size="11" fill="#868e96">{} · seed {} · t = {:.3} s</text></svg>"##,
        esc(&lab.scenario().name),
        lab.scenario().seed,
        now as f64 / 1e6
    );
    s
}

/// A safe file name from a scenario name.
pub fn file_stem(name: &str, seed: u64) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    s = s.trim_matches('-').to_string();
    if s.is_empty() {
        s = "quorum".into();
    }
    format!("{s}-seed{seed}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_options_parse_and_bad_values_are_ignored() {
        let e = parse_query(
            "?embed=1&panels=ring%2Clog&autoplay&loop=0&speed=0.1&lesson=lesson-split-vote&x=<b>",
        );
        assert!(e.on && e.autoplay && !e.looping);
        assert_eq!(e.panels, P_RING | P_LOG);
        assert_eq!(e.speed, Some(0.1));
        assert_eq!(e.skip_quiet, None);
        assert_eq!(parse_query("?embed&quiet=0").skip_quiet, Some(false));
        assert_eq!(parse_query("?quiet").skip_quiet, Some(true));
        assert_eq!(e.lesson.as_deref(), Some("lesson-split-vote"));
        let bad = parse_query("?speed=-3&panels=nope&seed=x&lesson=");
        assert_eq!(bad.speed, None);
        assert_eq!(bad.panels, P_ALL);
        assert_eq!(bad.seed, None);
        assert_eq!(parse_query("?speed=1e9").speed, Some(crate::lab::MAX_SPEED));
        assert_eq!(parse_query("").panels, P_ALL);
        assert_eq!(parse_query("?lang=zh-CN").lang, Some(Lang::Zh));
        assert_eq!(parse_query("?lang=en").lang, Some(Lang::En));
        assert_eq!(parse_query("?lang=").lang, None);
        assert_eq!(js_decode("a%2"), "a%2");
        assert_eq!(js_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn an_exported_trace_is_the_clis_and_the_svg_is_well_formed() {
        let file = Scenario::parse(
            r#"{"version":1,"seed":5,"nodes":3,"duration_ms":5000,"name":"a <b> & c"}"#,
        )
        .unwrap()
        .file;
        let mut lab = Lab::new(file.clone(), false).unwrap();
        lab.advance(1_234_567);
        let mut f = file;
        f.duration_ms = 1234.567;
        let s = Scenario::from_file(f).unwrap();
        assert_eq!(trace_jsonl(&lab), quorum_core::sim::run_to_jsonl(&s));
        assert!(trace_jsonl(&lab)
            .lines()
            .last()
            .unwrap()
            .contains("\"ev\":\"end\""));
        let svg = ring_svg(&lab);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("a &lt;b&gt; &amp; c") && !svg.contains("<b>"));
        assert!(svg.matches("<text").count() >= 6);
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_stem("Fig. 8 (d)/../x", 3), "fig--8--d-----x-seed3");
        assert_eq!(file_stem("", 1), "quorum-seed1");
    }
}
