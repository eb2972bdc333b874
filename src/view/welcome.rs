//! Orientation (issue 13): a welcome for a first visit that offers the
//! first lesson, the lesson chooser (what each lesson teaches, and whether
//! it was finished on this browser), and the next lesson when one ends.

use super::on;
use crate::state::{Model, Msg};
use quorum_core::sim::library::{Kind, ENTRIES};
use quorum_core::sim::Lab;
use yew::prelude::*;

/// What each lesson teaches, in a line.
fn teaches(id: &str) -> &'static str {
    match id {
        "lesson-basic-election" => "Election timeouts, RequestVote and a majority of votes (§5.2).",
        "lesson-leader-crash" => {
            "How the followers notice and elect a new leader; a client retries (§5.2)."
        }
        "lesson-split-vote" => {
            "Why timeouts are random: two candidates split the votes and try again (§5.2)."
        }
        "lesson-lagging-follower" => {
            "Log matching and nextIndex: a restarted follower gets the entries it missed (§5.3)."
        }
        "lesson-partition-cap" => {
            "The majority side goes on; the minority cannot commit: consistency over availability."
        }
        "lesson-old-leader-rejoins" => {
            "Terms depose a stale leader; its uncommitted entries are replaced (§5.3, §5.4)."
        }
        "lesson-lossy-network" => {
            "Lost and duplicated messages: retries and idempotent replies keep the log right."
        }
        "lesson-client-stranded" => "Why a leader must not answer reads from its own state (§8).",
        "lesson-server-came-back" => {
            "A server cut off returns with a higher term and deposes the leader; PreVote stops that (§9.6)."
        }
        "lesson-leader-cannot-hear" => {
            "A leader that cannot hear its followers stalls the cluster; CheckQuorum makes it step down (§6.2)."
        }
        "lesson-handing-over" => "Handing leadership over without waiting for a timeout (§3.10).",
        "lesson-fast-reads" => {
            "Reads without the log: ReadIndex, leases, and what clock drift does to a lease (§6.4)."
        }
        _ => "",
    }
}

fn lessons() -> impl Iterator<Item = &'static quorum_core::sim::library::Entry> {
    ENTRIES.iter().filter(|e| e.kind == Kind::Lesson)
}

/// The welcome: what Quorum is, and where to start.
pub fn welcome(m: &Model, send: &Callback<Msg>) -> Html {
    if !m.tools.welcome {
        return html! {};
    }
    html! {
        <section class="welcome" id="welcome" aria-labelledby="welcome-title">
            <h2 id="welcome-title">{"Welcome to Quorum"}</h2>
            <p>{"A Raft cluster runs live in this page. Watch it elect a leader, crash a server, cut the network, and see what Raft does."}</p>
            <div class="actions">
                <button class="primary" id="welcome-start" onclick={on(send, || Msg::CloseWelcome { start: true })}>{"Start the first lesson"}</button>
                <button id="welcome-choose" onclick={on(send, || Msg::Chooser(true))}>{"Choose a lesson"}</button>
                <button id="welcome-close" onclick={on(send, || Msg::CloseWelcome { start: false })}>{"Explore on my own"}</button>
            </div>
        </section>
    }
}

/// The lesson chooser: every lesson, what it teaches, finished or not.
pub fn chooser(m: &Model, send: &Callback<Msg>) -> Html {
    if !m.tools.chooser {
        return html! {};
    }
    let items = lessons().map(|e| {
        let done = m.page.done.iter().any(|d| d == e.id);
        let open = send.reform(move |_: MouseEvent| Msg::Library(e.id.to_string()));
        html! {
            <li class={classes!("lesson-item", done.then_some("done"))}>
                <button class="link-button" data-lesson={e.id} onclick={open}>{ e.name }</button>
                if done { <span class="done-mark">{"✓ finished"}</span> }
                <p class="teaches">{ teaches(e.id) }</p>
            </li>
        }
    });
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="chooser-title" id="chooser">
            <div class="overlay-box">
                <h2 id="chooser-title">{"Lessons"}</h2>
                <ul class="lesson-list">{ for items }</ul>
                <button class="primary" id="chooser-close" onclick={on(send, || Msg::Chooser(false))}>{"Close"}</button>
            </div>
        </div>
    }
}

/// At a lesson's last stop: it is finished; on to the next one.
pub fn lesson_end(m: &Model, send: &Callback<Msg>, lab: &Lab) -> Html {
    let Some(id) = m
        .lesson
        .lib_id
        .as_deref()
        .filter(|l| l.starts_with("lesson-"))
    else {
        return html! {};
    };
    let stops = crate::lab::lesson_stops(lab.scenario());
    let at_end = stops.last().is_some_and(|&t| lab.now() >= t) && m.lesson.question.is_none();
    if !at_end {
        return html! {};
    }
    let next = lessons().skip_while(|e| e.id != id).nth(1);
    html! {
        <div class="lesson-end" id="lesson-end" role="status">
            <span>{"Lesson finished."}</span>
            if let Some(n) = next {
                <button class="primary" id="next-lesson" onclick={send.reform(move |_| Msg::Library(n.id.to_string()))}>
                    { format!("Next: {} ›", n.name) }</button>
            }
            <button id="all-lessons" onclick={on(send, || Msg::Chooser(true))}>{"All lessons"}</button>
        </div>
    }
}
