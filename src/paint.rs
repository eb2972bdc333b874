//! What changes every frame is painted directly, not through the virtual
//! DOM: the ring's canvas, the space-time diagram, the clock and the
//! scrubber (so the last two can never disagree).

use crate::state::{Model, Session};
use crate::view::Surfaces;
use quorum_core::sim::Lab;

/// The clock and the scrubber's position.
pub fn time(s: &Surfaces, lab: &Lab) {
    if let Some(c) = s.clock.cast::<web_sys::Element>() {
        c.set_text_content(Some(&crate::lab::clock_text(lab)));
    }
    if let Some(r) = s.scrub.cast::<web_sys::HtmlInputElement>() {
        r.set_max(&crate::lab::ms_value(lab.horizon()));
        r.set_value(&crate::lab::ms_value(lab.now()));
    }
}

/// Redraw what moves: the ring's canvas and the space-time diagram. The
/// diagram's lanes are kept in the model: pointer hits are tested on them.
pub fn canvases(s: &Surfaces, m: &mut Model, session: &mut Session) {
    if let Some(c) = s.canvas.cast::<web_sys::HtmlCanvasElement>() {
        crate::canvas::draw(&c, &session.lab, m.selection.msg, m.selection.hover);
    }
    // While playing, the diagram is redrawn at most 30 times a second (a
    // canvas repaint costs most of a frame without a GPU); anything else
    // (a pause, a seek, a hover) redraws it at once.
    let ts = m.clock.last_ts.unwrap_or(f64::INFINITY);
    let d = &mut m.diagram;
    let due = !session.running || ts - d.drawn >= 30.0 || ts < d.drawn;
    let Some(c) = s
        .lamport
        .cast::<web_sys::HtmlCanvasElement>()
        .filter(|_| due)
    else {
        return;
    };
    d.drawn = if ts.is_finite() {
        ts
    } else {
        f64::NEG_INFINITY
    };
    d.lanes = crate::history::lanes(&mut session.lab, d.span);
    let arrives = crate::state::arrivals(&session.lab);
    let n = session.lab.sim().node_count();
    crate::lamport::draw(
        &c,
        &d.lanes,
        n,
        &|id| arrives.get(&id).copied(),
        m.selection.hover,
    );
}
