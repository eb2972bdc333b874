//! The colours of what is drawn on canvases (the ring's links, timers and
//! messages; the space-time diagram), light or dark as the page resolved
//! its theme. The DOM's colours are the style sheet's custom properties
//! (`www/style.css`, with a dark twin of each); these mirror them.
//!
//! The theme is the page's `data-theme` (`light` or `dark`: the theme
//! button, remembered, or `theme=` in the URL; `index.html` sets it before
//! anything is drawn), else the system's `prefers-color-scheme`.

use std::cell::Cell;

thread_local! {
    static DARK: Cell<bool> = const { Cell::new(false) };
    static REDUCED: Cell<bool> = const { Cell::new(false) };
}

/// The system asks for reduced motion (`prefers-reduced-motion`): the page
/// does not start playing by itself, and messages move in steps.
pub fn set_reduced_motion(on: bool) {
    REDUCED.with(|r| r.set(on));
}

pub fn reduced_motion() -> bool {
    REDUCED.with(Cell::get)
}

/// Draw in dark colours from now on (or light).
pub fn set_dark(dark: bool) {
    DARK.with(|d| d.set(dark));
}

pub fn dark() -> bool {
    DARK.with(Cell::get)
}

/// Canvas colours.
#[derive(Debug)]
pub struct Palette {
    /// The canvas' background (the panel's).
    pub panel: &'static str,
    /// Text and the playhead.
    pub ink: &'static str,
    /// Lane names.
    pub text: &'static str,
    /// Tick labels.
    pub muted: &'static str,
    /// Links between servers, lanes.
    pub line: &'static str,
    /// Blocked links.
    pub blocked: &'static str,
    /// Time ticks.
    pub grid: &'static str,
    /// The draining election timers.
    pub timer: &'static str,
    /// A message under the pointer, and a selected one.
    pub hover: &'static str,
    pub selected: &'static str,
    /// Broken properties.
    pub bad: &'static str,
    /// Client traffic in the diagram.
    pub client: &'static str,
    /// (fill, stroke) of each kind of message on the ring.
    pub rv: (&'static str, &'static str),
    pub yes: (&'static str, &'static str),
    pub no: &'static str,
    pub ae: (&'static str, &'static str),
    pub ok: (&'static str, &'static str),
    pub creq: (&'static str, &'static str),
    pub crep: &'static str,
    pub crep_no: &'static str,
}

pub const LIGHT: Palette = Palette {
    panel: "#ffffff",
    ink: "#212529",
    text: "#495057",
    muted: "#5c6670",
    line: "#dee2e6",
    blocked: "#ffa8a8",
    grid: "#f1f3f5",
    timer: "#e8590c",
    hover: "#c2255c",
    selected: "#000000",
    bad: "#e03131",
    client: "#5f3dc4",
    rv: ("#f08c00", "#d9480f"),
    yes: ("#2f9e44", "#2b8a3e"),
    no: "#e03131",
    ae: ("#1971c2", "#1864ab"),
    ok: ("#0c8599", "#0b7285"),
    creq: ("#7048e8", "#5f3dc4"),
    crep: "#7048e8",
    crep_no: "#e8590c",
};

pub const DARK_PALETTE: Palette = Palette {
    panel: "#1f2328",
    ink: "#e6e9ec",
    text: "#c1c8d0",
    muted: "#a3adb8",
    line: "#3a4048",
    blocked: "#8a3b3b",
    grid: "#2a2f35",
    timer: "#fab005",
    hover: "#f783ac",
    selected: "#ffffff",
    bad: "#ff6b6b",
    client: "#b197fc",
    rv: ("#f59f00", "#ffa94d"),
    yes: ("#40c057", "#69db7c"),
    no: "#ff6b6b",
    ae: ("#4dabf7", "#74c0fc"),
    ok: ("#22b8cf", "#66d9e8"),
    creq: ("#9775fa", "#b197fc"),
    crep: "#9775fa",
    crep_no: "#ff922b",
};

/// The colours to draw with now.
pub fn palette() -> &'static Palette {
    if dark() {
        &DARK_PALETTE
    } else {
        &LIGHT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let c = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                crate::math::pow((v + 0.055) / 1.055, 2.4)
            }
        };
        0.2126 * c(1) + 0.7152 * c(3) + 0.0722 * c(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn canvas_text_and_marks_stand_out_in_both_themes() {
        for p in [&LIGHT, &DARK_PALETTE] {
            // Text: 4.5:1 (WCAG 1.4.3); lines and dots: 3:1 (1.4.11).
            for text in [p.ink, p.text, p.muted] {
                assert!(contrast(text, p.panel) >= 4.5, "{text} on {}", p.panel);
            }
            for mark in [
                p.timer, p.hover, p.bad, p.client, p.rv.1, p.yes.1, p.no, p.ae.1, p.ok.1, p.creq.1,
                p.crep_no,
            ] {
                assert!(contrast(mark, p.panel) >= 3.0, "{mark} on {}", p.panel);
            }
        }
        set_dark(true);
        assert_eq!(palette().panel, DARK_PALETTE.panel);
        set_dark(false);
        assert_eq!(palette().panel, LIGHT.panel);
    }
}
