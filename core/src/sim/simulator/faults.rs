//! Faults and other actions: what a scenario's events (and a user's clicks)
//! do to the cluster. Crash and restart (a node loses its volatile state
//! and resumes from its persistent state, Fig. 2), forced election
//! timeouts, partitions, one-way cuts, network changes, dropping or
//! duplicating one message on the wire, and one-shot client requests.

use super::super::network::Endpoint;
use super::super::node::Node;
use super::super::rng::Chance;
use super::super::scenario::{Action, ActionKind};
use super::super::status::NodeStatus;
use super::super::trace::{DropReason, TraceEvent};
use super::super::Micros;
use super::queue::Ev;
use super::Simulator;
use crate::protocol::{ConfChange, Input, NodeId, Switches, Timer};

impl<N: Node> Simulator<N> {
    /// Add an action at `at` (not before now): a user's click becomes one.
    /// Node ids must be of this cluster, client ids of this run (counting
    /// the clients of every request scheduled, this one's too).
    pub fn schedule(&mut self, action: Action) -> Result<(), String> {
        let n = self.nodes.len() as u32;
        let clients = self.client_total(&action);
        let ok = |id: NodeId| (1..=n).contains(&id);
        let end = |e: &Endpoint| match e {
            Endpoint::Node(id) => ok(*id),
            Endpoint::Client(c) => (1..=clients).contains(c),
        };
        let valid = match &action.what {
            ActionKind::Crash(i)
            | ActionKind::Restart(i)
            | ActionKind::Timeout(i)
            | ActionKind::TransferLeader(i)
            | ActionKind::RemoveServer(i) => ok(*i),
            // A new server takes the next id.
            ActionKind::AddServer(i) => (1..=n + 1).contains(i),
            ActionKind::Cut(a, b) | ActionKind::Uncut(a, b) => {
                end(a) && end(b) && a != b && (a.node().is_some() || b.node().is_some())
            }
            ActionKind::Partition(groups) => groups.iter().flatten().all(end),
            ActionKind::Request { node, count, .. } => node.is_none_or(ok) && *count >= 1,
            ActionKind::Heal
            | ActionKind::Set(_)
            | ActionKind::Network { .. }
            | ActionKind::DropMessage(_)
            | ActionKind::DuplicateMessage(_) => true,
        };
        if !valid {
            return Err(format!(
                "{action:?} names a node outside 1..={n} or a client outside c1..=c{clients}"
            ));
        }
        self.boot();
        let at = action.at.max(self.w.now);
        let i = self.actions.push(Action { at, ..action });
        self.w.queue.push(at, Ev::Action(i));
        Ok(())
    }

    /// The clients of the whole run once `extra` is scheduled: the
    /// closed-loop ones and every one-shot request's.
    fn client_total(&self, extra: &Action) -> u64 {
        let load = self.workload.load_count();
        let scheduled: u64 = self.actions.iter().map(super::requests).sum();
        load + scheduled + super::requests(extra)
    }

    /// Carry out one action.
    pub(super) fn act(&mut self, what: ActionKind) {
        let now = self.w.now;
        // A server that has not joined yet is not there to act on.
        let absent = |id: NodeId| id == 0 || id as usize > self.nodes.len();
        match what {
            ActionKind::Crash(id)
            | ActionKind::Restart(id)
            | ActionKind::Timeout(id)
            | ActionKind::TransferLeader(id)
            | ActionKind::RemoveServer(id)
                if absent(id) => {}
            ActionKind::AddServer(id) => self.add_server(id),
            ActionKind::RemoveServer(id) => {
                self.w
                    .obs
                    .record(now, TraceEvent::RemoveServer { node: id });
                self.ask_for(ConfChange::Remove(id));
            }
            ActionKind::Crash(id) => self.crash(id),
            ActionKind::Restart(id) => self.restart(id),
            ActionKind::Timeout(id) => self.force_timeout(id),
            ActionKind::TransferLeader(to) => self.transfer_leader(to),
            ActionKind::Set(sw) => self.set_switches(sw),
            ActionKind::Partition(groups) => {
                self.w.net.partition(self.nodes.len() as u32, &groups);
                self.w.obs.record(now, TraceEvent::Partition { groups });
            }
            ActionKind::Heal => {
                self.w.net.heal();
                self.w.obs.record(now, TraceEvent::Heal);
            }
            ActionKind::Cut(from, to) => {
                self.w.net.cut(from, to);
                self.w.obs.record(now, TraceEvent::Cut { from, to });
            }
            ActionKind::Uncut(from, to) => {
                self.w.net.uncut(from, to);
                self.w.obs.record(now, TraceEvent::Uncut { from, to });
            }
            ActionKind::Network {
                drop,
                duplicate,
                latency,
            } => self.set_network(drop, duplicate, latency),
            ActionKind::DropMessage(id) => {
                let (copies, client) = self.w.queue.remove_deliveries(id);
                for _ in 0..copies {
                    self.w.obs.drop(now, id, DropReason::User, client);
                }
            }
            ActionKind::DuplicateMessage(id) => {
                if let Some(ev) = self.w.queue.find_delivery(id) {
                    self.w.deliver_copy(id, ev);
                }
            }
            ActionKind::Request { op, node, count } => {
                self.workload.request(&mut self.w, op, node, count)
            }
        }
    }

    /// Server `id` is to join: a new id starts an empty server first (the
    /// next id only; others are ignored), then the change is asked for.
    fn add_server(&mut self, id: NodeId) {
        let n = self.nodes.len();
        if id == 0 || id as usize > n + 1 {
            return;
        }
        let now = self.w.now;
        self.w.obs.record(now, TraceEvent::AddServer { node: id });
        if id as usize == n + 1 {
            let Some(node) = self.nodes[0].node.spawn(id) else {
                return;
            };
            let status = NodeStatus {
                up: true,
                ..node.status()
            };
            self.nodes.push(super::Slot {
                node,
                up: true,
                timers: super::timers::NodeTimers::default(),
                rate_ppm: super::PPM,
            });
            if let Some(c) = &mut self.w.obs.checker {
                c.add_node(&status);
            }
            self.with_node(id, |node, out| node.start(out));
        }
        self.ask_for(ConfChange::Add(id));
    }

    /// Queue a membership change for the administrator to carry out.
    fn ask_for(&mut self, c: ConfChange) {
        self.changes.push_back(c);
        if !self.admin_queued {
            self.admin_queued = true;
            self.w.queue.push(self.w.now, Ev::Admin);
        }
    }

    /// The administrator's try: changes already in force at the leader
    /// are done; the first one left is asked of the leader (of the highest
    /// term, among the servers up), which starts it if it can. Again after
    /// a heartbeat interval while any is left.
    pub(super) fn administer(&mut self) {
        while let Some(&c) = self.changes.front() {
            let leader = (1..=self.nodes.len() as NodeId)
                .filter(|&i| self.is_up(i))
                .filter_map(|i| self.nodes[i as usize - 1].node.leads().map(|t| (t, i)))
                .max()
                .map(|(_, i)| i);
            let Some(l) = leader else {
                break;
            };
            if self.nodes[l as usize - 1].node.config_settled(c) {
                self.changes.pop_front();
                continue;
            }
            self.with_node(l, |node, out| node.change_config(c, out));
            break;
        }
        if !self.changes.is_empty() && !self.admin_queued {
            self.admin_queued = true;
            let at = self.w.now + self.timing.heartbeat;
            self.w.queue.push(at, Ev::Admin);
        }
    }

    /// The node loses its volatile state and its timers stop.
    fn crash(&mut self, id: NodeId) {
        let slot = &mut self.nodes[id as usize - 1];
        if slot.up {
            slot.up = false;
            slot.node.crash();
            slot.timers.clear_all();
            self.w.obs.crash(self.w.now, id);
        }
    }

    /// The node resumes from its persistent state (Fig. 2: currentTerm,
    /// votedFor, log[]).
    fn restart(&mut self, id: NodeId) {
        if !self.nodes[id as usize - 1].up {
            self.nodes[id as usize - 1].up = true;
            self.w.obs.restart(self.w.now, id);
            self.with_node(id, |node, out| node.restart(out));
        }
    }

    /// An election timeout now, as if the timer had run out (§5.2).
    fn force_timeout(&mut self, id: NodeId) {
        if self.nodes[id as usize - 1].up {
            let now = self.w.now;
            self.w.obs.record(now, TraceEvent::Timeout { node: id });
            self.with_node(id, |node, out| {
                node.step(Input::Timeout(Timer::Election), out)
            });
        }
    }

    /// The leader (of the highest term, among the servers up) is asked to
    /// hand over to `to`; with no leader the request goes nowhere, as a
    /// real admin command would fail.
    fn transfer_leader(&mut self, to: NodeId) {
        let now = self.w.now;
        self.w.obs.record(now, TraceEvent::TransferLeader { to });
        let leader = (1..=self.nodes.len() as NodeId)
            .filter(|&i| self.nodes[i as usize - 1].up)
            .filter_map(|i| self.nodes[i as usize - 1].node.leads().map(|t| (t, i)))
            .max();
        if let Some((_, id)) = leader {
            self.with_node(id, |node, out| {
                node.step(Input::TransferLeadership { to }, out)
            });
        }
    }

    /// Flip production switches on every server (a crashed one keeps them
    /// for its restart).
    fn set_switches(&mut self, sw: Switches) {
        let now = self.w.now;
        let ev = TraceEvent::Set {
            pre_vote: sw.pre_vote,
            check_quorum: sw.check_quorum,
            read: sw.read,
            snapshot_every: sw.snapshot_every,
        };
        self.w.obs.record(now, ev);
        for id in 1..=self.nodes.len() as NodeId {
            if self.nodes[id as usize - 1].up {
                self.with_node(id, |node, out| node.set_switches(&sw, out));
            } else {
                let mut ignored = Vec::new();
                self.nodes[id as usize - 1]
                    .node
                    .set_switches(&sw, &mut ignored);
            }
        }
    }

    /// Change loss, duplication or latency from now on; the trace shows the
    /// whole network setting after the change.
    fn set_network(
        &mut self,
        drop: Option<f64>,
        duplicate: Option<f64>,
        latency: Option<(Micros, Micros)>,
    ) {
        let net = &mut self.w.net;
        if let Some(d) = drop {
            self.drop_p = d;
            net.drop = Chance::from_probability(d);
        }
        if let Some(d) = duplicate {
            self.dup_p = d;
            net.duplicate = Chance::from_probability(d);
        }
        if let Some(l) = latency {
            net.latency = l;
        }
        let (lo, hi) = net.latency;
        let ev = TraceEvent::Network {
            drop: self.drop_p,
            duplicate: self.dup_p,
            latency_ms: [lo as f64 / 1000.0, hi as f64 / 1000.0],
        };
        self.w.obs.record(self.w.now, ev);
    }
}
