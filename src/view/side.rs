//! The side panels: the safety properties and "break it", the server and
//! message inspectors, the messages in flight.

use super::on;
use crate::lab::secs;
use crate::ring::{client_message_class, message_class};
use crate::state::{Model, Msg};
use quorum_core::protocol::Timer;
use quorum_core::sim::scenario::EventSpec;
use quorum_core::sim::Lab;
use yew::prelude::*;

pub fn node_panel(m: &Model, send: &Callback<Msg>, lab: &Lab) -> Html {
    let Some(id) = m.selection.node else {
        return html! { <div class="panel hint">{"Click a server to see its state and act on it. Click a message to inspect it."}</div> };
    };
    let sim = lab.sim();
    let Some(node) = sim.node(id) else {
        return html! {};
    };
    let up = sim.is_up(id);
    let deadline = sim.timer_deadline(id, Timer::Election);
    let leads = up && node.role() == quorum_core::protocol::Role::Leader;
    // The lease ends at a time of this server's clock: on the simulator's.
    let rate = sim.clock_rate_ppm(id).unwrap_or(1_000_000).max(1);
    // (The node last read its clock at its last step: a lease that ran
    // out since is over.)
    let lease = node
        .lease_until()
        .map(|local| local.saturating_mul(1_000_000) / rate)
        .filter(|&t| t > sim.now());
    let reads: Vec<String> = node
        .pending_reads()
        .map(|i| i.map_or("…".into(), |i| format!("@{i}")))
        .collect();
    let reads = if reads.is_empty() {
        "none".to_string()
    } else {
        reads.join(" ")
    };
    let leader_up = lab.leader().is_some_and(|l| l != id);
    // Membership: remove a member, add back one that is out, add a new one.
    let n = sim.node_count();
    let member = !matches!(
        crate::ring::membership_of(lab, id),
        crate::ring::Member::Outside
    );
    let progress = node.progress().iter().map(|(peer, p)| {
        html! { <tr><td>{ format!("S{peer}") }</td><td>{ p.next_index }</td><td>{ p.match_index }</td></tr> }
    });
    let kv = node
        .kv()
        .data()
        .iter()
        .map(|(k, v)| html! { <tr><td>{ k.to_string() }</td><td>{ v.to_string() }</td></tr> });
    let act = |e: EventSpec| send.reform(move |_: MouseEvent| Msg::Act(e.clone()));
    let request = EventSpec::Request {
        at_ms: 0.0,
        op: quorum_core::protocol::KvOp::Put {
            key: "x".into(),
            value: format!("via S{id}").into(),
        },
        node: Some(id),
        count: None,
    };
    html! {
        <div class="panel node-panel" aria-label={format!("Server S{id}")} id="node-panel">
            <div class="panel-head"><h2>{ format!("S{id}") }</h2>
                <button aria-label="Close" onclick={on(send, || Msg::CloseNode)}>{"×"}</button></div>
            <dl>
                <dt>{"state"}</dt><dd>{ if up { node.role().as_str() } else { "crashed" } }</dd>
                <dt>{"currentTerm"}</dt><dd>{ node.current_term() }</dd>
                <dt>{"votedFor"}</dt><dd>{ node.voted_for().map_or("null".into(), |v| format!("S{v}")) }</dd>
                <dt>{"commitIndex"}</dt><dd>{ node.commit_index() }</dd>
                <dt>{"lastApplied"}</dt><dd>{ node.last_applied() }</dd>
                <dt>{"log length"}</dt><dd>{ node.log().last_index() }</dd>
                <dt>{"election timeout"}</dt><dd>{ match deadline {
                    Some(d) => format!("at {} s (in {:.1} ms)", secs(d), d.saturating_sub(sim.now()) as f64 / 1000.0),
                    None => "not running".into() } }</dd>
                if rate != 1_000_000 {
                    <dt>{"clock"}</dt><dd>{ format!("{:+.1}% off real time", (rate as f64 - 1e6) / 1e4) }</dd>
                }
                if leads {
                    <dt>{"lease"}</dt><dd>{ match lease {
                        Some(t) => format!("until {} s", secs(t)),
                        None => "none".into() } }</dd>
                    <dt>{"reads waiting"}</dt><dd>{ reads }</dd>
                    if let Some(to) = node.transfer_target() {
                        <dt>{"transfer"}</dt><dd>{ format!("to S{to}") }</dd>
                    }
                }
            </dl>
            if !node.progress().is_empty() {
                <table class="mini"><caption>{"leader's view of each follower"}</caption>
                    <thead><tr><th>{"peer"}</th><th>{"nextIndex"}</th><th>{"matchIndex"}</th></tr></thead>
                    <tbody>{ for progress }</tbody></table>
            }
            <table class="mini"><caption>{"key-value store (applied)"}</caption>
                <tbody>{ for kv }</tbody></table>
            <div class="actions">
                if up {
                    <button aria-label={format!("Crash S{id}")} id="node-crash" onclick={act(EventSpec::Crash { at_ms: 0.0, node: id })}>{"Crash"}</button>
                    <button aria-label={format!("Time out S{id}")} title="Force an election timeout" onclick={act(EventSpec::Timeout { at_ms: 0.0, node: id })}>{"Time out"}</button>
                    <button aria-label={format!("Send a client request to S{id}")} onclick={act(request)}>{"Request"}</button>
                    if member {
                        <button aria-label={format!("Remove S{id} from the cluster")} id="node-remove"
                            title="A configuration change: the leader takes this server out (thesis chapter 4)"
                            onclick={act(EventSpec::RemoveServer { at_ms: 0.0, node: id })}>{"Remove"}</button>
                    } else {
                        <button aria-label={format!("Add back S{id} to the cluster")} id="node-readd"
                            title="A configuration change: the leader takes this server in, as a learner first"
                            onclick={act(EventSpec::AddServer { at_ms: 0.0, node: id })}>{"Add back"}</button>
                    }
                    if n < crate::lab::MAX_NODES_UI {
                        <button aria-label={format!("Add server S{}, a new one", n + 1)} id="node-add"
                            title="A new, empty server joins: it catches up as a learner, then votes (§4.2.1)"
                            onclick={act(EventSpec::AddServer { at_ms: 0.0, node: n + 1 })}>{"Add server"}</button>
                    }
                    if leader_up {
                        <button aria-label={format!("Transfer leadership to S{id}")} id="node-transfer"
                            title="The leader catches this server up, then tells it to time out now (§3.10)"
                            onclick={act(EventSpec::TransferLeader { at_ms: 0.0, to: id })}>{"Make leader"}</button>
                    }
                } else {
                    <button aria-label={format!("Restart S{id}")} id="node-restart" onclick={act(EventSpec::Restart { at_ms: 0.0, node: id })}>{"Restart"}</button>
                }
            </div>
        </div>
    }
}

pub fn message_panel(m: &Model, send: &Callback<Msg>, lab: &Lab) -> Html {
    let Some(id) = m.selection.msg else {
        return html! {};
    };
    let flying = lab.sim().in_flight();
    let clients = lab.sim().client_in_flight();
    // A client's request or a server's answer: its ends and what it carries.
    let client = clients.iter().find(|m| m.id == id).map(|m| {
        let (from, to) = m.ends();
        let fields = match m.what {
            quorum_core::sim::ClientMessage::Request(op) => {
                quorum_core::util::pretty::to_string_pretty(op)
            }
            quorum_core::sim::ClientMessage::Reply(r) => {
                quorum_core::util::pretty::to_string_pretty(r)
            }
        };
        let ends = format!("{from} → {to}, op {}", m.op_id);
        (ends, m.sent, m.arrives, fields)
    });
    let server = flying.iter().find(|m| m.id == id).map(|m| {
        let fields = quorum_core::util::pretty::to_string_pretty(m.msg);
        (
            format!("S{} → S{}", m.from, m.to),
            m.sent,
            m.arrives,
            fields,
        )
    });
    let Some((ends, sent, arrives, fields)) = server.or(client) else {
        return html! {
            <div class="panel msg-panel" id="msg-panel">
                <div class="panel-head"><h2>{ format!("Message #{id}") }</h2>
                    <button aria-label="Close" onclick={on(send, || Msg::CloseMessage)}>{"×"}</button></div>
                <p>{"Delivered or lost: no longer in flight."}</p>
            </div>
        };
    };
    html! {
        <div class="panel msg-panel" id="msg-panel">
            <div class="panel-head"><h2>{ format!("Message #{id}: {ends}") }</h2>
                <button aria-label="Close" onclick={on(send, || Msg::CloseMessage)}>{"×"}</button></div>
            <p>{ format!("sent at {} s, arrives at {} s", secs(sent), secs(arrives)) }</p>
            <pre>{ fields }</pre>
            <div class="actions">
                <button aria-label="Drop this message" onclick={send.reform(move |_| Msg::Act(EventSpec::DropMessage { at_ms: 0.0, id }))}>{"Drop"}</button>
                <button aria-label="Duplicate this message" onclick={send.reform(move |_| Msg::Act(EventSpec::DuplicateMessage { at_ms: 0.0, id }))}>{"Duplicate"}</button>
            </div>
        </div>
    }
}

/// The safety properties, live: a tick each, or what broke and why.
/// "Break it": load a planted bug's reproducing scenario, watch Raft
/// break, then switch the bug off and watch the same seed stay safe.
fn break_it(m: &Model, send: &Callback<Msg>) -> Html {
    use quorum_core::protocol::Bug;
    let current = m.bug.as_ref().map(|b| (b.name.as_str(), b.on));
    let options = Bug::ALL.iter().map(|b| {
        let name = b.name();
        html! { <option value={name} selected={current.is_some_and(|(n, _)| n == name)}>{ name.replace('_', " ") }</option> }
    });
    html! {
        <div class="break-it">
            <select id="break-it" aria-label="Break it: load a planted Raft bug"
                onchange={send.reform(|e: Event| {
                    Msg::BreakIt(e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default())
                })}>
                <option value="" selected={current.is_none()}>{"Break it: pick a planted bug…"}</option>
                { for options }
            </select>
            if let Some((_, on)) = current {
                <button id="toggle-bug" aria-pressed={on.to_string()} title="Switch the planted bug off or on"
                    onclick={super::on(send, || Msg::ToggleBug)}>{ if on { "Bug on: switch off" } else { "Bug off: switch on" } }</button>
            }
        </div>
    }
}

pub fn invariants(m: &Model, send: &Callback<Msg>, lab: &Lab) -> Html {
    use quorum_core::sim::Property;
    let violations = lab.violations();
    let row = |p: Property| {
        let broken = violations.iter().find(|v| v.property == p);
        html! {
            <li class={classes!(broken.is_some().then_some("broken"))} data-property={format!("{p:?}")}
                title={p.rule()}>
                <span class="mark">{ if broken.is_some() { "✗" } else { "✓" } }</span>{ p.name() }
            </li>
        }
    };
    let five = [
        Property::ElectionSafety,
        Property::LeaderAppendOnly,
        Property::LogMatching,
        Property::LeaderCompleteness,
        Property::StateMachineSafety,
    ];
    let others = violations
        .iter()
        .filter(|v| !five.contains(&v.property))
        .count();
    let first = violations.first().map(|v| {
        html! {
            <div class="violation" role="alert" id="violation">
                <b>{ format!("{} broken at {:.3} s", v.property.name(), v.t as f64 / 1e6) }</b>
                <p>{ v.message.clone() }</p>
                <p class="rule">{ v.property.rule() }</p>
            </div>
        }
    });
    html! {
        <div class="panel invariants" id="invariants" aria-label="Safety properties">
            <h2>{"Safety"}</h2>
            <ul>{ for five.into_iter().map(row) }
                { match &m.checks.lin {
                    Some(crate::state::Verdict { text, state }) => {
                        use crate::state::LinState;
                        let (class, mark) = match state {
                            LinState::Holds => (None, "✓"),
                            LinState::Broken => (Some("broken"), "✗"),
                            LinState::Undecided => (Some("undecided"), "?"),
                            LinState::Checking => (Some("pending"), "…"),
                        };
                        html! {
                            <li id="linearizability" class={classes!(class)} title={text.clone()}
                                data-property="Linearizability" data-state={format!("{state:?}").to_ascii_lowercase()}
                                aria-busy={(*state == LinState::Checking).to_string()}>
                                <span class="mark">{ mark }</span>{"Linearizability"}
                                <span class="lin-note">{ text.clone() }</span>
                            </li>
                        }
                    },
                    None => html! {
                        <li id="linearizability" class="pending" data-property="Linearizability"
                            title="Client operations are checked for linearizability whenever the run is paused">
                            <span class="mark">{"…"}</span>{"Linearizability"}<span class="lin-note">{"checked when paused"}</span>
                        </li>
                    },
                } }
            </ul>
            { break_it(m, send) }
            <p class="others">{ if others == 0 { format!("{} more invariants hold", Property::ALL.len() - five.len()) } else { format!("{others} more broken") } }</p>
            { for first }
        </div>
    }
}

/// While paused: every message in flight, as a list to pick from.
pub fn flight_list(send: &Callback<Msg>, lab: &Lab) -> Html {
    let msgs = lab.sim().in_flight();
    let clients = lab.sim().client_in_flight();
    if msgs.is_empty() && clients.is_empty() {
        return html! {};
    }
    // (id, from, to, what): the servers' messages, then the clients'.
    let mut rows = Vec::new();
    for m in msgs.iter().take(200) {
        let (_, _, label) = message_class(m.msg);
        rows.push((m.id, format!("S{}", m.from), format!("S{}", m.to), label));
    }
    for m in clients.iter().take(200 - rows.len()) {
        let (_, _, label) = client_message_class(m);
        let (from, to) = m.ends();
        rows.push((m.id, from.to_string(), to.to_string(), label));
    }
    let count = msgs.len() + clients.len();
    let items = rows.into_iter().map(|(id, from, to, label)| {
        let onclick = send.reform(move |_: MouseEvent| Msg::SelectMessage(id));
        // The visible text is the name (a screen reader reads the arrow as
        // "right arrow"; the title says it in words).
        html! { <li><button class="link-button" data-msg={id.to_string()} onclick={onclick}
        title={format!("Inspect message {id}: {label} from {from} to {to}")}>
        { format!("#{id} {from}→{to} {label}") }</button></li> }
    });
    html! {
        <div class="panel flight" id="flight-list">
            <h2>{ format!("In flight ({count})") }</h2>
            <ul>{ for items }</ul>
        </div>
    }
}
