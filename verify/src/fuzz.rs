//! Seeded fault simulation (`quorum fuzz`): random clusters, timing, faults
//! and client load from a seed; safety checked after every step,
//! linearizability and liveness at the end; failures shrunk to a small
//! scenario that `quorum run --check` reproduces.

use crate::linearizability::{self, Verdict};
use crate::liveness::{self, Liveness};
use quorum_core::protocol::{Bug, KvOp, Membership, ReadMode, DEFAULT_SNAPSHOT_CHUNK};
use quorum_core::sim::scenario::{
    ClientsSpec, EventSpec, LivenessSpec, NetworkSpec, RaftSpec, ScenarioFile, TimingSpec,
};
use quorum_core::sim::{Endpoint, Property, Scenario, Simulator, Violation};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;

/// How long after the last fault a healed cluster must have converged:
/// 20 upper election timeouts plus one client timeout (clients stop
/// starting new operations at the heal; their last retries must drain).
pub fn liveness_window_ms(election_max_ms: f64, client_timeout_ms: f64) -> f64 {
    20.0 * election_max_ms + client_timeout_ms
}

#[derive(Clone, Debug, PartialEq)]
pub enum FailureKind {
    Safety(Violation),
    Linearizability { key: String, ops: usize },
    Liveness(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
}

impl Failure {
    /// Two failures are "the same" for shrinking: the same property.
    pub fn same_as(&self, o: &Failure) -> bool {
        match (&self.kind, &o.kind) {
            (FailureKind::Safety(a), FailureKind::Safety(b)) => a.property == b.property,
            (FailureKind::Linearizability { .. }, FailureKind::Linearizability { .. }) => true,
            (FailureKind::Liveness(_), FailureKind::Liveness(_)) => true,
            _ => false,
        }
    }

    pub fn property(&self) -> Option<Property> {
        match &self.kind {
            FailureKind::Safety(v) => Some(v.property),
            _ => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match &self.kind {
            FailureKind::Safety(v) => v.property.name(),
            FailureKind::Linearizability { .. } => "Linearizability",
            FailureKind::Liveness(_) => "Liveness",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FailureKind::Safety(v) => write!(f, "{v}"),
            FailureKind::Linearizability { key, ops } => write!(
                f,
                "Linearizability violated: the history of key {key:?} ({ops} operations) has no valid order"
            ),
            FailureKind::Liveness(m) => write!(f, "Liveness violated: {m}"),
        }
    }
}

/// What one checked run found.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub failure: Option<Failure>,
    pub events: u64,
    /// Why the linearizability check could not decide, if it could not
    /// (its search bound): counted apart, never as a pass.
    pub undecided: Option<String>,
    /// Why the liveness expectation did not apply, if it did not (no
    /// majority up at the end): counted apart, never as a pass.
    pub liveness_not_applicable: Option<String>,
}

/// Run a scenario with every check: safety after each step (stopping at
/// the first violation), then linearizability, then liveness if the
/// scenario states it.
pub fn check_scenario(s: &Scenario) -> Outcome {
    let mut sim = Simulator::from_scenario(s);
    sim.enable_checks();
    sim.enable_history();
    // Run in slices so a violation stops the run early.
    let end = sim.end_time();
    while sim.now() < end {
        let t = sim.now().saturating_add(50_000);
        sim.run_until(t);
        if let Some(v) = sim.violations().first() {
            return Outcome {
                failure: Some(Failure {
                    kind: FailureKind::Safety(v.clone()),
                }),
                events: sim.stats().events,
                undecided: None,
                liveness_not_applicable: None,
            };
        }
    }
    let events = sim.stats().events;
    let mut undecided = None;
    match linearizability::check(sim.history()) {
        Verdict::Linearizable { .. } => {}
        Verdict::Violation { key, ops } => {
            return Outcome {
                failure: Some(Failure {
                    kind: FailureKind::Linearizability { key, ops },
                }),
                events,
                undecided,
                liveness_not_applicable: None,
            }
        }
        Verdict::TooLarge {
            key,
            ops,
            indeterminate,
        } => {
            undecided = Some(format!(
                "key {key:?}: {ops} operations, {indeterminate} indeterminate: too large to check"
            ));
        }
    }
    let mut liveness_not_applicable = None;
    if s.file.liveness.is_some() {
        match liveness::converged(&sim) {
            Liveness::Converged => {}
            Liveness::NotApplicable(why) => liveness_not_applicable = Some(why),
            Liveness::Stuck(m) => {
                return Outcome {
                    failure: Some(Failure {
                        kind: FailureKind::Liveness(m),
                    }),
                    events,
                    undecided,
                    liveness_not_applicable,
                };
            }
        }
    }
    Outcome {
        failure: None,
        events,
        undecided,
        liveness_not_applicable,
    }
}

fn ms(rng: &mut ChaCha8Rng, lo: u32, hi: u32) -> f64 {
    f64::from(rng.random_range(lo..=hi))
}

/// A random scenario from a seed: 1-9 nodes, random timing, `steps` random
/// faults, random client load; then everything heals and the cluster must
/// converge within the liveness window.
///
/// The draws happen in a fixed order (cluster, timing, network, clients'
/// count and timeout, faults, clients' pacing, batching): a seed names the
/// same scenario forever, so do not reorder them. Long delays (one run in
/// five) come from a second stream of the same seed, so adding them left
/// every other run as it was.
pub fn generate(seed: u64, steps: u32, bugs: &[String]) -> ScenarioFile {
    let mut r = ChaCha8Rng::seed_from_u64(seed ^ 0x5155_4f52_554d_0001);
    let n: u32 = r.random_range(1..=9);
    // A stale lease read needs a majority apart from the leader.
    let n = if Needs::of(bugs).client_partitions > 0 {
        n.clamp(3, 5)
    } else {
        n
    };
    let timing = random_timing(&mut r);
    let network = NetworkSpec {
        drop: random_share(&mut r, 0.5, 30),
        duplicate: random_share(&mut r, 0.3, 10),
    };
    let client_count = r.random_range(0..=4u32);
    // A bug that shows in reads needs clients.
    let client_count = client_count.max(Needs::of(bugs).clients);
    let timeout_ms = ms(&mut r, 500, 2500);
    let fault_end = ms(&mut r, 2000, 8000);
    let mut events: Vec<EventSpec> = (0..steps)
        .map(|_| random_fault(&mut r, seed, n, fault_end))
        .collect();
    // Long delays draw from a stream of their own: the draws above and
    // below, and so every run without long delays, stay what they were.
    let mut d = ChaCha8Rng::seed_from_u64(seed ^ 0x5155_4f52_554d_0002);
    let long = if steps > 0 {
        long_delays(&mut d, &timing, fault_end)
    } else {
        Vec::new()
    };
    let longest = longest_latency_ms(&long);
    let restore = (!long.is_empty()).then_some(timing.latency_ms);
    events.extend(long);
    // Client partitions too: a stream of their own, so that runs without
    // one stay what they were.
    let mut c = ChaCha8Rng::seed_from_u64(seed ^ 0x5155_4f52_554d_0003);
    if steps > 0 {
        events.extend(client_partition(&mut c, n, client_count, fault_end, 0.25));
        // A stale read needs a client beside a deposed leader: the lease
        // bug's search has more such partitions, each healed soon after.
        // One server with a client, cut off from the rest for two to
        // four election timeouts, then healed.
        let e_min = timing.election_timeout_ms[0];
        for _ in 0..Needs::of(bugs).client_partitions {
            let at_ms = f64::from(c.random_range(0..(fault_end as u32 * 10))) / 10.0;
            let alone = Endpoint::Node(c.random_range(1..=n));
            let client = Endpoint::Client(c.random_range(1..=u64::from(client_count.max(1))));
            events.push(EventSpec::Partition {
                at_ms,
                groups: vec![vec![alone, client]],
            });
            let heal = at_ms + e_min * f64::from(c.random_range(20..=40u32)) / 10.0;
            events.push(EventSpec::Heal {
                at_ms: heal.min(fault_end),
            });
        }
    }
    events.sort_by(|a, b| a.at_ms().total_cmp(&b.at_ms()));
    events.extend(heal_everything(n, fault_end, restore));
    // The production switches (issue 14), each on in three runs of ten:
    // a stream of their own, so the rest of every run stays what it was.
    // A search for a planted bug runs the base protocol (the bugs and
    // their reproductions in scenarios/bugs/ are of the paper's Raft).
    let mut w = ChaCha8Rng::seed_from_u64(seed ^ 0x5155_4f52_554d_0004);
    let (pre_vote, check_quorum) = if bugs.is_empty() {
        (w.random_bool(0.3), w.random_bool(0.3))
    } else {
        (false, false)
    };
    // Reads without the log and clock drift: later draws of that stream,
    // so the switches above keep their values. A search for one of issue
    // 14's planted bugs turns on what its mistake lives in.
    let mut timing = timing;
    let needs = Needs::of(bugs);
    let read = if bugs.is_empty() {
        match w.random_range(0..10u32) {
            0..=2 => ReadMode::ReadIndex,
            3..=5 => ReadMode::Lease,
            _ => ReadMode::Log,
        }
    } else {
        needs.read
    };
    if bugs.is_empty() {
        if w.random_bool(0.3) {
            timing.clock_drift = f64::from(w.random_range(1..=50u32)) / 1000.0;
        }
    } else if needs.drift > 0.0 {
        // Clocks 40% apart at most: a slow leader's heartbeats must still
        // beat a fast follower's shortest election timeout.
        // Timers that all run about as long in their own clocks, so the
        // drift decides who times out first.
        timing.clock_drift = needs.drift;
        timing.heartbeat_ms = (timing.election_timeout_ms[0] / 4.0).floor().max(1.0);
        timing.election_timeout_ms[1] = timing.election_timeout_ms[0] + 10.0;
    }
    let pre_vote = pre_vote || needs.pre_vote;
    if read == ReadMode::Lease {
        // A forced election timeout is a timer that ran out early: a clock
        // fault beyond the drift bound that lease reads stand on (§6.4.1),
        // which does break them (the page shows it). Lease runs keep to
        // the faults leases are meant to survive.
        events.retain(|e| !matches!(e, EventSpec::Timeout { .. }));
    }
    // Leadership transfers: a stream of their own again.
    let mut x = ChaCha8Rng::seed_from_u64(seed ^ 0x5155_4f52_554d_0005);
    if steps > 0 && ((bugs.is_empty() && x.random_bool(0.3)) || needs.transfers) {
        let mut transfers: Vec<EventSpec> = (0..x.random_range(1..=3u32))
            .map(|_| EventSpec::TransferLeader {
                at_ms: f64::from(x.random_range(0..(fault_end as u32 * 10))) / 10.0,
                to: x.random_range(1..=n),
            })
            .collect();
        events.append(&mut transfers);
        let (mut before, after): (Vec<_>, Vec<_>) =
            events.drain(..).partition(|e| e.at_ms() < fault_end);
        before.sort_by(|a, b| a.at_ms().total_cmp(&b.at_ms()));
        before.extend(after);
        events = before;
    }
    // Log compaction (§7) in three runs of ten, with small snapshots and
    // chunks so followers that fall behind get InstallSnapshot: a stream
    // of its own again. A search for `snapshot_drops_sessions` compacts
    // after every few entries.
    let mut y = ChaCha8Rng::seed_from_u64(seed ^ 0x5155_4f52_554d_0006);
    let (snapshot_every, snapshot_chunk) = if needs.snapshots {
        (y.random_range(1..=4u64), y.random_range(1..=4u64))
    } else if bugs.is_empty() && y.random_bool(0.3) {
        (y.random_range(2..=30u64), y.random_range(1..=8u64))
    } else {
        (0, DEFAULT_SNAPSHOT_CHUNK)
    };
    // Membership changes (thesis chapter 4) in three runs of ten: one to
    // three servers join or leave (the leader too) while the faults run,
    // one at a time or by joint consensus. A stream of its own again.
    let mut z = ChaCha8Rng::seed_from_u64(seed ^ 0x5155_4f52_554d_0007);
    let mut membership = Membership::Joint;
    if steps > 0 && ((bugs.is_empty() && z.random_bool(0.3)) || needs.changes > 0) {
        membership = match needs.membership {
            Some(m) => m,
            None if z.random_bool(0.5) => Membership::Single,
            None => Membership::Joint,
        };
        let count = needs.changes.max(z.random_range(1..=3u32));
        let (mut next, mut changes) = (n + 1, Vec::new());
        for _ in 0..count {
            let at_ms = f64::from(z.random_range(0..(fault_end as u32 * 10))) / 10.0;
            // Add a new server, or remove one of those there may be.
            changes.push(if z.random_bool(needs.add_share) {
                next += 1;
                (at_ms, true, next - 1)
            } else {
                (at_ms, false, z.random_range(1..next))
            });
        }
        // New ids join in time order.
        changes.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut id = n;
        for (at_ms, add, node) in changes {
            events.push(if add {
                id += 1;
                EventSpec::AddServer { at_ms, node: id }
            } else {
                EventSpec::RemoveServer {
                    at_ms,
                    node: node.min(id.max(1)),
                }
            });
        }
        let (mut before, after): (Vec<_>, Vec<_>) =
            events.drain(..).partition(|e| e.at_ms() < fault_end);
        before.sort_by(|a, b| a.at_ms().total_cmp(&b.at_ms()));
        before.extend(after);
        events = before;
    }
    // A removed server that never heard of its removal times out and
    // stands for election again and again; PreVote keeps it from
    // disrupting the cluster (thesis §4.2.3), so runs that remove servers
    // have it on.
    let removes = events
        .iter()
        .any(|e| matches!(e, EventSpec::RemoveServer { .. }));
    let pre_vote = pre_vote || removes;
    // A message sent just before the healing with a long delay arrives up
    // to `longest` later: the cluster's time to converge starts then.
    let within = liveness_window_ms(timing.election_timeout_ms[1], timeout_ms) + longest;
    ScenarioFile {
        version: 1,
        behaviour: None,
        name: format!("fuzz seed {seed}"),
        description: format!("Generated by `quorum fuzz` from seed {seed} with {steps} faults."),
        seed,
        nodes: n,
        timing,
        network,
        clients: (client_count > 0).then(|| ClientsSpec {
            count: client_count,
            think_ms: [ms(&mut r, 0, 50), ms(&mut r, 60, 300)],
            keys: r.random_range(1..=3),
            timeout_ms,
            retry_ms: None,
            stop_ms: Some(fault_end),
        }),
        duration_ms: fault_end + within,
        events,
        initial: Vec::new(),
        raft: RaftSpec {
            max_entries_per_append: if r.random_bool(0.3) {
                r.random_range(1..=4)
            } else {
                64
            },
            bugs: bugs.to_vec(),
            pre_vote,
            check_quorum,
            read,
            snapshot_every,
            snapshot_chunk_entries: snapshot_chunk,
            membership,
            ..RaftSpec::default()
        },
        liveness: Some(LivenessSpec {
            from_ms: fault_end,
            within_ms: within,
        }),
        captions: Vec::new(),
        questions: Vec::new(),
    }
}

/// What the planted bugs of issue 14 need switched on to show.
struct Needs {
    read: ReadMode,
    drift: f64,
    pre_vote: bool,
    transfers: bool,
    /// At least this many clients.
    clients: u32,
    /// Extra partitions with clients on their sides, each healed soon.
    client_partitions: u32,
    /// Log compaction after every few entries.
    snapshots: bool,
    /// At least this many membership changes, in this mode, adding with
    /// this probability.
    changes: u32,
    membership: Option<Membership>,
    add_share: f64,
}

impl Needs {
    fn of(bugs: &[String]) -> Needs {
        let has = |b: Bug| bugs.iter().any(|x| x == b.name());
        Needs {
            read: if has(Bug::LeaseIgnoresDrift) {
                ReadMode::Lease
            } else if has(Bug::ReadIndexWithoutRound) {
                ReadMode::ReadIndex
            } else {
                ReadMode::Log
            },
            drift: if has(Bug::LeaseIgnoresDrift) {
                0.4
            } else {
                0.0
            },
            // A stale lease read needs a leader with a slow clock (elections
            // favour fast ones: transfers move leadership around) and a
            // quick election on the other side (PreVote spares the split
            // votes that stickiness causes).
            pre_vote: has(Bug::PreVoteRecordsVote) || has(Bug::LeaseIgnoresDrift),
            transfers: has(Bug::TransferKeepsAccepting) || has(Bug::LeaseIgnoresDrift),
            clients: if has(Bug::SnapshotDropsSessions) {
                3
            } else if has(Bug::LeaseIgnoresDrift) || has(Bug::ReadIndexWithoutRound) {
                2
            } else {
                0
            },
            client_partitions: if has(Bug::LeaseIgnoresDrift) { 4 } else { 0 },
            snapshots: has(Bug::SnapshotDropsSessions),
            changes: if has(Bug::JointCommitsWithNewOnly) {
                2
            } else {
                0
            },
            membership: has(Bug::JointCommitsWithNewOnly).then_some(Membership::Joint),
            add_share: if has(Bug::JointCommitsWithNewOnly) {
                0.3
            } else {
                0.5
            },
        }
    }
}

/// Timeouts and latencies. Raft is live only when broadcastTime <<
/// electionTimeout (§5.6): the slowest message takes at most a fifth of the
/// shortest timeout, and the timeouts spread over at least four message
/// delays.
fn random_timing(r: &mut ChaCha8Rng) -> TimingSpec {
    let e_min = ms(r, 100, 400);
    let lat_cap = (e_min / 5.0) as u32;
    let lat_min = ms(r, 1, lat_cap / 4);
    // Sometimes a wide latency spread, for reordering.
    let lat_max = if r.random_bool(0.4) {
        ms(r, lat_cap / 2, lat_cap)
    } else {
        lat_min + ms(r, 0, 10)
    };
    let e_max = e_min + (4.0 * lat_max).max(50.0) + ms(r, 0, 300);
    let heartbeat = ms(r, 10, (e_min / 3.0) as u32);
    TimingSpec {
        election_timeout_ms: [e_min, e_max],
        heartbeat_ms: heartbeat,
        latency_ms: [lat_min, lat_max],
        clock_drift: 0.0,
    }
}

/// Long delays, in one run in five: Raft's timing requirement (§5.6)
/// broken on purpose for a while. One or two windows in which latency runs
/// from the usual minimum up to 1.2-3 upper election timeouts, so many
/// messages arrive after their receiver's election timer ran out: votes for
/// a candidate that has moved on, AppendEntries from a deposed leader,
/// replies to a leader of an older term. Half of the windows end with the
/// usual latency before the faults end; the others last until the healing,
/// which restores it.
fn long_delays(d: &mut ChaCha8Rng, t: &TimingSpec, fault_end: f64) -> Vec<EventSpec> {
    if !d.random_bool(0.2) {
        return Vec::new();
    }
    let e_max = t.election_timeout_ms[1];
    let mut v = Vec::new();
    for _ in 0..d.random_range(1..=2u32) {
        let at_ms = f64::from(d.random_range(0..(fault_end as u32 * 10))) / 10.0;
        let hi = ms(d, (e_max * 1.2) as u32, (e_max * 3.0) as u32);
        v.push(EventSpec::Network {
            at_ms,
            drop: None,
            duplicate: None,
            latency_ms: Some([t.latency_ms[0], hi]),
        });
        if d.random_bool(0.5) {
            let end = at_ms + ms(d, e_max as u32, (5.0 * e_max) as u32);
            if end < fault_end {
                v.push(EventSpec::Network {
                    at_ms: end,
                    drop: None,
                    duplicate: None,
                    latency_ms: Some(t.latency_ms),
                });
            }
        }
    }
    v
}

/// A client partition, in one run with clients in four: the servers split
/// in two groups (either may be the majority) and clients put on either
/// side, so a client can be stranded with a minority (and an old leader)
/// while others reach the majority. The healing at the end joins them.
fn client_partition(
    c: &mut ChaCha8Rng,
    n: u32,
    clients: u32,
    fault_end: f64,
    p: f64,
) -> Vec<EventSpec> {
    if clients == 0 || !c.random_bool(p) {
        return Vec::new();
    }
    let at_ms = f64::from(c.random_range(0..(fault_end as u32 * 10))) / 10.0;
    let mut a: Vec<Endpoint> = Vec::new();
    let mut b: Vec<Endpoint> = Vec::new();
    for id in 1..=n {
        if c.random_bool(0.5) { &mut a } else { &mut b }.push(Endpoint::Node(id));
    }
    for id in 1..=u64::from(clients) {
        if c.random_bool(0.5) { &mut a } else { &mut b }.push(Endpoint::Client(id));
    }
    // Every client named, and at least one in the first group.
    if !a.iter().any(|e| e.client().is_some()) {
        a.push(Endpoint::Client(1));
        b.retain(|e| *e != Endpoint::Client(1));
    }
    // A group left empty is no group (and not valid in a scenario).
    let groups = [a, b].into_iter().filter(|g| !g.is_empty()).collect();
    vec![EventSpec::Partition { at_ms, groups }]
}

/// The highest upper latency that `network` events set (0 if none does).
fn longest_latency_ms(events: &[EventSpec]) -> f64 {
    events
        .iter()
        .filter_map(|e| match e {
            EventSpec::Network {
                latency_ms: Some([_, hi]),
                ..
            } => Some(*hi),
            _ => None,
        })
        .fold(0.0, f64::max)
}

/// With probability `p`, a share from 0 to `max_percent` %; else 0.
fn random_share(r: &mut ChaCha8Rng, p: f64, max_percent: u32) -> f64 {
    if r.random_bool(p) {
        f64::from(r.random_range(0..=max_percent)) / 100.0
    } else {
        0.0
    }
}

/// One random fault (or client request) before `fault_end`.
fn random_fault(r: &mut ChaCha8Rng, seed: u64, n: u32, fault_end: f64) -> EventSpec {
    let at_ms = (r.random_range(0..(fault_end as u32 * 10)) as f64) / 10.0;
    let node = r.random_range(1..=n);
    match r.random_range(0..10u32) {
        0 | 1 => EventSpec::Crash { at_ms, node },
        2 | 3 => EventSpec::Restart { at_ms, node },
        4 => {
            let mut group: Vec<u32> = (1..=n).filter(|_| r.random_bool(0.4)).collect();
            if group.is_empty() {
                group.push(node);
            }
            EventSpec::Partition {
                at_ms,
                groups: vec![group.into_iter().map(Into::into).collect()],
            }
        }
        5 => EventSpec::Heal { at_ms },
        6 if n > 1 => {
            let to = (node % n) + 1;
            if r.random_bool(0.7) {
                EventSpec::Cut {
                    at_ms,
                    from: node.into(),
                    to: to.into(),
                }
            } else {
                EventSpec::Uncut {
                    at_ms,
                    from: node.into(),
                    to: to.into(),
                }
            }
        }
        7 => EventSpec::Timeout { at_ms, node },
        8 => EventSpec::Network {
            at_ms,
            drop: Some(f64::from(r.random_range(0..=30u32)) / 100.0),
            duplicate: Some(f64::from(r.random_range(0..=10u32)) / 100.0),
            latency_ms: None,
        },
        _ => EventSpec::Request {
            at_ms,
            op: KvOp::Put {
                key: format!("k{}", r.random_range(1..=2u32)).into(),
                value: format!("r{seed}.{at_ms}").into(),
            },
            node: None,
            count: None,
        },
    }
}

/// The end of the faults: everything heals, every node restarts, the
/// network becomes reliable (and, after long delays, as fast as it was).
fn heal_everything(n: u32, at_ms: f64, latency_ms: Option<[f64; 2]>) -> Vec<EventSpec> {
    let mut v = vec![
        EventSpec::Heal { at_ms },
        EventSpec::Network {
            at_ms,
            drop: Some(0.0),
            duplicate: Some(0.0),
            latency_ms,
        },
    ];
    v.extend((1..=n).map(|node| EventSpec::Restart { at_ms, node }));
    v
}

/// The kinds of fault a fuzz run can hold, for the per-fault coverage of a
/// batch (`quorum fuzz` prints how many runs had each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    Crash,
    Restart,
    Partition,
    Cut,
    Loss,
    Duplication,
    /// Message latency whose upper end exceeds the upper election timeout:
    /// a message can arrive after the receiver's timer ran out.
    LongDelay,
    /// A partition that puts clients on its sides: a client reaches only
    /// the servers in its group.
    ClientPartition,
    /// Not a fault: the run has PreVote switched on (`raft.pre_vote`).
    PreVote,
    /// Not a fault: the run has CheckQuorum switched on.
    CheckQuorum,
    /// Not a fault: gets use ReadIndex (`raft.read`).
    ReadIndex,
    /// Not a fault: gets use lease reads.
    LeaseRead,
    /// The servers' clocks drift (`timing.clock_drift`).
    ClockDrift,
    /// A `transfer_leader` event.
    Transfer,
    /// Not a fault: the servers compact their logs (`raft.snapshot_every`).
    Snapshots,
    /// Servers join or leave (`add_server`, `remove_server`).
    Membership,
}

impl FaultKind {
    pub const ALL: [FaultKind; 16] = [
        FaultKind::Crash,
        FaultKind::Restart,
        FaultKind::Partition,
        FaultKind::Cut,
        FaultKind::Loss,
        FaultKind::Duplication,
        FaultKind::LongDelay,
        FaultKind::ClientPartition,
        FaultKind::PreVote,
        FaultKind::CheckQuorum,
        FaultKind::ReadIndex,
        FaultKind::LeaseRead,
        FaultKind::ClockDrift,
        FaultKind::Transfer,
        FaultKind::Snapshots,
        FaultKind::Membership,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::Restart => "restart",
            FaultKind::Partition => "partition",
            FaultKind::Cut => "cut",
            FaultKind::Loss => "loss",
            FaultKind::Duplication => "duplication",
            FaultKind::LongDelay => "long delay",
            FaultKind::ClientPartition => "client partition",
            FaultKind::PreVote => "pre_vote on",
            FaultKind::CheckQuorum => "check_quorum on",
            FaultKind::ReadIndex => "read_index reads",
            FaultKind::LeaseRead => "lease reads",
            FaultKind::ClockDrift => "clock drift",
            FaultKind::Transfer => "leadership transfer",
            FaultKind::Snapshots => "snapshots",
            FaultKind::Membership => "membership changes",
        }
    }

    /// Can [`generate`] produce this kind? The coverage of a kind it
    /// cannot produce is not reported as a number.
    pub fn generated(self) -> bool {
        match self {
            FaultKind::Crash
            | FaultKind::Restart
            | FaultKind::Partition
            | FaultKind::Cut
            | FaultKind::Loss
            | FaultKind::Duplication
            | FaultKind::LongDelay
            | FaultKind::ClientPartition
            | FaultKind::PreVote
            | FaultKind::CheckQuorum
            | FaultKind::ReadIndex
            | FaultKind::LeaseRead
            | FaultKind::ClockDrift
            | FaultKind::Transfer
            | FaultKind::Snapshots
            | FaultKind::Membership => true,
        }
    }
}

/// How many runs held each kind of fault: a fixed array in
/// [`FaultKind::ALL`] order, so the report is the same on every machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    runs: [u64; FaultKind::ALL.len()],
}

impl Coverage {
    /// Runs that held a fault of kind `k`.
    pub fn runs_with(&self, k: FaultKind) -> u64 {
        self.runs[k as usize]
    }

    /// Count one run holding `kinds`.
    pub fn add_run(&mut self, kinds: &[FaultKind]) {
        for &k in kinds {
            self.runs[k as usize] += 1;
        }
    }

    pub fn merge(&mut self, o: &Coverage) {
        for (a, b) in self.runs.iter_mut().zip(o.runs) {
            *a += b;
        }
    }

    /// Kinds the generator can produce that no run held.
    pub fn missing(&self) -> Vec<FaultKind> {
        FaultKind::ALL
            .into_iter()
            .filter(|&k| k.generated() && self.runs_with(k) == 0)
            .collect()
    }

    /// One line: "crash 123, restart 98, ...; client partition: not
    /// generated yet".
    pub fn summary(&self) -> String {
        let counted: Vec<String> = FaultKind::ALL
            .into_iter()
            .filter(|k| k.generated())
            .map(|k| format!("{} {}", k.name(), self.runs_with(k)))
            .collect();
        let not_yet: Vec<String> = FaultKind::ALL
            .into_iter()
            .filter(|k| !k.generated())
            .map(|k| format!("{}: not generated yet", k.name()))
            .collect();
        let mut line = counted.join(", ");
        if !not_yet.is_empty() {
            line += "; ";
            line += &not_yet.join("; ");
        }
        line
    }
}

/// The kinds of fault in a scenario before its final healing (the start of
/// its liveness window): what actually happens, so a crash of a node
/// already down, a restart of a node already up or a "partition" with
/// everyone in one group does not count.
pub fn faults_in(f: &ScenarioFile) -> Vec<FaultKind> {
    let healed_at = f.liveness.as_ref().map_or(f64::INFINITY, |l| l.from_ms);
    let long = |lat: [f64; 2]| lat[1] > f.timing.election_timeout_ms[1];
    let mut has = [false; FaultKind::ALL.len()];
    let mut mark = |k: FaultKind| has[k as usize] = true;
    if f.network.drop > 0.0 {
        mark(FaultKind::Loss);
    }
    if f.raft.pre_vote {
        mark(FaultKind::PreVote);
    }
    if f.raft.check_quorum {
        mark(FaultKind::CheckQuorum);
    }
    match f.raft.read {
        ReadMode::ReadIndex => mark(FaultKind::ReadIndex),
        ReadMode::Lease => mark(FaultKind::LeaseRead),
        ReadMode::Log => {}
    }
    if f.timing.clock_drift > 0.0 {
        mark(FaultKind::ClockDrift);
    }
    if f.raft.snapshot_every > 0 {
        mark(FaultKind::Snapshots);
    }
    if f.network.duplicate > 0.0 {
        mark(FaultKind::Duplication);
    }
    if long(f.timing.latency_ms) {
        mark(FaultKind::LongDelay);
    }
    let n = f.nodes as usize;
    let mut up = vec![true; n];
    for e in f.events.iter().take_while(|e| e.at_ms() < healed_at) {
        match e {
            EventSpec::Crash { node, .. } => {
                if let Some(u) = (*node as usize).checked_sub(1).and_then(|i| up.get_mut(i)) {
                    if *u {
                        mark(FaultKind::Crash);
                    }
                    *u = false;
                }
            }
            EventSpec::Restart { node, .. } => {
                if let Some(u) = (*node as usize).checked_sub(1).and_then(|i| up.get_mut(i)) {
                    if !*u {
                        mark(FaultKind::Restart);
                    }
                    *u = true;
                }
            }
            EventSpec::Partition { groups, .. } => {
                let listed: usize = groups.iter().map(Vec::len).sum();
                let parts =
                    groups.iter().filter(|g| !g.is_empty()).count() + usize::from(listed < n);
                if parts >= 2 {
                    mark(FaultKind::Partition);
                    if groups.iter().flatten().any(|e| e.client().is_some()) {
                        mark(FaultKind::ClientPartition);
                    }
                }
            }
            EventSpec::Cut { .. } => mark(FaultKind::Cut),
            EventSpec::TransferLeader { .. } => mark(FaultKind::Transfer),
            EventSpec::AddServer { .. } | EventSpec::RemoveServer { .. } => {
                mark(FaultKind::Membership)
            }
            EventSpec::Network {
                drop,
                duplicate,
                latency_ms,
                ..
            } => {
                if drop.is_some_and(|d| d > 0.0) {
                    mark(FaultKind::Loss);
                }
                if duplicate.is_some_and(|d| d > 0.0) {
                    mark(FaultKind::Duplication);
                }
                if latency_ms.is_some_and(long) {
                    mark(FaultKind::LongDelay);
                }
            }
            _ => {}
        }
    }
    FaultKind::ALL
        .into_iter()
        .filter(|&k| has[k as usize])
        .collect()
}

/// Check a scenario document; `None` if it does not validate.
pub fn check_file(f: &ScenarioFile) -> Option<Outcome> {
    Scenario::from_file(f.clone())
        .ok()
        .map(|s| check_scenario(&s))
}

fn fails_same(f: &ScenarioFile, want: &Failure) -> bool {
    check_file(f)
        .and_then(|o| o.failure)
        .is_some_and(|got| got.same_as(want))
}

/// Remove a node: drop events naming it, renumber nothing (it must be the
/// last node), trim partitions.
fn without_last_node(f: &ScenarioFile) -> Option<ScenarioFile> {
    if f.nodes <= 1 {
        return None;
    }
    let n = f.nodes - 1;
    let mut g = f.clone();
    g.nodes = n;
    g.events = f
        .events
        .iter()
        .filter_map(|e| match e {
            EventSpec::Crash { node, .. }
            | EventSpec::Restart { node, .. }
            | EventSpec::Timeout { node, .. }
            | EventSpec::TransferLeader { to: node, .. }
                if *node > n =>
            {
                None
            }
            EventSpec::Cut { from, to, .. } | EventSpec::Uncut { from, to, .. }
                if [from, to].iter().any(|e| e.node().is_some_and(|x| x > n)) =>
            {
                None
            }
            EventSpec::Request { node: Some(x), .. } if *x > n => None,
            EventSpec::Partition { at_ms, groups } => {
                let groups: Vec<Vec<_>> = groups
                    .iter()
                    .map(|g| {
                        let kept = g.iter().filter(|e| e.node().is_none_or(|x| x <= n));
                        kept.copied().collect::<Vec<_>>()
                    })
                    .filter(|g| !g.is_empty())
                    .collect();
                (!groups.is_empty()).then_some(EventSpec::Partition {
                    at_ms: *at_ms,
                    groups,
                })
            }
            other => Some(other.clone()),
        })
        .collect();
    g.initial
        .retain(|i| i.node <= n && i.voted_for.is_none_or(|v| v <= n));
    Some(g)
}

/// Shrink a failing scenario: drop events (halves, then one at a time),
/// nodes and clients while it still fails the same way. Deterministic.
pub fn shrink(f: &ScenarioFile, want: &Failure, budget: usize) -> ScenarioFile {
    let mut best = f.clone();
    let mut tries = 0;
    // Fewer nodes first: it shrinks everything else.
    while tries < budget {
        let Some(g) = without_last_node(&best) else {
            break;
        };
        tries += 1;
        if fails_same(&g, want) {
            best = g;
        } else {
            break;
        }
    }
    // Events: chunks of decreasing size. The healing at the end of the
    // faults stays: the liveness expectation depends on it.
    let healed_at = best.liveness.as_ref().map_or(f64::INFINITY, |l| l.from_ms);
    let faults = |f: &ScenarioFile| {
        f.events
            .iter()
            .take_while(|e| e.at_ms() < healed_at)
            .count()
    };
    let mut chunk = faults(&best).div_ceil(2).max(1);
    loop {
        let mut i = 0;
        while i < faults(&best) && tries < budget {
            let mut g = best.clone();
            let end = (i + chunk).min(faults(&g));
            g.events.drain(i..end);
            tries += 1;
            if fails_same(&g, want) {
                best = g;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 || tries >= budget {
            break;
        }
        chunk = chunk.div_ceil(2);
    }
    // Fewer clients.
    while tries < budget {
        let Some(c) = &best.clients else { break };
        let mut g = best.clone();
        if c.count <= 1 {
            g.clients = None;
        } else if let Some(gc) = &mut g.clients {
            gc.count -= 1;
        }
        tries += 1;
        if fails_same(&g, want) {
            best = g;
        } else {
            break;
        }
    }
    best.name = format!("{} (shrunk)", f.name);
    best
}

/// The result of a batch of seeds.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub runs: u64,
    pub events: u64,
    /// Runs whose linearizability check could not decide.
    pub undecided: u64,
    /// Their seeds, in order (to re-run one: `quorum fuzz --start S --seeds 1`).
    pub undecided_seeds: Vec<u64>,
    /// Runs whose liveness expectation did not apply (never a pass).
    pub liveness_not_applicable: u64,
    /// (seed, failure) for each failing seed, by seed.
    pub failures: Vec<(u64, Failure)>,
    /// How many runs held each kind of fault.
    pub coverage: Coverage,
}

/// Run seeds `start..start+count` on `threads` threads (each seed's run is
/// deterministic; the report is ordered by seed).
pub fn run_batch(
    start: u64,
    count: u64,
    steps: u32,
    bugs: &[String],
    threads: usize,
    stop_at_first: bool,
) -> Batch {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Mutex;
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let out = Mutex::new(Batch::default());
    std::thread::scope(|sc| {
        for _ in 0..threads.max(1) {
            sc.spawn(|| {
                let mut local = Batch::default();
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= count {
                        break;
                    }
                    let seed = start + k;
                    let f = generate(seed, steps, bugs);
                    let Some(o) = check_file(&f) else { continue };
                    local.runs += 1;
                    local.coverage.add_run(&faults_in(&f));
                    local.events += o.events;
                    if o.undecided.is_some() {
                        local.undecided += 1;
                        local.undecided_seeds.push(seed);
                    }
                    local.liveness_not_applicable += u64::from(o.liveness_not_applicable.is_some());
                    if let Some(fail) = o.failure {
                        local.failures.push((seed, fail));
                        if stop_at_first {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
                let mut g = out.lock().unwrap_or_else(|p| p.into_inner());
                g.runs += local.runs;
                g.events += local.events;
                g.undecided += local.undecided;
                g.undecided_seeds.extend(local.undecided_seeds);
                g.liveness_not_applicable += local.liveness_not_applicable;
                g.failures.extend(local.failures);
                g.coverage.merge(&local.coverage);
            });
        }
    });
    let mut b = out.into_inner().unwrap_or_else(|p| p.into_inner());
    b.failures.sort_by_key(|(s, _)| *s);
    b.undecided_seeds.sort_unstable();
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_scenario_is_valid() {
        for seed in 0..300 {
            let f = generate(seed, 12, &[]);
            if let Err(e) = Scenario::from_file(f) {
                panic!("seed {seed}: {e}");
            }
        }
    }

    #[test]
    fn every_kind_of_fault_the_generator_knows_is_generated() {
        let mut c = Coverage::default();
        for seed in 0..200 {
            c.add_run(&faults_in(&generate(seed, 12, &[])));
        }
        assert!(c.missing().is_empty(), "never generated: {:?}", c.missing());
        assert!(FaultKind::ALL.iter().all(|k| k.generated()));
        assert!(c.runs_with(FaultKind::ClientPartition) > 0);
        assert!(!c.summary().contains("not generated"), "{}", c.summary());
    }

    #[test]
    fn one_run_in_five_has_long_delays_then_heals_them() {
        let mut long = 0;
        for seed in 0..200 {
            let f = generate(seed, 12, &[]);
            let e_max = f.timing.election_timeout_ms[1];
            let healed = f.liveness.as_ref().map_or(0.0, |l| l.from_ms);
            let heal_latency = f.events.iter().find_map(|e| match e {
                EventSpec::Network {
                    at_ms, latency_ms, ..
                } if *at_ms == healed => Some(*latency_ms),
                _ => None,
            });
            if !faults_in(&f).contains(&FaultKind::LongDelay) {
                assert_eq!(heal_latency, Some(None), "seed {seed}");
                continue;
            }
            long += 1;
            assert_eq!(heal_latency, Some(Some(f.timing.latency_ms)), "seed {seed}");
            let longest = longest_latency_ms(&f.events);
            assert!(longest > e_max, "seed {seed}");
            let within = f.liveness.as_ref().map_or(0.0, |l| l.within_ms);
            let timeout = f.clients.as_ref().map_or(0.0, |c| c.timeout_ms);
            assert!(within >= liveness_window_ms(e_max, timeout) + longest);
            assert!(Scenario::from_file(f).is_ok(), "seed {seed} validates");
        }
        assert!((20..=60).contains(&long), "{long} of 200 runs");
    }

    #[test]
    fn only_faults_that_happen_count() {
        let f: ScenarioFile = serde_json::from_str(
            r#"{ "version": 1, "nodes": 3, "duration_ms": 5000,
                 "timing": { "election_timeout_ms": [150, 300], "latency_ms": [1, 5] },
                 "events": [
                   { "at_ms": 10, "do": "restart", "node": 1 },
                   { "at_ms": 20, "do": "partition", "groups": [[1, 2, 3]] },
                   { "at_ms": 30, "do": "network", "latency_ms": [1, 300] },
                   { "at_ms": 40, "do": "crash", "node": 2 },
                   { "at_ms": 2000, "do": "cut", "from": 1, "to": 2 }
                 ],
                 "liveness": { "from_ms": 2000, "within_ms": 3000 } }"#,
        )
        .expect("parses");
        // A restart of an up node, a partition with everyone together, a
        // latency not beyond the election timeout, and anything from the
        // healing on, are no faults.
        assert_eq!(faults_in(&f), [FaultKind::Crash]);
        let mut g = f.clone();
        g.events.insert(
            4,
            EventSpec::Partition {
                at_ms: 50.0,
                groups: vec![vec![quorum_core::sim::Endpoint::Node(1)]],
            },
        );
        g.network.drop = 0.1;
        g.timing.latency_ms = [1.0, 301.0];
        assert_eq!(
            faults_in(&g),
            [
                FaultKind::Crash,
                FaultKind::Partition,
                FaultKind::Loss,
                FaultKind::LongDelay
            ]
        );
    }
}
