//! Linearizability of the KV client history, per key, with stateright's
//! `LinearizabilityTester`.
//!
//! Operations on different keys are independent, so each key is checked on
//! its own (P-compositionality). A timed-out operation is indeterminate: it
//! stays in flight for ever, so the tester may place it anywhere after its
//! invocation, or nowhere. The client then goes on under a fresh thread id.

use quorum_core::protocol::{ClientId, KvOp, OpId, OpResult, Text};
use quorum_core::sim::HistoryEvent;
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};
use std::collections::BTreeMap;

/// The tester searches interleavings without memoisation: bound the work.
pub const MAX_OPS_PER_KEY: usize = 400;
pub const MAX_INDETERMINATE_PER_KEY: usize = 6;

/// One key as a sequential register with put, get and compare-and-set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Register(Option<Text>);

impl SequentialSpec for Register {
    type Op = KvOp;
    type Ret = OpResult;

    fn invoke(&mut self, op: &KvOp) -> OpResult {
        match op {
            KvOp::Put { value, .. } => {
                self.0 = Some(value.clone());
                OpResult::Ok
            }
            KvOp::Get { .. } => OpResult::Value {
                value: self.0.clone(),
            },
            KvOp::Cas { expect, value, .. } => {
                if &self.0 == expect {
                    self.0 = Some(value.clone());
                    OpResult::Ok
                } else {
                    OpResult::Mismatch {
                        actual: self.0.clone(),
                    }
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every key's history is linearizable.
    Linearizable { keys: usize, ops: usize },
    /// This key's history has no valid linearization.
    Violation { key: String, ops: usize },
    /// Some key's history is beyond the bounds; nothing was concluded for it.
    TooLarge {
        key: String,
        ops: usize,
        indeterminate: usize,
    },
}

struct KeyHistory {
    tester: LinearizabilityTester<u64, Register>,
    ops: usize,
    indeterminate: usize,
}

/// Check a whole run's client history.
pub fn check(history: &[HistoryEvent]) -> Verdict {
    // A read that never returned constrains nothing: leave it out, so the
    // search does not branch on it. (Unfinished writes stay: they may have
    // taken effect.)
    let mut finished: BTreeMap<(ClientId, OpId), bool> = BTreeMap::new();
    for e in history {
        if let HistoryEvent::Return {
            client,
            op_id,
            result,
            ..
        } = e
        {
            finished.insert((*client, *op_id), !matches!(result, OpResult::Error { .. }));
        }
    }
    let skip = |client: ClientId, op_id: OpId, op: &KvOp| {
        matches!(op, KvOp::Get { .. }) && !finished.get(&(client, op_id)).copied().unwrap_or(false)
    };
    let mut skipped: BTreeMap<(ClientId, OpId), ()> = BTreeMap::new();
    // Which key each pending op is on, and each client's current thread.
    let mut pending: BTreeMap<(ClientId, OpId), (String, u64)> = BTreeMap::new();
    let mut generation: BTreeMap<ClientId, u64> = BTreeMap::new();
    let mut keys: BTreeMap<String, KeyHistory> = BTreeMap::new();
    let mut broken: Option<String> = None;
    for e in history {
        match e {
            HistoryEvent::Invoke {
                client, op_id, op, ..
            } => {
                if skip(*client, *op_id, op) {
                    skipped.insert((*client, *op_id), ());
                    continue;
                }
                let g = *generation.entry(*client).or_insert(0);
                let thread = client.wrapping_mul(1 << 20).wrapping_add(g);
                let key = op.key().to_string();
                let h = keys.entry(key.clone()).or_insert_with(|| KeyHistory {
                    tester: LinearizabilityTester::new(Register::default()),
                    ops: 0,
                    indeterminate: 0,
                });
                h.ops += 1;
                if h.tester.on_invoke(thread, op.clone()).is_err() {
                    broken.get_or_insert(key.clone());
                }
                pending.insert((*client, *op_id), (key, thread));
            }
            HistoryEvent::Return {
                client,
                op_id,
                result,
                ..
            } => {
                if skipped.contains_key(&(*client, *op_id)) {
                    // The client moves on under a new thread, as after any timeout.
                    *generation.entry(*client).or_insert(0) += 1;
                    continue;
                }
                let Some((key, thread)) = pending.remove(&(*client, *op_id)) else {
                    continue;
                };
                let Some(h) = keys.get_mut(&key) else {
                    continue;
                };
                if matches!(result, OpResult::Error { .. }) {
                    // Indeterminate: leave it in flight; the client moves on.
                    h.indeterminate += 1;
                    *generation.entry(*client).or_insert(0) += 1;
                } else if h.tester.on_return(thread, result.clone()).is_err() {
                    broken.get_or_insert(key);
                }
            }
        }
    }
    // Ops still pending at the end are indeterminate too.
    for (key, _) in pending.values() {
        if let Some(h) = keys.get_mut(key) {
            h.indeterminate += 1;
        }
    }
    let total: usize = keys.values().map(|h| h.ops).sum();
    if let Some(key) = broken {
        let ops = keys.get(&key).map_or(0, |h| h.ops);
        return Verdict::Violation { key, ops };
    }
    for (key, h) in &keys {
        if h.ops > MAX_OPS_PER_KEY || h.indeterminate > MAX_INDETERMINATE_PER_KEY {
            return Verdict::TooLarge {
                key: key.clone(),
                ops: h.ops,
                indeterminate: h.indeterminate,
            };
        }
    }
    for (key, h) in &keys {
        if !h.tester.is_consistent() {
            return Verdict::Violation {
                key: key.clone(),
                ops: h.ops,
            };
        }
    }
    Verdict::Linearizable {
        keys: keys.len(),
        ops: total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(v: &str) -> KvOp {
        KvOp::Put {
            key: "x".into(),
            value: v.into(),
        }
    }
    fn get() -> KvOp {
        KvOp::Get { key: "x".into() }
    }
    fn inv(t: u64, c: u64, o: u64, op: KvOp) -> HistoryEvent {
        HistoryEvent::Invoke {
            t,
            client: c,
            op_id: o,
            op,
        }
    }
    fn ret(t: u64, c: u64, o: u64, r: OpResult) -> HistoryEvent {
        HistoryEvent::Return {
            t,
            client: c,
            op_id: o,
            result: r,
        }
    }
    fn val(v: Option<&str>) -> OpResult {
        OpResult::Value {
            value: v.map(Text::from),
        }
    }

    #[test]
    fn sequential_history_is_linearizable() {
        let h = vec![
            inv(0, 1, 1, put("a")),
            ret(1, 1, 1, OpResult::Ok),
            inv(2, 2, 1, get()),
            ret(3, 2, 1, val(Some("a"))),
        ];
        assert_eq!(check(&h), Verdict::Linearizable { keys: 1, ops: 2 });
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_not() {
        let h = vec![
            inv(0, 1, 1, put("a")),
            ret(1, 1, 1, OpResult::Ok),
            inv(2, 1, 2, put("b")),
            ret(3, 1, 2, OpResult::Ok),
            inv(4, 2, 1, get()),
            ret(5, 2, 1, val(Some("a"))),
        ];
        assert!(matches!(check(&h), Verdict::Violation { .. }));
    }

    #[test]
    fn timed_out_writes_may_or_may_not_have_happened() {
        let timeout = OpResult::Error {
            reason: "timeout".into(),
        };
        // The write timed out, yet a later read sees it: fine.
        let seen = vec![
            inv(0, 1, 1, put("a")),
            ret(9, 1, 1, timeout.clone()),
            inv(10, 2, 1, get()),
            ret(11, 2, 1, val(Some("a"))),
            inv(12, 1, 2, get()),
            ret(13, 1, 2, val(Some("a"))),
        ];
        assert!(matches!(check(&seen), Verdict::Linearizable { .. }));
        // ... or never sees it: also fine.
        let unseen = vec![
            inv(0, 1, 1, put("a")),
            ret(9, 1, 1, timeout),
            inv(10, 2, 1, get()),
            ret(11, 2, 1, val(None)),
        ];
        assert!(matches!(check(&unseen), Verdict::Linearizable { .. }));
    }

    #[test]
    fn keys_are_independent_and_huge_histories_are_refused() {
        let mut h = Vec::new();
        for i in 0..(MAX_OPS_PER_KEY as u64 + 1) {
            h.push(inv(2 * i, 1, i + 1, put("v")));
            h.push(ret(2 * i + 1, 1, i + 1, OpResult::Ok));
        }
        assert!(matches!(check(&h), Verdict::TooLarge { .. }));
    }
}
