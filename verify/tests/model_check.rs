//! Model checking the real node with stateright: safety holds in every
//! reachable state of a small cluster; planted bug 1 breaks it.

use quorum_core::protocol::{Bug, Bugs};
use quorum_verify::model::RaftModel;
use stateright::{Checker, Model};

// Bounds: 3 nodes, terms <= 2, one client command, at most 2 messages in
// flight, with loss and duplication. QUORUM_MC_STATES / QUORUM_MC_IN_FLIGHT
// make a bigger on-demand run.

#[test]
fn three_nodes_two_terms_one_command_are_safe_and_can_commit() {
    let mut model = RaftModel::new(3, 2, 1);
    model.max_in_flight = std::env::var("QUORUM_MC_IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let checker = model
        .checker()
        .threads(2)
        .target_state_count(
            std::env::var("QUORUM_MC_STATES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(10_000_000),
        )
        .spawn_bfs()
        .join();
    println!(
        "3 nodes, terms <= 2, 1 command, loss and duplication: {} states ({} unique), depth {}",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth()
    );
    checker.assert_no_discovery("Election Safety");
    checker.assert_no_discovery("State Machine Safety");
    checker.assert_any_discovery("a value commits");
    assert!(
        checker.state_count() < 10_000_000,
        "explored exhaustively, below the cap"
    );
    assert!(checker.unique_state_count() > 100_000);
}

#[test]
fn planted_double_vote_breaks_election_safety() {
    let mut model = RaftModel::new(3, 2, 1);
    model.max_in_flight = 2;
    model.bugs = Bugs::NONE.with(Bug::DoubleVote);
    let checker = model
        .checker()
        .threads(2)
        .target_state_count(10_000_000)
        .spawn_bfs()
        .join();
    let path = checker.assert_any_discovery("Election Safety");
    println!(
        "double vote: two leaders in one term after {} steps",
        path.into_actions().len()
    );
}
