//! The space-time (Lamport) diagram on a canvas: one lane per server, time
//! flowing right up to the playhead at the right edge, each message an
//! arrow from its send to its delivery (a cross where it was lost). Only
//! the visible window is built and drawn.

use crate::history::Lanes;
use crate::lab::term_color;
use quorum_core::protocol::{NodeId, Role};
use quorum_core::sim::timeline::{Arrow, Mark};
use quorum_core::sim::Micros;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Canvas units (the element is scaled by CSS to its box).
pub const WIDTH: f64 = 1200.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
pub const LANE: f64 = 26.0;

pub fn height(n: u32) -> f64 {
    TOP * 2.0 + LANE * f64::from(n.max(1))
}

fn lane_y(node: NodeId) -> f64 {
    TOP + LANE * (f64::from(node) - 0.5)
}

pub fn x_of(l: &Lanes, t: Micros) -> f64 {
    let span = l.now.saturating_sub(l.t0).max(1) as f64;
    LEFT + (t.saturating_sub(l.t0) as f64 / span) * (WIDTH - LEFT - RIGHT)
}

/// The time at canvas x.
pub fn t_of(l: &Lanes, x: f64) -> Micros {
    let span = l.now.saturating_sub(l.t0) as f64;
    let f = ((x - LEFT) / (WIDTH - LEFT - RIGHT)).clamp(0.0, 1.0);
    l.t0 + (f * span).round() as Micros
}

/// An arrow's drawn ends: an arrow still on the wire ends where it is now.
fn ends(l: &Lanes, a: &Arrow, arrives: Option<Micros>) -> (f64, f64, f64, f64) {
    let (x1, y1) = (x_of(l, a.sent), lane_y(a.from));
    let y2full = lane_y(a.to);
    match a.end.or(arrives) {
        Some(e) if e <= l.now => (x1, y1, x_of(l, e), y2full),
        Some(e) => {
            let f = (l.now - a.sent) as f64 / (e - a.sent).max(1) as f64;
            (x1, y1, x_of(l, l.now), y1 + (y2full - y1) * f)
        }
        None => (x1, y1, x_of(l, l.now), y1 + (y2full - y1) * 0.5),
    }
}

/// The arrows' colours by kind, then the colour of a highlighted arrow.
const COLORS: [&str; 7] = [
    "#f08c00", "#2f9e44", "#a5c8f0", "#1971c2", "#99d6df", "#0c8599", "#c2255c",
];
const HOT: usize = 6;

fn color(kind: usize, heartbeat: bool) -> usize {
    match (kind, heartbeat) {
        (0, _) => 0,
        (1, _) => 1,
        (2, true) => 2,
        (2, false) => 3,
        (_, true) => 4,
        _ => 5,
    }
}

/// The arrow nearest canvas point (x, y), within a few units.
pub fn hit(l: &Lanes, arrives: &dyn Fn(u64) -> Option<Micros>, x: f64, y: f64) -> Option<u64> {
    let mut best: Option<(u64, f64)> = None;
    for a in &l.arrows {
        let (x1, y1, x2, y2) = ends(l, a, arrives(a.id));
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len2 = (dx * dx + dy * dy).max(1e-9);
        let u = (((x - x1) * dx + (y - y1) * dy) / len2).clamp(0.0, 1.0);
        let d2 = (x1 + u * dx - x).powi(2) + (y1 + u * dy - y).powi(2);
        if d2 <= 36.0 && best.is_none_or(|b| d2 < b.1) {
            best = Some((a.id, d2));
        }
    }
    best.map(|b| b.0)
}

/// Draw the diagram: lanes, time ticks, role bands, commits, arrows,
/// violations and the playhead, in that order (later ones on top).
pub fn draw(
    canvas: &HtmlCanvasElement,
    l: &Lanes,
    n: u32,
    arrives: &dyn Fn(u64) -> Option<Micros>,
    hover: Option<u64>,
) {
    let h = height(n);
    let Some(ctx) = crate::canvas::fit(canvas, WIDTH, h) else {
        return;
    };
    ctx.set_font("12px system-ui, sans-serif");
    ctx.set_text_baseline("middle");
    draw_lanes(&ctx, n);
    draw_ticks(&ctx, l, h);
    draw_marks(&ctx, l);
    draw_commits(&ctx, l);
    draw_arrows(&ctx, l, arrives, hover);
    draw_violations(&ctx, l);
    // The playhead.
    ctx.set_stroke_style_str(crate::theme::palette().ink);
    ctx.set_line_width(1.5);
    ctx.begin_path();
    ctx.move_to(WIDTH - RIGHT, 0.0);
    ctx.line_to(WIDTH - RIGHT, h);
    ctx.stroke();
}

fn draw_lanes(ctx: &CanvasRenderingContext2d, n: u32) {
    // Lanes.
    ctx.set_fill_style_str(crate::theme::palette().text);
    ctx.begin_path();
    for id in 1..=n {
        let y = lane_y(id);
        ctx.fill_text(&format!("S{id}"), 8.0, y).ok();
        ctx.move_to(LEFT, y);
        ctx.line_to(WIDTH - RIGHT, y);
    }
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str(crate::theme::palette().line);
    ctx.stroke();
}

fn draw_ticks(ctx: &CanvasRenderingContext2d, l: &Lanes, h: f64) {
    // Time ticks: a round step giving about eight ticks.
    let span = l.now.saturating_sub(l.t0).max(1);
    let step = [
        1_000u64, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000,
        2_000_000, 5_000_000, 10_000_000,
    ]
    .into_iter()
    .find(|s| span / s <= 8)
    .unwrap_or(20_000_000);
    ctx.set_fill_style_str(crate::theme::palette().muted);
    ctx.begin_path();
    let mut t = l.t0.div_ceil(step) * step;
    while t <= l.now {
        let x = x_of(l, t);
        ctx.move_to(x, TOP * 0.5);
        ctx.line_to(x, h - TOP);
        ctx.fill_text(&format!("{:.3}s", t as f64 / 1e6), x + 2.0, h - TOP * 0.5)
            .ok();
        t += step;
    }
    ctx.set_stroke_style_str(crate::theme::palette().grid);
    ctx.stroke();
}

fn draw_marks(ctx: &CanvasRenderingContext2d, l: &Lanes) {
    // Role bands: a lane is drawn thick and coloured by term while leader.
    for (i, &(t, node, mark, term)) in l.marks.iter().enumerate() {
        let y = lane_y(node);
        let x = x_of(l, t);
        match mark {
            Mark::Role(Role::Leader) => {
                let until = l.marks[i + 1..]
                    .iter()
                    .find(|m| m.1 == node)
                    .map_or(l.now, |m| m.0);
                ctx.set_stroke_style_str(&term_color(term));
                ctx.set_line_width(5.0);
                ctx.begin_path();
                ctx.move_to(x, y);
                ctx.line_to(x_of(l, until), y);
                ctx.stroke();
                ctx.set_fill_style_str(&term_color(term));
                ctx.fill_text(&format!("L{term}"), x + 2.0, y - 9.0).ok();
            }
            Mark::Role(Role::Candidate) => {
                ctx.set_fill_style_str("#f08c00");
                ctx.begin_path();
                ctx.arc(x, y, 4.0, 0.0, std::f64::consts::TAU).ok();
                ctx.fill();
                ctx.fill_text(&format!("C{term}"), x + 2.0, y - 9.0).ok();
            }
            Mark::Role(Role::Follower) => {}
            Mark::Crash | Mark::Restart => {
                ctx.set_fill_style_str(if mark == Mark::Crash {
                    "#e03131"
                } else {
                    "#2f9e44"
                });
                ctx.fill_rect(x - 1.5, y - 9.0, 3.0, 18.0);
            }
        }
    }
}

fn draw_commits(ctx: &CanvasRenderingContext2d, l: &Lanes) {
    // Commits: a small tick under the lane with the new commitIndex.
    ctx.set_fill_style_str(crate::theme::palette().client);
    ctx.begin_path();
    let mut last_label = f64::NEG_INFINITY;
    for &(t, node, index) in &l.commits {
        let (x, y) = (x_of(l, t), lane_y(node));
        ctx.move_to(x, y + 2.0);
        ctx.line_to(x, y + 8.0);
        if x - last_label > 28.0 {
            ctx.fill_text(&format!("c{index}"), x + 2.0, y + 8.0).ok();
            last_label = x;
        }
    }
    ctx.set_stroke_style_str(crate::theme::palette().client);
    ctx.set_line_width(2.0);
    ctx.stroke();
}

fn draw_arrows(
    ctx: &CanvasRenderingContext2d,
    l: &Lanes,
    arrives: &dyn Fn(u64) -> Option<Micros>,
    hover: Option<u64>,
) {
    // Arrows, one path per colour: each stroke or fill is a fixed cost in
    // the software rasteriser, so a few hundred arrows cost a few calls,
    // and lines under a pixel wide are drawn as fast hairlines. Arrowheads
    // are left out when the window holds so many arrows that they would be
    // a blur anyway; a lost message ends in a red cross.
    let heads = l.arrows.len() <= 300;
    let hot = |a: &Arrow| hover == Some(a.id) || l.culprits.contains(&a.id);
    for (c, style) in COLORS.iter().enumerate() {
        let mine = |a: &&Arrow| {
            c == if hot(a) {
                HOT
            } else {
                color(a.kind, a.heartbeat)
            }
        };
        ctx.begin_path();
        for a in l.arrows.iter().filter(mine) {
            let (x1, y1, x2, y2) = ends(l, a, arrives(a.id));
            ctx.move_to(x1, y1);
            ctx.line_to(x2, y2);
        }
        ctx.set_stroke_style_str(style);
        ctx.set_line_width(if c == HOT { 3.0 } else { 0.9 });
        ctx.stroke();
        // An arrowhead at the receiver, along the arrow.
        ctx.begin_path();
        for a in l.arrows.iter().filter(mine) {
            if a.dropped || !(heads || c == HOT) || a.end.is_none_or(|e| e > l.now) {
                continue;
            }
            let (x1, y1, x2, y2) = ends(l, a, arrives(a.id));
            let (dx, dy) = (x2 - x1, y2 - y1);
            let len = (dx * dx + dy * dy).sqrt().max(1e-9);
            let (ux, uy) = (dx / len, dy / len);
            ctx.move_to(x2, y2);
            ctx.line_to(x2 - 6.0 * ux - 2.5 * uy, y2 - 6.0 * uy + 2.5 * ux);
            ctx.line_to(x2 - 6.0 * ux + 2.5 * uy, y2 - 6.0 * uy - 2.5 * ux);
        }
        ctx.set_fill_style_str(style);
        ctx.fill();
    }
    ctx.begin_path();
    for a in l.arrows.iter().filter(|a| a.dropped) {
        let (_, _, x2, y2) = ends(l, a, arrives(a.id));
        ctx.move_to(x2 - 4.0, y2 - 4.0);
        ctx.line_to(x2 + 4.0, y2 + 4.0);
        ctx.move_to(x2 + 4.0, y2 - 4.0);
        ctx.line_to(x2 - 4.0, y2 + 4.0);
    }
    ctx.set_stroke_style_str(crate::theme::palette().bad);
    ctx.set_line_width(1.2);
    ctx.stroke();
}

fn draw_violations(ctx: &CanvasRenderingContext2d, l: &Lanes) {
    // Violations: a red bar across the lanes involved.
    ctx.set_fill_style_str(crate::theme::palette().bad);
    for (t, nodes) in &l.violations {
        let x = x_of(l, *t);
        for &node in nodes {
            let y = lane_y(node);
            ctx.fill_rect(x - 2.0, y - 12.0, 4.0, 24.0);
        }
        ctx.fill_text("!", x + 4.0, TOP * 0.5).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrow(id: u64, from: NodeId, to: NodeId, sent: Micros, end: Option<Micros>) -> Arrow {
        Arrow {
            id,
            from,
            to,
            sent,
            end,
            dropped: false,
            kind: 2,
            heartbeat: false,
        }
    }

    #[test]
    fn the_pointer_finds_the_arrow_under_it_and_the_time_under_it() {
        let l = Lanes {
            t0: 0,
            now: 1000,
            arrows: vec![arrow(7, 1, 3, 100, Some(400)), arrow(8, 2, 1, 600, None)],
            ..Lanes::default()
        };
        let arrives = |id: u64| (id == 8).then_some(1600);
        let mid = |a: Micros, b: Micros, n: NodeId, m: NodeId| {
            (
                (x_of(&l, a) + x_of(&l, b)) / 2.0,
                (lane_y(n) + lane_y(m)) / 2.0,
            )
        };
        let (x, y) = mid(100, 400, 1, 3);
        assert_eq!(hit(&l, &arrives, x, y), Some(7));
        assert_eq!(hit(&l, &arrives, x, y + 20.0), None);
        // Still on the wire: drawn from its send to where it is now.
        let (x, y) = (x_of(&l, 650), lane_y(2) - 0.5);
        assert_eq!(hit(&l, &arrives, x, y), Some(8));
        for t in [0, 1, 333, 999, 1000] {
            assert_eq!(t_of(&l, x_of(&l, t)), t);
        }
    }
}
