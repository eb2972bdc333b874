//! Classic Raft mistakes, planted on purpose so the checkers can prove they
//! catch them (and for the browser's "break it" mode). A planted bug is data
//! in the node's config: the correct code paths never consult any other
//! source.

/// One planted bug. All are off unless switched on by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bug {
    /// Grant a vote to any up-to-date candidate, even after voting in the term.
    DoubleVote,
    /// Grant votes without the §5.4.1 up-to-date check.
    NoUpToDateCheck,
    /// Commit by counting replicas, whatever the entry's term (Fig. 8).
    CommitOldTermByCounting,
    /// On a conflict, overwrite the one entry and keep the rest (§5.3 says delete all that follow).
    AppendWithoutTruncate,
    /// Accept AppendEntries from a leader of an older term.
    AcceptStaleTerm,
    /// Lose votedFor in a crash.
    ForgetVotedFor,
    /// Lose currentTerm in a crash.
    ForgetCurrentTerm,
    /// Apply entries as soon as they are in the log, before they commit.
    ApplyBeforeCommit,
    /// A returning leader keeps the matchIndex it had in an earlier term.
    StaleMatchIndex,
    /// A follower sets commitIndex to leaderCommit, beyond its last new entry.
    CommitBeyondLastNew,
    /// Lease reads trust the whole election timeout, as if clocks never
    /// drifted (§6.4.1 asks for the drift bound).
    LeaseIgnoresDrift,
    /// ReadIndex answers from commitIndex without the heartbeat round that
    /// confirms the leader is still the leader (§6.4 step 2).
    ReadIndexWithoutRound,
    /// Granting a pre-vote raises the term and records the vote, as a real
    /// vote would (§9.6 says a pre-vote changes neither).
    PreVoteRecordsVote,
    /// A leader transferring leadership keeps taking client commands
    /// (§3.10 says it stops).
    TransferKeepsAccepting,
    /// A snapshot keeps the key-value pairs but not the client sessions
    /// (thesis §6.3 puts the sessions in the state machine): a retried
    /// command applies twice on a server that restored it.
    SnapshotDropsSessions,
    /// During joint consensus, commit with a majority of C_new alone
    /// (paper §6 needs both majorities).
    JointCommitsWithNewOnly,
}

impl Bug {
    pub const ALL: [Bug; 16] = [
        Bug::DoubleVote,
        Bug::NoUpToDateCheck,
        Bug::CommitOldTermByCounting,
        Bug::AppendWithoutTruncate,
        Bug::AcceptStaleTerm,
        Bug::ForgetVotedFor,
        Bug::ForgetCurrentTerm,
        Bug::ApplyBeforeCommit,
        Bug::StaleMatchIndex,
        Bug::CommitBeyondLastNew,
        Bug::LeaseIgnoresDrift,
        Bug::ReadIndexWithoutRound,
        Bug::PreVoteRecordsVote,
        Bug::TransferKeepsAccepting,
        Bug::SnapshotDropsSessions,
        Bug::JointCommitsWithNewOnly,
    ];

    /// The name used in scenarios (`"raft": {"bugs": [...]}`).
    pub fn name(self) -> &'static str {
        match self {
            Bug::DoubleVote => "double_vote",
            Bug::NoUpToDateCheck => "no_up_to_date_check",
            Bug::CommitOldTermByCounting => "commit_old_term_by_counting",
            Bug::AppendWithoutTruncate => "append_without_truncate",
            Bug::AcceptStaleTerm => "accept_stale_term",
            Bug::ForgetVotedFor => "forget_voted_for",
            Bug::ForgetCurrentTerm => "forget_current_term",
            Bug::ApplyBeforeCommit => "apply_before_commit",
            Bug::StaleMatchIndex => "stale_match_index",
            Bug::CommitBeyondLastNew => "commit_beyond_last_new",
            Bug::LeaseIgnoresDrift => "lease_ignores_drift",
            Bug::ReadIndexWithoutRound => "read_index_without_round",
            Bug::PreVoteRecordsVote => "prevote_records_vote",
            Bug::TransferKeepsAccepting => "transfer_keeps_accepting",
            Bug::SnapshotDropsSessions => "snapshot_drops_sessions",
            Bug::JointCommitsWithNewOnly => "joint_commits_with_new_only",
        }
    }

    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|b| b.name() == name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of planted bugs; empty by default. A bit set, so the node's
/// config stays `Copy`-cheap to clone and hash in simulator checkpoints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bugs(u32);

impl Bugs {
    pub const NONE: Bugs = Bugs(0);

    pub fn with(self, b: Bug) -> Bugs {
        Bugs(self.0 | b.bit())
    }

    pub fn has(self, b: Bug) -> bool {
        self.0 & b.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.into_iter().filter(move |b| self.has(*b))
    }
}
