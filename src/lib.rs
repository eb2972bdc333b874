//! Quorum in the browser: the `ui` layer. A Yew app that holds a live
//! simulator ([`quorum_core::sim::Lab`]) and draws it. Every user action
//! becomes a scenario event at the current virtual time.
//!
//! Built in the Elm architecture: `state` (model, messages, a pure
//! `update` returning effects), `view` (functions and components of the
//! model), `runtime` (the one `dispatch` that the UI, `window.quorum` and
//! the embedding page share), `platform` (the browser), and `app`, the
//! thin component shell mounted here.

pub mod announce;
pub mod app;
pub mod canvas;
pub mod history;
pub mod i18n;
pub mod lab;
pub mod lamport;
pub mod logs;
pub mod math;
pub mod paint;
pub mod platform;
pub mod ring;
pub mod runtime;
pub mod share;
pub mod state;
pub mod theme;
pub mod translate;
pub mod view;

use wasm_bindgen::prelude::*;

/// Mount the app on `#app` (or the body), with the panic hook and the
/// `window.quorum` API.
pub fn start() {
    install_panic_hook();
    let document = gloo_document();
    let root = document
        .get_element_by_id("app")
        .or_else(|| document.body().map(Into::into));
    let Some(root) = root else {
        return;
    };
    // After the boot module's first frame (boot/), this module was
    // instantiated in the task that fetched it: the page is built in the
    // next one, so that neither is long.
    if platform::dom::boot_running() {
        gloo_timers::callback::Timeout::new(0, move || {
            yew::Renderer::<app::App>::with_root(root).render();
        })
        .forget();
    } else {
        yew::Renderer::<app::App>::with_root(root).render();
    }
}

fn gloo_document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect_throw("no document")
}

/// A panic must never leave a frozen page: show what happened and a way
/// out. (After a panic, panic = "abort" stops the wasm instance.)
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| show_fatal_error(&info.to_string())));
}

/// Put a visible error with a Reset button over the page. Plain DOM with an
/// inline handler, because the wasm instance cannot run again.
pub fn show_fatal_error(msg: &str) {
    web_sys::console::error_1(&JsValue::from_str(&format!("Quorum stopped: {msg}")));
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(div) = doc.create_element("div") else {
        return;
    };
    div.set_id("panic");
    div.set_attribute("role", "alertdialog").ok();
    div.set_inner_html(
        "<div class=\"panic-box\"><h2>Something went wrong</h2>\
         <p>Quorum hit an internal error and stopped. Nothing you did caused this.</p>\
         <pre></pre>\
         <button onclick=\"location.hash='';location.reload()\" aria-label=\"Reset Quorum\">Reset</button></div>",
    );
    if let Ok(Some(pre)) = div.query_selector("pre") {
        pre.set_text_content(Some(msg));
    }
    if let Some(body) = doc.body() {
        body.append_child(&div).ok();
    }
}
