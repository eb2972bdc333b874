//! What the page draws: the ring, the log table, the panels, the controls.
//! Pure functions of the simulator state plus UI state.

use crate::app::{App, Msg};
use crate::model::{
    command_label, speed_label, speed_to_slider, term_color, MAX_NODES_UI, MAX_SPEED, MIN_SPEED,
};
use quorum_core::protocol::{Message, NodeId, RaftNode, Role, Timer};
use quorum_core::sim::scenario::EventSpec;
use quorum_core::sim::{Lab, Micros};
use quorum_core::util::Fnv64;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

const CX: f64 = 300.0;
const CY: f64 = 300.0;
const RING: f64 = 220.0;
/// How many log indexes the table shows at once (it scrolls past that).
pub const LOG_WINDOW: u64 = 40;
const GROUP_COLORS: [&str; 4] = ["#7a8694", "#d9480f", "#5f3dc4", "#0b7285"];

fn ms(t: Micros) -> String {
    format!("{:.3}", t as f64 / 1e6)
}

pub fn node_pos(i: NodeId, n: u32) -> (f64, f64) {
    if n == 1 {
        return (CX, CY);
    }
    let a = -std::f64::consts::FRAC_PI_2 + (i - 1) as f64 * std::f64::consts::TAU / n as f64;
    (CX + RING * a.cos(), CY + RING * a.sin())
}

pub fn node_radius(n: u32) -> f64 {
    if n <= 7 {
        36.0
    } else if n <= 11 {
        30.0
    } else {
        24.0
    }
}

fn input_value(e: &Event) -> f64 {
    e.target_dyn_into::<HtmlInputElement>()
        .map_or(f64::NAN, |i| i.value_as_number())
}

/// A virtual time as a whole number of milliseconds, for the scrubber.
pub fn ms_value(t: Micros) -> String {
    (t / 1000).to_string()
}

/// The timeline: drag to any time of this run; ←/→ step one event. Its
/// position (like the clock) is set directly every frame, not by the
/// virtual DOM (see `App::paint_time`).
fn scrubber(app: &App, ctx: &Context<App>, lab: &Lab) -> Html {
    let forks = lab.forks();
    html! {
        <div class="scrubber">
            <input type="range" id="scrubber" ref={app.scrub_ref()} aria-label="Timeline: drag to go back and forth in virtual time"
                min="0" step="1"
                oninput={ctx.link().callback(|e: InputEvent| Msg::Seek(input_value(&e)))} />
            <button aria-label="Step back one event" onclick={ctx.link().callback(|_| Msg::StepEvents(-1))}>{"‹ back"}</button>
            <button aria-label="Step forward one event" onclick={ctx.link().callback(|_| Msg::StepEvents(1))}>{"fwd ›"}</button>
            if forks > 0 {
                <span class="forked" id="forked" title="You acted in the past: the recorded future after that point was replaced">
                    { format!("future replaced ×{forks}") }</span>
            }
        </div>
    }
}

pub fn clock_text(lab: &Lab) -> String {
    format!("t = {} s", ms(lab.sim().now()))
}

/// A fingerprint of everything the SVG ring draws (not the canvas): when
/// it is unchanged, a frame needs no DOM work.
pub fn ring_version(lab: &Lab) -> u64 {
    let sim = lab.sim();
    let net = sim.network();
    let mut h = Fnv64::new();
    let mut mix = |v: u64| h = h.u64(v);
    for i in 1..=sim.node_count() {
        if let Some(n) = sim.node(i) {
            mix(u64::from(sim.is_up(i)));
            mix(n.role() as u64);
            mix(n.current_term());
            mix(n.voted_for().map_or(0, u64::from));
            mix(net.group_of(i).map_or(u64::MAX, u64::from));
        }
    }
    mix(lab.scenario().events.len() as u64);
    mix(u64::from(lab.forks()));
    mix(lab.violations().len() as u64);
    h.value()
}

pub fn page(app: &App, ctx: &Context<App>) -> Html {
    use crate::share::{P_CHARTS, P_EVENTS, P_LAMPORT, P_LOG, P_RING, P_SAFETY};
    let s = app.shared.borrow();
    let lab = &s.lab;
    let link = ctx.link();
    let embed = app.embed().on;
    let n = lab.sim().node_count();
    let side = app.shows(P_SAFETY) || !embed;
    html! {
        <div class={classes!("quorum", embed.then_some("embed"))}>
            if embed { { embed_bar(app, ctx, s.running) } } else { { controls(app, ctx, lab, s.running, s.speed) } }
            { scrubber(app, ctx, lab) }
            { lesson_bar(ctx, lab) }
            <main class={classes!("stage", (!side).then_some("solo"))}>
                if app.shows(P_RING) {
                    <section class="ring-wrap" aria-label="Cluster">
                        { ring(app, ctx, lab) }
                        if !embed { { legend() } }
                    </section>
                }
                if side {
                    <aside class="side">
                        if app.shows(P_SAFETY) { { invariants(app, ctx, lab) } }
                        if !embed {
                            { node_panel(app, ctx, lab) }
                            { message_panel(app, ctx, lab) }
                            if !s.running { { flight_list(ctx, lab) } }
                        }
                    </aside>
                }
            </main>
            if app.shows(P_LOG) { <LogTable model={app.log_model()} on_scroll={app.log_scroll_callback()} /> }
            if app.shows(P_LAMPORT) { { crate::panels::lamport(app, ctx, n) } }
            if app.shows(P_EVENTS) || app.shows(P_CHARTS) {
                <div class="linked">
                    if app.shows(P_EVENTS) { { crate::panels::event_log(app, ctx, n) } }
                    if app.shows(P_CHARTS) { { crate::panels::charts(&app.charts()) } }
                </div>
            }
            if let Some(n) = &s.notice {
                <div class="notice" role="status" id="notice">
                    <span>{ n.clone() }</span>
                    <button aria-label="Dismiss" onclick={link.callback(|_| Msg::DismissNotice)}>{"×"}</button>
                </div>
            }
            if let Some(url) = app.share_url() {
                <div class="notice share" role="status" id="share">
                    <span>{"Link copied. It replays this run to this moment:"}</span>
                    <input id="share-link" readonly=true value={url.to_string()} aria-label="Share link"
                        onfocus={Callback::from(|e: FocusEvent| { if let Some(i) = e.target_dyn_into::<HtmlInputElement>() { i.select(); } })} />
                    <button aria-label="Close" onclick={link.callback(|_| Msg::CloseShare)}>{"×"}</button>
                </div>
            }
            { question(app, ctx, lab) }
            if app.help_open() { { help(ctx) } }
            if app.scenario_open() { { scenario_view(ctx, lab) } }
        </div>
    }
}

/// Embed mode's controls: play, step, the clock, a link to the full page.
fn embed_bar(app: &App, ctx: &Context<App>, running: bool) -> Html {
    let link = ctx.link();
    html! {
        <header class="controls embed-bar">
            <button class="primary" aria-label={if running {"Pause"} else {"Play"}} id="play"
                onclick={link.callback(|_| Msg::Toggle)}>{ if running { "Pause" } else { "Play" } }</button>
            <button aria-label="Step to the next event" id="step" onclick={link.callback(|_| Msg::Step)}>{"Step ›"}</button>
            <span class="clock" aria-label="Virtual time" id="clock" ref={app.clock_ref()}></span>
            <button aria-label="Copy a link to this run" id="copy-link" onclick={link.callback(|_| Msg::CopyLink)}>{"Link"}</button>
        </header>
    }
}

/// The library: lessons, the paper's figures, lab runs, planted bugs.
fn library_menu(app: &App, ctx: &Context<App>) -> Html {
    use quorum_core::sim::library::{Kind, ENTRIES};
    let current = app.lib_id();
    let group = |kind: Kind, label: &'static str| {
        let items = ENTRIES.iter().filter(|e| e.kind == kind).map(|e| {
            let name = quorum_core::sim::library::get(e.id).map(|f| f.name).unwrap_or_default();
            html! { <option value={e.id} selected={current == Some(e.id)}>{ if name.is_empty() { e.id.to_string() } else { name } }</option> }
        });
        html! { <optgroup label={label}>{ for items }</optgroup> }
    };
    html! {
        <select id="library" aria-label="Scenarios and lessons"
            onchange={ctx.link().callback(|e: Event| {
                Msg::Library(e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default())
            })}>
            <option value="" selected={current.is_none()}>{"Lessons & scenarios…"}</option>
            { group(Kind::Lesson, "Lessons") }
            { group(Kind::Paper, "The paper") }
            { group(Kind::Lab, "Lab runs") }
            { group(Kind::Bug, "Planted bugs") }
        </select>
    }
}

/// The caption track, and lesson mode's Back / Next.
fn lesson_bar(ctx: &Context<App>, lab: &Lab) -> Html {
    let file = lab.scenario();
    if file.captions.is_empty() && file.questions.is_empty() {
        return html! {};
    }
    let link = ctx.link();
    let now = lab.now();
    let stops = crate::model::lesson_stops(file);
    let at = stops.iter().filter(|&&t| t <= now).count();
    let caption = crate::model::caption_at(file, now);
    html! {
        <div class="lesson" id="lesson">
            <button id="lesson-back" aria-label="Back to the previous caption" disabled={now == 0}
                onclick={link.callback(|_| Msg::LessonBack)}>{"‹ Back"}</button>
            <p class="caption" id="caption" aria-live="polite" data-index={caption.map_or(String::new(), |c| c.0.to_string())}>
                { caption.map_or("", |c| c.1).to_string() }
            </p>
            <span class="progress">{ format!("{at} / {}", stops.len()) }</span>
            <button class="primary" id="lesson-next" aria-label="Play to the next caption" disabled={at >= stops.len() && lab.at_end()}
                onclick={link.callback(|_| Msg::LessonNext)}>{"Next ›"}</button>
        </div>
    }
}

/// A checkpoint question, over the page.
fn question(app: &App, ctx: &Context<App>, lab: &Lab) -> Html {
    let Some((i, chosen)) = app.question() else {
        return html! {};
    };
    let Some(q) = lab.scenario().questions.get(i) else {
        return html! {};
    };
    let link = ctx.link();
    let choices = q.choices.iter().enumerate().map(|(k, c)| {
        let class = match chosen {
            Some(_) if k == q.answer => "choice right",
            Some(x) if x == k => "choice wrong",
            _ => "choice",
        };
        html! { <button class={class} data-choice={k.to_string()} disabled={chosen.is_some()}
        onclick={link.callback(move |_| Msg::Answer(k))}>{ c.clone() }</button> }
    });
    html! {
        <div class="overlay" role="dialog" aria-label="Question" id="question">
            <div class="overlay-box">
                <h2>{ q.question.clone() }</h2>
                <div class="choices">{ for choices }</div>
                if let Some(x) = chosen {
                    <p class="verdict" id="verdict">{ if x == q.answer { "Right. ".to_string() } else { format!("Not quite: it is {}. ", q.choices.get(q.answer).cloned().unwrap_or_default()) } }{ q.explain.clone() }</p>
                    <button class="primary" id="question-continue" onclick={link.callback(|_| Msg::CloseQuestion)}>{"Continue"}</button>
                }
            </div>
        </div>
    }
}

fn controls(app: &App, ctx: &Context<App>, lab: &Lab, running: bool, speed: f64) -> Html {
    let link = ctx.link();
    let sim = lab.sim();
    let n = sim.node_count();
    let (lo, hi) = sim.network().latency;
    let drop_p = current_prob(lab, true);
    let dup_p = current_prob(lab, false);
    let sizes = (1..=MAX_NODES_UI).map(|k| {
        html! { <option value={k.to_string()} selected={k == n}>{ format!("{k} nodes") }</option> }
    });
    let partitioning = app.partition_choice().is_some();
    html! {
        <header class="controls">
            <h1 class="brand">{"Quorum"}</h1>
            <div class="group">
                <button class="primary" aria-label={if running {"Pause"} else {"Play"}} id="play"
                    onclick={link.callback(|_| Msg::Toggle)}>{ if running { "Pause" } else { "Play" } }</button>
                <button aria-label="Step to the next event" id="step" onclick={link.callback(|_| Msg::Step)}>{"Step ›"}</button>
                <span class="clock" aria-label="Virtual time" id="clock" ref={app.clock_ref()}></span>
            </div>
            <label class="group speed">
                <span>{"Speed "}<b id="speed-label">{ speed_label(speed) }</b></span>
                <input type="range" aria-label="Speed" id="speed"
                    min={MIN_SPEED.log10().to_string()} max={MAX_SPEED.log10().to_string()} step="0.01"
                    value={speed_to_slider(speed).to_string()}
                    oninput={link.callback(|e: InputEvent| Msg::Speed(input_value(&e)))} />
            </label>
            <div class="group">
                <button aria-label="Send a client request" id="request" onclick={link.callback(|_| Msg::Request)}>{"✉ Request"}</button>
                <button aria-label="Crash the leader" id="crash-leader" onclick={link.callback(|_| Msg::CrashLeader)}>{"✕ Crash leader"}</button>
                <button aria-label="Restart all crashed nodes" onclick={link.callback(|_| Msg::RestartAll)}>{"↻ Restart all"}</button>
            </div>
            <div class="group">
                <button aria-pressed={partitioning.to_string()} aria-label="Partition tool" id="partition"
                    class={classes!(partitioning.then_some("active"))}
                    onclick={link.callback(|_| Msg::PartitionMode)}>{"✂ Partition"}</button>
                if partitioning {
                    <button class="primary" aria-label="Apply the partition" id="partition-apply"
                        onclick={link.callback(|_| Msg::PartitionApply)}>{"Apply"}</button>
                }
                <button aria-label="Heal the network" id="heal" onclick={link.callback(|_| Msg::Heal)}>{"Heal"}</button>
            </div>
            <details class="group net">
                <summary aria-label="Network settings">{"Network"}</summary>
                <label>{ format!("latency min {} ms", lo / 1000) }
                    <input type="range" min="0" max="500" step="1" aria-label="Minimum latency (ms)"
                        value={(lo / 1000).to_string()}
                        onchange={link.callback(|e: Event| Msg::LatencyMin(input_value(&e)))} /></label>
                <label>{ format!("latency max {} ms", hi / 1000) }
                    <input type="range" min="0" max="500" step="1" aria-label="Maximum latency (ms)"
                        value={(hi / 1000).to_string()}
                        onchange={link.callback(|e: Event| Msg::LatencyMax(input_value(&e)))} /></label>
                <label>{ format!("drop {:.0}%", drop_p * 100.0) }
                    <input type="range" min="0" max="0.5" step="0.01" aria-label="Drop probability"
                        value={drop_p.to_string()}
                        onchange={link.callback(|e: Event| Msg::Drop(input_value(&e)))} /></label>
                <label>{ format!("duplicate {:.0}%", dup_p * 100.0) }
                    <input type="range" min="0" max="0.5" step="0.01" aria-label="Duplicate probability"
                        value={dup_p.to_string()}
                        onchange={link.callback(|e: Event| Msg::Duplicate(input_value(&e)))} /></label>
            </details>
            <div class="group">
                <select aria-label="Cluster size" id="size"
                    onchange={link.callback(|e: Event| {
                        let v = e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default();
                        Msg::Resize(v.parse().unwrap_or(5))
                    })}>{ for sizes }</select>
                <span class="seed" aria-label="Seed" id="seed">{ format!("seed {}", lab.scenario().seed) }</span>
                <button aria-label="Reset with the same seed" onclick={link.callback(|_| Msg::Reset)}>{"Reset"}</button>
                <button aria-label="Reset with a new seed" onclick={link.callback(|_| Msg::NewSeed)}>{"New seed"}</button>
            </div>
            <div class="group">
                { library_menu(app, ctx) }
                <button aria-label="Copy a link to this run at this moment" id="copy-link" onclick={link.callback(|_| Msg::CopyLink)}>{"Copy link"}</button>
                <details class="group net" id="export">
                    <summary aria-label="Export and import">{"Export / import"}</summary>
                    <button id="export-scenario" onclick={link.callback(|_| Msg::Export(crate::app::Export::Scenario))}>{"Scenario (JSON)"}</button>
                    <button id="export-trace" onclick={link.callback(|_| Msg::Export(crate::app::Export::Trace))}>{"Trace (JSON Lines)"}</button>
                    <button id="export-svg" onclick={link.callback(|_| Msg::Export(crate::app::Export::Svg))}>{"Ring (SVG)"}</button>
                    <label class="import">{"Import a scenario "}
                        <input type="file" id="import" accept=".json,application/json" aria-label="Import a scenario file"
                            onchange={{
                                let scope = link.clone();
                                Callback::from(move |e: Event| {
                                    let input = e.target_dyn_into::<HtmlInputElement>();
                                    let file = input.as_ref().and_then(|i| i.files()).and_then(|f| f.get(0));
                                    if let Some(f) = file {
                                        // The text comes back as Msg::Import.
                                        crate::app::read_file(scope.clone(), f);
                                    }
                                    if let Some(i) = input {
                                        i.set_value("");
                                    }
                                })
                            }} />
                    </label>
                    <span class="hint">{"or drop a file on the page"}</span>
                </details>
            </div>
            <div class="group">
                <button aria-label="Show the recorded scenario" onclick={link.callback(|_| Msg::ShowScenario(true))}>
                    { match lab.scenario().events.len() { 1 => "Scenario (1 event)".to_string(), n => format!("Scenario ({n} events)") } }</button>
                <button aria-label="Help and keyboard shortcuts" id="help" onclick={link.callback(|_| Msg::Help(true))}>{"?"}</button>
            </div>
        </header>
    }
}

/// The network's current loss or duplication, from the recorded events.
fn current_prob(lab: &Lab, drop: bool) -> f64 {
    let f = lab.scenario();
    let mut p = if drop {
        f.network.drop
    } else {
        f.network.duplicate
    };
    for e in &f.events {
        if let EventSpec::Network {
            drop: d,
            duplicate: u,
            ..
        } = e
        {
            if let Some(v) = if drop { d } else { u } {
                p = *v;
            }
        }
    }
    p
}

fn ring(app: &App, ctx: &Context<App>, lab: &Lab) -> Html {
    let sim = lab.sim();
    let n = sim.node_count();
    let r = node_radius(n);
    let choice = app.partition_choice();
    let nodes = (1..=n).filter_map(|id| {
        let node = sim.node(id)?;
        Some(node_view(
            ctx,
            lab,
            node,
            id,
            n,
            r,
            choice,
            app.selected_node() == Some(id),
        ))
    });
    // Links, messages and timers are drawn on a canvas
    // under the SVG (see canvas.rs), so the DOM only changes when a
    // server's state does. A click on the ring picks the nearest message.
    let onclick = ctx.link().callback(|e: MouseEvent| {
        Msg::RingClick((f64::from(e.client_x()), f64::from(e.client_y())))
    });
    html! {
        <div class="ring-box">
            <canvas class="ring-canvas" ref={app.canvas_ref()} width="1200" height="1200" aria-hidden="true" />
            <svg class="ring" viewBox="0 0 600 600" role="img" onclick={onclick}
                aria-label="Servers on a ring; messages in flight are drawn between them">
                <g class="nodes">{ for nodes }</g>
            </svg>
        </div>
    }
}

#[allow(clippy::too_many_arguments)]
fn node_view(
    ctx: &Context<App>,
    lab: &Lab,
    node: &RaftNode,
    id: NodeId,
    n: u32,
    r: f64,
    choice: Option<&[u8]>,
    selected: bool,
) -> Html {
    let sim = lab.sim();
    let (x, y) = node_pos(id, n);
    let up = sim.is_up(id);
    let role = node.role();
    let term = node.current_term();
    let stroke = term_color(term);
    let group = sim
        .network()
        .group_of(id)
        .filter(|_| sim.network().is_partitioned());
    let pick = choice.and_then(|c| c.get(id as usize - 1).copied());
    let shape = match role {
        Role::Leader => html! { <rect class="shape" x={(-r).to_string()} y={(-r).to_string()}
        width={(2.0 * r).to_string()} height={(2.0 * r).to_string()} rx={(r * 0.35).to_string()} stroke={stroke.clone()} /> },
        Role::Candidate => html! { <polygon class="shape" stroke={stroke.clone()}
        points={format!("0,{} {},0 0,{} {},0", -r * 1.15, r * 1.15, r * 1.15, -r * 1.15)} /> },
        Role::Follower => {
            html! { <circle class="shape" r={r.to_string()} stroke={stroke.clone()} /> }
        }
    };
    let group_ring = match (pick, group) {
        (Some(g), _) => Some(GROUP_COLORS[g as usize % 4]),
        (None, Some(g)) => Some(GROUP_COLORS[(g as usize + 1) % 4]),
        _ => None,
    };
    let vote = node
        .voted_for()
        .map(|v| format!("voted S{v}"))
        .unwrap_or_default();
    let violating = lab
        .violations()
        .first()
        .is_some_and(|v| v.nodes.contains(&id));
    let onclick = ctx.link().callback(move |e: MouseEvent| {
        e.stop_propagation();
        Msg::SelectNode(id)
    });
    // Keyboard users open a server with Enter.
    let onkeydown = ctx.link().batch_callback(move |e: KeyboardEvent| {
        (e.key() == "Enter").then_some(Msg::SelectNode(id))
    });
    html! {
        <g class={classes!("node", role.as_str(), (!up).then_some("crashed"), selected.then_some("selected"),
                    group.is_some().then_some("partitioned"), violating.then_some("violating"))}
            transform={format!("translate({x:.1},{y:.1})")} onclick={onclick} onkeydown={onkeydown}
            role="button" tabindex="0" aria-label={format!("S{id}, {}, term {term}{}", role.as_str(), if up {""} else {", crashed"})}
            data-node={id.to_string()} data-role={role.as_str()} data-term={term.to_string()} data-up={up.to_string()}>
            if let Some(color) = group_ring {
                <circle class="group-ring" r={(r + 14.0).to_string()} stroke={color} />
            }
            { shape }
            <text class="name" y="-4">{ format!("S{id}") }</text>
            <text class="term" y="13">{ format!("T{term}") }</text>
            <text class="vote" y={(r + 24.0).to_string()}>{ vote }</text>
            if role == Role::Leader { <text class="badge" y={(-r - 6.0).to_string()}>{"★ leader"}</text> }
            if !up { <text class="cross" y="4">{"✕"}</text> }
        </g>
    }
}

/// A message's style class, size and a short description.
pub fn message_class(m: &Message) -> (&'static str, f64, String) {
    match m {
        Message::RequestVote(m) => ("m-rv", 8.0, format!("RequestVote T{}", m.term)),
        Message::RequestVoteReply(m) if m.vote_granted => {
            ("m-vote-yes", 6.0, "vote granted".into())
        }
        Message::RequestVoteReply(_) => ("m-vote-no", 6.0, "vote denied".into()),
        Message::AppendEntries(m) if m.entries.is_empty() => ("m-hb", 5.0, "heartbeat".into()),
        Message::AppendEntries(m) => (
            "m-ae",
            7.0 + (m.entries.len().min(6) as f64),
            format!("AppendEntries ×{}", m.entries.len()),
        ),
        Message::AppendEntriesReply(m) if m.success => ("m-ae-ok", 5.0, "append ok".into()),
        Message::AppendEntriesReply(_) => ("m-ae-fail", 6.0, "append rejected".into()),
    }
}

fn legend() -> Html {
    let item = |class: &str, text: &str| {
        html! { <li><svg width="16" height="16" viewBox="-8 -8 16 16"><g class={classes!("msg", class.to_string())}><circle class="dot" r="5" /></g></svg>{ text.to_string() }</li> }
    };
    html! {
        <ul class="legend" aria-label="Legend">
            <li><span class="key follower"></span>{"follower"}</li>
            <li><span class="key candidate"></span>{"candidate"}</li>
            <li><span class="key leader"></span>{"leader"}</li>
            { item("m-rv", "RequestVote") }
            { item("m-vote-yes", "vote granted") }
            { item("m-vote-no", "vote denied") }
            { item("m-hb", "heartbeat") }
            { item("m-ae", "AppendEntries with entries") }
            { item("m-ae-ok", "append ok") }
            { item("m-ae-fail", "append rejected") }
        </ul>
    }
}

fn node_panel(app: &App, ctx: &Context<App>, lab: &Lab) -> Html {
    let Some(id) = app.selected_node() else {
        return html! { <div class="panel hint">{"Click a server to see its state and act on it. Click a message to inspect it."}</div> };
    };
    let sim = lab.sim();
    let Some(node) = sim.node(id) else {
        return html! {};
    };
    let up = sim.is_up(id);
    let link = ctx.link();
    let deadline = sim.timer_deadline(id, Timer::Election);
    let progress = node.progress().iter().map(|(peer, p)| {
        html! { <tr><td>{ format!("S{peer}") }</td><td>{ p.next_index }</td><td>{ p.match_index }</td></tr> }
    });
    let kv = node
        .kv()
        .data()
        .iter()
        .map(|(k, v)| html! { <tr><td>{ k.to_string() }</td><td>{ v.to_string() }</td></tr> });
    let act = |e: EventSpec| link.callback(move |_: MouseEvent| Msg::Act(e.clone()));
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
                <button aria-label="Close" onclick={link.callback(|_| Msg::CloseNode)}>{"×"}</button></div>
            <dl>
                <dt>{"state"}</dt><dd>{ if up { node.role().as_str() } else { "crashed" } }</dd>
                <dt>{"currentTerm"}</dt><dd>{ node.current_term() }</dd>
                <dt>{"votedFor"}</dt><dd>{ node.voted_for().map_or("null".into(), |v| format!("S{v}")) }</dd>
                <dt>{"commitIndex"}</dt><dd>{ node.commit_index() }</dd>
                <dt>{"lastApplied"}</dt><dd>{ node.last_applied() }</dd>
                <dt>{"log length"}</dt><dd>{ node.log().last_index() }</dd>
                <dt>{"election timeout"}</dt><dd>{ match deadline {
                    Some(d) => format!("at {} s (in {:.1} ms)", ms(d), d.saturating_sub(sim.now()) as f64 / 1000.0),
                    None => "not running".into() } }</dd>
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
                    <button aria-label={format!("Force an election timeout on S{id}")} onclick={act(EventSpec::Timeout { at_ms: 0.0, node: id })}>{"Time out"}</button>
                    <button aria-label={format!("Send a client request to S{id}")} onclick={act(request)}>{"Request"}</button>
                } else {
                    <button aria-label={format!("Restart S{id}")} id="node-restart" onclick={act(EventSpec::Restart { at_ms: 0.0, node: id })}>{"Restart"}</button>
                }
            </div>
        </div>
    }
}

fn message_panel(app: &App, ctx: &Context<App>, lab: &Lab) -> Html {
    let Some(id) = app.selected_msg() else {
        return html! {};
    };
    let link = ctx.link();
    let flying = lab.sim().in_flight();
    let Some(m) = flying.iter().find(|m| m.id == id) else {
        return html! {
            <div class="panel msg-panel" id="msg-panel">
                <div class="panel-head"><h2>{ format!("Message #{id}") }</h2>
                    <button aria-label="Close" onclick={link.callback(|_| Msg::CloseMessage)}>{"×"}</button></div>
                <p>{"Delivered or lost: no longer in flight."}</p>
            </div>
        };
    };
    let fields = serde_json::to_string_pretty(m.msg).unwrap_or_default();
    html! {
        <div class="panel msg-panel" id="msg-panel">
            <div class="panel-head"><h2>{ format!("Message #{id}: S{} → S{}", m.from, m.to) }</h2>
                <button aria-label="Close" onclick={link.callback(|_| Msg::CloseMessage)}>{"×"}</button></div>
            <p>{ format!("sent at {} s, arrives at {} s", ms(m.sent), ms(m.arrives)) }</p>
            <pre>{ fields }</pre>
            <div class="actions">
                <button aria-label="Drop this message" onclick={link.callback(move |_| Msg::Act(EventSpec::DropMessage { at_ms: 0.0, id }))}>{"Drop"}</button>
                <button aria-label="Duplicate this message" onclick={link.callback(move |_| Msg::Act(EventSpec::DuplicateMessage { at_ms: 0.0, id }))}>{"Duplicate"}</button>
            </div>
        </div>
    }
}

/// The safety properties, live: a tick each, or what broke and why.
/// "Break it": load a planted bug's reproducing scenario, watch Raft
/// break, then switch the bug off and watch the same seed stay safe.
fn break_it(app: &App, ctx: &Context<App>) -> Html {
    use quorum_core::protocol::Bug;
    let link = ctx.link();
    let current = app.bug();
    let options = Bug::ALL.iter().map(|b| {
        let name = b.name();
        html! { <option value={name} selected={current.is_some_and(|(n, _)| n == name)}>{ name.replace('_', " ") }</option> }
    });
    html! {
        <div class="break-it">
            <select id="break-it" aria-label="Break it: load a planted Raft bug"
                onchange={link.callback(|e: Event| {
                    Msg::BreakIt(e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default())
                })}>
                <option value="" selected={current.is_none()}>{"Break it: pick a planted bug…"}</option>
                { for options }
            </select>
            if let Some((_, on)) = current {
                <button id="toggle-bug" aria-pressed={on.to_string()} aria-label="Switch the planted bug off or on"
                    onclick={link.callback(|_| Msg::ToggleBug)}>{ if on { "Bug on: switch off" } else { "Bug off: switch on" } }</button>
            }
        </div>
    }
}

fn invariants(app: &App, ctx: &Context<App>, lab: &Lab) -> Html {
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
                { match app.linearizability() {
                    Some((text, bad)) => html! {
                        <li id="linearizability" class={classes!(bad.then_some("broken"))} title={text.clone()}
                            data-property="Linearizability">
                            <span class="mark">{ if *bad { "✗" } else { "✓" } }</span>{"Linearizability"}
                            <span class="lin-note">{ text.clone() }</span>
                        </li>
                    },
                    None => html! {
                        <li id="linearizability" class="pending" data-property="Linearizability"
                            title="Client operations are checked for linearizability whenever the run is paused">
                            <span class="mark">{"…"}</span>{"Linearizability"}<span class="lin-note">{"checked when paused"}</span>
                        </li>
                    },
                } }
            </ul>
            { break_it(app, ctx) }
            <p class="others">{ if others == 0 { "7 more invariants hold".to_string() } else { format!("{others} more broken") } }</p>
            { for first }
        </div>
    }
}

/// While paused: every message in flight, as a list to pick from.
fn flight_list(ctx: &Context<App>, lab: &Lab) -> Html {
    let msgs = lab.sim().in_flight();
    if msgs.is_empty() {
        return html! {};
    }
    let items = msgs.iter().take(200).map(|m| {
        let id = m.id;
        let (_, _, label) = message_class(m.msg);
        let onclick = ctx
            .link()
            .callback(move |_: MouseEvent| Msg::SelectMessage(id));
        html! { <li><button class="link-button" data-msg={id.to_string()} onclick={onclick}
        aria-label={format!("Inspect message {id}: {label} from S{} to S{}", m.from, m.to)}>
        { format!("#{id} S{}→S{} {label}", m.from, m.to) }</button></li> }
    });
    html! {
        <div class="panel flight" id="flight-list">
            <h2>{ format!("In flight ({})", msgs.len()) }</h2>
            <ul>{ for items }</ul>
        </div>
    }
}

fn help(ctx: &Context<App>) -> Html {
    let close = ctx.link().callback(|_| Msg::Help(false));
    html! {
        <div class="overlay" role="dialog" aria-label="Help" id="help-overlay">
            <div class="overlay-box">
                <h2>{"Quorum: a Raft cluster you can poke"}</h2>
                <p>{"Each box is a server. Colour of the outline = its term; shape = its role (circle follower, diamond candidate, square leader). The arc around a server is its election timer draining. Dots are messages in flight."}</p>
                <table class="keys">
                    <tr><td><kbd>{"Space"}</kbd></td><td>{"play / pause"}</td></tr>
                    <tr><td><kbd>{"."}</kbd></td><td>{"step to the next event"}</td></tr>
                    <tr><td><kbd>{"C"}</kbd></td><td>{"send a client request"}</td></tr>
                    <tr><td><kbd>{"K"}</kbd></td><td>{"crash the leader"}</td></tr>
                    <tr><td><kbd>{"R"}</kbd></td><td>{"restart all crashed servers"}</td></tr>
                    <tr><td><kbd>{"←"}</kbd>{" / "}<kbd>{"→"}</kbd></td><td>{"one event back / forward (Shift: ten)"}</td></tr>
                    <tr><td><kbd>{"?"}</kbd></td><td>{"this help"}</td></tr>
                    <tr><td><kbd>{"Esc"}</kbd></td><td>{"close panels and tools"}</td></tr>
                </table>
                <p>{"Partition: press ✂ Partition, tap servers to put them in groups (each tap cycles the colour), then Apply. Heal reconnects everyone. Every action is recorded in the scenario at the current virtual time, so the run replays exactly."}</p>
                <button class="primary" aria-label="Close help" onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}

fn scenario_view(ctx: &Context<App>, lab: &Lab) -> Html {
    let json = serde_json::to_string_pretty(lab.scenario()).unwrap_or_default();
    let close = ctx.link().callback(|_| Msg::ShowScenario(false));
    html! {
        <div class="overlay" role="dialog" aria-label="Recorded scenario">
            <div class="overlay-box wide">
                <h2>{"The scenario so far"}</h2>
                <p>{"Every action you took, at the virtual time you took it. Run it with "}<code>{"quorum run"}</code>{" to replay this run exactly."}</p>
                <textarea readonly=true aria-label="Scenario JSON" rows="18" value={json} />
                <button class="primary" aria-label="Close" onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}

/// The log table's data, rebuilt only when something in it changed, and
/// only for the window of indexes on screen.
pub struct LogModel {
    pub version: u64,
    pub rows: Vec<LogRow>,
    /// The longest log's last index.
    pub total: u64,
    /// The window shown: indexes `first..=last`.
    pub first: u64,
    pub last: u64,
    /// Following the newest entries (no scroll position chosen).
    pub follow: bool,
}

pub struct LogRow {
    pub id: NodeId,
    pub up: bool,
    pub leader: bool,
    pub commit: u64,
    pub applied: u64,
    /// (term, label) per index of the window, while the log has entries.
    pub cells: Vec<(u64, String)>,
    /// The leader's nextIndex and matchIndex for this node.
    pub next_match: Option<(u64, u64)>,
    /// The entry a broken safety property is about, on this server.
    pub flag: Option<u64>,
}

impl PartialEq for LogModel {
    fn eq(&self, o: &Self) -> bool {
        self.version == o.version
    }
}

impl LogModel {
    /// A cheap fingerprint of everything the table shows.
    pub fn version_of(lab: &Lab, from: Option<u64>) -> u64 {
        let sim = lab.sim();
        let mut h = Fnv64::new();
        let mut mix = |v: u64| h = h.u64(v);
        mix(from.map_or(u64::MAX, |f| f));
        mix(lab.violations().len() as u64);
        for i in 1..=sim.node_count() {
            if let Some(n) = sim.node(i) {
                mix(u64::from(sim.is_up(i)));
                mix(n.log().last_index());
                mix(n.log().last_term());
                mix(n.commit_index());
                mix(n.last_applied());
                mix(n.role() as u64);
                for p in n.progress().values() {
                    mix(p.next_index);
                    mix(p.match_index);
                }
            }
        }
        h.value()
    }

    pub fn build(lab: &Lab, from: Option<u64>) -> LogModel {
        let sim = lab.sim();
        let leader = lab.leader();
        let total = (1..=sim.node_count())
            .filter_map(|i| sim.node(i))
            .map(|n| n.log().last_index())
            .max()
            .unwrap_or(0);
        let end = total.max(1);
        let first = match from {
            Some(f) => f.clamp(1, end),
            // Following the end: the window jumps half a window at a time,
            // so most redraws only fill in new cells.
            None => {
                let half = LOG_WINDOW / 2;
                end.saturating_sub(LOG_WINDOW).div_ceil(half) * half + 1
            }
        };
        let last = (first + LOG_WINDOW - 1).min(end);
        let progress = leader.and_then(|l| sim.node(l)).map(|n| n.progress());
        let rows: Vec<LogRow> = (1..=sim.node_count())
            .filter_map(|i| sim.node(i).map(|n| (i, n)))
            .map(|(i, n)| LogRow {
                id: i,
                up: sim.is_up(i),
                leader: Some(i) == leader,
                commit: n.commit_index(),
                applied: n.last_applied(),
                cells: (first..=last)
                    .map_while(|k| n.log().entry(k))
                    .map(|e| (e.term, command_label(&e.cmd)))
                    .collect(),
                next_match: progress
                    .and_then(|p| p.get(&i))
                    .map(|p| (p.next_index, p.match_index)),
                flag: lab
                    .violations()
                    .iter()
                    .find(|v| v.nodes.contains(&i))
                    .and_then(|v| v.index),
            })
            .collect();
        LogModel {
            version: Self::version_of(lab, from),
            rows,
            total,
            first,
            last,
            follow: from.is_none(),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct LogTableProps {
    pub model: Rc<LogModel>,
    /// Show indexes from this one on (None: follow the newest).
    pub on_scroll: Callback<Option<u64>>,
}

/// The replicated logs, one row per server, [`LOG_WINDOW`] indexes at a
/// time; it follows the newest entries unless the user scrolls back.
#[function_component(LogTable)]
pub fn log_table(p: &LogTableProps) -> Html {
    let m = &p.model;
    let (first, last) = (m.first, m.last);
    let back = first.saturating_sub(LOG_WINDOW / 2).max(1);
    let fwd = first + LOG_WINDOW / 2;
    let scroll = |to: Option<u64>| {
        let cb = p.on_scroll.clone();
        Callback::from(move |_: MouseEvent| cb.emit(to))
    };
    let header =
        (first..=last).map(|i| html! { <div class="cell head" role="columnheader">{ i }</div> });
    let rows = m.rows.iter().map(|r| {
        let cells = (first..=last).map(|i| match r.cells.get((i - first) as usize) {
            Some((term, label)) => {
                let state = if i <= r.applied {
                    "applied"
                } else if i <= r.commit {
                    "committed"
                } else {
                    "uncommitted"
                };
                let marks = r.next_match.map_or(String::new(), |(next, mat)| {
                    let mut s = String::new();
                    if i == mat {
                        s.push('m');
                    }
                    if i == next {
                        s.push('n');
                    }
                    s
                });
                html! {
                    <div role="cell" class={classes!("cell", state, (r.flag == Some(i)).then_some("violating"))} style={format!("--term:{}", term_color(*term))}
                        data-index={i.to_string()} title={format!("index {i}, term {term}: {label} ({state})")}>
                        <span class="t">{ *term }</span><span class="c">{ label.clone() }</span>
                        if !marks.is_empty() { <span class="mark">{ marks }</span> }
                    </div>
                }
            }
            None => {
                let next = r.next_match.is_some_and(|(n, _)| n == i);
                html! { <div role="cell" class="cell empty">if next { <span class="mark">{"n"}</span> }</div> }
            }
        });
        let nm = r.next_match.map_or(String::new(), |(n, mm)| format!("next {n} · match {mm}"));
        html! {
            <div role="row" class={classes!("log-row", (!r.up).then_some("down"), r.leader.then_some("leader"))} data-node={r.id.to_string()}>
                <div role="rowheader" class="who-cell">
                    <span class="who">{ format!("S{}", r.id) }{ if r.leader { " ★" } else { "" } }</span>
                    <span class="ci">{ format!("commit {} · applied {}", r.commit, r.applied) }</span>
                    <span class="nm">{ nm }</span>
                </div>
                { for cells }
            </div>
        }
    });
    html! {
        <section class="logs" aria-label="Replicated logs">
            <div class="logs-head">
                <h2>{"Logs"}</h2>
                <span class="legend-cells"><span class="cell applied">{"applied"}</span><span class="cell committed">{"committed"}</span><span class="cell uncommitted">{"uncommitted"}</span>{" m = matchIndex, n = nextIndex (the leader's view)"}</span>
                <span class="range">{ if m.total == 0 { "no entries yet".to_string() } else { format!("indexes {first}–{last} of {}", m.total) } }</span>
                <button aria-label="Earlier entries" disabled={first <= 1} onclick={scroll(Some(back))}>{"◀"}</button>
                <button aria-label="Later entries" disabled={last >= m.total} onclick={scroll(Some(fwd))}>{"▶"}</button>
                <button aria-label="Follow the newest entries" disabled={m.follow} onclick={scroll(None)}>{"⇥ follow"}</button>
            </div>
            <div class="logs-scroll">
                <div class="log-grid" role="table" aria-label="One row per server, one column per log index">
                    <div role="row" class="log-row head"><div role="columnheader" class="who-cell">{"index"}</div>{ for header }</div>
                    { for rows }
                </div>
            </div>
        </section>
    }
}
