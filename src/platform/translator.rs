//! The page in another language: the catalogue applied to the document as
//! it changes (issue 13).
//!
//! The first-load module (`boot/`) runs this before anything else, so the
//! full page is translated from its first frame: a `MutationObserver`
//! translates every text node and every named attribute (`aria-label`,
//! `title`, …) as Yew writes it, in the same task, before it is painted.
//! Yew only writes a node when its English changes, so a translation
//! stays until the English under it changes. Each translated node keeps
//! its English (in a property), so the page can go back to English
//! without a reload.
//!
//! Not translated: `translate="no"` subtrees (as the HTML standard has
//! it: code, keys, the scenario JSON), scripts, styles and form fields'
//! values. Lessons: an element with `data-lesson="<id>"` makes the
//! translator fetch the lesson and its translation
//! (`scenarios/<id>.json`, `scenarios/zh/<id>.json`) and pair their words.
//!
//! What the catalogue cannot translate is left in English and listed in
//! `window.quorumI18n.missing()` (the end-to-end tests read it).

use crate::i18n::Lang;
use crate::translate::Catalogue;
use js_sys::{Array, Object, Reflect, JSON};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, MutationObserver, MutationObserverInit, MutationRecord, Node};

/// The attributes that hold words.
const ATTRS: &[&str] = &[
    "aria-label",
    "title",
    "placeholder",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "alt",
    "label",
];
/// Where the Chinese catalogue is, relative to the page.
pub const ZH_CATALOGUE: &str = "i18n/zh.json";
/// The key under which the page keeps the reader's choice.
pub const LANG_KEY: &str = "quorum-lang";
/// A node's English, kept on the node.
const EN: &str = "__qen";
/// What this module wrote there (to tell its own writes from Yew's).
const OURS: &str = "__qzh";

struct Live {
    cat: Catalogue,
    cache: BTreeMap<String, Option<String>>,
    missing: BTreeSet<String>,
    lessons: BTreeSet<String>,
    observer: MutationObserver,
    _on_change: Closure<dyn FnMut(Array, MutationObserver)>,
}

thread_local! {
    static LIVE: RefCell<Option<Live>> = const { RefCell::new(None) };
}

/// The language the reader asked for: `?lang=`, else the choice kept from
/// the picker, else the browser's.
pub fn wanted() -> Lang {
    let query = super::dom::location_search();
    let asked = query
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .filter(|v| !v.is_empty());
    if let Some(tag) = asked {
        return Lang::from_tag(tag);
    }
    let kept = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(LANG_KEY).ok().flatten());
    Lang::from_tag(&kept.unwrap_or_else(super::dom::language))
}

/// The language the document is in now (`<html lang>`).
pub fn current() -> Lang {
    super::dom::document()
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .map_or(Lang::En, |t| Lang::from_tag(&t))
}

fn set_html_lang(lang: Lang) {
    if let Some(e) = super::dom::document().and_then(|d| d.document_element()) {
        e.set_attribute("lang", lang.tag()).ok();
    }
}

/// A catalogue from JSON text (the browser's parser: no JSON code in the
/// module).
fn catalogue_of(json: &str) -> Result<Catalogue, String> {
    let v = JSON::parse(json).map_err(|_| "the catalogue is not JSON".to_string())?;
    if !v.is_object() || Array::is_array(&v) {
        return Err("the catalogue is not a JSON object".into());
    }
    let mut c = Catalogue::default();
    for pair in Object::entries(v.unchecked_ref()).iter() {
        let pair: Array = pair.unchecked_into();
        let (Some(k), Some(t)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
            return Err("the catalogue has a value that is not a string".into());
        };
        c.add(&k, &t)?;
    }
    Ok(c)
}

/// Put the page in `lang`: fetch its catalogue and translate the document
/// (and all it becomes), or give the document its English back.
pub async fn switch(lang: Lang) -> Result<(), String> {
    match lang {
        Lang::En => {
            stop();
            Ok(())
        }
        Lang::Zh => {
            if LIVE.with(|l| l.borrow().is_some()) {
                return Ok(());
            }
            let started = match super::files::fetch(ZH_CATALOGUE).await {
                Ok(json) => catalogue_of(&json).and_then(start),
                Err(e) => Err(e),
            };
            if started.is_err() {
                set_html_lang(Lang::En);
            }
            started
        }
    }
}

fn start(cat: Catalogue) -> Result<(), String> {
    let doc = super::dom::document().ok_or("no document")?;
    let root = doc.document_element().ok_or("no document element")?;
    let on_change = Closure::<dyn FnMut(Array, MutationObserver)>::new(
        |records: Array, observer: MutationObserver| {
            for r in records.iter() {
                let r: MutationRecord = r.unchecked_into();
                match r.type_().as_str() {
                    "childList" => {
                        let added = r.added_nodes();
                        for i in 0..added.length() {
                            if let Some(n) = added.item(i) {
                                walk(&n);
                            }
                        }
                    }
                    "characterData" => {
                        if let Some(n) = r.target() {
                            text_node(&n);
                        }
                    }
                    _ => {
                        if let (Some(t), Some(a)) = (r.target(), r.attribute_name()) {
                            if let Ok(e) = t.dyn_into::<Element>() {
                                if a == "data-lesson" {
                                    lesson(&e);
                                } else if !skipped(&e) {
                                    attr(&e, &a);
                                }
                            }
                        }
                    }
                }
            }
            // Its own writes are not news.
            observer.take_records();
        },
    );
    let observer = MutationObserver::new(on_change.as_ref().unchecked_ref())
        .map_err(|_| "the browser has no MutationObserver")?;
    let init = MutationObserverInit::new();
    init.set_child_list(true);
    init.set_subtree(true);
    init.set_character_data(true);
    init.set_attributes(true);
    let filter: Array = ATTRS.iter().map(|a| JsValue::from_str(a)).collect();
    filter.push(&"data-lesson".into());
    init.set_attribute_filter(&filter);
    observer
        .observe_with_options(&root, &init)
        .map_err(|_| "the document cannot be observed")?;
    LIVE.with(|l| {
        *l.borrow_mut() = Some(Live {
            cat,
            cache: BTreeMap::new(),
            missing: BTreeSet::new(),
            lessons: BTreeSet::new(),
            observer,
            _on_change: on_change,
        })
    });
    set_html_lang(Lang::Zh);
    walk(&root);
    drop_own_records();
    Ok(())
}

fn drop_own_records() {
    LIVE.with(|l| {
        if let Some(live) = l.borrow().as_ref() {
            live.observer.take_records();
        }
    });
}

/// Back to English: every translated node gets its English back.
fn stop() {
    let live = LIVE.with(|l| l.borrow_mut().take());
    if let Some(live) = live {
        live.observer.disconnect();
    }
    set_html_lang(Lang::En);
    if let Some(root) = super::dom::document().and_then(|d| d.document_element()) {
        restore(&root);
    }
}

fn restore(n: &Node) {
    if let (Some(en), Some(ours)) = (prop(n, EN), prop(n, OURS)) {
        if n.node_value().as_deref() == Some(ours.as_str()) {
            n.set_node_value(Some(&en));
        }
    }
    if let Some(e) = n.dyn_ref::<Element>() {
        for a in ATTRS {
            if let (Some(en), Some(ours)) =
                (prop(n, &format!("{EN}{a}")), prop(n, &format!("{OURS}{a}")))
            {
                if e.get_attribute(a).as_deref() == Some(ours.as_str()) {
                    e.set_attribute(a, &en).ok();
                }
            }
        }
    }
    let kids = n.child_nodes();
    for i in 0..kids.length() {
        if let Some(k) = kids.item(i) {
            restore(&k);
        }
    }
}

fn prop(n: &Node, key: &str) -> Option<String> {
    Reflect::get(n, &key.into()).ok()?.as_string()
}

fn set_prop(n: &Node, key: &str, v: &str) {
    Reflect::set(n, &key.into(), &v.into()).ok();
}

/// Elements whose contents are not words to translate.
fn skipped(e: &Element) -> bool {
    e.closest("[translate=no],script,style,textarea,code,noscript")
        .ok()
        .flatten()
        .is_some()
}

fn walk(n: &Node) {
    match n.node_type() {
        Node::TEXT_NODE => text_node(n),
        Node::ELEMENT_NODE => {
            let Some(e) = n.dyn_ref::<Element>() else {
                return;
            };
            if skipped(e) {
                return;
            }
            if e.has_attribute("data-lesson") {
                lesson(e);
            }
            for a in ATTRS {
                if e.has_attribute(a) {
                    attr(e, a);
                }
            }
            let kids = n.child_nodes();
            for i in 0..kids.length() {
                if let Some(k) = kids.item(i) {
                    walk(&k);
                }
            }
        }
        _ => {}
    }
}

/// `text` translated (cached), or `None` (then noted as missing).
fn translated(text: &str) -> Option<String> {
    LIVE.with(|l| {
        let mut l = l.borrow_mut();
        let live = l.as_mut()?;
        if let Some(hit) = live.cache.get(text) {
            return hit.clone();
        }
        let t = live.cat.translate(text);
        if t.is_none() {
            live.missing.insert(text.trim().to_string());
        }
        if live.cache.len() > 20_000 {
            live.cache.clear();
        }
        live.cache.insert(text.to_string(), t.clone());
        t
    })
}

fn text_node(n: &Node) {
    let Some(en) = n.node_value() else {
        return;
    };
    if prop(n, OURS).as_deref() == Some(en.as_str()) {
        return;
    }
    if n.parent_element().is_some_and(|p| skipped(&p)) {
        return;
    }
    if let Some(t) = translated(&en) {
        if t != en {
            set_prop(n, EN, &en);
            set_prop(n, OURS, &t);
            n.set_node_value(Some(&t));
        }
    }
}

fn attr(e: &Element, a: &str) {
    let Some(en) = e.get_attribute(a) else {
        return;
    };
    let ours = format!("{OURS}{a}");
    if prop(e, &ours).as_deref() == Some(en.as_str()) {
        return;
    }
    if let Some(t) = translated(&en) {
        if t != en {
            set_prop(e, &format!("{EN}{a}"), &en);
            set_prop(e, &ours, &t);
            e.set_attribute(a, &t).ok();
        }
    }
}

/// A lesson on the page: pair its words with their translation, once.
fn lesson(e: &Element) {
    let Some(id) = e.get_attribute("data-lesson") else {
        return;
    };
    let fresh = id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && LIVE.with(|l| {
            l.borrow_mut()
                .as_mut()
                .is_some_and(|live| live.lessons.insert(id.clone()))
        });
    if !fresh {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let en = super::files::fetch(&format!("scenarios/{id}.json")).await;
        let zh = super::files::fetch(&format!("scenarios/zh/{id}.json")).await;
        let (Ok(en), Ok(zh)) = (en, zh) else {
            web_sys::console::warn_1(&format!("the lesson {id} has no translation to load").into());
            return;
        };
        let (Ok(en), Ok(zh)) = (JSON::parse(&en), JSON::parse(&zh)) else {
            return;
        };
        let mut pairs = Vec::new();
        pair_words(&en, &zh, &mut pairs);
        LIVE.with(|l| {
            if let Some(live) = l.borrow_mut().as_mut() {
                for (k, v) in &pairs {
                    // Lesson words are plain text: braces are not placeholders.
                    if !k.contains('{') {
                        live.cat.add(k, v).ok();
                    }
                }
                live.cache.retain(|_, v| v.is_some());
                live.missing.clear();
            }
        });
        if let Some(root) = super::dom::document().and_then(|d| d.document_element()) {
            walk(&root);
            drop_own_records();
        }
    });
}

/// The words of a lesson file and of its translation, side by side: the
/// name, the description, each caption's text, each question's question,
/// choices and explanation (a translation file has the same lists in the
/// same order).
fn pair_words(en: &JsValue, zh: &JsValue, out: &mut Vec<(String, String)>) {
    let get = |v: &JsValue, k: &str| Reflect::get(v, &k.into()).unwrap_or(JsValue::UNDEFINED);
    for k in ["name", "description", "text", "question", "explain"] {
        if let (Some(a), Some(b)) = (get(en, k).as_string(), get(zh, k).as_string()) {
            out.push((a, b));
        }
    }
    for k in ["captions", "questions", "choices"] {
        let (a, b) = (get(en, k), get(zh, k));
        if Array::is_array(&a) && Array::is_array(&b) {
            let (a, b): (Array, Array) = (a.unchecked_into(), b.unchecked_into());
            for i in 0..a.length().min(b.length()) {
                let (x, y) = (a.get(i), b.get(i));
                match (x.as_string(), y.as_string()) {
                    (Some(s), Some(t)) => out.push((s, t)),
                    _ => pair_words(&x, &y, out),
                }
            }
        }
    }
}

/// `window.quorumI18n`: `missing()` (what was left in English) and
/// `set(tag)` (switches; a promise).
pub fn expose() {
    let Some(w) = web_sys::window() else {
        return;
    };
    let api = Object::new();
    let missing = Closure::<dyn Fn() -> Array>::new(|| {
        LIVE.with(|l| {
            l.borrow()
                .as_ref()
                .map(|live| live.missing.iter().map(|s| JsValue::from_str(s)).collect())
                .unwrap_or_default()
        })
    });
    Reflect::set(&api, &"missing".into(), missing.as_ref()).ok();
    missing.forget();
    let set = Closure::<dyn Fn(String) -> js_sys::Promise>::new(|tag: String| {
        let lang = Lang::from_tag(&tag);
        wasm_bindgen_futures::future_to_promise(async move {
            switch(lang)
                .await
                .map(|()| JsValue::from_str(lang.tag()))
                .map_err(|e| JsValue::from_str(&e))
        })
    });
    Reflect::set(&api, &"set".into(), set.as_ref()).ok();
    set.forget();
    Reflect::set(&w, &"quorumI18n".into(), &api).ok();
}
