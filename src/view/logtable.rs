//! The replicated logs as a table: one row per server, a window of
//! indexes at a time.

use crate::lab::term_color;
use crate::logs::{LogModel, LOG_WINDOW};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LogTableProps {
    pub model: Rc<LogModel>,
    /// Show indexes from this one on (None: follow the newest).
    pub on_scroll: Callback<Option<u64>>,
}

/// The replicated logs, one row per server, [`LOG_WINDOW`] indexes at a
/// time; it follows the newest entries unless the user scrolls back.
/// Every cell has the same elements, empty or not: when the window moves
/// (five times a second while following a busy cluster) only their texts
/// and attributes change, not the element tree.
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
    // Always a whole window of columns, the ones past the end empty: the
    // table keeps its width and its elements as entries come in.
    let shown = first..first + LOG_WINDOW;
    let header = shown
        .clone()
        .map(|i| html! { <div class="cell head" role="columnheader">{ i }</div> });
    let rows = m.rows.iter().map(|r| {
        let cells = shown.clone().map(|i| match r.cells.get((i - first) as usize) {
            // Compacted into the snapshot (§7): the rightmost such cell in
            // view says how far it reaches.
            Some(_) if i <= r.snapshot => {
                let edge = i == r.snapshot.min(first + LOG_WINDOW - 1);
                let label = if edge { format!("≤{}", r.snapshot) } else { String::new() };
                html! {
                    <div role="cell" class="cell snapshot" data-index={i.to_string()}
                        title={format!("index {i}: in the snapshot through {}", r.snapshot)}>
                        <span class="t">{ if edge { "snapshot" } else { "" } }</span><span class="c">{ label }</span><span class="mark"></span>
                    </div>
                }
            }
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
                        <span class="t">{ *term }</span><span class="c">{ label.clone() }</span><span class="mark">{ marks }</span>
                    </div>
                }
            }
            None => {
                let next = r.next_match.is_some_and(|(n, _)| n == i);
                html! { <div role="cell" class="cell empty"><span class="t">{ "" }</span><span class="c">{ "" }</span><span class="mark">{ if next { "n" } else { "" } }</span></div> }
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
                <span class="legend-cells"><span class="cell applied">{"applied"}</span><span class="cell committed">{"committed"}</span><span class="cell uncommitted">{"uncommitted"}</span><span class="cell snapshot">{"snapshot"}</span>{" m = matchIndex, n = nextIndex (the leader's view)"}</span>
                <span class="range">{ if m.total == 0 { "no entries yet".to_string() } else { format!("indexes {first}–{last} of {}", m.total) } }</span>
                <button aria-label="Earlier entries" disabled={first <= 1} onclick={scroll(Some(back))}>{"◀"}</button>
                <button aria-label="Later entries" disabled={last >= m.total} onclick={scroll(Some(fwd))}>{"▶"}</button>
                <button aria-label="Follow the newest entries" disabled={m.follow} onclick={scroll(None)}>{"⇥ follow"}</button>
            </div>
            <div class="logs-scroll" tabindex="0" aria-label="Log entries (scrolls sideways)">
                <div class="log-grid" role="table" aria-label="One row per server, one column per log index">
                    <div role="row" class="log-row head"><div role="columnheader" class="who-cell">{"index"}</div>{ for header }</div>
                    { for rows }
                </div>
            </div>
        </section>
    }
}
