//! Overlays: a checkpoint question, the help, the recorded scenario.

use super::on;
use crate::state::{Model, Msg};
use quorum_core::sim::Lab;
use yew::prelude::*;

/// A checkpoint question, over the page.
pub fn question(m: &Model, send: &Callback<Msg>, lab: &Lab) -> Html {
    let Some(crate::state::Question { index: i, chosen }) = m.lesson.question else {
        return html! {};
    };
    let Some(q) = lab.scenario().questions.get(i) else {
        return html! {};
    };
    let choices = q.choices.iter().enumerate().map(|(k, c)| {
        let class = match chosen {
            Some(_) if k == q.answer => "choice right",
            Some(x) if x == k => "choice wrong",
            _ => "choice",
        };
        html! { <button class={class} data-choice={k.to_string()} disabled={chosen.is_some()}
        onclick={send.reform(move |_| Msg::Answer(k))}>{ c.clone() }</button> }
    });
    if m.lesson.peek {
        // Folded: the ring is in full view; the question waits in a bar.
        return html! {
            <div class="question-sheet peek" role="region" aria-label="Question" id="question-bar" key="question-bar">
                <span class="q-text">{ q.question.clone() }</span>
                <button class="primary" id="question-unpeek" onclick={on(send, || Msg::PeekQuestion(false))}>{"Back to the question"}</button>
            </div>
        };
    }
    // Beside the ring (a sheet at the bottom on a phone), not over it: it
    // asks about what the ring shows.
    html! {
        <div class="question-sheet" role="dialog" aria-modal="true" aria-labelledby="question-title" id="question" key="question">
            <h2 id="question-title">{ q.question.clone() }</h2>
            <div class="choices">{ for choices }</div>
            if let Some(x) = chosen {
                <p class="verdict" id="verdict">{ if x == q.answer { "Right. ".to_string() } else { format!("Not quite: it is {}. ", q.choices.get(q.answer).cloned().unwrap_or_default()) } }{ q.explain.clone() }</p>
                <button class="primary" id="question-continue" onclick={on(send, || Msg::CloseQuestion)}>{"Continue"}</button>
            } else {
                <button id="question-peek" onclick={on(send, || Msg::PeekQuestion(true))}>{"Look at the ring first"}</button>
            }
        </div>
    }
}

/// The help overlay: what the shapes mean and the keyboard shortcuts.
pub fn help(on_close: &Callback<MouseEvent>) -> Html {
    let close = on_close.clone();
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-label="Help" id="help-overlay">
            <div class="overlay-box">
                <h2>{"Quorum: a Raft cluster you can poke"}</h2>
                <p>{"Each box is a server. Colour of the outline = its term; shape = its role (circle follower, diamond candidate, square leader). The arc around a server is its election timer draining. Small squares in the corners are clients (filled while waiting). Dots are messages in flight, the clients' too."}</p>
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
                { super::ring::legend() }
                <p>{"Partition: press ✂ Partition, tap servers and clients to put them in groups (each tap cycles the colour; an uncoloured client reaches every server, a grey one joins the servers left uncoloured), then Apply. Heal reconnects everyone. Every action is recorded in the scenario at the current virtual time, so the run replays exactly."}</p>
                <button class="primary" aria-label="Close help" onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}

pub fn scenario_view(send: &Callback<Msg>, lab: &Lab) -> Html {
    // The document "Export scenario" downloads.
    let json = quorum_core::util::pretty::to_string_pretty(&lab.scenario().exported());
    let close = on(send, || Msg::ShowScenario(false));
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-label="Recorded scenario">
            <div class="overlay-box wide">
                <h2>{"The scenario so far"}</h2>
                <p>{"Every action you took, at the virtual time you took it. Run it with "}<code>{"quorum run"}</code>{" to replay this run exactly."}</p>
                <textarea readonly=true aria-label="Scenario JSON" rows="18" value={json} />
                <button class="primary" aria-label="Close" onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}
