//! What every part of the simulator acts through: the virtual clock, the
//! event queue, the one seeded random stream, the network and the
//! observers. The cluster, the workload and the faults each borrow it for
//! one step; none holds a clock or a random stream of its own, so the
//! order of random draws (and thus the run) is fixed by the event order.
//!
//! Every message takes the same path, whoever sends it (a server's RPC, a
//! client's request, a server's reply): it gets the next message id, the
//! observers see it leave, and then [`World::transmit`] decides its fate.
//! The random draws of one message, in this order: loss (only when the
//! network's `drop` is above 0), duplication (only when `duplicate` is
//! above 0), the duplicate's latency (if duplicated), its latency. A
//! message blocked by a partition or a cut at send draws nothing.

use super::super::network::{Endpoint, Network};
use super::super::rng::SimRng;
use super::super::trace::DropReason;
use super::super::Micros;
use super::observe::Observers;
use super::queue::{Ev, EventQueue};
use crate::protocol::{ClientId, ClientResponse, KvOp, NodeId, OpId};

#[derive(Clone, Debug)]
pub(super) struct World<M> {
    pub now: Micros,
    pub queue: EventQueue<M>,
    pub rng: SimRng,
    pub net: Network,
    pub obs: Observers<M>,
    /// The last message id given out (ids start at 1).
    next_msg_id: u64,
}

impl<M: Clone> World<M> {
    pub fn new(net: Network, seed: u64) -> Self {
        World {
            now: 0,
            queue: EventQueue::new(),
            rng: SimRng::new(seed),
            net,
            obs: Observers::new(),
            next_msg_id: 0,
        }
    }

    /// Queue `ev` to happen `after` microseconds from now.
    pub fn after(&mut self, after: Micros, ev: Ev<M>) {
        self.queue.push(self.now + after, ev);
    }

    /// One network latency draw.
    pub fn latency(&mut self) -> Micros {
        self.rng.range(self.net.latency.0, self.net.latency.1)
    }

    fn next_id(&mut self) -> u64 {
        self.next_msg_id += 1;
        self.next_msg_id
    }

    /// A server's message to another of the `n` servers.
    pub fn send(&mut self, n: usize, from: NodeId, to: NodeId, msg: M) {
        if to == 0 || to as usize > n {
            return;
        }
        let id = self.next_id();
        self.obs.send(self.now, id, from, to, &msg);
        let sent = self.now;
        let ev = Ev::Deliver {
            id,
            from,
            to,
            sent,
            msg,
        };
        self.transmit(id, from.into(), to.into(), ev);
    }

    /// A client's request to server `node`.
    pub fn request(&mut self, client: ClientId, node: NodeId, op_id: OpId, op: KvOp) {
        let id = self.next_id();
        self.obs.request(self.now, id, client, node, op_id, &op);
        let ev = Ev::ToNode {
            id,
            sent: self.now,
            client,
            op_id,
            node,
            op,
        };
        self.transmit(id, Endpoint::Client(client), node.into(), ev);
    }

    /// Server `from`'s answer to a client.
    pub fn reply(&mut self, from: NodeId, client: ClientId, op_id: OpId, response: ClientResponse) {
        let id = self.next_id();
        self.obs.reply(self.now, id, from, client, op_id, &response);
        let ev = Ev::ToClient {
            id,
            sent: self.now,
            client,
            op_id,
            from,
            response,
        };
        self.transmit(id, from.into(), Endpoint::Client(client), ev);
    }

    /// Put message `id` (its delivery `ev`) on the network from `from` to
    /// `to`: blocked, maybe lost, maybe duplicated, and each copy delivered
    /// after its own latency.
    fn transmit(&mut self, id: u64, from: Endpoint, to: Endpoint, ev: Ev<M>) {
        let client = ev.is_client_message();
        if let Some(b) = self.net.blocked(from, to) {
            self.obs.drop(self.now, id, b.into(), client);
            return;
        }
        if self.rng.chance(self.net.drop) {
            self.obs.drop(self.now, id, DropReason::Loss, client);
            return;
        }
        if self.rng.chance(self.net.duplicate) {
            self.deliver_copy(id, ev.clone());
        }
        self.deliver_later(ev);
    }

    /// Put a copy of a delivery on the wire, arriving after a fresh latency.
    fn deliver_later(&mut self, ev: Ev<M>) {
        let latency = self.latency();
        self.after(latency, ev);
    }

    /// Deliver one more copy of message `id` (network or user duplication).
    pub fn deliver_copy(&mut self, id: u64, ev: Ev<M>) {
        self.obs.duplicate(self.now, id, ev.is_client_message());
        self.deliver_later(ev);
    }
}
