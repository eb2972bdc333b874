//! What changes every frame is painted directly, not through the virtual
//! DOM: the ring's canvas, the space-time diagram, the clock and the
//! scrubber (so the last two can never disagree).

use crate::state::{Model, Session};
use crate::view::Surfaces;
use quorum_core::sim::Lab;

/// The clock and the scrubber's position. While playing, the scrubber
/// is set only when its thumb moves by 1/2000 of its range (under a
/// pixel): the browser redraws the box around all that changed in a frame,
/// and the scrubber is as wide as the page. Paused, it is exact.
pub fn time(s: &Surfaces, lab: &Lab, quiet: bool) {
    if let Some(c) = s.clock.cast::<web_sys::Element>() {
        c.set_text_content(Some(&crate::lab::clock_text(lab)));
        quiet_mark(&c, quiet);
    }
    if let Some(r) = s.scrub.cast::<web_sys::HtmlInputElement>() {
        let new = (lab.horizon() / 1000, lab.now() / 1000);
        let at = |(m, v): (u64, u64)| v as f64 / m.max(1) as f64;
        let due = s.scrubbed.get().is_none_or(|old| {
            old != new && (!s.playing.get() || (at(new) - at(old)).abs() * 2000.0 >= 1.0)
        });
        if due {
            r.set_max(&crate::lab::ms_value(lab.horizon()));
            r.set_value(&crate::lab::ms_value(lab.now()));
            s.scrubbed.set(Some(new));
        }
    }
}

/// Redraw what moves: the ring's canvas and the space-time diagram. The
/// diagram's lanes are kept in the model: pointer hits are tested on them.
/// Says whether the diagram was redrawn while playing: the clock then
/// waits for the next frame (see `Runtime::paint`).
pub fn canvases(s: &Surfaces, m: &mut Model, session: &mut Session) -> bool {
    s.playing.set(session.running);
    if let Some(c) = s.canvas.cast::<web_sys::HtmlCanvasElement>() {
        crate::canvas::draw(&c, &session.lab, m.selection.msg, m.selection.hover);
    }
    // While playing, the diagram is redrawn at most 20 times a second (a
    // canvas repaint costs most of a frame without a GPU, and the
    // compositor redraws the bounding box of all that changed in a frame:
    // the diagram and the ring together are most of the page), and not in
    // a frame that re-renders the page, unless it is 80 ms old; anything
    // else (a pause, a seek, a hover) redraws it at once.
    let ts = m.clock.last_ts.unwrap_or(f64::INFINITY);
    let c = &m.clock;
    let busy = ts == c.ring_built || ts == c.log_built || ts == c.views_built;
    let d = &mut m.diagram;
    let age = ts - d.drawn;
    let due = !session.running || age >= if busy { 80.0 } else { 45.0 } || age < 0.0;
    // Off screen it is not drawn at all; `Msg::DiagramSeen` paints it
    // (and its lanes, which clicks are tested on) when it comes into view.
    let due = due && !s.diagram_hidden.get();
    let Some(c) = s
        .lamport
        .cast::<web_sys::HtmlCanvasElement>()
        .filter(|_| due)
    else {
        return false;
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
    session.running
}

/// Mark the clock while quiet time passes quickly ("skip quiet time"):
/// `data-quiet`, which the style sheet shows as ⏩ beside the time.
pub fn quiet_mark(clock: &web_sys::Element, quiet: bool) {
    if clock.has_attribute("data-quiet") != quiet {
        if quiet {
            clock.set_attribute("data-quiet", "").ok();
        } else {
            clock.remove_attribute("data-quiet").ok();
        }
    }
}
