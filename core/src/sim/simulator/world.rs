//! What every part of the simulator acts through: the virtual clock, the
//! event queue, the one seeded random stream, the network and the
//! observers. The cluster, the workload and the faults each borrow it for
//! one step; none holds a clock or a random stream of its own, so the
//! order of random draws (and thus the run) is fixed by the event order.

use super::super::network::Network;
use super::super::rng::SimRng;
use super::super::trace::DropReason;
use super::super::Micros;
use super::observe::Observers;
use super::queue::{Ev, EventQueue};
use crate::protocol::NodeId;

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

    /// One network latency draw (message, client request or reply).
    pub fn latency(&mut self) -> Micros {
        self.rng.range(self.net.latency.0, self.net.latency.1)
    }

    /// Put a message on the network among `n` nodes: maybe lose it, maybe
    /// duplicate it, and deliver each copy after its own latency.
    pub fn send(&mut self, n: usize, from: NodeId, to: NodeId, msg: M) {
        if to == 0 || to as usize > n {
            return;
        }
        self.next_msg_id += 1;
        let id = self.next_msg_id;
        self.obs.send(self.now, id, from, to, &msg);
        if let Some(b) = self.net.blocked(from, to) {
            self.obs.drop(self.now, id, b.into());
            return;
        }
        if self.rng.chance(self.net.drop) {
            self.obs.drop(self.now, id, DropReason::Loss);
            return;
        }
        if self.rng.chance(self.net.duplicate) {
            self.deliver_copy(id, from, to, self.now, msg.clone());
        }
        self.deliver_later(id, from, to, self.now, msg);
    }

    /// Put a copy of message `id` on the wire, arriving after a fresh latency.
    fn deliver_later(&mut self, id: u64, from: NodeId, to: NodeId, sent: Micros, msg: M) {
        let latency = self.latency();
        self.after(
            latency,
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
    pub fn deliver_copy(&mut self, id: u64, from: NodeId, to: NodeId, sent: Micros, msg: M) {
        self.obs.duplicate(self.now, id);
        self.deliver_later(id, from, to, sent, msg);
    }
}
