//! The simulator's behaviour version: which runs this build produces.
//!
//! A share link or an exported scenario replays a run from its inputs
//! (scenario, seed, recorded actions); the run itself comes from the code.
//! A fix to the simulator or the protocol can change the run those inputs
//! give, so a link a teacher put in a course page could silently show
//! something else. Every link, exported scenario and trace therefore
//! carries the behaviour it was made with, and a build that runs another
//! behaviour says so.
//!
//! The policy (docs/share-links.md):
//! - Bump [`BEHAVIOUR`] in the same change as anything that alters any
//!   run's trace: the protocol, the network or client model, the order of
//!   events, the random stream. The golden digests failing
//!   (`verify/tests/golden.rs`) is the signal; they record the behaviour
//!   they were blessed under and refuse to be re-blessed with changed runs
//!   under the same number. Add a line to the changelog in
//!   docs/share-links.md.
//! - Do not bump it for changes that alter no run: the UI, the checkers,
//!   the fuzzer, performance work.
//! - A link or exported scenario from an older behaviour still opens; the
//!   page and `quorum run` say the run may differ from the one shared.
//!   One from a newer behaviour is refused: this build cannot reproduce it.
//! - Links and scenarios that carry no behaviour are from before it was
//!   recorded: behaviour [`UNVERSIONED_LINK`] for links. A scenario file
//!   without one is hand-written (or shipped with the code) and runs as
//!   this build's behaviour, with no notice.

use std::fmt;

/// The behaviour this build runs.
///
/// 1: everything up to issue 10 (links in the wild carry no number).
/// 2: issue 11 (reply-term tagging, probe/replicate progress, client
///    sessions per request, clients on the network).
pub const BEHAVIOUR: u32 = 2;

/// The behaviour of a link that carries no number: made before links
/// recorded one.
pub const UNVERSIONED_LINK: u32 = 1;

/// A run made with an older behaviour than this build's: it opens, with a
/// notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Older {
    /// The behaviour the link or scenario was made with.
    pub made_with: u32,
}

impl Older {
    /// `Some` when `made_with` is older than this build's behaviour.
    pub fn of(made_with: u32) -> Option<Older> {
        (made_with < BEHAVIOUR).then_some(Older { made_with })
    }
}

impl fmt::Display for Older {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "made with simulator behaviour {}; this is behaviour {BEHAVIOUR}, so the run may differ from the one that was shared",
            self.made_with
        )
    }
}

/// Check a behaviour number read from a link or a scenario: `Ok` for this
/// build's or an older one (the number again), an error in words for 0 or
/// a newer one.
pub fn check(made_with: u32) -> Result<u32, String> {
    if made_with == 0 {
        Err("behaviour 0 does not exist: behaviours count from 1".into())
    } else if made_with > BEHAVIOUR {
        Err(format!(
            "made with simulator behaviour {made_with}, newer than this build's ({BEHAVIOUR}): \
             update Quorum to replay it as it was shared"
        ))
    } else {
        Ok(made_with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_newer_and_current() {
        assert_eq!(check(BEHAVIOUR), Ok(BEHAVIOUR));
        assert_eq!(check(1), Ok(1));
        assert!(check(0).is_err());
        assert!(check(BEHAVIOUR + 1).unwrap_err().contains("newer"));
        assert_eq!(Older::of(BEHAVIOUR), None);
        let old = Older::of(BEHAVIOUR - 1).expect("older");
        assert!(old.to_string().contains("may differ"));
    }

    // A link without a number is older than this build, so it gets the
    // notice.
    const _: () = assert!(UNVERSIONED_LINK < BEHAVIOUR);
}
