//! The event queue: every future happening, in (time, class, sequence)
//! order. The sequence number is the tie-break that makes a run replay
//! exactly: two events of the same microsecond come out in the order they
//! were queued.

use super::super::Micros;
use crate::protocol::{ClientId, ClientResponse, KvOp, NodeId, OpId, Timer};
use crate::util::KeyHeap;
use std::collections::VecDeque;

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
    /// The administrator's next try at the membership changes asked for.
    Admin,
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

/// No key: larger than every real one (a real key would need sequence
/// number 2^63 - 1 at the last microsecond).
const NONE: u128 = u128::MAX;

/// The list of node `node`'s `timer` among the queue's timer lists.
fn timer_list(node: NodeId, timer: Timer) -> usize {
    node as usize * Timer::ALL.len() + timer.slot()
}

/// Whose timer list `i` is (the inverse of `timer_list`).
fn timer_of_list(i: usize) -> (NodeId, Timer) {
    let n = Timer::ALL.len();
    (
        NodeId::try_from(i / n).unwrap_or(NodeId::MAX),
        Timer::ALL[i % n],
    )
}

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
/// Several places hold keys, so the heap that every event goes through
/// stays small: the messages and client timers (`soon`), the node timers
/// (`timers`), the actions (`in_order` and `actions`: a scenario may
/// schedule 100 000 of them at boot) and whatever is due after the run's
/// end (`later`: a client's deadline an hour away never needs ordering in a
/// ten-minute run). `pop` takes the smallest key of all of them, so the
/// order is exactly that of one heap.
#[derive(Clone, Debug)]
pub(super) struct EventQueue<M> {
    soon: KeyHeap,
    /// Node timers' keys, one list per node and timer (at `timer_list`),
    /// each in key order and with the generation its event carries. A
    /// follower's election timer is set again on every AppendEntries, so
    /// it has a dozen keys queued at a time, all but the last stale (each
    /// still comes out at its time, as a step that does nothing). Kept out
    /// of the heap they would double, they cost a short ordered insert
    /// and a look at the lists' fronts.
    timers: Vec<VecDeque<(u128, u64)>>,
    /// The smallest key at the front of a timer list, and that list
    /// (`NONE` if all are empty).
    timers_first: (u128, usize),
    /// Actions queued in key order, each after the last (the scenario's,
    /// at boot, come sorted by time): taken from the front, so they need
    /// no heap. An action is only its number, so it needs no slot either.
    in_order: VecDeque<(u128, usize)>,
    /// Actions queued before the last of `in_order` (a user's click before
    /// a scheduled event), by number.
    actions: KeyHeap,
    /// Keys due after `horizon`, unordered.
    later: Chunks<(u128, Later)>,
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

/// An unordered list in chunks, for `later`: it grows without copying
/// itself (a long run keeps tens of thousands of keys there), and only the
/// last chunk takes new items.
#[derive(Clone, Debug, Default)]
struct Chunks<T>(Vec<Vec<T>>);

/// Items per chunk after the first.
const CHUNK: usize = 4096;

impl<T> Chunks<T> {
    /// A first chunk of room for `n`.
    fn with_capacity(n: usize) -> Self {
        Chunks(vec![Vec::with_capacity(n)])
    }

    fn push(&mut self, v: T) {
        match self.0.last_mut() {
            Some(c) if c.len() < c.capacity() => c.push(v),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(v);
                self.0.push(c);
            }
        }
    }

    fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter().flatten()
    }

    fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        for c in &mut self.0 {
            c.retain(&mut keep);
        }
    }
}

/// An event due after the horizon. A client's timer is kept as it is (a
/// few words, where a slot holds the largest event): each one-shot client
/// leaves two an hour away, so a long run keeps tens of thousands.
#[derive(Clone, Copy, Debug)]
enum Later {
    Slot(u32),
    Client {
        client: ClientId,
        timer: ClientTimer,
        tag: u64,
    },
}

/// Where the smallest key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Soon,
    Timers,
    InOrder,
    Actions,
}

impl<M: Clone> EventQueue<M> {
    pub fn new() -> Self {
        EventQueue {
            soon: KeyHeap::new(),
            timers: Vec::new(),
            timers_first: (NONE, 0),
            in_order: VecDeque::new(),
            actions: KeyHeap::new(),
            // Room for what is still queued at the end of a run, so the
            // last moments of a run do not allocate.
            later: Chunks::with_capacity(64),
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
            let later = std::mem::take(&mut self.later.0);
            self.later_min = None;
            self.horizon = horizon;
            for (k, l) in later.into_iter().flatten() {
                match l {
                    Later::Slot(slot) => self.file(k, slot),
                    Later::Client { client, timer, tag } => {
                        self.file_event(k, Ev::Client { client, timer, tag })
                    }
                }
            }
        } else {
            self.horizon = horizon;
        }
    }

    pub fn push(&mut self, at: Micros, ev: Ev<M>) {
        self.seq += 1;
        match ev {
            Ev::Action(i) => self.push_action(key(at, ACTION_CLASS, self.seq), i),
            Ev::Timer { node, timer, gen } => {
                self.push_timer(key(at, 0, self.seq), timer_list(node, timer), gen)
            }
            ev => self.file_event(key(at, 0, self.seq), ev),
        }
    }

    /// Queue a node timer's event (generation `gen`) in its list `i`.
    fn push_timer(&mut self, k: u128, i: usize, gen: u64) {
        if self.timers.len() <= i {
            self.timers.resize_with(i + 1, VecDeque::new);
        }
        let list = &mut self.timers[i];
        let at = list.partition_point(|&(x, _)| x < k);
        list.insert(at, (k, gen));
        if k < self.timers_first.0 {
            self.timers_first = (k, i);
        }
    }

    /// Find the smallest key at a timer list's front again.
    fn rescan_timers(&mut self) {
        self.timers_first = self
            .timers
            .iter()
            .enumerate()
            .filter_map(|(i, list)| list.front().map(|&(k, _)| (k, i)))
            .min()
            .unwrap_or((NONE, 0));
    }

    /// Room for `n` more actions queued in order (the scenario's, at
    /// boot).
    pub fn reserve_actions(&mut self, n: usize) {
        self.in_order.reserve(n);
    }

    /// Queue action number `i` under key `k`: at the back of `in_order`
    /// if it comes after all of those, else in the heap.
    fn push_action(&mut self, k: u128, i: usize) {
        if self.in_order.back().is_none_or(|&(last, _)| last < k) {
            self.in_order.push_back((k, i));
        } else {
            let i = u32::try_from(i).expect("fewer than 2^32 actions");
            self.actions.push(k, i);
        }
    }

    /// Put a simulation event where it belongs: a client timer past the
    /// horizon as it is, anything else in a slot.
    fn file_event(&mut self, k: u128, ev: Ev<M>) {
        if key_at(k) > self.horizon {
            if let Ev::Client { client, timer, tag } = ev {
                self.file_later(k, Later::Client { client, timer, tag });
                return;
            }
        }
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
        self.file(k, slot);
    }

    /// Put the key of a simulation event in a slot where it belongs.
    fn file(&mut self, k: u128, slot: u32) {
        if key_at(k) > self.horizon {
            self.file_later(k, Later::Slot(slot));
        } else {
            self.soon.push(k, slot);
        }
    }

    fn file_later(&mut self, k: u128, l: Later) {
        self.later.push((k, l));
        self.later_min = Some(self.later_min.map_or(k, |m| m.min(k)));
    }

    /// The smallest key outside `later`, and where it is. Every event
    /// goes through here: plain comparisons of keys, `NONE` standing for
    /// an empty part.
    #[inline]
    fn first(&self) -> Option<(u128, Source)> {
        let mut first = (self.soon.peek_key().unwrap_or(NONE), Source::Soon);
        if self.timers_first.0 < first.0 {
            first = (self.timers_first.0, Source::Timers);
        }
        if let Some(&(k, _)) = self.in_order.front() {
            if k < first.0 {
                first = (k, Source::InOrder);
            }
        }
        if let Some(k) = self.actions.peek_key() {
            if k < first.0 {
                first = (k, Source::Actions);
            }
        }
        (first.0 != NONE).then_some(first)
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
        let (k, from) = self.first()?;
        Some((key_at(k), self.take_from(from)))
    }

    /// The next event and its time, if it is due by `t`: `next_at` and
    /// `pop` in one look at the heaps.
    pub fn pop_until(&mut self, t: Micros) -> Option<(Micros, Ev<M>)> {
        let first = self.first();
        let Some((k, from)) = first.filter(|&(k, _)| self.later_min.is_none_or(|l| k < l)) else {
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
        Some((key_at(k), self.take_from(from)))
    }

    /// Take the first event of `from` (which has one).
    fn take_from(&mut self, from: Source) -> Ev<M> {
        let action = match from {
            Source::Soon => {
                let (_, slot) = self.soon.pop().expect("the heap holds the first key");
                return self.take(slot);
            }
            Source::Timers => {
                let (_, i) = self.timers_first;
                let (_, gen) = self.timers[i].pop_front().expect("its front");
                self.rescan_timers();
                let (node, timer) = timer_of_list(i);
                return Ev::Timer { node, timer, gen };
            }
            Source::InOrder => self.in_order.pop_front().map(|(_, i)| i),
            Source::Actions => self.actions.pop().map(|(_, i)| i as usize),
        };
        Ev::Action(action.expect("the actions hold the first key"))
    }

    fn take(&mut self, slot: u32) -> Ev<M> {
        self.free.push(slot);
        self.events[slot as usize]
            .take()
            .expect("a queued key's slot holds its event")
    }

    pub fn len(&self) -> usize {
        let timers: usize = self.timers.iter().map(VecDeque::len).sum();
        self.soon.len() + timers + self.in_order.len() + self.actions.len() + self.later.len()
    }

    /// The key and slot of every event in a slot (all but the actions and
    /// the client timers past the horizon), in no particular order.
    fn slotted(&self) -> impl Iterator<Item = (u128, u32)> + '_ {
        let later = self.later.iter().filter_map(|&(k, l)| match l {
            Later::Slot(slot) => Some((k, slot)),
            Later::Client { .. } => None,
        });
        self.soon.iter().chain(later)
    }

    /// Every message on the wire (a server's message, a client's request
    /// or a server's reply) with its arrival time, in no particular order.
    pub fn messages(&self) -> impl Iterator<Item = (Micros, &Ev<M>)> {
        self.slotted()
            .map(|(k, slot)| (key_at(k), self.event(slot)))
            .filter(|(_, ev)| ev.message_id().is_some())
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
        // Deliveries are never actions, and have slots.
        self.soon.retain(|_, slot| keep(slot));
        self.later.retain(|&(_, l)| match l {
            Later::Slot(slot) => keep(slot),
            Later::Client { .. } => true,
        });
        self.later_min = self.later.iter().map(|&(k, _)| k).min();
        for &slot in &gone {
            self.take(slot);
        }
        (gone.len(), client)
    }

    /// A copy of the delivery of message `id`, if it is still on the wire
    /// (the first queued copy, so a copy of a copy is deterministic).
    pub fn find_delivery(&self, id: u64) -> Option<Ev<M>> {
        self.slotted()
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
                // Client timers are kept apart past the horizon; node
                // timers are in slots wherever they are.
                let ev = if action {
                    Ev::Action(round)
                } else if r % 2 == 0 {
                    Ev::Client {
                        client: round as ClientId,
                        timer: ClientTimer::Think,
                        tag: 0,
                    }
                } else {
                    Ev::Timer {
                        node: 1 + (r % 3) as NodeId,
                        timer: Timer::ALL[(r / 3) as usize % 2],
                        gen: round as u64,
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
                    Ev::Timer { gen, .. } => gen as usize,
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
