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

/// The queue: heaps of keys, each pointing at the slot that holds its
/// event. The heaps move only keys; the events (a message with its
/// entries, a client's operation) stay put in their slots.
///
/// Three places hold keys, so the heap that every event goes through stays
/// small: the simulation's own events (`soon`), the actions (`actions`: a
/// scenario may schedule 100 000 of them at boot) and whatever is due after
/// the run's end (`later`: a client's deadline an hour away never needs
/// ordering in a ten-minute run). `pop` takes the smallest key of all of
/// them, so the order is exactly that of one heap.
#[derive(Clone, Debug)]
pub(super) struct EventQueue<M> {
    soon: KeyHeap,
    actions: KeyHeap,
    /// Keys due after `horizon`, unordered.
    later: Vec<(u128, u32)>,
    /// The smallest key in `later`.
    later_min: Option<u128>,
    /// Keys due after this go to `later` (the run's end time).
    horizon: Micros,
    /// The events, by slot; `None` for a free slot.
    events: Vec<Option<Ev<M>>>,
    /// Free slots, reused last-freed first.
    free: Vec<u32>,
    seq: u64,
}

impl<M: Clone> EventQueue<M> {
    pub fn new() -> Self {
        EventQueue {
            soon: KeyHeap::new(),
            actions: KeyHeap::new(),
            // Room for what is still queued at the end of a run, so the
            // last moments of a run do not allocate.
            later: Vec::with_capacity(64),
            later_min: None,
            horizon: Micros::MAX,
            events: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }

    /// Events due after `horizon` (the run's end) need no ordering until
    /// the horizon moves past them.
    pub fn set_horizon(&mut self, horizon: Micros) {
        if horizon > self.horizon {
            let later = std::mem::take(&mut self.later);
            self.later_min = None;
            self.horizon = horizon;
            for (k, slot) in later {
                self.file(k, slot);
            }
        } else {
            self.horizon = horizon;
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
        self.file(key(at, class, self.seq), slot);
    }

    /// Put a key where it belongs.
    fn file(&mut self, k: u128, slot: u32) {
        if key_at(k) > self.horizon {
            self.later.push((k, slot));
            self.later_min = Some(self.later_min.map_or(k, |m| m.min(k)));
        } else if k & u128::from(ACTION_CLASS) != 0 {
            self.actions.push(k, slot);
        } else {
            self.soon.push(k, slot);
        }
    }

    /// The smallest key in the heaps, and whether it is an action's.
    fn first(&self) -> Option<(u128, bool)> {
        match (self.soon.peek(), self.actions.peek()) {
            (Some((s, _)), Some((a, _))) => Some(if a < s { (a, true) } else { (s, false) }),
            (Some((s, _)), None) => Some((s, false)),
            (None, Some((a, _))) => Some((a, true)),
            (None, None) => None,
        }
    }

    /// When the next event is due.
    pub fn next_at(&self) -> Option<Micros> {
        let k = match (self.first(), self.later_min) {
            (Some((k, _)), Some(l)) => k.min(l),
            (Some((k, _)), None) => k,
            (None, l) => l?,
        };
        Some(key_at(k))
    }

    /// The next event and its time.
    pub fn pop(&mut self) -> Option<(Micros, Ev<M>)> {
        if let Some(l) = self.later_min {
            if self.first().is_none_or(|(k, _)| l < k) {
                // Popping past the horizon: order everything.
                self.set_horizon(Micros::MAX);
            }
        }
        let (k, slot) = match self.first()? {
            (_, true) => self.actions.pop()?,
            (_, false) => self.soon.pop()?,
        };
        Some((key_at(k), self.take(slot)))
    }

    /// The next event and its time, if it is due by `t`: `next_at` and
    /// `pop` in one look at the heaps.
    pub fn pop_until(&mut self, t: Micros) -> Option<(Micros, Ev<M>)> {
        let first = self.first();
        let Some((k, action)) = first.filter(|&(k, _)| self.later_min.is_none_or(|l| k < l)) else {
            // Empty, or past the horizon: the general path.
            return if self.next_at().is_some_and(|at| at <= t) {
                self.pop()
            } else {
                None
            };
        };
        if key_at(k) > t {
            return None;
        }
        let (_, slot) = if action {
            self.actions.pop()?
        } else {
            self.soon.pop()?
        };
        Some((key_at(k), self.take(slot)))
    }

    fn take(&mut self, slot: u32) -> Ev<M> {
        self.free.push(slot);
        self.events[slot as usize]
            .take()
            .expect("a queued key's slot holds its event")
    }

    pub fn len(&self) -> usize {
        self.soon.len() + self.actions.len() + self.later.len()
    }

    /// Every key and slot, in no particular order.
    fn keys(&self) -> impl Iterator<Item = (u128, u32)> + '_ {
        self.soon
            .iter()
            .chain(self.actions.iter())
            .chain(self.later.iter().copied())
    }

    /// Every queued event with its time, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Micros, &Ev<M>)> {
        self.keys().map(|(k, slot)| (key_at(k), self.event(slot)))
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
        let mut keep = |slot: u32| {
            let hit = events[slot as usize]
                .as_ref()
                .is_some_and(|e| e.message_id() == Some(id));
            if hit {
                gone.push(slot);
            }
            !hit
        };
        // Deliveries are never actions.
        self.soon.retain(|_, slot| keep(slot));
        self.later.retain(|&(_, slot)| keep(slot));
        self.later_min = self.later.iter().map(|&(k, _)| k).min();
        for &slot in &gone {
            self.take(slot);
        }
        (gone.len(), client)
    }

    /// A copy of the delivery of message `id`, if it is still on the wire
    /// (the first queued copy, so a copy of a copy is deterministic).
    pub fn find_delivery(&self, id: u64) -> Option<Ev<M>> {
        self.keys()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Actions, the simulation's own events and events past the horizon
    /// come out in the order one list sorted by (time, class, sequence)
    /// gives, whatever the horizon does meanwhile.
    #[test]
    fn pops_in_time_class_sequence_order_across_its_parts() {
        let mut q: EventQueue<()> = EventQueue::new();
        q.set_horizon(500);
        // (time, class, seq, what)
        let mut model: Vec<(Micros, u8, u64, usize)> = Vec::new();
        let (mut x, mut seq, mut now) = (3u64, 0u64, 0u64);
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        for round in 0..6_000usize {
            let r = next();
            if round == 2_000 {
                q.set_horizon(300); // shrinks: nothing moves
            }
            if round == 4_000 {
                q.set_horizon(2_000); // grows: `later` is ordered in
            }
            if r % 3 != 0 || model.is_empty() {
                seq += 1;
                let at = now + next() % 700;
                let action = r % 5 == 0;
                let ev = if action {
                    Ev::Action(round)
                } else {
                    Ev::Client {
                        client: round as ClientId,
                        timer: ClientTimer::Think,
                        tag: 0,
                    }
                };
                q.push(at, ev);
                model.push((at, u8::from(action), seq, round));
            } else {
                model.sort_unstable();
                let (at, _, _, round) = model.remove(0);
                assert_eq!(q.next_at(), Some(at));
                if at > 0 {
                    assert!(q.pop_until(at - 1).is_none(), "nothing due before {at}");
                }
                let popped = if r % 2 == 0 {
                    q.pop_until(at + r % 3)
                } else {
                    q.pop()
                };
                let (t, ev) = popped.expect("an event");
                now = t;
                let got = match ev {
                    Ev::Action(i) => i,
                    Ev::Client { client, .. } => client as usize,
                    _ => unreachable!(),
                };
                assert_eq!((t, got), (at, round));
            }
            assert_eq!(q.len(), model.len());
        }
        model.sort_unstable();
        for (at, _, _, _) in model {
            assert_eq!(q.pop().map(|(t, _)| t), Some(at));
        }
        assert!(q.pop().is_none() && q.next_at().is_none());
    }
}
