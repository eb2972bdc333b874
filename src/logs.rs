//! The log table's data: one row per server, a window of indexes, rebuilt
//! only when something in it changed (Fig. 2's log, commitIndex,
//! lastApplied, and the leader's nextIndex/matchIndex).

use crate::lab::command_label;
use quorum_core::protocol::NodeId;
use quorum_core::sim::Lab;
use quorum_core::util::Fnv64;

/// How many log indexes the table shows at once: as many as fit beside the
/// row headers in a 1280-pixel window, so the newest entries are on screen
/// while following (◀ ▶ move the window).
pub const LOG_WINDOW: u64 = 16;

/// The log table's data, rebuilt only when something in it changed, and
/// only for the window of indexes on screen.
pub struct LogModel {
    pub version: u64,
    pub rows: Vec<LogRow>,
    /// The longest log's last index.
    pub total: u64,
    /// The window shown: indexes `first..=last`.
    pub first: u64,
    pub last: u64,
    /// Following the newest entries (no scroll position chosen).
    pub follow: bool,
}

pub struct LogRow {
    pub id: NodeId,
    pub up: bool,
    pub leader: bool,
    pub commit: u64,
    pub applied: u64,
    /// The last index its snapshot covers (0: it never compacted, §7).
    pub snapshot: u64,
    /// (term, label) per index of the window, while the log has entries;
    /// indexes the snapshot covers have no label.
    pub cells: Vec<(u64, String)>,
    /// The leader's nextIndex and matchIndex for this node.
    pub next_match: Option<(u64, u64)>,
    /// The entry a broken safety property is about, on this server.
    pub flag: Option<u64>,
}

impl PartialEq for LogModel {
    fn eq(&self, o: &Self) -> bool {
        self.version == o.version
    }
}

impl LogModel {
    /// A cheap fingerprint of everything the table shows.
    pub fn version_of(lab: &Lab, from: Option<u64>) -> u64 {
        let sim = lab.sim();
        let mut h = Fnv64::new();
        let mut mix = |v: u64| h = h.u64(v);
        mix(from.map_or(u64::MAX, |f| f));
        mix(lab.violations().len() as u64);
        for i in 1..=sim.node_count() {
            if let Some(n) = sim.node(i) {
                mix(u64::from(sim.is_up(i)));
                mix(n.log().last_index());
                mix(n.log().snapshot_index());
                mix(n.log().last_term());
                mix(n.commit_index());
                mix(n.last_applied());
                mix(n.role() as u64);
                for p in n.progress().values() {
                    mix(p.next_index);
                    mix(p.match_index);
                }
            }
        }
        h.value()
    }

    pub fn build(lab: &Lab, from: Option<u64>) -> LogModel {
        let sim = lab.sim();
        let leader = lab.leader();
        let total = (1..=sim.node_count())
            .filter_map(|i| sim.node(i))
            .map(|n| n.log().last_index())
            .max()
            .unwrap_or(0);
        let end = total.max(1);
        let first = match from {
            Some(f) => f.clamp(1, end),
            // Following the end: the window jumps half a window at a time,
            // so most redraws only fill in new cells.
            None => {
                let half = LOG_WINDOW / 2;
                end.saturating_sub(LOG_WINDOW).div_ceil(half) * half + 1
            }
        };
        let last = (first + LOG_WINDOW - 1).min(end);
        let progress = leader.and_then(|l| sim.node(l)).map(|n| n.progress());
        let rows: Vec<LogRow> = (1..=sim.node_count())
            .filter_map(|i| sim.node(i).map(|n| (i, n)))
            .map(|(i, n)| LogRow {
                id: i,
                up: sim.is_up(i),
                leader: Some(i) == leader,
                commit: n.commit_index(),
                applied: n.last_applied(),
                snapshot: n.log().snapshot_index(),
                cells: (first..=last)
                    .map_while(|k| {
                        if k <= n.log().snapshot_index() {
                            return Some((n.log().snapshot_term(), String::new()));
                        }
                        n.log().entry(k).map(|e| (e.term, command_label(&e.cmd)))
                    })
                    .collect(),
                next_match: progress
                    .and_then(|p| p.get(&i))
                    .map(|p| (p.next_index, p.match_index)),
                flag: lab
                    .violations()
                    .iter()
                    .find(|v| v.nodes.contains(&i))
                    .and_then(|v| v.index),
            })
            .collect();
        LogModel {
            version: Self::version_of(lab, from),
            rows,
            total,
            first,
            last,
            follow: from.is_none(),
        }
    }
}
