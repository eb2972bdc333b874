//! The client workload: closed-loop clients (pick an operation, find the
//! leader, retry on "not leader" and on silence, give up after a timeout so
//! the operation is indeterminate, think, repeat) and the one-shot clients
//! of `request` events. Every invoke and return goes to the observers,
//! which keep the history for the linearizability check.
//!
//! Clients speak only `Input::Propose` and `Output::Reply`, so any protocol
//! run by the simulator (with or without a leader) serves them: without a
//! `NotLeader` hint a client just tries the next node.
//!
//! Clients are network endpoints: each request and each reply is a
//! message on the simulated network ([`World::request`], [`World::reply`]),
//! with its latency, loss, duplication, partitions and cuts. A client that
//! a partition strands with a minority hears nothing and its operations
//! time out. The client's own clock stays the history's: an operation is
//! invoked when the client sends it and returns when the answer arrives
//! (or at its deadline).

use super::super::scenario::ClientLoad;
use super::super::Micros;
use super::queue::{ClientTimer, Ev};
use super::timers::Timing;
use super::world::World;
use crate::protocol::{ClientId, ClientResponse, KvOp, NodeId, OpId, OpResult, Text};

/// Load from the scenario's `clients` block (validated).
pub type ClientSpec = ClientLoad;

/// What a client is doing, for the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientStatus {
    /// Between operations (a closed-loop client thinking).
    Idle,
    /// Waiting for the answer to operation `op_id`, last sent to `target`.
    Waiting { op_id: OpId, target: NodeId },
    /// A one-shot client whose operation has ended.
    Done,
}

/// The longest back-off after "not leader" without a hint.
const BACKOFF_CAP: Micros = 1_000_000;
/// The most clients room is made for at boot (the table grows past it).
const RESERVE_CAP: u64 = 100_000;
/// A client's deadline when no `clients` block sets one.
const DEFAULT_TIMEOUT: Micros = 1_000_000;

#[derive(Clone, Debug, PartialEq)]
enum ClientState {
    Thinking,
    Waiting {
        op_id: OpId,
        op: KvOp,
        /// Current attempt number: stale retry timers carry older ones.
        attempt: u64,
        /// When the operation was invoked.
        invoked: Micros,
    },
    /// A one-shot client (a `request` event) that has finished.
    Done,
}

#[derive(Clone, Debug, PartialEq)]
struct Client {
    id: ClientId,
    /// Issues one operation only (from a `request` event), then is done.
    /// Its operation is kept only while it waits (a run may have tens of
    /// thousands of these clients).
    one_shot: bool,
    target: NodeId,
    next_op: OpId,
    state: ClientState,
    /// The value this client last wrote or read per key index, for `cas`.
    last_seen: Vec<Option<Text>>,
}

fn next_node(n: u32, id: NodeId) -> NodeId {
    id % n + 1
}

#[derive(Clone, Debug)]
pub(super) struct Workload {
    load: Option<ClientLoad>,
    clients: Vec<Client>,
    /// The leader clients last heard of (where one-shot requests go first).
    leader_hint: NodeId,
    /// Key names for closed-loop clients: "k1", "k2", ...
    keys: Vec<Text>,
    /// Cluster size: clients try nodes 1..=n in turn.
    n: u32,
    /// How long a client waits for an answer before giving up.
    timeout: Micros,
    /// How long a client waits for one server before trying the next.
    retry: Micros,
    /// The back-off after "not leader" with no hint: a heartbeat, capped.
    backoff: Micros,
}

impl Workload {
    pub fn new(load: Option<ClientLoad>, n: u32, timing: &Timing) -> Self {
        Workload {
            timeout: load.as_ref().map_or(DEFAULT_TIMEOUT, |l| l.timeout),
            retry: load.as_ref().map_or(timing.election_timeout.1, |l| l.retry),
            backoff: timing.heartbeat.min(BACKOFF_CAP),
            load,
            clients: Vec::new(),
            leader_hint: 1,
            keys: Vec::new(),
            n,
        }
    }

    /// Room for `one_shot` more clients (at most `RESERVE_CAP`): a
    /// scenario's requests are known at boot.
    pub fn reserve(&mut self, one_shot: u64) {
        let n = one_shot.saturating_add(self.load_count()).min(RESERVE_CAP);
        self.clients.reserve(usize::try_from(n).unwrap_or(0));
    }

    /// How many closed-loop clients the load has.
    pub fn load_count(&self) -> u64 {
        self.load.as_ref().map_or(0, |l| u64::from(l.count))
    }

    /// How many clients there are so far (ids 1..=count).
    pub fn client_count(&self) -> u64 {
        self.clients.len() as u64
    }

    pub fn status(&self, client: ClientId) -> Option<ClientStatus> {
        let cl = self.clients.get((client as usize).checked_sub(1)?)?;
        Some(match &cl.state {
            ClientState::Thinking => ClientStatus::Idle,
            ClientState::Waiting { op_id, .. } => ClientStatus::Waiting {
                op_id: *op_id,
                target: cl.target,
            },
            ClientState::Done => ClientStatus::Done,
        })
    }

    /// Create the closed-loop clients, each thinking first; client k
    /// starts at node k (mod n).
    pub fn boot<M: Clone>(&mut self, w: &mut World<M>) {
        let Some(load) = &self.load else {
            return;
        };
        self.keys = (1..=load.keys)
            .map(|k| Text::from(format!("k{k}")))
            .collect();
        for k in 0..load.count {
            let id = ClientId::from(k) + 1;
            self.clients.push(Client {
                id,
                one_shot: false,
                target: (k % self.n) + 1,
                next_op: 1,
                state: ClientState::Thinking,
                last_seen: vec![None; load.keys as usize],
            });
            let think = w.rng.range(load.think.0, load.think.1);
            w.queue.push(think, think_timer(id));
        }
    }

    /// A `request` event: `count` one-shot clients send `op`, to `node`
    /// first if given, else to the leader last heard of.
    pub fn request<M: Clone>(
        &mut self,
        w: &mut World<M>,
        op: KvOp,
        node: Option<NodeId>,
        count: u32,
    ) {
        for _ in 0..count {
            let id = self.clients.len() as ClientId + 1;
            let target = node.unwrap_or(self.leader_hint);
            self.clients.push(Client {
                id,
                one_shot: true,
                target,
                next_op: 1,
                state: ClientState::Thinking,
                last_seen: Vec::new(),
            });
            self.invoke(w, id, op.clone());
        }
    }

    /// Choose a random operation for a closed-loop client.
    fn next_op<M: Clone>(&mut self, w: &mut World<M>, c: usize, keys: u32) -> KvOp {
        let k = w.rng.below(u64::from(keys));
        let key = self.keys[k as usize].clone();
        let roll = w.rng.below(10);
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

    fn invoke<M: Clone>(&mut self, w: &mut World<M>, client: ClientId, op: KvOp) {
        let cl = &mut self.clients[client as usize - 1];
        let op_id = cl.next_op;
        cl.next_op += 1;
        cl.state = ClientState::Waiting {
            op_id,
            op: op.clone(),
            // Attempt tags start in a range of their own per operation, so
            // a retry timer left from an earlier operation never matches.
            attempt: op_id << 32,
            invoked: w.now,
        };
        w.obs.invoke(w.now, client, op_id, op);
        let timer = ClientTimer::Deadline;
        w.after(
            self.timeout,
            Ev::Client {
                client,
                timer,
                tag: op_id,
            },
        );
        self.attempt(w, client);
    }

    /// Send the waiting op to the client's current target.
    fn attempt<M: Clone>(&mut self, w: &mut World<M>, client: ClientId) {
        let cl = &mut self.clients[client as usize - 1];
        let node = cl.target;
        let ClientState::Waiting {
            op_id, op, attempt, ..
        } = &mut cl.state
        else {
            return;
        };
        *attempt += 1;
        let (op_id, op, tag) = (*op_id, op.clone(), *attempt);
        w.request(client, node, op_id, op);
        let timer = ClientTimer::Retry;
        w.after(self.retry, Ev::Client { client, timer, tag });
    }

    /// A node answered a client: done, or "not leader" (maybe with a hint).
    pub fn on_reply<M: Clone>(
        &mut self,
        w: &mut World<M>,
        client: ClientId,
        op_id: OpId,
        from: NodeId,
        response: ClientResponse,
    ) {
        let Some(cl) = self.clients.get_mut(client as usize - 1) else {
            return;
        };
        match &cl.state {
            ClientState::Waiting { op_id: o, .. } if *o == op_id => {}
            _ => return, // an answer to an op already finished
        }
        match response {
            ClientResponse::Done { result } => {
                cl.target = from;
                self.leader_hint = from;
                self.complete(w, client, op_id, result);
            }
            ClientResponse::NotLeader { hint: Some(h) } if h != from => {
                cl.target = h;
                self.leader_hint = h;
                self.attempt(w, client);
            }
            ClientResponse::NotLeader { .. } => {
                cl.target = next_node(self.n, from);
                let ClientState::Waiting { attempt, .. } = &mut cl.state else {
                    return;
                };
                *attempt += 1;
                let tag = *attempt;
                // No leader known: back off a heartbeat before asking again.
                let timer = ClientTimer::Resend;
                w.after(self.backoff, Ev::Client { client, timer, tag });
            }
        }
    }

    /// The operation ends (a result, or `timeout` at its deadline): report
    /// it, then think before the next one (a one-shot client is done).
    fn complete<M: Clone>(
        &mut self,
        w: &mut World<M>,
        client: ClientId,
        op_id: OpId,
        result: OpResult,
    ) {
        let cl = &mut self.clients[client as usize - 1];
        let invoked = match &cl.state {
            ClientState::Waiting { op, invoked, .. } => {
                remember(&mut cl.last_seen, op, &result);
                *invoked
            }
            _ => w.now,
        };
        w.obs.complete(w.now, client, op_id, invoked, result);
        if cl.one_shot {
            cl.state = ClientState::Done;
            return;
        }
        cl.state = ClientState::Thinking;
        if let Some(load) = &self.load {
            let think = w.rng.range(load.think.0, load.think.1);
            w.after(think, think_timer(client));
        }
    }

    /// A client's timer fired; `tag` tells a current timer from a stale one.
    pub fn on_timer<M: Clone>(
        &mut self,
        w: &mut World<M>,
        client: ClientId,
        timer: ClientTimer,
        tag: u64,
    ) {
        let c = client as usize - 1;
        match (timer, &self.clients[c].state) {
            (ClientTimer::Think, ClientState::Thinking) => {
                if self
                    .load
                    .as_ref()
                    .and_then(|l| l.stop)
                    .is_some_and(|s| w.now >= s)
                {
                    return; // the load has stopped
                }
                // Only closed-loop clients think (a one-shot client is
                // invoked when it is made, and is done after).
                let keys = self.load.as_ref().map_or(1, |l| l.keys);
                let op = self.next_op(w, c, keys);
                self.invoke(w, client, op);
            }
            (ClientTimer::Retry, ClientState::Waiting { attempt, .. }) if *attempt == tag => {
                // Silence: try the next server.
                let cl = &mut self.clients[c];
                cl.target = next_node(self.n, cl.target);
                self.attempt(w, client);
            }
            (ClientTimer::Resend, ClientState::Waiting { attempt, .. }) if *attempt == tag => {
                self.attempt(w, client);
            }
            (ClientTimer::Deadline, ClientState::Waiting { op_id, .. }) if *op_id == tag => {
                // Give up: the op may or may not have taken effect.
                let result = OpResult::Error {
                    reason: "timeout".into(),
                };
                self.complete(w, client, tag, result);
            }
            _ => {}
        }
    }
}

fn think_timer<M>(client: ClientId) -> Ev<M> {
    Ev::Client {
        client,
        timer: ClientTimer::Think,
        tag: 0,
    }
}

/// Remember what a client saw of a key (`k1` is index 0), for its next cas.
fn remember(last_seen: &mut [Option<Text>], op: &KvOp, result: &OpResult) {
    let seen = match (op, result) {
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
        if let Some(slot) = last_seen.get_mut(k.wrapping_sub(1)) {
            *slot = seen;
        }
    }
}
