//! The lab as the page runs it: the default scenario, playback speed,
//! lesson stops, and small pure helpers the views and the update share.

use quorum_core::protocol::{ClientId, Command, KvOp, NodeId, Role, Term};
use quorum_core::sim::scenario::{ClientsSpec, NetworkSpec, RaftSpec, ScenarioFile, TimingSpec};
use quorum_core::sim::{Endpoint, Lab, Micros};

/// Slowest and fastest playback, as a fraction of real time.
pub const MIN_SPEED: f64 = 0.001;
pub const MAX_SPEED: f64 = 10.0;
/// Slow enough to follow each message with 150-300 ms timeouts.
pub const DEFAULT_SPEED: f64 = 0.02;
pub const MAX_NODES_UI: u32 = 15;
/// The live cluster's servers when the page opens.
pub const LIVE_NODES: u32 = 5;
/// A live lab runs for a day of virtual time (the format's limit).
pub const LIVE_DURATION_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// The page's starting scenario: the paper's timing, no client load (the
/// user sends requests), running for a day of virtual time.
pub fn default_scenario(seed: u64, nodes: u32) -> ScenarioFile {
    ScenarioFile {
        version: 1,
        behaviour: None,
        name: "Live cluster".into(),
        description: "A Raft cluster in your browser. Crash nodes, cut links, send requests."
            .into(),
        seed,
        nodes,
        timing: TimingSpec::default(),
        network: NetworkSpec::default(),
        clients: None::<ClientsSpec>,
        duration_ms: LIVE_DURATION_MS,
        events: Vec::new(),
        initial: Vec::new(),
        raft: RaftSpec::default(),
        liveness: None,
        captions: Vec::new(),
        questions: Vec::new(),
    }
}

/// A lab as the page runs it: safety checks on, the history for the
/// linked views kept.
pub fn new_lab(file: ScenarioFile) -> Result<Lab, quorum_core::sim::ScenarioError> {
    Lab::with_timeline(file, true, quorum_core::sim::lab::CHECKPOINT_INTERVAL)
}

/// Slider position (log10 of speed) to speed, clamped to the range.
pub fn slider_to_speed(v: f64) -> f64 {
    if !v.is_finite() {
        return DEFAULT_SPEED;
    }
    10f64.powf(v).clamp(MIN_SPEED, MAX_SPEED)
}

pub fn speed_to_slider(speed: f64) -> f64 {
    speed.clamp(MIN_SPEED, MAX_SPEED).log10()
}

/// "1/50×", "2×".
pub fn speed_label(speed: f64) -> String {
    if speed >= 1.0 {
        format!("{}×", (speed * 10.0).round() / 10.0)
    } else {
        format!("1/{}×", (1.0 / speed).round())
    }
}

/// Seconds with three decimals, from microseconds.
pub fn secs(t: Micros) -> String {
    format!("{:.3}", t as f64 / 1e6)
}

/// A virtual time as a whole number of milliseconds, for the scrubber.
pub fn ms_value(t: Micros) -> String {
    (t / 1000).to_string()
}

pub fn clock_text(lab: &Lab) -> String {
    format!("t = {} s", secs(lab.sim().now()))
}

/// A stable colour per term (hue steps by a golden-ish angle).
pub fn term_color(term: Term) -> String {
    if term == 0 {
        return "#9aa3ad".into();
    }
    format!("hsl({}, 62%, 46%)", (term * 67) % 360)
}

pub fn role_name(r: Role) -> &'static str {
    r.as_str()
}

/// A short label for a log entry's command.
pub fn command_label(c: &Command) -> String {
    match c {
        Command::Noop => "no-op".into(),
        Command::Kv(k) => match &k.op {
            KvOp::Put { key, value } => format!("{key}={value}"),
            KvOp::Get { key } => format!("get {key}"),
            KvOp::Cas { key, expect, value } => {
                format!("{key}:{}→{value}", expect.as_deref().unwrap_or("∅"))
            }
        },
    }
}

/// The partition tool's picks: a group per server (0 = the rest, 1..=3)
/// and per client (0 = in no group, so it reaches every server; 1..=3; 4 =
/// with the servers in no group).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartitionTool {
    pub nodes: Vec<u8>,
    /// (client, pick) for the clients picked at least once, by client.
    pub clients: Vec<(ClientId, u8)>,
}

/// A client's pick that puts it with the servers in no group.
pub const WITH_THE_REST: u8 = 4;

impl PartitionTool {
    pub fn new(n: usize) -> Self {
        PartitionTool {
            nodes: vec![0; n],
            clients: Vec::new(),
        }
    }

    /// Client `c`'s pick (0 if never picked).
    pub fn client(&self, c: ClientId) -> u8 {
        self.clients.iter().find(|x| x.0 == c).map_or(0, |x| x.1)
    }
}

/// Partition groups from the partition tool's picks: groups 1 to 3 with
/// their servers and clients, then, if a client was put with the rest, one
/// more group of the servers in no group and those clients (a client the
/// tool leaves in no group is not named: it reaches every server).
pub fn groups_from_choice(tool: &PartitionTool) -> Vec<Vec<Endpoint>> {
    // The servers picked `g`, then the clients picked `c`.
    let members = |g: u8, c: u8| {
        let mut v = Vec::new();
        for (i, &pick) in tool.nodes.iter().enumerate() {
            if pick == g {
                v.push(Endpoint::Node(i as NodeId + 1));
            }
        }
        for &(client, pick) in &tool.clients {
            if pick == c {
                v.push(Endpoint::Client(client));
            }
        }
        v
    };
    let mut groups = Vec::new();
    for g in 1..=3u8 {
        let m = members(g, g);
        if !m.is_empty() {
            groups.push(m);
        }
    }
    if tool.clients.iter().any(|x| x.1 == WITH_THE_REST) {
        groups.push(members(0, WITH_THE_REST));
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_slider_round_trips_and_clamps() {
        assert!((slider_to_speed(speed_to_slider(0.02)) - 0.02).abs() < 1e-9);
        assert_eq!(slider_to_speed(-9.0), MIN_SPEED);
        assert_eq!(slider_to_speed(5.0), MAX_SPEED);
        assert_eq!(slider_to_speed(f64::NAN), DEFAULT_SPEED);
        assert_eq!(speed_label(0.02), "1/50×");
        assert_eq!(speed_label(2.0), "2×");
    }

    #[test]
    fn groups_skip_empty_choices() {
        let tool = |nodes: &[u8], clients: &[(u64, u8)]| PartitionTool {
            nodes: nodes.to_vec(),
            clients: clients.to_vec(),
        };
        assert_eq!(
            groups_from_choice(&tool(&[1, 0, 1, 3, 0], &[])),
            vec![vec![1.into(), 3.into()], vec![4.into()]]
        );
        assert!(groups_from_choice(&tool(&[0, 0], &[])).is_empty());
        // Clients join their group; "with the rest" makes the rest a group.
        let c = Endpoint::Client;
        assert_eq!(
            groups_from_choice(&tool(
                &[1, 0, 0, 0, 0],
                &[(1, 1), (2, WITH_THE_REST), (3, 0)]
            )),
            vec![
                vec![1.into(), c(1)],
                vec![2.into(), 3.into(), 4.into(), 5.into(), c(2)]
            ]
        );
        assert_eq!(
            groups_from_choice(&tool(&[0, 0, 0], &[(2, 2)])),
            vec![vec![c(2)]],
            "a client alone: cut off from every server"
        );
    }

    #[test]
    fn default_scenario_is_valid() {
        for n in 1..=MAX_NODES_UI {
            assert!(Lab::new(default_scenario(9, n), false).is_ok());
        }
    }
}

/// Lesson stops: the times of the captions and questions, sorted, once each.
pub fn lesson_stops(file: &ScenarioFile) -> Vec<u64> {
    let mut v: Vec<u64> = file
        .captions
        .iter()
        .map(|c| c.at_ms)
        .chain(file.questions.iter().map(|q| q.at_ms))
        .map(ms_to_us)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Milliseconds (validated by the scenario) to whole microseconds.
pub fn ms_to_us(ms: f64) -> u64 {
    (ms * 1000.0).round().max(0.0) as u64
}

/// The caption showing at `now`: the last one reached.
pub fn caption_at(file: &ScenarioFile, now: u64) -> Option<(usize, &str)> {
    file.captions
        .iter()
        .enumerate()
        .filter(|(_, c)| ms_to_us(c.at_ms) <= now)
        .max_by_key(|(i, c)| (ms_to_us(c.at_ms), *i))
        .map(|(i, c)| (i, c.text.as_str()))
}

/// The first unanswered question after `now`, and its time.
pub fn next_question(file: &ScenarioFile, now: u64, answered: &[bool]) -> Option<(usize, u64)> {
    file.questions
        .iter()
        .enumerate()
        .filter(|(i, _)| !answered.get(*i).copied().unwrap_or(false))
        .map(|(i, q)| (i, ms_to_us(q.at_ms)))
        .filter(|&(_, t)| t > now)
        .min_by_key(|&(i, t)| (t, i))
}

/// An unanswered question exactly at `now`.
pub fn question_at(file: &ScenarioFile, now: u64, answered: &[bool]) -> Option<usize> {
    file.questions
        .iter()
        .enumerate()
        .find(|(i, q)| ms_to_us(q.at_ms) == now && !answered.get(*i).copied().unwrap_or(false))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod lesson_tests {
    use super::*;
    use quorum_core::sim::Scenario;

    #[test]
    fn stops_captions_and_questions_follow_the_clock() {
        let f = Scenario::parse(
            r#"{"version":1,"nodes":3,
                "captions":[{"at_ms":0,"text":"a"},{"at_ms":500,"text":"b"},{"at_ms":200,"text":"c"}],
                "questions":[{"at_ms":200,"question":"q?","choices":["x","y"],"answer":1},
                             {"at_ms":900,"question":"r?","choices":["x","y"],"answer":0}]}"#,
        )
        .unwrap()
        .file;
        assert_eq!(lesson_stops(&f), vec![0, 200_000, 500_000, 900_000]);
        assert_eq!(caption_at(&f, 0), Some((0, "a")));
        assert_eq!(caption_at(&f, 499_999), Some((2, "c")));
        assert_eq!(caption_at(&f, 10_000_000), Some((1, "b")));
        assert_eq!(next_question(&f, 0, &[]), Some((0, 200_000)));
        assert_eq!(next_question(&f, 0, &[true]), Some((1, 900_000)));
        assert_eq!(next_question(&f, 200_000, &[]), Some((1, 900_000)));
        assert_eq!(question_at(&f, 200_000, &[]), Some(0));
        assert_eq!(question_at(&f, 200_000, &[true]), None);
    }
}
