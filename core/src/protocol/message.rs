//! The RPCs of Fig. 2, with fast-backtracking fields on the reply (§5.3).

use super::{Entry, LogIndex, NodeId, Term};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    RequestVote {
        term: Term,
        candidate_id: NodeId,
        last_log_index: LogIndex,
        last_log_term: Term,
    },
    RequestVoteReply {
        term: Term,
        vote_granted: bool,
    },
    AppendEntries {
        term: Term,
        leader_id: NodeId,
        prev_log_index: LogIndex,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: LogIndex,
    },
    AppendEntriesReply {
        term: Term,
        success: bool,
        /// Echo of the request's prevLogIndex, to spot stale replies.
        prev_log_index: LogIndex,
        /// On success: the index of the last entry known to match.
        match_index: LogIndex,
        /// On a consistency failure: the term of the follower's entry at
        /// prevLogIndex (`null` if it has none) ...
        conflict_term: Option<Term>,
        /// ... and the first index it holds for that term, or its last
        /// index + 1 when its log is too short.
        conflict_index: LogIndex,
    },
}

impl Message {
    pub fn term(&self) -> Term {
        match self {
            Message::RequestVote { term, .. }
            | Message::RequestVoteReply { term, .. }
            | Message::AppendEntries { term, .. }
            | Message::AppendEntriesReply { term, .. } => *term,
        }
    }

    /// The message's type as it appears in traces.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::RequestVote { .. } => "request_vote",
            Message::RequestVoteReply { .. } => "request_vote_reply",
            Message::AppendEntries { .. } => "append_entries",
            Message::AppendEntriesReply { .. } => "append_entries_reply",
        }
    }
}
