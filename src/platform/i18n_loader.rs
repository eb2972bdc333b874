//! Fetching the translator module (`i18n/`, `quorum-i18n`) when the page
//! is to be in another language than English: an English page never
//! fetches it (issue 13).
//!
//! Trunk builds it as the full page is built (a classic script that
//! declares `wasm_bindgen`, and its wasm). Two such scripts cannot share
//! the page's global scope (both declare `wasm_bindgen` with `let`), so
//! its script runs in a function scope of its own. Its `main` reads the
//! language asked for here (`window.quorumI18nAsked`), puts the page in
//! it (`platform::translator`), and settles the promise [`load`] returns
//! (`window.quorumI18nSettle`).

use crate::i18n::Lang;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;

const JS: &str = "./quorum-i18n.js";
const WASM: &str = "./quorum-i18n_bg.wasm";

/// Put the page in `lang`, fetching the translator first if it is not
/// here yet; `remember`: keep the choice for the next visit. The promise
/// resolves when the page is in `lang`, and rejects with the reason it is
/// not.
pub fn load(lang: Lang, remember: bool) -> Promise {
    let loader = Function::new_with_args(
        "js, wasm, tag, remember",
        "var w = window;\
         if (remember) { try { w.localStorage.setItem('quorum-lang', tag); } catch (e) {} }\
         if (w.quorumI18n) return w.quorumI18n.set(tag);\
         if (tag === 'en') return Promise.resolve(tag);\
         return new Promise(function (ok, no) {\
           w.quorumI18nAsked = tag;\
           w.quorumI18nSettle = function (e) { if (e) no(e); else ok(tag); };\
           fetch(js).then(function (r) {\
             if (!r.ok) throw new Error(js + ': HTTP ' + r.status);\
             return r.text();\
           }).then(function (t) {\
             return new Function(t + '\\n;return wasm_bindgen;')()({ module_or_path: wasm });\
           }).catch(function (e) { no(String(e)); });\
         });",
    );
    let args = js_sys::Array::of4(
        &JS.into(),
        &WASM.into(),
        &lang.tag().into(),
        &JsValue::from_bool(remember),
    );
    loader
        .apply(&JsValue::NULL, &args)
        .ok()
        .and_then(|p| p.dyn_into::<Promise>().ok())
        .unwrap_or_else(|| Promise::reject(&"the translator could not be started".into()))
}

/// The language [`load`] asked the translator module for.
pub fn asked() -> Option<Lang> {
    let w = web_sys::window()?;
    let tag = Reflect::get(&w, &"quorumI18nAsked".into())
        .ok()?
        .as_string()?;
    Some(Lang::from_tag(&tag))
}

/// The translator module is done: settle [`load`]'s promise.
pub fn settle(done: Result<(), String>) {
    let Some(w) = web_sys::window() else {
        return;
    };
    let Ok(f) = Reflect::get(&w, &"quorumI18nSettle".into()) else {
        return;
    };
    if let Ok(f) = f.dyn_into::<Function>() {
        let why = done
            .err()
            .map_or(JsValue::UNDEFINED, |e| JsValue::from_str(&e));
        f.call1(&JsValue::NULL, &why).ok();
    }
}
