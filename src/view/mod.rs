//! What the page draws, as functions of the [`Model`] and the running lab
//! that send [`Msg`]s through a `Callback`. No view sees the component
//! shell; the shell passes the model, the session, the [`Surfaces`] it
//! paints and one callback.

mod controls;
mod linked;
mod logtable;
mod overlays;
mod ring;
mod side;
mod welcome;

pub use linked::{SPANS, VIEW};
pub use logtable::{LogTable, LogTableProps};

use crate::i18n::Text;
use crate::share::{P_CHARTS, P_EVENTS, P_LAMPORT, P_LOG, P_RING, P_SAFETY};
use crate::state::{Model, Msg, Session};
use std::cell::Cell;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The elements painted directly every frame (see `paint`), and the event
/// log kept at its bottom while following.
#[derive(Default)]
pub struct Surfaces {
    pub canvas: NodeRef,
    pub lamport: NodeRef,
    pub clock: NodeRef,
    pub scrub: NodeRef,
    pub evlog: NodeRef,
    /// The scrubber's range and position as last set (ms).
    pub scrubbed: Cell<Option<(u64, u64)>>,
    /// The run was playing at the last paint.
    pub playing: Cell<bool>,
    /// The space-time diagram's canvas is off screen (an
    /// IntersectionObserver says so): it is not redrawn until it scrolls
    /// into view. A phone shows the ring; the diagram is far below.
    pub diagram_hidden: Cell<bool>,
    /// The event log's lines it was last scrolled to the bottom for: set
    /// again only when they change (setting the scroll position makes the
    /// browser lay out the page at once).
    pub evlog_scrolled: Cell<usize>,
}

/// An event that sends a fixed message. One closure type serves every such
/// button (a closure per button would cost bundle size).
fn on<E: 'static>(send: &Callback<Msg>, msg: fn() -> Msg) -> Callback<E> {
    let send = send.clone();
    Callback::from(move |_: E| send.emit(msg()))
}

/// A callback that emits only when `f` gives a value.
fn maybe<E: 'static, T: 'static>(
    cb: &Callback<T>,
    f: impl Fn(E) -> Option<T> + 'static,
) -> Callback<E> {
    let cb = cb.clone();
    Callback::from(move |e| {
        if let Some(v) = f(e) {
            cb.emit(v)
        }
    })
}

fn input_value(e: &Event) -> f64 {
    e.target_dyn_into::<HtmlInputElement>()
        .map_or(f64::NAN, |i| i.value_as_number())
}

/// Client coordinates to an element's own units (`w` × `h` over its box).
fn to_box(el: &web_sys::Element, e: &MouseEvent, w: f64, h: f64) -> (f64, f64) {
    let b = el.get_bounding_client_rect();
    let x = (f64::from(e.client_x()) - b.left()) / b.width().max(1.0) * w;
    let y = (f64::from(e.client_y()) - b.top()) / b.height().max(1.0) * h;
    (x, y)
}

/// The whole page.
pub fn page(m: &Model, s: &Session, surfaces: &Surfaces, send: &Callback<Msg>) -> Html {
    let lab = &s.lab;
    let embed = m.page.embed.on;
    let n = lab.sim().node_count();
    let side = m.shows(P_SAFETY) || !embed;
    html! {
        <div class={classes!("quorum", embed.then_some("embed"))}>
            if embed { { controls::embed_bar(surfaces, send, s.running) } } else { { controls::controls(m, surfaces, send, lab, s) } }
            { controls::scrubber(surfaces, send, lab) }
            { controls::lesson_bar(send, lab, m.lesson.lib_id.as_deref()) }
            { welcome::lesson_end(m, send, lab) }
            { older_notice(m, send) }
            <main class={classes!("stage", (!side).then_some("solo"))}>
                if m.shows(P_RING) {
                    <section class="ring-wrap" aria-label="Cluster">
                        { ring::ring(m, surfaces, send, lab) }
                        if !embed { { ring::legend() } }
                    </section>
                }
                if side {
                    <aside class="side">
                        if m.shows(P_SAFETY) { { side::invariants(m, send, lab) } }
                        if !embed {
                            { side::node_panel(m, send, lab) }
                            { side::message_panel(m, send, lab) }
                            if !s.running { { side::flight_list(send, lab) } }
                        }
                    </aside>
                }
            </main>
            // The two views drawn every frame sit together: the browser
            // redraws the box around all that changed in a frame.
            if m.linked_on >= 1 && m.shows(P_LAMPORT) { { linked::lamport(m, surfaces, send, n) } }
            if m.linked_on >= 2 && m.shows(P_LOG) { <LogTable model={m.log.model.clone()} on_scroll={send.reform(Msg::LogFrom)} /> }
            if m.linked_on >= 3 && (m.shows(P_EVENTS) || m.shows(P_CHARTS)) {
                <div class="linked">
                    if m.shows(P_EVENTS) { <linked::EventLog ..linked::event_log_props(m, surfaces, send, s, n) /> }
                    if m.linked_on >= 4 && m.shows(P_CHARTS) { <linked::ChartsView charts={m.checks.charts.clone()} /> }
                </div>
            }
            { notices(m, s, send) }
            // Elections, crashes, commits and broken properties, said
            // politely (written by `Runtime::announce`, not by the view).
            <div id="announce" class="sr-only" role="status" aria-live="polite"></div>
            { overlays::question(m, send, lab) }
            if m.tools.help { { overlays::help(&on(send, || Msg::Help(false))) } }
            { welcome::chooser(m, send) }
            { welcome::welcome(m, send) }
            if m.tools.show_scenario { { overlays::scenario_view(send, lab) } }
        </div>
    }
}

/// The run on screen came from a link or scenario made with an older
/// simulator behaviour: it may differ from the one that was shared. In the
/// page's language, above the cluster, until dismissed.
fn older_notice(m: &Model, send: &Callback<Msg>) -> Html {
    let Some(older) = m.older else {
        return html! {};
    };
    let lang = m.page.lang;
    html! {
        <div class="banner" role="status" id="older-notice" lang={lang.tag()} translate="no">
            <span>{ older.text().get(lang) }</span>
            <button aria-label={Text::Dismiss.get(lang)} onclick={on(send, || Msg::DismissOlder)}>{"×"}</button>
        </div>
    }
}

/// The last refusal, and the link "Copy link" made.
fn notices(m: &Model, s: &Session, send: &Callback<Msg>) -> Html {
    html! {
        <>
            if let Some(n) = &s.notice {
                <div class="notice" role="status" id="notice">
                    <span>{ n.clone() }</span>
                    <button aria-label="Dismiss" onclick={on(send, || Msg::DismissNotice)}>{"×"}</button>
                </div>
            }
            if let Some(url) = &m.tools.share_url {
                <div class="notice share" role="status" id="share">
                    <span id="share-status">{ match m.tools.copied {
                        Some(true) => "Link copied. It replays this run to this moment:",
                        Some(false) => "The browser did not allow copying: select the link and copy it by hand. It replays this run to this moment:",
                        None => "This link replays this run to this moment:",
                    } }</span>
                    <input id="share-link" readonly=true value={url.to_string()} aria-label="Share link"
                        onfocus={Callback::from(|e: FocusEvent| { if let Some(i) = e.target_dyn_into::<HtmlInputElement>() { i.select(); } })} />
                    <button aria-label="Close" onclick={on(send, || Msg::CloseShare)}>{"×"}</button>
                </div>
            }
        </>
    }
}
