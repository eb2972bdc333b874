//! Human-readable event lines for the browser's event log, e.g.
//! `1.234 s  S3 → S1  RequestVote(term 4, last 7@3)` and
//! `S1 becomes leader (term 4)`, each with a kind to filter on.

use super::trace::{TraceEvent, TraceRecord};
use super::Micros;
use crate::protocol::{Message, NodeId, OpResult, Role};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a line is about, for filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Elections,
    Replication,
    /// Empty AppendEntries and the replies to them.
    Heartbeats,
    Client,
    Faults,
    Safety,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub t: Micros,
    pub kind: Kind,
    /// The servers the line is about (for the node filter).
    pub nodes: Vec<NodeId>,
    /// The message the line is about, if any (links the views).
    pub msg: Option<u64>,
    pub text: String,
}

/// A short name for a message with its key fields.
pub fn message_summary(m: &Message) -> (Kind, String) {
    match m {
        Message::RequestVote {
            term,
            last_log_index,
            last_log_term,
            ..
        } => (
            Kind::Elections,
            format!("RequestVote(term {term}, last {last_log_index}@{last_log_term})"),
        ),
        Message::RequestVoteReply { term, vote_granted } => (
            Kind::Elections,
            format!(
                "{}(term {term})",
                if *vote_granted {
                    "VoteGranted"
                } else {
                    "VoteDenied"
                }
            ),
        ),
        Message::AppendEntries {
            term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
            ..
        } => (
            if entries.is_empty() {
                Kind::Heartbeats
            } else {
                Kind::Replication
            },
            if entries.is_empty() {
                format!("Heartbeat(term {term}, prev {prev_log_index}@{prev_log_term}, commit {leader_commit})")
            } else {
                format!(
                    "AppendEntries(term {term}, prev {prev_log_index}@{prev_log_term}, {} entr{}, commit {leader_commit})",
                    entries.len(),
                    if entries.len() == 1 { "y" } else { "ies" }
                )
            },
        ),
        Message::AppendEntriesReply {
            term,
            success,
            prev_log_index,
            match_index,
            conflict_index,
            ..
        } => (
            // A success that matched nothing new answers a heartbeat.
            if *success && match_index == prev_log_index {
                Kind::Heartbeats
            } else {
                Kind::Replication
            },
            if *success {
                format!("AppendOk(term {term}, match {match_index})")
            } else {
                format!("AppendRejected(term {term}, conflict at {conflict_index})")
            },
        ),
    }
}

fn result_text(r: &OpResult) -> String {
    match r {
        OpResult::Ok => "ok".into(),
        OpResult::Value { value: Some(v) } => format!("value {v:?}"),
        OpResult::Value { value: None } => "no value".into(),
        OpResult::Mismatch { actual } => format!("mismatch (actual {actual:?})"),
        OpResult::Error { reason } => format!("error: {reason}"),
    }
}

/// Turns trace records into lines, remembering sends so that a delivery
/// or a drop can say what it was.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    sends: BTreeMap<u64, (NodeId, NodeId, Kind, String)>,
}

impl EventLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget the sends of messages with ids below `id` (ids grow with
    /// send time), so a long run does not keep every message.
    pub fn forget_before(&mut self, id: u64) {
        self.sends = self.sends.split_off(&id);
    }

    /// The line for one record, if it deserves one (deliveries of
    /// heartbeats and their replies are left out: they are most of the
    /// traffic and say little).
    pub fn line(&mut self, r: &TraceRecord<Message>) -> Option<Line> {
        let t = r.t;
        let msg = match &r.ev {
            TraceEvent::Send { id, .. }
            | TraceEvent::Deliver { id }
            | TraceEvent::Drop { id, .. }
            | TraceEvent::Duplicate { id } => Some(*id),
            _ => None,
        };
        let line = |kind, nodes: Vec<NodeId>, text: String| {
            Some(Line {
                t,
                kind,
                nodes,
                msg,
                text,
            })
        };
        match &r.ev {
            TraceEvent::Send { id, from, to, msg } => {
                let (kind, text) = message_summary(msg);
                self.sends.insert(*id, (*from, *to, kind, text.clone()));
                line(kind, vec![*from, *to], format!("S{from} → S{to}  {text}"))
            }
            TraceEvent::Deliver { id } => {
                let (from, to, kind, text) = self.sends.get(id)?.clone();
                if kind == Kind::Heartbeats {
                    return None;
                }
                line(
                    kind,
                    vec![from, to],
                    format!("S{to} receives {text} from S{from}"),
                )
            }
            TraceEvent::Drop { id, why } => {
                let (from, to, _, text) = self.sends.get(id)?.clone();
                line(
                    Kind::Faults,
                    vec![from, to],
                    format!("lost ({why}): S{from} → S{to}  {text}"),
                )
            }
            TraceEvent::Duplicate { id } => {
                let (from, to, _, text) = self.sends.get(id)?.clone();
                line(
                    Kind::Faults,
                    vec![from, to],
                    format!("duplicated: S{from} → S{to}  {text}"),
                )
            }
            TraceEvent::Role { node, role, term } => {
                let what = match role {
                    Role::Leader => "becomes leader",
                    Role::Candidate => "starts an election as candidate",
                    Role::Follower => "is a follower",
                };
                line(
                    Kind::Elections,
                    vec![*node],
                    format!("S{node} {what} (term {term})"),
                )
            }
            TraceEvent::Vote {
                node,
                term,
                voted_for,
            } => line(
                Kind::Elections,
                vec![*node, *voted_for],
                format!("S{node} votes for S{voted_for} in term {term}"),
            ),
            TraceEvent::Append {
                node, index, term, ..
            } => line(
                Kind::Replication,
                vec![*node],
                format!("S{node} appends index {index} (term {term})"),
            ),
            TraceEvent::Truncate { node, from_index } => line(
                Kind::Replication,
                vec![*node],
                format!("S{node} deletes its entries from index {from_index} on"),
            ),
            TraceEvent::Commit { node, index } => line(
                Kind::Replication,
                vec![*node],
                format!("S{node} commits up to index {index}"),
            ),
            TraceEvent::Apply { .. } => None,
            TraceEvent::Crash { node } => {
                line(Kind::Faults, vec![*node], format!("S{node} crashes"))
            }
            TraceEvent::Restart { node } => {
                line(Kind::Faults, vec![*node], format!("S{node} restarts"))
            }
            TraceEvent::Timeout { node } => line(
                Kind::Elections,
                vec![*node],
                format!("S{node}'s election timeout is forced"),
            ),
            TraceEvent::Partition { groups } => {
                let g: Vec<String> = groups
                    .iter()
                    .map(|g| {
                        g.iter()
                            .map(|n| format!("S{n}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                line(
                    Kind::Faults,
                    vec![],
                    format!("partition: {{{}}} cut off from the rest", g.join("} {")),
                )
            }
            TraceEvent::Heal => line(Kind::Faults, vec![], "the network heals".into()),
            TraceEvent::Cut { from, to } => line(
                Kind::Faults,
                vec![*from, *to],
                format!("link S{from} → S{to} cut"),
            ),
            TraceEvent::Uncut { from, to } => line(
                Kind::Faults,
                vec![*from, *to],
                format!("link S{from} → S{to} restored"),
            ),
            TraceEvent::Network {
                drop,
                duplicate,
                latency_ms,
            } => line(
                Kind::Faults,
                vec![],
                format!(
                    "network: drop {:.0}%, duplicate {:.0}%, latency {}–{} ms",
                    drop * 100.0,
                    duplicate * 100.0,
                    latency_ms[0],
                    latency_ms[1]
                ),
            ),
            TraceEvent::Invoke { client, op_id, op } => {
                let op = serde_json::to_string(op).unwrap_or_default();
                line(
                    Kind::Client,
                    vec![],
                    format!("client {client} sends op {op_id}: {op}"),
                )
            }
            TraceEvent::Return {
                client,
                op_id,
                invoked,
                result,
            } => line(
                Kind::Client,
                vec![],
                format!(
                    "client {client} op {op_id} returns {} after {:.1} ms",
                    result_text(result),
                    t.saturating_sub(*invoked) as f64 / 1000.0
                ),
            ),
            TraceEvent::Violation {
                property,
                nodes,
                message,
                ..
            } => line(
                Kind::Safety,
                nodes.clone(),
                format!("{}: {message}", property.name()),
            ),
            TraceEvent::End { .. } => None,
        }
    }
}

/// `1.234 s` with the text, as the log shows it.
pub fn format_line(l: &Line) -> String {
    format!("{:.3} s  {}", l.t as f64 / 1e6, l.text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Scenario, Simulator};

    #[test]
    fn a_run_reads_as_a_story() {
        let s = Scenario::parse(
            r#"{"version":1,"seed":1,"nodes":3,"duration_ms":1000,
                "timing":{"latency_ms":[10,10]},
                "events":[{"at_ms":0,"do":"timeout","node":2},{"at_ms":500,"do":"crash","node":1}]}"#,
        )
        .unwrap();
        let mut sim = Simulator::from_scenario(&s);
        sim.set_recording(true);
        sim.run_to_end();
        let mut log = EventLog::new();
        let lines: Vec<String> = sim
            .take_trace()
            .iter()
            .filter_map(|r| log.line(r))
            .map(|l| format_line(&l))
            .collect();
        let text = lines.join("\n");
        assert!(
            text.contains("0.000 s  S2's election timeout is forced"),
            "{text}"
        );
        assert!(
            text.contains("0.000 s  S2 → S1  RequestVote(term 1, last 0@0)"),
            "{text}"
        );
        assert!(
            text.contains("0.010 s  S1 receives RequestVote(term 1, last 0@0) from S2"),
            "{text}"
        );
        assert!(
            text.contains("0.020 s  S2 becomes leader (term 1)"),
            "{text}"
        );
        assert!(text.contains("0.500 s  S1 crashes"), "{text}");
        assert!(
            !text.contains("receives Heartbeat"),
            "heartbeat deliveries are left out"
        );
    }

    #[test]
    fn kinds_filter_lines() {
        let (k, t) = message_summary(&Message::AppendEntriesReply {
            term: 3,
            success: false,
            prev_log_index: 7,
            match_index: 0,
            conflict_term: Some(2),
            conflict_index: 5,
        });
        assert_eq!(k, Kind::Replication);
        assert_eq!(t, "AppendRejected(term 3, conflict at 5)");
    }
}
