//! The guided lessons: the scenarios with captions and questions. Every
//! caption states facts about its own run and every question has a right
//! answer; these tests run each file and check those facts, so a change to
//! the protocol, the simulator or the file that makes a caption wrong fails
//! here.

mod common;
use common::*;
use quorum_core::protocol::{
    AppendEntries, AppendEntriesReply, Bug, ClientResponse, Command, KvOp, LogIndex, Message,
    NodeId, OpResult, RaftConfig, ReadMode, RequestVote, RequestVoteReply, Role, Term,
};
use quorum_core::sim::{Endpoint, Scenario, Simulator, TraceEvent};
use std::collections::BTreeMap;

/// The files that carry a caption track.
const LESSONS: [&str; 17] = [
    "lesson-basic-election",
    "lesson-leader-crash",
    "lesson-split-vote",
    "lesson-lagging-follower",
    "lesson-partition-cap",
    "lesson-old-leader-rejoins",
    "lesson-lossy-network",
    "lesson-client-stranded",
    "lesson-server-came-back",
    "lesson-leader-cannot-hear",
    "lesson-handing-over",
    "lesson-fast-reads",
    "paper-fig7",
    "paper-fig8-d",
    "paper-fig8-e",
    "lab-backup",
    "lab-churn",
];

// --- reading a run --------------------------------------------------------

/// Asserts `t` (µs) is within 1 ms of `want_ms`: captions give times to the
/// millisecond.
#[track_caller]
fn near(t: u64, want_ms: f64, what: &str) {
    let got = t as f64 / 1000.0;
    assert!(
        (got - want_ms).abs() <= 1.0,
        "{what}: at {got:.3} ms, the lesson says {want_ms} ms"
    );
}

fn us(ms: f64) -> u64 {
    (ms * 1000.0).round() as u64
}

/// The caption shown from `at_ms` must contain `needle`: ties each check
/// below to the text it checks.
#[track_caller]
fn says(s: &Scenario, at_ms: f64, needle: &str) {
    let c = s
        .file
        .captions
        .iter()
        .find(|c| c.at_ms == at_ms)
        .unwrap_or_else(|| panic!("{}: no caption at {at_ms} ms", s.file.name));
    assert!(
        c.text.contains(needle),
        "caption at {at_ms} ms does not say {needle:?}: {}",
        c.text
    );
}

/// A lesson's Chinese, from the catalogue `scenarios/zh/<lesson>.json`:
/// its name and description, and its captions and questions by time.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Zh {
    lesson: String,
    name: String,
    description: String,
    captions: Vec<ZhCaption>,
    questions: Vec<ZhQuestion>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ZhCaption {
    at_ms: f64,
    text: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ZhQuestion {
    at_ms: f64,
    question: String,
    choices: Vec<String>,
    explain: String,
}

/// The lesson's Chinese, if the catalogue has it.
fn zh(lesson: &str) -> Option<Zh> {
    let path = scenarios_dir().join("zh").join(format!("{lesson}.json"));
    let text = std::fs::read_to_string(&path).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// The Chinese caption shown from `at_ms` must contain `needle`.
#[track_caller]
fn says_zh(z: &Zh, at_ms: f64, needle: &str) {
    let c = z
        .captions
        .iter()
        .find(|c| c.at_ms == at_ms)
        .unwrap_or_else(|| panic!("{}: no Chinese caption at {at_ms} ms", z.lesson));
    assert!(
        c.text.contains(needle),
        "Chinese caption at {at_ms} ms does not say {needle:?}: {}",
        c.text
    );
}

/// A fact in both languages: the English caption says `en`, the Chinese
/// one `cn`.
#[track_caller]
fn says_both(s: &Scenario, z: &Zh, at_ms: f64, en: &str, cn: &str) {
    says(s, at_ms, en);
    says_zh(z, at_ms, cn);
}

#[test]
fn the_chinese_catalogue_holds_only_lessons() {
    for e in std::fs::read_dir(scenarios_dir().join("zh")).unwrap() {
        let p = e.unwrap().path();
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            LESSONS.contains(&stem.as_str()),
            "{}: not a lesson",
            p.display()
        );
        assert!(zh(&stem).is_some());
    }
}

/// The text of question `i`'s right answer.
fn answer(s: &Scenario, i: usize) -> &str {
    let q = &s.file.questions[i];
    &q.choices[q.answer]
}

fn run(name: &str) -> (Scenario, Simulator, Trace) {
    let s = load(name);
    let mut sim = Simulator::from_scenario(&s);
    sim.set_recording(true);
    sim.run_to_end();
    let trace = Trace(sim.take_trace());
    assert_safe(&trace);
    (s, sim, trace)
}

fn voters(v: &[(u64, NodeId)]) -> Vec<NodeId> {
    v.iter().map(|x| x.1).collect()
}

fn timeout() -> OpResult {
    OpResult::Error {
        reason: "timeout".into(),
    }
}

fn entries_of(m: &Message) -> usize {
    match m {
        Message::AppendEntries(AppendEntries { entries, .. }) => entries.len(),
        _ => 0,
    }
}

fn is_append(m: &Message) -> bool {
    matches!(m, Message::AppendEntries(_))
}

/// A rejection for a log mismatch (not a stale-term answer).
fn is_mismatch(m: &Message) -> bool {
    matches!(m, Message::AppendEntriesReply(AppendEntriesReply { success: false, conflict_index, .. }) if *conflict_index > 0)
}

fn kv_op(c: &Command) -> String {
    serde_json::to_string(c).unwrap()
}

fn all_terms(sim: &Simulator) -> Vec<Term> {
    (1..=sim.node_count())
        .map(|i| node(sim, i).current_term())
        .collect()
}

/// Runs a fresh copy of the lesson to `t_ms` and returns it, for checks of
/// the state at a moment.
fn at(s: &Scenario, t_ms: f64) -> Simulator {
    let mut sim = Simulator::from_scenario(s);
    sim.run_until(us(t_ms));
    sim
}

// --- every lesson file ------------------------------------------------------

#[test]
fn every_lesson_parses_with_captions_and_questions_in_order() {
    for name in LESSONS {
        let path = scenarios_dir().join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).unwrap();
        let s = Scenario::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let f = &s.file;
        assert!(!f.name.is_empty(), "{name}: no name");
        assert!(f.description.len() > 100, "{name}: no real description");
        assert!(
            f.captions.len() >= 5,
            "{name}: {} captions",
            f.captions.len()
        );
        assert!(!f.questions.is_empty(), "{name}: no question");
        let end = f.duration_ms;
        let mut last = -1.0;
        for c in &f.captions {
            assert!(
                c.at_ms > last,
                "{name}: caption at {} ms is out of order",
                c.at_ms
            );
            assert!(
                c.at_ms < end,
                "{name}: caption at {} ms is past the end ({end} ms)",
                c.at_ms
            );
            assert!(
                !c.text.trim().is_empty() && c.text.len() <= 1000,
                "{name}: caption at {}",
                c.at_ms
            );
            last = c.at_ms;
        }
        let mut last = -1.0;
        for q in &f.questions {
            assert!(
                q.at_ms > last,
                "{name}: question at {} ms is out of order",
                q.at_ms
            );
            assert!(
                q.at_ms < end,
                "{name}: question at {} ms is past the end",
                q.at_ms
            );
            assert!(
                (2..=6).contains(&q.choices.len()),
                "{name}: question at {}",
                q.at_ms
            );
            assert!(
                q.answer < q.choices.len(),
                "{name}: question at {}",
                q.at_ms
            );
            assert!(
                !q.explain.is_empty(),
                "{name}: question at {} explains nothing",
                q.at_ms
            );
            last = q.at_ms;
        }
        // Every lesson (`lesson-*`) is in the Chinese catalogue, all of
        // it: the name, every caption and every question, at the same
        // times, with as many choices. The paper's figures and the lab
        // runs need no Chinese, but any they have must be complete.
        let z = zh(name);
        assert!(
            z.is_some() || !name.starts_with("lesson-"),
            "{name}: no Chinese (scenarios/zh/{name}.json is missing)"
        );
        if let Some(z) = z {
            assert_eq!(z.lesson, name);
            assert!(
                !z.name.is_empty() && z.description.len() > 100,
                "{name}: zh"
            );
            let en: Vec<f64> = f.captions.iter().map(|c| c.at_ms).collect();
            let cn: Vec<f64> = z.captions.iter().map(|c| c.at_ms).collect();
            assert_eq!(cn, en, "{name}: Chinese captions at other times");
            for c in &z.captions {
                assert!(
                    !c.text.trim().is_empty() && c.text.len() <= 1000,
                    "{name}: {}",
                    c.at_ms
                );
            }
            assert_eq!(z.questions.len(), f.questions.len(), "{name}: questions");
            for (q, e) in z.questions.iter().zip(&f.questions) {
                assert_eq!(q.at_ms, e.at_ms, "{name}: question times");
                assert_eq!(q.choices.len(), e.choices.len(), "{name}: choices");
                assert!(
                    !q.question.is_empty() && !q.explain.is_empty(),
                    "{name}: {}",
                    q.at_ms
                );
            }
        }
        // The lesson files are the caption-carrying ones; the others carry none.
    }
    let mut others = Vec::new();
    for e in std::fs::read_dir(scenarios_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            let has = !load(&stem).file.captions.is_empty();
            if has && !LESSONS.contains(&stem.as_str()) {
                others.push(stem);
            }
        }
    }
    assert!(others.is_empty(), "captions not checked here: {others:?}");
}

// --- the new lessons --------------------------------------------------------

#[test]
fn lesson_basic_election() {
    let (s, sim, tr) = run("lesson-basic-election");
    let z = zh("lesson-basic-election").expect("the lesson in Chinese");
    // S3 is the only candidate, at 197 ms, in term 1.
    let c = tr.candidacies();
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!((c[0].1, c[0].2), (3, 1));
    near(c[0].0, 197.0, "S3 times out");
    says_both(&s, &z, 200.0, "197 ms", "197 毫秒");
    says_both(
        &s,
        &z,
        200.0,
        "S3's timer runs out first",
        "S3 的计时器最先到期",
    );
    // The question: the first leader.
    let (t, l) = tr.leader_of(1).expect("a leader in term 1");
    assert_eq!(answer(&s, 0), format!("S{l}"));
    assert_eq!(l, 3);
    near(t, 221.0, "S3 leads");
    says_both(&s, &z, 223.0, "221 ms", "221 毫秒");
    // S1 first, then S2, S5, S4; all for S3.
    let v = tr.votes_for(1, 3);
    assert_eq!(voters(&v), [1, 2, 5, 4]);
    near(v[0].0, 208.0, "S1 votes");
    near(v[3].0, 217.0, "S4 votes");
    says_both(&s, &z, 210.0, "at 208 ms", "在 208 毫秒");
    says_both(
        &s,
        &z,
        218.0,
        "S2, S5 and S4 vote for S3 as well (208 to 217 ms)",
        "S2、S5 和 S4 也投票给 S3（208 到 217 毫秒）",
    );
    // The votes of S2 and S5 arrive first; the second of them makes S3 leader.
    let mut arrivals: Vec<(u64, NodeId)> = tr
        .sends(|_, to, m| {
            to == 3
                && matches!(
                    m,
                    Message::RequestVoteReply(RequestVoteReply {
                        vote_granted: true,
                        ..
                    })
                )
        })
        .into_iter()
        .map(|(_, id, from, _, _)| (tr.delivered(id)[0], from))
        .collect();
    arrivals.sort();
    assert_eq!([arrivals[0].1, arrivals[1].1], [2, 5]);
    assert_eq!(arrivals[1].0, t);
    says_both(
        &s,
        &z,
        223.0,
        "The votes of S2 and S5 reach S3 first",
        "S2 和 S5 的选票最先到达 S3",
    );
    // The no-op at index 1, committed by S3 at 249 ms, by the others at 281-288 ms.
    let a = tr.appends(3, 1);
    assert_eq!(
        (a[0].0, a[0].1, a[0].2.as_str()),
        (t, 1, r#"{"type":"noop"}"#)
    );
    near(tr.committed(3, 1).unwrap(), 249.0, "S3 commits index 1");
    says_both(&s, &z, 255.0, "At 249 ms", "249 毫秒时");
    let follower_commits: Vec<u64> = [1, 2, 4, 5]
        .iter()
        .map(|&i| tr.committed(i, 1).unwrap())
        .collect();
    near(
        *follower_commits.iter().min().unwrap(),
        281.0,
        "first follower commit",
    );
    near(
        *follower_commits.iter().max().unwrap(),
        288.0,
        "last follower commit",
    );
    says_both(&s, &z, 292.0, "(281 to 288 ms)", "（281 到 288 毫秒）");
    // Heartbeats every 50 ms from then on; nothing else happens.
    let hb: Vec<u64> = tr
        .sends(|from, to, m| from == 3 && to == 1 && is_append(m) && entries_of(m) == 0)
        .into_iter()
        .map(|x| x.0)
        .collect();
    assert!(hb.len() > 50);
    assert!(
        hb.windows(2).all(|w| w[1] - w[0] <= ms(50)),
        "heartbeats every 50 ms"
    );
    says_both(&s, &z, 450.0, "every 50 ms", "每 50 毫秒");
    assert_eq!(tr.leaders().len(), 1);
    assert_eq!(all_terms(&sim), [1; 5]);
    assert_eq!(node(&sim, 3).role(), Role::Leader);
}

#[test]
fn lesson_leader_crash() {
    let (s, sim, tr) = run("lesson-leader-crash");
    let z = zh("lesson-leader-crash").expect("the lesson in Chinese");
    let (t1, l1) = tr.leader_of(1).unwrap();
    assert_eq!(l1, 2);
    near(t1, 175.0, "S2 leads term 1");
    near(tr.candidacies()[0].0, 151.0, "S2 times out");
    assert_eq!(voters(&tr.votes_for(1, 2)).len(), 4, "all four vote for S2");
    says_both(&s, &z, 180.0, "(151 ms)", "（151 毫秒）");
    says_both(
        &s,
        &z,
        180.0,
        "with all four votes and leads from 175 ms",
        "以全部四票赢得任期 1，从 175 毫秒起",
    );
    // put x=1 and put y=2.
    near(tr.appended(2, 2), 551.0, "S2 appends index 2");
    near(tr.committed(2, 2).unwrap(), 582.0, "index 2 commits");
    let (t, r) = tr.returned(1);
    near(t, 598.0, "put x=1 answered");
    assert_eq!(r, OpResult::Ok);
    near(tr.committed(2, 3).unwrap(), 745.0, "index 3 commits");
    says_both(&s, &z, 560.0, "index 2 (551 ms)", "索引 2（551 毫秒）");
    says_both(&s, &z, 600.0, "committed at 582 ms", "在 582 毫秒提交");
    says_both(&s, &z, 600.0, "OK at 598 ms", "在 598 毫秒收到 OK");
    says_both(&s, &z, 760.0, "index 3 (745 ms)", "索引 3（745 毫秒）");
    let before = at(&s, 1000.0);
    for i in 1..=5 {
        assert_eq!(
            node(&before, i).log().last_index(),
            3,
            "S{i} has indexes 1-3"
        );
    }
    says_both(
        &s,
        &z,
        760.0,
        "Every server holds indexes 1 to 3",
        "每台服务器都存有索引 1 到 3",
    );
    // The crash, the silence, the question.
    assert!(!at(&s, 1001.0).is_up(2));
    says_both(
        &s,
        &z,
        1005.0,
        "At 1000 ms the leader S2 crashes",
        "1000 毫秒时，领导者 S2 崩溃",
    );
    let after: Vec<_> = tr
        .candidacies()
        .into_iter()
        .filter(|c| c.0 > ms(1000))
        .collect();
    assert_eq!(after.len(), 1, "one candidate after the crash: {after:?}");
    assert_eq!((after[0].1, after[0].2), (5, 2));
    near(after[0].0, 1182.0, "S5 times out");
    says_both(
        &s,
        &z,
        1190.0,
        "S5's timer runs out first, at 1182 ms. S5 moves to term 2",
        "S5 的计时器最先到期，在 1182 毫秒。S5 进入任期 2",
    );
    let v = tr.votes_for(2, 5);
    assert_eq!(voters(&v), [4, 1, 3]);
    near(v[0].0, 1199.0, "S4 votes");
    near(v[2].0, 1201.0, "S3 votes");
    assert_eq!(
        node(&at(&s, 1182.5), 5).log().last_index(),
        3,
        "S5 has all three entries"
    );
    says_both(
        &s,
        &z,
        1205.0,
        "S4, S1 and S3 vote for S5 (1199 to 1201 ms)",
        "S4、S1 和 S3 投票给 S5（1199 到 1201 毫秒）",
    );
    says_both(&s, &z, 1205.0, "all three entries", "全部三个条目");
    let (t2, l2) = tr.leader_of(2).unwrap();
    assert_eq!(l2, 5);
    near(t2, 1215.0, "S5 leads term 2");
    says_both(
        &s,
        &z,
        1220.0,
        "At 1215 ms S5 becomes leader of term 2",
        "1215 毫秒时，S5 成为任期 2 的领导者",
    );
    near(t2 - ms(1000), 215.0, "no leader since the crash");
    says_both(&s, &z, 1220.0, "no leader for 215 ms", "215 毫秒没有领导者");
    assert_eq!(answer(&s, 0), "Term 2");
    assert_eq!(
        tr.leaders().keys().copied().collect::<Vec<_>>(),
        [1, 2],
        "no term 3"
    );
    assert_eq!(tr.appends(5, 4)[0].2, r#"{"type":"noop"}"#);
    near(tr.committed(5, 4).unwrap(), 1245.0, "S5 commits index 4");
    says_both(
        &s,
        &z,
        1250.0,
        "no-op at index 4 and commits it at 1245 ms",
        "在索引 4 添加一个空操作条目，并在 1245 毫秒提交",
    );
    // put x=3: sent to S2 at 1800 ms, found S5 after the 300 ms retry.
    let q3 = tr.requests(|c, _, _| c == 3);
    assert_eq!(q3.iter().map(|x| x.3).collect::<Vec<_>>(), [2, 3, 5]);
    assert_eq!((q3[0].0, q3[1].0 - q3[0].0), (ms(1800), ms(300)));
    assert!(matches!(
        tr.replies_to(3)[0].3,
        ClientResponse::NotLeader { hint: Some(5) }
    ));
    says_both(
        &s,
        &z,
        1810.0,
        "At 1800 ms a client sends put x=3 to S2",
        "1800 毫秒时，一个客户端把 put x=3 发给 S2",
    );
    says_both(
        &s,
        &z,
        2150.0,
        "After 300 ms of silence the client tries S3, which points it to S5",
        "沉默了 300 毫秒之后，客户端改试 S3，S3 把它指向 S5",
    );
    let a = tr.appends(5, 5);
    near(a[0].0, 2141.0, "S5 appends put x=3");
    assert!(a[0].0 > ms(2100) && a[0].2.contains(r#""value":"3""#));
    says_both(&s, &z, 2150.0, "index 5 (2141 ms)", "索引 5（2141 毫秒）");
    near(tr.committed(5, 5).unwrap(), 2169.0, "index 5 commits");
    let (t, r) = tr.returned(3);
    near(t, 2182.0, "put x=3 answered");
    assert_eq!(r, OpResult::Ok);
    says_both(
        &s,
        &z,
        2185.0,
        "Index 5 commits at 2169 ms",
        "索引 5 在 2169 毫秒提交",
    );
    says_both(&s, &z, 2185.0, "OK at 2182 ms", "在 2182 毫秒收到 OK");
    // S2 restarts as a follower of term 1 with its log but commitIndex 0.
    let back = at(&s, 2500.0);
    let s2 = node(&back, 2);
    assert!(back.is_up(2));
    assert_eq!(
        (s2.role(), s2.current_term(), s2.commit_index()),
        (Role::Follower, 1, 0)
    );
    assert_eq!(s2.log().last_index(), 3);
    says_both(
        &s,
        &z,
        2505.0,
        "At 2500 ms S2 restarts",
        "2500 毫秒时 S2 重启",
    );
    says_both(
        &s,
        &z,
        2505.0,
        "as a follower, still in term 1",
        "作为跟随者回来，仍处于任期 1",
    );
    says_both(
        &s,
        &z,
        2505.0,
        "its commitIndex starts again at 0",
        "它的 commitIndex 重新从 0 开始",
    );
    let caught: Vec<_> = tr
        .roles(Role::Follower)
        .into_iter()
        .filter(|r| r.1 == 2 && r.2 == 2)
        .collect();
    near(caught[0].0, 2534.0, "S2 moves to term 2");
    near(tr.appended(2, 4), 2534.0, "S2 takes index 4");
    near(tr.appended(2, 5), 2534.0, "S2 takes index 5");
    says_both(
        &s,
        &z,
        2540.0,
        "reaches S2 at 2534 ms",
        "在 2534 毫秒到达 S2",
    );
    says_both(
        &s,
        &z,
        2540.0,
        "S2 moves to term 2 and takes indexes 4 and 5",
        "S2 进入任期 2，并接收索引 4 和 5",
    );
    for i in 1..=5 {
        assert_eq!(log_terms(node(&sim, i)), [1, 1, 1, 2, 2], "S{i}");
        assert_eq!(node(&sim, i).commit_index(), 5);
    }
    says_both(&s, &z, 3400.0, "1 1 1 2 2", "1 1 1 2 2");
}

#[test]
fn lesson_split_vote() {
    let (s, sim, tr) = run("lesson-split-vote");
    let z = zh("lesson-split-vote").expect("the lesson in Chinese");
    let c = tr.candidacies();
    assert_eq!(c[..2], [(ms(60), 1, 1), (ms(60), 3, 1)]);
    says_both(
        &s,
        &z,
        65.0,
        "At 60 ms S1 and S3 time out at the same moment",
        "60 毫秒时，S1 和 S3 在同一时刻超时",
    );
    says_both(
        &s,
        &z,
        65.0,
        "Both become candidates in term 1",
        "两者都成为任期 1 的候选人",
    );
    // S4 votes for S1, S2 for S3; no other vote in term 1.
    let for1 = tr.votes_for(1, 1);
    let for3 = tr.votes_for(1, 3);
    assert_eq!((voters(&for1), voters(&for3)), (vec![4], vec![2]));
    near(for1[0].0, 71.0, "S4 votes for S1");
    near(for3[0].0, 73.0, "S2 votes for S3");
    says_both(
        &s,
        &z,
        75.0,
        "votes for S1 (71 ms)",
        "S4 先收到 S1 的请求，投票给 S1（71 毫秒）",
    );
    says_both(
        &s,
        &z,
        75.0,
        "votes for S3 (73 ms)",
        "S2 先收到 S3 的请求，投票给 S3（73 毫秒）",
    );
    assert!(tr.votes_for(1, 2).is_empty() && tr.votes_for(1, 4).is_empty());
    let refused = tr.sends(|_, _, m| {
        matches!(
            m,
            Message::RequestVoteReply(RequestVoteReply {
                term: 1,
                vote_granted: false
            })
        )
    });
    assert_eq!(refused.len(), 4, "each server refuses the later request");
    says_both(
        &s,
        &z,
        85.0,
        "every later request is refused",
        "之后的每个请求都被拒绝",
    );
    // Term 1 has no leader; S4 wins term 2.
    assert_eq!(tr.leader_of(1), None);
    says_both(
        &s,
        &z,
        150.0,
        "Term 1 will have no leader",
        "任期 1 将不会有领导者",
    );
    assert_eq!(c.len(), 3, "{c:?}");
    assert_eq!((c[2].1, c[2].2), (4, 2));
    near(c[2].0, 230.0, "S4 times out");
    says_both(
        &s,
        &z,
        235.0,
        "S4's timer runs out first, at 230 ms. S4 starts term 2",
        "S4 的计时器最先到期，在 230 毫秒。S4 发起任期 2",
    );
    let v = tr.votes_for(2, 4);
    assert_eq!(voters(&v), [3, 1, 2]);
    near(v[0].0, 245.0, "S3 votes");
    near(v[2].0, 249.0, "S2 votes");
    says_both(
        &s,
        &z,
        252.0,
        "S3, S1 and S2 all vote for S4 in term 2 (245 to 249 ms)",
        "S3、S1 和 S2 都在任期 2 投票给 S4（245 到 249 毫秒）",
    );
    for n in [1, 3] {
        assert!(tr
            .roles(Role::Follower)
            .iter()
            .any(|r| r.1 == n && r.2 == 2 && r.0 < ms(250)));
    }
    let (t, l) = tr.leader_of(2).unwrap();
    assert_eq!(answer(&s, 0), format!("S{l}"));
    assert_eq!(l, 4);
    near(t, 259.0, "S4 leads term 2");
    near(t - ms(60), 200.0, "S4 leads, after the split");
    says_both(
        &s,
        &z,
        262.0,
        "At 259 ms S4 is leader of term 2, 200 ms after the split",
        "259 毫秒时，S4 成为任期 2 的领导者，距选票分裂 200 毫秒",
    );
    assert_eq!(tr.leaders().len(), 1);
    assert_eq!(all_terms(&sim), [2; 4]);
    says_both(
        &s,
        &z,
        1900.0,
        "Term 1 never had a leader; term 2 has S4",
        "任期 1 始终没有领导者；任期 2 的领导者是 S4",
    );
}

#[test]
fn lesson_lagging_follower() {
    let (s, sim, tr) = run("lesson-lagging-follower");
    let z = zh("lesson-lagging-follower").expect("the lesson in Chinese");
    // The writes: every 200 ms from 400 to 1800 ms, but not at 800 ms.
    let writes: Vec<f64> = s
        .file
        .events
        .iter()
        .filter_map(|e| match e {
            quorum_core::sim::scenario::EventSpec::Request { at_ms, .. } => Some(*at_ms),
            _ => None,
        })
        .collect();
    assert_eq!(
        writes,
        [400.0, 600.0, 1000.0, 1200.0, 1400.0, 1600.0, 1800.0]
    );
    says_both(
        &s,
        &z,
        0.0,
        "every 200 ms from 400 ms to 1800 ms, except at 800 ms",
        "从 400 毫秒到 1800 毫秒，每 200 毫秒一个条目，800 毫秒时除外",
    );
    let (t, l) = tr.leader_of(1).unwrap();
    assert_eq!(l, 1);
    near(t, 213.0, "S1 leads");
    near(tr.committed(1, 1).unwrap(), 242.0, "no-op committed");
    says_both(
        &s,
        &z,
        220.0,
        "S1 is leader of term 1 from 213 ms",
        "S1 从 213 毫秒起是任期 1 的领导者",
    );
    says_both(&s, &z, 220.0, "committed at 242 ms", "于 242 毫秒提交");
    near(tr.committed(1, 2).unwrap(), 445.0, "put x=1 committed");
    for i in 2..=5 {
        tr.appended(i, 2);
    }
    says_both(&s, &z, 450.0, "commits at 445 ms", "在 445 毫秒提交");
    near(tr.committed(1, 3).unwrap(), 644.0, "put y=2 committed");
    says_both(
        &s,
        &z,
        650.0,
        "index 3 (644 ms)",
        "在索引 3 提交（644 毫秒）",
    );
    // S4 is down from 800 ms to 2200 ms and misses indexes 4-8, which commit anyway.
    assert!(at(&s, 799.0).is_up(4) && !at(&s, 801.0).is_up(4));
    says_both(
        &s,
        &z,
        805.0,
        "At 800 ms follower S4 crashes",
        "800 毫秒时，跟随者 S4 崩溃",
    );
    let t4 = tr.committed(1, 4).unwrap();
    near(t4, 1042.0, "index 4 commits");
    let lost = tr.sends(|from, to, m| {
        from == 1
            && to == 4
            && matches!(m, Message::AppendEntries(AppendEntries { prev_log_index: 3, entries, .. }) if entries.len() == 1)
    });
    assert_eq!(tr.dropped_why(lost[0].1), Some("crashed"));
    says_both(
        &s,
        &z,
        1050.0,
        "The copy for S4 is lost",
        "发给 S4 的副本丢失了",
    );
    says_both(
        &s,
        &z,
        1050.0,
        "index 4 commits at 1042 ms",
        "索引 4 在 1042 毫秒提交",
    );
    near(tr.committed(1, 5).unwrap(), 1246.0, "index 5 commits");
    near(tr.committed(1, 8).unwrap(), 1840.0, "index 8 commits");
    says_both(&s, &z, 1850.0, "(1246 to 1840 ms)", "（1246 到 1840 毫秒）");
    let down = at(&s, 2199.0);
    assert!(!down.is_up(4));
    assert_eq!(node(&down, 4).log().last_index(), 3);
    assert_eq!(node(&down, 1).commit_index(), 8);
    assert!(tr.appends(4, 4).iter().all(|a| a.0 > ms(2200)));
    says_both(
        &s,
        &z,
        2205.0,
        "At 2200 ms S4 restarts with its old log, which ends at index 3",
        "2200 毫秒时，S4 带着旧日志重启，它的日志止于索引 3",
    );
    // The repair: one rejection with a hint, then indexes 4-8 at once.
    let rej = tr.sends(|from, to, m| from == 4 && to == 1 && is_mismatch(m));
    assert_eq!(rej.len(), 1, "exactly one rejection");
    near(rej[0].0, 2232.0, "S4 says no");
    says_both(&s, &z, 2234.0, "index 8, term 1", "索引 8、任期 1");
    says_both(&s, &z, 2234.0, "(2232 ms)", "（2232 毫秒）");
    says_both(
        &s,
        &z,
        2234.0,
        "its log ends at index 3",
        "它的日志止于索引 3",
    );
    match rej[0].4 {
        Message::AppendEntriesReply(AppendEntriesReply {
            prev_log_index,
            conflict_term,
            conflict_index,
            ..
        }) => assert_eq!(
            (*prev_log_index, *conflict_term, *conflict_index),
            (8, None, 4)
        ),
        m => panic!("{m:?}"),
    }
    let fix = tr
        .sends(|from, to, m| from == 1 && to == 4 && entries_of(m) > 0)
        .into_iter()
        .find(|x| x.0 > rej[0].0)
        .unwrap();
    near(fix.0, 2251.0, "S1 resends");
    assert!(
        matches!(fix.4, Message::AppendEntries(AppendEntries { prev_log_index: 3, entries, .. }) if entries.len() == 5)
    );
    assert!(answer(&s, 0).starts_with("Index 4"));
    says_both(&s, &z, 2255.0, "nextIndex to 4", "nextIndex 设为 4");
    says_both(
        &s,
        &z,
        2255.0,
        "indexes 4 to 8 in one AppendEntries (2251 ms)",
        "在一个 AppendEntries 中发送索引 4 到 8（2251 毫秒）",
    );
    for i in 4..=8 {
        near(tr.appended(4, i), 2271.0, "S4 appends");
    }
    near(tr.committed(4, 8).unwrap(), 2271.0, "S4 commits 8");
    says_both(
        &s,
        &z,
        2272.0,
        "appends indexes 4 to 8, and learns that they are all committed (2271 ms)",
        "追加索引 4 到 8，并得知它们都已提交（2271 毫秒）",
    );
    assert_eq!(assert_converged(&sim).len(), 8);
    says_both(&s, &z, 2900.0, "the same 8 entries", "相同的 8 个条目");
}

#[test]
fn lesson_partition_cap() {
    let (s, sim, tr) = run("lesson-partition-cap");
    let z = zh("lesson-partition-cap").expect("the lesson in Chinese");
    let (t, l) = tr.leader_of(1).unwrap();
    assert_eq!(l, 1);
    near(t, 213.0, "S1 leads");
    says_both(
        &s,
        &z,
        0.0,
        "S1 will win the first election, at 213 ms",
        "S1 将在 213 毫秒赢得第一次选举",
    );
    near(tr.committed(1, 2).unwrap(), 539.0, "put x=1 commits");
    for i in 1..=5 {
        assert!(tr.appends(i, 2)[0].2.contains(r#""value":"1""#));
    }
    says_both(
        &s,
        &z,
        545.0,
        "committed at index 2 (539 ms)",
        "在索引 2 提交（539 毫秒）",
    );
    // The write sent to the minority leader.
    let a1 = tr.appends(1, 3);
    near(a1[0].0, 1064.0, "S1 appends put x=2");
    assert!(a1[0].1 == 1 && a1[0].2.contains(r#""value":"2""#));
    near(tr.appended(2, 3), 1080.0, "S2 copies it");
    says_both(&s, &z, 1085.0, "index 3 (1064 ms)", "索引 3（1064 毫秒）");
    says_both(
        &s,
        &z,
        1085.0,
        "S2 copies it (1080 ms)",
        "S2 复制了它（1080 毫秒）",
    );
    // CAP: while partitioned, the minority's commitIndex does not move, and the
    // majority's does. S1 keeps believing it leads.
    let mut sim2 = Simulator::from_scenario(&s);
    let mut maj = Vec::new();
    for step in 0..40 {
        let t = ms(1000) + step * ms(50) - 1;
        sim2.run_until(t);
        for i in [1, 2] {
            assert_eq!(node(&sim2, i).commit_index(), 2, "S{i} at {t} µs");
        }
        assert_eq!(node(&sim2, 1).role(), Role::Leader);
        assert_eq!(node(&sim2, 1).current_term(), 1);
        maj.push(node(&sim2, 4).commit_index());
    }
    assert!(
        maj.windows(2).all(|w| w[0] <= w[1]) && *maj.last().unwrap() >= 4,
        "{maj:?}"
    );
    assert!(answer(&s, 0).starts_with("No"));
    // The majority elects S3 and commits.
    let c: Vec<_> = tr
        .candidacies()
        .into_iter()
        .filter(|c| c.0 > ms(1000))
        .collect();
    assert_eq!((c[0].1, c[0].2), (3, 2));
    near(c[0].0, 1159.0, "S3 times out");
    says_both(
        &s,
        &z,
        1165.0,
        "(1159 ms): it starts term 2",
        "（1159 毫秒）：它发起任期 2",
    );
    assert_eq!(voters(&tr.votes_for(2, 3)), [4, 5]);
    says_both(
        &s,
        &z,
        1195.0,
        "S4 and S5 vote for S3",
        "S4 和 S5 投票给 S3",
    );
    let (t, l) = tr.leader_of(2).unwrap();
    assert_eq!(l, 3);
    near(t, 1192.0, "S3 leads term 2");
    says_both(
        &s,
        &z,
        1195.0,
        "S3 leads term 2 from 1192 ms",
        "S3 从 1192 毫秒起领导任期 2",
    );
    near(tr.committed(3, 3).unwrap(), 1217.0, "S3 commits its no-op");
    says_both(
        &s,
        &z,
        1220.0,
        "S3 commits its no-op at index 3 (1217 ms)",
        "S3 在索引 3 提交它的空操作条目（1217 毫秒）",
    );
    near(tr.committed(3, 4).unwrap(), 1682.0, "put x=3 commits");
    assert!(tr.appends(3, 4)[0].2.contains(r#""value":"3""#));
    // put x=3 went to S4, which pointed the client to S3.
    let q3 = tr.requests(|c, _, _| c == 3);
    assert_eq!(q3.iter().map(|x| x.3).collect::<Vec<_>>(), [4, 3]);
    assert!(matches!(
        tr.replies_to(3)[0].3,
        ClientResponse::NotLeader { hint: Some(3) }
    ));
    says_both(
        &s,
        &z,
        1690.0,
        "sent to S4, which points the client to its leader, S3",
        "被发给 S4，S4 把客户端指向它的领导者 S3",
    );
    says_both(
        &s,
        &z,
        1690.0,
        "at index 4 at 1682 ms",
        "在 1682 毫秒于索引 4 提交",
    );
    // The read on the minority side: sent to S2, which points it to S1.
    let q4 = tr.requests(|c, _, _| c == 4);
    assert_eq!(q4.iter().map(|x| x.3).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(q4[0].0, ms(2000));
    assert!(matches!(
        tr.replies_to(4)[0].3,
        ClientResponse::NotLeader { hint: Some(1) }
    ));
    says_both(
        &s,
        &z,
        2050.0,
        "At 2000 ms a client asks S2 to read x. S2 points it to its leader, S1",
        "2000 毫秒时，一个客户端请求 S2 读取 x。S2 把它指向自己的领导者 S1",
    );
    let g = tr.appends(1, 4);
    near(g[0].0, 2046.0, "S1 appends the read");
    assert!(g[0].2.contains(r#""type":"get""#));
    says_both(&s, &z, 2050.0, "index 4 (2046 ms)", "索引 4（2046 毫秒）");
    let (t, r) = tr.returned(2);
    near(t, 2550.0, "put x=2 gives up");
    assert_eq!(r, timeout());
    says_both(
        &s,
        &z,
        2555.0,
        "gives up after 1.5 s (2550 ms)",
        "在 1.5 秒后放弃（2550 毫秒）",
    );
    let (t, r) = tr.returned(4);
    near(t, 3500.0, "the read gives up");
    assert_eq!(r, timeout());
    says_both(&s, &z, 3505.0, "(3500 ms)", "（3500 毫秒）");
    assert_eq!(tr.returned(3).1, OpResult::Ok);
    // The heal: S1 and S2 step down and drop indexes 3-4.
    let down: Vec<_> = tr
        .roles(Role::Follower)
        .into_iter()
        .filter(|r| r.0 > ms(3000) && r.2 == 2)
        .collect();
    assert_eq!(down[0].1, 1);
    near(down[0].0, 3042.0, "S1 steps down");
    says_both(
        &s,
        &z,
        3065.0,
        "reaches S1 at 3042 ms with term 2, and S1 steps down",
        "在 3042 毫秒带着任期 2 到达 S1，S1 退位",
    );
    let tr_ = tr.truncates();
    assert_eq!(tr_.len(), 2);
    assert_eq!((tr_[0].1, tr_[0].2, tr_[1].1, tr_[1].2), (1, 3, 2, 3));
    assert_eq!(node(&at(&s, 3052.0), 1).log().last_index(), 4);
    near(tr_[0].0, 3053.0, "S1 truncates");
    near(tr_[1].0, 3061.0, "S2 truncates");
    says_both(
        &s,
        &z,
        3065.0,
        "At 3053 ms it deletes its uncommitted indexes 3 and 4",
        "3053 毫秒时，它删除自己未提交的索引 3 和 4",
    );
    says_both(
        &s,
        &z,
        3065.0,
        "S2 does the same (3061 ms)",
        "S2 也这样做（3061 毫秒）",
    );
    assert_converged(&sim);
    for i in 1..=5 {
        assert_eq!(node(&sim, i).kv().get("x"), Some("3"), "S{i}");
    }
    says_both(
        &s,
        &z,
        3900.0,
        "x=3 on every server",
        "每台服务器上都是 x=3",
    );
}

#[test]
fn lesson_old_leader_rejoins() {
    let (s, sim, tr) = run("lesson-old-leader-rejoins");
    let z = zh("lesson-old-leader-rejoins").expect("the lesson in Chinese");
    let (t, l) = tr.leader_of(1).unwrap();
    assert_eq!(l, 2);
    near(t, 175.0, "S2 leads");
    says_both(
        &s,
        &z,
        0.0,
        "S2 will win the first election, at 175 ms",
        "S2 将在 175 毫秒赢得第一次选举",
    );
    near(tr.committed(2, 2).unwrap(), 477.0, "put x=1 commits");
    says_both(
        &s,
        &z,
        490.0,
        "committed at index 2 (477 ms)",
        "在索引 2 提交（477 毫秒）",
    );
    // Cut off, S2 takes two writes no one else ever sees.
    let a = tr.appends(2, 3);
    near(a[0].0, 914.0, "S2 appends stale-1");
    assert!(a[0].2.contains("stale-1") && a[0].1 == 1);
    says_both(&s, &z, 920.0, "index 3 (914 ms)", "索引 3（914 毫秒）");
    let b = tr.appends(2, 4);
    near(b[0].0, 1014.0, "S2 appends stale-2");
    assert!(b[0].2.contains("stale-2") && b[0].1 == 1);
    says_both(
        &s,
        &z,
        1020.0,
        "index 4 on S2 (1014 ms)",
        "S2 上的索引 4（1014 毫秒）",
    );
    for r in &tr {
        if let TraceEvent::Append { node, op, .. } = &r.ev {
            assert!(
                *node == 2 || !kv_op(op).contains("stale"),
                "S{node} got a stale write"
            );
        }
    }
    let c: Vec<_> = tr
        .candidacies()
        .into_iter()
        .filter(|c| c.0 > ms(800))
        .collect();
    assert_eq!((c[0].1, c[0].2), (3, 2));
    near(c[0].0, 962.0, "S3 times out");
    says_both(
        &s,
        &z,
        965.0,
        "(962 ms): it starts term 2",
        "（962 毫秒）：它发起任期 2",
    );
    assert_eq!(voters(&tr.votes_for(2, 3)), [5, 4, 1]);
    says_both(
        &s,
        &z,
        995.0,
        "S5, S4 and S1 vote for S3",
        "S5、S4 和 S1 投票给 S3",
    );
    let (t, l) = tr.leader_of(2).unwrap();
    assert_eq!(l, 3);
    near(t, 992.0, "S3 leads term 2");
    says_both(
        &s,
        &z,
        995.0,
        "At 992 ms S3 leads term 2",
        "992 毫秒时，S3 领导任期 2",
    );
    near(tr.committed(3, 3).unwrap(), 1024.0, "S3 commits its no-op");
    says_both(
        &s,
        &z,
        1030.0,
        "S3 commits its no-op at index 3 (1024 ms)",
        "S3 在索引 3 提交它的空操作条目（1024 毫秒）",
    );
    near(tr.committed(3, 4).unwrap(), 1550.0, "put x=2 commits");
    says_both(
        &s,
        &z,
        1560.0,
        "commits at index 4 on the majority side (1550 ms)",
        "在多数派一侧的索引 4 提交（1550 毫秒）",
    );
    near(tr.committed(3, 5).unwrap(), 1747.0, "put y=3 commits");
    says_both(
        &s,
        &z,
        1760.0,
        "commits at index 5 (1747 ms)",
        "在索引 5 提交（1747 毫秒）",
    );
    // Just before the heal: two leaders, of different terms.
    let before = at(&s, 2499.0);
    let s2 = node(&before, 2);
    assert_eq!(
        (s2.role(), s2.current_term(), s2.commit_index()),
        (Role::Leader, 1, 2)
    );
    assert_eq!(s2.log().last_index(), 4);
    assert_eq!(node(&before, 3).role(), Role::Leader);
    says_both(&s, &z, 995.0, "S2 still leads term 1", "S2 仍领导着任期 1");
    let (t, r) = tr.returned(2);
    near(t, 2400.0, "stale-1 gives up");
    assert_eq!(r, timeout());
    says_both(
        &s,
        &z,
        2405.0,
        "gives up after 1.5 s (2400 ms)",
        "在 1.5 秒后放弃（2400 毫秒）",
    );
    let (t, r) = tr.returned(3);
    near(t, 2500.0, "stale-2 gives up");
    assert_eq!(r, timeout());
    says_both(
        &s,
        &z,
        2505.0,
        "(The client of y=stale-2 gives up at the same moment.)",
        "（y=stale-2 的客户端也在同一时刻放弃。）",
    );
    // The heal: S2's term-1 heartbeats, the term-2 refusals, the step-down.
    let hb = tr
        .sends(|from, _, m| {
            from == 2 && matches!(m, Message::AppendEntries(AppendEntries { term: 1, .. }))
        })
        .into_iter()
        .find(|x| x.0 > ms(2500))
        .unwrap();
    near(hb.0, 2525.0, "S2's heartbeat");
    says_both(
        &s,
        &z,
        2530.0,
        "It sends its heartbeats for term 1 (2525 ms)",
        "它发出任期 1 的心跳（2525 毫秒）",
    );
    let refusals = tr.sends(|_, to, m| {
        to == 2
            && matches!(
                m,
                Message::AppendEntriesReply(AppendEntriesReply {
                    term: 2,
                    success: false,
                    ..
                })
            )
    });
    assert_eq!(refusals.len(), 4);
    let down = tr
        .roles(Role::Follower)
        .into_iter()
        .find(|r| r.1 == 2 && r.2 == 2)
        .unwrap();
    near(down.0, 2553.0, "S2 steps down");
    says_both(
        &s,
        &z,
        2555.0,
        "reply with their term, 2",
        "附上自己的任期 2",
    );
    says_both(
        &s,
        &z,
        2555.0,
        "At 2553 ms S2 sees it and steps down",
        "2553 毫秒时，S2 看到它并退位",
    );
    assert_eq!(tr.truncates().len(), 1);
    let (tt, n, from) = tr.truncates()[0];
    assert_eq!((n, from), (2, 3));
    near(tt, 2559.0, "S2 deletes indexes 3-4");
    for i in 3..=5 {
        assert_eq!(tr.appends(2, i).last().unwrap().0, tt);
    }
    says_both(
        &s,
        &z,
        2565.0,
        "reaches S2 at 2559 ms",
        "在 2559 毫秒到达 S2",
    );
    says_both(
        &s,
        &z,
        2565.0,
        "S2 deletes indexes 3 and 4 and appends S3's indexes 3 to 5",
        "S2 删除索引 3 和 4，并追加 S3 的索引 3 到 5",
    );
    assert!(answer(&s, 0).contains("deletes them"));
    let terms = assert_converged(&sim);
    assert_eq!(terms, [1, 1, 2, 2, 2]);
    for i in 1..=5 {
        let kv = node(&sim, i).kv();
        assert_eq!((kv.get("x"), kv.get("y")), (Some("2"), Some("3")), "S{i}");
    }
    says_both(&s, &z, 3400.0, "with x=2 and y=3", "x=2、y=3");
}

#[test]
fn lesson_lossy_network() {
    let (s, sim, tr) = run("lesson-lossy-network");
    let z = zh("lesson-lossy-network").expect("the lesson in Chinese");
    // One leader all run.
    assert_eq!(tr.leaders().into_iter().collect::<Vec<_>>(), [(1, vec![1])]);
    let c = tr.candidacies();
    assert_eq!(c.iter().map(|x| x.1).collect::<Vec<_>>(), [1, 4]);
    near(c[0].0, 167.0, "S1 stands");
    near(c[1].0, 176.0, "S4 stands");
    says_both(&s, &z, 200.0, "(167 and 176 ms)", "（167 和 176 毫秒）");
    assert_eq!(voters(&tr.votes_for(1, 1)), [2, 3, 5]);
    says_both(
        &s,
        &z,
        200.0,
        "S2, S3 and S5 voted for S1",
        "S2、S3 和 S5 投票给 S1",
    );
    near(tr.leader_of(1).unwrap().0, 195.0, "S1 leads");
    says_both(
        &s,
        &z,
        200.0,
        "leads from 195 ms",
        "从 195 毫秒起成为领导者",
    );
    // Client 1's put x=1: its OK is lost, its retry duplicated.
    let session = |client: u64| format!(r#""client":{client},"op_id":1"#);
    let i2 = tr.appends(1, 2);
    near(i2[0].0, 415.0, "put x=1 at index 2");
    assert!(i2[0].2.contains(r#""key":"x","value":"1""#) && i2[0].2.contains(&session(1)));
    let r1 = tr.replies_to(1);
    near(r1[0].0, 443.0, "S1 answers client 1");
    assert_eq!(tr.dropped_why(r1[0].1), Some("loss"), "the answer is lost");
    says_both(&s, &z, 445.0, "index 2 (415 ms)", "索引 2（415 毫秒）");
    says_both(
        &s,
        &z,
        445.0,
        "answers OK (443 ms), but the network loses the answer",
        "回答 OK（443 毫秒），但网络丢失了这个回答",
    );
    let q1 = tr.requests(|c, _, _| c == 1);
    assert_eq!(
        q1.iter().map(|x| x.3).collect::<Vec<_>>(),
        [1, 2, 1, 2, 3, 1]
    );
    near(q1[1].0, 500.0, "client 1 tries S2");
    says_both(&s, &z, 552.0, "at 500 ms it tries S2", "在 500 毫秒改试 S2");
    assert!(matches!(
        r1[1].3,
        ClientResponse::NotLeader { hint: Some(1) }
    ));
    let dup = q1[2].1;
    assert_eq!(tr.delivered(dup).len(), 2, "the retry is duplicated");
    for (i, t) in [(4, 547.0), (5, 549.0)] {
        let a = tr.appends(1, i);
        near(a[0].0, t, "put x=1 again");
        assert_eq!(a[0].2, i2[0].2, "index {i} repeats index 2");
    }
    says_both(
        &s,
        &z,
        552.0,
        "as indexes 4 and 5 (547 and 549 ms)",
        "作为索引 4 和 5（547 和 549 毫秒）",
    );
    near(r1[2].0, 576.0, "the answer to the repeat");
    assert!(matches!(r1[2].3, ClientResponse::Done { .. }));
    assert_eq!(tr.dropped_why(r1[2].1), Some("loss"), "lost too");
    let (t, r) = tr.returned(1);
    near(t, 768.0, "client 1's OK");
    assert_eq!(r, OpResult::Ok);
    says_both(&s, &z, 770.0, "lost too (576 ms)", "也丢失了（576 毫秒）");
    says_both(&s, &z, 770.0, "gets its OK at 768 ms", "在 768 毫秒收到 OK");
    // Client 18's put y=18 lands four times around client 20's put y=20.
    let i24 = tr.appends(1, 24);
    near(i24[0].0, 2455.0, "put y=18 at index 24");
    assert!(i24[0].2.contains(r#""key":"y","value":"18""#) && i24[0].2.contains(&session(18)));
    let r18 = tr.replies_to(18);
    near(r18[0].0, 2480.0, "S1 answers client 18");
    assert_eq!(tr.dropped_why(r18[0].1), Some("loss"));
    says_both(
        &s,
        &z,
        2485.0,
        "index 24 (2455 ms). Again S1's OK is lost (2480 ms)",
        "索引 24（2455 毫秒）。S1 的 OK 又丢失了（2480 毫秒）",
    );
    let q18 = tr.requests(|c, _, _| c == 18);
    assert_eq!(q18.iter().map(|x| x.3).collect::<Vec<_>>(), [1, 2, 1, 2, 1]);
    near(q18[1].0, 2540.0, "client 18 tries S2");
    says_both(
        &s,
        &z,
        2620.0,
        "At 2540 ms client 18 tries S2",
        "2540 毫秒时，客户端 18 改试 S2",
    );
    assert!(matches!(
        r18[1].3,
        ClientResponse::NotLeader { hint: Some(1) }
    ));
    let i26 = tr.appends(1, 26);
    near(i26[0].0, 2581.0, "put y=18 again");
    assert_eq!(i26[0].2, i24[0].2, "index 26 repeats index 24");
    near(r18[2].0, 2613.0, "the second OK");
    assert_eq!(tr.dropped_why(r18[2].1), Some("loss"));
    says_both(
        &s,
        &z,
        2620.0,
        "as index 26 (2581 ms), and again the OK is lost (2613 ms)",
        "作为索引 26（2581 毫秒），OK 又丢失了（2613 毫秒）",
    );
    assert_eq!(
        tr.delivered(q18[4].1).len(),
        2,
        "the last try is duplicated"
    );
    for (i, t) in [(28, 2704.0), (29, 2710.0)] {
        let a = tr.appends(1, i);
        near(a[0].0, t, "put y=18 again");
        assert_eq!(a[0].2, i24[0].2, "index {i} repeats index 24");
    }
    let i27 = tr.appends(1, 27);
    near(i27[0].0, 2692.0, "put y=20 at index 27");
    assert!(i27[0].2.contains(r#""key":"y","value":"20""#) && i27[0].2.contains(&session(20)));
    says_both(
        &s,
        &z,
        2712.0,
        "indexes 28 and 29 (2704 and 2710 ms)",
        "索引 28 和 29（2704 和 2710 毫秒）",
    );
    says_both(&s, &z, 2712.0, "index 27 (2692 ms)", "索引 27（2692 毫秒）");
    let twice: Vec<LogIndex> = node(&sim, 1)
        .log()
        .iter()
        .zip(1..)
        .filter(|(e, _)| e.cmd.session().is_some_and(|x| x.client == 18))
        .map(|(_, i)| i)
        .collect();
    assert_eq!(twice, [24, 26, 28, 29]);
    let t28 = tr.applied(1, 28).unwrap();
    near(t28, 2730.0, "index 28 applied");
    says_both(&s, &z, 2760.0, "applied at 2730 ms", "在 2730 毫秒被应用");
    let after = at(&s, t28 as f64 / 1000.0 + 0.001);
    assert_eq!(node(&after, 1).last_applied(), 28);
    assert_eq!(
        node(&after, 1).kv().get("y"),
        Some("20"),
        "the repeat was skipped"
    );
    says_both(&s, &z, 2760.0, "y stays 20", "y 保持为 20");
    assert_eq!(answer(&s, 0), "20");
    let (t, r) = tr.returned(18);
    near(t, 2749.0, "client 18's OK");
    assert_eq!(r, OpResult::Ok);
    says_both(
        &s,
        &z,
        2760.0,
        "gets its OK at 2749 ms",
        "在 2749 毫秒收到 OK",
    );
    // The read at the end, and the totals.
    let (t, r) = tr.returned(31);
    near(t, 4493.0, "the read");
    says_both(&s, &z, 4500.0, "returns 7 (4493 ms)", "返回 7（4493 毫秒）");
    assert_eq!(
        r,
        OpResult::Value {
            value: Some("7".into())
        }
    );
    let st = sim.stats();
    assert_eq!((st.dropped_loss, st.duplicated), (108, 121));
    assert_eq!(
        (st.client_dropped, st.client_sent, st.client_duplicated),
        (10, 106, 13)
    );
    says_both(
        &s,
        &z,
        4950.0,
        "108 of the servers' messages were lost and 121 duplicated",
        "服务器的消息中有 108 条丢失、121 条重复",
    );
    says_both(
        &s,
        &z,
        4950.0,
        "10 of the 106 client requests and answers were lost and 13 duplicated",
        "106 个客户端请求和回答中有 10 个丢失、13 个重复",
    );
    let rs = tr.returns();
    assert_eq!(rs.len(), 31);
    assert!(rs.iter().all(|r| !matches!(r.2, OpResult::Error { .. })));
    says_both(
        &s,
        &z,
        4950.0,
        "all 31 requests were answered",
        "31 个请求全部得到了回答",
    );
    assert_eq!(assert_converged(&sim).len(), 45);
    says_both(&s, &z, 4950.0, "the same 45 entries", "相同的 45 个条目");
    for i in 1..=5 {
        assert_eq!(node(&sim, i).kv().get("z"), Some("7"));
        assert_eq!(node(&sim, i).kv().get("y"), Some("30"));
    }
}

/// Lesson 8, in English and Chinese: every fact below is checked against
/// both captions. That the history is linearizable is checked by
/// `verify/tests/client_network.rs` (the linearizability checker lives in
/// quorum-verify).
#[test]
fn lesson_client_stranded() {
    let (s, sim, tr) = run("lesson-client-stranded");
    let z = zh("lesson-client-stranded").expect("the lesson in Chinese");
    let ms_zh = |t: f64| format!("{t} 毫秒");
    let timed_out = |c: u64, op: u64| {
        tr.iter().find_map(|r| match &r.ev {
            TraceEvent::Return {
                client,
                op_id,
                result,
                ..
            } if *client == c && *op_id == op => Some((r.t, result.clone())),
            _ => None,
        })
    };
    // S1 leads term 1 from 29 ms, forced.
    assert_eq!(tr.leader_of(1).map(|l| l.1), Some(1));
    near(tr.leader_of(1).unwrap().0, 29.0, "S1 leads");
    says_both(&s, &z, 0.0, "from 29 ms", &ms_zh(29.0));
    says_both(&s, &z, 0.0, "C1 and C2", "C1 和 C2");
    says_both(
        &s,
        &z,
        0.0,
        "1.4 is C1's 4th operation",
        "1.4 是 C1 的第 4 个操作",
    );
    // C2's first request: S2 hints, C2 sends it on to S1.
    let c2 = tr.requests(|c, _, _| c == 2);
    assert_eq!((c2[0].3, c2[1].3), (2, 1));
    near(c2[0].0, 219.0, "C2's first request");
    let r2 = tr.replies_to(2);
    assert_eq!(r2[0].2, 2);
    assert!(matches!(
        r2[0].3,
        ClientResponse::NotLeader { hint: Some(1) }
    ));
    near(r2[0].0, 232.0, "S2's hint");
    near(c2[1].0, 244.0, "on to S1");
    says_both(&s, &z, 250.0, "(232 ms)", &ms_zh(232.0));
    says_both(&s, &z, 250.0, "(244 ms)", &ms_zh(244.0));
    // Before the partition: k1 = 2.3 (C2's 3rd operation), index 7
    // committed.
    let before = at(&s, 989.0);
    assert_eq!(node(&before, 1).commit_index(), 7);
    assert_eq!(node(&before, 1).kv().get("k1"), Some("2.3"));
    assert!(node(&before, 1)
        .log()
        .entry(7)
        .and_then(|e| e.cmd.session())
        .is_some_and(|x| (x.client, x.op_id) == (2, 3)));
    says_both(&s, &z, 985.0, "k1 = 2.3", "k1 = 2.3");
    says_both(&s, &z, 985.0, "C2's 3rd operation", "C2 的第 3 个操作");
    says_both(&s, &z, 985.0, "index 7", "索引 7");
    // The partition names the clients.
    let groups = tr
        .iter()
        .find_map(|r| match &r.ev {
            TraceEvent::Partition { groups } if r.t == ms(990) => Some(groups.clone()),
            _ => None,
        })
        .unwrap();
    let c = Endpoint::Client;
    assert_eq!(
        groups,
        [
            vec![1.into(), c(1)],
            vec![2.into(), 3.into(), 4.into(), 5.into(), c(2)]
        ]
    );
    says_both(&s, &z, 995.0, "At 990 ms", &ms_zh(990.0));
    says_both(&s, &z, 995.0, "S1 and C1 on one side", "S1 和 C1 在一侧");
    // C1's put k1=1.4 reaches S1, is appended at index 8, never commits.
    let put = tr.requests(|c, _, op| c == 1 && op == 4);
    near(put[0].0, 1138.0, "C1 sends put k1=1.4");
    assert_eq!(put[0].3, 1);
    let i8 = tr.appends(1, 8);
    near(i8[0].0, 1149.0, "S1 appends index 8");
    assert!(
        i8[0].2.contains(r#""value":"1.4","client":1,"op_id":4"#),
        "{}",
        i8[0].2
    );
    let out = tr.sends(|from, _, m| from == 1 && entries_of(m) > 0);
    let lost: Vec<_> = out
        .iter()
        .filter(|x| x.0 >= ms(990) && x.0 < ms(3500))
        .collect();
    assert!(
        !lost.is_empty()
            && lost
                .iter()
                .all(|x| tr.dropped_why(x.1) == Some("partition"))
    );
    assert!(
        tr.committed(1, 8).unwrap() > ms(3500),
        "S1 commits nothing while cut off"
    );
    says_both(&s, &z, 1155.0, "(1138 ms)", &ms_zh(1138.0));
    says_both(&s, &z, 1155.0, "index 8 (1149 ms)", "索引 8（1149 毫秒）");
    // The majority elects S4 in term 2.
    let cand: Vec<_> = tr.candidacies().into_iter().filter(|c| c.2 == 2).collect();
    assert_eq!(cand.iter().map(|c| c.1).collect::<Vec<_>>(), [4]);
    near(cand[0].0, 1111.0, "S4 stands");
    assert_eq!(voters(&tr.votes_for(2, 4)), [3, 2, 5]);
    assert_eq!(tr.leader_of(2).map(|l| l.1), Some(4));
    near(tr.leader_of(2).unwrap().0, 1138.0, "S4 leads");
    says_both(&s, &z, 1140.0, "1111 ms", &ms_zh(1111.0));
    says_both(&s, &z, 1140.0, "S2, S3 and S5", "S2、S3 和 S5");
    says_both(&s, &z, 1140.0, "from 1138 ms", &ms_zh(1138.0));
    // C2's get: lost on the way to S1; 300 ms later C2 tries S2, which
    // points it to S4; S4 commits the read and answers k1 = 2.3.
    let get2 = tr.requests(|c, _, op| c == 2 && op == 4);
    assert_eq!(get2.iter().map(|x| x.3).collect::<Vec<_>>(), [1, 2, 4]);
    near(get2[0].0, 1125.0, "C2's get to S1");
    assert_eq!(tr.dropped_why(get2[0].1), Some("partition"));
    assert_eq!(get2[1].0 - get2[0].0, ms(300));
    assert!(tr.replies_to(2).iter().any(|x| x.0 > get2[1].0
        && x.0 < get2[2].0
        && x.2 == 2
        && matches!(x.3, ClientResponse::NotLeader { hint: Some(4) })));
    let (t, r) = timed_out(2, 4).unwrap();
    near(t, 1513.0, "C2's answer");
    assert_eq!(
        r,
        OpResult::Value {
            value: Some("2.3".into())
        }
    );
    let read2 = tr.appends(4, 9);
    assert!(read2[0]
        .2
        .contains(r#""type":"get","key":"k1","client":2,"op_id":4"#));
    assert!(tr.committed(4, 9).unwrap() < t);
    says_both(&s, &z, 1520.0, "(1125 ms)", &ms_zh(1125.0));
    says_both(&s, &z, 1520.0, "1513 ms", &ms_zh(1513.0));
    says_both(&s, &z, 1520.0, "points it to S4", "指向 S4");
    says_both(&s, &z, 1520.0, "k1 = 2.3", "k1 = 2.3");
    // C1 tries S2, S3, S4; all lost; the put times out.
    let tries: Vec<_> = put.iter().skip(1).map(|x| (x.3, x.0)).collect();
    assert_eq!(tries.iter().map(|x| x.0).collect::<Vec<_>>(), [2, 3, 4]);
    for (t, want) in tries.iter().zip([1438.0, 1738.0, 2038.0]) {
        near(t.1, want, "C1 tries another server");
    }
    assert!(put
        .iter()
        .skip(1)
        .all(|x| tr.dropped_why(x.1) == Some("partition")));
    let (t, r) = timed_out(1, 4).unwrap();
    near(t, 2138.0, "C1's put times out");
    assert_eq!(r, timeout());
    says_both(
        &s,
        &z,
        2145.0,
        "S2 (1438 ms), S3 (1738 ms) and S4 (2038 ms)",
        "S2（1438 毫秒）、S3（1738 毫秒）和 S4（2038 毫秒）",
    );
    says_both(&s, &z, 2145.0, "At 2138 ms", &ms_zh(2138.0));
    // S4 keeps serving C2: every answer C2 gets while cut off from S1
    // comes from S4.
    assert!(tr
        .replies_to(2)
        .iter()
        .filter(|x| x.0 > ms(990) && x.0 < ms(3500))
        .all(|x| x.2 == 4 || matches!(x.3, ClientResponse::NotLeader { .. })));
    says_both(&s, &z, 2890.0, "S4 keeps serving C2", "S4 继续为 C2 服务");
    let c2_results = tr.client_results();
    let put_ok = |value: &str| {
        c2_results.iter().find_map(|((c, op), (o, r))| {
            (*c == 2 && kv_op_value(o) == Some(value) && *r == OpResult::Ok).then_some(*op)
        })
    };
    for (value, t) in [("2.7", 2322.0), ("2.8", 2597.0), ("2.9", 2883.0)] {
        let op = put_ok(value).unwrap_or_else(|| panic!("put k1={value}"));
        near(timed_out(2, op).unwrap().0, t, "C2's put");
        says_both(
            &s,
            &z,
            2890.0,
            &format!("put k1={value} ({t} ms)"),
            &format!("put k1={value}（{t} 毫秒）"),
        );
    }
    // C1's read reaches S1, which holds a stale k1 = 2.3 while the
    // majority has committed 2.9.
    let get = tr.requests(|c, _, op| c == 1 && op == 5);
    assert_eq!(get.iter().map(|x| x.3).collect::<Vec<_>>(), [4, 5, 1, 2]);
    assert!([0, 1, 3]
        .iter()
        .all(|&i| tr.dropped_why(get[i].1) == Some("partition")));
    let arrives = tr.delivered(get[2].1);
    near(arrives[0], 2942.0, "the read reaches S1");
    let i9 = tr.appends(1, 9);
    near(i9[0].0, 2942.0, "S1 appends the read");
    assert!(i9[0]
        .2
        .contains(r#""type":"get","key":"k1","client":1,"op_id":5"#));
    let then = at(&s, 2943.0);
    assert_eq!(node(&then, 1).role(), Role::Leader);
    assert_eq!(node(&then, 1).kv().get("k1"), Some("2.3"));
    for i in 2..=5 {
        assert_eq!(node(&then, i).kv().get("k1"), Some("2.9"));
    }
    says_both(&s, &z, 2945.0, "(2942 ms)", &ms_zh(2942.0));
    says_both(&s, &z, 2945.0, "k1 = 2.3", "k1 = 2.3");
    says_both(&s, &z, 2945.0, "committed 2.9", "提交了 2.9");
    says_both(&s, &z, 2950.0, "index 9", "索引 9");
    // The question, in both languages.
    let q = &s.file.questions[0];
    let qz = &z.questions[0];
    assert!(answer(&s, 0).starts_with("No"));
    assert!(qz.choices[q.answer].starts_with("不应该"));
    assert!(q.question.contains("k1 = 2.3") && qz.question.contains("k1 = 2.3"));
    assert!(q.explain.contains("S4 leads term 2, and k1 is 2.9"));
    assert!(qz.explain.contains("S4 是任期 2 的领导者，而 k1 已是 2.9"));
    // The read times out: S1 never answers C1 while cut off.
    let (t, r) = timed_out(1, 5).unwrap();
    near(t, 3325.0, "C1's read times out");
    assert_eq!(r, timeout());
    assert!(tr
        .replies_to(1)
        .iter()
        .all(|x| x.0 < ms(990) || x.0 > ms(3500)));
    says_both(&s, &z, 3330.0, "(3325 ms)", &ms_zh(3325.0));
    // The heal: S1 steps down and deletes C1's put and read.
    let down = tr
        .roles(Role::Follower)
        .into_iter()
        .find(|r| r.1 == 1 && r.2 == 2)
        .unwrap();
    near(down.0, 3557.0, "S1 steps down");
    assert!(tr.truncates().contains(&(down.0, 1, 8)));
    // It is S4's AppendEntries, of term 2, that reaches S1 then.
    assert!(tr
        .sends(|from, to, m| from == 4
            && to == 1
            && matches!(m, Message::AppendEntries(a) if a.term == 2))
        .iter()
        .any(|x| tr.delivered(x.1).contains(&down.0)));
    says_both(&s, &z, 3560.0, "S4's AppendEntries", "S4 的 AppendEntries");
    says_both(&s, &z, 3560.0, "(3557 ms)", &ms_zh(3557.0));
    says_both(&s, &z, 3560.0, "indexes 8 and 9", "索引 8 和 9");
    for i in 1..=5 {
        assert!(node(&sim, i).log().iter().all(|e| e
            .cmd
            .session()
            .is_none_or(|x| (x.client, x.op_id) != (1, 4) && (x.client, x.op_id) != (1, 5))));
    }
    // C1 is served again: its next operation, put k1=1.6, goes to S2,
    // which points it to S4, and S4 commits it.
    let put6 = tr.requests(|c, _, op| c == 1 && op == 6);
    assert_eq!(put6.iter().map(|x| x.3).collect::<Vec<_>>(), [2, 4]);
    assert!(tr.replies_to(1).iter().any(|x| x.0 > put6[0].0
        && x.0 < put6[1].0
        && x.2 == 2
        && matches!(x.3, ClientResponse::NotLeader { hint: Some(4) })));
    let (t, r) = timed_out(1, 6).unwrap();
    near(t, 3692.0, "C1's next put");
    assert_eq!(r, OpResult::Ok);
    assert_eq!(kv_op_value(&tr.client_results()[&(1, 6)].0), Some("1.6"));
    says_both(&s, &z, 3700.0, "put k1=1.6", "put k1=1.6");
    says_both(&s, &z, 3700.0, "points it to S4", "指向 S4");
    says_both(&s, &z, 3700.0, "3692 ms", &ms_zh(3692.0));
    // C2 was served all along; C1 got nothing while stranded.
    let rs = tr.returns();
    assert!(rs
        .iter()
        .filter(|r| r.1 == 2)
        .all(|r| !matches!(r.2, OpResult::Error { .. })));
    let stranded: Vec<_> = rs
        .iter()
        .filter(|r| r.1 == 1 && r.0 > ms(990) && r.0 < ms(3500))
        .collect();
    assert!(stranded.len() == 2 && stranded.iter().all(|r| r.2 == timeout()));
    assert_converged(&sim);
}

/// The text of question `i`'s right answer in the Chinese catalogue.
fn answer_zh<'a>(s: &Scenario, z: &'a Zh, i: usize) -> &'a str {
    &z.questions[i].choices[s.file.questions[i].answer]
}

/// The partition that began at `t_ms`.
fn partition_at(tr: &Trace, t_ms: u64) -> Vec<Vec<Endpoint>> {
    tr.iter()
        .find_map(|r| match &r.ev {
            TraceEvent::Partition { groups } if r.t == ms(t_ms) => Some(groups.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no partition at {t_ms} ms"))
}

/// A `set` event ran at `t_ms`: the options of every server just before
/// and just after it.
fn set_at(s: &Scenario, tr: &Trace, t_ms: u64) -> [Vec<RaftConfig>; 2] {
    assert!(
        tr.iter()
            .any(|r| r.t == ms(t_ms) && matches!(r.ev, TraceEvent::Set { .. })),
        "no set event at {t_ms} ms"
    );
    [t_ms as f64 - 0.001, t_ms as f64 + 0.001].map(|t| {
        let sim = at(s, t);
        (1..=sim.node_count())
            .map(|i| node(&sim, i).options().clone())
            .collect()
    })
}

fn is_request_vote(m: &Message, term: Term) -> bool {
    matches!(m, Message::RequestVote(RequestVote { term: t, .. }) if *t == term)
}

fn vote_reply(m: &Message) -> Option<(Term, bool)> {
    match m {
        Message::RequestVoteReply(r) => Some((r.term, r.vote_granted)),
        _ => None,
    }
}

/// Lesson 9, in English and Chinese: a server cut off raises its term and
/// deposes a healthy leader when it returns; with PreVote it does not.
#[test]
fn lesson_server_came_back() {
    let (s, sim, tr) = run("lesson-server-came-back");
    let z = zh("lesson-server-came-back").expect("the lesson in Chinese");
    let ms_zh = |t: f64| format!("{t} 毫秒");
    // S1 leads term 1 from 190 ms; put x=1 commits at index 2.
    let (t, l) = tr.leader_of(1).unwrap();
    assert_eq!(l, 1);
    near(t, 190.0, "S1 leads");
    says_both(
        &s,
        &z,
        0.0,
        "S1 will win the first election, at 190 ms",
        "S1 将在 190 毫秒赢得第一次选举",
    );
    assert!(tr.appends(1, 2)[0].2.contains(r#""key":"x","value":"1""#));
    near(tr.committed(1, 2).unwrap(), 441.0, "put x=1 commits");
    says_both(
        &s,
        &z,
        445.0,
        "committed at index 2 (441 ms)",
        "在索引 2 提交（441 毫秒）",
    );
    // S5 alone is cut off at 600 ms; S1 still leads a majority.
    assert_eq!(partition_at(&tr, 600), [vec![5.into()]]);
    says_both(
        &s,
        &z,
        605.0,
        "At 600 ms S5 is cut off from the other four",
        "600 毫秒时，S5 与其他四台服务器隔断",
    );
    // Cut off, S5 stands in terms 2 to 7; every RequestVote is lost.
    let c5: Vec<_> = tr
        .candidacies()
        .into_iter()
        .filter(|c| c.0 > ms(600) && c.0 < ms(2100))
        .collect();
    assert!(c5.iter().all(|c| c.1 == 5), "{c5:?}");
    assert_eq!(
        c5.iter().map(|c| c.2).collect::<Vec<_>>(),
        (2..=7).collect::<Vec<_>>()
    );
    near(c5[0].0, 833.0, "S5 stands for term 2");
    near(c5[5].0, 2000.0, "S5 stands for term 7");
    let asks = tr.sends(|from, _, m| from == 5 && matches!(m, Message::RequestVote(_)));
    assert!(asks
        .iter()
        .filter(|x| x.0 < ms(2100))
        .all(|x| tr.dropped_why(x.1) == Some("partition")));
    says_both(
        &s,
        &z,
        840.0,
        "Its election timer runs out at 833 ms and it stands for term 2",
        "它的选举计时器在 833 毫秒到期，它发起任期 2 的选举",
    );
    says_both(
        &s,
        &z,
        2005.0,
        "terms 2 to 7, the last at 2000 ms",
        "从任期 2 到任期 7，最后一次在 2000 毫秒",
    );
    // put x=2 commits at index 3 without S5.
    assert!(tr.appends(1, 3)[0].2.contains(r#""key":"x","value":"2""#));
    near(tr.committed(1, 3).unwrap(), 1048.0, "put x=2 commits");
    says_both(
        &s,
        &z,
        1050.0,
        "committed at index 3 (1048 ms)",
        "在索引 3 提交（1048 毫秒）",
    );
    says_both(&s, &z, 1050.0, "S5 does not have it", "S5 没有这个条目");
    // Just before the heal: S5 in term 7, the others in term 1 under S1.
    let before = at(&s, 2099.0);
    assert_eq!(all_terms(&before), [1, 1, 1, 1, 7]);
    assert_eq!(node(&before, 1).role(), Role::Leader);
    assert_eq!(node(&before, 5).log().last_index(), 2);
    for i in 2..=4 {
        assert_eq!(node(&before, i).log().last_index(), 3, "S{i}");
    }
    says_both(
        &s,
        &z,
        2005.0,
        "The others are still in term 1",
        "其他服务器仍在任期 1",
    );
    // The heal: S1's heartbeat reaches S5, S5 answers with term 7, S1
    // steps down.
    let hb = tr
        .sends(|from, to, m| {
            from == 1 && to == 5 && matches!(m, Message::AppendEntries(a) if a.term == 1)
        })
        .into_iter()
        .find(|x| x.0 > ms(2100))
        .unwrap();
    near(hb.0, 2140.0, "S1's heartbeat to S5");
    assert!(!tr.delivered(hb.1).is_empty());
    let refusal = tr
        .sends(|from, to, m| {
            from == 5
                && to == 1
                && matches!(m, Message::AppendEntriesReply(r) if r.term == 7 && !r.success)
        })
        .into_iter()
        .next()
        .unwrap();
    let down = tr
        .roles(Role::Follower)
        .into_iter()
        .find(|r| r.1 == 1 && r.2 == 7)
        .unwrap();
    near(down.0, 2171.0, "S1 steps down");
    assert_eq!(tr.delivered(refusal.1), [down.0]);
    says_both(&s, &z, 2175.0, "(sent at 2140 ms)", "（2140 毫秒发出）");
    says_both(
        &s,
        &z,
        2175.0,
        "answers with its term, 7",
        "附上自己的任期 7",
    );
    says_both(
        &s,
        &z,
        2175.0,
        "At 2171 ms S1 sees the higher term and steps down",
        "2171 毫秒时，S1 看到更高的任期并退位",
    );
    assert!(answer(&s, 0).starts_with("S1 steps down"));
    assert!(answer_zh(&s, &z, 0).starts_with("S1 退位"));
    // S5 stands for term 8 and is refused by all four: its log is behind.
    let c8: Vec<_> = tr.candidacies().into_iter().filter(|c| c.2 == 8).collect();
    assert_eq!(c8.len(), 1);
    assert_eq!(c8[0].1, 5);
    near(c8[0].0, 2254.0, "S5 stands for term 8");
    let refused: Vec<NodeId> = tr
        .sends(|_, to, m| to == 5 && vote_reply(m) == Some((8, false)))
        .iter()
        .map(|x| x.2)
        .collect();
    assert_eq!(refused, [1, 2, 3, 4]);
    assert!(tr.votes_for(8, 5).is_empty());
    says_both(
        &s,
        &z,
        2280.0,
        "S5 stands for term 8 (2254 ms)",
        "S5 发起任期 8 的选举（2254 毫秒）",
    );
    says_both(
        &s,
        &z,
        2280.0,
        "S5's log lacks index 3",
        "S5 的日志缺少索引 3",
    );
    // S4 wins term 9, with every vote; no term from 2 to 8 had a leader.
    let c9: Vec<_> = tr.candidacies().into_iter().filter(|c| c.2 == 9).collect();
    assert_eq!(c9.len(), 1);
    assert_eq!(c9[0].1, 4);
    near(c9[0].0, 2337.0, "S4 stands for term 9");
    assert_eq!(voters(&tr.votes_for(9, 4)), [5, 1, 3, 2]);
    let (lead9, l) = tr.leader_of(9).unwrap();
    assert_eq!(l, 4);
    near(lead9, 2366.0, "S4 leads term 9");
    for term in 2..=8 {
        assert_eq!(tr.leader_of(term), None, "term {term}");
    }
    assert_eq!(((lead9 - down.0) as f64 / 1000.0).round(), 195.0);
    says_both(
        &s,
        &z,
        2370.0,
        "S4 stands for term 9 (2337 ms)",
        "S4 发起任期 9 的选举（2337 毫秒）",
    );
    says_both(
        &s,
        &z,
        2370.0,
        "S5, S1, S3 and S2 vote for it",
        "S5、S1、S3 和 S2 投票给它",
    );
    says_both(
        &s,
        &z,
        2370.0,
        "S4 leads from 2366 ms",
        "S4 从 2366 毫秒起成为领导者",
    );
    says_both(
        &s,
        &z,
        2370.0,
        "For 195 ms the cluster had no leader",
        "集群有 195 毫秒没有领导者",
    );
    // PreVote on for everyone at 3000 ms; S5 cut off again at 3200 ms.
    let [off, on] = set_at(&s, &tr, 3000);
    assert!(off.iter().all(|o| !o.pre_vote) && on.iter().all(|o| o.pre_vote));
    says_both(
        &s,
        &z,
        3005.0,
        "At 3000 ms PreVote is switched on for every server",
        "3000 毫秒时，所有服务器打开 PreVote",
    );
    assert_eq!(partition_at(&tr, 3200), [vec![5.into()]]);
    says_both(
        &s,
        &z,
        3205.0,
        "At 3200 ms S5 is cut off again.",
        "3200 毫秒时，S5 再次被隔断。",
    );
    // S5 asks for pre-votes for term 10 six times, all lost; it never
    // becomes a candidate, and no server's role or term changes again.
    let mut pv: Vec<u64> = tr
        .sends(|from, _, m| {
            from == 5 && matches!(m, Message::PreVote(RequestVote { term: 10, .. }))
        })
        .iter()
        .map(|x| {
            assert_eq!(tr.dropped_why(x.1), Some("partition"));
            x.0
        })
        .collect();
    pv.dedup();
    assert_eq!(pv.len(), 6);
    near(pv[0], 3455.0, "S5's first pre-vote");
    near(pv[5], 4585.0, "S5's last pre-vote");
    assert!(!tr
        .iter()
        .any(|r| r.t > ms(3000) && matches!(r.ev, TraceEvent::Role { .. })));
    let cut = at(&s, 4699.0);
    assert_eq!(all_terms(&cut), [9; 5]);
    assert_eq!(node(&cut, 5).role(), Role::Follower);
    says_both(
        &s,
        &z,
        3460.0,
        "S5's timer runs out at 3455 ms. It sends PreVote for term 10",
        "S5 的计时器在 3455 毫秒到期。它发出任期 10 的 PreVote",
    );
    says_both(
        &s,
        &z,
        3460.0,
        "it stays a follower in term 9",
        "仍是任期 9 的跟随者",
    );
    says_both(
        &s,
        &z,
        4600.0,
        "6 times while cut off (3455 to 4585 ms)",
        "6 次预投票（3455 到 4585 毫秒）",
    );
    says_both(&s, &z, 4600.0, "It is still in term 9.", "它仍在任期 9。");
    // put x=3 commits at index 5 without S5.
    assert!(tr.appends(4, 5)[0].2.contains(r#""key":"x","value":"3""#));
    near(tr.committed(4, 5).unwrap(), 3642.0, "put x=3 commits");
    says_both(
        &s,
        &z,
        3645.0,
        "committed at index 5 (3642 ms)",
        "在索引 5 提交（3642 毫秒）",
    );
    // The heal: S5 takes index 5 from S4 and follows it, in term 9.
    near(tr.appends(5, 5)[0].0, 4768.0, "S5 takes index 5");
    near(tr.committed(5, 5).unwrap(), 4768.0, "S5 commits index 5");
    says_both(
        &s,
        &z,
        4770.0,
        "commits it (4768 ms)",
        &format!("提交它（{}）", ms_zh(4768.0)),
    );
    says_both(
        &s,
        &z,
        4770.0,
        "S5 follows S4 in term 9",
        "S5 在任期 9 跟随 S4",
    );
    assert!(answer(&s, 1).starts_with("Nothing: S4 leads on"));
    assert!(answer_zh(&s, &z, 1).starts_with("什么也不会发生：S4 继续领导"));
    assert_eq!(stable_leader(&sim), Some(4));
    assert_eq!(node(&sim, 5).leader_id(), Some(4));
    assert_eq!(assert_converged(&sim), [1, 1, 1, 9, 9]);
    for i in 1..=5 {
        assert_eq!(node(&sim, i).kv().get("x"), Some("3"), "S{i}");
    }
    says_both(&s, &z, 5100.0, "All five hold x=3", "五台服务器都有 x=3");
}

/// Lesson 10, in English and Chinese: one-way cuts to the leader stall the
/// cluster until CheckQuorum makes the leader step down.
#[test]
fn lesson_leader_cannot_hear() {
    let (s, sim, tr) = run("lesson-leader-cannot-hear");
    let z = zh("lesson-leader-cannot-hear").expect("the lesson in Chinese");
    let (t, l) = tr.leader_of(1).unwrap();
    assert_eq!(l, 1);
    near(t, 27.0, "S1 leads");
    says_both(
        &s,
        &z,
        0.0,
        "S1 leads term 1 from 27 ms",
        "S1 从 27 毫秒起领导任期 1",
    );
    near(tr.committed(1, 2).unwrap(), 345.0, "put x=1 commits");
    says_both(
        &s,
        &z,
        0.0,
        "put x=1 is committed at index 2 (345 ms)",
        "put x=1 在索引 2 提交（345 毫秒）",
    );
    // The cuts: S2→S1 and S3→S1, at 800 ms.
    let cuts: Vec<(u64, Endpoint, Endpoint)> = tr
        .iter()
        .filter_map(|r| match &r.ev {
            TraceEvent::Cut { from, to } => Some((r.t, *from, *to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        cuts,
        [(ms(800), 2.into(), 1.into()), (ms(800), 3.into(), 1.into())]
    );
    says_both(
        &s,
        &z,
        805.0,
        "two links are cut, one way only: S2→S1 and S3→S1",
        "两条链路被切断，而且只断一个方向：S2→S1 和 S3→S1",
    );
    // Nothing from S2 or S3 reaches S1 from then on; S1 still reaches them.
    let to1 = tr.sends(|from, to, _| from != 1 && to == 1);
    assert!(to1
        .iter()
        .filter(|x| x.0 >= ms(800))
        .all(|x| tr.dropped_why(x.1) == Some("cut")));
    let from1 = tr.sends(|from, _, m| from == 1 && is_append(m));
    assert!(from1
        .iter()
        .filter(|x| x.0 >= ms(800))
        .all(|x| !tr.delivered(x.1).is_empty()));
    // put x=2: on all three logs at index 3, never committed by S1.
    for (i, want) in [(1, 1011.0), (2, 1021.0), (3, 1027.0)] {
        let a = tr.appends(i, 3);
        assert!(a[0].2.contains(r#""key":"x","value":"2""#));
        near(a[0].0, want, "put x=2 appended");
    }
    assert_eq!(tr.committed(1, 3), None, "S1 never commits index 3");
    says_both(
        &s,
        &z,
        1030.0,
        "S1 appends it at index 3 (1011 ms), and S2 and S3 store it too (1021 and 1027 ms)",
        "S1 把它追加到索引 3（1011 毫秒），S2 和 S3 也存储了它（1021 和 1027 毫秒）",
    );
    // S1's heartbeats keep arriving, well within the shortest election
    // timeout, so no one stands until CheckQuorum.
    for f in [2, 3] {
        let mut arrivals: Vec<u64> = tr
            .sends(|from, to, m| from == 1 && to == f && is_append(m))
            .iter()
            .flat_map(|x| tr.delivered(x.1))
            .filter(|&t| t > ms(800) && t < ms(2269))
            .collect();
        arrivals.sort();
        let gap = arrivals.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        assert!(gap < ms(150), "S{f}: {gap} µs between heartbeats");
        let sent: Vec<u64> = from1
            .iter()
            .filter(|x| x.3 == f && x.0 > ms(800) && x.0 < ms(2269))
            .map(|x| x.0)
            .collect();
        assert!(sent.windows(2).all(|w| w[1] - w[0] <= ms(50)));
    }
    assert!(tr
        .candidacies()
        .iter()
        .all(|c| c.0 < ms(800) || c.0 > ms(2269)));
    assert_eq!(tr.max_commit_by(ms(2269)), 2);
    says_both(
        &s,
        &z,
        1505.0,
        "S1's heartbeats reach S2 and S3 every 50 ms, and each one resets their election timers",
        "S1 的心跳每 50 毫秒到达 S2 和 S3 一次，每一次都重置它们的选举计时器",
    );
    assert!(answer(&s, 0).starts_with("S1's heartbeats still reach them"));
    assert!(answer_zh(&s, &z, 0).starts_with("S1 的心跳仍能到达它们"));
    // The client gives up at 2000 ms.
    let (t, r) = tr.returned(2);
    near(t, 2000.0, "put x=2 times out");
    assert_eq!(r, timeout());
    says_both(
        &s,
        &z,
        2005.0,
        "gives up on put x=2 at 2000 ms",
        "在 2000 毫秒放弃了 put x=2",
    );
    // CheckQuorum at 2100 ms: S1 steps down at 2269 ms, in term 1.
    let [off, on] = set_at(&s, &tr, 2100);
    assert!(off.iter().all(|o| !o.check_quorum) && on.iter().all(|o| o.check_quorum));
    says_both(
        &s,
        &z,
        2105.0,
        "At 2100 ms CheckQuorum is switched on for every server",
        "2100 毫秒时，所有服务器打开 CheckQuorum",
    );
    let down = tr
        .roles(Role::Follower)
        .into_iter()
        .find(|r| r.1 == 1 && r.0 > ms(2100))
        .unwrap();
    assert_eq!(down.2, 1, "in its own term");
    near(down.0, 2269.0, "S1 steps down");
    assert!(from1.iter().all(|x| x.0 <= down.0), "its heartbeats stop");
    says_both(
        &s,
        &z,
        2275.0,
        "S1's timer runs out at 2269 ms",
        "S1 的计时器在 2269 毫秒到期",
    );
    says_both(&s, &z, 2275.0, "still in term 1", "仍在任期 1");
    // Term 2: S2 first, ignored by S3 (no answer, no term change); then
    // S3 and S1; no one wins.
    let c2: Vec<_> = tr.candidacies().into_iter().filter(|c| c.2 == 2).collect();
    assert_eq!(c2.iter().map(|c| c.1).collect::<Vec<_>>(), [2, 3, 1]);
    near(c2[0].0, 2434.0, "S2 stands for term 2");
    near(c2[1].0, 2483.0, "S3 stands for term 2");
    near(c2[2].0, 2504.0, "S1 stands for term 2");
    let ask = tr
        .sends(|from, to, m| from == 2 && to == 3 && is_request_vote(m, 2))
        .into_iter()
        .next()
        .unwrap();
    let reached = tr.delivered(ask.1)[0];
    assert!(reached < c2[1].0, "S3 had S2's request before it stood");
    assert!(tr
        .sends(|from, to, m| from == 3 && to == 2 && vote_reply(m).is_some())
        .iter()
        .all(|x| x.0 > c2[1].0));
    let s3 = at(&s, reached as f64 / 1000.0 + 0.001);
    assert_eq!(node(&s3, 3).current_term(), 1);
    assert_eq!(
        node(&s3, 3).leader_id(),
        Some(1),
        "S3 still counts S1 as its leader"
    );
    assert_eq!(tr.leader_of(2), None);
    for c in 1..=3 {
        assert!(tr.votes_for(2, c).is_empty(), "a vote for S{c} in term 2");
    }
    says_both(
        &s,
        &z,
        2440.0,
        "S2's timer runs out first (2434 ms)",
        "S2 的计时器最先到期（2434 毫秒）",
    );
    says_both(
        &s,
        &z,
        2440.0,
        "it ignores the request altogether",
        "完全忽略这个请求",
    );
    says_both(
        &s,
        &z,
        2510.0,
        "S3 (2483 ms) and S1 (2504 ms) stand for term 2 as well",
        "S3（2483 毫秒）和 S1（2504 毫秒）也发起任期 2 的选举",
    );
    // Term 3: S2 again; S3 votes; S2 leads.
    let c3 = tr.candidacies().into_iter().find(|c| c.2 == 3).unwrap();
    assert_eq!(c3.1, 2);
    near(c3.0, 2705.0, "S2 stands for term 3");
    assert_eq!(voters(&tr.votes_for(3, 2)), [3]);
    let (lead3, l) = tr.leader_of(3).unwrap();
    assert_eq!(l, 2);
    near(lead3, 2734.0, "S2 leads term 3");
    says_both(
        &s,
        &z,
        2736.0,
        "S2 stands again, for term 3 (2705 ms)",
        "S2 再次参选，这次是任期 3（2705 毫秒）",
    );
    says_both(
        &s,
        &z,
        2736.0,
        "S2 leads term 3 from 2734 ms",
        "S2 从 2734 毫秒起领导任期 3",
    );
    // The question: the no-op at index 4 commits index 3, put x=2.
    let t4 = tr.committed(2, 4).unwrap();
    near(t4, 2770.0, "S2 commits index 4");
    assert_eq!(tr.committed(2, 3), Some(t4), "index 3 with it");
    assert_eq!(tr.applied(2, 3), Some(t4));
    assert!(tr.appends(2, 4)[0].2.contains("noop"));
    assert_eq!(
        node(&at(&s, t4 as f64 / 1000.0 + 0.001), 2).kv().get("x"),
        Some("2")
    );
    assert!(answer(&s, 1).starts_with("Yes"));
    assert!(answer_zh(&s, &z, 1).starts_with("会"));
    says_both(
        &s,
        &z,
        2775.0,
        "S2 commits its no-op at index 4 (2770 ms), and with it index 3",
        "S2 在索引 4 提交它的空操作条目（2770 毫秒），索引 3 也随之提交",
    );
    // put x=3 commits at index 5.
    assert!(tr.appends(2, 5)[0].2.contains(r#""key":"x","value":"3""#));
    near(tr.committed(2, 5).unwrap(), 3147.0, "put x=3 commits");
    assert_eq!(tr.returned(3).1, OpResult::Ok);
    says_both(
        &s,
        &z,
        3150.0,
        "committed at index 5 (3147 ms)",
        "在索引 5 提交（3147 毫秒）",
    );
    // S1 stands in terms 2 to 8; from term 4 on S2 and S3 do not answer.
    let c1: Vec<Term> = tr
        .candidacies()
        .into_iter()
        .filter(|c| c.1 == 1 && c.0 > ms(2100))
        .map(|c| c.2)
        .collect();
    assert_eq!(c1, (2..=8).collect::<Vec<_>>());
    assert!(tr
        .sends(|from, to, m| from != 1 && to == 1 && vote_reply(m).is_some_and(|r| r.0 >= 4))
        .is_empty());
    assert_eq!([2, 3].map(|i| node(&sim, i).current_term()), [3, 3]);
    assert_eq!(node(&sim, 1).current_term(), 8);
    assert_eq!(
        (
            node(&sim, 1).log().last_index(),
            node(&sim, 1).commit_index()
        ),
        (3, 2)
    );
    says_both(&s, &z, 3930.0, "terms 2 to 8", "从任期 2 到任期 8");
    says_both(
        &s,
        &z,
        3930.0,
        "From term 4 on, S2 and S3 hear from their leader and ignore these requests",
        "从任期 4 起，S2 和 S3 能收到自己领导者的消息，于是忽略这些请求",
    );
    says_both(
        &s,
        &z,
        3930.0,
        "Its log still ends at index 3",
        "它的日志仍止于索引 3",
    );
    // S2 and S3 agree, all committed.
    let (s2, s3) = (node(&sim, 2), node(&sim, 3));
    assert_eq!(s2.log(), s3.log());
    assert_eq!((s2.commit_index(), s3.commit_index()), (5, 5));
    assert_eq!(s3.kv().get("x"), Some("3"));
}

/// Lesson 11, in English and Chinese: a leadership transfer with clients
/// running (thesis §3.10).
#[test]
fn lesson_handing_over() {
    let (s, sim, tr) = run("lesson-handing-over");
    let z = zh("lesson-handing-over").expect("the lesson in Chinese");
    let results = tr.client_results();
    let (t, l) = tr.leader_of(1).unwrap();
    assert_eq!(l, 1);
    near(t, 22.0, "S1 leads");
    says_both(
        &s,
        &z,
        0.0,
        "it leads term 1 from 22 ms",
        "从 22 毫秒起，S1 领导任期 1",
    );
    assert_eq!(kv_op_value(&results[&(1, 15)].0), Some("1.15"));
    says_both(
        &s,
        &z,
        0.0,
        "1.15 is C1's 15th operation",
        "1.15 是 C1 的第 15 个操作",
    );
    // S3 down from 700 to 1500 ms; S1 and S2 commit on.
    let downs: Vec<_> = tr
        .iter()
        .filter_map(|r| match r.ev {
            TraceEvent::Crash { node } => Some((r.t, node)),
            TraceEvent::Restart { node } => Some((r.t, node + 100)),
            _ => None,
        })
        .collect();
    assert_eq!(downs, [(ms(700), 3), (ms(1500), 103)]);
    says_both(
        &s,
        &z,
        705.0,
        "At 700 ms S3 is taken down",
        "700 毫秒时 S3 停机",
    );
    let before = at(&s, 1499.0);
    assert_eq!(node(&at(&s, 700.0), 1).commit_index(), 14);
    assert_eq!(node(&before, 1).commit_index(), 29);
    assert_eq!(node(&before, 3).log().last_index(), 14);
    says_both(
        &s,
        &z,
        1490.0,
        "By 1500 ms S1 has committed index 29. S3, still down, holds only 14 entries.",
        "到 1500 毫秒时，S1 已提交到索引 29。仍在停机的 S3 只有 14 个条目。",
    );
    // The transfer is asked for at 1500 ms; S1 begins it at once.
    let transfers: Vec<(u64, NodeId, Option<NodeId>)> = tr
        .iter()
        .filter_map(|r| match r.ev {
            TraceEvent::Transfer { node, to } => Some((r.t, node, to)),
            _ => None,
        })
        .collect();
    assert!(tr
        .iter()
        .any(|r| r.t == ms(1500) && matches!(r.ev, TraceEvent::TransferLeader { to: 3 })));
    assert_eq!(transfers.len(), 2);
    assert_eq!(transfers[0], (ms(1500), 1, Some(3)));
    says_both(
        &s,
        &z,
        1502.0,
        "S1 is asked to hand leadership to S3 (transfer_leader; thesis §3.10)",
        "S1 被要求把领导权移交给 S3（transfer_leader；博士论文 §3.10）",
    );
    // S1 refuses C1's put and C2's get, pointing to S3, and appends
    // nothing while it hands over.
    let refused = |client: u64| {
        tr.replies_to(client)
            .into_iter()
            .find(|x| x.0 > ms(1500))
            .unwrap()
    };
    let (r1, r2) = (refused(1), refused(2));
    for (r, client, t) in [(&r1, 1, 1517.0), (&r2, 2, 1525.0)] {
        assert_eq!(r.2, 1);
        assert!(matches!(r.3, ClientResponse::NotLeader { hint: Some(3) }));
        assert_eq!(
            tr.iter().find_map(|x| match x.ev {
                TraceEvent::Reply { id, op_id, .. } if id == r.1 => Some(op_id),
                _ => None,
            }),
            Some(15),
            "C{client}'s 15th operation"
        );
        near(r.0, t, "S1 refuses");
    }
    assert!(matches!(results[&(2, 15)].0, KvOp::Get { .. }));
    let (t_done, from, to) = transfers[1];
    assert_eq!((from, to), (1, None), "the transfer ends");
    assert!(!tr.iter().any(|r| r.t >= ms(1500)
        && r.t <= t_done
        && matches!(r.ev, TraceEvent::Append { node: 1, .. })));
    says_both(
        &s,
        &z,
        1530.0,
        "C1's put k1=1.15 (1517 ms) and C2's get (1525 ms)",
        "C1 的 put k1=1.15（1517 毫秒）和 C2 的 get（1525 毫秒）",
    );
    says_both(&s, &z, 1530.0, "with S3 as the hint", "提示去找 S3");
    assert!(answer(&s, 0).starts_with("Refuse it"));
    assert!(answer_zh(&s, &z, 0).starts_with("拒绝它"));
    // The catch-up: a refused heartbeat, then indexes 15 to 29.
    let refusal = tr
        .sends(|from, to, m| {
            from == 3
                && to == 1
                && is_mismatch(m)
                && matches!(m, Message::AppendEntriesReply(r) if r.conflict_index == 15)
        })
        .into_iter()
        .find(|x| x.0 > ms(1500))
        .unwrap();
    near(refusal.0, 1534.0, "S3 refuses");
    let catch_up = tr
        .sends(|from, to, m| from == 1 && to == 3 && entries_of(m) == 15)
        .into_iter()
        .find(|x| x.0 > ms(1500))
        .unwrap();
    near(catch_up.0, 1547.0, "S1 sends indexes 15-29");
    assert!(matches!(
        catch_up.4,
        Message::AppendEntries(AppendEntries {
            prev_log_index: 14,
            ..
        })
    ));
    for i in 15..=29 {
        near(tr.appends(3, i)[0].0, 1558.0, "S3 appends");
    }
    says_both(
        &s,
        &z,
        1560.0,
        "its log ends at index 14 (1534 ms)",
        "它的日志止于索引 14（1534 毫秒）",
    );
    says_both(
        &s,
        &z,
        1560.0,
        "S1 sends indexes 15 to 29 (1547 ms), and S3 appends them (1558 ms)",
        "S1 发送索引 15 到 29（1547 毫秒），S3 追加了这些条目（1558 毫秒）",
    );
    // TimeoutNow once S3's log matches; S3 stands at once, marked as a
    // transfer.
    let tn = tr.sends(|from, to, m| from == 1 && to == 3 && matches!(m, Message::TimeoutNow(_)));
    assert_eq!(tn.len(), 1);
    near(tn[0].0, 1574.0, "TimeoutNow");
    let then = at(&s, tn[0].0 as f64 / 1000.0);
    assert_eq!(node(&then, 3).log().last_index(), 29);
    assert_eq!(node(&then, 1).log().last_index(), 29);
    says_both(
        &s,
        &z,
        1580.0,
        "At 1574 ms S1 sends TimeoutNow",
        "1574 毫秒时，S1 发送 TimeoutNow",
    );
    let c = tr.candidacies();
    assert_eq!(
        c.iter().map(|c| (c.1, c.2)).collect::<Vec<_>>(),
        [(1, 1), (3, 2)]
    );
    near(c[1].0, 1587.0, "S3 stands");
    assert_eq!(tr.delivered(tn[0].1), [c[1].0], "at once");
    let rv = tr.sends(|from, _, m| from == 3 && matches!(m, Message::RequestVote(_)));
    assert!(rv.iter().all(|x| matches!(
        x.4,
        Message::RequestVote(RequestVote { transfer: true, .. })
    )));
    says_both(
        &s,
        &z,
        1590.0,
        "S3 stands for term 2 at once (1587 ms)",
        "S3 立即发起任期 2 的选举（1587 毫秒）",
    );
    says_both(
        &s,
        &z,
        1590.0,
        "Its RequestVote is marked as a transfer",
        "它的 RequestVote 标明了这是一次移交",
    );
    // S1 and S2 vote; S3 leads term 2, 109 ms after the request.
    let v = tr.votes_for(2, 3);
    assert_eq!(voters(&v), [1, 2]);
    near(v[0].0, 1597.0, "S1 votes");
    near(v[1].0, 1600.0, "S2 votes");
    assert_eq!(t_done, v[0].0, "S1's transfer ends as it votes");
    let (lead, l) = tr.leader_of(2).unwrap();
    assert_eq!(l, 3);
    near(lead, 1609.0, "S3 leads");
    assert_eq!(((lead - ms(1500)) as f64 / 1000.0).round(), 109.0);
    says_both(
        &s,
        &z,
        1612.0,
        "S1 (1597 ms) and S2 (1600 ms) vote for S3",
        "S1（1597 毫秒）和 S2（1600 毫秒）投票给 S3",
    );
    says_both(
        &s,
        &z,
        1612.0,
        "S3 leads term 2 from 1609 ms, 109 ms after the request",
        "S3 从 1609 毫秒起领导任期 2，距移交请求 109 毫秒",
    );
    // The clients bounce between S1 and S3, then both succeed.
    for client in [1, 2] {
        assert!(tr.replies_to(client).iter().any(|x| x.0 > ms(1500)
            && x.0 < lead
            && x.2 == 3
            && matches!(x.3, ClientResponse::NotLeader { hint: Some(1) })));
    }
    let done = |client: u64| {
        tr.iter()
            .find_map(|r| match &r.ev {
                TraceEvent::Return {
                    client: c,
                    op_id: 15,
                    result,
                    ..
                } if *c == client => Some((r.t, result.clone())),
                _ => None,
            })
            .unwrap()
    };
    let (t2, res2) = done(2);
    near(t2, 1774.0, "C2's get");
    assert!(matches!(res2, OpResult::Value { .. }));
    let (t1, res1) = done(1);
    near(t1, 1795.0, "C1's put");
    assert_eq!(res1, OpResult::Ok);
    says_both(
        &s,
        &z,
        1800.0,
        "C2's get is answered at 1774 ms and C1's put at 1795 ms",
        "C2 的 get 在 1774 毫秒得到回答，C1 的 put 在 1795 毫秒得到回答",
    );
    says_both(
        &s,
        &z,
        1800.0,
        "S3 sent them back to S1",
        "它把客户端指回 S1",
    );
    assert!(answer(&s, 1).starts_with("The clients retry them at S3, and both succeed"));
    assert!(answer_zh(&s, &z, 1).starts_with("客户端在 S3 重试，两个操作都成功"));
    // Every operation answered, none failed.
    let rs = tr.returns();
    assert_eq!(rs.len(), 34);
    assert!(rs.iter().all(|r| !matches!(r.2, OpResult::Error { .. })));
    says_both(
        &s,
        &z,
        2100.0,
        "All 34 client operations were answered; none failed or timed out",
        "全部 34 个客户端操作都得到了回答；没有一个失败或超时",
    );
    assert_eq!(node(&sim, 1).role(), Role::Follower);
    assert_eq!(stable_leader(&sim), Some(3));
    says_both(&s, &z, 2100.0, "S1 is now a follower", "S1 现在是跟随者");
    assert_converged(&sim);
}

/// Lesson 12, in English and Chinese: reads through the log, with
/// ReadIndex and with a lease, and a lease computed without the clocks'
/// drift (the planted bug `lease_ignores_drift`) answering a stale read.
/// That the history is not linearizable is also checked by the CLI and
/// the page; here it is the stale value after a completed write.
#[test]
fn lesson_fast_reads() {
    let (s, sim, tr) = run("lesson-fast-reads");
    let z = zh("lesson-fast-reads").expect("the lesson in Chinese");
    let ms_zh = |t: f64| format!("{t} 毫秒");
    let value = |v: &str| OpResult::Value {
        value: Some(v.into()),
    };
    let reads: Vec<(u64, u64, LogIndex, Option<u64>)> = tr
        .iter()
        .filter_map(|r| match r.ev {
            TraceEvent::Read {
                node: 1,
                client,
                index,
                round,
                ..
            } => Some((r.t, client, index, round)),
            TraceEvent::Read { node, .. } => panic!("S{node} read"),
            _ => None,
        })
        .collect();
    assert_eq!(reads.len(), 3, "{reads:?}");
    // The clocks: S1 slow, S2 and S3 fast.
    let rate = |i: NodeId| sim.clock_rate_ppm(i).unwrap() as f64 / 1e6;
    let rates: Vec<String> = (1..=3).map(|i| format!("{:.2}×", rate(i))).collect();
    assert_eq!(rates, ["0.60×", "1.22×", "1.15×"]);
    says_both(
        &s,
        &z,
        0.0,
        "S1's runs at 0.60× real time",
        "S1 的时钟以真实时间的 0.60× 运行",
    );
    says_both(
        &s,
        &z,
        0.0,
        "election timeouts of 1000 to 1010 ms, heartbeats every 100 ms",
        "选举超时 1000 到 1010 毫秒，心跳每 100 毫秒一次",
    );
    says_both(
        &s,
        &z,
        0.0,
        "S2's at 1.22×, S3's at 1.15×",
        "S2 的为 1.22×，S3 的为 1.15×",
    );
    says_both(
        &s,
        &z,
        0.0,
        "timing.clock_drift 0.4",
        "timing.clock_drift 0.4",
    );
    assert_eq!(node(&sim, 1).options().clock_drift_ppm, 400_000);
    // PreVote, then S1 leads term 1.
    assert!(!tr
        .sends(|from, _, m| from == 1 && matches!(m, Message::PreVote(_)))
        .is_empty());
    let (t, l) = tr.leader_of(1).unwrap();
    assert_eq!(l, 1);
    near(t, 4.0, "S1 leads");
    says_both(
        &s,
        &z,
        0.0,
        "after a round of PreVote it leads term 1 from 4 ms",
        "经过一轮 PreVote 后，S1 从 4 毫秒起领导任期 1",
    );
    // Through the log: put x=1 at index 2, get x at index 3.
    near(tr.committed(1, 2).unwrap(), 204.0, "put x=1 commits");
    let get = tr.appends(1, 3);
    assert!(get[0].2.contains(r#""type":"get","key":"x","client":2"#));
    let (t, r) = tr.returned(2);
    assert_eq!(r, value("1"));
    let answered = tr.replies_to(2)[0].0;
    assert_eq!(tr.committed(1, 3), Some(answered));
    near(answered, 404.0, "S1 answers the get");
    assert!(t > answered);
    says_both(
        &s,
        &z,
        406.0,
        "put x=1 is committed at index 2 (204 ms)",
        "put x=1 在索引 2 提交（204 毫秒）",
    );
    says_both(
        &s,
        &z,
        406.0,
        "get x becomes index 3, and S1 answers x = 1 only once index 3 is committed (404 ms)",
        "get x 成为索引 3，S1 要等索引 3 提交后才回答 x = 1（404 毫秒）",
    );
    // ReadIndex from 600 ms: one round, no entry.
    let [before, after] = set_at(&s, &tr, 600);
    assert!(before.iter().all(|o| o.read == ReadMode::Log));
    assert!(after.iter().all(|o| o.read == ReadMode::ReadIndex));
    says_both(
        &s,
        &z,
        605.0,
        "At 600 ms reads switch to ReadIndex",
        "600 毫秒时，读请求改用 ReadIndex",
    );
    let (t, client, index, round) = reads[0];
    assert_eq!((client, index, round), (3, 3, Some(1)));
    near(t, 702.0, "the ReadIndex read");
    let round1 = tr.sends(|from, _, m| {
        from == 1 && matches!(m, Message::AppendEntries(a) if a.read_round == 1)
    });
    assert_eq!(
        round1.iter().map(|x| (x.0, x.3)).collect::<Vec<_>>(),
        [(t, 2), (t, 3)]
    );
    let acks: Vec<(u64, NodeId)> = tr
        .sends(|_, to, m| {
            to == 1 && matches!(m, Message::AppendEntriesReply(r) if r.read_round == 1)
        })
        .iter()
        .map(|x| (tr.delivered(x.1)[0], x.2))
        .collect();
    let reply = tr.replies_to(3)[0];
    near(reply.0, 705.0, "S1 answers");
    let first = *acks.iter().min().unwrap();
    assert_eq!(first, (reply.0, 3), "S3's answer, and S1 answers at once");
    assert!(acks.iter().any(|a| a.1 == 2 && a.0 > reply.0));
    assert_eq!(tr.returned(3).1, value("1"));
    for i in 1..=3 {
        assert_eq!(
            node(&sim, i).log().last_index(),
            5,
            "S{i}: no read in the log"
        );
    }
    assert!(!tr.iter().any(|r| r.t > ms(600)
        && matches!(r.ev, TraceEvent::Append { index, .. } if index == 4)
        && r.t < ms(2000)));
    says_both(
        &s,
        &z,
        706.0,
        "get x reaches S1 at 702 ms",
        "get x 在 702 毫秒到达 S1",
    );
    says_both(
        &s,
        &z,
        706.0,
        "notes its commitIndex, 3, as the read index, and begins heartbeat round 1",
        "把自己的 commitIndex 3 记为读索引，并开始第 1 轮心跳",
    );
    says_both(
        &s,
        &z,
        706.0,
        "S3's answer arrives first (705 ms)",
        "S3 的回应最先到达（705 毫秒）",
    );
    says_both(&s, &z, 706.0, "answers x = 1 at once", "立即回答 x = 1");
    says_both(
        &s,
        &z,
        706.0,
        "drawn as \"heartbeat, read round 1\"",
        "标为第 1 轮读取确认",
    );
    assert!(answer(&s, 0).starts_with("It sends one round of heartbeats"));
    assert!(answer_zh(&s, &z, 0).starts_with("发送一轮心跳"));
    // Leases from 900 ms: every heartbeat a round; the first at 1003 ms.
    let [_, after] = set_at(&s, &tr, 900);
    assert!(after.iter().all(|o| o.read == ReadMode::Lease));
    let rounds = tr.sends(|from, to, m| {
        from == 1 && to == 2 && matches!(m, Message::AppendEntries(a) if a.read_round > 1)
    });
    near(rounds[0].0, 1003.0, "the first lease round");
    // Heartbeats every 100 ms of S1's clock: 166 ms of real time.
    let every = (rounds[1].0 - rounds[0].0) as f64 / 1000.0;
    assert!((every - 100.0 / rate(1)).abs() < 0.01, "{every} ms");
    says_both(
        &s,
        &z,
        905.0,
        "The first is the round S1 begins at 1003 ms",
        "第一个是 S1 在 1003 毫秒开始的那一轮",
    );
    // The lease read: no round, answered at once, no message sent.
    let (t, client, _, round) = reads[1];
    assert_eq!((client, round), (4, None));
    near(t, 1101.0, "the lease read");
    assert_eq!(tr.replies_to(4)[0].0, t);
    assert!(!tr
        .iter()
        .any(|r| r.t == t && matches!(r.ev, TraceEvent::Send { .. })));
    assert_eq!(tr.returned(4).1, value("1"));
    says_both(
        &s,
        &z,
        1105.0,
        "get x at 1100 ms is answered at once (1101 ms)",
        "1100 毫秒的 get x 立即得到回答（1101 毫秒）",
    );
    // The bound: 1000 × (1 − d)/(1 + d) ms of S1's clock, 429 ms; the
    // bug takes all 1000 ms.
    let opts = node(&sim, 1).options();
    assert!(opts.bugs.has(Bug::LeaseIgnoresDrift));
    assert_eq!(opts.lease_timeout, 1_000_000);
    let (t_lease, d) = (opts.lease_timeout, u64::from(opts.clock_drift_ppm));
    let correct = t_lease * (1_000_000 - d) / (1_000_000 + d);
    assert_eq!((correct as f64 / 1000.0).round(), 429.0);
    says_both(
        &s,
        &z,
        1200.0,
        "the correct bound is 1000 × (1 − d)/(1 + d) ms of S1's clock: 429 ms here",
        "正确的上限是按 S1 的时钟 1000 × (1 − d)/(1 + d) 毫秒：这里是 429 毫秒",
    );
    says_both(
        &s,
        &z,
        1200.0,
        "This cluster has a planted bug, lease_ignores_drift: it takes the whole 1000 ms, as if every clock were perfect",
        "这个集群有一个预置缺陷 lease_ignores_drift：它取整整 1000 毫秒，仿佛每个时钟都是完美的",
    );
    // Cut off at 1300 ms: the last round answered began at 1169 ms.
    assert_eq!(partition_at(&tr, 1300), [vec![1.into()]]);
    let answered: Vec<u64> = tr
        .sends(|from, to, m| {
            from != 1
                && to == 1
                && matches!(m, Message::AppendEntriesReply(r) if r.term == 1 && r.read_round > 0)
        })
        .iter()
        .filter(|x| !tr.delivered(x.1).is_empty())
        .map(|x| match x.4 {
            Message::AppendEntriesReply(r) => r.read_round,
            _ => unreachable!(),
        })
        .collect();
    let last = *answered.iter().max().unwrap();
    let began = tr.sends(|from, _, m| {
        from == 1 && matches!(m, Message::AppendEntries(a) if a.read_round == last)
    })[0]
        .0;
    near(began, 1169.0, "the last round answered");
    // S1's lease, in its own clock, and when it ends in real time.
    let lab = at(&s, 2200.0);
    let until_local = node(&lab, 1).lease_until().expect("S1 still holds a lease");
    let real = |local: u64| local as f64 / rate(1);
    near(real(until_local) as u64, 2833.0, "the faulty lease ends");
    let from_local = until_local - t_lease;
    near(real(from_local) as u64, 1169.0, "the lease's round");
    let correct_end = real(from_local + correct) as u64;
    near(correct_end, 1882.0, "the correct lease ends");
    says_both(
        &s,
        &z,
        1305.0,
        "the one S1 began at 1169 ms",
        "S1 在 1169 毫秒开始的那一轮",
    );
    says_both(
        &s,
        &z,
        1305.0,
        "its faulty lease runs until 2833 ms of real time; the correct one would end at 1882 ms",
        "它错误的租约在真实时间中持续到 2833 毫秒；正确的租约会在 1882 毫秒结束",
    );
    // S2's pre-vote is refused by S3; S3's is granted; S3 leads term 2.
    let pv2 = tr.sends(|from, _, m| from == 2 && matches!(m, Message::PreVote(_)));
    near(pv2[0].0, 1993.0, "S2 asks for pre-votes");
    assert!(!tr
        .sends(|from, to, m| from == 3
            && to == 2
            && matches!(m, Message::PreVoteReply(r) if !r.vote_granted))
        .is_empty());
    says_both(
        &s,
        &z,
        1998.0,
        "S2's timer runs out at 1993 ms",
        "S2 的计时器在 1993 毫秒到期",
    );
    says_both(&s, &z, 1998.0, "and says no", "回答“不会”");
    let pv3 = tr.sends(|from, _, m| from == 3 && matches!(m, Message::PreVote(_)));
    near(pv3[0].0, 2041.0, "S3 asks for pre-votes");
    assert!(!tr
        .sends(|from, to, m| from == 2
            && to == 3
            && matches!(m, Message::PreVoteReply(r) if r.vote_granted))
        .is_empty());
    assert_eq!(voters(&tr.votes_for(2, 3)), [2]);
    let (lead, l) = tr.leader_of(2).unwrap();
    assert_eq!(l, 3);
    near(lead, 2048.0, "S3 leads term 2");
    assert!(
        correct_end < pv2[0].0,
        "the correct lease ends before any timer"
    );
    says_both(
        &s,
        &z,
        2050.0,
        "S3's timer runs out at 2041 ms",
        "S3 的计时器在 2041 毫秒到期",
    );
    says_both(
        &s,
        &z,
        2050.0,
        "S3 leads term 2 from 2048 ms",
        "S3 从 2048 毫秒起领导任期 2",
    );
    // put x=2 commits at index 5; then S1 answers the stale x = 1.
    assert!(tr.appends(3, 5)[0].2.contains(r#""key":"x","value":"2""#));
    let put = tr.committed(3, 5).unwrap();
    near(put, 2105.0, "put x=2 commits");
    let (put_back, r) = tr.returned(5);
    assert_eq!(r, OpResult::Ok);
    says_both(
        &s,
        &z,
        2106.0,
        "committed at index 5 (2105 ms)",
        "在索引 5 提交（2105 毫秒）",
    );
    let (t, client, _, round) = reads[2];
    assert_eq!((client, round), (6, None));
    near(t, 2202.0, "the stale read");
    let stale = tr.replies_to(6)[0];
    assert_eq!((stale.0, stale.2), (t, 1));
    let invoked = tr
        .iter()
        .find_map(|r| match r.ev {
            TraceEvent::Invoke { client: 6, .. } => Some(r.t),
            _ => None,
        })
        .unwrap();
    assert!(
        put_back < invoked,
        "the put had returned before the get began"
    );
    assert_eq!(tr.returned(6).1, value("1"));
    assert_eq!(node(&lab, 3).kv().get("x"), Some("2"));
    says_both(
        &s,
        &z,
        2205.0,
        "it answers x = 1 at once (2202 ms): a stale read, since x = 2 was committed at 2105 ms",
        "它立即回答 x = 1（2202 毫秒）：这是一次过时读，因为 x = 2 已在 2105 毫秒提交",
    );
    says_both(
        &s,
        &z,
        2205.0,
        "the linearizability check flags the history",
        "线性一致性检查标出了这段历史",
    );
    assert_eq!(answer(&s, 1), "x = 1");
    assert_eq!(answer_zh(&s, &z, 1), "x = 1");
    let (q, qz) = (&s.file.questions[1].explain, &z.questions[1].explain);
    for (en, cn) in [
        ("until 2833 ms of real time", "直到真实时间 2833 毫秒"),
        ("429 ms of S1's clock", "S1 时钟的 429 毫秒"),
        ("ended at 1882 ms", "在 1882 毫秒结束"),
    ] {
        assert!(q.contains(en), "{en:?} in {q}");
        assert!(qz.contains(cn), "{cn:?} in {qz}");
    }
    // Without the bug: the same run up to the lease, which ends at 1882
    // ms; S1 answers no read while cut off.
    let mut fixed = s.file.clone();
    fixed.raft.bugs.clear();
    let fixed = Scenario::from_file(fixed).unwrap();
    let lease_at = |t_ms: f64| {
        let mut f = Simulator::from_scenario(&fixed);
        f.run_until(us(t_ms));
        node(&f, 1).lease_until()
    };
    let ends = lease_at(1840.0).expect("a lease after the round of 1835 ms");
    near(real(ends) as u64, 1882.0, "without the bug the lease ends");
    assert_eq!(lease_at(2200.0), None);
    let mut f = Simulator::from_scenario(&fixed);
    f.set_recording(true);
    f.run_to_end();
    let ftr = Trace(f.take_trace());
    // There S1 takes the read with a heartbeat round it never gets;
    // after the heal it turns the client away, and S3 answers x = 2.
    assert!(ftr.iter().any(|r| matches!(
        r.ev,
        TraceEvent::Read {
            node: 1,
            client: 6,
            round: Some(_),
            ..
        }
    )));
    assert!(ftr.replies_to(6)[0].0 > ms(2500));
    assert_eq!(ftr.returned(6).1, value("2"));
    says_both(
        &s,
        &z,
        2300.0,
        "With the correct bound, S1's lease would have run out at 1882 ms, before S2's timer (1993 ms)",
        "若使用正确的上限，S1 的租约会在 1882 毫秒结束，早于 S2 的计时器（1993 毫秒）",
    );
    // The heal: S1 steps down and catches up.
    let down = tr
        .roles(Role::Follower)
        .into_iter()
        .find(|r| r.1 == 1 && r.2 == 2)
        .unwrap();
    near(down.0, 2503.0, "S1 steps down");
    near(tr.appends(1, 5)[0].0, 2570.0, "S1 catches up");
    says_both(
        &s,
        &z,
        2510.0,
        "S1 steps down (2503 ms); S3 brings its log up to date (2570 ms)",
        &format!(
            "S1 退位（{}）；S3 把它的日志补齐（{}）",
            ms_zh(2503.0),
            ms_zh(2570.0)
        ),
    );
    assert_converged(&sim);
    for i in 1..=3 {
        assert_eq!(node(&sim, i).kv().get("x"), Some("2"), "S{i}");
    }
    says_both(
        &s,
        &z,
        2900.0,
        "ReadIndex (a heartbeat round per read, no entry)",
        "ReadIndex（每次读一轮心跳，没有条目）",
    );
}

/// The value a put or cas writes.
fn kv_op_value(op: &quorum_core::protocol::KvOp) -> Option<&str> {
    use quorum_core::protocol::KvOp;
    match op {
        KvOp::Put { value, .. } | KvOp::Cas { value, .. } => Some(value),
        KvOp::Get { .. } => None,
    }
}

// --- captions added to the paper's figures and the lab scenarios ------------

#[test]
fn paper_fig7_captions() {
    let (s, sim, tr) = run("paper-fig7");
    assert_eq!(voters(&tr.votes_for(8, 1)), [2, 3, 6, 7]);
    let refused: Vec<NodeId> = tr
        .sends(|_, to, m| {
            to == 1
                && matches!(
                    m,
                    Message::RequestVoteReply(RequestVoteReply {
                        vote_granted: false,
                        ..
                    })
                )
        })
        .into_iter()
        .map(|x| x.2)
        .collect();
    assert_eq!(refused, [4, 5]);
    assert_eq!(answer(&s, 0), "S4 and S5");
    assert_eq!(tr.leader_of(8), Some((ms(20), 1)));
    // First AppendEntries: S4 and S5 accept and drop their extras; the others
    // refuse with hints.
    let tr_ = tr.truncates();
    assert_eq!(tr_[..2], [(ms(30), 4, 11), (ms(30), 5, 11)]);
    let hints: BTreeMap<NodeId, (Option<Term>, LogIndex)> = tr
        .sends(|_, to, m| to == 1 && is_mismatch(m))
        .into_iter()
        .filter(|x| x.0 == ms(30))
        .map(|x| match x.4 {
            Message::AppendEntriesReply(AppendEntriesReply {
                conflict_term,
                conflict_index,
                ..
            }) => (x.2, (*conflict_term, *conflict_index)),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        hints.into_iter().collect::<Vec<_>>(),
        [
            (2, (None, 10)),
            (3, (None, 5)),
            (6, (None, 8)),
            (7, (Some(3), 7))
        ]
    );
    // nextIndex jumps: 10, 5, 8, 7.
    let resent: Vec<(NodeId, LogIndex)> = tr
        .sends(|from, _, m| from == 1 && entries_of(m) > 0)
        .into_iter()
        .filter(|x| x.0 == ms(40))
        .map(|x| match x.4 {
            Message::AppendEntries(AppendEntries { prev_log_index, .. }) => {
                (x.3, prev_log_index + 1)
            }
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(resent, [(2, 10), (3, 5), (6, 8), (7, 7)]);
    for (n, i) in [(2, 10), (3, 5)] {
        assert_eq!(tr.appended(n, i), ms(50));
    }
    let second: Vec<(NodeId, Option<Term>, LogIndex)> = tr
        .sends(|_, to, m| to == 1 && is_mismatch(m))
        .into_iter()
        .filter(|x| x.0 == ms(50))
        .map(|x| match x.4 {
            Message::AppendEntriesReply(AppendEntriesReply {
                conflict_term,
                conflict_index,
                ..
            }) => (x.2, *conflict_term, *conflict_index),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(second, [(6, Some(4), 4), (7, Some(2), 4)]);
    assert_eq!(tr.committed(1, 11), Some(ms(60)));
    assert_eq!(tr_[2..], [(ms(70), 6, 6), (ms(70), 7, 4)]);
    for i in 2..=7 {
        assert!(tr.committed(i, 11).unwrap() <= ms(80), "S{i}");
    }
    let terms = assert_converged(&sim);
    assert_eq!(terms, [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 8]);
    assert!(tr
        .iter()
        .all(|r| !matches!(r.ev, TraceEvent::Truncate { node: 1, .. })));
}

#[test]
fn paper_fig8_d_captions() {
    let (s, sim, tr) = run("paper-fig8-d");
    for i in 1..=5 {
        assert!(tr.committed(i, 1).unwrap() <= ms(80), "S{i}");
    }
    assert_eq!(tr.leader_of(2), Some((ms(120), 1)));
    assert_eq!(tr.appended(2, 2), ms(130));
    assert_eq!(tr.leader_of(3), Some((ms(180), 5)));
    assert_eq!(voters(&tr.votes_for(3, 5)), [3, 4]);
    assert_eq!(tr.votes_for(3, 1), [(ms(220), 2)]);
    assert_eq!(tr.leader_of(4), Some((ms(270), 1)));
    assert_eq!(voters(&tr.votes_for(4, 1)), [2, 3, 4]);
    assert_eq!((tr.appended(3, 2), tr.appended(4, 2)), (ms(300), ms(300)));
    for i in 2..=5 {
        assert!(
            tr.appends(i, 3).iter().all(|a| a.1 == 5),
            "S{i} never got index 3 of term 4"
        );
    }
    // The question: index 2 sits on four servers, uncommitted.
    let c = at(&s, 399.0);
    for i in 1..=4 {
        assert_eq!(node(&c, i).log().term(2), Some(2), "S{i}");
    }
    for i in 1..=5 {
        assert!(node(&c, i).commit_index() <= 1, "S{i}");
    }
    assert!(answer(&s, 0).starts_with("No"));
    assert!(tr.votes_for(4, 5).is_empty(), "no votes in term 4");
    assert_eq!(
        tr.votes_for(5, 5),
        [(ms(460), 2), (ms(460), 3), (ms(460), 4)]
    );
    assert_eq!(tr.leader_of(5), Some((ms(470), 5)));
    assert_eq!(
        tr.truncates(),
        [(ms(500), 2, 2), (ms(500), 3, 2), (ms(500), 4, 2)]
    );
    assert_eq!(tr.committed(5, 3), Some(ms(530)));
    for i in 2..=5 {
        assert_eq!(log_terms(node(&sim, i)), [1, 3, 5]);
    }
    assert!(!sim.is_up(1));
    assert_eq!(log_terms(node(&sim, 1)), [1, 2, 4]);
}

#[test]
fn paper_fig8_e_captions() {
    let (s, sim, tr) = run("paper-fig8-e");
    assert_eq!(tr.leader_of(4), Some((ms(270), 1)));
    assert_eq!(tr.appended(2, 3), ms(280));
    assert_eq!((tr.appended(3, 2), tr.appended(3, 3)), (ms(300), ms(320)));
    assert_eq!(tr.committed(1, 3), Some(ms(330)));
    assert_eq!(
        (tr.committed(2, 3), tr.committed(3, 3)),
        (Some(ms(380)), Some(ms(380)))
    );
    // S5 cannot win: no votes in term 4, only S4's in 5 and 7; S4 gets none in 6.
    assert!(answer(&s, 0).starts_with("No"));
    assert!(tr.votes_for(4, 5).is_empty());
    assert_eq!(tr.votes_for(5, 5), [(ms(460), 4)]);
    let c = tr.candidacies();
    let late: Vec<(NodeId, Term)> = c
        .iter()
        .filter(|x| x.0 > ms(500))
        .map(|x| (x.1, x.2))
        .collect();
    assert_eq!(late, [(4, 6), (5, 7), (3, 8)]);
    near(c[c.len() - 3].0, 6682.0, "S4 runs for term 6");
    assert!(tr.votes_for(6, 4).is_empty());
    near(c[c.len() - 2].0, 7407.0, "S5 runs for term 7");
    assert_eq!(voters(&tr.votes_for(7, 5)), [4]);
    near(c[c.len() - 1].0, 7842.5, "S3 runs for term 8");
    assert_eq!(voters(&tr.votes_for(8, 3)), [2, 4, 5]);
    near(tr.leader_of(8).unwrap().0, 7862.5, "S3 leads term 8");
    assert!(
        tr.leaders().iter().all(|(t, l)| *t < 4 || !l.contains(&5)),
        "S5 never leads after term 3"
    );
    let t5 = tr.truncates();
    assert_eq!(t5.len(), 1);
    assert_eq!((t5[0].1, t5[0].2), (5, 2));
    near(t5[0].0, 7912.5, "S5 drops its term-3 entry");
    for i in 2..=5 {
        assert!(tr.committed(i, 4).unwrap() <= us(7972.6), "S{i}");
        assert_eq!(log_terms(node(&sim, i)), [1, 2, 4, 8]);
    }
}

#[test]
fn lab_backup_captions() {
    let (s, sim, tr) = run("lab-backup");
    assert_eq!(tr.leader_of(1), Some((ms(20), 1)));
    assert_eq!(tr.committed(1, 2), Some(ms(330)));
    assert_eq!(tr.leader_of(2), Some((ms(1030), 3)));
    assert_eq!(voters(&tr.votes_for(2, 3)), [4, 5]);
    for i in 3..=52 {
        let a = tr.appends(1, i);
        assert!(a[0].0 == ms(1060) && a[0].1 == 1, "S1 index {i}");
        let a = tr.appends(2, i);
        let when = if i <= 10 { ms(1070) } else { ms(1090) };
        assert!(a[0].0 == when && a[0].1 == 1, "S2 index {i}");
    }
    // At most 8 AppendEntries in flight to S2: eight of one entry, then,
    // once S2's answers are back, one of 42.
    let to2: Vec<(u64, usize)> = tr
        .sends(|from, to, m| from == 1 && to == 2 && entries_of(m) > 0)
        .into_iter()
        .filter(|x| (ms(1050)..ms(1100)).contains(&x.0))
        .map(|x| (x.0, entries_of(x.4)))
        .collect();
    assert_eq!(to2.len(), 9);
    assert!(to2[..8].iter().all(|&x| x == (ms(1060), 1)));
    assert_eq!(to2[8], (ms(1080), 42));
    let gave_up: Vec<u64> = tr
        .returns()
        .into_iter()
        .filter(|r| r.2 == timeout())
        .map(|r| r.0)
        .collect();
    assert_eq!(gave_up.len(), 100);
    assert!(gave_up[..50].iter().all(|&t| t == ms(1850)));
    assert_eq!(tr.committed(3, 53), Some(ms(2050)));
    assert_eq!(tr.appends(3, 4)[0].1, 2);
    assert_eq!(tr.leader_of(3), Some((ms(3030), 5)));
    assert_eq!(voters(&tr.votes_for(3, 5)), [1, 2]);
    // The backtracking: two rejections per follower, then the repair.
    let rej: Vec<(u64, NodeId, LogIndex, Option<Term>, LogIndex)> = tr
        .sends(|_, to, m| to == 5 && is_mismatch(m))
        .into_iter()
        .map(|x| match x.4 {
            Message::AppendEntriesReply(AppendEntriesReply {
                prev_log_index,
                conflict_term,
                conflict_index,
                ..
            }) => (x.0, x.2, *prev_log_index, *conflict_term, *conflict_index),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        rej,
        [
            (ms(3040), 1, 53, None, 53),
            (ms(3040), 2, 53, None, 53),
            (ms(3060), 1, 52, Some(1), 1),
            (ms(3060), 2, 52, Some(1), 1),
        ]
    );
    assert!(answer(&s, 0).starts_with("One"));
    let t = tr.truncates();
    assert_eq!(t[..2], [(ms(3080), 1, 3), (ms(3080), 2, 3)]);
    let mid = at(&s, 3100.0);
    for n in [3, 4] {
        assert_eq!(node(&mid, n).log().last_index(), 103);
        assert_eq!(node(&mid, n).commit_index(), 53);
    }
    assert_eq!(tr.committed(5, 104), Some(ms(4050)));
    // The heal: S3 and S4 repaired in one AppendEntries each.
    let big: Vec<_> = tr
        .sends(|from, to, m| {
            from == 5
                && (to == 3 || to == 4)
                && matches!(
                    m,
                    Message::AppendEntries(AppendEntries {
                        prev_log_index: 53,
                        ..
                    })
                )
        })
        .into_iter()
        .filter(|x| x.0 > ms(5000))
        .collect();
    assert_eq!(big.len(), 2);
    assert!(big.iter().all(|x| entries_of(x.4) == 51 && x.0 == ms(5030)));
    assert_eq!(t[2..], [(ms(5040), 3, 54), (ms(5040), 4, 54)]);
    assert!(
        tr.sends(|from, _, m| (from == 3 || from == 4) && is_mismatch(m))
            .is_empty(),
        "S3 and S4 needed no backtracking"
    );
    assert_eq!(tr.committed(5, 105), Some(ms(5130)));
    assert_eq!(assert_converged(&sim).len(), 105);
    for i in 1..=5 {
        assert_eq!(node(&sim, i).kv().get("x"), Some("last"));
    }
}

#[test]
fn lab_churn_captions() {
    let (s, sim, tr) = run("lab-churn");
    let lead = |term: Term| tr.leader_of(term).unwrap();
    // No role change of node `n` in (from, to].
    let steady = |n: NodeId, from: u64, to: u64| {
        !tr.iter().any(|r| {
            r.t > from && r.t <= to && matches!(r.ev, TraceEvent::Role { node, .. } if node == n)
        })
    };
    let follows = |n: NodeId, term: Term| {
        tr.roles(Role::Follower)
            .into_iter()
            .find(|r| r.1 == n && r.2 == term)
            .unwrap()
            .0
    };
    assert_eq!(lead(1).1, 1);
    near(lead(1).0, 180.0, "S1 leads term 1");
    says(&s, 185.0, "S1 wins term 1 at 180 ms");
    // The question: S1 cut off stays leader and commits nothing.
    let mut cut = Simulator::from_scenario(&s);
    for step in 0..17 {
        cut.run_until(ms(1000) + step * ms(50));
        let s1 = node(&cut, 1);
        assert_eq!(
            (s1.role(), s1.current_term(), s1.commit_index()),
            (Role::Leader, 1, 29)
        );
    }
    assert!(answer(&s, 0).starts_with("It stays leader"));
    assert!(s.file.questions[0].explain.contains("stays at 29"));
    assert!(s.file.questions[0]
        .explain
        .contains("S1 steps down (1.86 s)"));
    assert_eq!(lead(2).1, 4);
    near(lead(2).0, 1199.3, "S4 leads term 2");
    says(&s, 1205.0, "elect S4 in term 2 (1.20 s)");
    // S5's answer to S1's AppendEntries carries term 2: S1 steps down.
    let back = follows(1, 2);
    near(back, 1864.2, "S1 steps down");
    let from5 = tr
        .sends(|from, to, m| {
            from == 5
                && to == 1
                && matches!(
                    m,
                    Message::AppendEntriesReply(AppendEntriesReply { term: 2, .. })
                )
        })
        .into_iter()
        .find(|x| !tr.delivered(x.1).is_empty())
        .unwrap();
    assert_eq!(tr.delivered(from5.1)[0], back);
    says(&s, 1870.0, "and with them the leader S4");
    says(
        &s,
        1870.0,
        "S5's answer to its AppendEntries carries term 2, and S1 steps down (1.86 s)",
    );
    // The majority side: S3 loses term 3, S5 wins term 4.
    assert_eq!(tr.leader_of(3), None);
    let c3 = tr.candidacies().into_iter().find(|c| c.2 == 3).unwrap();
    assert_eq!(c3.1, 3);
    near(c3.0, 2026.0, "S3 stands for term 3");
    assert_eq!(voters(&tr.votes_for(3, 3)), [1]);
    assert!(!tr
        .sends(|from, to, m| from == 5
            && to == 3
            && matches!(
                m,
                Message::RequestVoteReply(RequestVoteReply {
                    term: 3,
                    vote_granted: false
                })
            ))
        .is_empty());
    let vote = at(&s, 2041.0);
    assert!(node(&vote, 5).log().last_index() > node(&vote, 3).log().last_index());
    assert_eq!(lead(4).1, 5);
    near(lead(4).0, 2088.5, "S5 leads term 4");
    says(
        &s,
        2095.0,
        "S3 stands for term 3 (2.03 s) and gets only S1's vote",
    );
    says(
        &s,
        2095.0,
        "S5 then wins term 4 (2.09 s). Term 3 had no leader",
    );
    // The heal: S4, leader of term 2 until now, steps down; S1's
    // commitIndex moves on.
    let s4_down = follows(4, 4);
    near(s4_down, 2130.0, "S4 steps down");
    assert!(steady(4, lead(2).0, s4_down - 1));
    near(
        tr.committed(1, 30).unwrap(),
        2162.9,
        "S1's commitIndex moves on",
    );
    says(&s, 2170.0, "steps down (2.13 s)");
    says(&s, 2170.0, "stuck at 29 since 1.0 s, moves on at 2.16 s");
    assert_eq!(
        (tr.max_commit_by(ms(2668)), tr.max_commit_by(ms(3943))),
        (65, 108)
    );
    says(&s, 2675.0, "from 65 to 108");
    // S5 leads term 4 until S3, alone since 6.67 s, comes back in term 6.
    let s5_down = follows(5, 6);
    near(s5_down, 7366.0, "S5 steps down");
    assert!(steady(5, lead(4).0, s5_down - 1));
    says(&s, 6670.0, "S5 leads term 4 throughout");
    let c: Vec<_> = tr
        .candidacies()
        .into_iter()
        .filter(|c| c.2 == 5 || c.2 == 6)
        .collect();
    assert_eq!((c.len(), c[0].1, c[0].2, c[1].1, c[1].2), (2, 3, 5, 3, 6));
    near(c[0].0, 6939.4, "S3 stands for term 5");
    near(c[1].0, 7177.6, "S3 stands for term 6");
    says(&s, 7375.0, "term 5 (6.94 s), then term 6 (7.18 s)");
    says(&s, 7375.0, "makes the leader S5 step down (7.37 s)");
    assert_eq!((lead(11).1, lead(15).1, lead(17).1), (1, 1, 1));
    near(lead(11).0, 8068.7, "S1 leads term 11");
    near(lead(15).0, 9043.7, "S1 leads term 15");
    near(lead(17).0, 9268.4, "S1 leads term 17");
    for t in (5..11).chain(12..15).chain([16]) {
        assert_eq!(tr.leader_of(t), None, "term {t}");
    }
    says(
        &s,
        9275.0,
        "S1 leads term 11 (8.07 s), term 15 (9.04 s) and term 17 (9.27 s)",
    );
    // S3 and S1 (the leader) down: S4 leads the other two and keeps
    // committing.
    let before = at(&s, 11526.0);
    assert_eq!(
        before.node(1).map(|n| (n.role(), n.current_term())),
        Some((Role::Leader, 17))
    );
    let three = at(&s, 11527.0);
    assert_eq!(
        (1..=5).filter(|&i| three.is_up(i)).collect::<Vec<_>>(),
        [2, 4, 5]
    );
    assert_eq!(lead(18).1, 4);
    near(lead(18).0, 11746.7, "S4 leads term 18");
    assert_eq!(
        (tr.max_commit_by(ms(11527)), tr.max_commit_by(ms(11927))),
        (287, 288)
    );
    says(
        &s,
        11780.0,
        "term 18 (11.75 s), and the highest commitIndex goes from 287 to 288",
    );
    // The one-way cut S4 -> S5: S5 stands for term 19, loses, and ends
    // S4's term; S1 wins term 20.
    assert_eq!(tr.leader_of(19), None);
    let c19 = tr.candidacies().into_iter().find(|c| c.2 == 19).unwrap();
    assert_eq!(c19.1, 5);
    near(c19.0, 12513.5, "S5 stands for term 19");
    let s4_19 = follows(4, 19);
    assert!(s4_19 > c19.0 && steady(4, lead(18).0, s4_19 - 1));
    assert_eq!(lead(20).1, 1);
    near(lead(20).0, 12739.6, "S1 leads term 20");
    says(&s, 12745.0, "stands for term 19 (12.51 s)");
    says(&s, 12745.0, "S1 wins term 20 (12.74 s)");
    // The leader S1 crashes; S5 leads term 21.
    let crash = at(&s, 13272.0);
    assert_eq!(
        crash.node(1).map(|n| (n.role(), n.current_term())),
        Some((Role::Leader, 20))
    );
    assert_eq!(lead(21).1, 5);
    near(lead(21).0, 13433.3, "S5 leads term 21");
    says(&s, 14135.0, "S5 leads term 21 (13.43 s)");
    // S5 leads term 21 until the heal, and from the partition at 14.13 s
    // commits nothing.
    assert!(steady(5, lead(21).0, ms(15177)));
    let mut cut = Simulator::from_scenario(&s);
    for step in 0..21 {
        cut.run_until(ms(14130) + step * ms(50));
        let s5 = node(&cut, 5);
        assert_eq!(
            (s5.role(), s5.current_term(), s5.commit_index()),
            (Role::Leader, 21, 343)
        );
    }
    assert!(tr.committed(5, 343).unwrap() < ms(14130));
    assert!(tr.committed(5, 344).unwrap() > ms(15177));
    // The other side: S3 and S4 alone until S1 restarts; S4 wins term 26.
    let two = at(&s, 14642.0);
    assert_eq!(
        (1..=5).filter(|&i| two.is_up(i)).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    for t in 22..=25 {
        assert_eq!(tr.leader_of(t), None, "term {t}");
    }
    assert_eq!(lead(26).1, 4);
    near(lead(26).0, 15014.8, "S4 leads term 26");
    says(
        &s,
        15020.0,
        "terms 22 to 25 have no leader, and S4 wins term 26 (15.01 s)",
    );
    says(
        &s,
        15020.0,
        "S5 stays leader of term 21 but has committed nothing since the partition",
    );
    near(follows(5, 26), 15210.6, "S5 steps down");
    says(&s, 15235.0, "S5 sees term 26 and steps down (15.21 s)");
    // Client 4's read: S5's answer is lost; sent again to the stranded S5,
    // it waits there and times out.
    let read = tr.requests(|c, to, op| c == 4 && to == 5 && op == 74);
    near(read[0].0, 13686.1, "client 4 reads at S5");
    let answered: Vec<(u64, u64)> = tr
        .iter()
        .filter_map(|r| match &r.ev {
            TraceEvent::Reply {
                id,
                from: 5,
                client: 4,
                op_id: 74,
                response: ClientResponse::Done { .. },
            } => Some((r.t, *id)),
            _ => None,
        })
        .collect();
    assert_eq!(answered.len(), 1);
    near(answered[0].0, 13729.3, "S5 answers");
    assert_eq!(tr.dropped_why(answered[0].1), Some("loss"));
    near(read[1].0, 14323.9, "client 4 reads at S5 again");
    let had = tr.delivered(read[1].1)[0];
    near(had, 14343.5, "S5 has the read");
    let a346 = tr.appends(5, 346);
    assert_eq!((a346[0].0, a346[0].1), (had, 21));
    assert!(
        a346[0].2.contains(r#""type":"get""#) && a346[0].2.contains(r#""client":4,"op_id":74"#)
    );
    let r74 = tr
        .iter()
        .find_map(|r| match &r.ev {
            TraceEvent::Return {
                client: 4,
                op_id: 74,
                result,
                ..
            } => Some((r.t, result.clone())),
            _ => None,
        })
        .unwrap();
    near(r74.0, 15186.1, "client 4's read times out");
    assert_eq!(r74.1, timeout());
    says(
        &s,
        15235.0,
        "Client 4's read went to S5 at 13.69 s; S5 answered, but the answer was lost",
    );
    says(
        &s,
        15235.0,
        "Sent to S5 again at 14.32 s, the read was appended at index 346 (14.34 s)",
    );
    says(&s, 15235.0, "It timed out at 15.19 s");
    assert_eq!(lead(29).1, 2);
    near(lead(29).0, 16743.5, "S2 leads term 29");
    for t in 27..=28 {
        assert_eq!(tr.leader_of(t), None, "term {t}");
    }
    says(&s, 16765.0, "S2 leads term 29 (16.74 s)");
    // The last leader.
    let cut_off = at(&s, 18857.0);
    assert_eq!(
        cut_off.node(2).map(|n| (n.role(), n.current_term())),
        Some((Role::Leader, 29))
    );
    assert!(steady(2, lead(29).0, ms(18857)));
    assert_eq!(lead(32).1, 5);
    near(lead(32).0, 18818.5, "S5 leads term 32");
    for t in 30..=31 {
        assert_eq!(tr.leader_of(t), None, "term {t}");
    }
    assert_eq!(*tr.leaders().keys().last().unwrap(), 32);
    says(&s, 18865.0, "cuts off the leader S2 with S4");
    says(&s, 18865.0, "leader of term 32 at 18.82 s");
    let calm = at(&s, 21866.0);
    assert!((1..=5).all(|i| calm.is_up(i)));
    let rs = tr.returns();
    assert_eq!(rs.len(), 640);
    let timed_out = rs.iter().filter(|r| r.2 == timeout()).count();
    assert_eq!(timed_out, 3);
    assert!(rs
        .iter()
        .all(|r| r.2 == timeout() || !matches!(r.2, OpResult::Error { .. })));
    says(
        &s,
        29300.0,
        "637 of the 640 client operations were answered; 3 timed out",
    );
    assert!(!tr
        .iter()
        .any(|r| r.t > ms(26365) && matches!(r.ev, TraceEvent::Invoke { .. })));
    assert_eq!(assert_converged(&sim).len(), 680);
    says(&s, 29300.0, "the same 680 entries");
    assert!(tr.leaders().values().all(|l| l.len() == 1));
}
