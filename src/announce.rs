//! What a screen reader hears while the run plays (issue 13): elections,
//! crashes and restarts, commits and broken safety properties, said
//! politely in a live region (`#announce`). Worked out here, from the lab,
//! natively testable; `Runtime` writes the words.

use quorum_core::protocol::{NodeId, Term};
use quorum_core::sim::Lab;

/// Commits are said at most this often (ms of real time): a busy cluster
/// commits many entries a second.
pub const COMMIT_EVERY_MS: f64 = 3000.0;

/// What was last said about the run.
#[derive(Default)]
pub struct Announcer {
    leader: Option<(Term, NodeId)>,
    up: Vec<bool>,
    commit: u64,
    commit_said: f64,
    violations: usize,
    started: bool,
}

impl Announcer {
    /// What changed since the last call, in words (`None`: nothing to
    /// say). `now_ms` is real time. The first call only takes note.
    pub fn update(&mut self, lab: &Lab, now_ms: f64) -> Option<String> {
        let sim = lab.sim();
        let n = sim.node_count();
        let up: Vec<bool> = (1..=n).map(|id| sim.is_up(id)).collect();
        let leader = lab
            .leader()
            .and_then(|l| lab.node(l).map(|node| (node.current_term(), l)));
        let commit = (1..=n)
            .filter_map(|i| lab.node(i))
            .map(|node| node.commit_index())
            .max()
            .unwrap_or(0);
        let violations = lab.violations();
        let mut said = Vec::new();
        if self.started {
            for (i, (&was, &is)) in self.up.iter().zip(&up).enumerate() {
                if was != is {
                    let id = i + 1;
                    said.push(if is {
                        format!("S{id} restarted.")
                    } else {
                        format!("S{id} crashed.")
                    });
                }
            }
            if leader != self.leader {
                if let Some((term, id)) = leader {
                    said.push(format!("S{id} is the leader of term {term}."));
                }
            }
            for v in violations.iter().skip(self.violations) {
                said.push(format!("Safety broken: {}.", v.property.name()));
            }
            if commit > self.commit && now_ms - self.commit_said >= COMMIT_EVERY_MS {
                said.push(format!("Committed up to index {commit}."));
                self.commit_said = now_ms;
            }
        }
        self.started = true;
        self.up = up;
        self.leader = leader;
        if commit < self.commit || said.iter().any(|s| s.starts_with("Committed")) {
            self.commit = commit;
        }
        self.violations = violations.len();
        (!said.is_empty()).then(|| said.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorum_core::sim::scenario::EventSpec;

    #[test]
    fn elections_crashes_and_commits_are_said_once() {
        let file = crate::lab::default_scenario(5, 3);
        let mut lab = crate::lab::new_lab(file).expect("lab");
        let mut a = Announcer::default();
        assert_eq!(a.update(&lab, 0.0), None, "the first call only takes note");
        let mut heard = Vec::new();
        for k in 1..=40 {
            lab.advance(25_000);
            if let Some(s) = a.update(&lab, f64::from(k) * 100.0) {
                heard.push(s);
            }
        }
        let leader = lab.leader().expect("a leader within a second");
        let want = format!("S{leader} is the leader of term ");
        assert_eq!(
            heard.iter().filter(|s| s.contains(&want)).count(),
            1,
            "{heard:?}"
        );
        lab.act(EventSpec::Crash {
            at_ms: 0.0,
            node: leader,
        })
        .expect("crash");
        let s = a.update(&lab, 5000.0).expect("a crash is said");
        assert!(s.contains(&format!("S{leader} crashed.")), "{s}");
        assert_eq!(a.update(&lab, 5100.0), None, "said once");
        lab.act(EventSpec::Restart {
            at_ms: 0.0,
            node: leader,
        })
        .expect("restart");
        assert!(a
            .update(&lab, 5200.0)
            .is_some_and(|s| s.contains("restarted")));
    }
}
