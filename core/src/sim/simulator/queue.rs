//! The event queue: every future happening, in (time, class, sequence)
//! order. The sequence number is the tie-break that makes a run replay
//! exactly: two events of the same microsecond come out in the order they
//! were queued.

use super::super::Micros;
use crate::protocol::{ClientId, ClientResponse, KvOp, NodeId, OpId, Timer};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One queued happening.
#[derive(Clone, Debug)]
pub(super) enum Ev<M> {
    /// A message arrives (or is dropped at the receiver).
    Deliver {
        id: u64,
        from: NodeId,
        to: NodeId,
        sent: Micros,
        msg: M,
    },
    /// A node's timer fires, unless `gen` is stale (reset or cleared since).
    Timer {
        node: NodeId,
        timer: Timer,
        gen: u64,
    },
    /// The scenario's (or the user's) action number `i`.
    Action(usize),
    /// A client's request (message `id`) arrives at a node, or is dropped
    /// there.
    ToNode {
        id: u64,
        sent: Micros,
        client: ClientId,
        op_id: OpId,
        node: NodeId,
        op: KvOp,
    },
    /// A node's answer (message `id`) arrives at a client, or is dropped
    /// on the way.
    ToClient {
        id: u64,
        sent: Micros,
        client: ClientId,
        op_id: OpId,
        from: NodeId,
        response: ClientResponse,
    },
    /// A client's own timer (think, retry, resend, deadline).
    Client {
        client: ClientId,
        timer: ClientTimer,
        tag: u64,
    },
}

impl<M> Ev<M> {
    /// The id of the message this event delivers, if it delivers one
    /// (a server's message, a client's request or a server's reply).
    pub fn message_id(&self) -> Option<u64> {
        match self {
            Ev::Deliver { id, .. } | Ev::ToNode { id, .. } | Ev::ToClient { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Whether this delivers client traffic (a request or a reply).
    pub fn is_client_message(&self) -> bool {
        matches!(self, Ev::ToNode { .. } | Ev::ToClient { .. })
    }
}

#[derive(Clone, Debug)]
pub(super) struct Queued<M> {
    pub at: Micros,
    /// 0 for the simulation's own events, 1 for actions (scenario events,
    /// user clicks): an action runs after every other event of its
    /// microsecond. So an action a user takes at virtual time t, after the
    /// simulator has run everything up to t, replays at the same place.
    class: u8,
    seq: u64,
    pub ev: Ev<M>,
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

#[derive(Clone, Debug)]
pub(super) struct EventQueue<M> {
    heap: BinaryHeap<Queued<M>>,
    seq: u64,
}

impl<M: Clone> EventQueue<M> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    pub fn push(&mut self, at: Micros, ev: Ev<M>) {
        self.seq += 1;
        let class = u8::from(matches!(ev, Ev::Action(_)));
        self.heap.push(Queued {
            at,
            class,
            seq: self.seq,
            ev,
        });
    }

    /// When the next event is due.
    pub fn next_at(&self) -> Option<Micros> {
        self.heap.peek().map(|q| q.at)
    }

    pub fn pop(&mut self) -> Option<Queued<M>> {
        self.heap.pop()
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Queued<M>> {
        self.heap.iter()
    }

    /// Take every copy of message `id` off the wire; how many there were,
    /// and whether it was client traffic.
    pub fn remove_deliveries(&mut self, id: u64) -> (usize, bool) {
        let client = self
            .find_delivery(id)
            .is_some_and(|e| e.is_client_message());
        let before = self.heap.len();
        self.heap.retain(|q| q.ev.message_id() != Some(id));
        (before - self.heap.len(), client)
    }

    /// A copy of the delivery of message `id`, if it is still on the wire
    /// (the first queued copy, so a copy of a copy is deterministic).
    pub fn find_delivery(&self, id: u64) -> Option<Ev<M>> {
        self.heap
            .iter()
            .filter(|q| q.ev.message_id() == Some(id))
            .min_by_key(|q| q.seq)
            .map(|q| q.ev.clone())
    }
}

/// A client timer of the workload, carried by the queue's client events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum ClientTimer {
    /// Thinking is over: start the next operation.
    Think,
    /// No answer from the current server: try the next one (tag = attempt).
    Retry,
    /// Back-off after "not leader" without a hint: resend (tag = attempt).
    Resend,
    /// Give up on the operation (tag = op id).
    Deadline,
}
