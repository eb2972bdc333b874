//! `update` natively, no browser: each test sends messages and checks the
//! model, the lab and the effects.

use super::*;
use crate::i18n::{Lang, Source};
use crate::lab::lesson_stops;
use quorum_core::protocol::Bug;
use quorum_core::sim::scenario::EventSpec;

const URL: &str = "https://quorum.test/";

fn page() -> (Model, Session) {
    let embed = Embed {
        seed: Some(7),
        ..Default::default()
    };
    let session = Session::start(&embed, Env::default()).expect("default scenario");
    let page = Page {
        embed: Embed::default(),
        url: URL.into(),
        lang: Lang::En,
        dark: false,
        first_visit: false,
        done: Default::default(),
    };
    (Model::new(page, &session), session)
}

/// `update`, and the page's part: each shipped scenario it asks for is
/// answered with the file from `scenarios/` (what dist/ serves).
fn send(m: &mut Model, s: &mut Session, msg: Msg) -> Vec<Effect> {
    let mut fx = update(m, s, msg);
    while let Some(i) = fx.iter().position(|e| matches!(e, Effect::Fetch { .. })) {
        let Effect::Fetch { id, url } = fx.remove(i) else {
            unreachable!()
        };
        let text = served(&url);
        fx.extend(update(m, s, Msg::Fetched { id, text }));
    }
    fx
}

/// A file as dist/ serves it, by its URL relative to the page (the repo's
/// `scenarios/` folder is copied there).
fn served(url: &str) -> Result<String, String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(url);
    std::fs::read_to_string(&path).map_err(|e| e.to_string())
}

/// One frame at real time `ts` (ms), the tab visible.
fn frame(m: &mut Model, s: &mut Session, ts: f64) {
    update(m, s, Msg::Frame { ts, hidden: false });
}

/// Frames 100 ms apart at 10× until the run pauses (or `max` frames).
fn play_until_paused(m: &mut Model, s: &mut Session, max: usize) {
    s.speed = 10.0;
    for k in 0..max {
        frame(m, s, k as f64 * 100.0);
        if !s.running {
            return;
        }
    }
    panic!("still running after {max} frames");
}

#[test]
fn lesson_next_plays_to_the_next_stop_and_back_returns() {
    let (mut m, mut s) = page();
    let fx = send(&mut m, &mut s, Msg::Library("lesson-basic-election".into()));
    assert!(fx.contains(&Effect::Render));
    assert_eq!(m.lesson.lib_id.as_deref(), Some("lesson-basic-election"));
    assert!(!s.running, "a lesson waits for Next");
    let stops = lesson_stops(s.lab.scenario());
    let first = *stops.iter().find(|&&t| t > 0).expect("a stop after 0");

    let fx = update(&mut m, &mut s, Msg::LessonNext);
    assert!(s.running);
    assert_eq!(m.lesson.stop_at, Some(first));
    assert_eq!(fx, vec![Effect::EnsureLoop, Effect::Render]);
    play_until_paused(&mut m, &mut s, 10_000);
    assert_eq!(s.lab.now(), first, "paused exactly at the caption");
    assert_eq!(m.lesson.stop_at, None);

    let fx = update(&mut m, &mut s, Msg::LessonBack);
    assert!(fx.contains(&Effect::StopLoop));
    let before = stops
        .iter()
        .rev()
        .find(|&&t| t < first)
        .copied()
        .unwrap_or(0);
    assert_eq!(s.lab.now(), before);
    assert!(!s.running);
}

#[test]
fn a_partition_is_picked_then_applied_as_a_scenario_event() {
    let (mut m, mut s) = page();
    update(&mut m, &mut s, Msg::PartitionApply);
    assert!(s.notice.is_none(), "no tool open: nothing to apply");
    update(&mut m, &mut s, Msg::PartitionMode);
    assert_eq!(m.tools.partition, Some(PartitionTool::new(5)));
    // Nothing picked: refused, the tool stays open.
    update(&mut m, &mut s, Msg::PartitionApply);
    assert!(s
        .notice
        .as_deref()
        .is_some_and(|n| n.starts_with("Pick the servers or clients")));
    assert!(m.tools.partition.is_some());
    update(&mut m, &mut s, Msg::PartitionPick(2));
    update(&mut m, &mut s, Msg::SelectNode(4));
    update(&mut m, &mut s, Msg::SelectNode(4));
    assert_eq!(
        m.tools.partition.as_ref().map(|t| t.nodes.clone()),
        Some(vec![0, 1, 0, 2, 0])
    );
    assert_eq!(m.selection.node, None, "clicks pick groups, not servers");
    update(&mut m, &mut s, Msg::PartitionApply);
    assert_eq!(m.tools.partition, None);
    match s.lab.scenario().events.last() {
        Some(EventSpec::Partition { groups, .. }) => {
            assert_eq!(groups, &vec![vec![2.into()], vec![4.into()]])
        }
        other => panic!("expected a partition, got {other:?}"),
    }
    assert!(s.lab.sim().network().is_partitioned());
    update(&mut m, &mut s, Msg::Heal);
    assert!(!s.lab.sim().network().is_partitioned());
}

/// A page running a scenario with two closed-loop clients, past its
/// first election.
fn page_with_clients() -> (Model, Session) {
    let (mut m, mut s) = page();
    let file = r#"{"version":1,"nodes":5,"seed":1,
        "clients":{"count":2,"think_ms":[150,300],"keys":1,"timeout_ms":1000,"retry_ms":300},
        "events":[{"at_ms":0,"do":"timeout","node":1}]}"#;
    update(
        &mut m,
        &mut s,
        Msg::Import("c.json".into(), Ok(file.into())),
    );
    s.lab.advance(500_000);
    assert_eq!(s.lab.sim().client_count(), 2);
    (m, s)
}

#[test]
fn the_partition_tool_puts_clients_in_groups() {
    let (mut m, mut s) = page_with_clients();
    // Outside the tool a client is not a button: nothing happens.
    let fx = update(&mut m, &mut s, Msg::PartitionPickClient(1));
    assert!(fx.is_empty(), "{fx:?}");
    update(&mut m, &mut s, Msg::PartitionMode);
    // A client cycles: no group, 1, 2, 3, with the rest, no group.
    let mut seen = Vec::new();
    for _ in 0..5 {
        update(&mut m, &mut s, Msg::PartitionPickClient(2));
        seen.push(m.tools.partition.as_ref().map_or(9, |t| t.client(2)));
    }
    assert_eq!(seen, [1, 2, 3, WITH_THE_REST, 0]);
    // Strand C1 with S1; put C2 with the other four.
    update(&mut m, &mut s, Msg::PartitionPick(1));
    update(&mut m, &mut s, Msg::PartitionPickClient(1));
    for _ in 0..4 {
        update(&mut m, &mut s, Msg::PartitionPickClient(2));
    }
    update(&mut m, &mut s, Msg::PartitionApply);
    assert_eq!(m.tools.partition, None);
    let c = quorum_core::sim::Endpoint::Client;
    match s.lab.scenario().events.last() {
        Some(EventSpec::Partition { groups, .. }) => assert_eq!(
            groups,
            &vec![
                vec![1.into(), c(1)],
                vec![2.into(), 3.into(), 4.into(), 5.into(), c(2)]
            ]
        ),
        other => panic!("expected a partition, got {other:?}"),
    }
    let net = s.lab.sim().network();
    assert_eq!(
        (net.client_group(1), net.client_group(2)),
        (Some(0), Some(1))
    );
    assert!(net.blocked(c(1), 2).is_some() && net.blocked(c(1), 1).is_none());
    // The run goes on: C1's requests to the others are lost in the
    // partition, and the share link carries the clients' names.
    s.lab.advance(2_000_000);
    assert!(s.lab.sim().stats().client_dropped > 0);
    update(&mut m, &mut s, Msg::CopyLink);
    let url = m.tools.share_url.clone().expect("a link");
    let frag = &url[url.find('#').expect("a fragment") + 1..];
    let link = quorum_core::sim::link::decode(frag).expect("the link opens");
    assert_eq!(link.scenario.events, s.lab.scenario().events);
}

#[test]
fn a_client_alone_in_a_group_is_cut_off_and_heal_reconnects_it() {
    let (mut m, mut s) = page_with_clients();
    update(&mut m, &mut s, Msg::PartitionMode);
    update(&mut m, &mut s, Msg::PartitionPickClient(2));
    update(&mut m, &mut s, Msg::PartitionApply);
    assert!(s.notice.is_none(), "{:?}", s.notice);
    let c2 = quorum_core::sim::Endpoint::Client(2);
    assert!((1..=5).all(|n| s.lab.sim().network().blocked(c2, n).is_some()));
    update(&mut m, &mut s, Msg::Heal);
    assert!((1..=5).all(|n| s.lab.sim().network().blocked(c2, n).is_none()));
    // Escape closes the tool and forgets the picks.
    update(&mut m, &mut s, Msg::PartitionMode);
    update(&mut m, &mut s, Msg::PartitionPickClient(1));
    update(&mut m, &mut s, Msg::Escape);
    assert_eq!(m.tools.partition, None);
}

#[test]
fn a_checkpoint_question_stops_the_run_and_takes_one_answer() {
    let (mut m, mut s) = page();
    let file = r#"{"version":1,"nodes":3,"seed":3,
        "questions":[{"at_ms":200,"question":"Who leads?","choices":["S1","S2"],"answer":1}]}"#;
    update(
        &mut m,
        &mut s,
        Msg::Import("q.json".into(), Ok(file.into())),
    );
    assert!(!s.running, "an import opens paused");
    update(&mut m, &mut s, Msg::Play);
    play_until_paused(&mut m, &mut s, 100);
    assert_eq!(s.lab.now(), 200_000);
    assert_eq!(
        m.lesson.question,
        Some(Question {
            index: 0,
            chosen: None
        })
    );
    update(&mut m, &mut s, Msg::Answer(0));
    update(&mut m, &mut s, Msg::Answer(1));
    assert_eq!(
        m.lesson.question,
        Some(Question {
            index: 0,
            chosen: Some(0)
        }),
        "one answer"
    );
    assert_eq!(m.lesson.answered, vec![true]);
    update(&mut m, &mut s, Msg::CloseQuestion);
    assert_eq!(m.lesson.question, None);
}

#[test]
fn break_it_loads_a_planted_bug_and_toggles_it_off_and_on() {
    let (mut m, mut s) = page();
    let name = Bug::ALL[0].name();
    send(&mut m, &mut s, Msg::BreakIt(name.into()));
    let bug = m.bug.as_ref().expect("break-it mode");
    assert_eq!((bug.name.as_str(), bug.on), (name, true));
    assert!(!s.lab.scenario().raft.bugs.is_empty());
    update(&mut m, &mut s, Msg::ToggleBug);
    assert_eq!(m.bug.as_ref().map(|b| b.on), Some(false));
    assert!(
        s.lab.scenario().raft.bugs.is_empty(),
        "same scenario, bug off"
    );
    assert!(s.running, "it plays again");
    update(&mut m, &mut s, Msg::ToggleBug);
    assert_eq!(m.bug.as_ref().map(|b| b.on), Some(true));
    assert!(!s.lab.scenario().raft.bugs.is_empty());
    // Another run leaves break-it mode.
    update(&mut m, &mut s, Msg::Reset);
    assert!(m.bug.is_none());
}

#[test]
fn seek_while_playing_pauses_there() {
    let (mut m, mut s) = page();
    update(&mut m, &mut s, Msg::Play);
    s.speed = 10.0;
    for k in 0..20 {
        frame(&mut m, &mut s, k as f64 * 50.0);
    }
    assert!(s.running && s.lab.now() > 500_000, "{}", s.lab.now());
    assert!(m.clock.last_ts.is_some());
    let fx = update(&mut m, &mut s, Msg::Seek(500.25));
    assert!(!s.running);
    assert_eq!(s.lab.now(), 500_250);
    assert_eq!(m.clock.last_ts, None);
    assert_eq!(fx, vec![Effect::StopLoop, Effect::Render]);
    // A bad time is ignored.
    assert!(update(&mut m, &mut s, Msg::Seek(-1.0)).is_empty());
    assert_eq!(s.lab.now(), 500_250);
}

#[test]
fn frames_run_virtual_time_only_while_playing_and_visible() {
    let (mut m, mut s) = page();
    s.speed = 1.0;
    // Quiet time at the speed chosen (see the test of skipping it).
    s.skip_quiet = false;
    frame(&mut m, &mut s, 1000.0);
    let fx = update(
        &mut m,
        &mut s,
        Msg::Frame {
            ts: 1040.0,
            hidden: false,
        },
    );
    assert_eq!(s.lab.now(), 40_000, "40 ms real at 1× is 40 ms virtual");
    // Either a virtual-DOM pass or a direct paint, never both.
    let expected = if fx.contains(&Effect::Render) {
        vec![Effect::TellParent, Effect::EnsureLoop, Effect::Render]
    } else {
        vec![Effect::Paint, Effect::TellParent, Effect::EnsureLoop]
    };
    assert_eq!(fx, expected);
    let fx = update(
        &mut m,
        &mut s,
        Msg::Frame {
            ts: 1080.0,
            hidden: true,
        },
    );
    assert!(fx.is_empty());
    assert_eq!((s.lab.now(), m.clock.last_ts), (40_000, None));
    update(&mut m, &mut s, Msg::Pause);
    frame(&mut m, &mut s, 1200.0);
    assert_eq!(s.lab.now(), 40_000);
}

#[test]
fn a_refused_action_is_shown_and_returned() {
    let (mut m, mut s) = page();
    let fx = update(
        &mut m,
        &mut s,
        Msg::Act(EventSpec::Crash {
            at_ms: 0.0,
            node: 9,
        }),
    );
    let Some(Effect::Refused(why)) = fx.first() else {
        panic!("refused: {fx:?}");
    };
    assert_eq!(s.notice.as_ref(), Some(why));
    assert!(s.lab.scenario().events.is_empty());
    update(
        &mut m,
        &mut s,
        Msg::Act(EventSpec::Crash {
            at_ms: 0.0,
            node: 2,
        }),
    );
    assert!(!s.lab.sim().is_up(2));
    update(&mut m, &mut s, Msg::RestartAll);
    assert!(s.lab.sim().is_up(2));
}

#[test]
fn keys_map_to_messages() {
    assert!(matches!(key_msg(" "), Some(Msg::Toggle)));
    assert!(matches!(key_msg("K"), Some(Msg::CrashLeader)));
    assert!(matches!(
        key_msg("Shift+ArrowLeft"),
        Some(Msg::StepEvents(-10))
    ));
    assert!(key_msg("x").is_none());
    let (mut m, mut s) = page();
    update(&mut m, &mut s, Msg::ToggleHelp);
    update(&mut m, &mut s, Msg::SelectMessage(3));
    assert!(m.tools.help);
    update(&mut m, &mut s, Msg::Escape);
    assert!(!m.tools.help && m.selection.msg.is_none());
}

#[test]
fn exports_and_links_are_effects() {
    let (mut m, mut s) = page();
    let fx = update(&mut m, &mut s, Msg::Export(Export::Scenario));
    match fx.as_slice() {
        [Effect::Download { name, mime, text }] => {
            assert_eq!(name, "live-cluster-seed7.json");
            assert_eq!(*mime, "application/json");
            assert!(text.ends_with("}\n"));
        }
        other => panic!("{other:?}"),
    }
    let fx = update(&mut m, &mut s, Msg::CopyLink);
    let url = m.tools.share_url.clone().expect("shown");
    assert!(url.starts_with(&format!("{URL}#")), "{url}");
    assert_eq!(fx, vec![Effect::CopyToClipboard(url), Effect::Render]);
}

#[test]
fn a_bad_link_keeps_the_live_cluster_and_says_why() {
    let (mut m, mut s) = page();
    update(&mut m, &mut s, Msg::HashChanged(Some("#q1.garbage".into())));
    assert!(s.notice.is_some());
    assert_eq!(s.lab.scenario().seed, 7);
    assert!(update(&mut m, &mut s, Msg::HashChanged(None)).is_empty());
}

/// A link as builds before behaviour 2 wrote them (no behaviour in it):
/// the shipped Fig. 7 at 500 ms.
const OLD_LINK: &str = "#q1.q1bKyUxSslIqSCxILdJNy0w3V9JRKlGyMjUw0DOoBQA";

#[test]
fn a_link_from_an_older_behaviour_opens_with_a_notice_and_a_current_one_without() {
    let (mut m, mut s) = page();
    assert_eq!(m.older, None);
    send(&mut m, &mut s, Msg::HashChanged(Some(OLD_LINK.into())));
    assert_eq!(
        s.lab.scenario().name,
        "Paper Fig. 7: a new leader repairs every follower"
    );
    assert_eq!(s.lab.now(), 500_000, "it opens, at its moment");
    assert_eq!(s.notice, None, "not an error");
    let older = m.older.expect("the notice");
    assert_eq!(
        older,
        OlderRun {
            source: Source::Link,
            made_with: 1
        }
    );
    let en = older.text().get(Lang::En);
    assert!(
        en.starts_with("This link was made with simulator behaviour 1;")
            && en.contains("may differ"),
        "{en}"
    );
    // Dismissed, it stays closed while this run is on screen.
    update(&mut m, &mut s, Msg::DismissOlder);
    assert_eq!(m.older, None);
    update(&mut m, &mut s, Msg::Step);
    assert_eq!(m.older, None);

    // The same run shared again from this page: this build's behaviour, no
    // notice.
    send(&mut m, &mut s, Msg::HashChanged(Some(OLD_LINK.into())));
    assert!(m.older.is_some());
    update(&mut m, &mut s, Msg::CopyLink);
    let url = m.tools.share_url.clone().expect("a link");
    let frag = &url[url.find('#').expect("a fragment")..];
    update(&mut m, &mut s, Msg::HashChanged(Some(frag.into())));
    assert_eq!(s.lab.now(), 500_000);
    assert_eq!(m.older, None, "a current link raises no notice");

    // Another run on screen forgets it.
    send(&mut m, &mut s, Msg::HashChanged(Some(OLD_LINK.into())));
    update(&mut m, &mut s, Msg::Reset);
    assert_eq!(m.older, None);
}

#[test]
fn a_link_from_a_newer_behaviour_is_refused_by_name() {
    let (mut m, mut s) = page();
    // Fig. 7 at 500 ms, made with behaviour 999.
    let future = "#q1.q1ZKUrKytLTUUcrJBLKUChILUot00zLTzZV0lEqUrEwNDPQMagE";
    update(&mut m, &mut s, Msg::HashChanged(Some(future.into())));
    let why = s.notice.clone().expect("refused");
    assert!(why.contains("simulator behaviour 999"), "{why}");
    assert_eq!(m.older, None);
    assert_eq!(s.lab.scenario().name, "Live cluster");
}

#[test]
fn an_imported_scenario_from_an_older_behaviour_says_so_and_exports_stamp_ours() {
    let (mut m, mut s) = page();
    let doc = |b: &str| {
        Ok(format!(
            r#"{{"version":1,{b}"nodes":3,"seed":3,"name":"x"}}"#
        ))
    };
    update(
        &mut m,
        &mut s,
        Msg::Import("old.json".into(), doc(r#""behaviour":1,"#)),
    );
    assert_eq!(
        m.older,
        Some(OlderRun {
            source: Source::File,
            made_with: 1
        })
    );
    assert!(older_text(&m).starts_with("This scenario was made with simulator behaviour 1;"));
    // Exported again, it is this build's run.
    let fx = update(&mut m, &mut s, Msg::Export(Export::Scenario));
    let Some(Effect::Download { text, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["behaviour"], quorum_core::sim::BEHAVIOUR);
    // Hand-written, or this build's: no notice.
    let current = format!(r#""behaviour":{},"#, quorum_core::sim::BEHAVIOUR);
    for b in ["", current.as_str()] {
        update(&mut m, &mut s, Msg::Import("x.json".into(), doc(b)));
        assert_eq!(s.notice, None);
        assert_eq!(m.older, None, "{b}");
    }
    // A newer one is refused, and the run on screen stays.
    update(
        &mut m,
        &mut s,
        Msg::Import("new.json".into(), doc(r#""behaviour":999,"#)),
    );
    assert!(s
        .notice
        .as_ref()
        .unwrap()
        .contains("behaviour: made with simulator behaviour 999"));
    assert_eq!(s.lab.scenario().seed, 3);
}

fn older_text(m: &Model) -> String {
    m.older.expect("the notice").text().get(Lang::En)
}

#[test]
fn shipped_scenarios_are_fetched_once_validated_and_then_opened() {
    let (mut m, mut s) = page();
    // Asked for, fetched from beside the page; nothing changes until then.
    let fx = update(&mut m, &mut s, Msg::Library("paper-fig7".into()));
    assert_eq!(
        fx,
        vec![Effect::Fetch {
            id: "paper-fig7".into(),
            url: "scenarios/paper-fig7.json".into()
        }]
    );
    assert_eq!(
        s.lab.scenario().seed,
        7,
        "the live cluster runs on meanwhile"
    );
    // A failed fetch says why and leaves the run alone.
    update(
        &mut m,
        &mut s,
        Msg::Fetched {
            id: "paper-fig7".into(),
            text: Err("scenarios/paper-fig7.json: HTTP 404".into()),
        },
    );
    assert!(
        s.notice.as_deref().unwrap().contains("HTTP 404"),
        "{:?}",
        s.notice
    );
    assert_eq!(s.lab.scenario().seed, 7);
    // A file that is not a valid scenario is refused as an import would be.
    update(&mut m, &mut s, Msg::Library("paper-fig7".into()));
    update(
        &mut m,
        &mut s,
        Msg::Fetched {
            id: "paper-fig7".into(),
            text: Ok(r#"{"version":1,"nodes":100000}"#.into()),
        },
    );
    assert!(
        s.notice.as_deref().unwrap().contains("nodes"),
        "{:?}",
        s.notice
    );
    assert!(s.library.is_empty());
    // The real file opens it, and it is kept: the second time, no fetch.
    send(&mut m, &mut s, Msg::Library("paper-fig7".into()));
    assert_eq!(m.lesson.lib_id.as_deref(), Some("paper-fig7"));
    assert!(s.lab.scenario().name.starts_with("Paper Fig. 7"));
    update(&mut m, &mut s, Msg::Reset);
    let fx = update(&mut m, &mut s, Msg::Library("paper-fig7".into()));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Fetch { .. })),
        "{fx:?}"
    );
    assert!(s.lab.scenario().name.starts_with("Paper Fig. 7"));
    // An unknown id is refused by name, without a fetch.
    let fx = update(&mut m, &mut s, Msg::Library("no-such".into()));
    assert_eq!(fx, vec![Effect::Render]);
    assert!(s.notice.as_deref().unwrap().contains("\"no-such\""));
}

#[test]
fn a_newer_request_replaces_the_wait_and_a_late_file_is_only_kept() {
    let (mut m, mut s) = page();
    update(&mut m, &mut s, Msg::Library("paper-fig7".into()));
    let fx = update(&mut m, &mut s, Msg::Library("lab-churn".into()));
    assert!(matches!(&fx[..], [Effect::Fetch { id, .. }] if id == "lab-churn"));
    // Fig. 7 arrives late: kept for later, not opened.
    let fig7 = served("scenarios/paper-fig7.json").unwrap();
    update(
        &mut m,
        &mut s,
        Msg::Fetched {
            id: "paper-fig7".into(),
            text: Ok(fig7),
        },
    );
    assert_eq!(s.lab.scenario().seed, 7);
    assert!(s.library.contains_key("paper-fig7"));
    let churn = served("scenarios/lab-churn.json").unwrap();
    update(
        &mut m,
        &mut s,
        Msg::Fetched {
            id: "lab-churn".into(),
            text: Ok(churn),
        },
    );
    assert_eq!(m.lesson.lib_id.as_deref(), Some("lab-churn"));
}

#[test]
fn a_link_to_a_shipped_scenario_waits_for_its_file_and_shares_back_short() {
    let (mut m, mut s) = page();
    let link = quorum_core::sim::link::encode(
        &quorum_core::sim::library::get("paper-fig7").unwrap(),
        500.0,
        &Default::default(),
    );
    let fx = update(&mut m, &mut s, Msg::HashChanged(Some(link.clone())));
    assert!(
        matches!(&fx[..], [Effect::Fetch { id, .. }] if id == "paper-fig7"),
        "{fx:?}"
    );
    assert_eq!(s.lab.scenario().seed, 7, "not opened yet");
    send(&mut m, &mut s, Msg::HashChanged(Some(link)));
    assert!(s.lab.scenario().name.starts_with("Paper Fig. 7"));
    assert_eq!(s.lab.now(), 500_000);
    // Shared again it travels as the id plus the actions since.
    update(&mut m, &mut s, Msg::CrashLeader);
    let frag = m.fragment(&s);
    let u = quorum_core::sim::link::unpack(&frag).unwrap();
    assert_eq!(u.library_id(), Some("paper-fig7"));
    assert!(frag.len() < 200, "{frag}");
    // A link naming no shipped scenario is refused by name, no fetch.
    let bad = quorum_core::sim::link::encode_from(
        s.lab.scenario(),
        Some(("no-such", 0)),
        0.0,
        &Default::default(),
    );
    let fx = update(&mut m, &mut s, Msg::HashChanged(Some(bad)));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Fetch { .. })));
    assert!(
        s.notice.as_deref().unwrap().contains("no shipped scenario"),
        "{:?}",
        s.notice
    );
}

/// The worker's part: answer each linearizability job with the real
/// checker, through the same JSON text.
fn answer_checks(m: &mut Model, s: &mut Session, fx: &[Effect]) -> usize {
    let mut n = 0;
    for e in fx {
        if let Effect::Check { request, .. } = e {
            let reply = quorum_verify::jobs::handle(request);
            update(m, s, Msg::Checked(Ok(reply)));
            n += 1;
        }
    }
    n
}

/// A paused run with client operations, and the effects of pausing it.
fn paused_with_clients() -> (Model, Session, Vec<Effect>) {
    let (mut m, mut s) = page();
    let mut f = s.lab.scenario().clone();
    f.clients = Some(serde_json::from_str(r#"{"count":2}"#).unwrap());
    let lab = crate::lab::new_lab(f).unwrap();
    update(&mut m, &mut s, Msg::Loaded(Box::new(lab)));
    s.speed = 10.0;
    update(&mut m, &mut s, Msg::Play);
    for k in 0..40 {
        frame(&mut m, &mut s, k as f64 * 100.0);
    }
    let fx = update(&mut m, &mut s, Msg::Pause);
    (m, s, fx)
}

#[test]
fn paused_the_history_goes_to_the_worker_and_its_verdict_is_shown() {
    let (mut m, mut s, fx) = paused_with_clients();
    // Checking, not passed, until the worker answers.
    let lin = m.checks.lin.clone().expect("a verdict slot");
    assert_eq!(lin.state, LinState::Checking);
    assert_eq!(answer_checks(&mut m, &mut s, &fx), 1, "{fx:?}");
    let lin = m.checks.lin.clone().unwrap();
    assert_eq!(lin.state, LinState::Holds, "{}", lin.text);
    assert!(lin.text.ends_with(": linearizable"), "{}", lin.text);
    // The same history is not sent again (a filter change rebuilds views).
    let fx = update(&mut m, &mut s, Msg::EvKind(1));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Check { .. })),
        "{fx:?}"
    );
    // Stepping on changes it: a new job, and checking again.
    let mut sent = 0;
    for _ in 0..200 {
        let fx = update(&mut m, &mut s, Msg::Step);
        sent += fx
            .iter()
            .filter(|e| matches!(e, Effect::Check { .. }))
            .count();
        if sent > 0 {
            break;
        }
    }
    assert_eq!(sent, 1);
    assert_eq!(m.checks.lin.as_ref().unwrap().state, LinState::Checking);
}

#[test]
fn a_stale_or_failed_answer_is_never_a_pass() {
    let (mut m, mut s, fx) = paused_with_clients();
    let Some(Effect::Check { id, request }) = fx
        .iter()
        .find(|e| matches!(e, Effect::Check { .. }))
        .cloned()
    else {
        panic!("no job: {fx:?}")
    };
    // An answer to another job changes nothing.
    let other =
        quorum_verify::jobs::handle(&request.replacen(&format!("\"id\":{id}"), "\"id\":1", 1));
    assert!(!update(&mut m, &mut s, Msg::Checked(Ok(other))).contains(&Effect::Render));
    assert_eq!(m.checks.lin.as_ref().unwrap().state, LinState::Checking);
    // The worker could not start: undecided, with the reason.
    update(
        &mut m,
        &mut s,
        Msg::Checked(Err((id, "the worker failed to load".into()))),
    );
    let lin = m.checks.lin.clone().unwrap();
    assert_eq!(lin.state, LinState::Undecided);
    assert!(
        lin.text.contains("the worker failed to load"),
        "{}",
        lin.text
    );
    // A late real answer after that is ignored (nothing waits for it).
    let late = quorum_verify::jobs::handle(&request);
    assert!(update(&mut m, &mut s, Msg::Checked(Ok(late))).is_empty());
    assert_eq!(m.checks.lin.as_ref().unwrap().state, LinState::Undecided);
    // An unreadable answer while waiting: undecided too.
    let (mut m, mut s, _) = paused_with_clients();
    update(&mut m, &mut s, Msg::Checked(Ok("<html>".into())));
    assert_eq!(m.checks.lin.as_ref().unwrap().state, LinState::Undecided);
    // Playing, there is no verdict to show.
    update(&mut m, &mut s, Msg::Play);
    frame(&mut m, &mut s, 1.0);
    frame(&mut m, &mut s, 200.0);
    assert!(m.checks.lin.is_none() || m.checks.lin.as_ref().unwrap().state != LinState::Holds);
}

#[test]
fn the_diagram_coming_into_view_is_painted_at_once() {
    let (mut m, mut s) = page();
    m.diagram.drawn = 1234.0;
    assert_eq!(
        update(&mut m, &mut s, Msg::DiagramSeen),
        vec![Effect::Paint]
    );
    assert_eq!(m.diagram.drawn, f64::NEG_INFINITY, "due at the next paint");
}

#[test]
fn commands_sent_while_a_lesson_is_fetched_apply_to_the_lesson() {
    // An embedding page sends quorum:lesson then quorum:next at once.
    let (mut m, mut s) = page();
    update(&mut m, &mut s, Msg::Library("lesson-basic-election".into()));
    assert!(
        update(&mut m, &mut s, Msg::LessonNext).is_empty(),
        "it waits"
    );
    assert_eq!(s.lab.scenario().seed, 7, "the live cluster is untouched");
    let text = served("scenarios/lesson-basic-election.json").unwrap();
    update(
        &mut m,
        &mut s,
        Msg::Fetched {
            id: "lesson-basic-election".into(),
            text: Ok(text),
        },
    );
    assert_eq!(m.lesson.lib_id.as_deref(), Some("lesson-basic-election"));
    let first = *lesson_stops(s.lab.scenario())
        .iter()
        .find(|&&t| t > 0)
        .unwrap();
    assert!(s.running, "Next was applied to the lesson");
    assert_eq!(m.lesson.stop_at, Some(first));
    assert!(s.deferred.is_empty());
    // A failed fetch applies them to the run on screen.
    update(&mut m, &mut s, Msg::Library("paper-fig7".into()));
    update(&mut m, &mut s, Msg::Pause);
    update(
        &mut m,
        &mut s,
        Msg::Fetched {
            id: "paper-fig7".into(),
            text: Err("HTTP 404".into()),
        },
    );
    assert!(!s.running && s.deferred.is_empty());
}

/// The first-load module (`boot/`) runs the live cluster frame by frame,
/// with checks but no history; the page then replays the same seed to the
/// same moment in one step, with its timeline. Both must be the same
/// cluster: the handover shows nothing new.
#[test]
fn a_taken_over_cluster_is_the_one_the_boot_module_ran() {
    use quorum_core::sim::Lab;
    let seed = 424_242;
    let mut boot = Lab::with_checks(
        crate::lab::default_scenario(seed, crate::lab::LIVE_NODES),
        false,
    )
    .expect("default scenario");
    let mut clock = FrameClock::default();
    // 90 s of frames at 1/50×, quiet time skipped, as the boot module
    // runs them: past the first elections.
    let mut ts = 0.0;
    while ts < 90_000.0 {
        let dt = clock.real_dt(ts);
        crate::lab::run_paced(
            &mut boot,
            dt,
            crate::lab::DEFAULT_SPEED,
            true,
            &mut clock.carry_us,
        );
        ts += 16.7;
    }
    assert!(boot.leader().is_some(), "a leader by {} µs", boot.now());
    for running in [true, false] {
        let h = Handover {
            seed,
            now: boot.now(),
            running,
            skip_quiet: running,
        };
        let s = Session::resume(h, Env::default()).expect("resumes");
        assert_eq!(s.running, running);
        assert_eq!(s.skip_quiet, running);
        assert_eq!(s.lab.now(), boot.now());
        assert_eq!(s.lab.scenario().seed, seed);
        let (a, b) = (s.lab.state(), boot.state());
        assert_eq!(format!("{:?}", a.nodes), format!("{:?}", b.nodes));
        assert_eq!(format!("{:?}", a.in_flight), format!("{:?}", b.in_flight));
        assert_eq!(
            crate::ring::ring_version(&s.lab),
            crate::ring::ring_version(&boot)
        );
    }
}

/// The linked views come one per task after the first render, in page
/// order, each asking for the next; the last asks for nothing.
#[test]
fn linked_views_come_one_task_at_a_time() {
    let (mut m, mut s) = page();
    assert_eq!(m.linked_on, 0);
    for k in 1..=update::LINKED_VIEWS {
        let fx = update(&mut m, &mut s, Msg::LinkedViews);
        assert_eq!(m.linked_on, k);
        let asks = fx.iter().any(|e| matches!(e, Effect::LinkedViews));
        assert_eq!(asks, k < update::LINKED_VIEWS, "after view {k}");
        assert!(fx.iter().any(|e| matches!(e, Effect::Render)));
    }
}

/// Frames at 60 Hz and the default speed until the run pauses; the real
/// ms that took.
fn frames_until_paused(m: &mut Model, s: &mut Session, ts: &mut f64) -> f64 {
    let start = *ts;
    while s.running && *ts - start < 120_000.0 {
        *ts += 1000.0 / 60.0;
        frame(m, s, *ts);
    }
    *ts - start
}

#[test]
fn every_lesson_goes_from_next_to_next_within_seconds() {
    use quorum_core::sim::library::{Kind, ENTRIES};
    for lesson in ENTRIES.iter().filter(|e| e.kind == Kind::Lesson) {
        let (mut m, mut s) = page();
        send(&mut m, &mut s, Msg::Library(lesson.id.into()));
        assert_eq!(s.speed, crate::lab::DEFAULT_SPEED);
        let stops = lesson_stops(s.lab.scenario());
        let mut ts = 0.0;
        let mut total = 0.0;
        for &stop in stops.iter().filter(|&&t| t > 0) {
            if matches!(m.lesson.question, Some(q) if q.chosen.is_none()) {
                // Next does not skip an open question: it must be answered.
                let fx = update(&mut m, &mut s, Msg::LessonNext);
                assert!(matches!(fx[..], [Effect::Refused(_)]), "{fx:?}");
                assert!(!s.running);
                update(&mut m, &mut s, Msg::Answer(0));
            }
            update(&mut m, &mut s, Msg::LessonNext);
            let took = frames_until_paused(&mut m, &mut s, &mut ts);
            assert_eq!(s.lab.now(), stop, "{}: paused at the stop", lesson.id);
            // NEXT_REAL_MS, and a frame or two.
            assert!(
                took <= crate::lab::NEXT_REAL_MS + 50.0,
                "{}: {took} ms to {stop} µs",
                lesson.id
            );
            total += took;
        }
        assert!(
            total < 60_000.0,
            "{}: {total} ms from Next to Next",
            lesson.id
        );
        // Its last stop reached: finished, for the chooser.
        assert!(
            m.page.done.iter().any(|d| d == lesson.id),
            "{} marked finished",
            lesson.id
        );
    }
}

#[test]
fn a_first_visit_is_welcomed_once_and_can_start_the_first_lesson() {
    let (m0, s0) = page();
    assert!(!m0.tools.welcome, "not a first visit");
    drop((m0, s0));
    let session = Session::start(&Embed::default(), Env::default()).expect("default scenario");
    let first = |embed: Embed| Page {
        embed,
        url: URL.into(),
        lang: Lang::En,
        dark: false,
        first_visit: true,
        done: Default::default(),
    };
    let mut m = Model::new(first(Embed::default()), &session);
    assert!(m.tools.welcome, "a first visit is welcomed");
    let embedded = Model::new(
        first(Embed {
            on: true,
            ..Default::default()
        }),
        &session,
    );
    assert!(!embedded.tools.welcome, "an embed is not");
    let mut s = session;
    // "Choose a lesson" opens the chooser in its place; Escape closes it.
    update(&mut m, &mut s, Msg::Chooser(true));
    assert!(m.tools.chooser && !m.tools.welcome);
    update(&mut m, &mut s, Msg::Escape);
    assert!(!m.tools.chooser);
    // "Start the first lesson": remembered, and lesson 1 opens.
    m.tools.welcome = true;
    let fx = send(&mut m, &mut s, Msg::CloseWelcome { start: true });
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Remember { key, .. } if *key == WELCOMED_KEY)));
    assert!(!m.tools.welcome);
    assert_eq!(m.lesson.lib_id.as_deref(), Some(update::FIRST_LESSON));
    assert!(!s.lab.scenario().captions.is_empty());
}

#[test]
fn next_pressed_again_on_the_way_goes_straight_to_the_stop() {
    let (mut m, mut s) = page();
    send(&mut m, &mut s, Msg::Library("lesson-basic-election".into()));
    let first = *lesson_stops(s.lab.scenario())
        .iter()
        .find(|&&t| t > 0)
        .expect("a stop");
    update(&mut m, &mut s, Msg::LessonNext);
    let mut ts = 0.0;
    for _ in 0..3 {
        ts += 16.0;
        frame(&mut m, &mut s, ts);
    }
    assert!(s.running && s.lab.now() < first);
    update(&mut m, &mut s, Msg::LessonNext);
    assert_eq!(s.lab.now(), first);
    assert!(!s.running);
}

#[test]
fn skip_quiet_time_is_a_switch_and_quiet_frames_are_marked() {
    let (mut m, mut s) = page();
    assert!(s.skip_quiet, "on by default");
    frame(&mut m, &mut s, 0.0);
    frame(&mut m, &mut s, 16.0);
    // At the start only election timers run.
    assert!(m.clock.quiet);
    assert!(
        s.lab.now() > 16 * 20 * 10,
        "faster than 1/50x: {}",
        s.lab.now()
    );
    update(&mut m, &mut s, Msg::SkipQuiet(false));
    let before = s.lab.now();
    frame(&mut m, &mut s, 32.0);
    assert!(!m.clock.quiet);
    assert_eq!(s.lab.now() - before, 16 * 20, "16 ms at 1/50x");
}

#[test]
fn a_lesson_tells_the_embedding_page_each_stop_each_answer_and_its_end() {
    let (mut m, mut s) = page();
    send(&mut m, &mut s, Msg::Library("lesson-basic-election".into()));
    let stops = lesson_stops(s.lab.scenario())
        .into_iter()
        .filter(|&t| t > 0)
        .count();
    let mut events = Vec::new();
    let mut ts = 0.0;
    for _ in 0..stops {
        if matches!(m.lesson.question, Some(q) if q.chosen.is_none()) {
            let right = s.lab.scenario().questions[0].answer;
            events.extend(update(&mut m, &mut s, Msg::Answer(right)));
        }
        update(&mut m, &mut s, Msg::LessonNext);
        while s.running {
            ts += 100.0;
            events.extend(update(&mut m, &mut s, Msg::Frame { ts, hidden: false }));
        }
    }
    let told: Vec<LessonEvent> = events
        .into_iter()
        .filter_map(|e| match e {
            Effect::Lesson(l) => Some(l),
            _ => None,
        })
        .collect();
    let captions = told
        .iter()
        .filter(|e| matches!(e, LessonEvent::Caption { .. }))
        .count();
    let questions = told
        .iter()
        .filter(|e| matches!(e, LessonEvent::Question { .. }))
        .count();
    assert_eq!(captions + questions, stops, "{told:?}");
    assert_eq!(questions, 1);
    assert!(told.contains(&LessonEvent::Answer {
        index: 0,
        choice: s.lab.scenario().questions[0].answer,
        right: true
    }));
    assert_eq!(told.last(), Some(&LessonEvent::End));
}

#[test]
fn step_never_skips_an_unanswered_question() {
    let (mut m, mut s) = page();
    let file = r#"{"version":1,"nodes":3,"seed":3,
        "questions":[{"at_ms":200,"question":"Who leads?","choices":["S1","S2"],"answer":1}]}"#;
    update(
        &mut m,
        &mut s,
        Msg::Import("q.json".into(), Ok(file.into())),
    );
    // Step, one event at a time, from 0: it stops at 200 ms, question open.
    let mut steps = 0;
    while m.lesson.question.is_none() && steps < 10_000 {
        update(&mut m, &mut s, Msg::Step);
        steps += 1;
        assert!(s.lab.now() <= 200_000, "stepped past the question");
    }
    assert_eq!(s.lab.now(), 200_000);
    assert_eq!(m.lesson.question.map(|q| q.chosen), Some(None));
    // Open and unanswered: Step, the next event and Next all wait.
    for msg in [Msg::Step, Msg::StepEvents(1), Msg::LessonNext] {
        let fx = update(&mut m, &mut s, msg);
        assert!(fx
            .iter()
            .any(|e| matches!(e, Effect::Refused(r) if r.contains("answer"))));
        assert_eq!(s.lab.now(), 200_000);
    }
    // Answered: Step goes on.
    update(&mut m, &mut s, Msg::Answer(1));
    update(&mut m, &mut s, Msg::CloseQuestion);
    update(&mut m, &mut s, Msg::Step);
    assert!(s.lab.now() > 200_000);
    // Stepping by events past a question stops there too.
    update(&mut m, &mut s, Msg::Seek(0.0));
    m.lesson.answered.clear();
    update(&mut m, &mut s, Msg::StepEvents(100_000));
    assert_eq!(s.lab.now(), 200_000, "the question stopped the jump");
    assert!(m.lesson.question.is_some());
}

#[test]
fn the_worker_reply_reader_agrees_with_the_derived_one() {
    use quorum_verify::jobs::{Outcome, Reply};
    use quorum_verify::linearizability::Verdict;
    let verdicts = [
        Verdict::Linearizable { keys: 2, ops: 9 },
        Verdict::Violation {
            key: "x".into(),
            ops: 4,
        },
        Verdict::TooLarge {
            key: "k\"1".into(),
            ops: 70,
            indeterminate: 3,
        },
    ];
    for (i, verdict) in verdicts.into_iter().enumerate() {
        let reply = Reply {
            id: i as u64 + 7,
            outcome: Outcome::Linearizability {
                verdict: verdict.clone(),
            },
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            super::update::read_reply(&text),
            Ok((i as u64 + 7, Ok(verdict)))
        );
    }
    let error = Reply {
        id: 3,
        outcome: Outcome::Error {
            message: "bad".into(),
        },
    };
    let text = serde_json::to_string(&error).unwrap();
    assert_eq!(
        super::update::read_reply(&text),
        Ok((3, Err("bad".to_string())))
    );
    assert!(super::update::read_reply("<html>").is_err());
    assert!(super::update::read_reply(r#"{"id":1,"outcome":{}}"#).is_err());
}
