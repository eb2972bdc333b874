//! The linked views' data, taken from the lab's timeline: the space-time
//! diagram's arrows and lane marks, the event log's lines and the charts'
//! series. Plain data, so it can be tested natively.

use crate::state::LinState;
use quorum_core::protocol::{LogIndex, NodeId, Role, Term};
use quorum_core::sim::describe::{Kind, Line};
use quorum_core::sim::timeline::{self, Arrow, Mark, Segment, Summary, BINS};
use quorum_core::sim::{Lab, Micros, TraceEvent};
use std::sync::Arc;

/// The diagram draws at most this many arrows (the latest).
pub const MAX_ARROWS: usize = 3000;
/// The event log shows at most this many of the latest lines.
pub const MAX_LINES: usize = 5000;
/// The charts cover at most this much of the run, up to now.
pub const CHART_SPAN: Micros = 60_000_000;

/// What the space-time diagram draws, for `[t0, now]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lanes {
    pub t0: Micros,
    pub now: Micros,
    pub arrows: Vec<Arrow>,
    /// Role changes, crashes, restarts on the lanes.
    pub marks: Vec<(Micros, NodeId, Mark, Term)>,
    /// Each rise of a node's commitIndex.
    pub commits: Vec<(Micros, NodeId, LogIndex)>,
    /// Broken safety properties: time and the servers involved.
    pub violations: Vec<(Micros, Vec<NodeId>)>,
    /// The messages whose delivery broke a property.
    pub culprits: Vec<u64>,
}

/// The records at or after `t0` (records are in time order).
fn since(r: &[timeline::Rec], t0: Micros) -> &[timeline::Rec] {
    &r[r.partition_point(|x| x.t < t0)..]
}

/// The diagram's data for the last `span` of virtual time.
pub fn lanes(lab: &mut Lab, span: Micros) -> Lanes {
    let now = lab.now();
    let t0 = now.saturating_sub(span);
    let (segs, tail): (Vec<Arc<Segment>>, &[timeline::Rec]) = lab.window(t0);
    // Records are in time order: skip straight to the window.
    let all = || {
        segs.iter()
            .flat_map(move |s| since(&s.records, t0).iter())
            .chain(since(tail, t0).iter())
    };
    let mut arrows = timeline::arrows(all(), t0, now);
    // A window can hold more messages than a diagram can show: draw the
    // latest ones.
    if arrows.len() > MAX_ARROWS {
        arrows.drain(..arrows.len() - MAX_ARROWS);
    }
    let mut l = Lanes {
        t0,
        now,
        arrows,
        ..Lanes::default()
    };
    let mut last_deliver: Option<(Micros, u64)> = None;
    for r in all().filter(|r| r.t >= t0 && r.t <= now) {
        match &r.ev {
            TraceEvent::Role { node, role, term } => {
                l.marks.push((r.t, *node, Mark::Role(*role), *term))
            }
            TraceEvent::Crash { node } => l.marks.push((r.t, *node, Mark::Crash, 0)),
            TraceEvent::Restart { node } => l.marks.push((r.t, *node, Mark::Restart, 0)),
            TraceEvent::Commit { node, index } => l.commits.push((r.t, *node, *index)),
            TraceEvent::Deliver { id } => last_deliver = Some((r.t, *id)),
            TraceEvent::Violation { nodes, .. } => {
                l.violations.push((r.t, nodes.clone()));
                if let Some((t, id)) = last_deliver {
                    if t == r.t && !l.culprits.contains(&id) {
                        l.culprits.push(id);
                    }
                }
            }
            _ => {}
        }
    }
    l
}

/// Which lines the event log shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Bit `k` for `Kind` number `k` (see [`kind_bit`]).
    pub kinds: u8,
    pub node: Option<NodeId>,
}

pub const KINDS: [(Kind, &str); 6] = [
    (Kind::Elections, "elections"),
    (Kind::Replication, "replication"),
    (Kind::Heartbeats, "heartbeats"),
    (Kind::Client, "client"),
    (Kind::Faults, "faults"),
    (Kind::Safety, "safety"),
];

pub fn kind_bit(k: Kind) -> u8 {
    let i = KINDS.iter().position(|(x, _)| *x == k).unwrap_or(0);
    1 << i
}

impl Default for Filter {
    /// Everything but heartbeats, every node.
    fn default() -> Self {
        Filter {
            kinds: !kind_bit(Kind::Heartbeats),
            node: None,
        }
    }
}

impl Filter {
    pub fn keeps(&self, l: &Line) -> bool {
        self.kinds & kind_bit(l.kind) != 0
            && self
                .node
                .is_none_or(|n| l.nodes.is_empty() || l.nodes.contains(&n))
    }
}

/// The event log's lines from the segment before now's to now, filtered,
/// the latest `MAX_LINES` of them.
pub fn lines(lab: &mut Lab, f: Filter) -> Vec<Line> {
    let now = lab.now();
    let len = lab.timeline().map_or(1, |t| t.segment_len());
    let (segs, tail) = lab.window_lines(now.saturating_sub(len));
    let mut out: Vec<Line> = segs
        .iter()
        .flat_map(|s| s.lines(None).iter())
        .chain(tail.iter())
        .filter(|l| l.t <= now && f.keeps(l))
        .cloned()
        .collect();
    if out.len() > MAX_LINES {
        out.drain(..out.len() - MAX_LINES);
    }
    out
}

/// From, to, and who led (server and term), if anyone.
pub type LeaderSpan = (Micros, Micros, Option<(NodeId, Term)>);

/// The charts' series over `[t0, now]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Charts {
    pub t0: Micros,
    pub now: Micros,
    /// (return time, latency µs, ok), thinned to at most `MAX_POINTS`.
    pub ops: Vec<(Micros, Micros, bool)>,
    /// Median latency per segment: (segment end, µs).
    pub median: Vec<(Micros, Micros)>,
    /// Committed entries per second, per segment: (segment start, end, rate).
    pub throughput: Vec<(Micros, Micros, f64)>,
    /// Who led: (from, to, leader and term, or none).
    pub leaders: Vec<LeaderSpan>,
    /// Messages per second by type, per bin: (bin start, end, [4 rates]).
    pub sent: Vec<(Micros, Micros, [f64; 4])>,
}

pub const MAX_POINTS: usize = 400;

/// The run's numbers up to now: the summaries of the complete segments
/// (borrowed from the timeline) and one of the part since the last.
pub struct ToNow<'a> {
    pub now: Micros,
    pub len: Micros,
    done: &'a [Summary],
    tail: Summary,
}

impl ToNow<'_> {
    /// `(start, summary)` per segment, in order.
    fn segments(&self) -> Vec<(Micros, &Summary)> {
        self.done
            .iter()
            .chain(std::iter::once(&self.tail))
            .enumerate()
            .map(|(k, s)| (k as Micros * self.len, s))
            .collect()
    }
}

/// Summaries up to now (segments after now, known from a seek back, are
/// left out); `None` without a timeline.
pub fn to_now(lab: &mut Lab) -> Option<ToNow<'_>> {
    let now = lab.now();
    let tl = lab.timeline()?;
    let len = tl.segment_len();
    let done = tl.segment_of(now.max(1)) as usize;
    let start = done as Micros * len;
    let base = tl.summaries()[..done.min(tl.summaries().len())]
        .last()
        .map_or(0, |s| s.commit_end);
    let (_, recs) = lab.window(now);
    let (a, b) = (
        recs.partition_point(|r| r.t <= start && start > 0),
        recs.partition_point(|r| r.t <= now),
    );
    let tail = timeline::summarize(recs.get(a..b).unwrap_or(&[]), start, len, base);
    let tl = lab.timeline()?;
    let summaries = tl.summaries();
    Some(ToNow {
        now,
        len,
        done: &summaries[..done.min(summaries.len())],
        tail,
    })
}

/// The clients' history up to now, if the run is short enough to keep it.
pub fn client_history(n: &ToNow) -> Option<Vec<quorum_core::sim::HistoryEvent>> {
    let mut h = Vec::new();
    for (_, s) in n.segments() {
        h.extend(s.history.as_ref()?.iter().cloned());
    }
    (h.len() <= timeline::HISTORY_CAP).then_some(h)
}

/// The worker's linearizability verdict in words, and where it leaves the
/// check (only a decided "linearizable" is a pass).
pub fn lin_words(v: &quorum_verify::linearizability::Verdict) -> (String, LinState) {
    use quorum_verify::linearizability::Verdict;
    match v {
        Verdict::Linearizable { ops: 0, .. } => ("no client operations yet".into(), LinState::Holds),
        Verdict::Linearizable { keys, ops } => (
            format!("{ops} operations on {keys} keys: linearizable"),
            LinState::Holds,
        ),
        Verdict::Violation { key, ops } => (
            format!("key {key:?} ({ops} operations) has no valid order: not linearizable"),
            LinState::Broken,
        ),
        Verdict::TooLarge { key, ops, .. } => (
            format!(
                "undecided: key {key:?} has {ops} operations, more than the search bound (quorum run --check --lin-states N searches further)"
            ),
            LinState::Undecided,
        ),
    }
}

/// The charts over the last `CHART_SPAN` up to now.
pub fn charts(n: &ToNow) -> Charts {
    series(
        &n.segments(),
        n.len,
        n.now.saturating_sub(CHART_SPAN),
        n.now,
    )
}

/// The charts from segment summaries `(start, summary)` in order.
pub fn series(sums: &[(Micros, &Summary)], len: Micros, t0: Micros, now: Micros) -> Charts {
    let mut c = Charts {
        t0,
        now,
        ..Charts::default()
    };
    let mut prev_commit = 0;
    // Roles per node, to find the leader (the highest term among up leaders).
    let mut roles: Vec<(Role, Term, bool)> = Vec::new();
    let mut span_start = 0;
    let mut leader: Option<(NodeId, Term)> = None;
    for (start, s) in sums {
        let end = (start + len).min(now);
        for &(t, node, mark, term) in &s.marks {
            let i = node as usize;
            if roles.len() < i {
                roles.resize(i, (Role::Follower, 0, true));
            }
            let slot = &mut roles[i - 1];
            match mark {
                Mark::Role(r) => *slot = (r, term, slot.2),
                Mark::Crash => *slot = (Role::Follower, slot.1, false),
                Mark::Restart => slot.2 = true,
            }
            let now_leader = roles
                .iter()
                .enumerate()
                .filter(|(_, r)| r.0 == Role::Leader && r.2)
                .max_by_key(|(_, r)| r.1)
                .map(|(i, r)| (i as NodeId + 1, r.1));
            if now_leader != leader {
                if t > span_start && t >= t0 {
                    c.leaders.push((span_start.max(t0), t, leader));
                }
                span_start = t;
                leader = now_leader;
            }
        }
        if end < t0 {
            prev_commit = s.commit_end;
            continue;
        }
        c.ops.extend(s.ops.iter().copied().filter(|o| o.0 >= t0));
        let mut lat: Vec<Micros> = s.ops.iter().map(|o| o.1).collect();
        if !lat.is_empty() {
            lat.sort_unstable();
            c.median.push((end, lat[lat.len() / 2]));
        }
        let secs = end.saturating_sub(*start).max(1) as f64 / 1e6;
        c.throughput.push((
            *start,
            end,
            s.commit_end.saturating_sub(prev_commit) as f64 / secs,
        ));
        prev_commit = s.commit_end;
        let bin = (len / BINS as Micros).max(1);
        for (b, counts) in s.sent.iter().enumerate() {
            let bs = start + b as Micros * bin;
            if bs >= now {
                break;
            }
            let be = (bs + bin).min(now);
            let secs = (be - bs).max(1) as f64 / 1e6;
            c.sent.push((bs, be, counts.map(|n| f64::from(n) / secs)));
        }
    }
    c.leaders.push((span_start.max(t0), now, leader));
    if c.ops.len() > MAX_POINTS {
        let step = c.ops.len().div_ceil(MAX_POINTS);
        c.ops = c.ops.iter().copied().step_by(step).collect();
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorum_core::sim::Scenario;

    fn lab() -> Lab {
        let s = Scenario::parse(
            r#"{"version":1,"seed":4,"nodes":3,"duration_ms":20000,
                "clients":{"count":2,"keys":1},
                "events":[{"at_ms":3000,"do":"crash","node":1},{"at_ms":3000,"do":"crash","node":2},
                          {"at_ms":3000,"do":"crash","node":3},
                          {"at_ms":5000,"do":"restart","node":1},{"at_ms":5000,"do":"restart","node":2},
                          {"at_ms":5000,"do":"restart","node":3}]}"#,
        )
        .unwrap();
        Lab::with_timeline(s.file, true, 1_000_000).unwrap()
    }

    #[test]
    fn charts_show_an_outage_as_a_gap_without_a_leader() {
        let mut l = lab();
        l.advance(8_000_000);
        let c = charts(&to_now(&mut l).unwrap());
        // Someone led before the outage, no one during it, someone after.
        let led = |t: Micros| {
            c.leaders
                .iter()
                .find(|s| s.0 <= t && t < s.1)
                .and_then(|s| s.2)
        };
        assert!(led(2_000_000).is_some(), "{:?}", c.leaders);
        assert!(led(4_000_000).is_none(), "{:?}", c.leaders);
        assert!(led(7_500_000).is_some(), "{:?}", c.leaders);
        // Nothing commits during the outage; things do before it.
        let rate = |t: Micros| {
            c.throughput
                .iter()
                .find(|s| s.0 <= t && t < s.1)
                .map(|s| s.2)
        };
        assert!(rate(1_500_000).unwrap() > 0.0);
        assert_eq!(rate(3_500_000), Some(0.0));
        assert!(!c.ops.is_empty() && !c.median.is_empty());
        assert!(c.sent.iter().any(|b| b.2[2] > 0.0));
        // Seeking back shows the charts of that time, not the future's.
        l.seek(2_500_000);
        let back = charts(&to_now(&mut l).unwrap());
        assert!(back.ops.iter().all(|o| o.0 <= 2_500_000));
        assert_eq!(back.leaders.last().map(|s| s.1), Some(2_500_000));
    }

    #[test]
    fn the_client_history_is_the_simulators_own_and_is_checked() {
        let mut l = lab();
        l.advance(6_000_000);
        l.seek(2_345_678);
        let got = client_history(&to_now(&mut l).unwrap()).unwrap();
        let s = Scenario::from_file(l.scenario().clone()).unwrap();
        let mut sim = quorum_core::sim::Simulator::from_scenario(&s);
        sim.enable_history();
        sim.run_until(2_345_678);
        assert!(got.len() > 10);
        assert_eq!(got, sim.history());
        let v = quorum_verify::linearizability::check(&got);
        let (text, state) = lin_words(&v);
        assert!(
            state == LinState::Holds && text.ends_with(": linearizable"),
            "{text}"
        );
    }

    #[test]
    fn lanes_and_lines_cover_the_window() {
        let mut l = lab();
        l.advance(3_500_000);
        let d = lanes(&mut l, 1_000_000);
        assert_eq!((d.t0, d.now), (2_500_000, 3_500_000));
        assert!(d.arrows.iter().all(|a| a.sent >= d.t0));
        assert!(d.marks.iter().any(|m| m.2 == Mark::Crash));
        let all = lines(
            &mut l,
            Filter {
                kinds: 0xff,
                node: None,
            },
        );
        assert!(all.iter().any(|x| x.text.contains("S1 crashes")));
        let f = Filter {
            kinds: kind_bit(Kind::Faults),
            node: Some(2),
        };
        let some = lines(&mut l, f);
        assert!(!some.is_empty() && some.len() < all.len());
        assert!(some.iter().all(|x| x.kind == Kind::Faults));
        assert!(some
            .iter()
            .all(|x| x.nodes.is_empty() || x.nodes.contains(&2)));
        assert!(!lines(&mut l, Filter::default())
            .iter()
            .any(|x| x.kind == Kind::Heartbeats));
    }
}
