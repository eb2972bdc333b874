//! The paper's Fig. 7 and Fig. 8, driven through shipped scenarios.

mod common;
use common::*;
use quorum_core::protocol::Role;
use quorum_core::sim::TraceEvent;

#[test]
fn fig7_term8_leader_brings_every_follower_to_its_log() {
    let mut sim = sim("paper-fig7");
    // Before: the followers (a)-(f) of the figure.
    assert_eq!(log_terms(node(&sim, 4)), [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]);
    assert_eq!(log_terms(node(&sim, 7)), [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]);
    let trace = finish_checked(&mut sim);
    let s1 = node(&sim, 1);
    assert_eq!(s1.role(), Role::Leader);
    assert_eq!(s1.current_term(), 8);
    // The leader's log plus the no-op it appended on taking office.
    let want = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 8];
    for id in 1..=7 {
        assert_eq!(log_terms(node(&sim, id)), want, "S{id}");
        assert_eq!(node(&sim, id).commit_index(), 11, "S{id}");
    }
    // (c), (d) and (f) had extra entries: they were truncated; (a), (b)
    // and (e)... (e) too had a conflicting suffix from index 6.
    let truncated: Vec<(u32, u64)> = trace
        .iter()
        .filter_map(|r| match r.ev {
            TraceEvent::Truncate { node, from_index } => Some((node, from_index)),
            _ => None,
        })
        .collect();
    assert_eq!(
        truncated,
        [(4, 11), (5, 11), (6, 6), (7, 4)],
        "{truncated:?}"
    );
    // (c) and (d) have logs more up-to-date than S1's and refused to vote.
    let granted: Vec<u32> = trace
        .iter()
        .filter_map(|r| match r.ev {
            TraceEvent::Vote {
                node,
                term: 8,
                voted_for: 1,
            } => Some(node),
            _ => None,
        })
        .collect();
    assert_eq!(granted, [1, 2, 3, 6, 7]);
}

#[test]
fn fig8_c_old_term_entry_on_a_majority_stays_uncommitted_then_d_is_overwritten() {
    let mut sim = sim("paper-fig8-d");
    // Index 1 (term 1) commits everywhere first.
    sim.run_until(ms(99));
    for id in 1..=5 {
        assert_eq!(
            (log_terms(node(&sim, id)), node(&sim, id).commit_index()),
            (vec![1], 1),
            "S{id}"
        );
    }
    // (a): S1 leads term 2 and only S2 got index 2.
    sim.run_until(ms(149));
    assert_eq!(node(&sim, 1).role(), Role::Leader);
    assert_eq!(log_terms(node(&sim, 1)), [1, 2]);
    assert_eq!(log_terms(node(&sim, 2)), [1, 2]);
    assert_eq!(log_terms(node(&sim, 3)), [1]);
    // (b): S5 leads term 3 with its own index 2, on no one else.
    sim.run_until(ms(199));
    assert_eq!(
        (node(&sim, 5).role(), node(&sim, 5).current_term()),
        (Role::Leader, 3)
    );
    assert_eq!(log_terms(node(&sim, 5)), [1, 3]);
    assert_eq!(log_terms(node(&sim, 4)), [1]);
    // (c): S1 leads term 4; index 2 (term 2) is on S1..S4 and S1 knows a
    // majority (itself, S3, S4) has it; index 3 (term 4) only on S1.
    sim.run_until(ms(399));
    let s1 = node(&sim, 1);
    assert_eq!((s1.role(), s1.current_term()), (Role::Leader, 4));
    assert_eq!(log_terms(s1), [1, 2, 4]);
    for id in 2..=4 {
        assert_eq!(log_terms(node(&sim, id)), [1, 2], "S{id}");
    }
    assert_eq!(s1.progress()[&3].match_index, 2);
    assert_eq!(s1.progress()[&4].match_index, 2);
    // The Fig. 8 rule: index 2 is not committed by counting replicas. No
    // server's commitIndex passes 1 (S1 restarted, so it knows only 0).
    for id in 1..=5 {
        assert!(
            node(&sim, id).commit_index() <= 1,
            "S{id} committed index 2 in term 4"
        );
    }
    assert_eq!(node(&sim, 3).commit_index(), 1);
    // (d): S1 crashes; S5 wins term 5 and overwrites index 2 everywhere.
    let trace = finish_checked(&mut sim);
    assert_eq!(trace.leaders().get(&5), Some(&vec![5]));
    for id in 2..=5 {
        assert_eq!(log_terms(node(&sim, id)), [1, 3, 5], "S{id}");
        assert_eq!(node(&sim, id).commit_index(), 3, "S{id}");
    }
    for id in 2..=4 {
        assert!(
            trace.iter().any(
                |r| matches!(r.ev, TraceEvent::Truncate { node, from_index: 2 } if node == id)
            ),
            "S{id} overwrote index 2"
        );
    }
}

#[test]
fn fig8_e_current_term_entry_commits_and_s5_cannot_win() {
    let mut sim = sim("paper-fig8-e");
    sim.run_until(ms(399));
    let s1 = node(&sim, 1);
    assert_eq!((s1.role(), s1.current_term()), (Role::Leader, 4));
    assert_eq!(
        s1.commit_index(),
        3,
        "index 3 (term 4) commits, carrying index 2"
    );
    assert_eq!(log_terms(node(&sim, 2)), [1, 2, 4]);
    assert_eq!(log_terms(node(&sim, 3)), [1, 2, 4]);
    let trace = finish_checked(&mut sim);
    let ls = trace.leaders();
    // S5 ran for terms 4 and 5 and lost both; someone else leads later.
    assert!(ls.iter().all(|(t, l)| *t < 4 || !l.contains(&5)), "{ls:?}");
    assert!(ls.keys().any(|&t| t > 5), "a later leader exists: {ls:?}");
    for id in 1..=5 {
        assert_eq!(
            &log_terms(node(&sim, id))[..3],
            [1, 2, 4],
            "S{id} keeps the committed prefix"
        );
    }
}
