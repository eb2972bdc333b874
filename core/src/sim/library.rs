//! The shipped scenarios (`scenarios/`): the app's menu, the lessons, and
//! the short form of share links (a library id plus the actions taken
//! since).
//!
//! The page does not carry their text: it fetches `scenarios/<path>` from
//! beside itself when one is first wanted and parses it with the same
//! validation as any file ([`Scenario::parse`]). What it needs before that
//! (the menu) is [`ENTRIES`]. The command line and the tests compile the
//! texts in (the `library` feature, on by default; the page turns it off).

use super::scenario::ScenarioFile;

/// What a library entry is, for the menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Lesson,
    Paper,
    Lab,
    Bug,
}

/// One shipped scenario: its id (in links), its file under `scenarios/`,
/// its name (the file's `name`, for the menu before the file is fetched;
/// a test keeps the two equal).
pub struct Entry {
    pub id: &'static str,
    pub kind: Kind,
    pub path: &'static str,
    pub name: &'static str,
}

/// In menu order.
#[rustfmt::skip]
pub const ENTRIES: &[Entry] = &[
    Entry { id: "lesson-basic-election", kind: Kind::Lesson, path: "lesson-basic-election.json", name: "Lesson 1: electing a leader" },
    Entry { id: "lesson-leader-crash", kind: Kind::Lesson, path: "lesson-leader-crash.json", name: "Lesson 2: the leader crashes" },
    Entry { id: "lesson-split-vote", kind: Kind::Lesson, path: "lesson-split-vote.json", name: "Lesson 3: a split vote" },
    Entry { id: "lesson-lagging-follower", kind: Kind::Lesson, path: "lesson-lagging-follower.json", name: "Lesson 4: a follower falls behind and catches up" },
    Entry { id: "lesson-partition-cap", kind: Kind::Lesson, path: "lesson-partition-cap.json", name: "Lesson 5: a partition, and the CAP theorem" },
    Entry { id: "lesson-old-leader-rejoins", kind: Kind::Lesson, path: "lesson-old-leader-rejoins.json", name: "Lesson 6: the old leader comes back" },
    Entry { id: "lesson-lossy-network", kind: Kind::Lesson, path: "lesson-lossy-network.json", name: "Lesson 7: a lossy, duplicating network" },
    Entry { id: "lesson-client-stranded", kind: Kind::Lesson, path: "lesson-client-stranded.json", name: "Lesson 8: a client stranded with the old leader" },
    Entry { id: "lesson-server-came-back", kind: Kind::Lesson, path: "lesson-server-came-back.json", name: "Lesson 9: the server that came back" },
    Entry { id: "lesson-leader-cannot-hear", kind: Kind::Lesson, path: "lesson-leader-cannot-hear.json", name: "Lesson 10: the leader that couldn't hear" },
    Entry { id: "lesson-handing-over", kind: Kind::Lesson, path: "lesson-handing-over.json", name: "Lesson 11: handing over leadership" },
    Entry { id: "lesson-fast-reads", kind: Kind::Lesson, path: "lesson-fast-reads.json", name: "Lesson 12: fast reads and their price" },
    Entry { id: "paper-fig7", kind: Kind::Paper, path: "paper-fig7.json", name: "Paper Fig. 7: a new leader repairs every follower" },
    Entry { id: "paper-fig8-d", kind: Kind::Paper, path: "paper-fig8-d.json", name: "Paper Fig. 8 (a)-(d): an old-term entry on a majority is not committed" },
    Entry { id: "paper-fig8-e", kind: Kind::Paper, path: "paper-fig8-e.json", name: "Paper Fig. 8 (e): once a current-term entry commits, S5 cannot win" },
    Entry { id: "lab-backup", kind: Kind::Lab, path: "lab-backup.json", name: "Backup" },
    Entry { id: "lab-churn", kind: Kind::Lab, path: "lab-churn.json", name: "Churn" },
    Entry { id: "bug-double_vote", kind: Kind::Bug, path: "bugs/double_vote.json", name: "Planted bug: double_vote" },
    Entry { id: "bug-forget_voted_for", kind: Kind::Bug, path: "bugs/forget_voted_for.json", name: "Planted bug: forget_voted_for" },
    Entry { id: "bug-forget_current_term", kind: Kind::Bug, path: "bugs/forget_current_term.json", name: "Planted bug: forget_current_term" },
    Entry { id: "bug-no_up_to_date_check", kind: Kind::Bug, path: "bugs/no_up_to_date_check.json", name: "Planted bug: no_up_to_date_check" },
    Entry { id: "bug-accept_stale_term", kind: Kind::Bug, path: "bugs/accept_stale_term.json", name: "Planted bug: accept_stale_term" },
    Entry { id: "bug-append_without_truncate", kind: Kind::Bug, path: "bugs/append_without_truncate.json", name: "Planted bug: append_without_truncate" },
    Entry { id: "bug-commit_old_term_by_counting", kind: Kind::Bug, path: "bugs/commit_old_term_by_counting.json", name: "Planted bug: commit_old_term_by_counting" },
    Entry { id: "bug-commit_beyond_last_new", kind: Kind::Bug, path: "bugs/commit_beyond_last_new.json", name: "Planted bug: commit_beyond_last_new" },
    Entry { id: "bug-apply_before_commit", kind: Kind::Bug, path: "bugs/apply_before_commit.json", name: "Planted bug: apply_before_commit" },
    Entry { id: "bug-stale_match_index", kind: Kind::Bug, path: "bugs/stale_match_index.json", name: "Planted bug: stale_match_index" },
    Entry { id: "bug-lease_ignores_drift", kind: Kind::Bug, path: "bugs/lease_ignores_drift.json", name: "Planted bug: lease_ignores_drift" },
    Entry { id: "bug-read_index_without_round", kind: Kind::Bug, path: "bugs/read_index_without_round.json", name: "Planted bug: read_index_without_round" },
    Entry { id: "bug-prevote_records_vote", kind: Kind::Bug, path: "bugs/prevote_records_vote.json", name: "Planted bug: prevote_records_vote" },
    Entry { id: "bug-transfer_keeps_accepting", kind: Kind::Bug, path: "bugs/transfer_keeps_accepting.json", name: "Planted bug: transfer_keeps_accepting" },
    Entry { id: "bug-snapshot_drops_sessions", kind: Kind::Bug, path: "bugs/snapshot_drops_sessions.json", name: "Planted bug: snapshot_drops_sessions" },
    Entry { id: "bug-joint_commits_with_new_only", kind: Kind::Bug, path: "bugs/joint_commits_with_new_only.json", name: "Planted bug: joint_commits_with_new_only" },
];

/// The entry called `id`.
pub fn entry(id: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.id == id)
}

/// How many of `file`'s events came with `base` (the rest were recorded
/// since), if `file` is `base` plus recorded actions.
pub fn events_after(base: &ScenarioFile, file: &ScenarioFile) -> Option<usize> {
    let n = base.events.len();
    let same = file.events.len() >= n
        && file.events[..n] == base.events[..]
        && ScenarioFile {
            events: base.events.clone(),
            // What it was made with is not what it is.
            behaviour: base.behaviour,
            ..file.clone()
        } == *base;
    same.then_some(n)
}

/// The library entry among `bases` that `file` started from, and how many
/// of its events came with it.
pub fn base_in<'a>(
    file: &ScenarioFile,
    bases: impl IntoIterator<Item = (&'a str, &'a ScenarioFile)>,
) -> Option<(&'a str, usize)> {
    bases
        .into_iter()
        .find_map(|(id, base)| Some((id, events_after(base, file)?)))
}

#[cfg(feature = "library")]
mod embedded {
    use super::super::scenario::{Scenario, ScenarioFile};
    use super::ENTRIES;
    use std::sync::OnceLock;

    // `fn by_path(&str) -> Option<&'static str>`: every file in `scenarios/`
    // and `scenarios/bugs/`, minified by `build.rs`.
    include!(concat!(env!("OUT_DIR"), "/library_texts.rs"));

    /// The text of an entry, as `build.rs` minified it.
    pub fn text(id: &str) -> Option<&'static str> {
        by_path(super::entry(id)?.path)
    }

    fn parsed() -> &'static [Option<ScenarioFile>] {
        static P: OnceLock<Vec<Option<ScenarioFile>>> = OnceLock::new();
        P.get_or_init(|| {
            ENTRIES
                .iter()
                .map(|e| Scenario::parse(by_path(e.path)?).ok().map(|s| s.file))
                .collect()
        })
    }

    /// A shipped scenario by id.
    pub fn get(id: &str) -> Option<ScenarioFile> {
        let i = ENTRIES.iter().position(|e| e.id == id)?;
        parsed().get(i)?.clone()
    }

    /// The library entry `file` started from, and how many of its events
    /// came with it (the rest were recorded since), if any.
    pub fn base_of(file: &ScenarioFile) -> Option<(&'static str, usize)> {
        let bases = ENTRIES
            .iter()
            .zip(parsed())
            .filter_map(|(e, b)| Some((e.id, b.as_ref()?)));
        super::base_in(file, bases)
    }
}

#[cfg(feature = "library")]
pub use embedded::{base_of, get, text};
