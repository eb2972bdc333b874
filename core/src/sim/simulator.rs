//! The discrete-event simulator. One event at a time, in (time, sequence)
//! order; every random draw comes from one seeded stream in that order, so a
//! scenario replays exactly.
//!
//! In parts, as TigerBeetle's VOPR: the event queue ([`queue`]), node
//! timers ([`timers`]), the client workload ([`workload`]), faults and other
//! actions ([`faults`]), the network send path and the shared clock and
//! random stream ([`world`]), and one observer path ([`observe`]) that
//! feeds the checker, the trace, the stats and the client history. This
//! file holds the cluster and the loop; it knows a protocol only through
//! [`Node`], so any protocol can run on it.

mod faults;
mod observe;
mod queue;
mod timers;
mod workload;
mod world;

use super::check::{Checker, Violation};
use super::describe::Wire;
use super::network::{Endpoint, Network};
use super::node::{Node, Protocol};
use super::rng::Chance;
use super::scenario::{Action, ActionKind, Scenario};
use super::status::NodeStatus;
use super::trace::{DropReason, TraceRecord};
use super::Micros;
use crate::protocol::{
    ClientId, ClientResponse, ConfChange, Input, KvOp, NodeId, OpId, Output, RaftNode, Timer,
};
use queue::Ev;
use timers::NodeTimers;
use workload::Workload;
use world::World;

pub use observe::{HistoryEvent, Stats};
pub use timers::Timing;
pub use workload::{ClientSpec, ClientStatus};

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

/// A client's request or a server's reply on the wire.
#[derive(Clone, Copy, Debug)]
pub struct ClientInFlight<'a> {
    pub id: u64,
    pub client: ClientId,
    /// The server it comes from (a reply) or goes to (a request).
    pub node: NodeId,
    /// A request (client to server) or a reply (server to client).
    pub what: ClientMessage<'a>,
    pub op_id: OpId,
    pub sent: Micros,
    pub arrives: Micros,
}

impl ClientInFlight<'_> {
    /// Where it comes from and where it goes.
    pub fn ends(&self) -> (Endpoint, Endpoint) {
        let (c, s) = (Endpoint::Client(self.client), Endpoint::Node(self.node));
        match self.what {
            ClientMessage::Request(_) => (c, s),
            ClientMessage::Reply(_) => (s, c),
        }
    }
}

/// What a client message carries.
#[derive(Clone, Copy, Debug)]
pub enum ClientMessage<'a> {
    Request(&'a KvOp),
    Reply(&'a ClientResponse),
}

/// One node of the cluster: the protocol state machine, whether it is up,
/// and the timers the simulator runs for it.
#[derive(Clone, Debug)]
struct Slot<N> {
    node: N,
    up: bool,
    timers: NodeTimers,
    /// Its clock's rate, in parts per million of real time (1 000 000:
    /// exact; `timing.clock_drift` draws it once per run).
    rate_ppm: u64,
}

const PPM: u64 = 1_000_000;

#[derive(Clone, Debug)]
pub struct Simulator<N: Node = RaftNode> {
    /// The clock, queue, random stream, network and observers.
    w: World<N::Msg>,
    end: Micros,
    /// Node id i is `nodes[i - 1]`.
    nodes: Vec<Slot<N>>,
    timing: Timing,
    workload: Workload,
    /// Every action so far (scenario events, then user clicks), by number.
    actions: Actions,
    /// Membership changes asked for and not yet in force, oldest first,
    /// and whether an administrator's try is queued.
    changes: std::collections::VecDeque<ConfChange>,
    admin_queued: bool,
    /// Loss and duplication probabilities as given (the trace's `network`
    /// event shows these, not their rounded [`Chance`]s).
    drop_p: f64,
    dup_p: f64,
    booted: bool,
    /// The output buffer lent to each node step (kept to reuse its memory).
    out: Vec<Output<N::Msg>>,
}

/// The actions by number: the scenario's (shared with it, not copied),
/// then those added since (a user's clicks).
#[derive(Clone, Debug, Default)]
struct Actions {
    scheduled: std::sync::Arc<[Action]>,
    added: Vec<Action>,
}

impl Actions {
    fn len(&self) -> usize {
        self.scheduled.len() + self.added.len()
    }

    fn get(&self, i: usize) -> &Action {
        match i.checked_sub(self.scheduled.len()) {
            None => &self.scheduled[i],
            Some(j) => &self.added[j],
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Action> {
        self.scheduled.iter().chain(&self.added)
    }

    /// Add an action; its number.
    fn push(&mut self, a: Action) -> usize {
        self.added.push(a);
        self.len() - 1
    }
}

/// How many one-shot clients an action makes.
fn requests(a: &Action) -> u64 {
    match a.what {
        ActionKind::Request { count, .. } => u64::from(count),
        _ => 0,
    }
}

impl Simulator<RaftNode> {
    /// Build the Raft cluster, clients and event queue a scenario describes.
    pub fn from_scenario(s: &Scenario) -> Self {
        Simulator::for_protocol(s)
    }
}

impl<N: Protocol> Simulator<N> {
    /// Build protocol `N`'s cluster, clients and event queue for a scenario.
    pub fn for_protocol(s: &Scenario) -> Self {
        Simulator::from_scenario_with(s, N::build)
    }
}

impl<N: Node> Simulator<N> {
    /// A simulator over any protocol's nodes (ids 1..=n, in order).
    pub fn new(nodes: Vec<N>, timing: Timing, net: Network, seed: u64, end: Micros) -> Self {
        let nodes: Vec<Slot<N>> = nodes
            .into_iter()
            .map(|node| Slot {
                node,
                up: true,
                timers: NodeTimers::default(),
                rate_ppm: PPM,
            })
            .collect();
        let mut w = World::new(net, seed);
        w.queue.set_horizon(end);
        Simulator {
            w,
            end,
            workload: Workload::new(None, nodes.len() as u32, &timing),
            nodes,
            timing,
            actions: Actions::default(),
            changes: std::collections::VecDeque::new(),
            admin_queued: false,
            drop_p: 0.0,
            dup_p: 0.0,
            booted: false,
            out: Vec::new(),
        }
    }

    /// Build the cluster, clients and event queue a scenario describes,
    /// with `make(id, scenario)` building node `id` of any protocol.
    pub fn from_scenario_with(s: &Scenario, mut make: impl FnMut(NodeId, &Scenario) -> N) -> Self {
        let nodes = (1..=s.nodes).map(|id| make(id, s)).collect();
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
        if s.clock_drift_ppm > 0 {
            // Drawn first, so a run without drift draws as before.
            let d = u64::from(s.clock_drift_ppm);
            for slot in &mut sim.nodes {
                slot.rate_ppm = sim.w.rng.range(PPM - d, PPM + d);
            }
        }
        sim.drop_p = s.drop;
        sim.dup_p = s.duplicate;
        sim.workload = Workload::new(s.clients.clone(), s.nodes, &sim.timing);
        sim.actions = Actions {
            scheduled: s.actions.clone(),
            added: Vec::new(),
        };
        sim
    }

    /// Start every node, schedule the actions and the first client ops.
    /// Boot order is fixed: nodes by id, then actions, then clients. Runs
    /// once, before the first event (so `set_recording` can come first).
    pub fn boot(&mut self) {
        if self.booted {
            return;
        }
        self.booted = true;
        for id in 1..=self.nodes.len() as NodeId {
            self.with_node(id, |node, out| node.start(out));
        }
        self.w.queue.reserve_actions(self.actions.len());
        for (i, a) in self.actions.scheduled.iter().enumerate() {
            self.w.queue.push(a.at, Ev::Action(i));
        }
        // Room for every one-shot client the actions will make, so a long
        // run's client table does not grow (and copy itself) as it goes.
        let one_shot: u64 = self.actions.iter().map(requests).sum();
        self.workload.reserve(one_shot);
        self.workload.boot(&mut self.w);
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
        self.w.obs.checker = Some(Checker::new(&self.statuses()));
    }

    /// Keep the client history (invokes and returns) from now on.
    pub fn enable_history(&mut self) {
        self.w.obs.history.get_or_insert_with(Vec::new);
    }

    pub fn history(&self) -> &[HistoryEvent] {
        self.w.obs.history.as_deref().unwrap_or(&[])
    }

    /// Violations found so far (empty unless checks are on).
    pub fn violations(&self) -> &[Violation] {
        self.w.obs.checker.as_ref().map_or(&[], |c| c.violations())
    }

    // --- read access ---

    pub fn now(&self) -> Micros {
        self.w.now
    }
    pub fn end_time(&self) -> Micros {
        self.end
    }
    pub fn set_end_time(&mut self, end: Micros) {
        self.end = end;
        self.w.queue.set_horizon(end);
    }
    pub fn stats(&self) -> &Stats {
        &self.w.obs.stats
    }
    fn slot(&self, id: NodeId) -> Option<&Slot<N>> {
        self.nodes.get((id as usize).checked_sub(1)?)
    }
    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.slot(id).map(|s| &s.node)
    }
    pub fn is_up(&self, id: NodeId) -> bool {
        self.slot(id).is_some_and(|s| s.up)
    }
    pub fn node_count(&self) -> u32 {
        self.nodes.len() as u32
    }
    pub fn network(&self) -> &Network {
        &self.w.net
    }
    /// When a node's timer fires, if it is running.
    pub fn timer_deadline(&self, id: NodeId, timer: Timer) -> Option<Micros> {
        self.slot(id)?.timers.deadline(timer)
    }
    /// When a node's running timer was set and when it fires.
    pub fn timer_span(&self, id: NodeId, timer: Timer) -> Option<(Micros, Micros)> {
        self.slot(id)?.timers.span(timer)
    }
    /// The latest time whose events have all been processed (`now`, or
    /// just before it while events of `now` are still queued).
    pub fn complete_through(&self) -> Micros {
        match self.w.queue.next_at() {
            Some(at) if at <= self.w.now => self.w.now.saturating_sub(1),
            _ => self.w.now,
        }
    }
    pub fn pending_events(&self) -> usize {
        self.w.queue.len()
    }

    /// When the next event is due, if nothing is on the wire now (no
    /// server message, client request or reply): until then only timers
    /// run, so a viewer may pass that stretch quickly ("skip quiet time").
    /// `None` while a message is in flight or when nothing is queued.
    pub fn quiet_until(&self) -> Option<Micros> {
        if self.w.queue.messages().next().is_some() {
            return None;
        }
        self.w.queue.next_at()
    }

    /// Messages on the wire now, by id (a duplicated message shows twice).
    pub fn in_flight(&self) -> Vec<InFlight<'_, N::Msg>> {
        let mut v: Vec<InFlight<'_, N::Msg>> = self
            .w
            .queue
            .messages()
            .filter_map(|(at, ev)| match ev {
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
                    arrives: at,
                    msg,
                }),
                _ => None,
            })
            .collect();
        v.sort_by_key(|m| (m.id, m.arrives));
        v
    }
    /// Client requests and replies on the wire now, by id (a duplicated
    /// one shows twice).
    pub fn client_in_flight(&self) -> Vec<ClientInFlight<'_>> {
        let mut v: Vec<ClientInFlight<'_>> = Vec::new();
        for (at, ev) in self.w.queue.messages() {
            let m = match ev {
                Ev::ToNode {
                    id,
                    sent,
                    client,
                    op_id,
                    node,
                    op,
                } => ClientInFlight {
                    id: *id,
                    client: *client,
                    node: *node,
                    what: ClientMessage::Request(op),
                    op_id: *op_id,
                    sent: *sent,
                    arrives: at,
                },
                Ev::ToClient {
                    id,
                    sent,
                    client,
                    op_id,
                    from,
                    response,
                } => ClientInFlight {
                    id: *id,
                    client: *client,
                    node: *from,
                    what: ClientMessage::Reply(response),
                    op_id: *op_id,
                    sent: *sent,
                    arrives: at,
                },
                _ => continue,
            };
            // Kept in order as it is built: few are ever on the wire, and
            // the page carries no sort for them.
            let at = v.partition_point(|x| (x.id, x.arrives) <= (m.id, m.arrives));
            v.insert(at, m);
        }
        v
    }

    /// How many clients the run has had so far (ids 1..=count): the
    /// closed-loop ones, then one per one-shot request fired.
    pub fn client_count(&self) -> u64 {
        self.workload.client_count()
    }

    /// What client `c` is doing now.
    pub fn client_status(&self, c: ClientId) -> Option<ClientStatus> {
        self.workload.status(c)
    }

    pub fn set_recording(&mut self, on: bool) {
        self.w.obs.recording = on;
    }
    pub fn is_recording(&self) -> bool {
        self.w.obs.recording
    }
    pub fn trace(&self) -> &[TraceRecord<N::Msg>] {
        &self.w.obs.trace
    }
    pub fn take_trace(&mut self) -> Vec<TraceRecord<N::Msg>> {
        std::mem::take(&mut self.w.obs.trace)
    }

    // --- running ---

    /// Process the next event, if any is due by the end time.
    pub fn step(&mut self) -> bool {
        self.boot();
        if self.w.queue.next_at().is_none_or(|at| at > self.end) {
            return false;
        }
        let Some((at, ev)) = self.w.queue.pop() else {
            return false;
        };
        self.w.now = at;
        self.handle(ev);
        true
    }

    /// Process every event up to and including time `t` (capped at the end).
    pub fn run_until(&mut self, t: Micros) {
        self.boot();
        let t = t.min(self.end);
        // As `step` until the next event is after `t`, in one look at the
        // queue per event.
        while let Some((at, ev)) = self.w.queue.pop_until(t) {
            self.w.now = at;
            self.handle(ev);
        }
        self.w.now = self.w.now.max(t);
    }

    /// Run to the end time and record the final `end` event.
    pub fn run_to_end(&mut self) {
        self.run_until(self.end);
        self.finish();
    }

    /// Record the `end` event with every node's final state.
    pub fn finish(&mut self) {
        if self.w.obs.recording {
            let nodes = self.statuses();
            self.w.obs.end(self.w.now, nodes);
        }
    }

    /// One event: a delivery, a node timer, an action, or a client's
    /// request, reply or timer.
    fn handle(&mut self, ev: Ev<N::Msg>) {
        match ev {
            Ev::Deliver {
                id, from, to, msg, ..
            } => self.deliver(id, from, to, msg),
            Ev::Timer { node, timer, gen } => {
                let slot = &mut self.nodes[node as usize - 1];
                if !slot.up || !slot.timers.fire(timer, gen) {
                    return; // superseded or cleared
                }
                self.w.obs.event();
                self.with_node(node, |n, out| n.step(Input::Timeout(timer), out));
            }
            Ev::Action(i) => {
                self.w.obs.event();
                let what = self.actions.get(i).what.clone();
                self.act(what);
            }
            Ev::ToNode {
                id,
                client,
                op_id,
                node,
                op,
                ..
            } => {
                self.w.obs.event();
                if self.arrives(id, Endpoint::Client(client), node) {
                    // Simulated clients run one operation at a time: every
                    // one before this was answered or given up on.
                    let input = Input::Propose {
                        client,
                        op_id,
                        op,
                        first_unacked: op_id,
                    };
                    self.with_node(node, |n, out| n.step(input, out));
                }
            }
            Ev::ToClient {
                id,
                client,
                op_id,
                from,
                response,
                ..
            } => {
                self.w.obs.event();
                if self.reaches_client(id, from, client) {
                    let w = &mut self.w;
                    self.workload.on_reply(w, client, op_id, from, response);
                }
            }
            Ev::Admin => {
                self.admin_queued = false;
                self.administer();
            }
            Ev::Client { client, timer, tag } => {
                self.w.obs.event();
                self.workload.on_timer(&mut self.w, client, timer, tag);
            }
        }
    }

    /// A message arrives: dropped if the receiver is down or the link is
    /// blocked now, else stepped into the receiver.
    fn deliver(&mut self, id: u64, from: NodeId, to: NodeId, msg: N::Msg) {
        self.w.obs.event();
        if self.arrives(id, from.into(), to) {
            if msg.harmless() {
                self.w.obs.harmless_step();
            }
            self.with_node(to, |n, out| n.step(Input::Message { from, msg }, out));
        }
    }

    /// Server `id`'s clock rate, in parts per million of real time.
    pub fn clock_rate_ppm(&self, id: NodeId) -> Option<u64> {
        self.slot(id).map(|s| s.rate_ppm)
    }

    /// Message `id` from `from` reaches server `to`, unless `to` is down or
    /// the link is blocked now (then it is dropped); the observers see
    /// which.
    fn arrives(&mut self, id: u64, from: Endpoint, to: NodeId) -> bool {
        let client = from.client().is_some();
        let why = if !self.is_up(to) {
            Some(DropReason::Crashed)
        } else {
            self.w.net.blocked(from, to).map(DropReason::from)
        };
        if let Some(why) = why {
            self.w.obs.drop(self.w.now, id, why, client);
            return false;
        }
        self.w.obs.deliver(self.w.now, id, client);
        true
    }

    /// A reply reaches its client, unless the link is blocked now.
    fn reaches_client(&mut self, id: u64, from: NodeId, client: ClientId) -> bool {
        if let Some(b) = self.w.net.blocked(from, Endpoint::Client(client)) {
            self.w.obs.drop(self.w.now, id, b.into(), true);
            return false;
        }
        self.w.obs.deliver(self.w.now, id, true);
        true
    }

    /// The one way a node runs: lend it the output buffer for `f` (start,
    /// restart or step), then carry out what it output.
    fn with_node(&mut self, id: NodeId, f: impl FnOnce(&mut N, &mut Vec<Output<N::Msg>>)) {
        let mut out = std::mem::take(&mut self.out);
        let slot = &mut self.nodes[id as usize - 1];
        // Runs of days stay far below u64 overflow (10^11 µs × 2·10^6).
        let local = self.w.now.saturating_mul(slot.rate_ppm) / PPM;
        slot.node.set_clock(local);
        f(&mut slot.node, &mut out);
        self.apply_outputs(id, &mut out);
        self.out = out;
    }

    /// Carry out a node's outputs in order. The observers see the step
    /// first (the checker judges it whole); then sends go on the network,
    /// replies to the clients, timers to the node's slots, and every state
    /// change to the observers.
    fn apply_outputs(&mut self, id: NodeId, out: &mut Vec<Output<N::Msg>>) {
        let now = self.w.now;
        self.w.obs.step_outputs(now, id, out);
        for o in out.drain(..) {
            match o {
                Output::Send { to, msg } => self.w.send(self.nodes.len(), id, to, msg),
                Output::Reply {
                    client,
                    op_id,
                    response,
                } => self.w.reply(id, client, op_id, response),
                Output::SetTimer(timer) => {
                    // The node's length is in its own clock: real time is
                    // longer on a slow clock, shorter on a fast one.
                    let local = self.timing.length(timer, &mut self.w.rng);
                    let rate = self.nodes[id as usize - 1].rate_ppm;
                    let real = if rate == PPM {
                        local
                    } else {
                        local.saturating_mul(PPM).div_ceil(rate)
                    };
                    let deadline = now + real;
                    let timers = &mut self.nodes[id as usize - 1].timers;
                    let gen = timers.set(timer, now, deadline);
                    self.w.queue.push(
                        deadline,
                        Ev::Timer {
                            node: id,
                            timer,
                            gen,
                        },
                    );
                }
                Output::ClearTimer(timer) => self.nodes[id as usize - 1].timers.clear(timer),
                state => self.w.obs.state_change(now, id, state),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ClientResponse, OpResult, Role};

    /// A protocol with no leader and no log: every node answers a client at
    /// once. Enough to show the seam: the workload, the history and the
    /// trace run on anything that implements [`Node`].
    #[derive(Clone, Debug)]
    struct Instant {
        id: NodeId,
        answered: u64,
    }

    /// It sends nothing, so its messages need no words.
    impl crate::sim::Wire for () {
        fn summary(&self) -> (crate::sim::describe::Kind, String) {
            (crate::sim::describe::Kind::Client, String::new())
        }
    }

    impl Node for Instant {
        type Msg = ();
        fn id(&self) -> NodeId {
            self.id
        }
        fn start(&mut self, _: &mut Vec<Output<()>>) {}
        fn step(&mut self, input: Input<()>, out: &mut Vec<Output<()>>) {
            if let Input::Propose { client, op_id, .. } = input {
                self.answered += 1;
                let response = ClientResponse::Done {
                    result: OpResult::Ok,
                };
                out.push(Output::Reply {
                    client,
                    op_id,
                    response,
                });
            }
        }
        fn crash(&mut self) {}
        fn restart(&mut self, _: &mut Vec<Output<()>>) {}
        fn status(&self) -> NodeStatus {
            NodeStatus {
                id: self.id,
                up: true,
                role: Role::Follower,
                term: 0,
                voted_for: None,
                commit_index: 0,
                last_applied: 0,
                snapshot_index: 0,
                snapshot_term: 0,
                config: None,
                log: Vec::new(),
            }
        }
    }

    #[test]
    fn quiet_until_is_the_next_event_while_nothing_is_on_the_wire() {
        let s = Scenario::parse(
            r#"{"version":1,"seed":3,"nodes":3,"duration_ms":5000,
                "timing":{"election_timeout_ms":[150,300],"heartbeat_ms":50,"latency_ms":[10,20]}}"#,
        )
        .expect("scenario");
        let mut sim: Simulator = Simulator::from_scenario(&s);
        sim.boot();
        // Only election timers run: quiet until the first one fires.
        let first = sim.quiet_until().expect("quiet at the start");
        assert!((150_000..=300_000).contains(&first), "{first}");
        assert!(sim.in_flight().is_empty());
        sim.run_until(first);
        // That server's RequestVotes are on the wire now.
        assert!(!sim.in_flight().is_empty());
        assert_eq!(sim.quiet_until(), None);
        // Once they and the answers have arrived, only timers run again.
        while sim.quiet_until().is_none() {
            let next = sim.in_flight().iter().map(|m| m.arrives).min();
            let Some(t) = next else { break };
            sim.run_until(t);
        }
        assert!(sim.in_flight().is_empty());
        let q = sim.quiet_until().expect("quiet between rounds");
        assert!(
            q > sim.now(),
            "the next event is ahead: {q} > {}",
            sim.now()
        );
    }

    #[test]
    fn another_protocol_runs_clients_through_the_factory_seam() {
        let s = Scenario::parse(
            r#"{"version":1,"seed":7,"nodes":3,"duration_ms":2000,
                "clients":{"count":2,"think_ms":[10,20],"keys":2}}"#,
        )
        .expect("scenario");
        let mut sim = Simulator::from_scenario_with(&s, |id, _| Instant { id, answered: 0 });
        sim.enable_history();
        sim.set_recording(true);
        sim.run_to_end();
        let stats = sim.stats();
        assert!(stats.invoked > 20, "{stats:?}");
        assert_eq!(stats.ok + 2, stats.invoked, "one op in flight per client");
        assert!(stats.leaders.is_empty());
        let answered: u64 = (1..=3)
            .filter_map(|id| sim.node(id))
            .map(|n| n.answered)
            .sum();
        assert_eq!(answered, stats.ok);
        assert_eq!(sim.history().len() as u64, stats.invoked + stats.ok);
    }
}
