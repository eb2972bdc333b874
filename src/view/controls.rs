//! The controls: playback, speed, faults, the network, the cluster, the
//! library, sharing; embed mode's small bar; the timeline and the lesson
//! bar.

use super::{input_value, on, Surfaces};
use crate::lab::{speed_label, speed_to_slider, MAX_NODES_UI, MAX_SPEED, MIN_SPEED};
use crate::state::{Export, Model, Msg, Session};
use quorum_core::sim::scenario::EventSpec;
use quorum_core::sim::Lab;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The timeline: drag to any time of this run; ←/→ step one event. Its
/// position (like the clock) is set directly every frame, not by the
/// virtual DOM (see `paint::time`).
pub fn scrubber(surfaces: &Surfaces, send: &Callback<Msg>, lab: &Lab) -> Html {
    let forks = lab.forks();
    html! {
        <section class="scrubber" aria-label="Timeline">
            <input type="range" id="scrubber" ref={surfaces.scrub.clone()} aria-label="Timeline: drag to go back and forth in virtual time"
                min="0" step="1"
                oninput={send.reform(|e: InputEvent| Msg::Seek(input_value(&e)))} />
            <button aria-label="Previous event" title="Step back one event (←)" onclick={on(send, || Msg::StepEvents(-1))}>{"‹ event"}</button>
            <button aria-label="Next event" title="Step forward one event (→)" onclick={on(send, || Msg::StepEvents(1))}>{"event ›"}</button>
            if forks > 0 {
                <span class="forked" id="forked" title="You acted in the past: the recorded future after that point was replaced">
                    { format!("future replaced ×{forks}") }</span>
            }
        </section>
    }
}

/// Embed mode's controls: play, step, the clock, a link to the full page.
pub fn embed_bar(surfaces: &Surfaces, send: &Callback<Msg>, running: bool) -> Html {
    html! {
        <header class="controls embed-bar">
            <h1 class="sr-only">{"Quorum"}</h1>
            <button class="primary" aria-label={if running {"Pause"} else {"Play"}} id="play"
                onclick={on(send, || Msg::Toggle)}>{ if running { "Pause" } else { "Play" } }</button>
            <button aria-label="Step to the next event" id="step" onclick={on(send, || Msg::Step)}>{"Step ›"}</button>
            <span class="clock" aria-label="Virtual time" id="clock" ref={surfaces.clock.clone()}></span>
            <button aria-label="Copy a link to this run" id="copy-link" onclick={on(send, || Msg::CopyLink)}>{"Link"}</button>
            <button aria-label="Help and legend" id="help" onclick={on(send, || Msg::Help(true))}>{"?"}</button>
        </header>
    }
}

/// The library: lessons, the paper's figures, lab runs, planted bugs.
fn library_menu(m: &Model, send: &Callback<Msg>) -> Html {
    use quorum_core::sim::library::{Kind, ENTRIES};
    let current = m.lesson.lib_id.as_deref();
    let group = |kind: Kind, label: &'static str| {
        let items = ENTRIES.iter().filter(|e| e.kind == kind).map(|e| {
            html! { <option value={e.id} selected={current == Some(e.id)}>{ e.name }</option> }
        });
        html! { <optgroup label={label}>{ for items }</optgroup> }
    };
    html! {
        <>
        <select id="library" aria-label="Scenarios and lessons"
            onchange={send.reform(|e: Event| {
                Msg::Library(e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default())
            })}>
            <option value="" selected={current.is_none()}>{"Lessons & scenarios…"}</option>
            { group(Kind::Lesson, "Lessons") }
            { group(Kind::Paper, "The paper") }
            { group(Kind::Lab, "Lab runs") }
            { group(Kind::Bug, "Planted bugs") }
        </select>
        <button id="lessons" onclick={on(send, || Msg::Chooser(true))}>{"Lessons"}</button>
        </>
    }
}

/// The caption track, and lesson mode's Back / Next. `lesson`: the shipped
/// lesson's id (its translation is found by it).
pub fn lesson_bar(send: &Callback<Msg>, lab: &Lab, lesson: Option<&str>) -> Html {
    let file = lab.scenario();
    if file.captions.is_empty() && file.questions.is_empty() {
        return html! {};
    }
    let now = lab.now();
    let stops = crate::lab::lesson_stops(file);
    let at = stops.iter().filter(|&&t| t <= now).count();
    let caption = crate::lab::caption_at(file, now);
    html! {
        <section class="lesson" id="lesson" aria-label="Lesson" data-lesson={lesson.filter(|l| l.starts_with("lesson-")).map(str::to_owned)}>
            <button id="lesson-back" aria-label="Back to the previous caption" disabled={now == 0}
                onclick={on(send, || Msg::LessonBack)}>{"‹ Back"}</button>
            <p class="caption" id="caption" aria-live="polite" data-index={caption.map_or(String::new(), |c| c.0.to_string())}>
                { caption.map_or("", |c| c.1).to_string() }
            </p>
            <span class="progress">{ format!("{at} / {}", stops.len()) }</span>
            <button class="primary" id="lesson-next" aria-label="Next caption" title="Play to the next caption" disabled={at >= stops.len() && lab.at_end()}
                onclick={on(send, || Msg::LessonNext)}>{"Next ›"}</button>
        </section>
    }
}

pub fn controls(
    m: &Model,
    surfaces: &Surfaces,
    send: &Callback<Msg>,
    lab: &Lab,
    s: &Session,
) -> Html {
    let (running, speed) = (s.running, s.speed);
    let partitioning = m.tools.partition.is_some();
    html! {
        <header class={classes!("controls", m.tools.more.then_some("open"))}>
            <h1 class="brand">{"Quorum"}</h1>
            <div class="group">
                <button class="primary" aria-label={if running {"Pause"} else {"Play"}} id="play"
                    onclick={on(send, || Msg::Toggle)}>{ if running { "Pause" } else { "Play" } }</button>
                <button aria-label="Step to the next event" id="step" onclick={on(send, || Msg::Step)}>{"Step ›"}</button>
                <span class="clock" aria-label="Virtual time" id="clock" ref={surfaces.clock.clone()}></span>
            </div>
            // On a phone the controls below the faults fold behind this.
            <button class="more-toggle" id="more" aria-expanded={m.tools.more.to_string()}
                onclick={on(send, || Msg::ToggleMore)}>{ if m.tools.more { "× Less" } else { "☰ More" } }</button>
            <label class="group speed secondary">
                <span>{"Speed "}<b id="speed-label">{ speed_label(speed) }</b></span>
                <input type="range" aria-label="Speed" id="speed"
                    min={crate::math::log10(MIN_SPEED).to_string()} max={crate::math::log10(MAX_SPEED).to_string()} step="0.01"
                    value={speed_to_slider(speed).to_string()}
                    oninput={send.reform(|e: InputEvent| Msg::Speed(input_value(&e)))} />
            </label>
            <label class="group quiet secondary" title={format!("While nothing is on the wire, time passes {}× faster", crate::lab::QUIET_SPEEDUP)}>
                <input type="checkbox" id="skip-quiet" checked={s.skip_quiet}
                    onchange={send.reform(|e: Event| Msg::SkipQuiet(
                        e.target_dyn_into::<HtmlInputElement>().is_some_and(|i| i.checked())))} />
                {"Skip quiet time"}
            </label>
            <div class="group">
                <button aria-label="Send a client request" id="request" onclick={on(send, || Msg::Request)}>{"✉ Request"}</button>
                <button aria-label="Crash leader" id="crash-leader" onclick={on(send, || Msg::CrashLeader)}>{"✕ Crash leader"}</button>
                <button aria-label="Restart all crashed nodes" onclick={on(send, || Msg::RestartAll)}>{"↻ Restart all"}</button>
            </div>
            <div class="group secondary">
                <button aria-pressed={partitioning.to_string()} aria-label="Partition tool" id="partition"
                    class={classes!(partitioning.then_some("active"))}
                    onclick={on(send, || Msg::PartitionMode)}>{"✂ Partition"}</button>
                if partitioning {
                    <button class="primary" aria-label="Apply the partition" id="partition-apply"
                        onclick={on(send, || Msg::PartitionApply)}>{"Apply"}</button>
                }
                <button aria-label="Heal the network" id="heal" onclick={on(send, || Msg::Heal)}>{"Heal"}</button>
            </div>
            { network_settings(send, lab) }
            { raft_settings(send, lab) }
            { cluster_group(send, lab) }
            { share_group(m, send) }
            <div class="group secondary">
                <button id="show-scenario" title="Show the recorded scenario" onclick={on(send, || Msg::ShowScenario(true))}>
                    { match lab.scenario().events.len() { 1 => "Scenario (1 event)".to_string(), n => format!("Scenario ({n} events)") } }</button>
                <button id="theme" aria-pressed={m.page.dark.to_string()} title="Dark colours, remembered for your next visit"
                    onclick={on(send, || Msg::ToggleTheme)}>{"◐ Dark"}</button>
                { language_picker(m, send) }
                <button aria-label="Help and keyboard shortcuts" id="help" onclick={on(send, || Msg::Help(true))}>{"?"}</button>
            </div>
        </header>
    }
}

/// The page's language: each named in its own words (not translated).
fn language_picker(m: &Model, send: &Callback<Msg>) -> Html {
    use crate::i18n::Lang;
    let zh = m.page.lang == Lang::Zh;
    let onchange = {
        let send = send.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                send.emit(Msg::SetLanguage(Lang::from_tag(&s.value())));
            }
        })
    };
    html! {
        <select id="lang" translate="no" aria-label="Language / 语言" {onchange}>
            <option value="en" lang="en" selected={!zh}>{"English"}</option>
            <option value="zh-CN" lang="zh-CN" selected={zh}>{"中文"}</option>
        </select>
    }
}

/// The network's latency, loss and duplication, as sliders.
fn network_settings(send: &Callback<Msg>, lab: &Lab) -> Html {
    let (lo, hi) = lab.sim().network().latency;
    let drop_p = current_prob(lab, true);
    let dup_p = current_prob(lab, false);
    html! {
        <details class="group net secondary">
            <summary aria-label="Network settings">{"Network"}</summary>
            <label>{ format!("latency min {} ms", lo / 1000) }
                <input type="range" min="0" max="500" step="1" aria-label="Minimum latency (ms)"
                    value={(lo / 1000).to_string()}
                    onchange={send.reform(|e: Event| Msg::LatencyMin(input_value(&e)))} /></label>
            <label>{ format!("latency max {} ms", hi / 1000) }
                <input type="range" min="0" max="500" step="1" aria-label="Maximum latency (ms)"
                    value={(hi / 1000).to_string()}
                    onchange={send.reform(|e: Event| Msg::LatencyMax(input_value(&e)))} /></label>
            <label>{ format!("drop {:.0}%", drop_p * 100.0) }
                <input type="range" min="0" max="0.5" step="0.01" aria-label="Drop probability"
                    value={drop_p.to_string()}
                    onchange={send.reform(|e: Event| Msg::Drop(input_value(&e)))} /></label>
            <label>{ format!("duplicate {:.0}%", dup_p * 100.0) }
                <input type="range" min="0" max="0.5" step="0.01" aria-label="Duplicate probability"
                    value={dup_p.to_string()}
                    onchange={send.reform(|e: Event| Msg::Duplicate(input_value(&e)))} /></label>
        </details>
    }
}

/// What production Raft switches on (thesis §9.6, §6.2, §6.4): each change
/// is a `set` event at this moment, so links replay it.
fn raft_settings(send: &Callback<Msg>, lab: &Lab) -> Html {
    use quorum_core::protocol::ReadMode;
    let Some(opts) = lab.sim().node(1).map(|n| n.options().clone()) else {
        return html! {};
    };
    let set = |pre_vote, check_quorum, read| {
        Msg::Act(EventSpec::Set {
            at_ms: 0.0,
            pre_vote,
            check_quorum,
            read,
            snapshot_every: None,
        })
    };
    let snapshot_every = |k: u64| {
        Msg::Act(EventSpec::Set {
            at_ms: 0.0,
            pre_vote: None,
            check_quorum: None,
            read: None,
            snapshot_every: Some(k),
        })
    };
    let every = [0u64, 20, 50, 100].map(|k| {
        let text = if k == 0 {
            "never".to_string()
        } else {
            format!("every {k} entries")
        };
        html! { <option value={k.to_string()} selected={opts.snapshot_every == k}>{ text }</option> }
    });
    let checked = |e: &Event| {
        e.target_dyn_into::<HtmlInputElement>()
            .is_some_and(|i| i.checked())
    };
    let modes = [
        (ReadMode::Log, "through the log"),
        (ReadMode::ReadIndex, "ReadIndex (a heartbeat round)"),
        (ReadMode::Lease, "lease (trusts the clocks)"),
    ];
    let options = modes.iter().map(|&(m, text)| {
        html! { <option value={m.name()} selected={opts.read == m}>{ text }</option> }
    });
    html! {
        <details class="group net secondary" id="raft-settings">
            <summary aria-label="Raft settings">{"Raft"}</summary>
            <label title="Ask for votes before raising the term (§9.6)">
                <input type="checkbox" id="pre-vote" checked={opts.pre_vote}
                    onchange={send.reform(move |e: Event| set(Some(checked(&e)), None, None))} />
                {"PreVote"}</label>
            <label title="A leader that hears from no majority steps down; followers ignore elections while they hear a leader (§6.2)">
                <input type="checkbox" id="check-quorum" checked={opts.check_quorum}
                    onchange={send.reform(move |e: Event| set(None, Some(checked(&e)), None))} />
                {"CheckQuorum"}</label>
            <label>{"reads"}
                <select id="read-mode" aria-label="How gets are answered (§6.4)"
                    onchange={send.reform(move |e: Event| {
                        let v = e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default();
                        let mode = ReadMode::ALL.into_iter().find(|m| m.name() == v);
                        set(None, None, mode)
                    })}>{ for options }</select></label>
            <label>{"snapshots"}
                <select id="snapshot-every" aria-label="Log compaction: snapshot every so many applied entries (§7)"
                    onchange={send.reform(move |e: Event| {
                        let v = e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default();
                        snapshot_every(v.parse().unwrap_or(0))
                    })}>{ for every }</select></label>
        </details>
    }
}

/// The cluster: its size, its seed, a reset.
fn cluster_group(send: &Callback<Msg>, lab: &Lab) -> Html {
    let n = lab.sim().node_count();
    let sizes = (1..=MAX_NODES_UI).map(|k| {
        html! { <option value={k.to_string()} selected={k == n}>{ format!("{k} nodes") }</option> }
    });
    html! {
        <div class="group secondary">
            <select aria-label="Cluster size" id="size"
                onchange={send.reform(|e: Event| {
                    let v = e.target_dyn_into::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default();
                    Msg::Resize(v.parse().unwrap_or(5))
                })}>{ for sizes }</select>
            <span class="seed" aria-label="Seed" id="seed">{ format!("seed {}", lab.scenario().seed) }</span>
            <button aria-label="Reset with the same seed" onclick={on(send, || Msg::Reset)}>{"Reset"}</button>
            <button title="Reset with a new seed" onclick={on(send, || Msg::NewSeed)}>{"New seed"}</button>
        </div>
    }
}

/// The library, share links, export and import.
fn share_group(m: &Model, send: &Callback<Msg>) -> Html {
    html! {
        <div class="group secondary">
            { library_menu(m, send) }
            <button title="Copy a link to this run at this moment" id="copy-link" onclick={on(send, || Msg::CopyLink)}>{"Copy link"}</button>
            <details class="group net" id="export">
                <summary>{"Export / import"}</summary>
                <button id="export-scenario" onclick={on(send, || Msg::Export(Export::Scenario))}>{"Scenario (JSON)"}</button>
                <button id="export-trace" onclick={on(send, || Msg::Export(Export::Trace))}>{"Trace (JSON Lines)"}</button>
                <button id="export-svg" onclick={on(send, || Msg::Export(Export::Svg))}>{"Ring (SVG)"}</button>
                <label class="import">{"Import a scenario "}
                    <input type="file" id="import" accept=".json,application/json" aria-label="Import a scenario file"
                        onchange={{
                            let scope = send.clone();
                            Callback::from(move |e: Event| {
                                let input = e.target_dyn_into::<HtmlInputElement>();
                                let file = input.as_ref().and_then(|i| i.files()).and_then(|f| f.get(0));
                                if let Some(f) = file {
                                    // The text comes back as Msg::Import.
                                    crate::platform::files::read_file(scope.clone(), f);
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
