//! The `quorum` command's work, as a library: `quorum run` for any protocol
//! that plugs into the simulator ([`Protocol`] + [`Converges`]). The binary
//! (`main.rs`) parses arguments and runs Raft; a test can run another
//! protocol through exactly the same path.

use quorum_core::sim::{trace, Protocol, Scenario, Simulator};
use quorum_verify::liveness::{Converges, Liveness};
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// What `quorum run` was asked for.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Write the trace (JSON Lines) to this file, or to stdout with `-`.
    pub trace_to: Option<String>,
    /// Check safety after every step, then linearizability and liveness.
    pub check: bool,
    /// Report the nodes' end state as JSON instead of the summary.
    pub state: bool,
    /// The linearizability search's bound, in configurations per key
    /// (`None`: `wgl::MAX_STATES`).
    pub lin_states: Option<usize>,
}

/// What a run found.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    /// No check failed.
    pub clean: bool,
    /// A check could not decide, and why: never a pass (`quorum run`
    /// exits 3).
    pub undecided: Option<String>,
    /// The scenario's liveness expectation did not apply, and why (e.g. no
    /// majority up at the end): never a pass either (exit 3).
    pub not_applicable: Option<String>,
    /// The summary (or, with `state`, the end state as JSON).
    pub text: String,
    /// How fast the simulator ran (`quorum run --time`).
    pub speed: Speed,
}

/// The simulator's own wall time for a run: building the cluster and
/// running it to the end (with the trace written, if asked for), not
/// reading the scenario, the checks after the run or the summary.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Speed {
    pub wall: std::time::Duration,
    /// Virtual time run, in microseconds.
    pub virtual_us: u64,
    pub events: u64,
}

impl Speed {
    /// `quorum run --time`'s line.
    pub fn line(&self) -> String {
        let wall = self.wall.as_secs_f64().max(1e-9);
        let virt = self.virtual_us as f64 / 1e6;
        format!(
            "time: {virt:.3} virtual s in {wall:.6} s of wall time ({:.0}x real time), {} events ({:.2} million/s); the simulator only: building the cluster and running it, not reading the scenario or the process start\n",
            virt / wall,
            self.events,
            self.events as f64 / wall / 1e6
        )
    }
}

/// Run a scenario with protocol `N`: stream the trace out, check what was
/// asked, and say what happened.
pub fn run<N: Protocol + Converges>(
    scenario: &Scenario,
    opts: &RunOptions,
) -> Result<RunReport, String> {
    let mut sink = trace_sink(opts.trace_to.as_deref())?;
    let t0 = std::time::Instant::now();
    let mut sim = Simulator::<N>::for_protocol(scenario);
    sim.set_recording(sink.is_some());
    if opts.check {
        sim.enable_checks();
        sim.enable_history();
    }
    drive(&mut sim, &mut sink)?;
    let speed = Speed {
        wall: t0.elapsed(),
        virtual_us: sim.now(),
        events: sim.stats().events,
    };
    let mut text = summary(scenario, &sim);
    let mut undecided = None;
    let mut not_applicable = None;
    let clean = if opts.check {
        let bound = opts.lin_states.unwrap_or(quorum_verify::wgl::MAX_STATES);
        check_report(
            scenario,
            &sim,
            bound,
            &mut text,
            &mut undecided,
            &mut not_applicable,
        )
    } else {
        sim.violations().is_empty()
    };
    if opts.state {
        let st = serde_json::json!({
            "t_ms": sim.now() as f64 / 1000.0,
            "nodes": sim.statuses(),
        });
        text = format!("{st}\n");
    }
    Ok(RunReport {
        clean,
        undecided,
        not_applicable,
        text,
        speed,
    })
}

/// Where `--trace` writes: nowhere, stdout (`-`) or a file.
fn trace_sink(trace_to: Option<&str>) -> Result<Option<Box<dyn Write>>, String> {
    Ok(match trace_to {
        None => None,
        Some("-") => Some(Box::new(BufWriter::new(io::stdout().lock()))),
        Some(f) => Some(Box::new(BufWriter::new(
            File::create(f).map_err(|e| format!("--trace {f}: {e}"))?,
        ))),
    })
}

/// Run to the end (or the first violation) in slices, streaming the trace
/// out, so long runs stay small in memory.
fn drive<N: Protocol>(
    sim: &mut Simulator<N>,
    sink: &mut Option<Box<dyn Write>>,
) -> Result<(), String> {
    const SLICE: u64 = 100_000;
    let mut line = String::new();
    if let Some(w) = sink.as_mut() {
        trace::write_header(&mut line);
        w.write_all(line.as_bytes())
            .map_err(|e| format!("writing the trace: {e}"))?;
    }
    let mut flush = |sim: &mut Simulator<N>| -> Result<(), String> {
        if let Some(w) = sink.as_mut() {
            for r in sim.take_trace() {
                line.clear();
                trace::write_line(&mut line, &r);
                w.write_all(line.as_bytes())
                    .map_err(|e| format!("writing the trace: {e}"))?;
            }
        }
        Ok(())
    };
    while sim.now() < sim.end_time() {
        let t = sim.now().saturating_add(SLICE);
        sim.run_until(t);
        flush(sim)?;
        if !sim.violations().is_empty() {
            break; // stop at the first violation
        }
    }
    sim.run_to_end();
    flush(sim)?;
    if let Some(w) = sink {
        w.flush().map_err(|e| format!("writing the trace: {e}"))?;
    }
    Ok(())
}

/// `--check`: the safety verdict, then linearizability and (if the scenario
/// states it) liveness. Appends to `summary`; false if anything failed;
/// sets `undecided` when a check could not decide and `not_applicable` when
/// the liveness expectation did not apply.
fn check_report<N: Protocol + Converges>(
    scenario: &Scenario,
    sim: &Simulator<N>,
    bound: usize,
    summary: &mut String,
    undecided: &mut Option<String>,
    not_applicable: &mut Option<String>,
) -> bool {
    let violations = sim.violations();
    if !violations.is_empty() {
        for v in violations {
            *summary += &format!("VIOLATION: {v}\n  rule: {}\n", v.property.rule());
        }
        return false;
    }
    *summary += "safety: all properties held\n";
    let mut clean = true;
    use quorum_verify::linearizability::{check_with_bound, Verdict};
    match check_with_bound(sim.history(), bound) {
        Verdict::Linearizable { keys, ops } => {
            *summary +=
                &format!("linearizability: {ops} operations on {keys} keys are linearizable\n")
        }
        Verdict::Violation { key, ops } => {
            clean = false;
            *summary += &format!("VIOLATION: Linearizability: the history of key {key:?} ({ops} operations) has no valid order\n");
        }
        Verdict::TooLarge {
            key,
            ops,
            indeterminate,
        } => {
            let why = format!("key {key:?} has {ops} operations ({indeterminate} indeterminate): the search reached its bound of {bound} configurations (--lin-states)");
            *summary += &format!("UNDECIDED: Linearizability: {why}\n");
            *undecided = Some(why);
        }
    }
    if scenario.file.liveness.is_some() {
        match N::converged(sim) {
            Liveness::Converged => *summary += "liveness: converged\n",
            Liveness::NotApplicable(why) => {
                *summary += &format!("NOT APPLICABLE: Liveness: {why}\n");
                *not_applicable = Some(why);
            }
            Liveness::Stuck(m) => {
                clean = false;
                *summary += &format!("VIOLATION: Liveness: {m}\n");
            }
        }
    }
    clean
}

/// The run in a few lines: leaders, commits, messages, client ops.
pub fn summary<N: Protocol>(s: &Scenario, sim: &Simulator<N>) -> String {
    let st = sim.stats();
    let mut out = String::new();
    let name = if s.file.name.is_empty() {
        "(unnamed)"
    } else {
        &s.file.name
    };
    out += &format!(
        "scenario: {name}\nseed {}, {} nodes, {:.3} s virtual, {} events\n",
        s.seed,
        s.nodes,
        sim.now() as f64 / 1e6,
        st.events
    );
    let leaders: Vec<String> = st
        .leaders
        .iter()
        .map(|(term, ids)| {
            let ids: Vec<String> = ids.iter().map(|i| format!("S{i}")).collect();
            format!("term {term}: {}", ids.join(", "))
        })
        .collect();
    out += &format!(
        "leaders: {}\n",
        if leaders.is_empty() {
            "none".to_string()
        } else {
            leaders.join("; ")
        }
    );
    out += &format!(
        "entries committed: {} (highest commitIndex)\n",
        st.max_commit
    );
    out += &format!(
        "messages: {} sent, {} delivered, {} dropped ({} lost, {} partitioned or cut, {} to a crashed node), {} duplicated\n",
        st.sent,
        st.delivered,
        st.dropped(),
        st.dropped_loss,
        st.dropped_partition,
        st.dropped_crashed,
        st.duplicated
    );
    out += &format!(
        "client messages: {} sent (requests and replies), {} delivered, {} dropped, {} duplicated\n",
        st.client_sent, st.client_delivered, st.client_dropped, st.client_duplicated
    );
    let pending = st.invoked - st.ok - st.failed - st.timed_out;
    out += &format!(
        "client ops: {} invoked, {} ok, {} failed, {} indeterminate ({} timed out, {} pending at the end)\n",
        st.invoked,
        st.ok,
        st.failed,
        st.timed_out + pending,
        st.timed_out,
        pending
    );
    out
}
