//! Page-wide listeners: keyboard shortcuts, tab visibility, a pasted link
//! (hashchange), and files dropped anywhere on the page. Each becomes a
//! [`Msg`]; they live as long as the returned [`Listeners`].

use super::dom::{document, hidden, location_hash};
use crate::state::{key_msg, Msg};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::Callback;

type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// The installed listeners (dropping them would detach them).
pub struct Listeners {
    _closures: Vec<Listener>,
}

/// Listen on the window and the document.
pub fn install(send: &Callback<Msg>) -> Listeners {
    let s = send.clone();
    let hashchange = Listener::new(move |_| s.emit(Msg::HashChanged(location_hash())));
    let over = Listener::new(|e: web_sys::Event| e.prevent_default());
    let s = send.clone();
    let drop = Listener::new(move |e: web_sys::Event| on_drop(&s, &e));
    let s = send.clone();
    let keydown = Listener::new(move |e: web_sys::Event| on_key(&s, &e));
    let s = send.clone();
    let visibility = Listener::new(move |_| s.emit(Msg::Visibility { hidden: hidden() }));
    // The system's colour scheme, followed while no theme was chosen.
    let s = send.clone();
    let scheme = Listener::new(move |_| {
        if super::dom::explicit_theme().is_none() {
            s.emit(Msg::SystemTheme(super::dom::system_dark()));
        }
    });
    if let Some(w) = web_sys::window() {
        w.add_event_listener_with_callback("hashchange", hashchange.as_ref().unchecked_ref())
            .ok();
        if let Ok(Some(m)) = w.match_media("(prefers-color-scheme: dark)") {
            m.add_event_listener_with_callback("change", scheme.as_ref().unchecked_ref())
                .ok();
        }
    }
    if let Some(d) = document() {
        for (name, l) in [
            ("dragover", &over),
            ("drop", &drop),
            ("keydown", &keydown),
            ("visibilitychange", &visibility),
        ] {
            d.add_event_listener_with_callback(name, l.as_ref().unchecked_ref())
                .ok();
        }
    }
    Listeners {
        _closures: vec![hashchange, over, drop, keydown, visibility, scheme],
    }
}

/// A file dropped on the page is imported.
fn on_drop(send: &Callback<Msg>, e: &web_sys::Event) {
    e.prevent_default();
    let file = e
        .dyn_ref::<web_sys::DragEvent>()
        .and_then(|d| d.data_transfer())
        .and_then(|d| d.files())
        .and_then(|f| f.get(0));
    if let Some(f) = file {
        super::files::read_file(send.clone(), f);
    }
}

/// A shortcut key (see [`key_msg`]); typing in a field is not one, and
/// Space or Enter on a focused control presses that control (the browser's
/// own action), never play/pause.
fn on_key(send: &Callback<Msg>, e: &web_sys::Event) {
    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
        return;
    };
    if e.ctrl_key() || e.meta_key() || e.alt_key() {
        return;
    }
    let target = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    let in_field = target
        .as_ref()
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
    let key = e.key();
    if in_field && key != "Escape" {
        return;
    }
    let on_control = target.as_ref().is_some_and(|el| {
        matches!(el.tag_name().as_str(), "BUTTON" | "SUMMARY" | "A")
            || el
                .get_attribute("role")
                .is_some_and(|r| r == "button" || r == "option")
    });
    if on_control && (key == " " || key == "Enter") {
        return;
    }
    if key == "Tab" {
        trap_tab(e);
        return;
    }
    let key = if e.shift_key() && key.starts_with("Arrow") {
        format!("Shift+{key}")
    } else {
        key
    };
    if let Some(msg) = key_msg(&key) {
        e.prevent_default();
        send.emit(msg);
    }
}

/// Tab stays in an open modal dialog: past its last control to its first,
/// before its first to its last.
fn trap_tab(e: &web_sys::KeyboardEvent) {
    let Some(dialog) = super::dom::modal_dialog() else {
        return;
    };
    let items = super::dom::focusables(&dialog);
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        e.prevent_default();
        return;
    };
    let active = document().and_then(|d| d.active_element());
    let at = |el: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == el.as_ref() as &web_sys::Element)
    };
    let inside = active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
    let target = if !inside {
        Some(first)
    } else if e.shift_key() && at(first) {
        Some(last)
    } else if !e.shift_key() && at(last) {
        Some(first)
    } else {
        None
    };
    if let Some(t) = target {
        e.prevent_default();
        t.focus().ok();
    }
}
