//! The shipped scenarios (`scenarios/`), compiled in: the app's menu, the
//! lessons, and the short form of share links (a library id plus the
//! actions taken since).

use super::scenario::{Scenario, ScenarioFile};
use std::sync::OnceLock;

/// What a library entry is, for the menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Lesson,
    Paper,
    Lab,
    Bug,
}

pub struct Entry {
    pub id: &'static str,
    pub kind: Kind,
    pub json: &'static str,
}

macro_rules! entry {
    ($kind:ident, $id:literal, $path:literal) => {
        Entry {
            id: $id,
            kind: Kind::$kind,
            // The files as `build.rs` minified them.
            json: include_str!(concat!(env!("OUT_DIR"), "/scenarios/", $path)),
        }
    };
}

/// In menu order.
pub const ENTRIES: &[Entry] = &[
    entry!(
        Lesson,
        "lesson-basic-election",
        "lesson-basic-election.json"
    ),
    entry!(Lesson, "lesson-leader-crash", "lesson-leader-crash.json"),
    entry!(Lesson, "lesson-split-vote", "lesson-split-vote.json"),
    entry!(
        Lesson,
        "lesson-lagging-follower",
        "lesson-lagging-follower.json"
    ),
    entry!(Lesson, "lesson-partition-cap", "lesson-partition-cap.json"),
    entry!(
        Lesson,
        "lesson-old-leader-rejoins",
        "lesson-old-leader-rejoins.json"
    ),
    entry!(Lesson, "lesson-lossy-network", "lesson-lossy-network.json"),
    entry!(
        Lesson,
        "lesson-client-stranded",
        "lesson-client-stranded.json"
    ),
    entry!(Paper, "paper-fig7", "paper-fig7.json"),
    entry!(Paper, "paper-fig8-d", "paper-fig8-d.json"),
    entry!(Paper, "paper-fig8-e", "paper-fig8-e.json"),
    entry!(Lab, "lab-backup", "lab-backup.json"),
    entry!(Lab, "lab-churn", "lab-churn.json"),
    entry!(Bug, "bug-double_vote", "bugs/double_vote.json"),
    entry!(Bug, "bug-forget_voted_for", "bugs/forget_voted_for.json"),
    entry!(
        Bug,
        "bug-forget_current_term",
        "bugs/forget_current_term.json"
    ),
    entry!(
        Bug,
        "bug-no_up_to_date_check",
        "bugs/no_up_to_date_check.json"
    ),
    entry!(Bug, "bug-accept_stale_term", "bugs/accept_stale_term.json"),
    entry!(
        Bug,
        "bug-append_without_truncate",
        "bugs/append_without_truncate.json"
    ),
    entry!(
        Bug,
        "bug-commit_old_term_by_counting",
        "bugs/commit_old_term_by_counting.json"
    ),
    entry!(
        Bug,
        "bug-commit_beyond_last_new",
        "bugs/commit_beyond_last_new.json"
    ),
    entry!(
        Bug,
        "bug-apply_before_commit",
        "bugs/apply_before_commit.json"
    ),
    entry!(Bug, "bug-stale_match_index", "bugs/stale_match_index.json"),
];

fn parsed() -> &'static [Option<ScenarioFile>] {
    static P: OnceLock<Vec<Option<ScenarioFile>>> = OnceLock::new();
    P.get_or_init(|| {
        ENTRIES
            .iter()
            .map(|e| Scenario::parse(e.json).ok().map(|s| s.file))
            .collect()
    })
}

/// A shipped scenario by id.
pub fn get(id: &str) -> Option<ScenarioFile> {
    let i = ENTRIES.iter().position(|e| e.id == id)?;
    parsed().get(i)?.clone()
}

/// The library entry `file` started from, and how many of its events came
/// with it (the rest were recorded since), if any.
pub fn base_of(file: &ScenarioFile) -> Option<(&'static str, usize)> {
    ENTRIES.iter().zip(parsed()).find_map(|(e, base)| {
        let base = base.as_ref()?;
        let n = base.events.len();
        let same = file.events.len() >= n
            && file.events[..n] == base.events[..]
            && ScenarioFile {
                events: base.events.clone(),
                // What it was made with is not what it is.
                behaviour: base.behaviour,
                ..file.clone()
            } == *base;
        same.then_some((e.id, n))
    })
}
