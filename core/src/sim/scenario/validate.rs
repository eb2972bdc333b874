//! Validation: a [`ScenarioFile`] as written becomes a [`Scenario`] ready to
//! run, or a [`ScenarioError`] naming the path of the first bad value. One
//! small validator per section (header, timing, network, clients, raft,
//! lesson, initial state; events in `event.rs`); they run in the
//! document's order, so the first error reported is always the same one.

use super::*;
use crate::protocol::{Bug, Command, Entry, Text};

pub(super) fn err<T>(
    path: impl Into<String>,
    message: impl Into<String>,
) -> Result<T, ScenarioError> {
    Err(ScenarioError {
        path: path.into(),
        message: message.into(),
    })
}

// --- values ---

/// Milliseconds (maybe fractional) to integer microseconds, within `0..=max_ms`.
pub fn ms_to_us(path: &str, ms: f64, max_ms: f64) -> Result<Micros, ScenarioError> {
    if !ms.is_finite() {
        return err(path, "must be a finite number of milliseconds");
    }
    if ms < 0.0 {
        return err(path, format!("{ms} is negative"));
    }
    if ms > max_ms {
        return err(path, format!("{ms} ms is over the limit of {max_ms} ms"));
    }
    // Exact IEEE multiply and round; no libm.
    Ok((ms * 1000.0).round() as Micros)
}

/// A timing parameter of at least `min_ms` (`path` for errors).
fn at_least_ms(path: &str, ms: f64, min_ms: f64) -> Result<Micros, ScenarioError> {
    let us = ms_to_us(path, ms, MAX_PARAM_MS)?;
    if ms < min_ms {
        return err(path, format!("must be at least {min_ms} ms"));
    }
    Ok(us)
}

pub(super) fn range_us(
    path: &str,
    r: [f64; 2],
    min_ms: f64,
) -> Result<(Micros, Micros), ScenarioError> {
    let lo = ms_to_us(&format!("{path}[0]"), r[0], MAX_PARAM_MS)?;
    let hi = ms_to_us(&format!("{path}[1]"), r[1], MAX_PARAM_MS)?;
    if r[0] < min_ms {
        return err(
            format!("{path}[0]"),
            format!("must be at least {min_ms} ms"),
        );
    }
    if lo > hi {
        return err(path, format!("the range [{}, {}] is reversed", r[0], r[1]));
    }
    Ok((lo, hi))
}

pub(super) fn probability(path: &str, p: f64) -> Result<f64, ScenarioError> {
    if !p.is_finite() || !(0.0..=1.0).contains(&p) {
        return err(path, format!("{p} is not a probability in [0, 1]"));
    }
    Ok(p)
}

pub(super) fn node_in(path: &str, id: NodeId, n: u32) -> Result<NodeId, ScenarioError> {
    if id == 0 || id > n {
        return err(
            path,
            format!("{id} is not a node of a {n}-node cluster (nodes are 1..={n})"),
        );
    }
    Ok(id)
}

/// A text of at most `limit` bytes.
fn text_within(path: impl Into<String>, text: &str, limit: usize) -> Result<(), ScenarioError> {
    if text.len() > limit {
        return err(
            path,
            format!("is {} bytes; the limit is {limit}", text.len()),
        );
    }
    Ok(())
}

pub(super) fn check_op(path: &str, op: &KvOp) -> Result<(), ScenarioError> {
    let (key, values): (&str, Vec<(&str, &str)>) = match op {
        KvOp::Put { key, value } => (key, vec![("value", value)]),
        KvOp::Get { key } => (key, vec![]),
        KvOp::Cas { key, expect, value } => {
            let mut v = vec![("value", &**value)];
            if let Some(e) = expect {
                v.push(("expect", e));
            }
            (key, v)
        }
    };
    text_within(format!("{path}.key"), key, MAX_KEY_LEN)?;
    for (name, v) in values {
        text_within(format!("{path}.{name}"), v, MAX_VALUE_LEN)?;
    }
    Ok(())
}

/// At most `limit` items in the list at `path`.
fn count_within(path: &str, what: &str, len: usize, limit: usize) -> Result<(), ScenarioError> {
    if len > limit {
        return err(path, format!("{len} {what}; the limit is {limit}"));
    }
    Ok(())
}

// --- the document, section by section ---

/// Parse one event (`{"do": "crash", ...}`, the page's API takes these)
/// with the deserializer `Scenario::parse` uses, so the page carries one
/// copy of the event code. The caller validates it in context.
pub fn parse_event(json: &str) -> Result<EventSpec, ScenarioError> {
    if json.len() > MAX_INPUT_BYTES {
        return err("", "the event is too large");
    }
    let de = &mut serde_json::Deserializer::from_str(json);
    let e: EventSpec =
        serde::Deserialize::deserialize(&mut *de).map_err(|e| deserialize_error(json, e))?;
    de.end().map_err(|e| ScenarioError {
        path: String::new(),
        message: format!("trailing characters after the event: {e}"),
    })?;
    Ok(e)
}

impl Scenario {
    /// Parse and validate a scenario document.
    pub fn parse(json: &str) -> Result<Scenario, ScenarioError> {
        if json.len() > MAX_INPUT_BYTES {
            return err(
                "",
                format!(
                    "the document is {} bytes; the limit is {MAX_INPUT_BYTES}",
                    json.len()
                ),
            );
        }
        if !json.trim_start().starts_with('{') {
            return err(
                "",
                "a scenario is a JSON object: {\"version\": 1, \"nodes\": 3, ...}",
            );
        }
        let de = &mut serde_json::Deserializer::from_str(json);
        let file: ScenarioFile =
            serde::Deserialize::deserialize(&mut *de).map_err(|e| deserialize_error(json, e))?;
        de.end().map_err(|e| ScenarioError {
            path: String::new(),
            message: format!("trailing characters after the scenario: {e}"),
        })?;
        Scenario::from_file(file)
    }

    /// Validate a document already in memory (the UI builds these).
    pub fn from_file(file: ScenarioFile) -> Result<Scenario, ScenarioError> {
        let n = header(&file)?;
        let (election_timeout, heartbeat, latency) = timing(&file.timing)?;
        let drop = probability("network.drop", file.network.drop)?;
        let duplicate = probability("network.duplicate", file.network.duplicate)?;
        let duration = ms_to_us("duration_ms", file.duration_ms, MAX_DURATION_MS)?;
        let clients = file
            .clients
            .as_ref()
            .map(|c| clients(c, election_timeout))
            .transpose()?;
        if let Some(l) = &file.liveness {
            ms_to_us("liveness.from_ms", l.from_ms, MAX_DURATION_MS)?;
            ms_to_us("liveness.within_ms", l.within_ms, MAX_DURATION_MS)?;
        }
        let (max_entries_per_append, max_inflight, bugs) = raft(&file.raft)?;
        lesson(&file)?;
        // Servers that join take the ids after the first `n`.
        let joined = joining(&file.events, n)?;
        let actions = events(&file.events, n + joined, file.client_total())?;
        let initial = initial(&file.initial, n)?;
        Ok(Scenario {
            seed: file.seed,
            nodes: n,
            election_timeout,
            heartbeat,
            latency,
            drop,
            duplicate,
            clients,
            duration,
            actions: actions.into(),
            initial,
            max_entries_per_append,
            max_inflight,
            bugs,
            pre_vote: file.raft.pre_vote,
            check_quorum: file.raft.check_quorum,
            read: file.raft.read,
            clock_drift_ppm: drift(file.timing.clock_drift)?,
            snapshot_every: within(
                "raft.snapshot_every",
                file.raft.snapshot_every,
                0,
                MAX_SNAPSHOT_EVERY,
            )?,
            snapshot_chunk: within(
                "raft.snapshot_chunk_entries",
                file.raft.snapshot_chunk_entries,
                1,
                MAX_SNAPSHOT_CHUNK,
            )?,
            membership: file.raft.membership,
            file,
        })
    }
}

/// A serde error, with its path (cut short if deeply nested): where in
/// the document the parser stopped, as `events[3].node`.
fn deserialize_error(json: &str, e: serde_json::Error) -> ScenarioError {
    let mut path = path_at(json, offset_of(json, e.line(), e.column()));
    if path.len() > 100 {
        // Deeply nested junk: keep the start, which says where it is.
        let cut = (0..=100)
            .rev()
            .find(|&i| path.is_char_boundary(i))
            .unwrap_or(0);
        path.truncate(cut);
        path.push('…');
    }
    ScenarioError {
        path,
        message: e.to_string(),
    }
}

/// The byte offset of 1-based `line` and `column` (serde_json counts
/// bytes), clamped to the text.
fn offset_of(json: &str, line: usize, column: usize) -> usize {
    let start: usize = json
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column).min(json.len())
}

/// The path of the value the text's first `end` bytes stop in: each open
/// object adds `.key` for its current key, each open array `[i]`. A small
/// scanner instead of a path-tracking deserializer (which cost the page
/// 10 KB), for documents serde_json has already read this far.
fn path_at(json: &str, end: usize) -> String {
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut bytes = &json.as_bytes()[..end];
    // An error found in a value read whole first (an event, tagged by
    // `do`) is reported one byte past it: step back to the value's end.
    if let [rest @ .., b',' | b']'] = bytes {
        let trimmed = rest.trim_ascii_end();
        if let [.., b'}' | b']'] = trimmed {
            bytes = trimmed;
        }
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(Frame::Object(None)),
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(k)) => *k += 1,
                Some(Frame::Object(key)) => *key = None,
                None => {}
            },
            b'"' => {
                // A string: a key if an object waits for one.
                let from = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object(key @ None)) = stack.last_mut() {
                    let to = i.min(bytes.len());
                    *key = Some(String::from_utf8_lossy(&bytes[from..to]).into_owned());
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for f in &stack {
        match f {
            Frame::Object(Some(k)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object(None) => {}
            Frame::Array(k) => path.push_str(&format!("[{k}]")),
        }
    }
    path
}

/// Version, behaviour, name, description and cluster size (returned).
fn header(file: &ScenarioFile) -> Result<u32, ScenarioError> {
    if file.version != FORMAT_VERSION {
        return err(
            "version",
            format!(
                "version {} is not supported (this build reads version {FORMAT_VERSION})",
                file.version
            ),
        );
    }
    if let Some(b) = file.behaviour {
        crate::sim::behaviour::check(b).map_err(|message| ScenarioError {
            path: "behaviour".into(),
            message,
        })?;
    }
    text_within("name", &file.name, MAX_NAME_LEN)?;
    text_within("description", &file.description, MAX_DESCRIPTION_LEN)?;
    let n = file.nodes;
    if n == 0 || n > MAX_NODES {
        return err(
            "nodes",
            format!("{n} is out of range: a cluster has 1..={MAX_NODES} nodes"),
        );
    }
    Ok(n)
}

/// Election timeout range, heartbeat, latency range.
type Timings = ((Micros, Micros), Micros, (Micros, Micros));

fn timing(t: &TimingSpec) -> Result<Timings, ScenarioError> {
    let election_timeout = range_us("timing.election_timeout_ms", t.election_timeout_ms, 1.0)?;
    let heartbeat = at_least_ms("timing.heartbeat_ms", t.heartbeat_ms, 1.0)?;
    let latency = range_us("timing.latency_ms", t.latency_ms, 0.0)?;
    Ok((election_timeout, heartbeat, latency))
}

/// The clock drift bound, in parts per million: [0, 0.5).
fn drift(d: f64) -> Result<u32, ScenarioError> {
    if !d.is_finite() || !(0.0..0.5).contains(&d) {
        return err(
            "timing.clock_drift",
            format!("{d} is not a drift bound in [0, 0.5) (0.02: clocks within 2% of real time)"),
        );
    }
    // Exact: the product is below 500 000 and the cast truncates.
    Ok((d * 1e6 + 0.5) as u32)
}

/// The closed-loop client load; `retry_ms` defaults to the upper election
/// timeout (a client waits out one election before trying another node).
fn clients(
    c: &ClientsSpec,
    election_timeout: (Micros, Micros),
) -> Result<ClientLoad, ScenarioError> {
    if c.count > MAX_CLIENTS {
        return err(
            "clients.count",
            format!("{} is over the limit of {MAX_CLIENTS}", c.count),
        );
    }
    if c.keys == 0 || c.keys > MAX_KEYS {
        return err(
            "clients.keys",
            format!("{} is out of range 1..={MAX_KEYS}", c.keys),
        );
    }
    let think = range_us("clients.think_ms", c.think_ms, 0.0)?;
    let timeout = at_least_ms("clients.timeout_ms", c.timeout_ms, 1.0)?;
    let retry = match c.retry_ms {
        Some(r) => {
            if r < 1.0 {
                return err("clients.retry_ms", "must be at least 1 ms");
            }
            ms_to_us("clients.retry_ms", r, MAX_PARAM_MS)?
        }
        None => election_timeout.1,
    };
    let stop = c
        .stop_ms
        .map(|v| ms_to_us("clients.stop_ms", v, MAX_DURATION_MS))
        .transpose()?;
    Ok(ClientLoad {
        stop,
        count: c.count,
        think,
        keys: c.keys,
        timeout,
        retry,
    })
}

/// The AppendEntries batch limit, the in-flight window and the planted
/// bugs, by name.
/// `v` if it is within `lo..=hi`, else an error at `path`.
pub(super) fn within(path: &str, v: u64, lo: u64, hi: u64) -> Result<u64, ScenarioError> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        err(path, format!("{v} is out of range {lo}..={hi}"))
    }
}

fn raft(r: &RaftSpec) -> Result<(u32, u32, Bugs), ScenarioError> {
    let batch = r.max_entries_per_append;
    if batch == 0 || batch > MAX_BATCH {
        return err(
            "raft.max_entries_per_append",
            format!("{batch} is out of range 1..={MAX_BATCH}"),
        );
    }
    let window = r.max_inflight;
    if window == 0 || window > MAX_INFLIGHT {
        return err(
            "raft.max_inflight",
            format!("{window} is out of range 1..={MAX_INFLIGHT}"),
        );
    }
    let mut bugs = Bugs::NONE;
    for (i, name) in r.bugs.iter().enumerate() {
        let Some(b) = Bug::from_name(name) else {
            let known: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            return err(
                format!("raft.bugs[{i}]"),
                format!(
                    "unknown bug `{name}`; the planted bugs are {}",
                    known.join(", ")
                ),
            );
        };
        bugs = bugs.with(b);
    }
    Ok((batch, window, bugs))
}

/// Captions and questions: counts, lengths, times, and a right answer
/// that is one of the choices.
fn lesson(file: &ScenarioFile) -> Result<(), ScenarioError> {
    count_within("captions", "captions", file.captions.len(), MAX_CAPTIONS)?;
    count_within("questions", "questions", file.questions.len(), MAX_CAPTIONS)?;
    for (i, c) in file.captions.iter().enumerate() {
        ms_to_us(&format!("captions[{i}].at_ms"), c.at_ms, MAX_DURATION_MS)?;
        text_within(format!("captions[{i}].text"), &c.text, MAX_CAPTION_LEN)?;
    }
    for (i, q) in file.questions.iter().enumerate() {
        question(&format!("questions[{i}]"), q)?;
    }
    Ok(())
}

fn question(p: &str, q: &Question) -> Result<(), ScenarioError> {
    ms_to_us(&format!("{p}.at_ms"), q.at_ms, MAX_DURATION_MS)?;
    text_within(format!("{p}.question"), &q.question, MAX_CAPTION_LEN)?;
    text_within(format!("{p}.explain"), &q.explain, MAX_CAPTION_LEN)?;
    if q.choices.len() < 2 || q.choices.len() > MAX_CHOICES {
        return err(
            format!("{p}.choices"),
            format!(
                "{} choices; a question has 2..={MAX_CHOICES}",
                q.choices.len()
            ),
        );
    }
    for (k, c) in q.choices.iter().enumerate() {
        text_within(format!("{p}.choices[{k}]"), c, MAX_CAPTION_LEN)?;
    }
    if q.answer >= q.choices.len() {
        return err(
            format!("{p}.answer"),
            format!(
                "{} is not one of the {} choices (they count from 0)",
                q.answer,
                q.choices.len()
            ),
        );
    }
    Ok(())
}

/// Every event, sorted by time (stable: equal times keep the file's order).
/// How many servers join beyond the first `n`: `add_server` events name
/// new ids in order, in time (the first names n + 1, the next n + 2, ...;
/// an id above n + 1 only once the one before it was added, at the same
/// time or earlier).
fn joining(events: &[EventSpec], n: u32) -> Result<u32, ScenarioError> {
    let adds = || {
        events.iter().enumerate().filter_map(|(i, e)| match e {
            EventSpec::AddServer { at_ms, node, .. } if *node > n => Some((*at_ms, i, *node)),
            _ => None,
        })
    };
    let mut top = n;
    for (at, i, id) in adds() {
        let after =
            |(a, j, prev): (f64, usize, NodeId)| prev + 1 == id && (a < at || (a == at && j < i));
        if id > n + 1 && !adds().any(after) {
            return err(
                format!("events[{i}].node"),
                format!(
                    "server {id} cannot join before server {}: new servers take the next id",
                    id - 1
                ),
            );
        }
        if id > MAX_NODES {
            return err(
                format!("events[{i}].node"),
                format!("at most {MAX_NODES} servers"),
            );
        }
        top = top.max(id);
    }
    Ok(top - n)
}

fn events(events: &[EventSpec], n: u32, clients: u64) -> Result<Vec<Action>, ScenarioError> {
    count_within("events", "events", events.len(), MAX_EVENTS)?;
    let mut actions = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        actions.push(e.validate(&format!("events[{i}]"), n, clients)?);
    }
    actions.sort_by_key(|a| a.at);
    share_texts(&mut actions);
    Ok(actions)
}

/// Make equal keys and values of the requests one shared string. Parsing
/// gives every event its own copies (a 60 000-request scenario holds
/// 120 000 copies of `"k"` and `"v"`), and each copy, scattered through
/// memory, would cost the simulator a cache miss the first time it takes
/// a reference to it; shared, they stay in cache. Only the sharing
/// changes, never a value.
fn share_texts(actions: &mut [Action]) {
    let mut seen: std::collections::BTreeSet<Text> = std::collections::BTreeSet::new();
    let mut share = |t: &mut Text| match seen.get(&**t) {
        Some(s) => *t = s.clone(),
        None => {
            seen.insert(t.clone());
        }
    };
    for a in actions {
        if let ActionKind::Request { op, .. } = &mut a.what {
            match op {
                KvOp::Put { key, value } => {
                    share(key);
                    share(value);
                }
                KvOp::Get { key } => share(key),
                KvOp::Cas { key, expect, value } => {
                    share(key);
                    if let Some(e) = expect {
                        share(e);
                    }
                    share(value);
                }
            }
        }
    }
}

/// Starting persistent state per node (index id-1), each node at most once.
fn initial(list: &[InitialNode], n: u32) -> Result<Vec<Option<InitialState>>, ScenarioError> {
    let mut initial: Vec<Option<InitialState>> = vec![None; n as usize];
    for (i, init) in list.iter().enumerate() {
        let p = format!("initial[{i}]");
        let id = node_in(&format!("{p}.node"), init.node, n)?;
        if initial[id as usize - 1].is_some() {
            return err(format!("{p}.node"), format!("node {id} is given twice"));
        }
        initial[id as usize - 1] = Some(initial_state(&p, init, n)?);
    }
    Ok(initial)
}

/// Fig. 2's persistent state: currentTerm, votedFor, log[].
fn initial_state(p: &str, init: &InitialNode, n: u32) -> Result<InitialState, ScenarioError> {
    if init.current_term > MAX_TERM {
        return err(
            format!("{p}.current_term"),
            format!("is over the limit of {MAX_TERM}"),
        );
    }
    if let Some(v) = init.voted_for {
        node_in(&format!("{p}.voted_for"), v, n)?;
    }
    Ok(InitialState {
        current_term: init.current_term,
        voted_for: init.voted_for,
        log: RaftLog::from_entries(initial_log(p, init)?),
    })
}

/// Log entries from index 1: terms start at 1, never decrease along the
/// log (§5.3: Log Matching), and none is above the node's currentTerm.
fn initial_log(p: &str, init: &InitialNode) -> Result<Vec<Entry>, ScenarioError> {
    let path = format!("{p}.log");
    count_within(&path, "entries", init.log.len(), MAX_INITIAL_LOG)?;
    let mut entries = Vec::with_capacity(init.log.len());
    let mut prev = 0;
    for (k, item) in init.log.iter().enumerate() {
        let q = format!("{p}.log[{k}]");
        let term = item.term();
        if term == 0 {
            return err(q, "entry terms start at 1");
        }
        if term < prev {
            return err(
                q,
                format!("term {term} follows term {prev}: terms along a log never decrease"),
            );
        }
        if term > init.current_term {
            return err(
                q,
                format!(
                    "term {term} is above the node's current_term {}",
                    init.current_term
                ),
            );
        }
        prev = term;
        let cmd = match item {
            LogItem::Entry { op: Some(op), .. } => {
                check_op(&format!("{q}.op"), op)?;
                Command::kv(op.clone(), None)
            }
            _ => Command::Noop,
        };
        entries.push(Entry { term, cmd });
    }
    Ok(entries)
}
