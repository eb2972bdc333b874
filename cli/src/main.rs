//! `quorum`: run Quorum scenarios natively.
//!
//! Exit codes: 0 success, 1 a violation (`run --check`, `fuzz`), 2 bad
//! input (message on stderr), 3 a check that could not decide or did not
//! apply (`run --check`): an undecided check is never a pass.

use clap::{Args, Parser, Subcommand};
use quorum_core::protocol::RaftNode;
use quorum_core::sim::Scenario;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::LazyLock;

/// `quorum --version`: the release and the simulator behaviour it runs
/// (see docs/share-links.md).
static VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} (simulator behaviour {})",
        env!("CARGO_PKG_VERSION"),
        quorum_core::sim::BEHAVIOUR
    )
});

#[derive(Parser)]
#[command(name = "quorum", version = VERSION.as_str(), about = "A deterministic Raft laboratory")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario (or a share link) and print a summary.
    Run {
        /// The scenario file (JSON, see docs/scenario-format.md).
        #[arg(required_unless_present = "link")]
        scenario: Option<PathBuf>,
        /// Run a share link instead (a whole URL or its `#q1.…` fragment);
        /// without --until it runs to the link's moment.
        #[arg(long, value_name = "URL", conflicts_with = "scenario")]
        link: Option<String>,
        /// Print the nodes' state at the end as JSON (the shape of the
        /// page's `quorum.state()`), instead of the summary.
        #[arg(long)]
        state: bool,
        /// Run until this virtual time instead of the scenario's duration_ms.
        #[arg(long, value_name = "MS")]
        until: Option<f64>,
        /// Write the trace (JSON Lines) to FILE, or to stdout with `-`.
        #[arg(long, value_name = "FILE|-")]
        trace: Option<String>,
        /// Use this seed instead of the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Check the safety properties after every step, linearizability
        /// and (if the scenario states it) liveness at the end; exit 1 on a
        /// violation.
        #[arg(long)]
        check: bool,
        /// With --check: how many configurations the linearizability
        /// search may explore per key before it says "undecided" (exit 3).
        #[arg(long, value_name = "N", requires = "check")]
        lin_states: Option<usize>,
        /// Print the simulator's own wall time for the run to stderr
        /// (building the cluster and running it; not reading the scenario,
        /// the checks after the run, or the process start).
        #[arg(long)]
        time: bool,
    },
    /// Print the share-link fragment for a scenario file.
    Link {
        /// The scenario file.
        scenario: PathBuf,
        /// The moment the link opens at, virtual ms.
        #[arg(long, value_name = "MS", default_value_t = 0.0)]
        at: f64,
        /// Put this page URL in front (e.g. https://example.org/quorum/).
        #[arg(long, value_name = "URL")]
        base: Option<String>,
    },
    /// Run random scenarios with every check; shrink and save failures.
    Fuzz(FuzzArgs),
}

/// `quorum fuzz`'s arguments.
#[derive(Args)]
struct FuzzArgs {
    /// How many seeds to run.
    #[arg(long)]
    seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Random faults per scenario.
    #[arg(long, default_value_t = 12)]
    steps: u32,
    /// Switch on a planted bug (repeatable), e.g. `--bug double_vote`.
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Where to write shrunk reproducing scenarios.
    #[arg(long, default_value = "fuzz-failures")]
    out: PathBuf,
    /// Run every seed even after a failure (default: stop at the first).
    #[arg(long)]
    keep_going: bool,
}

/// Print to stdout; a closed pipe (`quorum ... | head`) is not an error.
fn say(s: &str) {
    let _ = io::stdout().lock().write_all(s.as_bytes());
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Link { scenario, at, base } => match link(&scenario, at, base.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("quorum: {e}");
                ExitCode::from(2)
            }
        },
        Cmd::Run {
            scenario,
            link,
            state,
            until,
            trace,
            seed,
            check,
            lin_states,
            time,
        } => match source(scenario.as_ref(), link.as_deref(), until, seed).and_then(|s| {
            let opts = quorum_cli::RunOptions {
                trace_to: trace,
                check,
                state,
                lin_states,
            };
            run(s, &opts, time)
        }) {
            Ok(Outcome::Clean) => ExitCode::SUCCESS,
            Ok(Outcome::Violation) => ExitCode::from(1),
            Ok(Outcome::Undecided) => ExitCode::from(3),
            Err(e) => {
                eprintln!("quorum: {e}");
                ExitCode::from(2)
            }
        },
        Cmd::Fuzz(args) => match fuzz(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("quorum: {e}");
                ExitCode::from(2)
            }
        },
    }
}

fn fuzz(args: &FuzzArgs) -> Result<bool, String> {
    let FuzzArgs {
        seeds,
        start,
        steps,
        ref bugs,
        threads,
        ref out,
        keep_going,
    } = *args;
    use quorum_core::protocol::Bug;
    use quorum_verify::fuzz;
    for b in bugs {
        if Bug::from_name(b).is_none() {
            let known: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            return Err(format!(
                "--bug {b}: unknown; the planted bugs are {}",
                known.join(", ")
            ));
        }
    }
    if steps > 10_000 {
        return Err(format!("--steps {steps}: at most 10000 faults per run"));
    }
    if start.checked_add(seeds).is_none() {
        return Err("--start + --seeds overflows".into());
    }
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 256);
    let t0 = std::time::Instant::now();
    let batch = fuzz::run_batch(start, seeds, steps, bugs, threads, !keep_going);
    let secs = t0.elapsed().as_secs_f64().max(1e-9);
    say(&format!(
        "fuzz: {} runs (seeds {start}..{}), {} failures, {} undecided (the linearizability search reached its bound), {} liveness not applicable (no majority up at the end)\n",
        batch.runs,
        start + seeds,
        batch.failures.len(),
        batch.undecided,
        batch.liveness_not_applicable
    ));
    if !batch.undecided_seeds.is_empty() {
        let seeds: Vec<String> = batch.undecided_seeds.iter().map(u64::to_string).collect();
        say(&format!("undecided seeds: {}\n", seeds.join(", ")));
    }
    say(&format!(
        "faults (runs with each kind): {}\n",
        batch.coverage.summary()
    ));
    say(&format!(
        "speed: {:.0} seeds/s, {:.2} million events/s on {threads} threads ({:.1} s)\n",
        batch.runs as f64 / secs,
        batch.events as f64 / secs / 1e6,
        secs
    ));
    for (seed, failure) in batch.failures.iter().take(if keep_going { 20 } else { 1 }) {
        say(&format!("FAILED seed {seed}: {failure}\n"));
        let file = fuzz::generate(*seed, steps, bugs);
        let small = fuzz::shrink(&file, failure, 400);
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        let path = out.join(format!("seed-{seed}.json"));
        // An export: it records the behaviour that found the failure.
        let json = serde_json::to_string_pretty(&small.exported()).map_err(|e| e.to_string())?;
        std::fs::write(&path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        say(&format!(
            "  shrunk to {} nodes and {} events: {}\n  reproduce: quorum run --check {}\n",
            small.nodes,
            small.events.len(),
            path.display(),
            path.display()
        ));
    }
    Ok(batch.failures.is_empty())
}

/// The scenario to run: a file or a link, with the overrides applied.
fn source(
    path: Option<&PathBuf>,
    link: Option<&str>,
    until: Option<f64>,
    seed: Option<u64>,
) -> Result<Scenario, String> {
    match (path, link) {
        (Some(p), _) => load(p, until, seed),
        (None, Some(l)) => {
            let l = quorum_core::sim::link::decode(l).map_err(|e| format!("--link: {e}"))?;
            if let Some(old) = l.older() {
                eprintln!("notice: this link was {old}");
            }
            let mut file = l.scenario;
            match until {
                Some(ms) => file.duration_ms = ms,
                None if l.t_ms > 0.0 => file.duration_ms = l.t_ms,
                None => {}
            }
            if let Some(s) = seed {
                file.seed = s;
            }
            Scenario::from_file(file).map_err(|e| format!("--link: {e}"))
        }
        (None, None) => Err("give a scenario file or --link".into()),
    }
}

/// `quorum link`: the fragment (or whole URL) for a scenario file.
fn link(path: &PathBuf, at: f64, base: Option<&str>) -> Result<(), String> {
    let s = load(path, None, None)?;
    if !at.is_finite() || at < 0.0 || at > s.file.duration_ms {
        return Err(format!(
            "--at {at}: outside the run (0..={} ms)",
            s.file.duration_ms
        ));
    }
    let frag = quorum_core::sim::link::encode(&s.file, at, &Default::default());
    say(&format!("{}{frag}\n", base.unwrap_or("")));
    Ok(())
}

/// Load and validate a scenario file, applying the command-line overrides.
pub fn load(path: &PathBuf, until: Option<f64>, seed: Option<u64>) -> Result<Scenario, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > quorum_core::sim::scenario::MAX_INPUT_BYTES as u64 {
        return Err(format!(
            "{}: {} bytes is over the limit of {} bytes",
            path.display(),
            meta.len(),
            quorum_core::sim::scenario::MAX_INPUT_BYTES
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut file = Scenario::parse(&text)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .file;
    if let Some(old) = file.older_behaviour() {
        eprintln!("notice: {} was {old}", path.display());
    }
    if let Some(ms) = until {
        file.duration_ms = ms;
    }
    if let Some(s) = seed {
        file.seed = s;
    }
    Scenario::from_file(file).map_err(|e| {
        let e = if e.path == "duration_ms" && until.is_some() {
            format!("--until: {}", e.message)
        } else {
            e.to_string()
        };
        format!("{}: {e}", path.display())
    })
}

/// `quorum run`: Raft, through the same library path any protocol takes.
fn run(scenario: Scenario, opts: &quorum_cli::RunOptions, time: bool) -> Result<Outcome, String> {
    let report = quorum_cli::run::<RaftNode>(&scenario, opts)?;
    if time {
        eprint!("{}", report.speed.line());
    }
    // Keep stdout a clean trace when the trace goes there.
    if opts.trace_to.as_deref() == Some("-") && !opts.state {
        eprint!("{}", report.text);
    } else {
        say(&report.text);
    }
    Ok(if !report.clean {
        Outcome::Violation
    } else if report.undecided.is_some() || report.not_applicable.is_some() {
        Outcome::Undecided
    } else {
        Outcome::Clean
    })
}

/// How `quorum run` ended, as its exit code says.
enum Outcome {
    /// 0: every check held (or none was asked for).
    Clean,
    /// 1: a check found a violation.
    Violation,
    /// 3: a check could not decide, or the liveness expectation did not
    /// apply; never a pass.
    Undecided,
}
