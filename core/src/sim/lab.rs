//! A live, interactive run: a simulator plus the scenario it records.
//!
//! Every action (a click in the browser, a call from the JS API) becomes a
//! scenario event at the current virtual time and is appended to the
//! scenario, so the recorded scenario replays the whole run exactly.

use super::describe::Line;
use super::scenario::{EventSpec, Scenario, ScenarioError, ScenarioFile, MAX_EVENTS};
use super::timeline::{Rec, Segment, Timeline};
use super::{ClientStatus, Micros, NodeStatus, Simulator};
use crate::protocol::{ClientId, Message, NodeId, OpId, RaftNode, Role};
use serde::Serialize;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Lab {
    file: ScenarioFile,
    sim: Simulator,
    /// How many of `file.events` came with the scenario (the rest are
    /// actions taken since).
    loaded: usize,
    /// Snapshots of the whole simulator, oldest first, for time travel.
    checkpoints: Vec<Checkpoint>,
    /// Virtual time between checkpoints.
    interval: Micros,
    /// The furthest virtual time this timeline has reached.
    horizon: Micros,
    /// How often acting in the past replaced the recorded future.
    forks: u32,
    /// The history for the linked views, when kept.
    timeline: Option<Timeline>,
}

/// The simulator at `t`, when `recorded` events made up the scenario.
#[derive(Clone, Debug)]
struct Checkpoint {
    t: Micros,
    recorded: usize,
    sim: Simulator,
}

/// Default virtual time between checkpoints.
pub const CHECKPOINT_INTERVAL: Micros = 2_000_000;
/// At most this many checkpoints: past it, every other one in the older
/// half goes, so old times are reached by a longer replay, not more memory.
pub const MAX_CHECKPOINTS: usize = 240;

/// One message on the wire, as `state()` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct MessageState {
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub sent_ms: f64,
    pub arrives_ms: f64,
    pub msg: Message,
}

/// A client now, as `state()` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct ClientState {
    pub id: ClientId,
    /// `"idle"`, `"waiting"` (for `op_id`, last sent to `target`) or
    /// `"done"` (a one-shot client whose operation ended).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub op_id: Option<OpId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<NodeId>,
    /// Its side of the partition in force, if the partition names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<u32>,
}

/// The cluster now, as plain data.
#[derive(Clone, Debug, Serialize)]
pub struct LabState {
    pub t_ms: f64,
    pub nodes: Vec<NodeStatus>,
    pub in_flight: Vec<MessageState>,
    /// Every client so far (ids 1..).
    pub clients: Vec<ClientState>,
}

pub fn us_to_ms(t: Micros) -> f64 {
    t as f64 / 1000.0
}

impl Lab {
    /// Start a scenario (validated first). `record` keeps the trace.
    pub fn new(file: ScenarioFile, record: bool) -> Result<Lab, ScenarioError> {
        Self::build(file, record, false, CHECKPOINT_INTERVAL)
    }

    /// The same, with the live safety checkers on from the start (their
    /// state is copy-on-write, so checkpoints stay cheap).
    pub fn with_checks(file: ScenarioFile, record: bool) -> Result<Lab, ScenarioError> {
        Self::build(file, record, true, CHECKPOINT_INTERVAL)
    }

    /// For the browser: checks on, and the history for the linked views
    /// kept in segments of `interval` (also the checkpoint interval).
    pub fn with_timeline(
        file: ScenarioFile,
        checks: bool,
        interval: Micros,
    ) -> Result<Lab, ScenarioError> {
        let mut lab = Self::build(file, true, checks, interval)?;
        // Later checkpoints hold no trace (the timeline keeps it); the
        // first holds the boot records, which no event replays.
        lab.timeline = Some(Timeline::new(lab.interval));
        lab.collect();
        Ok(lab)
    }

    fn build(
        file: ScenarioFile,
        record: bool,
        checks: bool,
        interval: Micros,
    ) -> Result<Lab, ScenarioError> {
        let scenario = Scenario::from_file(file)?;
        let mut sim = Simulator::from_scenario(&scenario);
        sim.set_recording(record);
        if checks {
            sim.enable_checks();
        }
        sim.boot();
        let loaded = scenario.file.events.len();
        Ok(Lab {
            checkpoints: vec![Checkpoint {
                t: 0,
                recorded: loaded,
                sim: sim.clone(),
            }],
            file: scenario.file,
            sim,
            loaded,
            interval: interval.max(1),
            horizon: 0,
            forks: 0,
            timeline: None,
        })
    }

    /// Parse, validate and start a scenario document.
    pub fn from_json(json: &str, record: bool) -> Result<Lab, ScenarioError> {
        let s = Scenario::parse(json)?;
        Lab::new(s.file, record)
    }

    pub fn sim(&self) -> &Simulator {
        &self.sim
    }

    pub fn sim_mut(&mut self) -> &mut Simulator {
        &mut self.sim
    }

    /// The scenario so far: as loaded, plus every action taken since.
    pub fn scenario(&self) -> &ScenarioFile {
        &self.file
    }

    pub fn now(&self) -> Micros {
        self.sim.now()
    }

    pub fn at_end(&self) -> bool {
        self.sim.now() >= self.sim.end_time()
    }

    /// Run the simulation `dt` microseconds of virtual time on, taking
    /// checkpoints on the way.
    pub fn advance(&mut self, dt: Micros) {
        let target = self.sim.now().saturating_add(dt).min(self.sim.end_time());
        loop {
            let last = self.checkpoints.last().map_or(0, |c| c.t);
            let next = last.saturating_add(self.interval.max(1));
            if next > target || self.sim.now() > next {
                break;
            }
            self.sim.run_until(next);
            self.collect();
            self.checkpoints.push(Checkpoint {
                t: next,
                recorded: self.file.events.len(),
                sim: self.sim.clone(),
            });
            self.thin_checkpoints();
        }
        self.sim.run_until(target);
        self.horizon = self.horizon.max(self.sim.now());
        self.collect();
    }

    /// Safety violations found up to now on this timeline (empty unless
    /// built `with_checks`).
    pub fn violations(&self) -> &[super::Violation] {
        self.sim.violations()
    }

    /// The furthest virtual time this timeline has reached.
    pub fn horizon(&self) -> Micros {
        self.horizon
    }

    /// How many times acting in the past replaced the recorded future.
    pub fn forks(&self) -> u32 {
        self.forks
    }

    pub fn checkpoint_count(&self) -> usize {
        self.checkpoints.len()
    }

    /// Set the virtual time between checkpoints (at least 1 µs). Call it
    /// before running.
    pub fn set_checkpoint_interval(&mut self, interval: Micros) {
        self.interval = interval.max(1);
    }

    pub fn timeline(&self) -> Option<&Timeline> {
        self.timeline.as_ref()
    }

    /// Move the simulator's new trace records into the timeline.
    fn collect(&mut self) {
        if let Some(tl) = &mut self.timeline {
            let done = self.sim.complete_through();
            tl.extend(self.sim.take_trace(), done);
        }
    }

    /// The history from `t0` to now: complete segments (replayed from a
    /// checkpoint when no longer cached) and the records since the last
    /// one. Empty unless built `with_timeline`.
    pub fn window(&mut self, t0: Micros) -> (Vec<Arc<Segment>>, &[Rec]) {
        let segs = self.segments_since(t0);
        let tail = self.timeline.as_ref().map_or(&[][..], |tl| tl.tail());
        (segs, tail)
    }

    /// The same with the event-log lines worked out: every returned
    /// segment's `lines` is set, and the tail's lines come second.
    pub fn window_lines(&mut self, t0: Micros) -> (Vec<Arc<Segment>>, &[Line]) {
        let segs = self.segments_since(t0);
        let Some(first) = self
            .timeline
            .as_ref()
            .map(|tl| tl.segment_of(t0.min(tl.tail_from())))
        else {
            return (segs, &[]);
        };
        let mut primer = match first {
            0 => None,
            k => self.segment(k - 1),
        };
        for s in &segs {
            s.lines(primer.as_deref());
            primer = Some(s.clone());
        }
        let ready = self
            .timeline
            .as_ref()
            .is_some_and(|tl| tl.tail_lines_ready());
        let primer = match (ready, self.timeline.as_ref()) {
            (false, Some(tl)) if tl.tail_from() > 0 => self.segment(tl.segment_of(tl.tail_from())),
            _ => None,
        };
        let lines = match &mut self.timeline {
            Some(tl) => tl.tail_lines(primer.as_deref()),
            None => &[],
        };
        (segs, lines)
    }

    fn segments_since(&mut self, t0: Micros) -> Vec<Arc<Segment>> {
        let mut segs = Vec::new();
        if let Some(tl) = &mut self.timeline {
            let t0 = t0.min(tl.tail_from());
            let (first, last) = (tl.segment_of(t0), tl.segment_of(tl.tail_from()));
            tl.set_focus(last);
            if tl.tail_from() > 0 {
                for k in first..=last {
                    if let Some(s) = self.segment(k) {
                        segs.push(s);
                    }
                }
            }
        }
        segs
    }

    /// Complete segment `k`, from the cache or by replay.
    pub fn segment(&mut self, k: u64) -> Option<Arc<Segment>> {
        let tl = self.timeline.as_ref()?;
        if let Some(s) = tl.cached(k) {
            return Some(s);
        }
        if tl.end_of(k) > tl.tail_from() {
            return None;
        }
        let (start, len) = (k * tl.segment_len(), tl.segment_len());
        let mut sim = self.replayer(start);
        if k > 0 {
            // The first checkpoint's trace holds the boot records (time 0).
            let _ = sim.take_trace();
            sim.set_recording(false);
            sim.run_until(start);
            sim.set_recording(true);
        }
        sim.run_until(start + len);
        let seg = Arc::new(Segment::new(sim.take_trace()));
        if let Some(tl) = &mut self.timeline {
            tl.insert(k, seg.clone());
        }
        Some(seg)
    }

    /// A copy of the newest checkpoint at or before `t`, with the actions
    /// recorded after it scheduled.
    fn replayer(&self, t: Micros) -> Simulator {
        let i = self.checkpoints.iter().rposition(|c| c.t <= t).unwrap_or(0);
        let Some(cp) = self.checkpoints.get(i) else {
            return self.sim.clone();
        };
        let mut sim = cp.sim.clone();
        let n = sim.node_count();
        let clients = self.file.client_total();
        for e in &self.file.events[cp.recorded.min(self.file.events.len())..] {
            if let Ok(a) = e.validate("event", n, clients) {
                // Validated when it was recorded; cannot fail here.
                let _ = sim.schedule(a);
            }
        }
        sim
    }

    fn thin_checkpoints(&mut self) {
        if self.checkpoints.len() <= MAX_CHECKPOINTS {
            return;
        }
        let half = self.checkpoints.len() / 2;
        let mut k = 0;
        self.checkpoints.retain(|_| {
            k += 1;
            // Keep the first (t = 0), every other one of the older half, and
            // all of the newer half.
            k == 1 || k > half || k % 2 == 1
        });
    }

    /// Restore the newest checkpoint at or before `t` and re-schedule the
    /// actions recorded after it (they replay at their own times).
    fn restore(&mut self, t: Micros) {
        let recording = self.sim.is_recording();
        self.sim = self.replayer(t);
        self.sim.set_recording(recording);
        let from = self.sim.now();
        if let Some(tl) = &mut self.timeline {
            tl.restart_at(from);
        }
    }

    /// Go to virtual time `t` (clamped to the run): the state is exactly
    /// that of a straight run to `t`. Backwards, it restores a checkpoint
    /// and replays deterministically.
    pub fn seek(&mut self, t: Micros) {
        let t = t.min(self.sim.end_time());
        let now = self.sim.now();
        // A checkpoint between now and t saves simulating the gap.
        let jump = self.checkpoints.iter().any(|c| c.t > now && c.t <= t);
        if t < now || jump {
            self.restore(t);
            self.sim.run_until(t);
            self.collect();
            if t > self.horizon {
                self.advance(0);
            }
        } else {
            self.advance(t - now);
        }
    }

    /// Go to the state after exactly `n` simulator events (for stepping
    /// back and forward one event at a time).
    pub fn seek_events(&mut self, n: u64) {
        if n < self.sim.stats().events {
            let i = self
                .checkpoints
                .iter()
                .rposition(|c| c.sim.stats().events <= n)
                .unwrap_or(0);
            let t = self.checkpoints.get(i).map_or(0, |c| c.t);
            self.restore(t);
        }
        while self.sim.stats().events < n && self.sim.step() {}
        self.horizon = self.horizon.max(self.sim.now());
        self.collect();
    }

    /// Process the next event; false when there is none before the end.
    pub fn step(&mut self) -> bool {
        let stepped = self.sim.step();
        self.horizon = self.horizon.max(self.sim.now());
        self.collect();
        stepped
    }

    /// Take an action now: `e`'s `at_ms` is replaced by the current virtual
    /// time. It is validated, recorded and run at once (after whatever else
    /// is due at this microsecond, as it will be in a replay).
    pub fn act(&mut self, mut e: EventSpec) -> Result<(), ScenarioError> {
        if self.file.events.len() >= MAX_EVENTS {
            return Err(ScenarioError {
                path: "events".into(),
                message: format!("a scenario holds at most {MAX_EVENTS} events"),
            });
        }
        set_at_ms(&mut e, us_to_ms(self.sim.now()));
        let clients = self.file.client_total().saturating_add(e.clients_added());
        // A new server takes the next id.
        let n = self.sim.node_count() + u32::from(matches!(e, EventSpec::AddServer { .. }));
        let action = e.validate("event", n, clients)?;
        self.fork_if_in_the_past();
        self.sim.schedule(action).map_err(|m| ScenarioError {
            path: "event".into(),
            message: m,
        })?;
        self.file.events.push(e);
        let now = self.sim.now();
        self.sim.run_until(now);
        self.collect();
        Ok(())
    }

    /// The up leader with the highest term, if any.
    pub fn leader(&self) -> Option<NodeId> {
        (1..=self.sim.node_count())
            .filter(|&i| self.sim.is_up(i))
            .filter_map(|i| self.sim.node(i).map(|n| (i, n)))
            .filter(|(_, n)| n.role() == Role::Leader)
            .max_by_key(|(_, n)| n.current_term())
            .map(|(i, _)| i)
    }

    pub fn node(&self, id: NodeId) -> Option<&RaftNode> {
        self.sim.node(id)
    }

    pub fn state(&self) -> LabState {
        let nodes = (1..=self.sim.node_count())
            .filter_map(|i| self.sim.node(i).map(|n| (i, n)))
            .map(|(i, n)| NodeStatus {
                id: i,
                up: self.sim.is_up(i),
                role: n.role(),
                term: n.current_term(),
                voted_for: n.voted_for(),
                commit_index: n.commit_index(),
                last_applied: n.last_applied(),
                snapshot_index: n.log().snapshot_index(),
                snapshot_term: n.log().snapshot_term(),
                config: n.config_changed().then(|| n.config().clone()),
                log: n.log().iter().cloned().collect(),
            })
            .collect();
        let in_flight = self
            .sim
            .in_flight()
            .into_iter()
            .map(|m| MessageState {
                id: m.id,
                from: m.from,
                to: m.to,
                sent_ms: us_to_ms(m.sent),
                arrives_ms: us_to_ms(m.arrives),
                msg: m.msg.clone(),
            })
            .collect();
        let net = self.sim.network();
        let clients = (1..=self.sim.client_count())
            .filter_map(|c| {
                let (status, op_id, target) = match self.sim.client_status(c)? {
                    ClientStatus::Idle => ("idle", None, None),
                    ClientStatus::Waiting { op_id, target } => {
                        ("waiting", Some(op_id), Some(target))
                    }
                    ClientStatus::Done => ("done", None, None),
                };
                Some(ClientState {
                    id: c,
                    status,
                    op_id,
                    target,
                    group: net.client_group(c),
                })
            })
            .collect();
        LabState {
            t_ms: us_to_ms(self.sim.now()),
            nodes,
            in_flight,
            clients,
        }
    }
}

impl Lab {
    /// Acting in the past discards the recorded future: later actions and
    /// later checkpoints go, and the timeline continues from now.
    fn fork_if_in_the_past(&mut self) {
        let now = self.sim.now();
        if now >= self.horizon {
            return;
        }
        let now_ms = us_to_ms(now);
        let loaded = self.loaded;
        let mut i = 0;
        self.file.events.retain(|e| {
            i += 1;
            i <= loaded || e.at_ms() <= now_ms
        });
        self.checkpoints.retain(|c| c.t <= now);
        if let Some(tl) = &mut self.timeline {
            tl.truncate_after(now);
        }
        // The simulator may hold the discarded actions in its queue.
        self.restore(now);
        self.sim.run_until(now);
        self.collect();
        self.horizon = now;
        self.forks += 1;
    }
}

fn set_at_ms(e: &mut EventSpec, t: f64) {
    match e {
        EventSpec::Crash { at_ms, .. }
        | EventSpec::Restart { at_ms, .. }
        | EventSpec::Partition { at_ms, .. }
        | EventSpec::Heal { at_ms }
        | EventSpec::Cut { at_ms, .. }
        | EventSpec::Uncut { at_ms, .. }
        | EventSpec::Timeout { at_ms, .. }
        | EventSpec::TransferLeader { at_ms, .. }
        | EventSpec::AddServer { at_ms, .. }
        | EventSpec::RemoveServer { at_ms, .. }
        | EventSpec::Set { at_ms, .. }
        | EventSpec::Request { at_ms, .. }
        | EventSpec::DropMessage { at_ms, .. }
        | EventSpec::DuplicateMessage { at_ms, .. }
        | EventSpec::Network { at_ms, .. } => *at_ms = t,
    }
}
