//! Scenarios ported from the MIT 6.5840 Raft lab tests (the scenarios, not
//! the code). Each runs a shipped file from `scenarios/` and asserts its
//! outcome.

mod common;
use common::*;
use quorum_core::protocol::{AppendEntriesReply, Message, OpResult, Role};
use quorum_core::sim::TraceEvent;

fn appends_with_value<'a>(
    trace: &'a [Rec],
    value: &'a str,
) -> impl Iterator<Item = (u32, u64, u64)> + 'a {
    trace.iter().filter_map(move |r| match &r.ev {
        TraceEvent::Append {
            node,
            index,
            term,
            op,
        } => {
            let s = serde_json::to_string(op).unwrap();
            s.contains(&format!("\"value\":\"{value}\""))
                .then_some((*node, *index, *term))
        }
        _ => None,
    })
}

#[test]
fn initial_election() {
    let mut sim = sim("lab-initial-election");
    sim.run_until(ms(1000));
    let leader = stable_leader(&sim).expect("a leader within 1 s");
    let trace = finish_checked(&mut sim);
    let ls = trace.leaders();
    assert_eq!(ls.len(), 1, "one election only: {ls:?}");
    assert_eq!(stable_leader(&sim), Some(leader), "the leader stays put");
    let term = *ls.keys().next().unwrap();
    for id in 1..=3 {
        assert_eq!(
            node(&sim, id).current_term(),
            term,
            "S{id} never moved past term {term}"
        );
    }
}

#[test]
fn re_election() {
    let mut sim = sim("lab-re-election");
    sim.run_until(ms(999));
    assert_eq!(stable_leader(&sim), Some(1));
    // S1 cut off: the other two elect a new leader.
    sim.run_until(ms(1999));
    let l2 = node(&sim, 2).leader_id().expect("S2 knows a leader");
    assert_ne!(l2, 1);
    assert_eq!(node(&sim, l2).role(), Role::Leader);
    assert_eq!(
        node(&sim, 1).role(),
        Role::Leader,
        "isolated S1 still thinks it leads"
    );
    // S1 back: it steps down to the higher term.
    sim.run_until(ms(2999));
    assert_eq!(node(&sim, 1).role(), Role::Follower);
    assert!(stable_leader(&sim).is_some());
    let before = sim.trace().len();
    // Everyone isolated: no new leader can be elected.
    sim.run_until(ms(3999));
    let new_leaders = sim.trace()[before..]
        .iter()
        .filter(|r| {
            r.t > ms(3000)
                && matches!(
                    r.ev,
                    TraceEvent::Role {
                        role: Role::Leader,
                        ..
                    }
                )
        })
        .count();
    assert_eq!(new_leaders, 0, "no majority, no leader");
    // Two can talk again: there is a leader among them.
    sim.run_until(ms(4999));
    let l = stable_leader(&sim).expect("a leader with a quorum back");
    assert!(l == 1 || l == 2, "leader S{l} is in the connected pair");
    finish_checked(&mut sim);
    assert!(stable_leader(&sim).is_some());
}

#[test]
fn many_elections() {
    let (sim, trace) = run_checked("lab-many-elections");
    let ls = trace.leaders();
    assert!(ls.len() >= 5, "elections happened: {ls:?}");
    for (term, l) in &ls {
        assert_eq!(l.len(), 1, "term {term}: {l:?}");
    }
    assert!(
        stable_leader(&sim).is_some(),
        "a leader after the last heal"
    );
    assert_converged(&sim);
}

#[test]
fn basic_agree() {
    let (sim, trace) = run_checked("lab-basic-agree");
    let results: Vec<OpResult> = trace
        .client_results()
        .into_values()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(results, [OpResult::Ok, OpResult::Ok, OpResult::Ok]);
    let terms = assert_converged(&sim);
    assert_eq!(terms.len(), 4, "the no-op then three commands");
    for id in 1..=3 {
        let n = node(&sim, id);
        assert_eq!(n.commit_index(), 4);
        assert_eq!(
            n.kv().get("x"),
            Some("3"),
            "S{id} applied put 1, put 2, cas 2->3 in order"
        );
        for (i, v) in [(2, "1"), (3, "2"), (4, "3")] {
            let e = serde_json::to_string(&n.log().entry(i).unwrap().cmd).unwrap();
            assert!(
                e.contains(&format!("\"value\":\"{v}\"")),
                "S{id} index {i}: {e}"
            );
        }
    }
}

#[test]
fn fail_agree() {
    let mut sim = sim("lab-fail-agree");
    sim.run_until(ms(2499));
    // S2 is cut off and behind; the other two committed without it.
    assert!(node(&sim, 2).log().last_index() < node(&sim, 1).log().last_index());
    assert_eq!(node(&sim, 1).kv().get("y"), Some("3"));
    let trace = finish_checked(&mut sim);
    assert_converged(&sim);
    assert_eq!(node(&sim, 2).kv().get("x"), Some("2"), "S2 caught up");
    assert_eq!(node(&sim, 2).kv().get("y"), Some("3"));
    let results: Vec<OpResult> = trace
        .client_results()
        .into_values()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(results.len(), 4);
    assert_eq!(
        results[3],
        OpResult::Value {
            value: Some("2".into())
        }
    );
}

#[test]
fn fail_no_agree() {
    let mut sim = sim("lab-fail-no-agree");
    sim.run_until(ms(2499));
    let s1 = node(&sim, 1);
    // The command reached S1 (and S5) but cannot commit with 3 of 5 away.
    assert_eq!(s1.log().last_index(), 3);
    assert_eq!(
        s1.commit_index(),
        2,
        "index 3 must not commit without a majority"
    );
    assert_eq!(log_terms(node(&sim, 5)), [1, 1, 1]);
    let trace = finish_checked(&mut sim);
    let results: Vec<OpResult> = trace
        .client_results()
        .into_values()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(
        results[1],
        OpResult::Error {
            reason: "timeout".into()
        },
        "indeterminate"
    );
    assert_eq!(results[2], OpResult::Ok);
    // Only S1 or S5 could win after the repair: their logs are the most
    // up-to-date. So index 3 survives, the new leader's no-op is index 4 and
    // the next command lands at index 5.
    let late: Vec<u32> = trace
        .leaders()
        .into_iter()
        .filter(|(t, _)| *t > 1)
        .flat_map(|(_, l)| l)
        .collect();
    assert!(late.iter().all(|&l| l == 1 || l == 5), "{late:?}");
    let at: Vec<u64> = appends_with_value(&trace, "3").map(|(_, i, _)| i).collect();
    assert!(!at.is_empty() && at.iter().all(|&i| i == 5), "{at:?}");
    assert_converged(&sim);
}

#[test]
fn rejoin() {
    let mut sim = sim("lab-rejoin");
    sim.run_until(ms(2499));
    // Isolated S1 appended three term-1 commands it could not commit.
    assert_eq!(log_terms(node(&sim, 1)), [1, 1, 1, 1, 1]);
    assert_eq!(node(&sim, 1).commit_index(), 2);
    assert!(node(&sim, 2).current_term() > 1);
    let trace = finish_checked(&mut sim);
    assert!(
        trace.iter().any(|r| matches!(
            r.ev,
            TraceEvent::Truncate {
                node: 1,
                from_index: 3
            }
        )),
        "S1's uncommitted entries were overwritten"
    );
    let terms = assert_converged(&sim);
    assert!(
        terms[2..].iter().all(|&t| t > 1),
        "no term-1 entry after index 2: {terms:?}"
    );
    assert!(appends_with_value(&trace, "lost").all(|(n, _, _)| n == 1));
    assert_eq!(node(&sim, 3).kv().get("x"), Some("2"));
}

#[test]
fn backup_repairs_logs_a_term_per_round_trip() {
    let (sim, trace) = run_checked("lab-backup");
    let terms = assert_converged(&sim);
    // 1 + 50 + 50 + 1 commands and three no-ops, nothing from the minorities.
    assert_eq!(terms.len(), 105, "{terms:?}");
    assert_eq!(
        appends_with_value(&trace, "majority-1")
            .filter(|(n, _, _)| *n == 4)
            .count(),
        50
    );
    for id in 1..=5 {
        assert_eq!(node(&sim, id).kv().get("x"), Some("last"));
    }
    // Each minority entry was overwritten, on both nodes that held it.
    let results = trace.client_results();
    let timed_out = results
        .values()
        .filter(|(_, r)| {
            *r == OpResult::Error {
                reason: "timeout".into(),
            }
        })
        .count();
    assert_eq!(timed_out, 100);
    // Fast backtracking: rejected AppendEntries for a log mismatch. Naive
    // backtracking (one index per round trip) needs over 50 per repaired
    // follower; with conflict terms it is at most 4 per follower and repair.
    let rejects = trace
        .iter()
        .filter(|r| {
            matches!(
                &r.ev,
                TraceEvent::Send {
                    msg: Message::AppendEntriesReply(AppendEntriesReply { success: false, .. }),
                    ..
                }
            )
        })
        .count();
    assert!(rejects <= 4 * 4, "{rejects} rejected AppendEntries");
    assert!(
        rejects >= 2,
        "the repairs did need backtracking ({rejects})"
    );
}

#[test]
fn count_bounds_messages() {
    let (sim, trace) = run_checked("lab-count");
    let sends_in = |from: u64, to: u64| {
        trace
            .iter()
            .filter(|r| r.t >= from && r.t < to)
            .filter_map(|r| match &r.ev {
                TraceEvent::Send { msg, .. } => Some(msg),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    // The first election: RequestVote and replies, nothing more.
    let first_leader_at = trace
        .iter()
        .find(|r| {
            matches!(
                r.ev,
                TraceEvent::Role {
                    role: Role::Leader,
                    ..
                }
            )
        })
        .map(|r| r.t)
        .unwrap();
    let election = sends_in(0, first_leader_at + 1);
    assert!(election.len() <= 30, "{} messages to elect", election.len());
    // An idle second: one heartbeat per follower per 50 ms, plus replies.
    let idle: Vec<_> = sends_in(ms(2000), ms(3000))
        .into_iter()
        .filter(|m| matches!(m, Message::AppendEntries(_)))
        .collect();
    assert!(
        idle.len() <= 2 * 20,
        "{} AppendEntries in an idle second",
        idle.len()
    );
    assert!(idle.len() >= 2 * 19, "heartbeats do flow: {}", idle.len());
    // Ten commands, 20 ms apart: about one AppendEntries per follower each,
    // plus the heartbeats of that window.
    let busy = sends_in(ms(1000), ms(1300))
        .into_iter()
        .filter(|m| matches!(m, Message::AppendEntries(_)))
        .count();
    let heartbeats = 2 * 300 / 50;
    assert!(
        busy <= (10 + 3) * 2 + heartbeats,
        "{busy} AppendEntries for 10 commands"
    );
    assert_eq!(assert_converged(&sim).len(), 11);
}

#[test]
fn persist_survives_crashes_of_all_and_of_each() {
    let mut sim = sim("lab-persist");
    sim.run_until(ms(1999));
    let before: Vec<_> = (1..=3)
        .map(|i| {
            (
                node(&sim, i).current_term(),
                node(&sim, i).voted_for(),
                node(&sim, i).log().clone(),
            )
        })
        .collect();
    let committed_before = node(&sim, 1).commit_index();
    assert!(committed_before > 10);
    sim.run_until(ms(2000));
    for id in 1..=3 {
        assert!(!sim.is_up(id));
        let n = node(&sim, id);
        // Crash: volatile state gone, persistent state intact.
        assert_eq!(
            (n.commit_index(), n.last_applied(), n.kv().data().len()),
            (0, 0, 0)
        );
        assert_eq!(
            (n.current_term(), n.voted_for(), n.log()),
            (
                before[id as usize - 1].0,
                before[id as usize - 1].1,
                &before[id as usize - 1].2
            )
        );
    }
    let trace = finish_checked(&mut sim);
    let terms = assert_converged(&sim);
    assert!(
        terms.len() as u64 > committed_before + 20,
        "the cluster kept committing"
    );
    let acked = assert_acknowledged_ops_in_log(&trace, node(&sim, 1));
    assert!(acked > 50, "{acked}");
    // Restarted nodes re-applied their logs: the state machines agree.
    assert_eq!(node(&sim, 1).kv(), node(&sim, 2).kv());
    assert_eq!(node(&sim, 1).kv(), node(&sim, 3).kv());
}

#[test]
fn figure8_unreliable() {
    let (sim, trace) = run_checked("lab-figure8-unreliable");
    let st = sim.stats();
    assert!(
        st.dropped_loss > 20 && st.duplicated > 0,
        "the network was unreliable"
    );
    let reordered = {
        // Some message overtook an earlier one on the same link.
        let mut last_sent = std::collections::BTreeMap::new();
        let mut sent = std::collections::BTreeMap::new();
        let mut found = false;
        for r in &trace {
            match &r.ev {
                TraceEvent::Send { id, from, to, .. } => {
                    sent.insert(*id, (*from, *to));
                }
                TraceEvent::Deliver { id } => {
                    // Client requests and replies are not server links.
                    let Some(&link) = sent.get(id) else { continue };
                    if let Some(prev) = last_sent.insert(link, *id) {
                        found |= prev > *id;
                    }
                }
                _ => {}
            }
        }
        found
    };
    assert!(reordered, "latency spread reorders messages");
    assert!(
        trace.leaders().len() >= 3,
        "leaders crashed and were replaced"
    );
    let terms = assert_converged(&sim);
    assert!(terms.len() > 200, "{}", terms.len());
    assert!(assert_acknowledged_ops_in_log(&trace, node(&sim, 1)) > 200);
    let kv = node(&sim, 1).kv();
    for id in 2..=5 {
        assert_eq!(node(&sim, id).kv(), kv, "S{id}");
    }
}

#[test]
fn churn_keeps_every_acknowledged_write() {
    let (sim, trace) = run_checked("lab-churn");
    let st = sim.stats();
    assert!(st.dropped_partition > 0 && st.dropped_crashed > 0 && st.dropped_loss > 0);
    assert_converged(&sim);
    for id in 1..=5 {
        let acked = assert_acknowledged_ops_in_log(&trace, node(&sim, id));
        assert!(acked > 500, "S{id}: {acked}");
    }
}
