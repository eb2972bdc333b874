//! The run's history, for the linked views (space-time diagram, event log,
//! charts).
//!
//! Virtual time is cut into segments the length of the checkpoint interval:
//! segment `k` holds the trace of `(k·len, (k+1)·len]` (segment 0 also holds
//! time 0). A segment's records and event-log lines are kept in a small
//! cache and rebuilt on demand by replaying from a checkpoint, so memory
//! does not grow with the run; a compact [`Summary`] of every segment (op
//! latencies, commits, message counts, role changes) is kept for the whole
//! run and feeds the charts.

use super::describe::{EventLog, Line};
use super::trace::{TraceEvent, TraceRecord};
use super::{HistoryEvent, Micros};
use crate::protocol::{LogIndex, Message, NodeId, Role, Term};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

pub type Rec = TraceRecord<Message>;

/// Bins per segment for the message counts.
pub const BINS: usize = 8;
/// Segments kept with their records and lines (the rest are rebuilt).
pub const CACHED_SEGMENTS: usize = 16;
/// A segment keeps at most its last this many records for the views (its
/// summary is made from all of them), so a very dense run cannot fill the
/// memory: the cache holds at most 16 × 60 000 records.
pub const MAX_SEGMENT_RECORDS: usize = 60_000;

/// The trace of one segment, and its event-log lines once asked for.
#[derive(Clone, Debug, Default)]
pub struct Segment {
    pub records: Vec<Rec>,
    pub lines: OnceLock<Vec<Line>>,
    /// Records left out at the start (a segment denser than
    /// [`MAX_SEGMENT_RECORDS`] keeps its last ones).
    pub dropped: usize,
}

impl Segment {
    pub fn new(mut records: Vec<Rec>) -> Segment {
        let dropped = records.len().saturating_sub(MAX_SEGMENT_RECORDS);
        if dropped > 0 {
            records.drain(..dropped);
        }
        Segment {
            records,
            lines: OnceLock::new(),
            dropped,
        }
    }

    /// The lines, worked out the first time (`primer`: the segment
    /// before, whose sends name the messages delivered in this one).
    pub fn lines(&self, primer: Option<&Segment>) -> &[Line] {
        self.lines.get_or_init(|| {
            let mut log = primed_log(primer);
            self.records.iter().filter_map(|r| log.line(r)).collect()
        })
    }

    fn first_send(&self) -> Option<u64> {
        self.records.iter().find_map(|r| r.ev.sent_id())
    }
}

/// An event log that knows the messages sent in `primer` (the segment
/// before), so the deliveries that follow can say what they deliver.
fn primed_log(primer: Option<&Segment>) -> EventLog {
    let mut log = EventLog::new();
    for r in primer.map_or(&[][..], |p| &p.records) {
        if r.ev.sent_id().is_some() {
            log.line(r);
        }
    }
    log
}

/// What happened to a node, for the lanes and the leader chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Role(Role),
    Crash,
    Restart,
}

/// A segment in numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Client operations that returned: (time, latency, succeeded).
    pub ops: Vec<(Micros, Micros, bool)>,
    /// Each rise of the highest commitIndex in the cluster: (time, index).
    pub commits: Vec<(Micros, LogIndex)>,
    /// The highest commitIndex at the segment's end.
    pub commit_end: LogIndex,
    /// Messages sent per bin, by type: RequestVote, its reply,
    /// AppendEntries, its reply.
    pub sent: [[u32; 4]; BINS],
    /// Role changes, crashes and restarts: (time, node, mark, term).
    pub marks: Vec<(Micros, NodeId, Mark, Term)>,
    /// The client history, for the linearizability check; `None` once the
    /// run has more than [`HISTORY_CAP`] client events.
    pub history: Option<Vec<HistoryEvent>>,
}

/// Client events kept for checking linearizability in the page (the
/// checker gives up long before this anyway).
pub const HISTORY_CAP: usize = 20_000;

/// The message type's column in [`Summary::sent`].
pub fn message_type(m: &Message) -> usize {
    match m {
        // Pre-votes count with the election's own messages.
        Message::RequestVote(_) | Message::PreVote(_) => 0,
        Message::RequestVoteReply(_) | Message::PreVoteReply(_) => 1,
        // Snapshot chunks replicate, as AppendEntries does.
        Message::AppendEntries(_) | Message::InstallSnapshot(_) => 2,
        Message::AppendEntriesReply(_) | Message::InstallSnapshotReply(_) => 3,
        // TimeoutNow starts an election.
        Message::TimeoutNow(_) => 0,
    }
}

#[derive(Clone, Debug)]
pub struct Timeline {
    len: Micros,
    /// Complete segments with their records, by index (a bounded cache).
    cache: BTreeMap<u64, Arc<Segment>>,
    /// A summary of every complete segment, in order.
    summaries: Vec<Summary>,
    /// Records after `tail_from` not yet in a complete segment.
    tail: Vec<Rec>,
    tail_from: Micros,
    /// The tail's lines, worked out up to `tail_seen` records, when valid.
    tail_lines: Vec<Line>,
    tail_seen: usize,
    tail_log: Option<EventLog>,
    /// The tail's lines skip its first records (it was too dense).
    tail_partial: bool,
    /// The first message sent in the last complete segment.
    prev_first: Option<u64>,
    /// The last segment a view asked for (eviction keeps those near it).
    focus: u64,
}

impl Timeline {
    pub fn new(len: Micros) -> Timeline {
        Timeline {
            len: len.max(1),
            cache: BTreeMap::new(),
            summaries: Vec::new(),
            tail: Vec::new(),
            tail_from: 0,
            tail_lines: Vec::new(),
            tail_seen: 0,
            tail_log: None,
            tail_partial: false,
            prev_first: None,
            focus: 0,
        }
    }

    pub fn segment_len(&self) -> Micros {
        self.len
    }

    /// The segment holding time `t`.
    pub fn segment_of(&self, t: Micros) -> u64 {
        t.saturating_sub(1) / self.len
    }

    /// The end of segment `k` (inclusive).
    pub fn end_of(&self, k: u64) -> Micros {
        k.saturating_add(1).saturating_mul(self.len)
    }

    pub fn summaries(&self) -> &[Summary] {
        &self.summaries
    }

    pub fn cached(&self, k: u64) -> Option<Arc<Segment>> {
        self.cache.get(&k).cloned()
    }

    /// Records after the last complete segment (up to the simulator's now).
    pub fn tail(&self) -> &[Rec] {
        &self.tail
    }

    /// Whether the tail's lines can be extended without a primer.
    pub fn tail_lines_ready(&self) -> bool {
        self.tail_log.is_some()
    }

    /// The tail's lines; `primer` (the segment before the tail) is used
    /// when they must be started afresh.
    pub fn tail_lines(&mut self, primer: Option<&Segment>) -> &[Line] {
        let log = self.tail_log.get_or_insert_with(|| {
            let log = primed_log(primer);
            self.tail_lines.clear();
            // A very dense tail: describe only its last records.
            self.tail_seen = self.tail.len().saturating_sub(MAX_SEGMENT_RECORDS);
            self.tail_partial = self.tail_seen > 0;
            log
        });
        for r in &self.tail[self.tail_seen..] {
            if let Some(l) = log.line(r) {
                self.tail_lines.push(l);
            }
        }
        self.tail_seen = self.tail.len();
        &self.tail_lines
    }

    pub fn tail_from(&self) -> Micros {
        self.tail_from
    }

    /// The simulator was restored to a checkpoint at `t` (a segment
    /// boundary): what follows comes from there.
    pub fn restart_at(&mut self, t: Micros) {
        self.tail.clear();
        self.tail_from = t;
        self.tail_log = None;
    }

    /// New records from the simulator, whose events up to `done` have all
    /// run. Segments that end by `done` are completed.
    pub fn extend(&mut self, records: Vec<Rec>, done: Micros) {
        self.tail.extend(records);
        loop {
            let k = self.segment_of(self.tail_from + 1);
            let end = self.end_of(k);
            if end > done {
                break;
            }
            let cut = self.tail.partition_point(|r| r.t <= end);
            let rest = self.tail.split_off(cut);
            let all = std::mem::replace(&mut self.tail, rest);
            // The summary sees every record; the segment keeps the last ones.
            self.summarize_completed(k, &all);
            let seg = Segment::new(all);
            self.tail_from = end;
            // Lines already worked out move with their records.
            if self.tail_log.is_some()
                && self.tail_seen >= cut
                && !self.tail_partial
                && seg.dropped == 0
            {
                let lcut = self.tail_lines.partition_point(|l| l.t <= end);
                let rest = self.tail_lines.split_off(lcut);
                let _ = seg.lines.set(std::mem::replace(&mut self.tail_lines, rest));
                self.tail_seen -= cut;
            } else {
                self.tail_log = None;
            }
            let first = seg.first_send();
            self.complete(k, seg);
            // Deliveries come within a segment or two of their sends.
            if let (Some(log), Some(id)) = (&mut self.tail_log, self.prev_first) {
                log.forget_before(id);
            }
            self.prev_first = first;
        }
    }

    fn complete(&mut self, k: u64, seg: Segment) {
        // The live edge is where the playhead is.
        self.focus = k;
        self.insert(k, Arc::new(seg));
    }

    fn summarize_completed(&mut self, k: u64, records: &[Rec]) {
        if self.summaries.len() as u64 == k {
            let base = self.summaries.last().map_or(0, |s| s.commit_end);
            let mut s = summarize(records, k * self.len, self.len, base);
            let kept: Option<usize> = self
                .summaries
                .iter()
                .map(|s| s.history.as_ref().map(Vec::len))
                .sum();
            let total = kept
                .zip(s.history.as_ref().map(Vec::len))
                .map(|(a, b)| a + b);
            if total.is_none_or(|n| n > HISTORY_CAP) {
                s.history = None;
            }
            self.summaries.push(s);
        }
    }

    /// Cache segment `k` (replayed or just completed), evicting the one
    /// farthest from the focus when full.
    pub fn insert(&mut self, k: u64, seg: Arc<Segment>) {
        self.cache.insert(k, seg);
        while self.cache.len() > CACHED_SEGMENTS {
            let focus = self.focus;
            let far = self
                .cache
                .keys()
                .copied()
                .max_by_key(|&j| (j.abs_diff(focus), j));
            match far {
                Some(j) => self.cache.remove(&j),
                None => break,
            };
        }
    }

    pub fn set_focus(&mut self, k: u64) {
        self.focus = k;
    }

    /// A fork at `t`: everything after `t` is about to be replaced.
    pub fn truncate_after(&mut self, t: Micros) {
        let keep = (t / self.len) as usize;
        self.summaries.truncate(keep);
        let len = self.len;
        self.cache.retain(|&k, _| (k + 1) * len <= t);
    }
}

/// The numbers of one segment starting at `start`.
pub fn summarize(records: &[Rec], start: Micros, len: Micros, commit_base: LogIndex) -> Summary {
    let mut s = Summary {
        commit_end: commit_base,
        ..Summary::default()
    };
    let mut history = Vec::new();
    for r in records {
        match &r.ev {
            TraceEvent::Invoke { client, op_id, op } => history.push(HistoryEvent::Invoke {
                t: r.t,
                client: *client,
                op_id: *op_id,
                op: op.clone(),
            }),
            TraceEvent::Return {
                client,
                op_id,
                invoked,
                result,
            } => {
                s.ops.push((
                    r.t,
                    r.t.saturating_sub(*invoked),
                    !matches!(result, crate::protocol::OpResult::Error { .. }),
                ));
                history.push(HistoryEvent::Return {
                    t: r.t,
                    client: *client,
                    op_id: *op_id,
                    result: result.clone(),
                });
            }
            TraceEvent::Commit { index, .. } if *index > s.commit_end => {
                s.commit_end = *index;
                s.commits.push((r.t, *index));
            }
            TraceEvent::Send { msg, .. } => {
                let bin = (r.t.saturating_sub(start).saturating_mul(BINS as u64) / len) as usize;
                s.sent[bin.min(BINS - 1)][message_type(msg)] += 1;
            }
            TraceEvent::Role { node, role, term } => {
                s.marks.push((r.t, *node, Mark::Role(*role), *term))
            }
            TraceEvent::Crash { node } => s.marks.push((r.t, *node, Mark::Crash, 0)),
            TraceEvent::Restart { node } => s.marks.push((r.t, *node, Mark::Restart, 0)),
            _ => {}
        }
    }
    s.history = Some(history);
    s
}

/// One message of the space-time diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Micros,
    /// When it arrived or was dropped; `None` while still on the wire.
    pub end: Option<Micros>,
    pub dropped: bool,
    /// Column of [`Summary::sent`].
    pub kind: usize,
    pub heartbeat: bool,
}

/// The arrows of messages sent in `[t0, t1]`, with their deliveries and
/// drops (a duplicated message gives two arrows), from records in order.
pub fn arrows<'a>(records: impl Iterator<Item = &'a Rec>, t0: Micros, t1: Micros) -> Vec<Arrow> {
    let mut out: Vec<Arrow> = Vec::new();
    let mut open: BTreeMap<u64, usize> = BTreeMap::new();
    let mut dups: BTreeMap<u64, u32> = BTreeMap::new();
    for r in records {
        match &r.ev {
            TraceEvent::Send { id, from, to, msg } if r.t >= t0 && r.t <= t1 => {
                open.insert(*id, out.len());
                out.push(Arrow {
                    id: *id,
                    from: *from,
                    to: *to,
                    sent: r.t,
                    end: None,
                    dropped: false,
                    kind: message_type(msg),
                    heartbeat: msg.is_heartbeat(),
                });
            }
            TraceEvent::Duplicate { id } => {
                if let Some(&i) = open.get(id) {
                    *dups.entry(*id).or_default() += 1;
                    let copy = Arrow {
                        end: None,
                        dropped: false,
                        ..out[i].clone()
                    };
                    out.push(copy);
                }
            }
            TraceEvent::Deliver { id } | TraceEvent::Drop { id, .. } => {
                if let Some(&i) = open.get(id) {
                    // The first copy still open takes this end.
                    let j = (i..out.len()).find(|&j| out[j].id == *id && out[j].end.is_none());
                    if let Some(j) = j {
                        out[j].end = Some(r.t);
                        out[j].dropped = matches!(r.ev, TraceEvent::Drop { .. });
                    }
                }
            }
            _ => {}
        }
    }
    out
}
