//! The protocol seam, proved with a second protocol that lives here, in the
//! tests, not in the product: a fixed-primary, majority-acknowledged
//! primary-backup register. It plugs into the simulator (network, faults,
//! clients), the trace, the event log, the linearizability check and
//! `quorum run` by implementing four traits and nothing else:
//! `sim::Node` (the state machine), `sim::Wire` (its messages in words),
//! `sim::Protocol` (a name and a node factory) and `liveness::Converges`
//! (what "recovered" means for it). No simulator internals were edited.
//!
//! S1 is the primary for ever (no elections: while it is down nothing
//! commits). It appends each client command to its log, sends it to every
//! backup and applies it once a majority (itself included) stores it.
//! Backups take entries in order and acknowledge how far their log goes;
//! the primary re-sends what is unacknowledged on every heartbeat, which
//! repairs loss. Logs are persistent; everything else is volatile.
//!
//! `Pb<true>` plants a bug: backups keep a state machine of their own,
//! updated as entries arrive, and answer reads from it: the classic stale
//! read. The checks must catch
//! it through the same path.

use quorum_cli::{run, RunOptions};
use quorum_core::protocol::{
    ClientResponse, Command, Entry, Input, KvOp, KvStore, LogIndex, NodeId, Output, Role, Session,
    Timer,
};
use quorum_core::sim::describe::{EventLog, Kind};
use quorum_core::sim::{trace, Node, NodeStatus, Protocol, Scenario, Simulator, Wire};
use quorum_verify::linearizability::{check, Verdict};
use quorum_verify::liveness::{Converges, Liveness};
use serde::Serialize;
use std::collections::BTreeMap;

// --- the protocol ------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum PbMsg {
    /// The primary's entry `index` (the backup holds `index - 1` already).
    Replicate { index: LogIndex, op: Command },
    /// The backup's log now ends at `upto`.
    Ack { upto: LogIndex },
}

#[derive(Clone, Debug)]
struct Pb<const STALE_READS: bool> {
    id: NodeId,
    n: u32,
    /// Persistent.
    log: Vec<Command>,
    /// Volatile: how far the primary has committed and applied, what each
    /// backup acknowledged, the state machine, who waits for which entry.
    commit: LogIndex,
    acked: BTreeMap<NodeId, LogIndex>,
    kv: KvStore,
    pending: BTreeMap<LogIndex, Session>,
}

const PRIMARY: NodeId = 1;
type Out = Vec<Output<PbMsg>>;

impl<const S: bool> Pb<S> {
    fn new(id: NodeId, n: u32) -> Self {
        Pb {
            id,
            n,
            log: Vec::new(),
            commit: 0,
            acked: BTreeMap::new(),
            kv: KvStore::new(),
            pending: BTreeMap::new(),
        }
    }

    fn primary(&self) -> bool {
        self.id == PRIMARY
    }

    fn last(&self) -> LogIndex {
        self.log.len() as LogIndex
    }

    fn send_from(&self, peer: NodeId, from: LogIndex, out: &mut Out) {
        for index in from..=self.last() {
            let op = self.log[index as usize - 1].clone();
            let msg = PbMsg::Replicate { index, op };
            out.push(Output::Send { to: peer, msg });
        }
    }

    fn append(&mut self, cmd: Command, out: &mut Out) {
        self.log.push(cmd.clone());
        let index = self.last();
        out.push(Output::Append {
            index,
            term: 1,
            cmd,
        });
    }

    /// Commit what a majority stores, apply it in order, answer clients.
    fn advance(&mut self, out: &mut Out) {
        let mut stored: Vec<LogIndex> = (1..=self.n)
            .map(|p| match p == self.id {
                true => self.last(),
                false => self.acked.get(&p).copied().unwrap_or(0),
            })
            .collect();
        stored.sort_unstable_by(|a, b| b.cmp(a));
        let majority = stored[(self.n / 2) as usize];
        while self.commit < majority {
            self.commit += 1;
            out.push(Output::Commit { index: self.commit });
            self.apply(self.commit, out);
        }
    }

    fn apply(&mut self, index: LogIndex, out: &mut Out) {
        let cmd = self.log[index as usize - 1].clone();
        let result = match &cmd {
            Command::Kv(c) => Some(self.kv.apply(c)),
            Command::Noop | Command::Config(_) => None,
        };
        if let (Some(s), Some(r)) = (self.pending.remove(&index), &result) {
            let response = ClientResponse::Done { result: r.clone() };
            out.push(Output::Reply {
                client: s.client,
                op_id: s.op_id,
                response,
            });
        }
        out.push(Output::Apply {
            index,
            term: 1,
            cmd,
            result,
            fresh: true,
        });
    }

    fn on_message(&mut self, from: NodeId, msg: PbMsg, out: &mut Out) {
        match msg {
            PbMsg::Replicate { index, op } if !self.primary() => {
                if index == self.last() + 1 {
                    self.append(op, out);
                    if let (true, Some(Command::Kv(c))) = (S, self.log.last()) {
                        self.kv.apply(c); // the planted bug: state ahead of commit
                    }
                }
                let msg = PbMsg::Ack { upto: self.last() };
                out.push(Output::Send { to: from, msg });
            }
            PbMsg::Ack { upto } if self.primary() => {
                let a = self.acked.entry(from).or_insert(0);
                *a = (*a).max(upto);
                self.advance(out);
            }
            _ => {}
        }
    }

    fn propose(&mut self, session: Session, op: KvOp, out: &mut Out) {
        if S && !self.primary() && matches!(op, KvOp::Get { .. }) {
            let result = self.kv.get(op.key()).map(Into::into);
            let response = ClientResponse::Done {
                result: quorum_core::protocol::OpResult::Value { value: result },
            };
            out.push(Output::Reply {
                client: session.client,
                op_id: session.op_id,
                response,
            });
            return;
        }
        if !self.primary() {
            let response = ClientResponse::NotLeader {
                hint: Some(PRIMARY),
            };
            out.push(Output::Reply {
                client: session.client,
                op_id: session.op_id,
                response,
            });
            return;
        }
        self.append(Command::kv(op, Some(session)), out);
        self.pending.insert(self.last(), session);
        for peer in (1..=self.n).filter(|&p| p != self.id) {
            self.send_from(peer, self.last(), out);
        }
        self.advance(out);
    }
}

impl<const S: bool> Node for Pb<S> {
    type Msg = PbMsg;

    fn id(&self) -> NodeId {
        self.id
    }

    fn start(&mut self, out: &mut Out) {
        let role = if self.primary() {
            Role::Leader
        } else {
            Role::Follower
        };
        out.push(Output::Role { role, term: 1 });
        if self.primary() {
            out.push(Output::SetTimer(Timer::Heartbeat));
            self.advance(out);
        }
    }

    fn step(&mut self, input: Input<PbMsg>, out: &mut Out) {
        match input {
            Input::Message { from, msg } => self.on_message(from, msg, out),
            Input::Timeout(Timer::Heartbeat) if self.primary() => {
                // Re-send what each backup has not acknowledged.
                for peer in (1..=self.n).filter(|&p| p != self.id) {
                    let from = self.acked.get(&peer).copied().unwrap_or(0) + 1;
                    self.send_from(peer, from, out);
                }
                out.push(Output::SetTimer(Timer::Heartbeat));
            }
            Input::Timeout(_) | Input::TransferLeadership { .. } | Input::ChangeConfig(_) => {}
            Input::Propose {
                client, op_id, op, ..
            } => self.propose(Session { client, op_id }, op, out),
        }
    }

    fn crash(&mut self) {
        let log = std::mem::take(&mut self.log);
        *self = Pb {
            log,
            ..Pb::new(self.id, self.n)
        };
    }

    fn restart(&mut self, out: &mut Out) {
        self.start(out);
    }

    fn status(&self) -> NodeStatus {
        NodeStatus {
            id: self.id,
            up: true,
            role: if self.primary() {
                Role::Leader
            } else {
                Role::Follower
            },
            term: 1,
            voted_for: None,
            commit_index: self.commit,
            last_applied: self.commit,
            snapshot_index: 0,
            snapshot_term: 0,
            config: None,
            log: self
                .log
                .iter()
                .map(|cmd| Entry {
                    term: 1,
                    cmd: cmd.clone(),
                })
                .collect(),
        }
    }
}

impl Wire for PbMsg {
    fn summary(&self) -> (Kind, String) {
        match self {
            PbMsg::Replicate { index, .. } => (Kind::Replication, format!("Replicate({index})")),
            PbMsg::Ack { upto } => (Kind::Replication, format!("Ack(upto {upto})")),
        }
    }
}

impl<const S: bool> Protocol for Pb<S> {
    const NAME: &'static str = "primary-backup";
    fn build(id: NodeId, s: &Scenario) -> Self {
        Pb::new(id, s.nodes)
    }
}

impl<const S: bool> Converges for Pb<S> {
    /// The primary is up and has committed its whole log, and every up
    /// backup holds that log.
    fn converged(sim: &Simulator<Self>) -> Liveness {
        let Some(p) = sim.node(PRIMARY).filter(|_| sim.is_up(PRIMARY)) else {
            return Liveness::Stuck("the primary is down".into());
        };
        if p.commit != p.last() {
            return Liveness::Stuck(format!(
                "the primary committed {} of {}",
                p.commit,
                p.last()
            ));
        }
        for i in (2..=sim.node_count()).filter(|&i| sim.is_up(i)) {
            match sim.node(i) {
                Some(b) if b.log == p.log => {}
                _ => return Liveness::Stuck(format!("S{i}'s log differs from the primary's")),
            }
        }
        Liveness::Converged
    }
}

// --- the tests ---------------------------------------------------------------

/// Three servers and four closed-loop clients on a lossy network; a backup
/// crashes and comes back, the primary crashes and comes back; then quiet.
const BUSY: &str = r#"{
  "version": 1, "name": "primary-backup under faults", "seed": 11, "nodes": 3,
  "timing": { "latency_ms": [2, 15] },
  "network": { "drop": 0.05, "duplicate": 0.02 },
  "clients": { "count": 4, "think_ms": [0, 20], "keys": 2, "timeout_ms": 400, "stop_ms": 5000 },
  "duration_ms": 8000,
  "events": [
    { "at_ms": 1000, "do": "crash", "node": 3 },
    { "at_ms": 1800, "do": "restart", "node": 3 },
    { "at_ms": 2500, "do": "crash", "node": 1 },
    { "at_ms": 2900, "do": "restart", "node": 1 },
    { "at_ms": 5000, "do": "network", "drop": 0, "duplicate": 0 }
  ],
  "liveness": { "from_ms": 5000, "within_ms": 3000 }
}"#;

/// S3 never hears from the primary. A write is acknowledged by S1 and S2;
/// then a read goes first to S3.
const STALE: &str = r#"{
  "version": 1, "name": "a read at a cut-off backup", "seed": 3, "nodes": 3,
  "duration_ms": 2000,
  "events": [
    { "at_ms": 1, "do": "cut", "from": 1, "to": 3 },
    { "at_ms": 100, "do": "request", "op": { "type": "put", "key": "x", "value": "1" } },
    { "at_ms": 300, "do": "request", "op": { "type": "get", "key": "x" }, "node": 3 }
  ]
}"#;

fn scenario(json: &str) -> Scenario {
    Scenario::parse(json).unwrap_or_else(|e| panic!("{e}"))
}

fn temp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("quorum-seam-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name).to_string_lossy().into_owned()
}

fn checked_run<N: Protocol + Converges>(json: &str, trace_name: &str) -> (bool, String, String) {
    let path = temp(trace_name);
    let opts = RunOptions {
        trace_to: Some(path.clone()),
        check: true,
        state: false,
        lin_states: None,
    };
    let report = run::<N>(&scenario(json), &opts).expect("the run");
    let trace = std::fs::read_to_string(&path).expect("the trace file");
    (report.clean, report.text, trace)
}

#[test]
fn a_second_protocol_runs_through_the_cli_with_every_check() {
    let (clean, text, trace) = checked_run::<Pb<false>>(BUSY, "busy.jsonl");
    assert!(clean, "{text}");
    assert!(text.contains("safety: all properties held"), "{text}");
    assert!(text.contains("liveness: converged"), "{text}");
    let lin = text
        .lines()
        .find(|l| l.starts_with("linearizability:"))
        .expect("a verdict");
    let ops: usize = lin
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(lin.ends_with("are linearizable") && ops > 100, "{lin}");
    // The trace is the usual JSON Lines, with this protocol's messages in it.
    let lines: Vec<serde_json::Value> = trace
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let sends = lines.iter().filter(|v| v["ev"] == "send");
    let kinds: std::collections::BTreeSet<&str> =
        sends.filter_map(|v| v["msg"]["type"].as_str()).collect();
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["ack", "replicate"]);
    assert!(lines
        .iter()
        .any(|v| v["ev"] == "drop" && v["why"] == "loss"));
    assert_eq!(lines.last().map(|v| v["ev"].clone()), Some("end".into()));
}

#[test]
fn the_checks_catch_the_second_protocols_planted_stale_read() {
    let (clean, text, _) = checked_run::<Pb<false>>(STALE, "honest.jsonl");
    assert!(clean, "{text}");
    assert!(
        text.contains("2 operations on 1 keys are linearizable"),
        "{text}"
    );
    let (clean, text, _) = checked_run::<Pb<true>>(STALE, "stale.jsonl");
    assert!(!clean, "{text}");
    assert!(
        text.contains("VIOLATION: Linearizability: the history of key \"x\""),
        "{text}"
    );
}

#[test]
fn the_second_protocol_replays_exactly_and_reads_in_the_event_log() {
    let run_once = || {
        let mut sim = Simulator::<Pb<false>>::for_protocol(&scenario(BUSY));
        sim.set_recording(true);
        sim.enable_history();
        sim.run_to_end();
        let recs = sim.take_trace();
        let mut jsonl = String::new();
        for r in &recs {
            trace::write_line(&mut jsonl, r);
        }
        (jsonl, recs, sim.history().to_vec())
    };
    let (a, recs, history) = run_once();
    let (b, _, _) = run_once();
    assert!(a == b, "two runs of one scenario differ");
    assert!(matches!(check(&history), Verdict::Linearizable { ops, .. } if ops > 100));
    let mut log = EventLog::new();
    let texts: Vec<String> = recs
        .iter()
        .filter_map(|r| log.line(r))
        .map(|l| l.text)
        .collect();
    for want in [
        "S1 → S2  Replicate(1)",
        "S2 → S1  Ack(upto 1)",
        "S2 receives Replicate(1) from S1",
    ] {
        assert!(
            texts.iter().any(|t| t == want),
            "no line {want:?} in {:?}",
            &texts[..20]
        );
    }
    assert!(
        texts.iter().any(|t| t.starts_with("lost (loss): S1 → S")),
        "no loss line"
    );
}
