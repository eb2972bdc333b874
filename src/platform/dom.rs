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
    for id in ["boot", "skeleton"] {
        if let Some(el) = document().and_then(|d| d.get_element_by_id(id)) {
            el.remove();
        }
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

/// Real time in ms (0 where the page has no clock).
pub fn now_ms() -> f64 {
    performance_now().unwrap_or(0.0)
}

/// The browser as `update` sees it.
pub fn env() -> Env {
    Env {
        clock: performance_now,
        random_seed,
    }
}

/// Put text on the clipboard; `done` hears whether the browser allowed it
/// (a frame without `allow="clipboard-write"`, a page not on https, or a
/// refusal says no). The link is also shown to copy by hand.
pub fn copy_text(text: &str, done: impl FnOnce(bool) + 'static) {
    let Some(w) = web_sys::window() else {
        return done(false);
    };
    let promise = w.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::spawn_local(async move {
        let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        done(ok);
    });
}

/// Where the theme choice is remembered (`localStorage`).
pub const THEME_KEY: &str = "quorum-theme";

/// The page's theme: `data-theme` on the root element (`index.html` sets
/// it from `theme=` or the remembered choice before anything is drawn),
/// else the system's `prefers-color-scheme`.
pub fn resolved_dark() -> bool {
    match explicit_theme().as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => system_dark(),
    }
}

/// The theme set on the page, if one was (not the system's).
pub fn explicit_theme() -> Option<String> {
    document()?.document_element()?.get_attribute("data-theme")
}

/// The system asks for dark colours.
pub fn system_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Show the page light or dark; `remember` keeps the choice for the next
/// visit (not for an embed's `theme=`). Storage may be refused (private
/// mode, a sandboxed frame): the page still changes.
pub fn set_theme(dark: bool, remember: bool) {
    let name = if dark { "dark" } else { "light" };
    if let Some(root) = document().and_then(|d| d.document_element()) {
        root.set_attribute("data-theme", name).ok();
    }
    if remember {
        self::remember(THEME_KEY, name);
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A fact kept for the next visit (none if storage is refused).
pub fn remember(key: &str, value: &str) {
    if let Some(s) = storage() {
        s.set_item(key, value).ok();
    }
}

/// A fact kept by an earlier visit.
pub fn remembered(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Put the page in `lang` and remember it: the translator module does it
/// (`platform::i18n_loader`), so the full page carries no translation
/// code.
pub fn set_language(lang: crate::i18n::Lang) {
    let failed = wasm_bindgen::closure::Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(
        |why: wasm_bindgen::JsValue| {
            web_sys::console::warn_2(&"the page could not change its language:".into(), &why);
        },
    );
    let _ = super::i18n_loader::load(lang, true).catch(&failed);
    failed.forget();
}

/// The open modal dialog, if any (`role=dialog` with `aria-modal`).
pub fn modal_dialog() -> Option<web_sys::Element> {
    document()?
        .query_selector("[role=dialog][aria-modal=true]")
        .ok()
        .flatten()
}

/// The elements in `root` that Tab reaches, in order.
pub fn focusables(root: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = root.query_selector_all(
        "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), \
         textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])",
    ) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

/// A modal dialog takes focus when it opens (its first control) and gives
/// it back where it was when it closes. `saved` holds that place between
/// calls (after every render).
pub fn focus_dialog(saved: &std::cell::RefCell<Option<web_sys::HtmlElement>>) {
    let Some(doc) = document() else { return };
    let active = doc.active_element();
    match modal_dialog() {
        Some(d) => {
            // A control just disabled (an answered question's choices)
            // loses focus at the next frame: move it on now.
            let inside = active
                .as_ref()
                .is_some_and(|a| d.contains(Some(a)) && !a.matches(":disabled").unwrap_or(false));
            if inside {
                return;
            }
            let mut s = saved.borrow_mut();
            if s.is_none() {
                *s = active.and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok());
            }
            if let Some(first) = focusables(&d).into_iter().next() {
                first.focus().ok();
            }
        }
        None => {
            if let Some(el) = saved.borrow_mut().take() {
                if el.is_connected() {
                    el.focus().ok();
                }
            }
        }
    }
}

/// The system asks for reduced motion.
pub fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}
