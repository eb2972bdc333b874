//! Bad scenario documents give precise errors (path and problem), never a
//! panic. A table of cases: (what is wrong, document, expected path,
//! a phrase the message must contain).

use quorum_core::sim::Scenario;

const OK: &str = r#"{"version":1,"nodes":5,"events":[]}"#;

fn with(patch: &str) -> String {
    // Replace the empty events list or add fields to a valid base document.
    format!(r#"{{"version":1,"nodes":5,{patch}}}"#)
}

#[test]
fn the_base_document_is_valid() {
    assert!(Scenario::parse(OK).is_ok());
}

#[test]
fn bad_scenarios_give_precise_errors() {
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("not JSON", "{".into(), "", "EOF"),
        ("empty", "".into(), "", "a scenario is a JSON object"),
        ("a list", "[]".into(), "", "a scenario is a JSON object"),
        (
            "trailing garbage",
            format!("{OK} x"),
            "",
            "trailing characters",
        ),
        (
            "no version",
            r#"{"nodes":3}"#.into(),
            "",
            "missing field `version`",
        ),
        (
            "future version",
            r#"{"version":2,"nodes":3}"#.into(),
            "version",
            "not supported",
        ),
        (
            "a newer simulator behaviour",
            r#"{"version":1,"behaviour":4294967295,"nodes":3}"#.into(),
            "behaviour",
            "newer than this build's",
        ),
        (
            "behaviour 0",
            r#"{"version":1,"behaviour":0,"nodes":3}"#.into(),
            "behaviour",
            "count from 1",
        ),
        (
            "a behaviour that is not a number",
            r#"{"version":1,"behaviour":"2","nodes":3}"#.into(),
            "behaviour",
            "invalid type",
        ),
        (
            "no nodes",
            r#"{"version":1}"#.into(),
            "",
            "missing field `nodes`",
        ),
        (
            "zero nodes",
            r#"{"version":1,"nodes":0}"#.into(),
            "nodes",
            "1..=101",
        ),
        (
            "too many nodes",
            r#"{"version":1,"nodes":102}"#.into(),
            "nodes",
            "1..=101",
        ),
        (
            "negative nodes",
            r#"{"version":1,"nodes":-1}"#.into(),
            "nodes",
            "invalid value",
        ),
        (
            "huge nodes",
            r#"{"version":1,"nodes":1e300}"#.into(),
            "nodes",
            "invalid type",
        ),
        (
            "huge seed",
            r#"{"version":1,"nodes":3,"seed":18446744073709551616}"#.into(),
            "seed",
            "",
        ),
        (
            "unknown field",
            r#"{"version":1,"nodes":3,"ndoes":3}"#.into(),
            "ndoes",
            "unknown field `ndoes`",
        ),
        (
            "duration over 24 h",
            with(r#""duration_ms":86400001"#),
            "duration_ms",
            "over the limit",
        ),
        (
            "negative duration",
            with(r#""duration_ms":-5"#),
            "duration_ms",
            "negative",
        ),
        (
            "reversed election timeout",
            with(r#""timing":{"election_timeout_ms":[300,150]}"#),
            "timing.election_timeout_ms",
            "reversed",
        ),
        (
            "zero election timeout",
            with(r#""timing":{"election_timeout_ms":[0,150]}"#),
            "timing.election_timeout_ms[0]",
            "at least 1 ms",
        ),
        (
            "zero heartbeat",
            with(r#""timing":{"heartbeat_ms":0}"#),
            "timing.heartbeat_ms",
            "at least 1 ms",
        ),
        (
            "huge latency",
            with(r#""timing":{"latency_ms":[1,1e12]}"#),
            "timing.latency_ms[1]",
            "over the limit",
        ),
        (
            "typo in timing",
            with(r#""timing":{"heartbeat":50}"#),
            "timing.heartbeat",
            "unknown field `heartbeat`",
        ),
        (
            "drop above 1",
            with(r#""network":{"drop":1.5}"#),
            "network.drop",
            "not a probability",
        ),
        (
            "negative duplicate",
            with(r#""network":{"duplicate":-0.1}"#),
            "network.duplicate",
            "not a probability",
        ),
        (
            "too many clients",
            with(r#""clients":{"count":1001}"#),
            "clients.count",
            "over the limit",
        ),
        (
            "zero keys",
            with(r#""clients":{"count":1,"keys":0}"#),
            "clients.keys",
            "out of range",
        ),
        (
            "zero batch",
            with(r#""raft":{"max_entries_per_append":0}"#),
            "raft.max_entries_per_append",
            "out of range",
        ),
        (
            "node 9 of 5",
            with(
                r#""events":[{"at_ms":1,"do":"crash","node":1},{"at_ms":1,"do":"heal"},{"at_ms":1,"do":"heal"},{"at_ms":1,"do":"crash","node":9}]"#,
            ),
            "events[3].node",
            "9 is not a node of a 5-node cluster",
        ),
        (
            "node 0",
            with(r#""events":[{"at_ms":1,"do":"timeout","node":0}]"#),
            "events[0].node",
            "not a node",
        ),
        (
            "unknown action",
            with(r#""events":[{"at_ms":1,"do":"explode"}]"#),
            "events[0].do",
            "unknown variant `explode`",
        ),
        (
            "missing at_ms",
            with(r#""events":[{"do":"heal"}]"#),
            "events[0]",
            "missing field `at_ms`",
        ),
        (
            "negative at_ms",
            with(r#""events":[{"at_ms":-1,"do":"heal"}]"#),
            "events[0].at_ms",
            "negative",
        ),
        (
            "at_ms past 24 h",
            with(r#""events":[{"at_ms":1e20,"do":"heal"}]"#),
            "events[0].at_ms",
            "over the limit",
        ),
        (
            "extra event field",
            with(r#""events":[{"at_ms":1,"do":"heal","node":2}]"#),
            "events[0]",
            "unknown field `node`",
        ),
        (
            "transfer to a server the cluster lacks",
            with(r#""events":[{"at_ms":1,"do":"transfer_leader","to":9}]"#),
            "events[0].to",
            "not a node",
        ),
        (
            "an unknown read mode in a set event",
            with(r#""events":[{"at_ms":1,"do":"set","read":"fast"}]"#),
            "events[0].read",
            "unknown variant `fast`",
        ),
        (
            "an unknown read mode",
            with(r#""raft":{"read":"fast"}"#),
            "raft.read",
            "unknown variant `fast`",
        ),
        (
            "a clock drift of 70%",
            with(r#""timing":{"clock_drift":0.7}"#),
            "timing.clock_drift",
            "not a drift bound",
        ),
        (
            "node in two groups",
            with(r#""events":[{"at_ms":1,"do":"partition","groups":[[1,2],[2,3]]}]"#),
            "events[0].groups[1][0]",
            "more than one group",
        ),
        (
            "empty group",
            with(r#""events":[{"at_ms":1,"do":"partition","groups":[[1],[]]}]"#),
            "events[0].groups[1]",
            "is empty",
        ),
        (
            "no groups",
            with(r#""events":[{"at_ms":1,"do":"partition","groups":[]}]"#),
            "events[0].groups",
            "at least one group",
        ),
        (
            "self cut",
            with(r#""events":[{"at_ms":1,"do":"cut","from":2,"to":2}]"#),
            "events[0].to",
            "two different nodes",
        ),
        (
            "unknown client in a group",
            with(
                r#""clients":{"count":2},"events":[{"at_ms":1,"do":"partition","groups":[[1,"c3"]]}]"#,
            ),
            "events[0].groups[0][1]",
            "there is no client c3: the scenario's client count is 2",
        ),
        (
            "a client when there are none",
            with(r#""events":[{"at_ms":1,"do":"partition","groups":[["c1"]]}]"#),
            "events[0].groups[0][0]",
            "there is no client c1: the scenario's client count is 0",
        ),
        (
            "client in two groups",
            with(
                r#""clients":{"count":1},"events":[{"at_ms":1,"do":"partition","groups":[[1,"c1"],[2,"c1"]]}]"#,
            ),
            "events[0].groups[1][1]",
            "client c1 is in more than one group",
        ),
        (
            "a client named like a server",
            with(
                r#""clients":{"count":1},"events":[{"at_ms":1,"do":"partition","groups":[[1,"C1"]]}]"#,
            ),
            "events[0].groups[0][1]",
            "\"C1\" is not a client name",
        ),
        (
            "client zero",
            with(r#""clients":{"count":1},"events":[{"at_ms":1,"do":"cut","from":"c0","to":1}]"#),
            "events[0].from",
            "\"c0\" is not a client name",
        ),
        (
            "a cut between two clients",
            with(
                r#""clients":{"count":2},"events":[{"at_ms":1,"do":"cut","from":"c1","to":"c2"}]"#,
            ),
            "events[0].to",
            "clients talk only to servers",
        ),
        (
            "a cut from an unknown client",
            with(
                r#""events":[{"at_ms":1,"do":"request","op":{"type":"get","key":"x"}},{"at_ms":1,"do":"uncut","from":"c2","to":3}]"#,
            ),
            "events[1].from",
            "there is no client c2: the scenario's client count is 1",
        ),
        (
            "bad op type",
            with(r#""events":[{"at_ms":1,"do":"request","op":{"type":"delete","key":"x"}}]"#),
            "events[0].op.type",
            "unknown variant `delete`",
        ),
        (
            "put without value",
            with(r#""events":[{"at_ms":1,"do":"request","op":{"type":"put","key":"x"}}]"#),
            "events[0]",
            "missing field `value`",
        ),
        (
            "long key",
            with(&format!(
                r#""events":[{{"at_ms":1,"do":"request","op":{{"type":"get","key":"{}"}}}}]"#,
                "k".repeat(300)
            )),
            "events[0].op.key",
            "the limit is 256",
        ),
        (
            "request count 0",
            with(
                r#""events":[{"at_ms":1,"do":"request","op":{"type":"get","key":"x"},"count":0}]"#,
            ),
            "events[0].count",
            "out of range",
        ),
        (
            "network drop 2",
            with(r#""events":[{"at_ms":1,"do":"network","drop":2}]"#),
            "events[0].drop",
            "not a probability",
        ),
        (
            "long name",
            with(&format!(r#""name":"{}""#, "n".repeat(201))),
            "name",
            "the limit is 200",
        ),
        (
            "initial node twice",
            with(r#""initial":[{"node":1},{"node":1}]"#),
            "initial[1].node",
            "given twice",
        ),
        (
            "initial term 0 entry",
            with(r#""initial":[{"node":1,"current_term":1,"log":[0]}]"#),
            "initial[0].log[0]",
            "start at 1",
        ),
        (
            "initial decreasing terms",
            with(r#""initial":[{"node":2,"current_term":5,"log":[1,3,2]}]"#),
            "initial[0].log[2]",
            "never decrease",
        ),
        (
            "initial entry above term",
            with(r#""initial":[{"node":2,"current_term":1,"log":[1,2]}]"#),
            "initial[0].log[1]",
            "above the node's current_term",
        ),
        (
            "initial vote for node 6",
            with(r#""initial":[{"node":2,"voted_for":6}]"#),
            "initial[0].voted_for",
            "not a node",
        ),
        (
            "deep nesting",
            with(&format!(
                r#""events":[{{"at_ms":1,"do":"partition","groups":{}{}}}]"#,
                "[".repeat(10_000),
                "]".repeat(10_000)
            )),
            // Typed all the way down: refused at the first level too deep
            // for a group, long before any recursion limit.
            "events[0].groups[0][0][0]",
            "invalid type: sequence",
        ),
    ];
    let mut failures = Vec::new();
    for (what, doc, path, phrase) in &cases {
        match Scenario::parse(doc) {
            Ok(_) => failures.push(format!("{what}: accepted")),
            Err(e) => {
                let path_ok = match path.strip_suffix('…') {
                    Some(prefix) => e.path.starts_with(prefix) && e.path.ends_with('…'),
                    None => e.path == *path,
                };
                if !path_ok || !e.message.contains(phrase) {
                    failures.push(format!(
                        "{what}: got `{}` at `{}`; want `{phrase}` at `{path}`",
                        e.message, e.path
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn too_many_events_is_an_error_not_a_clamp() {
    let ev = r#"{"at_ms":1,"do":"heal"}"#;
    let doc = with(&format!(r#""events":[{}]"#, vec![ev; 100_001].join(",")));
    let e = Scenario::parse(&doc).unwrap_err();
    assert_eq!(e.path, "events");
    assert!(e.message.contains("the limit is 100000"), "{e}");
    let doc = with(&format!(r#""events":[{}]"#, vec![ev; 100_000].join(",")));
    assert!(Scenario::parse(&doc).is_ok());
}

#[test]
fn fractional_times_become_exact_microseconds() {
    let s = Scenario::parse(&with(
        r#""events":[{"at_ms":1.2345,"do":"heal"},{"at_ms":0.5,"do":"heal"}]"#,
    ))
    .unwrap();
    let at: Vec<u64> = s.actions.iter().map(|a| a.at).collect();
    assert_eq!(
        at,
        [500, 1235],
        "sorted by time, rounded to the microsecond"
    );
}

#[test]
fn errors_display_path_then_problem() {
    let e = Scenario::parse(&with(r#""events":[{"at_ms":1,"do":"crash","node":9}]"#)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "events[0].node: 9 is not a node of a 5-node cluster (nodes are 1..=5)"
    );
}
