//! `window.quorum`: the JavaScript API for course pages and tests. See
//! `docs/js-api.md`. Calls never throw for bad input: they return
//! `{error: "..."}` and leave the current run as it was.

use crate::app::{App, Msg};
use crate::model::{slider_to_speed, speed_to_slider, SharedRef};
use quorum_core::sim::scenario::EventSpec;
use quorum_core::sim::LabState;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::html::Scope;

#[derive(Serialize)]
struct State {
    t_ms: f64,
    running: bool,
    speed: f64,
    #[serde(flatten)]
    lab: LabState,
    leader: Option<u32>,
}

fn to_js<T: Serialize>(v: &T) -> JsValue {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    v.serialize(&ser).unwrap_or(JsValue::NULL)
}

fn error(msg: &str) -> JsValue {
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"error".into(), &msg.into()).ok();
    o.into()
}

fn ok() -> JsValue {
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"ok".into(), &true.into()).ok();
    o.into()
}

/// A JSON document from a string, or from an object (stringified).
fn json_text(v: &JsValue) -> Result<String, String> {
    if let Some(s) = v.as_string() {
        return Ok(s);
    }
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| "expected a JSON string or object".to_string())
}

/// `{type, ...fields}` for the embedding page.
pub fn message(kind: &str, fields: &serde_json::Value) -> JsValue {
    let v = to_js(fields);
    let o: js_sys::Object = v.dyn_into().unwrap_or_default();
    js_sys::Reflect::set(&o, &"type".into(), &kind.into()).ok();
    o.into()
}

fn state_of(s: &crate::model::Shared) -> JsValue {
    to_js(&State {
        t_ms: s.lab.state().t_ms,
        running: s.running,
        speed: s.speed,
        leader: s.lab.leader(),
        lab: s.lab.state(),
    })
}

/// Parse and open a scenario (JSON text or object); the error in words.
fn load_into(s: &SharedRef, l: &Scope<App>, v: &JsValue) -> Result<(), String> {
    let text = json_text(v)?;
    let lab = quorum_core::sim::Scenario::parse(&text)
        .and_then(|sc| crate::model::new_lab(sc.file))
        .map_err(|e| e.to_string())?;
    {
        let mut s = s.borrow_mut();
        s.lab = lab;
        s.notice = None;
    }
    l.send_message(Msg::Loaded);
    Ok(())
}

fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("quorum: {msg}")));
}

/// The postMessage API for an embedding page (see docs/embedding.md).
/// Anything unknown or malformed is ignored with a console warning.
fn on_message(s: &SharedRef, l: &Scope<App>, e: &web_sys::MessageEvent) {
    let data = e.data();
    let kind = js_sys::Reflect::get(&data, &"type".into())
        .ok()
        .and_then(|t| t.as_string());
    let Some(kind) = kind.filter(|k| k.starts_with("quorum:")) else {
        return; // not for us (other scripts use postMessage too)
    };
    let field =
        |name: &str| js_sys::Reflect::get(&data, &name.into()).unwrap_or(JsValue::UNDEFINED);
    match kind.as_str() {
        "quorum:load" => {
            if let Err(err) = load_into(s, l, &field("scenario")) {
                warn(&format!("quorum:load refused: {err}"));
            }
        }
        "quorum:play" => l.send_message(Msg::Play),
        "quorum:pause" => l.send_message(Msg::Pause),
        "quorum:step" => l.send_message(Msg::Step),
        "quorum:next" => l.send_message(Msg::LessonNext),
        "quorum:back" => l.send_message(Msg::LessonBack),
        "quorum:seek" => match field("t_ms").as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => l.send_message(Msg::Seek(ms)),
            _ => warn("quorum:seek needs t_ms, a number >= 0"),
        },
        "quorum:lesson" => match field("id").as_string() {
            Some(id) if id.len() <= 64 => l.send_message(Msg::Library(id)),
            _ => warn("quorum:lesson needs id, a shipped scenario's id"),
        },
        "quorum:getState" => {
            let st = state_of(&s.borrow());
            if let Ok(o) = st.dyn_into::<js_sys::Object>() {
                js_sys::Reflect::set(&o, &"type".into(), &"quorum:state".into()).ok();
                let origin = e.origin();
                let target = if origin.is_empty() || origin == "null" {
                    "*".to_string()
                } else {
                    origin
                };
                match e
                    .source()
                    .and_then(|src| src.dyn_into::<web_sys::Window>().ok())
                {
                    Some(w) => {
                        w.post_message(&o, &target).ok();
                    }
                    None => crate::share::post_to_parent(&o),
                }
            }
        }
        other => warn(&format!("unknown message {other:?} ignored")),
    }
}

fn set(obj: &js_sys::Object, name: &str, f: JsValue) {
    js_sys::Reflect::set(obj, &name.into(), &f).ok();
}

pub fn install(shared: SharedRef, link: Scope<App>) {
    let api = js_sys::Object::new();

    let s = shared.clone();
    set(
        &api,
        "state",
        Closure::<dyn Fn() -> JsValue>::new(move || state_of(&s.borrow())).into_js_value(),
    );

    let s = shared.clone();
    set(
        &api,
        "link",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            // The same link as the "Copy link" button (without the view
            // options, which only the page knows).
            let s = s.borrow();
            let view = quorum_core::sim::link::ViewOptions {
                speed: Some(s.speed),
                ..Default::default()
            };
            let frag = quorum_core::sim::link::encode(
                s.lab.scenario(),
                s.lab.now() as f64 / 1000.0,
                &view,
            );
            JsValue::from_str(&format!("{}{frag}", crate::share::page_url()))
        })
        .into_js_value(),
    );

    let s = shared.clone();
    set(
        &api,
        "stats",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            let s = s.borrow();
            let sim = s.lab.sim();
            to_js(&serde_json::json!({
                "t_ms": sim.now() as f64 / 1000.0,
                "running": s.running,
                "speed": s.speed,
                "leader": s.lab.leader(),
                "in_flight": sim.in_flight().len(),
                "events": sim.stats().events,
                "messages_sent": sim.stats().sent,
            }))
        })
        .into_js_value(),
    );

    let l = link.clone();
    set(
        &api,
        "play",
        Closure::<dyn Fn()>::new(move || l.send_message(Msg::Play)).into_js_value(),
    );
    let l = link.clone();
    set(
        &api,
        "pause",
        Closure::<dyn Fn()>::new(move || l.send_message(Msg::Pause)).into_js_value(),
    );
    let l = link.clone();
    set(
        &api,
        "step",
        Closure::<dyn Fn()>::new(move || l.send_message(Msg::Step)).into_js_value(),
    );

    let l = link.clone();
    set(
        &api,
        "setSpeed",
        Closure::<dyn Fn(JsValue) -> JsValue>::new(move |x: JsValue| match x.as_f64() {
            Some(v) if v.is_finite() && v > 0.0 => {
                let clamped = slider_to_speed(speed_to_slider(v));
                l.send_message(Msg::Speed(speed_to_slider(clamped)));
                ok()
            }
            _ => error("setSpeed takes a positive number (1 = real time)"),
        })
        .into_js_value(),
    );

    let (s, l) = (shared.clone(), link.clone());
    set(
        &api,
        "load",
        Closure::<dyn Fn(JsValue) -> JsValue>::new(move |v: JsValue| match load_into(&s, &l, &v) {
            Ok(()) => ok(),
            Err(e) => error(&e),
        })
        .into_js_value(),
    );

    let (s, l) = (shared.clone(), link.clone());
    set(
        &api,
        "act",
        Closure::<dyn Fn(JsValue) -> JsValue>::new(move |v: JsValue| {
            let text = match json_text(&v) {
                Ok(t) => t,
                Err(e) => return error(&e),
            };
            let e: EventSpec = match serde_json::from_str(&inject_at(&text)) {
                Ok(e) => e,
                Err(e) => return error(&format!("event: {e}")),
            };
            let r = s.borrow_mut().lab.act(e);
            l.send_message(Msg::Refresh);
            match r {
                Ok(()) => ok(),
                Err(e) => error(&e.to_string()),
            }
        })
        .into_js_value(),
    );

    let s = shared.clone();
    set(
        &api,
        "scenario",
        Closure::<dyn Fn() -> JsValue>::new(move || to_js(s.borrow().lab.scenario()))
            .into_js_value(),
    );

    let (s, l) = (shared.clone(), link.clone());
    set(
        &api,
        "seek",
        Closure::<dyn Fn(JsValue) -> JsValue>::new(move |v: JsValue| match v.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => {
                // Clamped to the run's end; exact to the microsecond.
                let us = (ms * 1000.0).round().min(u64::MAX as f64) as u64;
                s.borrow_mut().lab.seek(us);
                l.send_message(Msg::Refresh);
                ok()
            }
            _ => error("seek takes a virtual time in milliseconds (a number >= 0)"),
        })
        .into_js_value(),
    );

    let (s, l) = (shared.clone(), link.clone());
    let on_msg = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        on_message(&s, &l, &e)
    });
    if let Some(w) = web_sys::window() {
        js_sys::Reflect::set(&w, &"quorum".into(), &api).ok();
        w.add_event_listener_with_callback("message", on_msg.as_ref().unchecked_ref())
            .ok();
    }
    // Lives as long as the page.
    on_msg.forget();
}

/// Events given to `act` need no `at_ms` (it is always "now").
fn inject_at(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(mut m)) => {
            m.entry("at_ms").or_insert(serde_json::json!(0));
            serde_json::Value::Object(m).to_string()
        }
        _ => text.to_string(),
    }
}
