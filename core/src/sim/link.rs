//! Share links: a whole run (scenario, seed, every recorded action), the
//! moment being looked at and the view options, in a URL fragment.
//!
//! `#q1.` + base64url(deflate(JSON)). The `1` is the link format: a link
//! from a newer format is refused by name, never misread. A scenario from
//! the shipped library travels as its id plus the actions taken since.
//! Decoding is bounded at every step (length, unpacked size, every limit
//! of the scenario format) and never panics.
//!
//! The payload carries the simulator behaviour the link was made with
//! (`b`; see [`super::behaviour`]; absent in links made before it was
//! recorded: behaviour 1). An older one opens, and the caller learns it so
//! it can say the run may differ; a newer one is refused by name.

use super::behaviour::{self, Older, BEHAVIOUR, UNVERSIONED_LINK};
#[cfg(feature = "library")]
use super::library;
use super::scenario::{EventSpec, Scenario, ScenarioError, ScenarioFile, MAX_NODES};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The link format this build writes and reads.
pub const LINK_VERSION: u32 = 1;
/// The longest fragment accepted (characters after `#`).
pub const MAX_LINK_CHARS: usize = 256 * 1024;
/// The most a fragment may unpack to: a zip bomb stops here.
pub const MAX_UNPACKED: usize = 1024 * 1024;

const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How the page looked: restored with the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ViewOptions {
    /// Playback speed (fraction of real time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// The space-time diagram's window, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_ms: Option<f64>,
    /// The event log's kinds (bit mask) and server filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kinds: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// The selected server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected: Option<u32>,
}

/// What a link holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The run's scenario; its `behaviour` is the link's.
    pub scenario: ScenarioFile,
    /// The simulator behaviour the link was made with (this build's or
    /// older).
    pub behaviour: u32,
    /// The moment to show, virtual ms.
    pub t_ms: f64,
    pub view: ViewOptions,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    /// The simulator behaviour it was made with (absent: 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<u32>,
    /// A library scenario's id...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lib: Option<String>,
    /// ...plus the actions recorded after it; or the whole scenario.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    e: Vec<EventSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<Box<serde_json::value::RawValue>>,
    t: f64,
    #[serde(default, skip_serializing_if = "is_default")]
    o: ViewOptions,
}

fn is_default(v: &ViewOptions) -> bool {
    *v == ViewOptions::default()
}

/// Why a link could not be opened, in words for the user.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkError {
    /// Not a Quorum link, or its bytes are broken.
    Damaged(String),
    /// Written by a newer Quorum.
    Newer(u32),
    /// Made with a newer simulator behaviour: this build cannot replay it.
    NewerBehaviour(u32),
    /// Longer than any real link, or unpacks too large.
    TooLarge(String),
    /// The scenario inside breaks a rule of the format.
    Scenario(ScenarioError),
    /// The moment is outside the run.
    Time(String),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Damaged(why) => write!(f, "this link is damaged ({why})"),
            LinkError::Newer(v) => write!(
                f,
                "this link is from a newer version of Quorum (link format {v}; this page reads format {LINK_VERSION})"
            ),
            LinkError::NewerBehaviour(b) => write!(
                f,
                "this link was made with simulator behaviour {b}, newer than this Quorum's ({BEHAVIOUR}): open it with an up-to-date Quorum to see the run that was shared"
            ),
            LinkError::TooLarge(why) => write!(f, "this link is too large ({why})"),
            LinkError::Scenario(e) => write!(f, "this link's scenario is not valid: {e}"),
            LinkError::Time(why) => write!(f, "this link's time is not valid: {why}"),
        }
    }
}

impl std::error::Error for LinkError {}

/// The scenario as JSON with every field that has its default left out
/// (the reader fills them in again), so links stay short.
fn compact(file: &ScenarioFile) -> Option<Box<serde_json::value::RawValue>> {
    // Through text, not `to_value`: the page then carries one serializer.
    let value = |f: &ScenarioFile| {
        serde_json::to_string(f)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    };
    // The behaviour travels once, outside the scenario.
    let mut v = value(&ScenarioFile {
        behaviour: None,
        ..file.clone()
    })?;
    // Through `Scenario::parse`, the page's one scenario deserializer (a
    // second instantiation would cost the bundle kilobytes).
    let base = Scenario::parse(r#"{"version":1,"nodes":1}"#)
        .ok()
        .and_then(|b| value(&b.file));
    if let (Value::Object(m), Some(Value::Object(b))) = (&mut v, base) {
        m.retain(|k, val| k == "version" || k == "nodes" || b.get(k) != Some(val));
    }
    serde_json::value::RawValue::from_string(v.to_string()).ok()
}

/// The fragment (with its `#`) for a run at `t_ms`: a shipped scenario
/// travels as its id.
#[cfg(feature = "library")]
pub fn encode(file: &ScenarioFile, t_ms: f64, view: &ViewOptions) -> String {
    encode_from(file, library::base_of(file), t_ms, view)
}

/// The fragment (with its `#`) for a run at `t_ms`; `base` is the library
/// entry the run started from and how many of its events came with it
/// ([`super::library::base_in`]), or `None` to carry the whole scenario.
pub fn encode_from(
    file: &ScenarioFile,
    base: Option<(&str, usize)>,
    t_ms: f64,
    view: &ViewOptions,
) -> String {
    let t = if t_ms.is_finite() { t_ms.max(0.0) } else { 0.0 };
    let payload = match base {
        Some((id, n)) => Payload {
            b: Some(BEHAVIOUR),
            lib: Some(id.to_string()),
            e: file.events[n..].to_vec(),
            s: None,
            t,
            o: view.clone(),
        },
        None => Payload {
            b: Some(BEHAVIOUR),
            lib: None,
            e: Vec::new(),
            s: compact(file),
            t,
            o: view.clone(),
        },
    };
    let json = serde_json::to_vec(&payload).unwrap_or_default();
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    format!("#q{LINK_VERSION}.{}", B64.encode(packed))
}

/// Read a link: a whole URL, or its fragment with or without `#`.
#[cfg(feature = "library")]
pub fn decode(link: &str) -> Result<Link, LinkError> {
    let u = unpack(link)?;
    let base = u.library_id().and_then(library::get);
    u.finish(base)
}

/// A link unpacked but not yet opened: a link to a shipped scenario needs
/// that scenario ([`Unpacked::library_id`]), which the page fetches first.
#[derive(Debug)]
pub struct Unpacked {
    p: Payload,
    made_with: u32,
}

impl Unpacked {
    /// The shipped scenario this link is based on, if it is.
    pub fn library_id(&self) -> Option<&str> {
        self.p.lib.as_deref()
    }

    /// Open it; `base` is the shipped scenario named by
    /// [`Unpacked::library_id`], if there is one of that name.
    pub fn finish(self, base: Option<ScenarioFile>) -> Result<Link, LinkError> {
        finish(self.p, self.made_with, base)
    }
}

/// Check a link's packing and its format and behaviour numbers; the
/// scenario inside is checked by [`Unpacked::finish`].
pub fn unpack(link: &str) -> Result<Unpacked, LinkError> {
    let frag = match link.find('#') {
        Some(i) => &link[i + 1..],
        None => link,
    };
    let frag = frag.trim();
    if frag.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooLarge(format!(
            "{} characters; a link holds at most {MAX_LINK_CHARS}",
            frag.len()
        )));
    }
    let rest = frag
        .strip_prefix('q')
        .ok_or_else(|| LinkError::Damaged("it does not start with a Quorum marker".into()))?;
    let (ver, data) = rest
        .split_once('.')
        .ok_or_else(|| LinkError::Damaged("no format number".into()))?;
    if ver.is_empty() || ver.len() > 6 || !ver.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LinkError::Damaged("bad format number".into()));
    }
    let ver: u32 = ver
        .parse()
        .map_err(|_| LinkError::Damaged("bad format number".into()))?;
    if ver > LINK_VERSION {
        return Err(LinkError::Newer(ver));
    }
    if ver != LINK_VERSION {
        return Err(LinkError::Damaged(format!("unknown link format {ver}")));
    }
    let packed = B64
        .decode(data)
        .map_err(|_| LinkError::Damaged("its characters are not base64url".into()))?;
    let json =
        miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_UNPACKED).map_err(|e| {
            match e.status {
                miniz_oxide::inflate::TINFLStatus::HasMoreOutput => LinkError::TooLarge(format!(
                    "it unpacks to more than {} KB",
                    MAX_UNPACKED / 1024
                )),
                _ => LinkError::Damaged("its compressed data is broken".into()),
            }
        })?;
    let text =
        std::str::from_utf8(&json).map_err(|_| LinkError::Damaged("not text inside".into()))?;
    let p: Payload = serde_json::from_str(text)
        .map_err(|e| LinkError::Damaged(format!("unexpected contents: {e}")))?;
    let made_with = match p.b {
        None => UNVERSIONED_LINK,
        Some(b) if b > BEHAVIOUR => return Err(LinkError::NewerBehaviour(b)),
        Some(b) => behaviour::check(b).map_err(LinkError::Damaged)?,
    };
    Ok(Unpacked { p, made_with })
}

fn finish(p: Payload, made_with: u32, base: Option<ScenarioFile>) -> Result<Link, LinkError> {
    let mut file = match (p.lib, p.s) {
        (Some(id), None) => {
            base.ok_or_else(|| LinkError::Damaged(format!("no shipped scenario is called {id:?}")))?
        }
        (None, Some(raw)) => match Scenario::parse(raw.get()) {
            Ok(s) if s.file.behaviour.is_some() => {
                return Err(LinkError::Damaged(
                    "its scenario names a behaviour (a link carries it once, outside)".into(),
                ))
            }
            Ok(s) => s.file,
            Err(e) if e.path == "nodes" => {
                // Say plainly when a link asks for too big a cluster.
                let n = serde_json::from_str::<Value>(raw.get())
                    .ok()
                    .and_then(|v| v.get("nodes").and_then(Value::as_u64))
                    .unwrap_or(0);
                return Err(LinkError::Scenario(ScenarioError {
                    path: "nodes".into(),
                    message: if n > u64::from(MAX_NODES) {
                        format!("this link asks for {n} nodes; Quorum runs at most {MAX_NODES}")
                    } else {
                        e.message
                    },
                }));
            }
            Err(e) => return Err(LinkError::Scenario(e)),
        },
        _ => return Err(LinkError::Damaged("it holds no scenario".into())),
    };
    file.events.extend(p.e);
    file.behaviour = Some(made_with);
    let s = Scenario::from_file(file).map_err(LinkError::Scenario)?;
    let end = s.file.duration_ms;
    if !p.t.is_finite() || p.t < 0.0 || p.t > end {
        return Err(LinkError::Time(format!(
            "{} ms is outside the run (0..={end} ms)",
            p.t
        )));
    }
    if let Some(sp) = p.o.speed {
        if !sp.is_finite() || sp <= 0.0 {
            return Err(LinkError::Damaged("bad speed".into()));
        }
    }
    Ok(Link {
        scenario: s.file,
        behaviour: made_with,
        t_ms: p.t,
        view: p.o,
    })
}

impl Link {
    /// Made with an older behaviour than this build's: the run may differ
    /// from the one that was shared.
    pub fn older(&self) -> Option<Older> {
        Older::of(self.behaviour)
    }
}
