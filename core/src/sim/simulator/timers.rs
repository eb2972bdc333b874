//! Node timers: the simulator keeps each node's election and heartbeat
//! timers on its behalf (a sans-IO node only says `SetTimer`/`ClearTimer`).
//! A queued timer event carries the generation it was set in; resetting or
//! clearing bumps the generation, so a stale event is ignored when it pops.

use super::super::rng::SimRng;
use super::super::Micros;
use crate::protocol::Timer;

/// Timing the simulator owns on the nodes' behalf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// The randomised election timeout range (§5.2: spread so that split
    /// votes are rare).
    pub election_timeout: (Micros, Micros),
    pub heartbeat: Micros,
}

impl Timing {
    /// How long a timer set now runs: a fresh random election timeout each
    /// time (§5.2), a fixed heartbeat interval.
    pub(super) fn length(&self, timer: Timer, rng: &mut SimRng) -> Micros {
        match timer {
            Timer::Election => rng.range(self.election_timeout.0, self.election_timeout.1),
            Timer::Heartbeat => self.heartbeat,
            // A transfer gives up after an election timeout (§3.10): the
            // longest, so a slow but healthy transfer is not cut short.
            Timer::Transfer => self.election_timeout.1,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct TimerSlot {
    /// When the running timer was set, and when it fires.
    started: Micros,
    deadline: Option<Micros>,
    gen: u64,
}

/// One node's timers, by [`Timer::slot`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct NodeTimers([TimerSlot; 3]);

impl NodeTimers {
    /// Start (or restart) `timer` at `now`, firing at `deadline`; the
    /// generation the queued event must carry.
    pub fn set(&mut self, timer: Timer, now: Micros, deadline: Micros) -> u64 {
        let t = &mut self.0[timer.slot()];
        t.gen += 1;
        t.started = now;
        t.deadline = Some(deadline);
        t.gen
    }

    pub fn clear(&mut self, timer: Timer) {
        let t = &mut self.0[timer.slot()];
        t.gen += 1;
        t.deadline = None;
    }

    /// A crashed node's timers stop.
    pub fn clear_all(&mut self) {
        for t in &mut self.0 {
            t.gen += 1;
            t.deadline = None;
        }
    }

    /// Does a queued event of generation `gen` still count? If so the
    /// timer stops running (it fires now).
    pub fn fire(&mut self, timer: Timer, gen: u64) -> bool {
        let t = &mut self.0[timer.slot()];
        if t.gen != gen {
            return false; // superseded or cleared
        }
        t.deadline = None;
        true
    }

    pub fn deadline(&self, timer: Timer) -> Option<Micros> {
        self.0[timer.slot()].deadline
    }

    pub fn span(&self, timer: Timer) -> Option<(Micros, Micros)> {
        let t = &self.0[timer.slot()];
        t.deadline.map(|d| (t.started, d))
    }
}
