//! `window.quorum`: the JavaScript API for course pages and tests, and
//! the postMessage API for an embedding page. See `docs/js-api.md` and
//! `docs/embedding.md`. Both only parse their input and dispatch the same
//! [`Msg`]s as the page's own controls, synchronously (so
//! `quorum.step(); quorum.state()` sees the step). Calls never throw for
//! bad input: they return `{error: "..."}` and leave the run as it was.

use super::embed::{post_to_parent, to_js};
use crate::lab::{slider_to_speed, speed_to_slider};
use crate::state::{Effect, Msg, Session, Store};
use quorum_core::sim::LabState;
use serde::Serialize;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

type StoreRef = Rc<dyn Store>;

#[derive(Serialize)]
struct State {
    t_ms: f64,
    running: bool,
    speed: f64,
    skip_quiet: bool,
    #[serde(flatten)]
    lab: LabState,
    leader: Option<u32>,
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

/// `{ok: true}`, or the refusal among the effects as `{error}`.
fn outcome(fx: &[Effect]) -> JsValue {
    match fx.iter().find_map(|e| match e {
        Effect::Refused(why) => Some(why),
        _ => None,
    }) {
        Some(why) => error(why),
        None => ok(),
    }
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

fn state_of(s: &Session) -> JsValue {
    let lab = s.lab.state();
    to_js(&State {
        t_ms: lab.t_ms,
        running: s.running,
        speed: s.speed,
        skip_quiet: s.skip_quiet,
        leader: s.lab.leader(),
        lab,
    })
}

fn stats_of(s: &Session) -> JsValue {
    let sim = s.lab.sim();
    to_js(&serde_json::json!({
        "t_ms": sim.now() as f64 / 1000.0,
        "running": s.running,
        "speed": s.speed,
        "leader": s.lab.leader(),
        "in_flight": sim.in_flight().len(),
        "events": sim.stats().events,
        "messages_sent": sim.stats().sent,
        "client_messages_sent": sim.stats().client_sent,
        "client_messages_dropped": sim.stats().client_dropped,
        "ops_ok": sim.stats().ok,
        "ops_timed_out": sim.stats().timed_out,
    }))
}

/// The same link as the "Copy link" button (without the view options,
/// which only the page knows).
fn link_of(s: &Session) -> JsValue {
    let view = quorum_core::sim::link::ViewOptions {
        speed: Some(s.speed),
        ..Default::default()
    };
    let frag = s.fragment(&view);
    JsValue::from_str(&format!("{}{frag}", super::dom::page_url()))
}

/// Parse and open a scenario (JSON text or object); the error in words.
fn load(store: &StoreRef, v: &JsValue) -> Result<(), String> {
    let text = json_text(v)?;
    let lab = quorum_core::sim::Scenario::parse(&text)
        .and_then(|sc| crate::lab::new_lab(sc.file))
        .map_err(|e| e.to_string())?;
    store.dispatch(Msg::Loaded(Box::new(lab)));
    Ok(())
}

fn act(store: &StoreRef, v: &JsValue) -> JsValue {
    let text = match json_text(v) {
        Ok(t) => t,
        Err(e) => return error(&e),
    };
    match quorum_core::sim::scenario::parse_event(&inject_at(&text)) {
        Ok(e) => outcome(&store.dispatch(Msg::Act(e))),
        Err(e) => error(&format!("event: {e}")),
    }
}

fn set_speed(store: &StoreRef, x: &JsValue) -> JsValue {
    match x.as_f64() {
        Some(v) if v.is_finite() && v > 0.0 => {
            let clamped = slider_to_speed(speed_to_slider(v));
            store.dispatch(Msg::Speed(speed_to_slider(clamped)));
            ok()
        }
        _ => error("setSpeed takes a positive number (1 = real time)"),
    }
}

fn seek(store: &StoreRef, v: &JsValue) -> JsValue {
    match v.as_f64() {
        // Clamped to the run's end; exact to the microsecond. Pauses.
        Some(ms) if ms.is_finite() && ms >= 0.0 => {
            store.dispatch(Msg::Seek(ms));
            ok()
        }
        _ => error("seek takes a virtual time in milliseconds (a number >= 0)"),
    }
}

fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("quorum: {msg}")));
}

/// The postMessage API for an embedding page (see docs/embedding.md).
/// Every command is answered to its sender with `quorum:reply`: the
/// command, the sender's `request_id` if it gave one, and `ok: true` or
/// `ok: false` with the `error` in words. `quorum:getState` is answered
/// with `quorum:state` (and the `request_id`). Messages whose type does
/// not start with `quorum:` are not for us and get no answer.
fn on_message(store: &StoreRef, e: &web_sys::MessageEvent) {
    let data = e.data();
    let kind = js_sys::Reflect::get(&data, &"type".into())
        .ok()
        .and_then(|t| t.as_string());
    let Some(kind) = kind.filter(|k| k.starts_with("quorum:")) else {
        return; // not for us (other scripts use postMessage too)
    };
    let field =
        |name: &str| js_sys::Reflect::get(&data, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let request_id = field("request_id");
    let reply = if kind == "quorum:getState" {
        state_of(&store.session())
    } else {
        let result = command_message(store, &kind, &field);
        if let Err(why) = &result {
            warn(why);
        }
        let o = js_sys::Object::new();
        set(&o, "command", kind.as_str().into());
        set(&o, "ok", result.is_ok().into());
        if let Err(why) = result {
            set(&o, "error", why.into());
        }
        o.into()
    };
    let Ok(o) = reply.dyn_into::<js_sys::Object>() else {
        return;
    };
    let answer = if kind == "quorum:getState" {
        "quorum:state"
    } else {
        "quorum:reply"
    };
    set(&o, "type", answer.into());
    if !request_id.is_undefined() {
        set(&o, "request_id", request_id);
    }
    answer_sender(e, &o);
}

/// Run one command from the embedding page; the refusal in words.
fn command_message(
    store: &StoreRef,
    kind: &str,
    field: &dyn Fn(&str) -> JsValue,
) -> Result<(), String> {
    let msg = match kind {
        "quorum:load" => {
            return load(store, &field("scenario")).map_err(|e| format!("quorum:load refused: {e}"))
        }
        "quorum:play" => Msg::Play,
        "quorum:pause" => Msg::Pause,
        "quorum:step" => Msg::Step,
        "quorum:next" => Msg::LessonNext,
        "quorum:back" => Msg::LessonBack,
        "quorum:seek" => match field("t_ms").as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => Msg::Seek(ms),
            _ => return Err("quorum:seek needs t_ms, a number >= 0".into()),
        },
        "quorum:lesson" => match field("id").as_string() {
            Some(id) if id.len() <= 64 => Msg::Library(id),
            _ => return Err("quorum:lesson needs id, a shipped scenario's id".into()),
        },
        "quorum:speed" => return speed_message(store, &field("speed"), &field("skip_quiet")),
        other => return Err(format!("unknown message {other:?} ignored")),
    };
    let fx = store.dispatch(msg);
    match fx.iter().find_map(|e| match e {
        Effect::Refused(why) => Some(why.clone()),
        _ => None,
    }) {
        Some(why) => Err(format!("{kind} refused: {why}")),
        None => Ok(()),
    }
}

/// `quorum:speed`: `speed` (1 = real time) and/or `skip_quiet`.
fn speed_message(store: &StoreRef, speed: &JsValue, skip: &JsValue) -> Result<(), String> {
    let speed = match speed.as_f64() {
        _ if speed.is_undefined() => None,
        Some(v) if v.is_finite() && v > 0.0 => Some(v),
        _ => return Err("quorum:speed: speed must be a positive number (1 = real time)".into()),
    };
    let skip = match skip.as_bool() {
        _ if skip.is_undefined() => None,
        Some(b) => Some(b),
        None => return Err("quorum:speed: skip_quiet must be true or false".into()),
    };
    if speed.is_none() && skip.is_none() {
        return Err(
            "quorum:speed needs speed (a positive number) or skip_quiet (true or false)".into(),
        );
    }
    if let Some(v) = speed {
        store.dispatch(Msg::Speed(speed_to_slider(v)));
    }
    if let Some(b) = skip {
        store.dispatch(Msg::SkipQuiet(b));
    }
    Ok(())
}

/// Answer the sender of `e` (or the parent), at its origin when known.
fn answer_sender(e: &web_sys::MessageEvent, o: &js_sys::Object) {
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
            w.post_message(o, &target).ok();
        }
        None => post_to_parent(o),
    }
}

fn set(obj: &js_sys::Object, name: &str, f: JsValue) {
    js_sys::Reflect::set(obj, &name.into(), &f).ok();
}

/// A getter: `name()` reads the session.
fn reader(obj: &js_sys::Object, store: &StoreRef, name: &str, read: fn(&Session) -> JsValue) {
    let s = store.clone();
    let f = Closure::<dyn Fn() -> JsValue>::new(move || read(&s.session()));
    set(obj, name, f.into_js_value());
}

/// A command without arguments: `name()` dispatches `msg()`.
fn command(obj: &js_sys::Object, store: &StoreRef, name: &str, msg: fn() -> Msg) {
    let s = store.clone();
    let f = Closure::<dyn Fn()>::new(move || {
        s.dispatch(msg());
    });
    set(obj, name, f.into_js_value());
}

/// A call with one argument and a result.
fn call(obj: &js_sys::Object, store: &StoreRef, name: &str, f: fn(&StoreRef, &JsValue) -> JsValue) {
    let s = store.clone();
    let c = Closure::<dyn Fn(JsValue) -> JsValue>::new(move |v: JsValue| f(&s, &v));
    set(obj, name, c.into_js_value());
}

/// Put `window.quorum` in place and listen for the embedding page.
pub fn install(store: StoreRef) {
    let api = js_sys::Object::new();
    reader(&api, &store, "state", state_of);
    reader(&api, &store, "link", link_of);
    reader(&api, &store, "stats", stats_of);
    // The document "Export scenario" downloads, behaviour included.
    reader(&api, &store, "scenario", |s| {
        to_js(&s.lab.scenario().exported())
    });
    command(&api, &store, "play", || Msg::Play);
    command(&api, &store, "pause", || Msg::Pause);
    command(&api, &store, "step", || Msg::Step);
    call(&api, &store, "setSpeed", set_speed);
    call(&api, &store, "setSkipQuiet", |s, v| match v.as_bool() {
        Some(b) => {
            s.dispatch(Msg::SkipQuiet(b));
            ok()
        }
        None => error("setSkipQuiet takes true or false"),
    });
    call(&api, &store, "load", |s, v| match load(s, v) {
        Ok(()) => ok(),
        Err(e) => error(&e),
    });
    call(&api, &store, "act", act);
    call(&api, &store, "seek", seek);
    let s = store.clone();
    let on_msg = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        on_message(&s, &e)
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
