//! Helpers shared by the scenario tests.
#![allow(dead_code)]

mod query;
pub use query::Trace;

use quorum_core::protocol::{
    Command, KvOp, LogIndex, Message, NodeId, OpResult, RaftNode, Role, Term,
};
use quorum_core::sim::{Scenario, Simulator, TraceEvent, TraceRecord};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub type Rec = TraceRecord<Message>;

pub fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

pub fn load(name: &str) -> Scenario {
    let path = scenarios_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Scenario::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn sim(name: &str) -> Simulator {
    let mut s = Simulator::from_scenario(&load(name));
    s.set_recording(true);
    s
}

/// Run a shipped scenario to its end; check Election Safety and State
/// Machine Safety over its trace.
pub fn run_checked(name: &str) -> (Simulator, Trace) {
    let mut s = sim(name);
    s.run_to_end();
    let trace = Trace(s.take_trace());
    assert_safe(&trace);
    (s, trace)
}

/// Finish a run begun with `sim`, with the same checks.
pub fn finish_checked(s: &mut Simulator) -> Trace {
    s.run_to_end();
    let trace = Trace(s.take_trace());
    assert_safe(&trace);
    trace
}

pub fn ms(t: u64) -> u64 {
    t * 1000
}

pub fn node(sim: &Simulator, id: NodeId) -> &RaftNode {
    sim.node(id).expect("node exists")
}

pub fn log_terms(n: &RaftNode) -> Vec<Term> {
    n.log().iter().map(|e| e.term).collect()
}

/// Leaders per term seen in the trace.
pub fn leaders(trace: &[Rec]) -> BTreeMap<Term, Vec<NodeId>> {
    let mut m: BTreeMap<Term, Vec<NodeId>> = BTreeMap::new();
    for r in trace {
        if let TraceEvent::Role {
            node,
            role: Role::Leader,
            term,
        } = &r.ev
        {
            m.entry(*term).or_default().push(*node);
        }
    }
    m
}

/// Election Safety and State Machine Safety, checked over a whole trace
/// (the live checkers come with the verification issue).
pub fn assert_safe(trace: &[Rec]) {
    for (term, ls) in leaders(trace) {
        assert_eq!(ls.len(), 1, "term {term} has leaders {ls:?}");
    }
    let mut applied: BTreeMap<LogIndex, (Term, String, NodeId)> = BTreeMap::new();
    for r in trace {
        if let TraceEvent::Apply {
            node,
            index,
            term,
            op,
            ..
        } = &r.ev
        {
            let op = serde_json::to_string(op).unwrap();
            match applied.get(index) {
                Some((t, o, n)) => assert!(
                    t == term && *o == op,
                    "index {index}: S{n} applied {o}@{t}, S{node} applied {op}@{term}"
                ),
                None => {
                    applied.insert(*index, (*term, op, *node));
                }
            }
        }
    }
}

/// Every up node has the same log and commitIndex.
pub fn assert_converged(sim: &Simulator) -> Vec<Term> {
    let up: Vec<NodeId> = (1..=sim.node_count()).filter(|&i| sim.is_up(i)).collect();
    let first = node(sim, up[0]);
    for &i in &up[1..] {
        let n = node(sim, i);
        if n.log() != first.log() {
            let d = (1..=n.log().last_index().max(first.log().last_index()))
                .find(|&k| n.log().entry(k) != first.log().entry(k));
            panic!(
                "S{i}'s log differs from S{}'s: lengths {} and {}, first difference at index {d:?}; commit {} and {}",
                up[0],
                n.log().last_index(),
                first.log().last_index(),
                n.commit_index(),
                first.commit_index()
            );
        }
        assert_eq!(n.commit_index(), first.commit_index(), "S{i} commitIndex");
    }
    assert_eq!(
        first.commit_index(),
        first.log().last_index(),
        "not all committed"
    );
    log_terms(first)
}

/// The current leader, if exactly one up node leads in the highest term
/// and a majority of nodes is in that term.
pub fn stable_leader(sim: &Simulator) -> Option<NodeId> {
    let n = sim.node_count();
    let max_term = (1..=n)
        .filter(|&i| sim.is_up(i))
        .map(|i| node(sim, i).current_term())
        .max()?;
    let leaders: Vec<NodeId> = (1..=n)
        .filter(|&i| {
            sim.is_up(i)
                && node(sim, i).role() == Role::Leader
                && node(sim, i).current_term() == max_term
        })
        .collect();
    let in_term = (1..=n)
        .filter(|&i| sim.is_up(i) && node(sim, i).current_term() == max_term)
        .count();
    (leaders.len() == 1 && in_term as u32 * 2 > n).then(|| leaders[0])
}

/// Results of completed client ops: (client, op_id) -> (op, result).
pub fn client_results(trace: &[Rec]) -> BTreeMap<(u64, u64), (KvOp, OpResult)> {
    let mut ops = BTreeMap::new();
    let mut out = BTreeMap::new();
    for r in trace {
        match &r.ev {
            TraceEvent::Invoke { client, op_id, op } => {
                ops.insert((*client, *op_id), op.clone());
            }
            TraceEvent::Return {
                client,
                op_id,
                result,
                ..
            } => {
                let op = ops[&(*client, *op_id)].clone();
                out.insert((*client, *op_id), (op, result.clone()));
            }
            _ => {}
        }
    }
    out
}

/// Every acknowledged client op is in `n`'s log (durability: committed
/// entries survive crashes, partitions and leader changes).
pub fn assert_acknowledged_ops_in_log(trace: &[Rec], n: &RaftNode) -> usize {
    let in_log: std::collections::BTreeSet<(u64, u64)> = n
        .log()
        .iter()
        .filter_map(|e| e.cmd.session().map(|s| (s.client, s.op_id)))
        .collect();
    let mut count = 0;
    for ((c, o), (op, res)) in client_results(trace) {
        if !matches!(res, OpResult::Error { .. }) {
            assert!(
                in_log.contains(&(c, o)),
                "acknowledged op {c}.{o} {op:?} -> {res:?} is not in the log"
            );
            count += 1;
        }
    }
    count
}

pub fn is_noop(c: &Command) -> bool {
    matches!(c, Command::Noop)
}
