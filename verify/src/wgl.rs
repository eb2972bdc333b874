//! A linearizability checker for the KV register with memoisation: the
//! Wing & Gong search with Lowe's just-in-time linearisation, remembering
//! every (linearised set, register value) configuration already explored,
//! so equivalent interleavings are searched once.
//!
//! Per key (P-compositionality). An operation may be linearised next if it
//! was invoked before the earliest return among the completed operations
//! not yet linearised. An indeterminate operation (timed out, or never
//! returned) may be linearised anywhere after its invocation with any
//! result, or left out. The search is bounded by a number of explored
//! configurations, not by the length of the history.

use quorum_core::protocol::{KvOp, OpResult, Text};
use std::collections::{BTreeMap, HashSet};

/// Configurations explored per key before giving up ("too large").
pub const MAX_STATES: usize = 1_000_000;

/// One operation on one key: when it was invoked and returned (positions
/// in the history), what it did, and its result if it completed.
#[derive(Clone, Debug)]
pub struct Op {
    pub invoke: usize,
    /// `None`: indeterminate.
    pub ret: Option<(usize, OpResult)>,
    pub op: KvOp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Linearizable,
    NotLinearizable,
    /// The bound was reached first.
    TooLarge,
}

/// Register values as small numbers (0 = no value).
struct Values(BTreeMap<Text, u32>);

impl Values {
    fn id(&mut self, v: &Option<Text>) -> u32 {
        match v {
            None => 0,
            Some(t) => {
                let n = self.0.len() as u32 + 1;
                *self.0.entry(t.clone()).or_insert(n)
            }
        }
    }
}

/// An operation with its values numbered: (kind, expect, value, result).
#[derive(Clone, Copy)]
enum Step {
    Put(u32),
    Get,
    Cas { expect: u32, value: u32 },
}

#[derive(Clone, Copy, PartialEq)]
enum Ret {
    Ok,
    Value(u32),
    Mismatch(u32),
}

fn apply(step: Step, v: u32) -> (u32, Ret) {
    match step {
        Step::Put(x) => (x, Ret::Ok),
        Step::Get => (v, Ret::Value(v)),
        Step::Cas { expect, value } if expect == v => (value, Ret::Ok),
        Step::Cas { .. } => (v, Ret::Mismatch(v)),
    }
}

/// Check one key's operations (sorted by invocation), exploring at most
/// `max_states` configurations.
/// Returns the outcome and the number of configurations explored.
pub fn check_key(ops: &[Op], max_states: usize) -> (Outcome, usize) {
    let mut vals = Values(BTreeMap::new());
    // Completed operations must all be placed; indeterminate ones may be
    // placed (any time after their invocation) or never. They are kept
    // apart: an indeterminate write that never took effect must not pin
    // the window of completed ones (issue 11: 128 operations after one
    // lost write, the search used to give up).
    let mut done: Vec<(usize, usize, Step, Ret)> = Vec::new(); // (invoke, ret, step, result)
    let mut open: Vec<(usize, Step)> = Vec::new(); // (invoke, step)
    for o in ops {
        let step = match &o.op {
            KvOp::Put { value, .. } => Step::Put(vals.id(&Some(value.clone()))),
            KvOp::Get { .. } => Step::Get,
            KvOp::Cas { expect, value, .. } => Step::Cas {
                expect: vals.id(expect),
                value: vals.id(&Some(value.clone())),
            },
        };
        let ret = o.ret.as_ref().and_then(|(at, r)| {
            let r = match r {
                OpResult::Ok => Ret::Ok,
                OpResult::Value { value } => Ret::Value(vals.id(value)),
                OpResult::Mismatch { actual } => Ret::Mismatch(vals.id(actual)),
                // An error is indeterminate (callers pass it as `None`).
                OpResult::Error { .. } => return None,
            };
            Some((*at, r))
        });
        match ret {
            Some((at, r)) => done.push((o.invoke, at, step, r)),
            None => open.push((o.invoke, step)),
        }
    }
    if open.len() <= 128 {
        Search::<u128>::new(&done, &open, max_states).run()
    } else {
        Search::<Box<[u64]>>::new(&done, &open, max_states).run()
    }
}

/// A set of indeterminate operations placed: one word for up to 128 of
/// them (the common case, and fast), a boxed bitset beyond.
trait Placed: Clone + Eq + std::hash::Hash {
    fn empty(n: usize) -> Self;
    fn has(&self, j: usize) -> bool;
    fn with(&self, j: usize) -> Self;
}

impl Placed for u128 {
    fn empty(_: usize) -> Self {
        0
    }
    fn has(&self, j: usize) -> bool {
        self >> j & 1 == 1
    }
    fn with(&self, j: usize) -> Self {
        self | 1 << j
    }
}

impl Placed for Box<[u64]> {
    fn empty(n: usize) -> Self {
        vec![0; n.div_ceil(64)].into()
    }
    fn has(&self, j: usize) -> bool {
        self[j / 64] >> (j % 64) & 1 == 1
    }
    fn with(&self, j: usize) -> Self {
        let mut b = self.clone();
        b[j / 64] |= 1 << (j % 64);
        b
    }
}

/// A configuration: every completed operation below `base` is placed,
/// `mask` has the placed ones of the next 128, `open` the placed
/// indeterminate ones, and `v` is the register's value. The window must
/// hold every completed operation that can be placed next; a history more
/// concurrent than that is "too large".
type Config<P> = (usize, u128, P, u32);

struct Search<'a, P> {
    done: &'a [(usize, usize, Step, Ret)],
    open: &'a [(usize, Step)],
    max_states: usize,
    _placed: std::marker::PhantomData<P>,
}

impl<'a, P: Placed> Search<'a, P> {
    fn new(
        done: &'a [(usize, usize, Step, Ret)],
        open: &'a [(usize, Step)],
        max_states: usize,
    ) -> Self {
        Search {
            done,
            open,
            max_states,
            _placed: std::marker::PhantomData,
        }
    }

    fn run(&self) -> (Outcome, usize) {
        let start: Config<P> = (0, 0, P::empty(self.open.len()), 0);
        let mut seen: HashSet<Config<P>> = HashSet::new();
        seen.insert(start.clone());
        let mut stack = vec![start];
        while let Some(c) = stack.pop() {
            if c.0 == self.done.len() {
                return (Outcome::Linearizable, seen.len());
            }
            let Some(next) = self.successors(&c) else {
                return (Outcome::TooLarge, seen.len());
            };
            for n in next {
                if seen.insert(n.clone()) {
                    if seen.len() > self.max_states {
                        return (Outcome::TooLarge, seen.len());
                    }
                    stack.push(n);
                }
            }
        }
        (Outcome::NotLinearizable, seen.len())
    }

    /// The configurations one placement away; `None` if a candidate falls
    /// outside the window.
    fn successors(&self, (base, mask, open, v): &Config<P>) -> Option<Vec<Config<P>>> {
        let placed = |i: usize| i < *base || (i - base < 128 && mask >> (i - base) & 1 == 1);
        // The earliest return among completed operations not yet placed:
        // only operations invoked before it can go next (Lowe's
        // just-in-time linearisation).
        let mut min_ret = usize::MAX;
        for (i, &(invoke, ret, _, _)) in self.done.iter().enumerate().skip(*base) {
            if invoke > min_ret {
                break; // invoked later, so it returns later too
            }
            if !placed(i) {
                min_ret = min_ret.min(ret);
            }
        }
        let mut out = Vec::new();
        for (i, &(invoke, _, step, want)) in self.done.iter().enumerate().skip(*base) {
            if invoke > min_ret {
                break;
            }
            if placed(i) {
                continue;
            }
            if i - base >= 128 {
                return None;
            }
            let (v2, r) = apply(step, *v);
            if r != want {
                continue;
            }
            let (mut b2, mut m2) = (*base, mask | 1u128 << (i - base));
            while m2 & 1 == 1 {
                m2 >>= 1;
                b2 += 1;
            }
            out.push((b2, m2, open.clone(), v2));
        }
        for (j, &(invoke, step)) in self.open.iter().enumerate() {
            if invoke > min_ret {
                break;
            }
            if open.has(j) {
                continue;
            }
            let (v2, _) = apply(step, *v);
            out.push((*base, *mask, open.with(j), v2));
        }
        Some(out)
    }
}
