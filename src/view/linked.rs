//! The linked views below the ring: the space-time diagram, the event log
//! (virtualised: only the rows in view are in the DOM) and the charts
//! (plain SVG).

use super::Surfaces;
use super::{maybe, on};
use crate::history::{Charts, Filter, KINDS};
use crate::state::{Model, Msg};
use crate::state::{Session, ROW};
use quorum_core::sim::describe::{format_line, Line};
use quorum_core::sim::Micros;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Event-log view height, in CSS pixels.
pub const VIEW: f64 = 240.0;

/// Lamport window choices (virtual time).
pub const SPANS: [(Micros, &str); 5] = [
    (200_000, "0.2 s"),
    (600_000, "0.6 s"),
    (2_000_000, "2 s"),
    (6_000_000, "6 s"),
    (20_000_000, "20 s"),
];

pub fn lamport(m: &Model, surfaces: &Surfaces, send: &Callback<Msg>, n: u32) -> Html {
    let span = m.diagram.span;
    let onchange = send.reform(|e: Event| {
        let v = e
            .target_unchecked_into::<web_sys::HtmlSelectElement>()
            .value();
        Msg::LamportSpan(v.parse().unwrap_or(600_000))
    });
    // Client coordinates to canvas units.
    let point = {
        let canvas = surfaces.lamport.clone();
        move |e: &MouseEvent| {
            let el = canvas.cast::<web_sys::Element>()?;
            let h = crate::lamport::height(n);
            Some(super::to_box(&el, e, crate::lamport::WIDTH, h))
        }
    };
    let at = point.clone();
    let onmousemove = send.reform(move |e: MouseEvent| Msg::LamportHover(at(&e)));
    let onmouseleave = on(send, || Msg::LamportHover(None));
    let onclick = super::maybe(send, move |e: MouseEvent| {
        point(&e).map(|(x, y)| Msg::LamportClick(x, y))
    });
    html! {
        <section class="panel lamport" id="lamport" aria-label="Space-time diagram">
            <div class="panel-head">
                <h2>{"Space-time diagram"}</h2>
                <label>{"window "}
                    <select id="lamport-span" aria-label="Time window" onchange={onchange}>
                        { for SPANS.iter().map(|(us, label)| html! {
                            <option value={us.to_string()} selected={*us == span}>{ *label }</option>
                        }) }
                    </select>
                </label>
            </div>
            <canvas ref={surfaces.lamport.clone()} id="lamport-canvas" width={crate::lamport::WIDTH.to_string()}
                height={crate::lamport::height(n).to_string()}
                onmousemove={onmousemove} onmouseleave={onmouseleave} onclick={onclick}
                aria-label="Messages as arrows between server lanes; hover one to find it, click to go to that moment" />
        </section>
    }
}

/// How far back the event log reaches (s).
fn log_window_s(lab: &quorum_core::sim::Lab) -> f64 {
    lab.timeline().map_or(0.0, |t| t.segment_len() as f64 / 1e6)
}

/// What the event log shows, compared cheaply: the lines by identity (a
/// new `Rc` when they change, at most five times a second while playing),
/// the rest by value. While playing no line is marked as "now", so the
/// page's re-renders (up to 20 a second) skip the event log unless its
/// lines, its scroll position, the filter or a highlight changed.
#[derive(Properties)]
pub struct EventLogProps {
    pub lines: Rc<Vec<Line>>,
    pub filter: Filter,
    /// The first line drawn (the lines around the scroll position are).
    pub first: usize,
    pub hover: Option<u64>,
    pub culprits: Vec<u64>,
    /// Virtual time, marked on its lines while paused.
    pub now: Option<Micros>,
    pub nodes: u32,
    /// How far back the lines go, in whole seconds.
    pub window_s: u64,
    pub send: Callback<Msg>,
    pub evlog: NodeRef,
}

impl PartialEq for EventLogProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.lines, &o.lines)
            && (
                self.filter,
                self.first,
                self.hover,
                self.now,
                self.nodes,
                self.window_s,
            ) == (o.filter, o.first, o.hover, o.now, o.nodes, o.window_s)
            && self.culprits == o.culprits
            && self.send == o.send
            && self.evlog == o.evlog
    }
}

/// The event log's props from the model.
pub fn event_log_props(
    m: &Model,
    surfaces: &Surfaces,
    send: &Callback<Msg>,
    s: &Session,
    n: u32,
) -> EventLogProps {
    EventLogProps {
        lines: m.events.lines.clone(),
        filter: m.events.filter,
        first: ((m.events.scroll / ROW).floor() as usize).saturating_sub(4),
        hover: m.selection.hover,
        culprits: m.diagram.lanes.culprits.clone(),
        now: (!s.running).then(|| s.lab.now()),
        nodes: n,
        window_s: log_window_s(&s.lab).round() as u64,
        send: send.clone(),
        evlog: surfaces.evlog.clone(),
    }
}

#[function_component(EventLog)]
pub fn event_log(p: &EventLogProps) -> Html {
    let (send, lines, filter, first, n) = (&p.send, &p.lines, p.filter, p.first, p.nodes);
    let last = (first + (VIEW / ROW) as usize + 10).min(lines.len());
    let (hover, culprits) = (p.hover, &p.culprits);
    let rows = lines
        .get(first..last)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let t_ms = l.t as f64 / 1000.0;
            let msg = l.msg;
            let hot = msg.is_some() && (msg == hover || msg.is_some_and(|m| culprits.contains(&m)));
            let class = classes!(
                "ev",
                format!("k-{:?}", l.kind).to_ascii_lowercase(),
                hot.then_some("hl"),
                (Some(l.t) == p.now).then_some("now")
            );
            let onclick = send.reform(move |_| Msg::Seek(t_ms));
            let onmouseenter = send.reform(move |_| Msg::HoverMsg(msg));
            html! {
                <div key={first + i} class={class} style={format!("top:{}px", (first + i) as f64 * ROW)}
                    data-t={t_ms.to_string()} onclick={onclick} onmouseenter={onmouseenter}
                    role="button" tabindex="-1">{ format_line(l) }</div>
            }
        });
    let onscroll = send.reform(|e: Event| {
        let el = e.target_unchecked_into::<web_sys::Element>();
        let follow = f64::from(el.scroll_top()) + f64::from(el.client_height())
            >= f64::from(el.scroll_height()) - ROW;
        Msg::EvScroll(f64::from(el.scroll_top()), follow)
    });
    let kinds = KINDS.iter().enumerate().map(|(i, (_, name))| {
        let bit = 1u8 << i;
        let on = filter.kinds & bit != 0;
        let onchange = send.reform(move |_| Msg::EvKind(bit));
        html! {
            <label class="chk"><input type="checkbox" checked={on} onchange={onchange}
                data-kind={*name} />{ *name }</label>
        }
    });
    let onnode = send.reform(|e: Event| {
        let v = e
            .target_unchecked_into::<web_sys::HtmlSelectElement>()
            .value();
        Msg::EvNode(v.parse().ok())
    });
    html! {
        <section class="panel evlog-panel" id="event-log" aria-label="Event log">
            <div class="panel-head">
                <h2>{"Event log"}</h2>
                <select id="ev-node" aria-label="Only lines about this server" onchange={onnode}>
                    <option value="" selected={filter.node.is_none()}>{"all servers"}</option>
                    { for (1..=n).map(|i| html! {
                        <option value={i.to_string()} selected={filter.node == Some(i)}>{ format!("S{i}") }</option>
                    }) }
                </select>
            </div>
            <div class="kinds">{ for kinds }</div>
            <div class="evlog" id="evlog" ref={p.evlog.clone()} onscroll={onscroll} tabindex="0" role="group"
                aria-label="Event log lines: the arrow keys move between them, Enter goes to one"
                onkeydown={maybe(send, ev_key)}
                style={format!("height:{VIEW}px")} onmouseleave={on(send, || Msg::HoverMsg(None))}>
                <div class="ev-space" style={format!("height:{}px", lines.len() as f64 * ROW)}>
                    { for rows }
                </div>
            </div>
            <p class="ev-foot">{ format!("{} lines up to now, from the last {} s; click one to go there", lines.len(), p.window_s) }</p>
        </section>
    }
}

/// The event log by keyboard: the arrow keys move focus from line to line
/// (from the scroller, to the first line in view), scrolling it into view;
/// Enter or Space goes to the focused line's time, as a click does.
fn ev_key(e: KeyboardEvent) -> Option<Msg> {
    let key = e.key();
    let line = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .filter(|a| a.matches("#evlog .ev").unwrap_or(false));
    let go = |el: Option<web_sys::Element>| {
        if let Some(h) = el.and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
            h.focus().ok();
            h.scroll_into_view_with_bool(false);
        }
    };
    match (key.as_str(), line) {
        ("ArrowDown" | "ArrowUp", Some(l)) => {
            e.prevent_default();
            go(if key == "ArrowDown" {
                l.next_element_sibling()
            } else {
                l.previous_element_sibling()
            });
            None
        }
        ("ArrowDown" | "ArrowUp", None) => {
            e.prevent_default();
            let scroller: web_sys::Element = e.current_target()?.dyn_into().ok()?;
            let top = f64::from(scroller.scroll_top());
            let rows = scroller.query_selector_all(".ev").ok()?;
            let first = (0..rows.length())
                .filter_map(|i| rows.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
                .find(|r| f64::from(r.offset_top()) >= top);
            go(first.map(Into::into));
            None
        }
        ("Enter" | " ", Some(l)) => {
            e.prevent_default();
            l.get_attribute("data-t")?.parse().ok().map(Msg::Seek)
        }
        _ => None,
    }
}

const CW: f64 = 300.0;
const CH: f64 = 48.0;

fn path(points: impl Iterator<Item = (f64, f64)>) -> String {
    let mut d = String::new();
    for (i, (x, y)) in points.enumerate() {
        d.push_str(&format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" }));
    }
    d
}

fn chart(id: &str, title: String, body: Html) -> Html {
    html! {
        <figure class="chart" id={id.to_string()}>
            <figcaption>{ title }</figcaption>
            <svg viewBox={format!("0 0 {CW} {CH}")} preserveAspectRatio="none" role="img" aria-label={id.to_string()}>
                { body }
            </svg>
        </figure>
    }
}

/// The charts' data, compared by identity: it is rebuilt (a new `Rc`) at
/// most once a second, and the page re-renders up to 20 times a second.
#[derive(Properties)]
pub struct ChartsProps {
    pub charts: Rc<Charts>,
}

impl PartialEq for ChartsProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.charts, &other.charts)
    }
}

/// The charts as a component, so that a re-render of the page skips them
/// (about 160 SVG elements) unless their data changed.
#[function_component(ChartsView)]
pub fn charts_view(p: &ChartsProps) -> Html {
    charts(&p.charts)
}

/// The run's numbers up to now, as four small SVG charts.
fn charts(c: &Charts) -> Html {
    let span = c.now.saturating_sub(c.t0).max(1) as f64;
    let x = |t: Micros| t.saturating_sub(c.t0) as f64 / span * CW;
    // Latency: a dot per operation, the median per segment as a line.
    let max_lat = c.ops.iter().map(|o| o.1).max().unwrap_or(1).max(1) as f64;
    let y_lat = |v: Micros| CH - 2.0 - v as f64 / max_lat * (CH - 6.0);
    let dots = c.ops.iter().map(|&(t, lat, ok)| {
        html! { <circle cx={format!("{:.1}", x(t))} cy={format!("{:.1}", y_lat(lat))} r="1.6"
        class={if ok { "dot" } else { "dot bad" }} /> }
    });
    let median = path(c.median.iter().map(|&(t, v)| (x(t), y_lat(v))));
    let lat = chart(
        "chart-latency",
        if c.ops.is_empty() {
            "client latency: no operations yet".into()
        } else {
            format!(
                "client latency (max {:.0} ms, line = median)",
                max_lat / 1000.0
            )
        },
        html! { <>{ for dots }<path class="median" d={median} /></> },
    );
    // Throughput: committed entries per second, a bar per segment.
    let max_tp = c.throughput.iter().map(|s| s.2).fold(1.0, f64::max);
    let bars = c.throughput.iter().map(|&(a, b, r)| {
        let h = r / max_tp * (CH - 4.0);
        html! { <rect class="bar" x={format!("{:.1}", x(a))} width={format!("{:.1}", (x(b) - x(a)).max(0.5))}
            y={format!("{:.1}", CH - h)} height={format!("{h:.1}")} /> }
    });
    let tp = chart(
        "chart-throughput",
        format!("committed entries/s (max {max_tp:.0})"),
        html! { <>{ for bars }</> },
    );
    // Leader and term: a band coloured by term, red where no one leads.
    let bands = c.leaders.iter().map(|&(a, b, who)| {
        let w = format!("{:.1}", (x(b) - x(a)).max(0.5));
        match who {
            Some((node, term)) => html! { <g>
                <rect x={format!("{:.1}", x(a))} y="6" width={w} height="36" fill={crate::lab::term_color(term)} />
                if x(b) - x(a) > 40.0 {
                    <text x={format!("{:.1}", x(a) + 3.0)} y="28" class="band-label">{ format!("S{node} T{term}") }</text>
                }
            </g> },
            None => html! { <rect class="gap" x={format!("{:.1}", x(a))} y="6" width={w} height="36" /> },
        }
    });
    let gaps: f64 = c
        .leaders
        .iter()
        .filter(|s| s.2.is_none())
        .map(|s| s.1.saturating_sub(s.0) as f64)
        .sum();
    let led = chart(
        "chart-leader",
        format!(
            "leader and term ({:.0}% of the time without one)",
            gaps / span * 100.0
        ),
        html! { <>{ for bands }</> },
    );
    // Messages per second by type.
    let max_m = c
        .sent
        .iter()
        .flat_map(|s| s.2.iter().copied())
        .fold(1.0, f64::max);
    let names = ["RequestVote", "vote reply", "AppendEntries", "append reply"];
    let lines = (0..4).map(|k| {
        let d = path(
            c.sent
                .iter()
                .map(|s| (x((s.0 + s.1) / 2), CH - 2.0 - s.2[k] / max_m * (CH - 6.0))),
        );
        html! { <path class={format!("series s{k}")} d={d}><title>{ names[k] }</title></path> }
    });
    let msgs = chart(
        "chart-messages",
        format!("messages/s by type (max {max_m:.0})"),
        html! { <>{ for lines }</> },
    );
    html! {
        <section class="panel charts" id="charts" aria-label="Charts">
            <div class="panel-head"><h2>{"Numbers"}</h2>
                <span class="legend-inline">
                    { for names.iter().enumerate().map(|(k, n)| html! { <span class={format!("sw s{k}")}>{ *n }</span> }) }
                </span>
            </div>
            { lat }{ tp }{ led }{ msgs }
        </section>
    }
}
