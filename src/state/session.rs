//! The running lab and what belongs to it: playback, the notice, and the
//! few things from outside that `update` needs (a clock, a random seed),
//! passed in so that `update` stays pure and testable natively.

use crate::lab::{default_scenario, new_lab, DEFAULT_SPEED, LIVE_NODES};
use crate::share::Embed;
use quorum_core::protocol::KvOp;
use quorum_core::sim::link::Unpacked;
use quorum_core::sim::scenario::ScenarioFile;
use quorum_core::sim::{library, Lab, ScenarioError};
use std::collections::BTreeMap;

pub struct Session {
    pub lab: Lab,
    pub running: bool,
    pub speed: f64,
    /// Quiet stretches (nothing on the wire) pass `lab::QUIET_SPEEDUP`
    /// times faster (on by default).
    pub skip_quiet: bool,
    /// The last refused action or load, shown to the user.
    pub notice: Option<String>,
    /// Counts requests the user sent, to give each a distinct value.
    pub requests: u64,
    pub env: Env,
    /// The shipped scenarios fetched so far (`scenarios/<path>` beside the
    /// page), by id, as validated.
    pub library: BTreeMap<String, ScenarioFile>,
    /// What waits for a shipped scenario being fetched.
    pub waiting: Option<Waiting>,
    /// Commands for the run that came while a shipped scenario was being
    /// fetched (an embedding page's `quorum:lesson` then `quorum:next`):
    /// applied, in order, to it once it opens.
    pub deferred: Vec<crate::state::Msg>,
}

/// Something that needs a shipped scenario the page has not fetched yet.
#[derive(Debug)]
pub enum Waiting {
    /// Open it (the menu, a lesson, break-it mode, `quorum:load`).
    Library(String),
    /// A share link to it plus the actions taken since.
    Link(Unpacked),
}

impl Waiting {
    /// The shipped scenario it waits for.
    pub fn id(&self) -> Option<&str> {
        match self {
            Waiting::Library(id) => Some(id),
            Waiting::Link(u) => u.library_id(),
        }
    }
}

/// Where the first-load module left the live cluster (`boot/`): its seed,
/// its virtual time (µs), whether it was playing. The run is deterministic,
/// so replaying the seed to `now` gives the cluster the student saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handover {
    pub seed: u64,
    pub now: u64,
    pub running: bool,
    /// "Skip quiet time", as the student left it.
    pub skip_quiet: bool,
}

/// The outside world, as `update` may see it.
#[derive(Clone, Copy)]
pub struct Env {
    /// Real time in ms, if the platform has a clock (bounds a link's
    /// replay); `None` natively.
    pub clock: fn() -> Option<f64>,
    /// A starting seed for "New seed" (only the starting seed is random;
    /// every run is then deterministic).
    pub random_seed: fn() -> u64,
}

impl Default for Env {
    /// No clock; seed 1 (tests).
    fn default() -> Self {
        Env {
            clock: || None,
            random_seed: || 1,
        }
    }
}

impl Session {
    pub fn new(lab: Lab, env: Env) -> Self {
        Session {
            lab,
            running: true,
            speed: DEFAULT_SPEED,
            skip_quiet: true,
            notice: None,
            requests: 0,
            env,
            library: BTreeMap::new(),
            waiting: None,
            deferred: Vec::new(),
        }
    }

    /// The fetched shipped scenario `file` started from, and how many of
    /// its events came with it: a link then carries only the id and the
    /// actions taken since.
    pub fn library_base(&self, file: &ScenarioFile) -> Option<(&str, usize)> {
        library::base_in(file, self.library.iter().map(|(id, f)| (id.as_str(), f)))
    }

    /// The share-link fragment for the run as it is now.
    pub fn fragment(&self, view: &quorum_core::sim::link::ViewOptions) -> String {
        let file = self.lab.scenario();
        quorum_core::sim::link::encode_from(
            file,
            self.library_base(file),
            self.lab.now() as f64 / 1000.0,
            view,
        )
    }

    /// The page's first run: the live cluster, seeded and played as the
    /// embed options say.
    pub fn start(embed: &Embed, env: Env) -> Result<Self, ScenarioError> {
        let seed = embed.seed.unwrap_or_else(env.random_seed);
        let mut s = Session::new(new_lab(default_scenario(seed, LIVE_NODES))?, env);
        if let Some(sp) = embed.speed {
            s.speed = sp;
        }
        if let Some(q) = embed.skip_quiet {
            s.skip_quiet = q;
        }
        if embed.on {
            s.running = embed.autoplay;
        }
        Ok(s)
    }

    /// The live cluster taken over from the first-load module, at the
    /// moment it stopped.
    pub fn resume(h: Handover, env: Env) -> Result<Self, ScenarioError> {
        let mut s = Session::new(new_lab(default_scenario(h.seed, LIVE_NODES))?, env);
        s.lab.advance(h.now);
        s.running = h.running;
        s.skip_quiet = h.skip_quiet;
        Ok(s)
    }

    /// The next value for a user's put: "v1", "v2", ...
    pub fn next_request(&mut self) -> KvOp {
        self.requests += 1;
        KvOp::Put {
            key: "x".into(),
            value: format!("v{}", self.requests).into(),
        }
    }
}
