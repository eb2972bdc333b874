//! What moves every frame, drawn on a canvas under the ring's SVG: the
//! links, the messages in flight and the draining election timers. Drawing a few
//! hundred dots here costs far less than moving as many DOM nodes.

use crate::ring::{client_message_class, client_message_xy, message_class, node_pos, node_radius};
use quorum_core::protocol::{Message, NodeId, Timer};
use quorum_core::sim::{InFlight, Lab, Micros};
use std::f64::consts::{FRAC_PI_2, TAU};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// At most this many messages are drawn on the ring.
pub const MAX_DRAWN: usize = 2000;

/// Ring units across the canvas (the SVG's viewBox is 600 wide).
const UNITS: f64 = 600.0;

pub fn style(class: &str) -> (&'static str, &'static str, bool) {
    // (fill, stroke, filled); hollow dots are filled with the panel's colour.
    let p = crate::theme::palette();
    match class {
        "m-rv" => (p.rv.0, p.rv.1, true),
        // A pre-vote: RequestVote's colour, hollow (§9.6).
        "m-pv" => (p.panel, p.rv.0, false),
        "m-vote-yes" => (p.yes.0, p.yes.1, true),
        "m-vote-no" => (p.panel, p.no, false),
        "m-hb" => (p.panel, p.ae.0, false),
        // A heartbeat round that confirms a read (§6.4).
        "m-rd" => (p.panel, p.ok.0, false),
        // Leadership transfer's TimeoutNow (§3.10).
        "m-tn" => (p.rv.1, p.yes.0, true),
        // A chunk of a snapshot (§7): AppendEntries' colour, rimmed.
        "m-is" => (p.ae.1, p.ok.0, true),
        "m-ae" => (p.ae.0, p.ae.1, true),
        "m-ae-ok" => (p.ok.0, p.ok.1, true),
        "m-creq" => (p.creq.0, p.creq.1, true),
        "m-crep" => (p.panel, p.crep, false),
        "m-crep-no" => (p.panel, p.crep_no, false),
        _ => (p.panel, p.no, false),
    }
}

/// Where a message is now: along the line from sender to receiver, by the
/// share of its latency that has passed.
pub fn message_xy(m: &InFlight<'_, Message>, n: u32, now: Micros) -> (f64, f64) {
    let (from, to) = (node_pos(m.from, n), node_pos(m.to, n));
    crate::ring::along(from, to, m.sent, m.arrives, now)
}

/// The message nearest to ring point (x, y), within a finger's width.
pub fn hit(lab: &Lab, x: f64, y: f64) -> Option<u64> {
    let sim = lab.sim();
    let n = sim.node_count();
    let now = sim.now();
    let servers = sim.in_flight();
    let clients = sim.client_in_flight();
    let at = servers
        .iter()
        .map(|m| (m.id, message_xy(m, n, now)))
        .chain(clients.iter().map(|m| (m.id, client_message_xy(m, n, now))));
    at.map(|(id, (mx, my))| (id, (mx - x).powi(2) + (my - y).powi(2)))
        .filter(|&(_, d2)| d2 <= 16.0 * 16.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

/// A canvas's 2-D context, if the browser gives one.
pub fn context2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    // Opaque: both canvases lie on white panels, and the compositor skips
    // what an opaque layer hides and copies it without blending.
    let opaque = js_sys::Object::new();
    js_sys::Reflect::set(&opaque, &"alpha".into(), &false.into()).ok();
    canvas
        .get_context_with_context_options("2d", &opaque)
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
}

/// Size a canvas's bitmap to its box in device pixels, so the compositor
/// copies it as it is instead of scaling it every frame (in software that
/// costs as much as the drawing), and draw `w` × `h` units into it. The
/// bitmap is resized only when the box changed. Returns the context, the
/// bitmap filled white.
pub fn fit(canvas: &HtmlCanvasElement, w: f64, h: f64) -> Option<CanvasRenderingContext2d> {
    let dpr = web_sys::window().map_or(1.0, |win| win.device_pixel_ratio());
    let px = (f64::from(canvas.client_width()) * dpr).round() as u32;
    let py = (f64::from(px) * h / w).round() as u32;
    if px > 0 && (px, py) != (canvas.width(), canvas.height()) {
        canvas.set_width(px);
        canvas.set_height(py);
    }
    let ctx = context2d(canvas)?;
    let sx = f64::from(canvas.width()) / w;
    let sy = f64::from(canvas.height()) / h;
    ctx.set_transform(sx, 0.0, 0.0, sy, 0.0, 0.0).ok();
    ctx.set_fill_style_str(crate::theme::palette().panel);
    ctx.fill_rect(0.0, 0.0, w, h);
    Some(ctx)
}

/// Draw the ring's moving parts. Paths are batched: one stroke for the
/// open links, one for the blocked ones, one for the timers, and one fill
/// and one stroke per kind of message (each draw call has a fixed cost in
/// the software rasteriser, far above its pixels).
pub fn draw(canvas: &HtmlCanvasElement, lab: &Lab, selected: Option<u64>, hover: Option<u64>) {
    let Some(ctx) = fit(canvas, UNITS, UNITS) else {
        return;
    };
    let sim = lab.sim();
    let n = sim.node_count();
    let now = sim.now();

    // Links: grey, or dashed red where a partition or a cut blocks them.
    let net = sim.network();
    ctx.set_line_width(1.5);
    for blocked in [false, true] {
        ctx.begin_path();
        let mut any = false;
        for a in 1..=n {
            for b in (a + 1)..=n {
                if (net.blocked(a, b).is_some() || net.blocked(b, a).is_some()) == blocked {
                    let (x1, y1) = node_pos(a, n);
                    let (x2, y2) = node_pos(b, n);
                    ctx.move_to(x1, y1);
                    ctx.line_to(x2, y2);
                    any = true;
                }
            }
        }
        if any {
            let dash = js_sys::Array::new();
            if blocked {
                dash.push(&6.0.into());
                dash.push(&6.0.into());
            }
            ctx.set_line_dash(&dash).ok();
            let p = crate::theme::palette();
            ctx.set_stroke_style_str(if blocked { p.blocked } else { p.line });
            ctx.stroke();
        }
    }
    ctx.set_line_dash(&js_sys::Array::new()).ok();

    // Election timers: an arc that drains clockwise from the top.
    let r = node_radius(n) + 7.0;
    ctx.begin_path();
    for id in 1..=n {
        if !sim.is_up(id) {
            continue;
        }
        if let Some((start, deadline)) = sim.timer_span(id as NodeId, Timer::Election) {
            let total = deadline.saturating_sub(start).max(1) as f64;
            let left = (deadline.saturating_sub(now) as f64 / total).clamp(0.0, 1.0);
            let (x, y) = node_pos(id, n);
            ctx.move_to(x, y - r);
            ctx.arc(x, y, r, -FRAC_PI_2, -FRAC_PI_2 + left * TAU).ok();
        }
    }
    ctx.set_line_width(3.0);
    ctx.set_stroke_style_str(crate::theme::palette().timer);
    ctx.stroke();

    // Messages (the latest sent, when there are more than a ring can
    // show), the clients' requests and replies among them. Dots of one
    // kind in a row share a path: one fill and one stroke.
    let flying = sim.in_flight();
    let servers = flying.iter().skip(flying.len().saturating_sub(MAX_DRAWN));
    let servers = servers.map(|m| (m.id, message_xy(m, n, now), message_class(m.msg)));
    let clients = sim.client_in_flight();
    let clients = clients.iter().skip(clients.len().saturating_sub(MAX_DRAWN));
    let clients = clients.map(|m| (m.id, client_message_xy(m, n, now), client_message_class(m)));
    let flush = |run: &str| {
        let (fill, stroke, filled) = style(run);
        ctx.set_fill_style_str(fill);
        ctx.fill();
        ctx.set_line_width(if filled { 2.0 } else { 3.0 });
        ctx.set_stroke_style_str(stroke);
        ctx.stroke();
    };
    let mut run = "";
    ctx.begin_path();
    for (id, (x, y), (class, size, _)) in servers.chain(clients) {
        if class != run {
            flush(run);
            ctx.begin_path();
            run = class;
        }
        ctx.move_to(x + size, y);
        ctx.arc(x, y, size, 0.0, TAU).ok();
        if selected == Some(id) || hover == Some(id) {
            flush(run);
            ctx.begin_path();
            ctx.arc(x, y, size + 5.0, 0.0, TAU).ok();
            ctx.set_line_width(if hover == Some(id) { 4.0 } else { 2.5 });
            let p = crate::theme::palette();
            ctx.set_stroke_style_str(if hover == Some(id) {
                p.hover
            } else {
                p.selected
            });
            ctx.stroke();
            ctx.begin_path();
        }
    }
    flush(run);
}
