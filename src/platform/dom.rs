//! Small reads of the page: the document, the address, visibility, time.

use crate::state::Env;
use wasm_bindgen::JsCast;

pub fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Is the tab hidden (no frames are drawn then)?
pub fn hidden() -> bool {
    document().is_some_and(|d| d.hidden())
}

/// The address bar's fragment, if it holds anything.
pub fn location_hash() -> Option<String> {
    let h = web_sys::window()?.location().hash().ok()?;
    (h.len() > 1).then_some(h)
}

/// The query string (`?embed=1&...`), or "".
pub fn location_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// The browser's preferred language tag (`navigator.language`), or "".
pub fn language() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_default()
}

/// Inside an iframe?
pub fn in_frame() -> bool {
    web_sys::window()
        .and_then(|w| w.parent().ok().flatten().map(|p| p != w))
        .unwrap_or(false)
}

/// The page's address without its fragment.
pub fn page_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// Where the first-load module (`boot/`) had the live cluster when this
/// page took over: it stops at this call. `None` when the page was opened
/// directly (a link, a lesson, an embed) or the answer is malformed.
pub fn take_over_boot() -> Option<crate::state::Handover> {
    let w = web_sys::window()?;
    let boot = js_sys::Reflect::get(&w, &"quorumBoot".into()).ok()?;
    let stop = js_sys::Reflect::get(&boot, &"stop".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let at = stop.call0(&boot).ok()?;
    let num = |k: &str| js_sys::Reflect::get(&at, &k.into()).ok()?.as_f64();
    let whole = |v: f64| (0.0..=9.0e15).contains(&v).then_some(v as u64);
    Some(crate::state::Handover {
        seed: whole(num("seed")?)?,
        now: whole(num("now")?)?,
        running: js_sys::Reflect::get(&at, &"running".into())
            .ok()?
            .as_bool()?,
        // Absent (an older first-load module still cached): the default.
        skip_quiet: js_sys::Reflect::get(&at, &"skip_quiet".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true),
    })
}

/// The first-load module is running (it waits to hand over).
pub fn boot_running() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"quorumBoot".into()).ok())
        .is_some_and(|b| b.is_object())
}

/// Remove the first-load module's markup (after this page's first render,
/// in the same task: nothing is painted in between).
pub fn remove_boot() {
    if let Some(el) = document().and_then(|d| d.get_element_by_id("boot")) {
        el.remove();
    }
}

pub fn random_seed() -> u64 {
    // Only the starting seed is random; every run is then deterministic.
    (js_sys::Math::random() * 1_000_000.0) as u64
}

/// A User Timing mark (`performance.mark`), for profiles and for
/// `scripts/first-load.mjs`: `quorum:ring` (the boot module's first frame),
/// `quorum:app-start`, `quorum:app-drawn`.
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

fn performance_now() -> Option<f64> {
    Some(web_sys::window()?.performance()?.now())
}

/// The browser as `update` sees it.
pub fn env() -> Env {
    Env {
        clock: performance_now,
        random_seed,
    }
}

/// Put text on the clipboard. May be refused (no permission, not https):
/// the link is also shown to copy by hand.
pub fn copy_text(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}
