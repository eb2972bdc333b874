//! The event queue: every future happening, in (time, class, sequence)
//! order. The sequence number is the tie-break that makes a run replay
//! exactly: two events of the same microsecond come out in the order they
//! were queued.

use super::super::Micros;
use crate::protocol::{ClientId, ClientResponse, KvOp, NodeId, OpId, Timer};
use crate::util::KeyHeap;

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

/// A queued event's place in the order, as one integer: its time (the
/// high 64 bits), then its class (0 for the simulation's own events, 1 for
/// actions: scenario events and user clicks run after every other event of
/// their microsecond, so an action a user takes at virtual time t, after
/// the simulator has run everything up to t, replays at the same place),
/// then the sequence number it was queued with. Sequence numbers are
/// unique, so no two keys are equal and the order is total.
fn key(at: Micros, class: u64, seq: u64) -> u128 {
    (u128::from(at) << 64) | u128::from(class | seq)
}

const ACTION_CLASS: u64 = 1 << 63;

fn key_at(key: u128) -> Micros {
    (key >> 64) as Micros
}

fn key_seq(key: u128) -> u64 {
    key as u64 & !ACTION_CLASS
}

/// The queue: a heap of keys, each pointing at the slot that holds its
/// event. The heap moves only keys; the events (a message with its
/// entries, a client's operation) stay put in their slots.
#[derive(Clone, Debug)]
pub(super) struct EventQueue<M> {
    heap: KeyHeap,
    /// The events, by slot; `None` for a free slot.
    events: Vec<Option<Ev<M>>>,
    /// Free slots, reused last-freed first.
    free: Vec<u32>,
    seq: u64,
}

impl<M: Clone> EventQueue<M> {
    pub fn new() -> Self {
        EventQueue {
            heap: KeyHeap::new(),
            events: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }

    pub fn push(&mut self, at: Micros, ev: Ev<M>) {
        self.seq += 1;
        let class = if matches!(ev, Ev::Action(_)) {
            ACTION_CLASS
        } else {
            0
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.events[slot as usize] = Some(ev);
                slot
            }
            None => {
                let slot = u32::try_from(self.events.len()).expect("fewer than 2^32 queued events");
                self.events.push(Some(ev));
                slot
            }
        };
        self.heap.push(key(at, class, self.seq), slot);
    }

    /// When the next event is due.
    pub fn next_at(&self) -> Option<Micros> {
        self.heap.peek().map(|(k, _)| key_at(k))
    }

    /// The next event and its time.
    pub fn pop(&mut self) -> Option<(Micros, Ev<M>)> {
        let (k, slot) = self.heap.pop()?;
        Some((key_at(k), self.take(slot)))
    }

    fn take(&mut self, slot: u32) -> Ev<M> {
        self.free.push(slot);
        self.events[slot as usize]
            .take()
            .expect("a queued key's slot holds its event")
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Every queued event with its time, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Micros, &Ev<M>)> {
        self.heap
            .iter()
            .map(|(k, slot)| (key_at(k), self.event(slot)))
    }

    fn event(&self, slot: u32) -> &Ev<M> {
        self.events[slot as usize]
            .as_ref()
            .expect("a queued key's slot holds its event")
    }

    /// Take every copy of message `id` off the wire; how many there were,
    /// and whether it was client traffic.
    pub fn remove_deliveries(&mut self, id: u64) -> (usize, bool) {
        let client = self
            .find_delivery(id)
            .is_some_and(|e| e.is_client_message());
        let mut gone = Vec::new();
        let events = &self.events;
        self.heap.retain(|_, slot| {
            let hit = events[slot as usize]
                .as_ref()
                .is_some_and(|e| e.message_id() == Some(id));
            if hit {
                gone.push(slot);
            }
            !hit
        });
        for &slot in &gone {
            self.take(slot);
        }
        (gone.len(), client)
    }

    /// A copy of the delivery of message `id`, if it is still on the wire
    /// (the first queued copy, so a copy of a copy is deterministic).
    pub fn find_delivery(&self, id: u64) -> Option<Ev<M>> {
        self.heap
            .iter()
            .filter(|&(_, slot)| self.event(slot).message_id() == Some(id))
            .min_by_key(|&(k, _)| key_seq(k))
            .map(|(_, slot)| self.event(slot).clone())
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
