//! Unit tests of the step function: one RPC in, the outputs checked
//! against the Fig. 2 rule they implement.

use super::*;
use crate::protocol::{
    AppendEntries, AppendEntriesReply, Command, Entry, KvOp, RequestVote, RequestVoteReply,
};

type O = Vec<Output<Message>>;

fn node_with(id: NodeId, n: u32, term: Term, log_terms: &[Term]) -> RaftNode {
    let log = RaftLog::from_entries(
        log_terms
            .iter()
            .map(|&term| Entry {
                term,
                cmd: Command::Noop,
            })
            .collect(),
    );
    RaftNode::with_state(
        id,
        Configuration::of_size(n),
        RaftConfig::default(),
        term,
        None,
        log,
    )
}

fn msg(n: &mut RaftNode, from: NodeId, m: Message) -> O {
    let mut out = Vec::new();
    n.step(Input::Message { from, msg: m }, &mut out);
    out
}

fn sent(out: &O) -> Vec<(NodeId, Message)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { to, msg } => Some((*to, msg.clone())),
            _ => None,
        })
        .collect()
}

fn rv(term: Term, cand: NodeId, lli: LogIndex, llt: Term) -> Message {
    Message::RequestVote(RequestVote {
        term,
        candidate_id: cand,
        last_log_index: lli,
        last_log_term: llt,
        transfer: false,
    })
}

fn granted(out: &O) -> bool {
    matches!(
        sent(out).as_slice(),
        [(
            _,
            Message::RequestVoteReply(RequestVoteReply {
                vote_granted: true,
                ..
            })
        )]
    )
}

fn ae(term: Term, prev: LogIndex, prev_term: Term, terms: &[Term], commit: LogIndex) -> Message {
    Message::AppendEntries(AppendEntries {
        term,
        leader_id: 1,
        prev_log_index: prev,
        prev_log_term: prev_term,
        entries: terms
            .iter()
            .map(|&term| Entry {
                term,
                cmd: Command::Noop,
            })
            .collect(),
        leader_commit: commit,
        read_round: 0,
    })
}

fn reply(out: &O) -> Message {
    sent(out).pop().expect("a reply").1
}

fn terms(n: &RaftNode) -> Vec<Term> {
    n.log().iter().map(|e| e.term).collect()
}

#[test]
fn one_vote_per_term() {
    let mut n = node_with(3, 3, 1, &[1]);
    assert!(granted(&msg(&mut n, 1, rv(2, 1, 1, 1))));
    assert_eq!(n.voted_for(), Some(1));
    assert!(
        granted(&msg(&mut n, 1, rv(2, 1, 1, 1))),
        "the same candidate again"
    );
    assert!(
        !granted(&msg(&mut n, 2, rv(2, 2, 1, 1))),
        "a second candidate, same term"
    );
    assert!(
        granted(&msg(&mut n, 2, rv(3, 2, 1, 1))),
        "a new term resets votedFor"
    );
    assert!(!granted(&msg(&mut n, 1, rv(2, 1, 9, 9))), "a stale term");
}

#[test]
fn up_to_date_rule_5_4_1() {
    let mut n = node_with(3, 3, 3, &[1, 3, 3]);
    assert!(
        !granted(&msg(&mut n, 1, rv(4, 1, 9, 2))),
        "lower last term, longer log"
    );
    assert!(
        !granted(&msg(&mut n, 1, rv(5, 1, 2, 3))),
        "same last term, shorter log"
    );
    assert!(
        granted(&msg(&mut n, 1, rv(6, 1, 3, 3))),
        "same last term, same length"
    );
    assert!(
        granted(&msg(&mut n, 2, rv(7, 2, 1, 4))),
        "higher last term, shorter log"
    );
    // A denied higher-term request still moves our term (§5.1).
    assert_eq!(n.current_term(), 7);
}

#[test]
fn append_entries_consistency_check_and_fast_backtracking_hints() {
    let mut n = node_with(2, 3, 5, &[1, 1, 2, 2, 2]);
    // Stale term.
    let r = reply(&msg(&mut n, 1, ae(4, 5, 2, &[], 0)));
    assert!(matches!(
        r,
        Message::AppendEntriesReply(AppendEntriesReply {
            success: false,
            term: 5,
            ..
        })
    ));
    // prevLogIndex past our log: conflict_index = last + 1.
    let r = reply(&msg(&mut n, 1, ae(5, 9, 5, &[], 0)));
    assert!(matches!(
        r,
        Message::AppendEntriesReply(AppendEntriesReply {
            success: false,
            conflict_term: None,
            conflict_index: 6,
            ..
        })
    ));
    // Term mismatch at prevLogIndex: conflict term 2, first index 3.
    let r = reply(&msg(&mut n, 1, ae(5, 4, 3, &[], 0)));
    assert!(matches!(
        r,
        Message::AppendEntriesReply(AppendEntriesReply {
            success: false,
            conflict_term: Some(2),
            conflict_index: 3,
            ..
        })
    ));
    assert_eq!(terms(&n), [1, 1, 2, 2, 2], "a rejection changes nothing");
}

#[test]
fn truncates_only_real_conflicts() {
    let mut n = node_with(2, 3, 5, &[1, 1, 2, 2, 2]);
    // A reordered, older AppendEntries whose entries match: keep the rest.
    let r = reply(&msg(&mut n, 1, ae(5, 1, 1, &[1, 2], 0)));
    assert!(matches!(
        r,
        Message::AppendEntriesReply(AppendEntriesReply {
            success: true,
            match_index: 3,
            ..
        })
    ));
    assert_eq!(terms(&n), [1, 1, 2, 2, 2]);
    // A conflict at index 4: delete 4.. and append.
    let out = msg(&mut n, 1, ae(5, 3, 2, &[5, 5, 5], 0));
    assert!(out.contains(&Output::Truncate { from: 4 }));
    assert_eq!(terms(&n), [1, 1, 2, 5, 5, 5]);
}

#[test]
fn commit_is_min_of_leader_commit_and_last_new_entry() {
    let mut n = node_with(2, 3, 5, &[1, 1, 2, 2, 2]);
    // A heartbeat at prev 2 with leaderCommit 5: only index 2 is known
    // to match the leader's log, so commitIndex goes to 2, not 5.
    msg(&mut n, 1, ae(5, 2, 1, &[], 5));
    assert_eq!(n.commit_index(), 2);
    assert_eq!(n.last_applied(), 2);
    msg(&mut n, 1, ae(5, 2, 1, &[2, 2], 9));
    assert_eq!(n.commit_index(), 4);
}

#[test]
fn candidate_steps_down_for_a_current_leader() {
    let mut n = node_with(2, 3, 1, &[]);
    let mut out = Vec::new();
    n.step(Input::Timeout(Timer::Election), &mut out);
    assert_eq!((n.role(), n.current_term()), (Role::Candidate, 2));
    assert_eq!(sent(&out).len(), 2, "RequestVote to both peers");
    msg(&mut n, 1, ae(2, 0, 0, &[], 0));
    assert_eq!((n.role(), n.leader_id()), (Role::Follower, Some(1)));
}

#[test]
fn leader_appends_noop_and_commits_only_current_term_entries() {
    let mut n = node_with(1, 3, 1, &[1]);
    let mut out = Vec::new();
    n.step(Input::Timeout(Timer::Election), &mut out);
    msg(
        &mut n,
        2,
        Message::RequestVoteReply(RequestVoteReply {
            term: 2,
            vote_granted: true,
        }),
    );
    assert_eq!(n.role(), Role::Leader);
    assert_eq!(terms(&n), [1, 2], "a no-op of the new term");
    // S2 acknowledges index 1 only: a majority holds index 1 (term 1),
    // but it is not of this term, so nothing commits (Fig. 8).
    let ok = |m| {
        Message::AppendEntriesReply(AppendEntriesReply {
            term: 2,
            request_term: 2,
            success: true,
            prev_log_index: 0,
            match_index: m,
            conflict_term: None,
            conflict_index: 0,
            read_round: 0,
        })
    };
    msg(&mut n, 2, ok(1));
    assert_eq!(n.commit_index(), 0);
    msg(&mut n, 2, ok(2));
    assert_eq!(
        n.commit_index(),
        2,
        "the no-op commits, and index 1 with it"
    );
}

#[test]
fn followers_redirect_clients_and_leaders_answer_when_applied() {
    let mut f = node_with(2, 3, 1, &[]);
    msg(&mut f, 1, ae(1, 0, 0, &[], 0));
    let mut out = Vec::new();
    let op = KvOp::Put {
        key: "x".into(),
        value: "1".into(),
    };
    f.step(
        Input::Propose {
            client: 9,
            op_id: 1,
            op: op.clone(),
            first_unacked: 1,
        },
        &mut out,
    );
    assert!(out.contains(&Output::Reply {
        client: 9,
        op_id: 1,
        response: ClientResponse::NotLeader { hint: Some(1) }
    }));
    // A one-node cluster commits on its own.
    let mut solo = RaftNode::new(1, Configuration::of_size(1), RaftConfig::default());
    let mut out = Vec::new();
    solo.step(Input::Timeout(Timer::Election), &mut out);
    assert_eq!(solo.role(), Role::Leader);
    out.clear();
    solo.step(
        Input::Propose {
            client: 9,
            op_id: 1,
            op,
            first_unacked: 1,
        },
        &mut out,
    );
    assert!(out.contains(&Output::Reply {
        client: 9,
        op_id: 1,
        response: ClientResponse::Done {
            result: crate::protocol::OpResult::Ok
        }
    }));
    assert_eq!(solo.kv().get("x"), Some("1"));
}

#[test]
fn crash_keeps_only_persistent_state() {
    let mut n = node_with(2, 3, 4, &[1, 4]);
    msg(&mut n, 1, ae(4, 2, 4, &[], 2));
    msg(&mut n, 3, rv(5, 3, 2, 4));
    assert_eq!((n.commit_index(), n.voted_for()), (2, Some(3)));
    n.crash();
    assert_eq!(
        (n.current_term(), n.voted_for(), terms(&n)),
        (5, Some(3), vec![1, 4])
    );
    assert_eq!(
        (n.commit_index(), n.last_applied(), n.leader_id()),
        (0, 0, None)
    );
}

/// S1 becomes leader of `term` (one above its log's) with a vote from S2.
fn leader_of(term: Term, log_terms: &[Term]) -> RaftNode {
    let mut n = node_with(1, 3, term - 1, log_terms);
    let mut out = Vec::new();
    n.step(Input::Timeout(Timer::Election), &mut out);
    msg(
        &mut n,
        2,
        Message::RequestVoteReply(RequestVoteReply {
            term,
            vote_granted: true,
        }),
    );
    assert_eq!((n.role(), n.current_term()), (Role::Leader, term));
    n
}

fn ae_reply(term: Term, request_term: Term, success: bool, prev: LogIndex) -> Message {
    Message::AppendEntriesReply(AppendEntriesReply {
        term,
        request_term,
        success,
        prev_log_index: prev,
        match_index: if success { prev } else { 0 },
        conflict_term: None,
        conflict_index: 0,
        read_round: 0,
    })
}

#[test]
fn replies_say_which_terms_request_they_answer() {
    // A follower of term 3 refuses a delayed term-2 request in term 3,
    // and says it answers term 2.
    let mut f = node_with(2, 3, 3, &[1, 2, 3]);
    assert_eq!(
        reply(&msg(&mut f, 1, ae(2, 3, 3, &[], 0))),
        ae_reply(3, 2, false, 3)
    );
    assert_eq!(
        reply(&msg(&mut f, 1, ae(3, 3, 3, &[], 0))),
        ae_reply(3, 3, true, 3)
    );
}

#[test]
fn a_refusal_of_an_older_terms_request_is_not_a_log_mismatch() {
    // Finding 2: S1, elected in term 3 with 22 entries from term 2, probes
    // S2 at prevLogIndex 22. S2's refusal of a delayed term-2 AppendEntries
    // at the same prevLogIndex (conflict index 0: "your term is stale")
    // must not send S2's nextIndex back to 1 and the whole log again.
    let log = [2; 22];
    let mut n = leader_of(3, &log);
    assert_eq!(
        n.progress()[&2].next_index,
        23,
        "probing at prevLogIndex 22"
    );
    let out = msg(&mut n, 2, ae_reply(3, 2, false, 22));
    assert!(sent(&out).is_empty(), "nothing re-sent: {out:?}");
    assert_eq!(n.progress()[&2].next_index, 23);
    // The answer to its own probe moves it on.
    msg(&mut n, 2, ae_reply(3, 3, true, 23));
    assert_eq!(n.progress()[&2].match_index, 23);
}

fn with_opts(n: &mut RaftNode, pre_vote: bool, check_quorum: bool) {
    n.opts.pre_vote = pre_vote;
    n.opts.check_quorum = check_quorum;
}

#[test]
fn pre_vote_asks_first_and_changes_no_term_or_vote() {
    // §9.6: the election timer runs out; with PreVote the term stays.
    let mut a = node_with(1, 3, 2, &[1, 2]);
    with_opts(&mut a, true, false);
    let mut out = Vec::new();
    a.step(Input::Timeout(Timer::Election), &mut out);
    assert_eq!(a.current_term(), 2, "no term raised by a pre-vote");
    let asks = sent(&out);
    assert_eq!(asks.len(), 2);
    assert!(asks
        .iter()
        .all(|(_, m)| matches!(m, Message::PreVote(r) if r.term == 3 && r.candidate_id == 1)));
    // A follower that hears from no leader says yes, and keeps its term
    // and vote; one that hears from a leader says no.
    let mut b = node_with(2, 3, 2, &[1, 2]);
    let pv = match &asks[0].1 {
        Message::PreVote(r) => Message::PreVote(r.clone()),
        _ => unreachable!(),
    };
    let yes = msg(&mut b, 1, pv.clone());
    assert!(matches!(
        sent(&yes)[..],
        [(
            1,
            Message::PreVoteReply(RequestVoteReply {
                term: 3,
                vote_granted: true
            })
        )]
    ));
    assert_eq!((b.current_term(), b.voted_for()), (2, None));
    let mut c = node_with(3, 3, 2, &[1, 2]);
    msg(&mut c, 2, ae(2, 2, 2, &[], 0));
    let no = msg(&mut c, 1, pv);
    assert!(matches!(
        sent(&no)[..],
        [(
            1,
            Message::PreVoteReply(RequestVoteReply {
                term: 2,
                vote_granted: false
            })
        )]
    ));
    assert_eq!(c.current_term(), 2);
    // A majority of yes (its own and S2's): the real election, term 3.
    let mut out = Vec::new();
    a.step(
        Input::Message {
            from: 2,
            msg: Message::PreVoteReply(RequestVoteReply {
                term: 3,
                vote_granted: true,
            }),
        },
        &mut out,
    );
    assert_eq!(a.current_term(), 3);
    assert_eq!(a.role(), Role::Candidate);
    assert!(sent(&out)
        .iter()
        .all(|(_, m)| matches!(m, Message::RequestVote(r) if r.term == 3)));
}

#[test]
fn check_quorum_steps_a_deaf_leader_down_and_followers_stick_to_their_leader() {
    // §6.2: a leader that heard from no majority within an election
    // timeout steps down.
    let mut l = leader_of(2, &[1]);
    with_opts(&mut l, false, true);
    let mut out = Vec::new();
    l.step(Input::Timeout(Timer::Election), &mut out);
    assert_eq!(l.role(), Role::Follower, "heard from nobody");
    assert_eq!(l.current_term(), 2, "in its own term");
    // One that heard from a majority leads on.
    let mut l = leader_of(2, &[1]);
    with_opts(&mut l, false, true);
    msg(&mut l, 2, ae_reply(2, 2, true, 1));
    let mut out = Vec::new();
    l.step(Input::Timeout(Timer::Election), &mut out);
    assert_eq!(l.role(), Role::Leader, "S2 and itself are a majority of 3");
    // A follower hearing from its leader ignores a higher-term election,
    // term and all.
    let mut f = node_with(3, 3, 2, &[1, 2]);
    with_opts(&mut f, false, true);
    msg(&mut f, 1, ae(2, 2, 2, &[], 0));
    let out = msg(&mut f, 2, rv(5, 2, 9, 2));
    assert!(sent(&out).is_empty());
    assert_eq!(f.current_term(), 2);
}

fn chunk(index: LogIndex, term: Term, offset: u64, len: u64, data: &SnapshotRef) -> Message {
    let size = data.size();
    Message::InstallSnapshot(crate::protocol::InstallSnapshot {
        term: 5,
        leader_id: 1,
        last_included_index: index,
        last_included_term: term,
        offset,
        len,
        size,
        done: offset + len == size,
        data: data.clone(),
    })
}

fn snapshot_of(index: LogIndex, term: Term, keys: &[&str]) -> SnapshotRef {
    let mut kv = KvStore::new();
    for k in keys {
        kv.apply(&KvCommand {
            op: KvOp::Put {
                key: (*k).into(),
                value: "v".into(),
            },
            session: None,
            first_unacked: 0,
        });
    }
    SnapshotRef::new(crate::protocol::Snapshot {
        index,
        term,
        config: Configuration::of_size(3),
        kv,
    })
}

fn received(out: &O) -> Option<u64> {
    sent(out).iter().find_map(|(_, m)| match m {
        Message::InstallSnapshotReply(r) => Some(r.received),
        _ => None,
    })
}

#[test]
fn a_follower_takes_a_snapshot_chunk_by_chunk_and_keeps_the_entries_after_it() {
    // Fig. 5.3: two keys and the configuration, in chunks of two items.
    let data = snapshot_of(4, 1, &["x", "y"]);
    assert_eq!(data.size(), 3);
    let mut f = node_with(2, 3, 5, &[1, 1, 1, 1, 1, 1]);
    let out = msg(&mut f, 1, chunk(4, 1, 0, 2, &data));
    assert_eq!(received(&out), Some(2));
    assert!(!out.iter().any(|o| matches!(o, Output::Install { .. })));
    // A chunk out of order changes nothing; a repeated one neither.
    assert_eq!(received(&msg(&mut f, 1, chunk(4, 1, 3, 0, &data))), Some(2));
    assert_eq!(received(&msg(&mut f, 1, chunk(4, 1, 0, 2, &data))), Some(2));
    let out = msg(&mut f, 1, chunk(4, 1, 2, 1, &data));
    assert_eq!(received(&out), Some(3));
    assert!(out.contains(&Output::Install {
        index: 4,
        term: 1,
        kept: true
    }));
    assert!(out.contains(&Output::Commit { index: 4 }));
    assert_eq!((f.log().snapshot_index(), f.log().last_index()), (4, 6));
    assert_eq!((f.last_applied(), f.commit_index()), (4, 4));
    assert_eq!(f.kv().get("y"), Some("v"));
    // The state machine survives a crash: it restarts from the snapshot.
    f.crash();
    assert_eq!(f.kv().get("x"), Some("v"));
    assert_eq!(f.last_applied(), 4);
}

#[test]
fn a_snapshot_that_does_not_match_the_log_replaces_all_of_it() {
    let data = snapshot_of(3, 3, &[]);
    let mut f = node_with(2, 3, 5, &[1, 1, 2, 2]);
    let out = msg(&mut f, 1, chunk(3, 3, 0, 1, &data));
    assert!(out.contains(&Output::Install {
        index: 3,
        term: 3,
        kept: false
    }));
    assert_eq!((f.log().last_index(), f.log().last_term()), (3, 3));
    // What the follower already committed it never installs again.
    let mut g = node_with(3, 3, 5, &[1, 1, 2, 2]);
    msg(&mut g, 1, ae(5, 4, 2, &[], 4));
    let out = msg(&mut g, 1, chunk(3, 2, 0, 1, &snapshot_of(3, 2, &[])));
    assert_eq!(received(&out), Some(1), "all of it, as far as it matters");
    assert!(!out.iter().any(|o| matches!(o, Output::Install { .. })));
    assert_eq!(g.log().snapshot_index(), 0);
}

#[test]
fn a_leader_compacts_and_sends_its_snapshot_to_a_follower_below_it() {
    let mut n = leader_of(2, &[1, 1, 1, 1, 1, 1]);
    n.opts.snapshot_every = 3;
    // S2 holds everything, with the new leader's no-op at 7: it commits,
    // applies, and compacts through 7.
    let out = msg(&mut n, 2, ae_reply(2, 2, true, 7));
    assert!(
        out.contains(&Output::Snapshot { index: 7, term: 2 }),
        "{out:?}"
    );
    assert_eq!(n.log().snapshot_index(), 7);
    assert_eq!(n.log().iter().count(), 0);
    // S3 has nothing: it gets the snapshot, not entries.
    let mut rejected = ae_reply(2, 2, false, 6);
    if let Message::AppendEntriesReply(r) = &mut rejected {
        r.conflict_index = 1;
    }
    let out = msg(&mut n, 3, rejected);
    let is = sent(&out)
        .into_iter()
        .find_map(|(to, m)| match m {
            Message::InstallSnapshot(m) => Some((to, m)),
            _ => None,
        })
        .expect("an InstallSnapshot");
    assert_eq!(
        (is.0, is.1.last_included_index, is.1.last_included_term),
        (3, 7, 2)
    );
    assert!(is.1.done && is.1.offset == 0 && is.1.len == is.1.size);
    // Once S3 has it, replication goes on from just past it.
    let out = msg(
        &mut n,
        3,
        Message::InstallSnapshotReply(crate::protocol::InstallSnapshotReply {
            term: 2,
            request_term: 2,
            last_included_index: 7,
            received: is.1.size,
        }),
    );
    assert_eq!(n.progress()[&3].match_index, 7);
    assert_eq!(n.progress()[&3].next_index, 8);
    assert!(
        !sent(&out)
            .iter()
            .any(|(_, m)| matches!(m, Message::InstallSnapshot(_))),
        "no more chunks"
    );
}

fn change(n: &mut RaftNode, c: crate::protocol::ConfChange) -> O {
    let mut out = Vec::new();
    n.step(Input::ChangeConfig(c), &mut out);
    out
}

fn configs(out: &O) -> Vec<Configuration> {
    out.iter()
        .filter_map(|o| match o {
            Output::Config { config } => Some(config.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_leader_changes_no_configuration_before_an_entry_of_its_term_commits() {
    use crate::protocol::ConfChange;
    // The fix of the 2015 bug (thesis errata): the no-op commits first.
    let mut n = leader_of(2, &[1]);
    assert!(configs(&change(&mut n, ConfChange::Add(4))).is_empty());
    msg(&mut n, 2, ae_reply(2, 2, true, 2));
    assert_eq!(n.commit_index(), 2);
    let c = configs(&change(&mut n, ConfChange::Add(4)));
    assert_eq!(c, [Configuration::with_sets([1, 2, 3], [], [4])]);
    // One change at a time: nothing else until this one commits.
    assert!(configs(&change(&mut n, ConfChange::Remove(3))).is_empty());
    assert!(
        n.progress().contains_key(&4),
        "the learner is replicated to"
    );
}

#[test]
fn a_learner_that_caught_up_joins_through_joint_consensus() {
    use crate::protocol::ConfChange;
    let mut n = leader_of(2, &[1]);
    msg(&mut n, 2, ae_reply(2, 2, true, 2));
    change(&mut n, ConfChange::Add(4));
    // The learner entry (index 3) commits with S2.
    msg(&mut n, 2, ae_reply(2, 2, true, 3));
    assert_eq!(n.commit_index(), 3);
    // S4 holds everything: a round that took no time. It is promoted:
    // C_old,new.
    let out = msg(&mut n, 4, ae_reply(2, 2, true, 3));
    assert_eq!(
        configs(&out),
        [Configuration::with_sets([1, 2, 3, 4], [1, 2, 3], [])]
    );
    // C_old,new needs a majority of both: S1 and S4 are not enough...
    msg(&mut n, 4, ae_reply(2, 2, true, 4));
    assert_eq!(n.commit_index(), 3);
    // ...S2 too makes both (2 of 3 old, 3 of 4 new): then C_new follows.
    let out = msg(&mut n, 2, ae_reply(2, 2, true, 4));
    assert_eq!(n.commit_index(), 4);
    assert_eq!(configs(&out), [Configuration::new([1, 2, 3, 4])]);
    assert!(
        !n.config_settled(ConfChange::Add(4)),
        "C_new not yet committed"
    );
    msg(&mut n, 2, ae_reply(2, 2, true, 5));
    msg(&mut n, 4, ae_reply(2, 2, true, 5));
    assert!(n.config_settled(ConfChange::Add(4)));
}

#[test]
fn a_removed_leader_steps_down_once_c_new_commits() {
    use crate::protocol::{ConfChange, Membership};
    let mut n = leader_of(2, &[1]);
    n.opts.membership = Membership::Single;
    msg(&mut n, 2, ae_reply(2, 2, true, 2));
    let c = configs(&change(&mut n, ConfChange::Remove(1)));
    assert_eq!(c, [Configuration::new([2, 3])]);
    // It still leads, and does not count itself (§4.2.2): S2 alone is not
    // a majority of {S2, S3}.
    msg(&mut n, 2, ae_reply(2, 2, true, 3));
    assert_eq!((n.role(), n.commit_index()), (Role::Leader, 2));
    msg(&mut n, 3, ae_reply(2, 2, true, 3));
    assert_eq!(n.commit_index(), 3);
    assert_eq!(n.role(), Role::Follower, "it stepped down");
    // Not a voter any more: it stands for nothing.
    let mut out = Vec::new();
    n.step(Input::Timeout(Timer::Election), &mut out);
    assert_eq!(n.role(), Role::Follower);
    assert!(sent(&out).is_empty());
}
