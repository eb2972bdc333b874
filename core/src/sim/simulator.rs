//! The discrete-event simulator. One event at a time, in (time, sequence)
//! order; every random draw comes from one seeded stream in that order, so a
//! scenario replays exactly.

use super::check::{Checker, Violation};
use super::client::{next_node, Client, ClientState, ClientTimer, BACKOFF_CAP};
use super::network::{Blocked, Network};
use super::node::{Node, NodeStatus};
use super::rng::{Chance, SimRng};
use super::scenario::{Action, ActionKind, ClientLoad, Scenario};
use super::trace::{TraceEvent, TraceRecord};
use super::Micros;
use crate::protocol::{
    ClientId, ClientResponse, Configuration, Input, KvOp, LogIndex, NodeId, OpId, OpResult, Output,
    RaftConfig, RaftNode, Role, Term, Text, Timer,
};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

/// One client event, for the linearizability check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryEvent {
    Invoke {
        t: Micros,
        client: ClientId,
        op_id: OpId,
        op: KvOp,
    },
    Return {
        t: Micros,
        client: ClientId,
        op_id: OpId,
        result: OpResult,
    },
}

/// A message on the wire.
#[derive(Clone, Copy, Debug)]
pub struct InFlight<'a, M> {
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Micros,
    pub arrives: Micros,
    pub msg: &'a M,
}

/// Timing the simulator owns on the nodes' behalf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    pub election_timeout: (Micros, Micros),
    pub heartbeat: Micros,
}

/// Counters for the run summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub events: u64,
    pub sent: u64,
    pub delivered: u64,
    pub dropped_loss: u64,
    pub dropped_partition: u64,
    pub dropped_crashed: u64,
    pub duplicated: u64,
    pub invoked: u64,
    pub ok: u64,
    pub failed: u64,
    pub timed_out: u64,
    /// Leaders per term, in the order they took office.
    pub leaders: BTreeMap<Term, Vec<NodeId>>,
    pub max_commit: LogIndex,
    /// AppendEntries rejected for a log mismatch (not for a stale term).
    pub append_rejects: u64,
}

impl Stats {
    pub fn dropped(&self) -> u64 {
        self.dropped_loss + self.dropped_partition + self.dropped_crashed
    }
}

#[derive(Clone, Debug)]
enum Ev<M> {
    Deliver {
        id: u64,
        from: NodeId,
        to: NodeId,
        sent: Micros,
        msg: M,
    },
    Timer {
        node: NodeId,
        timer: Timer,
        gen: u64,
    },
    Action(usize),
    ToNode {
        client: ClientId,
        op_id: OpId,
        node: NodeId,
        op: KvOp,
    },
    ToClient {
        client: ClientId,
        op_id: OpId,
        from: NodeId,
        response: ClientResponse,
    },
    Client {
        client: ClientId,
        timer: ClientTimer,
        tag: u64,
    },
}

#[derive(Clone, Debug)]
struct Queued<M> {
    at: Micros,
    /// 0 for the simulation's own events, 1 for actions (scenario events,
    /// user clicks): an action runs after every other event of its
    /// microsecond. So an action a user takes at virtual time t, after the
    /// simulator has run everything up to t, replays at the same place.
    class: u8,
    seq: u64,
    ev: Ev<M>,
}

impl<M> PartialEq for Queued<M> {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.class == o.class && self.seq == o.seq
    }
}
impl<M> Eq for Queued<M> {}
impl<M> PartialOrd for Queued<M> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<M> Ord for Queued<M> {
    // BinaryHeap is a max-heap: reverse, so the earliest (then first queued)
    // event comes out first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.at.cmp(&self.at)
            .then_with(|| o.class.cmp(&self.class))
            .then_with(|| o.seq.cmp(&self.seq))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct TimerSlot {
    /// When the running timer was set, and when it fires.
    started: Micros,
    deadline: Option<Micros>,
    gen: u64,
}

#[derive(Clone, Debug)]
struct Slot<N> {
    node: N,
    up: bool,
    timers: [TimerSlot; 2],
}

#[derive(Clone, Debug)]
pub struct Simulator<N: Node = RaftNode> {
    now: Micros,
    end: Micros,
    seq: u64,
    queue: BinaryHeap<Queued<N::Msg>>,
    rng: SimRng,
    nodes: Vec<Slot<N>>,
    net: Network,
    drop_p: f64,
    dup_p: f64,
    timing: Timing,
    load: Option<ClientLoad>,
    clients: Vec<Client>,
    /// The leader clients last heard of (where one-shot requests go first).
    leader_hint: NodeId,
    /// Key names for closed-loop clients: "k1", "k2", ...
    keys: Vec<Text>,
    actions: Vec<Action>,
    next_msg_id: u64,
    booted: bool,
    recording: bool,
    trace: Vec<TraceRecord<N::Msg>>,
    stats: Stats,
    out: Vec<Output<N::Msg>>,
    checker: Option<Checker>,
    history: Option<Vec<HistoryEvent>>,
}

impl Simulator<RaftNode> {
    /// Build the cluster, clients and event queue a scenario describes.
    pub fn from_scenario(s: &Scenario) -> Self {
        let config = Configuration::of_size(s.nodes);
        let opts = RaftConfig {
            max_entries_per_append: s.max_entries_per_append,
            bugs: s.bugs,
        };
        let nodes = (1..=s.nodes)
            .map(|id| match &s.initial[id as usize - 1] {
                Some(init) => RaftNode::with_state(
                    id,
                    config.clone(),
                    opts.clone(),
                    init.current_term,
                    init.voted_for,
                    init.log.clone(),
                ),
                None => RaftNode::new(id, config.clone(), opts.clone()),
            })
            .collect();
        let timing = Timing {
            election_timeout: s.election_timeout,
            heartbeat: s.heartbeat,
        };
        let net = Network::new(
            s.latency,
            Chance::from_probability(s.drop),
            Chance::from_probability(s.duplicate),
        );
        let mut sim = Simulator::new(nodes, timing, net, s.seed, s.duration);
        sim.drop_p = s.drop;
        sim.dup_p = s.duplicate;
        sim.load = s.clients.clone();
        sim.actions = s.actions.clone();
        sim
    }
}

impl<N: Node> Simulator<N> {
    /// A simulator over any protocol's nodes (ids 1..=n, in order).
    pub fn new(nodes: Vec<N>, timing: Timing, net: Network, seed: u64, end: Micros) -> Self {
        let nodes = nodes
            .into_iter()
            .map(|node| Slot {
                node,
                up: true,
                timers: Default::default(),
            })
            .collect();
        Simulator {
            now: 0,
            end,
            seq: 0,
            queue: BinaryHeap::new(),
            rng: SimRng::new(seed),
            nodes,
            net,
            drop_p: 0.0,
            dup_p: 0.0,
            timing,
            load: None,
            clients: Vec::new(),
            leader_hint: 1,
            keys: Vec::new(),
            actions: Vec::new(),
            next_msg_id: 0,
            booted: false,
            recording: false,
            trace: Vec::new(),
            stats: Stats::default(),
            out: Vec::new(),
            checker: None,
            history: None,
        }
    }

    /// Start every node, schedule the actions and the first client ops.
    /// Boot order is fixed: nodes by id, then actions, then clients. Runs
    /// once, before the first event (so `set_recording` can come first).
    pub fn boot(&mut self) {
        if self.booted {
            return;
        }
        self.booted = true;
        for i in 0..self.nodes.len() {
            let mut out = std::mem::take(&mut self.out);
            self.nodes[i].node.start(&mut out);
            let id = self.nodes[i].node.id();
            self.apply_outputs(id, &mut out);
            self.out = out;
        }
        for i in 0..self.actions.len() {
            let at = self.actions[i].at;
            self.push(at, Ev::Action(i));
        }
        if let Some(load) = self.load.clone() {
            self.keys = (1..=load.keys)
                .map(|k| Text::from(format!("k{k}")))
                .collect();
            let n = self.nodes.len() as u32;
            for k in 0..load.count {
                let id = ClientId::from(k) + 1;
                self.clients.push(Client {
                    id,
                    one_shot: None,
                    target: (k % n) + 1,
                    next_op: 1,
                    state: ClientState::Thinking,
                    last_seen: vec![None; load.keys as usize],
                });
                let think = self.rng.range(load.think.0, load.think.1);
                self.push(
                    think,
                    Ev::Client {
                        client: id,
                        timer: ClientTimer::Think,
                        tag: 0,
                    },
                );
            }
        }
    }

    /// Every node's state as the trace's `end` event reports it.
    pub fn statuses(&self) -> Vec<NodeStatus> {
        self.nodes
            .iter()
            .map(|s| NodeStatus {
                up: s.up,
                ..s.node.status()
            })
            .collect()
    }

    /// Check the safety properties after every step from now on.
    pub fn enable_checks(&mut self) {
        self.checker = Some(Checker::new(&self.statuses()));
    }

    /// Keep the client history (invokes and returns) from now on.
    pub fn enable_history(&mut self) {
        self.history.get_or_insert_with(Vec::new);
    }

    pub fn history(&self) -> &[HistoryEvent] {
        self.history.as_deref().unwrap_or(&[])
    }

    /// Violations found so far (empty unless checks are on).
    pub fn violations(&self) -> &[Violation] {
        self.checker.as_ref().map_or(&[], |c| c.violations())
    }

    // --- read access ---

    pub fn now(&self) -> Micros {
        self.now
    }
    pub fn end_time(&self) -> Micros {
        self.end
    }
    pub fn set_end_time(&mut self, end: Micros) {
        self.end = end;
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.nodes
            .get((id as usize).checked_sub(1)?)
            .map(|s| &s.node)
    }
    pub fn is_up(&self, id: NodeId) -> bool {
        id >= 1 && self.nodes.get(id as usize - 1).is_some_and(|s| s.up)
    }
    pub fn node_count(&self) -> u32 {
        self.nodes.len() as u32
    }
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// When a node's timer fires, if it is running.
    pub fn timer_deadline(&self, id: NodeId, timer: Timer) -> Option<Micros> {
        self.nodes.get((id as usize).checked_sub(1)?)?.timers[timer.slot()].deadline
    }

    /// When a node's running timer was set and when it fires.
    pub fn timer_span(&self, id: NodeId, timer: Timer) -> Option<(Micros, Micros)> {
        let t = &self.nodes.get((id as usize).checked_sub(1)?)?.timers[timer.slot()];
        t.deadline.map(|d| (t.started, d))
    }
    /// The latest time whose events have all been processed (`now`, or
    /// just before it while events of `now` are still queued).
    pub fn complete_through(&self) -> Micros {
        match self.queue.peek() {
            Some(q) if q.at <= self.now => self.now.saturating_sub(1),
            _ => self.now,
        }
    }
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// Messages on the wire now, by id (a duplicated message shows twice).
    pub fn in_flight(&self) -> Vec<InFlight<'_, N::Msg>> {
        let mut v: Vec<InFlight<'_, N::Msg>> = self
            .queue
            .iter()
            .filter_map(|q| match &q.ev {
                Ev::Deliver {
                    id,
                    from,
                    to,
                    sent,
                    msg,
                } => Some(InFlight {
                    id: *id,
                    from: *from,
                    to: *to,
                    sent: *sent,
                    arrives: q.at,
                    msg,
                }),
                _ => None,
            })
            .collect();
        v.sort_by_key(|m| (m.id, m.arrives));
        v
    }
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
    }
    pub fn is_recording(&self) -> bool {
        self.recording
    }
    pub fn trace(&self) -> &[TraceRecord<N::Msg>] {
        &self.trace
    }
    pub fn take_trace(&mut self) -> Vec<TraceRecord<N::Msg>> {
        std::mem::take(&mut self.trace)
    }

    // --- running ---

    /// Process the next event, if any is due by the end time.
    pub fn step(&mut self) -> bool {
        self.boot();
        match self.queue.peek() {
            Some(q) if q.at <= self.end => {}
            _ => return false,
        }
        let Some(q) = self.queue.pop() else {
            return false;
        };
        self.now = q.at;
        self.handle(q.ev);
        true
    }

    /// Process every event up to and including time `t` (capped at the end).
    pub fn run_until(&mut self, t: Micros) {
        self.boot();
        let t = t.min(self.end);
        while self.queue.peek().is_some_and(|q| q.at <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    /// Run to the end time and record the final `end` event.
    pub fn run_to_end(&mut self) {
        self.run_until(self.end);
        self.finish();
    }

    /// Record the `end` event with every node's final state.
    pub fn finish(&mut self) {
        if self.recording {
            let nodes = self.statuses();
            self.record(TraceEvent::End { nodes });
        }
    }

    fn push(&mut self, at: Micros, ev: Ev<N::Msg>) {
        self.seq += 1;
        let class = u8::from(matches!(ev, Ev::Action(_)));
        self.queue.push(Queued {
            at,
            class,
            seq: self.seq,
            ev,
        });
    }

    fn record(&mut self, ev: TraceEvent<N::Msg>) {
        if self.recording {
            self.trace.push(TraceRecord { t: self.now, ev });
        }
    }

    fn handle(&mut self, ev: Ev<N::Msg>) {
        match ev {
            Ev::Deliver {
                id, from, to, msg, ..
            } => {
                self.stats.events += 1;
                let why = if !self.nodes[to as usize - 1].up {
                    Some("crashed")
                } else {
                    self.net.blocked(from, to).map(Blocked::as_str)
                };
                if let Some(why) = why {
                    self.drop_msg(id, why);
                    return;
                }
                self.stats.delivered += 1;
                self.record(TraceEvent::Deliver { id });
                self.step_node(to, Input::Message { from, msg });
            }
            Ev::Timer { node, timer, gen } => {
                let slot = &mut self.nodes[node as usize - 1];
                let t = &mut slot.timers[timer.slot()];
                if !slot.up || t.gen != gen {
                    return; // superseded or cleared
                }
                t.deadline = None;
                self.stats.events += 1;
                self.step_node(node, Input::Timeout(timer));
            }
            Ev::Action(i) => {
                self.stats.events += 1;
                let what = self.actions[i].what.clone();
                self.act(what);
            }
            Ev::ToNode {
                client,
                op_id,
                node,
                op,
            } => {
                self.stats.events += 1;
                if self.nodes[node as usize - 1].up {
                    self.step_node(node, Input::Propose { client, op_id, op });
                }
            }
            Ev::ToClient {
                client,
                op_id,
                from,
                response,
            } => {
                self.stats.events += 1;
                self.client_reply(client, op_id, from, response);
            }
            Ev::Client { client, timer, tag } => {
                self.stats.events += 1;
                self.client_timer(client, timer, tag);
            }
        }
    }

    fn drop_msg(&mut self, id: u64, why: &'static str) {
        match why {
            "loss" | "user" => self.stats.dropped_loss += 1,
            "crashed" => self.stats.dropped_crashed += 1,
            _ => self.stats.dropped_partition += 1,
        }
        self.record(TraceEvent::Drop { id, why });
    }

    fn step_node(&mut self, id: NodeId, input: Input<N::Msg>) {
        let mut out = std::mem::take(&mut self.out);
        self.nodes[id as usize - 1].node.step(input, &mut out);
        self.apply_outputs(id, &mut out);
        self.out = out;
    }

    fn apply_outputs(&mut self, id: NodeId, out: &mut Vec<Output<N::Msg>>) {
        if let Some(c) = &mut self.checker {
            let before = c.violations().len();
            for o in out.iter() {
                c.observe(self.now, id, o);
            }
            if c.violations().len() > before && self.recording {
                let new: Vec<Violation> = c.violations()[before..].to_vec();
                for v in new {
                    self.record(TraceEvent::Violation {
                        property: v.property,
                        nodes: v.nodes,
                        index: v.index,
                        terms: v.terms,
                        message: v.message,
                    });
                }
            }
        }
        for o in out.drain(..) {
            match o {
                Output::Send { to, msg } => self.send(id, to, msg),
                Output::Role { role, term } => {
                    if role == Role::Leader {
                        self.stats.leaders.entry(term).or_default().push(id);
                    }
                    self.record(TraceEvent::Role {
                        node: id,
                        role,
                        term,
                    });
                }
                Output::Vote { term, voted_for } => self.record(TraceEvent::Vote {
                    node: id,
                    term,
                    voted_for,
                }),
                Output::Append { index, term, cmd } => self.record(TraceEvent::Append {
                    node: id,
                    index,
                    term,
                    op: cmd,
                }),
                Output::Truncate { from } => self.record(TraceEvent::Truncate {
                    node: id,
                    from_index: from,
                }),
                Output::Commit { index } => {
                    self.stats.max_commit = self.stats.max_commit.max(index);
                    self.record(TraceEvent::Commit { node: id, index });
                }
                Output::Apply {
                    index,
                    term,
                    cmd,
                    result,
                } => self.record(TraceEvent::Apply {
                    node: id,
                    index,
                    term,
                    op: cmd,
                    result,
                }),
                Output::Reply {
                    client,
                    op_id,
                    response,
                } => {
                    let at = self.now + self.latency();
                    self.push(
                        at,
                        Ev::ToClient {
                            client,
                            op_id,
                            from: id,
                            response,
                        },
                    );
                }
                Output::SetTimer(timer) => {
                    let len = match timer {
                        Timer::Election => self.rng.range(
                            self.timing.election_timeout.0,
                            self.timing.election_timeout.1,
                        ),
                        Timer::Heartbeat => self.timing.heartbeat,
                    };
                    let at = self.now + len;
                    let now = self.now;
                    let t = &mut self.nodes[id as usize - 1].timers[timer.slot()];
                    t.gen += 1;
                    t.started = now;
                    t.deadline = Some(at);
                    let gen = t.gen;
                    self.push(
                        at,
                        Ev::Timer {
                            node: id,
                            timer,
                            gen,
                        },
                    );
                }
                Output::ClearTimer(timer) => {
                    let t = &mut self.nodes[id as usize - 1].timers[timer.slot()];
                    t.gen += 1;
                    t.deadline = None;
                }
            }
        }
    }

    fn latency(&mut self) -> Micros {
        self.rng.range(self.net.latency.0, self.net.latency.1)
    }

    /// Put a message on the network: maybe lose it, maybe duplicate it,
    /// and deliver each copy after its own latency.
    fn send(&mut self, from: NodeId, to: NodeId, msg: N::Msg) {
        if to == 0 || to as usize > self.nodes.len() {
            return;
        }
        self.next_msg_id += 1;
        let id = self.next_msg_id;
        self.stats.sent += 1;
        if self.recording {
            self.record(TraceEvent::Send {
                id,
                from,
                to,
                msg: msg.clone(),
            });
        }
        if let Some(b) = self.net.blocked(from, to) {
            self.drop_msg(id, b.as_str());
            return;
        }
        if self.rng.chance(self.net.drop) {
            self.drop_msg(id, "loss");
            return;
        }
        if self.rng.chance(self.net.duplicate) {
            self.deliver_copy(id, from, to, self.now, msg.clone());
        }
        self.deliver_later(id, from, to, self.now, msg);
    }

    /// Put a copy of message `id` on the wire, arriving after a fresh latency.
    fn deliver_later(&mut self, id: u64, from: NodeId, to: NodeId, sent: Micros, msg: N::Msg) {
        let at = self.now + self.latency();
        self.push(
            at,
            Ev::Deliver {
                id,
                from,
                to,
                sent,
                msg,
            },
        );
    }

    /// Deliver one more copy of message `id` (network or user duplication).
    fn deliver_copy(&mut self, id: u64, from: NodeId, to: NodeId, sent: Micros, msg: N::Msg) {
        self.stats.duplicated += 1;
        self.record(TraceEvent::Duplicate { id });
        self.deliver_later(id, from, to, sent, msg);
    }

    // --- scenario actions (also the UI's actions) ---

    /// Add an action at `at` (not before now): a user's click becomes one.
    /// Node ids must be of this cluster.
    pub fn schedule(&mut self, action: Action) -> Result<(), String> {
        let n = self.nodes.len() as u32;
        let ok = |id: NodeId| (1..=n).contains(&id);
        let valid = match &action.what {
            ActionKind::Crash(i) | ActionKind::Restart(i) | ActionKind::Timeout(i) => ok(*i),
            ActionKind::Cut(a, b) | ActionKind::Uncut(a, b) => ok(*a) && ok(*b) && a != b,
            ActionKind::Partition(groups) => groups.iter().flatten().all(|&i| ok(i)),
            ActionKind::Request { node, count, .. } => node.is_none_or(ok) && *count >= 1,
            ActionKind::Heal
            | ActionKind::Network { .. }
            | ActionKind::DropMessage(_)
            | ActionKind::DuplicateMessage(_) => true,
        };
        if !valid {
            return Err(format!("{action:?} names a node outside 1..={n}"));
        }
        self.boot();
        let at = action.at.max(self.now);
        let i = self.actions.len();
        self.actions.push(Action { at, ..action });
        self.push(at, Ev::Action(i));
        Ok(())
    }

    fn act(&mut self, what: ActionKind) {
        let n = self.nodes.len() as u32;
        match what {
            ActionKind::Crash(id) => {
                let slot = &mut self.nodes[id as usize - 1];
                if slot.up {
                    slot.up = false;
                    slot.node.crash();
                    if let Some(c) = &mut self.checker {
                        c.crash(id);
                    }
                    for t in &mut slot.timers {
                        t.gen += 1;
                        t.deadline = None;
                    }
                    self.record(TraceEvent::Crash { node: id });
                }
            }
            ActionKind::Restart(id) => {
                if !self.nodes[id as usize - 1].up {
                    self.nodes[id as usize - 1].up = true;
                    if let Some(c) = &mut self.checker {
                        c.restart(id);
                    }
                    self.record(TraceEvent::Restart { node: id });
                    let mut out = std::mem::take(&mut self.out);
                    self.nodes[id as usize - 1].node.restart(&mut out);
                    self.apply_outputs(id, &mut out);
                    self.out = out;
                }
            }
            ActionKind::Timeout(id) => {
                if self.nodes[id as usize - 1].up {
                    self.record(TraceEvent::Timeout { node: id });
                    self.step_node(id, Input::Timeout(Timer::Election));
                }
            }
            ActionKind::Partition(groups) => {
                self.net.partition(n, &groups);
                self.record(TraceEvent::Partition { groups });
            }
            ActionKind::Heal => {
                self.net.heal();
                self.record(TraceEvent::Heal);
            }
            ActionKind::Cut(from, to) => {
                self.net.cut(from, to);
                self.record(TraceEvent::Cut { from, to });
            }
            ActionKind::Uncut(from, to) => {
                self.net.uncut(from, to);
                self.record(TraceEvent::Uncut { from, to });
            }
            ActionKind::Network {
                drop,
                duplicate,
                latency,
            } => {
                if let Some(d) = drop {
                    self.drop_p = d;
                    self.net.drop = Chance::from_probability(d);
                }
                if let Some(d) = duplicate {
                    self.dup_p = d;
                    self.net.duplicate = Chance::from_probability(d);
                }
                if let Some(l) = latency {
                    self.net.latency = l;
                }
                let (lo, hi) = self.net.latency;
                self.record(TraceEvent::Network {
                    drop: self.drop_p,
                    duplicate: self.dup_p,
                    latency_ms: [lo as f64 / 1000.0, hi as f64 / 1000.0],
                });
            }
            ActionKind::DropMessage(id) => {
                let before = self.queue.len();
                self.queue
                    .retain(|q| !matches!(q.ev, Ev::Deliver { id: i, .. } if i == id));
                for _ in self.queue.len()..before {
                    self.drop_msg(id, "user");
                }
            }
            ActionKind::DuplicateMessage(id) => {
                let copy = self.queue.iter().find_map(|q| match &q.ev {
                    Ev::Deliver {
                        id: i,
                        from,
                        to,
                        sent,
                        msg,
                    } if *i == id => Some((*from, *to, *sent, msg.clone())),
                    _ => None,
                });
                if let Some((from, to, sent, msg)) = copy {
                    self.deliver_copy(id, from, to, sent, msg);
                }
            }
            ActionKind::Request { op, node, count } => {
                for _ in 0..count {
                    let id = self.clients.len() as ClientId + 1;
                    let target = node.unwrap_or(self.leader_hint);
                    self.clients.push(Client {
                        id,
                        one_shot: Some(op.clone()),
                        target,
                        next_op: 1,
                        state: ClientState::Thinking,
                        last_seen: Vec::new(),
                    });
                    self.invoke(id, op.clone());
                }
            }
        }
    }

    // --- clients ---

    fn client_timeout(&self) -> Micros {
        self.load.as_ref().map_or(1_000_000, |l| l.timeout)
    }

    fn client_retry(&self) -> Micros {
        self.load
            .as_ref()
            .map_or(self.timing.election_timeout.1, |l| l.retry)
    }

    /// Choose a random operation for a closed-loop client.
    fn next_op(&mut self, c: usize, keys: u32) -> KvOp {
        let k = self.rng.below(u64::from(keys));
        let key = self.keys[k as usize].clone();
        let roll = self.rng.below(10);
        let client = &self.clients[c];
        let value = Text::from(format!("{}.{}", client.id, client.next_op));
        match roll {
            0..=3 => KvOp::Put { key, value },
            4..=7 => KvOp::Get { key },
            _ => KvOp::Cas {
                key,
                expect: client.last_seen[k as usize].clone(),
                value,
            },
        }
    }

    fn invoke(&mut self, client: ClientId, op: KvOp) {
        let c = client as usize - 1;
        let op_id = self.clients[c].next_op;
        self.clients[c].next_op += 1;
        self.clients[c].state = ClientState::Waiting {
            op_id,
            op: op.clone(),
            // Attempt tags start in a range of their own per operation, so
            // a retry timer left from an earlier operation never matches.
            attempt: op_id << 32,
            invoked: self.now,
        };
        self.stats.invoked += 1;
        if let Some(h) = &mut self.history {
            h.push(HistoryEvent::Invoke {
                t: self.now,
                client,
                op_id,
                op: op.clone(),
            });
        }
        self.record(TraceEvent::Invoke { client, op_id, op });
        let deadline = self.now + self.client_timeout();
        self.push(
            deadline,
            Ev::Client {
                client,
                timer: ClientTimer::Deadline,
                tag: op_id,
            },
        );
        self.attempt(client);
    }

    /// Send the waiting op to the client's current target.
    fn attempt(&mut self, client: ClientId) {
        let c = client as usize - 1;
        let target = self.clients[c].target;
        let ClientState::Waiting {
            op_id, op, attempt, ..
        } = &mut self.clients[c].state
        else {
            return;
        };
        *attempt += 1;
        let (op_id, op, tag) = (*op_id, op.clone(), *attempt);
        let at = self.now + self.latency();
        self.push(
            at,
            Ev::ToNode {
                client,
                op_id,
                node: target,
                op,
            },
        );
        let retry = self.now + self.client_retry();
        self.push(
            retry,
            Ev::Client {
                client,
                timer: ClientTimer::Retry,
                tag,
            },
        );
    }

    fn client_reply(
        &mut self,
        client: ClientId,
        op_id: OpId,
        from: NodeId,
        response: ClientResponse,
    ) {
        let n = self.nodes.len() as u32;
        let c = client as usize - 1;
        let Some(cl) = self.clients.get_mut(c) else {
            return;
        };
        match &cl.state {
            ClientState::Waiting { op_id: w, .. } if *w == op_id => {}
            _ => return, // an answer to an op already finished
        }
        match response {
            ClientResponse::Done { result } => {
                cl.target = from;
                self.leader_hint = from;
                self.complete(client, op_id, result);
            }
            ClientResponse::NotLeader { hint } => match hint {
                Some(h) if h != from => {
                    cl.target = h;
                    self.leader_hint = h;
                    self.attempt(client);
                }
                _ => {
                    cl.target = next_node(n, from);
                    let ClientState::Waiting { attempt, .. } = &mut cl.state else {
                        return;
                    };
                    *attempt += 1;
                    let tag = *attempt;
                    // No leader known: back off a heartbeat before asking again.
                    let at = self.now + self.timing.heartbeat.min(BACKOFF_CAP);
                    self.push(
                        at,
                        Ev::Client {
                            client,
                            timer: ClientTimer::Resend,
                            tag,
                        },
                    );
                }
            },
        }
    }

    fn complete(&mut self, client: ClientId, op_id: OpId, result: OpResult) {
        let c = client as usize - 1;
        let invoked = match &self.clients[c].state {
            ClientState::Waiting { invoked, .. } => *invoked,
            _ => self.now,
        };
        if let ClientState::Waiting { op, .. } = &self.clients[c].state {
            // Remember what this client saw, for its next cas.
            let seen = match (&op, &result) {
                (KvOp::Put { value, .. }, OpResult::Ok) => Some(Some(value.clone())),
                (KvOp::Cas { value, .. }, OpResult::Ok) => Some(Some(value.clone())),
                (_, OpResult::Value { value }) => Some(value.clone()),
                (_, OpResult::Mismatch { actual }) => Some(actual.clone()),
                _ => None,
            };
            let key = op
                .key()
                .strip_prefix('k')
                .and_then(|k| k.parse::<usize>().ok());
            if let (Some(seen), Some(k)) = (seen, key) {
                if let Some(slot) = self.clients[c].last_seen.get_mut(k.wrapping_sub(1)) {
                    *slot = seen;
                }
            }
        }
        match &result {
            OpResult::Error { reason } if reason == "timeout" => self.stats.timed_out += 1,
            OpResult::Error { .. } => self.stats.failed += 1,
            _ => self.stats.ok += 1,
        }
        if let Some(h) = &mut self.history {
            h.push(HistoryEvent::Return {
                t: self.now,
                client,
                op_id,
                result: result.clone(),
            });
        }
        self.record(TraceEvent::Return {
            client,
            op_id,
            invoked,
            result,
        });
        if self.clients[c].one_shot.is_some() {
            self.clients[c].state = ClientState::Done;
            return;
        }
        self.clients[c].state = ClientState::Thinking;
        if let Some(load) = &self.load {
            let (lo, hi) = load.think;
            let at = self.now + self.rng.range(lo, hi);
            self.push(
                at,
                Ev::Client {
                    client,
                    timer: ClientTimer::Think,
                    tag: 0,
                },
            );
        }
    }

    fn client_timer(&mut self, client: ClientId, timer: ClientTimer, tag: u64) {
        let n = self.nodes.len() as u32;
        let c = client as usize - 1;
        match (timer, &self.clients[c].state) {
            (ClientTimer::Think, ClientState::Thinking) => {
                if self
                    .load
                    .as_ref()
                    .and_then(|l| l.stop)
                    .is_some_and(|s| self.now >= s)
                {
                    return; // the load has stopped
                }
                let keys = self.load.as_ref().map_or(1, |l| l.keys);
                let op = match &self.clients[c].one_shot {
                    Some(op) => op.clone(),
                    None => self.next_op(c, keys),
                };
                self.invoke(client, op);
            }
            (ClientTimer::Retry, ClientState::Waiting { attempt, .. }) if *attempt == tag => {
                // Silence: try the next server.
                let t = self.clients[c].target;
                self.clients[c].target = next_node(n, t);
                self.attempt(client);
            }
            (ClientTimer::Resend, ClientState::Waiting { attempt, .. }) if *attempt == tag => {
                self.attempt(client);
            }
            (ClientTimer::Deadline, ClientState::Waiting { op_id, .. }) if *op_id == tag => {
                // Give up: the op may or may not have taken effect.
                self.complete(
                    client,
                    tag,
                    OpResult::Error {
                        reason: "timeout".into(),
                    },
                );
            }
            _ => {}
        }
    }
}
