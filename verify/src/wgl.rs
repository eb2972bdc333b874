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
    Any,
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
    let n = ops.len();
    let mut steps = Vec::with_capacity(n);
    let mut rets = Vec::with_capacity(n);
    let mut ret_at = Vec::with_capacity(n);
    for o in ops {
        steps.push(match &o.op {
            KvOp::Put { value, .. } => Step::Put(vals.id(&Some(value.clone()))),
            KvOp::Get { .. } => Step::Get,
            KvOp::Cas { expect, value, .. } => Step::Cas {
                expect: vals.id(expect),
                value: vals.id(&Some(value.clone())),
            },
        });
        let (at, r) = match &o.ret {
            None => (usize::MAX, Ret::Any),
            Some((at, r)) => (
                *at,
                match r {
                    OpResult::Ok => Ret::Ok,
                    OpResult::Value { value } => Ret::Value(vals.id(value)),
                    OpResult::Mismatch { actual } => Ret::Mismatch(vals.id(actual)),
                    // An error is indeterminate (callers pass it as `None`).
                    OpResult::Error { .. } => Ret::Any,
                },
            ),
        };
        rets.push(r);
        ret_at.push(if r == Ret::Any { usize::MAX } else { at });
    }
    let completed = rets.iter().filter(|r| **r != Ret::Any).count();
    // A configuration: every operation below `base` is placed, `mask` has
    // the placed ones of the next 128, and `v` is the register's value.
    // The window must hold everything that can be placed next; a history
    // more concurrent than that is "too large".
    // (`k`, the completed operations placed, rides along: it follows
    // from the configuration, so it is not part of what is remembered.)
    let mut seen: HashSet<(usize, u128, u32)> = HashSet::new();
    let mut stack: Vec<(usize, u128, u32, usize)> = vec![(0, 0, 0, 0)];
    seen.insert((0, 0, 0));
    while let Some((base, mask, v, k)) = stack.pop() {
        if k == completed {
            return (Outcome::Linearizable, seen.len());
        }
        let is_done = |i: usize| i < base || (i - base < 128 && mask >> (i - base) & 1 == 1);
        // The earliest return among completed operations not yet placed:
        // only operations invoked before it can go next.
        let mut min_ret = usize::MAX;
        for i in (base..n).filter(|&i| !is_done(i)) {
            if ops[i].invoke > min_ret {
                break; // invoked later, so it returns later too
            }
            min_ret = min_ret.min(ret_at[i]);
        }
        for i in (base..n).filter(|&i| !is_done(i)) {
            if ops[i].invoke > min_ret {
                break;
            }
            if i - base >= 128 {
                return (Outcome::TooLarge, seen.len());
            }
            let (v2, r) = apply(steps[i], v);
            if rets[i] != Ret::Any && rets[i] != r {
                continue;
            }
            let (mut b2, mut m2) = (base, mask | 1u128 << (i - base));
            while m2 & 1 == 1 {
                m2 >>= 1;
                b2 += 1;
            }
            if seen.insert((b2, m2, v2)) {
                if seen.len() > max_states {
                    return (Outcome::TooLarge, seen.len());
                }
                stack.push((b2, m2, v2, k + usize::from(rets[i] != Ret::Any)));
            }
        }
    }
    (Outcome::NotLinearizable, seen.len())
}
