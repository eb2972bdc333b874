//! Linearizability of the KV client history, per key.
//!
//! `check` uses the memoised search in [`crate::wgl`]; `check_stateright`
//! runs stateright's `LinearizabilityTester` on the same history (it has no
//! memoisation, so it is bounded by history length) and serves as the
//! reference the tests compare against.
//!
//! Operations on different keys are independent, so each key is checked on
//! its own (P-compositionality). A timed-out operation is indeterminate: it
//! stays in flight for ever, so the tester may place it anywhere after its
//! invocation, or nowhere. The client then goes on under a fresh thread id.

use quorum_core::protocol::{ClientId, KvOp, OpId, OpResult, Text};
use quorum_core::sim::HistoryEvent;
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};
use std::collections::{BTreeMap, BTreeSet};

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

/// (Serialized externally tagged, `{"violation":{…}}`: the page reads it
/// from its worker, and an internally tagged reader is kilobytes larger.)
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
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

/// Check a whole run's client history (memoised search, bounded by the
/// configurations explored per key).
pub fn check(history: &[HistoryEvent]) -> Verdict {
    run(history, crate::wgl::MAX_STATES, usize::MAX)
}

/// The same with another bound on the configurations explored per key
/// (`quorum run --check --lin-states N`).
pub fn check_with_bound(history: &[HistoryEvent], per_key_states: usize) -> Verdict {
    run(history, per_key_states, usize::MAX)
}

/// The same with a bound on the whole check's work, over all keys (the
/// page uses this, so a check never holds the browser up for long).
pub fn check_bounded(history: &[HistoryEvent], max_states: usize) -> Verdict {
    run(history, max_states, max_states)
}

fn run(history: &[HistoryEvent], per_key_states: usize, total_states: usize) -> Verdict {
    let keys = per_key(history);
    let mut left = total_states;
    let total: usize = keys.values().map(Vec::len).sum();
    let mut too_large = None;
    for (key, ops) in &keys {
        let (outcome, used) = crate::wgl::check_key(ops, per_key_states.min(left));
        left = left.saturating_sub(used);
        match outcome {
            crate::wgl::Outcome::Linearizable => {}
            crate::wgl::Outcome::NotLinearizable => {
                return Verdict::Violation {
                    key: key.clone(),
                    ops: ops.len(),
                }
            }
            crate::wgl::Outcome::TooLarge => {
                too_large.get_or_insert(Verdict::TooLarge {
                    key: key.clone(),
                    ops: ops.len(),
                    indeterminate: ops.iter().filter(|o| o.ret.is_none()).count(),
                });
            }
        }
    }
    too_large.unwrap_or(Verdict::Linearizable {
        keys: keys.len(),
        ops: total,
    })
}

/// The history split by key, as operations with their invocation and
/// return positions. A read that never returned successfully constrains
/// nothing and is left out; a failed or unreturned write is indeterminate.
fn per_key(history: &[HistoryEvent]) -> BTreeMap<String, Vec<crate::wgl::Op>> {
    let mut keys: BTreeMap<String, Vec<crate::wgl::Op>> = BTreeMap::new();
    let mut open: BTreeMap<(ClientId, OpId), (String, usize)> = BTreeMap::new();
    for (pos, e) in history.iter().enumerate() {
        match e {
            HistoryEvent::Invoke {
                client, op_id, op, ..
            } => {
                let v = keys.entry(op.key().to_string()).or_default();
                open.insert((*client, *op_id), (op.key().to_string(), v.len()));
                v.push(crate::wgl::Op {
                    invoke: pos,
                    ret: None,
                    op: op.clone(),
                });
            }
            HistoryEvent::Return {
                client,
                op_id,
                result,
                ..
            } => {
                let Some((key, i)) = open.remove(&(*client, *op_id)) else {
                    continue;
                };
                if let Some(o) = keys.get_mut(&key).and_then(|v| v.get_mut(i)) {
                    if !matches!(result, OpResult::Error { .. }) {
                        o.ret = Some((pos, result.clone()));
                    }
                }
            }
        }
    }
    for v in keys.values_mut() {
        v.retain(|o| o.ret.is_some() || !matches!(o.op, KvOp::Get { .. }));
        leave_out_unobserved_writes(v);
    }
    keys.retain(|_, v| !v.is_empty());
    keys
}

/// Leave out every indeterminate write (put or cas) whose value no
/// operation on the key ever saw: no result shows it and no cas expects it.
/// Sound and complete: in any linearization where such a write takes
/// effect, nothing between it and the next write that takes effect can
/// observe it (a read would return it, a cas would expect it or fail
/// showing it), so that next write is a put and the other operations in
/// between are indeterminate ones that may be left out too; dropping the
/// write leaves a linearization. And an indeterminate write may always not
/// have happened. This keeps runs with many timed-out writes decidable.
fn leave_out_unobserved_writes(ops: &mut Vec<crate::wgl::Op>) {
    let mut seen: BTreeSet<Text> = BTreeSet::new();
    for o in ops.iter() {
        match &o.ret {
            Some((_, OpResult::Value { value: Some(v) }))
            | Some((_, OpResult::Mismatch { actual: Some(v) })) => {
                seen.insert(v.clone());
            }
            _ => {}
        }
        if let KvOp::Cas {
            expect: Some(e), ..
        } = &o.op
        {
            seen.insert(e.clone());
        }
    }
    ops.retain(|o| match (&o.ret, &o.op) {
        (Some(_), _) => true,
        (None, KvOp::Put { value, .. } | KvOp::Cas { value, .. }) => seen.contains(value),
        (None, KvOp::Get { .. }) => false,
    });
}

/// The same check with stateright's tester (bounded by history length).
pub fn check_stateright(history: &[HistoryEvent]) -> Verdict {
    let mut run = StaterightRun::new(history);
    for e in history {
        match e {
            HistoryEvent::Invoke {
                client, op_id, op, ..
            } => run.invoke(*client, *op_id, op),
            HistoryEvent::Return {
                client,
                op_id,
                result,
                ..
            } => run.ret(*client, *op_id, result),
        }
    }
    run.verdict()
}

/// The reference check's state while it reads a history: one stateright
/// tester per key, each client's operations on a "thread" that changes
/// after every timeout (a timed-out op stays in flight for ever).
struct StaterightRun {
    /// Which ops returned, and whether with a real result.
    finished: BTreeMap<(ClientId, OpId), bool>,
    skipped: BTreeMap<(ClientId, OpId), ()>,
    /// Which key each pending op is on, and its thread.
    pending: BTreeMap<(ClientId, OpId), (String, u64)>,
    /// Each client's current thread number.
    generation: BTreeMap<ClientId, u64>,
    keys: BTreeMap<String, KeyHistory>,
    /// The first key whose tester refused an event.
    broken: Option<String>,
}

impl StaterightRun {
    fn new(history: &[HistoryEvent]) -> Self {
        let mut finished = BTreeMap::new();
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
        StaterightRun {
            finished,
            skipped: BTreeMap::new(),
            pending: BTreeMap::new(),
            generation: BTreeMap::new(),
            keys: BTreeMap::new(),
            broken: None,
        }
    }

    /// A read that never returned constrains nothing: leave it out, so the
    /// search does not branch on it. (Unfinished writes stay: they may have
    /// taken effect.)
    fn skip(&self, client: ClientId, op_id: OpId, op: &KvOp) -> bool {
        matches!(op, KvOp::Get { .. })
            && !self
                .finished
                .get(&(client, op_id))
                .copied()
                .unwrap_or(false)
    }

    fn next_thread(&mut self, client: ClientId) {
        *self.generation.entry(client).or_insert(0) += 1;
    }

    fn invoke(&mut self, client: ClientId, op_id: OpId, op: &KvOp) {
        if self.skip(client, op_id, op) {
            self.skipped.insert((client, op_id), ());
            return;
        }
        let g = *self.generation.entry(client).or_insert(0);
        let thread = client.wrapping_mul(1 << 20).wrapping_add(g);
        let key = op.key().to_string();
        let h = self.keys.entry(key.clone()).or_insert_with(|| KeyHistory {
            tester: LinearizabilityTester::new(Register::default()),
            ops: 0,
            indeterminate: 0,
        });
        h.ops += 1;
        if h.tester.on_invoke(thread, op.clone()).is_err() {
            self.broken.get_or_insert(key.clone());
        }
        self.pending.insert((client, op_id), (key, thread));
    }

    fn ret(&mut self, client: ClientId, op_id: OpId, result: &OpResult) {
        if self.skipped.contains_key(&(client, op_id)) {
            // The client moves on under a new thread, as after any timeout.
            self.next_thread(client);
            return;
        }
        let Some((key, thread)) = self.pending.remove(&(client, op_id)) else {
            return;
        };
        let Some(h) = self.keys.get_mut(&key) else {
            return;
        };
        if matches!(result, OpResult::Error { .. }) {
            // Indeterminate: leave it in flight; the client moves on.
            h.indeterminate += 1;
            self.next_thread(client);
        } else if h.tester.on_return(thread, result.clone()).is_err() {
            self.broken.get_or_insert(key);
        }
    }

    fn verdict(mut self) -> Verdict {
        // Ops still pending at the end are indeterminate too.
        for (key, _) in self.pending.values() {
            if let Some(h) = self.keys.get_mut(key) {
                h.indeterminate += 1;
            }
        }
        let keys = self.keys;
        let total: usize = keys.values().map(|h| h.ops).sum();
        if let Some(key) = self.broken {
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
    fn cas(expect: Option<&str>, v: &str) -> KvOp {
        KvOp::Cas {
            key: "x".into(),
            expect: expect.map(Text::from),
            value: v.into(),
        }
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
    fn long_histories_are_checked_and_explosive_ones_refused() {
        // A long sequential history: stateright's tester refuses it by
        // length; the memoised search decides it.
        let mut h = Vec::new();
        for i in 0..(MAX_OPS_PER_KEY as u64 + 1) {
            h.push(inv(2 * i, 1, i + 1, put("v")));
            h.push(ret(2 * i + 1, 1, i + 1, OpResult::Ok));
        }
        assert!(matches!(check_stateright(&h), Verdict::TooLarge { .. }));
        assert!(matches!(check(&h), Verdict::Linearizable { ops: 401, .. }));
        // 30 concurrent writes of distinct values, then a read of a value
        // nobody wrote: refuting it means trying every order of the
        // writes, past the bound.
        let mut h = Vec::new();
        for c in 0..30u64 {
            h.push(inv(c, c + 1, 1, put(&format!("v{c}"))));
        }
        for c in 0..30u64 {
            h.push(ret(100 + c, c + 1, 1, OpResult::Ok));
        }
        h.push(inv(200, 99, 1, get()));
        h.push(ret(201, 99, 1, val(Some("nobody"))));
        assert!(matches!(
            check_bounded(&h, 50_000),
            Verdict::TooLarge { .. }
        ));
        // With 12 writes it is refuted outright.
        let small: Vec<HistoryEvent> = h
            .iter()
            .filter(|e| match e {
                HistoryEvent::Invoke { client, .. } | HistoryEvent::Return { client, .. } => {
                    *client <= 12 || *client == 99
                }
            })
            .cloned()
            .collect();
        assert!(matches!(check(&small), Verdict::Violation { .. }));
    }

    /// Issue 11's shape: one write that timed out and never took effect,
    /// then 140 sequential operations on the same key. The lost write used
    /// to pin the search window, so the check gave up ("too large") after
    /// 128 operations, even with a stale final read.
    fn after_a_lost_write(stale_last_read: bool) -> Vec<HistoryEvent> {
        let mut h = vec![
            inv(0, 9, 1, put("lost")),
            ret(
                5,
                9,
                1,
                OpResult::Error {
                    reason: "timeout".into(),
                },
            ),
            // A cas that expects the lost value keeps it in the search
            // (an unobserved one would be left out before the search).
            inv(6, 8, 1, cas(Some("lost"), "z")),
            ret(7, 8, 1, OpResult::Mismatch { actual: None }),
        ];
        let mut t = 10;
        for i in 0..70u64 {
            h.push(inv(t, 1, 2 * i + 1, put(&format!("v{i}"))));
            h.push(ret(t + 1, 1, 2 * i + 1, OpResult::Ok));
            let seen = if stale_last_read && i == 69 {
                "v68".to_string()
            } else {
                format!("v{i}")
            };
            h.push(inv(t + 2, 1, 2 * i + 2, get()));
            h.push(ret(t + 3, 1, 2 * i + 2, val(Some(&seen))));
            t += 4;
        }
        h
    }

    #[test]
    fn a_lost_write_does_not_pin_the_search() {
        assert_eq!(
            check(&after_a_lost_write(false)),
            Verdict::Linearizable { keys: 1, ops: 142 }
        );
        assert!(matches!(
            check(&after_a_lost_write(true)),
            Verdict::Violation { ops: 142, .. }
        ));
        // The reference checker agrees on both.
        assert!(matches!(
            check_stateright(&after_a_lost_write(true)),
            Verdict::Violation { .. }
        ));
    }

    /// Issue 11's undecided fuzz runs: a key with 20 writes that timed out
    /// while the cluster had no leader, around a few completed operations.
    fn many_timeouts(stale_last_read: bool, seen_lost: bool) -> Vec<HistoryEvent> {
        let timeout = || OpResult::Error {
            reason: "timeout".into(),
        };
        let mut h = Vec::new();
        // 20 clients each send a write that never returns in time; they
        // overlap everything after them.
        for c in 0..20u64 {
            h.push(inv(c, 100 + c, 1, put(&format!("lost{c}"))));
        }
        h.push(inv(30, 1, 1, put("a")));
        h.push(ret(31, 1, 1, OpResult::Ok));
        let first = if seen_lost { "lost3" } else { "a" };
        h.push(inv(32, 1, 2, get()));
        h.push(ret(33, 1, 2, val(Some(first))));
        h.push(inv(34, 1, 3, put("b")));
        h.push(ret(35, 1, 3, OpResult::Ok));
        h.push(inv(36, 1, 4, get()));
        let last = if stale_last_read { first } else { "b" };
        h.push(ret(37, 1, 4, val(Some(last))));
        for c in 0..20u64 {
            h.push(ret(40 + c, 100 + c, 1, timeout()));
        }
        h
    }

    #[test]
    fn unobserved_timed_out_writes_do_not_make_a_run_undecidable() {
        // A small bound, so that 20 indeterminate writes in the search
        // would exhaust it.
        let bound = 2_000;
        assert_eq!(
            check_with_bound(&many_timeouts(false, false), bound),
            Verdict::Linearizable { keys: 1, ops: 4 }
        );
        assert!(matches!(
            check_with_bound(&many_timeouts(true, false), bound),
            Verdict::Violation { .. }
        ));
        // One of them was observed: it stays, and may have happened.
        assert_eq!(
            check_with_bound(&many_timeouts(false, true), bound),
            Verdict::Linearizable { keys: 1, ops: 5 }
        );
        // ... but only once: read again after put b, it is stale.
        assert!(matches!(
            check_with_bound(&many_timeouts(true, true), bound),
            Verdict::Violation { .. }
        ));
        // The reference checker agrees where it can go.
        assert!(matches!(
            check_stateright(&many_timeouts(true, false)),
            Verdict::Violation { .. } | Verdict::TooLarge { .. }
        ));
    }
}
