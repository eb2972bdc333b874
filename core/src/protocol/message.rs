//! The RPCs of Fig. 2, one struct per message, with fast-backtracking
//! fields on the reply (§5.3).
//!
//! [`Message`] is internally tagged, and each variant wraps its struct, so a
//! message serialises as `{"type":"append_entries","term":…,…}`: the tag,
//! then the struct's fields in declaration order (the trace format).

use super::log::Entry;
use super::snapshot::SnapshotRef;
use super::types::{LogIndex, NodeId, Term};
use serde::Serialize;

/// Invoked by candidates to gather votes (§5.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RequestVote {
    pub term: Term,
    pub candidate_id: NodeId,
    pub last_log_index: LogIndex,
    pub last_log_term: Term,
    /// Sent because the leader handed over leadership (TimeoutNow, §3.10):
    /// voters set leader stickiness aside for it (§6.2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transfer: bool,
}

/// The answer to a [`RequestVote`]. A vote is only granted in the
/// request's own term (`term` is then the request's), so a candidate never
/// counts an answer to an older request: unlike [`AppendEntriesReply`] it
/// needs no request term.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RequestVoteReply {
    pub term: Term,
    pub vote_granted: bool,
}

/// Invoked by the leader to replicate entries (§5.3); with none, a
/// heartbeat (§5.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AppendEntries {
    pub term: Term,
    pub leader_id: NodeId,
    pub prev_log_index: LogIndex,
    pub prev_log_term: Term,
    pub entries: Vec<Entry>,
    pub leader_commit: LogIndex,
    /// The leader's latest heartbeat round (reads, §6.4): an answer to
    /// this message shows the follower still took the sender for its
    /// leader after that round began. 0 when reads go through the log.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub read_round: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// The answer to an [`AppendEntries`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AppendEntriesReply {
    /// The replier's currentTerm, for the leader to update itself (Fig. 2).
    pub term: Term,
    /// The term of the request this answers. A follower of term 3 refusing
    /// a delayed term-2 request replies in term 3; without this a leader of
    /// term 3 would read the refusal as its own log mismatch.
    pub request_term: Term,
    pub success: bool,
    /// Echo of the request's prevLogIndex, to spot stale replies.
    pub prev_log_index: LogIndex,
    /// On success: the index of the last entry known to match.
    pub match_index: LogIndex,
    /// On a consistency failure: the term of the follower's entry at
    /// prevLogIndex (`null` if it has none) ...
    pub conflict_term: Option<Term>,
    /// ... and the first index it holds for that term, or its last
    /// index + 1 when its log is too short.
    pub conflict_index: LogIndex,
    /// Echo of the request's `read_round`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub read_round: u64,
}

/// "Start an election now" (thesis §3.10): the last step of a leadership
/// transfer, sent once the target's log matches the leader's.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TimeoutNow {
    pub term: Term,
}

/// InstallSnapshot (thesis Fig. 5.3): one chunk of the leader's snapshot,
/// sent to a follower whose nextIndex fell into the compacted prefix. The
/// chunk is items `offset .. offset + len` of `size`; the trace shows where
/// it lies, not its contents.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct InstallSnapshot {
    pub term: Term,
    pub leader_id: NodeId,
    pub last_included_index: LogIndex,
    pub last_included_term: Term,
    pub offset: u64,
    pub len: u64,
    pub size: u64,
    pub done: bool,
    #[serde(skip)]
    pub data: SnapshotRef,
}

/// The follower's answer: how much of the snapshot at
/// `last_included_index` it holds in order (`received`; the leader sends
/// from there on).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct InstallSnapshotReply {
    pub term: Term,
    pub request_term: Term,
    pub last_included_index: LogIndex,
    pub received: u64,
}

impl AppendEntries {
    /// No entries: a heartbeat (§5.2).
    pub fn is_heartbeat(&self) -> bool {
        self.entries.is_empty()
    }
}

impl AppendEntriesReply {
    /// A success that matched nothing new: the answer to a heartbeat.
    pub fn is_heartbeat_ack(&self) -> bool {
        self.success && self.match_index == self.prev_log_index
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    RequestVote(RequestVote),
    RequestVoteReply(RequestVoteReply),
    AppendEntries(AppendEntries),
    AppendEntriesReply(AppendEntriesReply),
    /// "Would you vote for me in term `term`?" (thesis §9.6): asked before
    /// a candidate raises its term; nobody changes its term or vote for it.
    PreVote(RequestVote),
    /// The answer to a [`Message::PreVote`]: granted in the asked term, or
    /// refused with the replier's own term.
    PreVoteReply(RequestVoteReply),
    /// Leadership transfer's last step (thesis §3.10).
    TimeoutNow(TimeoutNow),
    InstallSnapshot(InstallSnapshot),
    InstallSnapshotReply(InstallSnapshotReply),
}

impl Message {
    pub fn term(&self) -> Term {
        match self {
            Message::RequestVote(m) => m.term,
            Message::RequestVoteReply(m) => m.term,
            Message::AppendEntries(m) => m.term,
            Message::AppendEntriesReply(m) => m.term,
            Message::PreVote(m) => m.term,
            Message::PreVoteReply(m) => m.term,
            Message::TimeoutNow(m) => m.term,
            Message::InstallSnapshot(m) => m.term,
            Message::InstallSnapshotReply(m) => m.term,
        }
    }

    /// Heartbeat traffic: an empty AppendEntries or a success that matched
    /// nothing new (the answer to one). Most of the traffic, and the views
    /// show it apart.
    pub fn is_heartbeat(&self) -> bool {
        match self {
            Message::AppendEntries(m) => m.is_heartbeat(),
            Message::AppendEntriesReply(m) => m.is_heartbeat_ack(),
            Message::RequestVote(_)
            | Message::RequestVoteReply(_)
            | Message::PreVote(_)
            | Message::PreVoteReply(_)
            | Message::TimeoutNow(_)
            | Message::InstallSnapshot(_)
            | Message::InstallSnapshotReply(_) => false,
        }
    }

    /// The message's type as it appears in traces.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::RequestVote(_) => "request_vote",
            Message::RequestVoteReply(_) => "request_vote_reply",
            Message::AppendEntries(_) => "append_entries",
            Message::AppendEntriesReply(_) => "append_entries_reply",
            Message::PreVote(_) => "pre_vote",
            Message::PreVoteReply(_) => "pre_vote_reply",
            Message::TimeoutNow(_) => "timeout_now",
            Message::InstallSnapshot(_) => "install_snapshot",
            Message::InstallSnapshotReply(_) => "install_snapshot_reply",
        }
    }
}

impl From<RequestVote> for Message {
    fn from(m: RequestVote) -> Self {
        Message::RequestVote(m)
    }
}

impl From<RequestVoteReply> for Message {
    fn from(m: RequestVoteReply) -> Self {
        Message::RequestVoteReply(m)
    }
}

impl From<AppendEntries> for Message {
    fn from(m: AppendEntries) -> Self {
        Message::AppendEntries(m)
    }
}

impl From<AppendEntriesReply> for Message {
    fn from(m: AppendEntriesReply) -> Self {
        Message::AppendEntriesReply(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_the_tag_then_the_fields_in_order() {
        let m = Message::AppendEntriesReply(AppendEntriesReply {
            term: 3,
            request_term: 3,
            success: false,
            prev_log_index: 7,
            match_index: 0,
            conflict_term: Some(2),
            conflict_index: 5,
            read_round: 0,
        });
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"append_entries_reply","term":3,"request_term":3,"success":false,"prev_log_index":7,"match_index":0,"conflict_term":2,"conflict_index":5}"#
        );
        let m = Message::RequestVote(RequestVote {
            term: 4,
            candidate_id: 3,
            last_log_index: 7,
            last_log_term: 3,
            transfer: false,
        });
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"request_vote","term":4,"candidate_id":3,"last_log_index":7,"last_log_term":3}"#
        );
    }
}
