//! Component tests: the real app mounted in headless Chromium
//! (wasm-bindgen-test). Native builds skip this file.
#![cfg(target_arch = "wasm32")]

use quorum_app::app::App;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Wait (up to 10 s) until `sel` matches `n` elements; how many it matched.
/// The linked views come a task at a time after the first render.
async fn until_count(sel: &str, n: u32) -> u32 {
    for _ in 0..200 {
        if count(sel) == n {
            break;
        }
        sleep(50).await;
    }
    count(sel)
}

fn count(sel: &str) -> u32 {
    doc().query_selector_all(sel).unwrap().length()
}

fn api(name: &str, args: &[JsValue]) -> JsValue {
    let w = web_sys::window().unwrap();
    let q = js_sys::Reflect::get(&w, &"quorum".into()).unwrap();
    let f: js_sys::Function = js_sys::Reflect::get(&q, &name.into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let arr: js_sys::Array = args.iter().collect();
    f.apply(&q, &arr).unwrap()
}

fn get(v: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(v.clone(), |v, k| {
        js_sys::Reflect::get(&v, &(*k).into()).unwrap()
    })
}

fn at(v: &JsValue, i: u32) -> JsValue {
    js_sys::Reflect::get(v, &i.into()).unwrap()
}

fn click(sel: &str) {
    let el = doc()
        .query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("no {sel}"));
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    let e = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    el.dispatch_event(&e).unwrap();
}

fn key(k: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(k);
    init.set_bubbles(true);
    let e = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    doc().dispatch_event(&e).unwrap();
}

#[wasm_bindgen_test]
async fn the_app_draws_the_cluster_and_acts_on_it() {
    let root = doc().create_element("div").unwrap();
    doc().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<App>::with_root(root).render();
    sleep(100).await;

    // The ring: five servers; the log table; the API.
    assert_eq!(count("svg.ring g.node"), 5);
    assert_eq!(until_count(".log-grid .log-row[data-node]", 5).await, 5);
    let s = api("state", &[]);
    assert_eq!(js_sys::Array::from(&get(&s, &["nodes"])).length(), 5);

    // Start from Fig. 7-like logs: 12 entries, more than RaftScope's 10.
    let r = api(
        "load",
        &[r#"{"version":1,"seed":1,"nodes":3,"duration_ms":60000,
             "timing":{"election_timeout_ms":[5000,6000]},
             "initial":[{"node":1,"current_term":3,"log":[1,1,1,2,2,2,3,3,3,3,3,3]}]}"#
            .into()],
    );
    assert_eq!(get(&r, &["ok"]), JsValue::TRUE, "{r:?}");
    sleep(100).await;
    assert_eq!(count("svg.ring g.node"), 3);
    assert!(count(".log-row.head .cell") >= 12, "a column per index");
    assert_eq!(count(r#".log-row[data-node="1"] .cell.uncommitted"#), 12);

    // A bad scenario is refused; the run stays.
    let r = api("load", &[r#"{"version":1,"nodes":0}"#.into()]);
    assert!(get(&r, &["error"])
        .as_string()
        .unwrap()
        .starts_with("nodes: 0 is out of range"));
    assert_eq!(count("svg.ring g.node"), 3);

    // Click a server: its panel; crash it from there.
    click(r#"g.node[data-node="2"]"#);
    sleep(50).await;
    assert_eq!(count("#node-panel"), 1);
    click("#node-crash");
    sleep(50).await;
    let s = api("state", &[]);
    assert_eq!(get(&at(&get(&s, &["nodes"]), 1), &["up"]), JsValue::FALSE);
    assert_eq!(count(r#"g.node[data-node="2"].crashed"#), 1);
    let events = get(&api("scenario", &[]), &["events"]);
    assert_eq!(get(&at(&events, 0), &["do"]).as_string().unwrap(), "crash");

    // Keyboard: Space pauses, "?" opens help, Escape closes it.
    key(" ");
    sleep(50).await;
    assert_eq!(get(&api("state", &[]), &["running"]), JsValue::FALSE);
    let t = get(&api("state", &[]), &["t_ms"]).as_f64().unwrap();
    sleep(200).await;
    assert_eq!(
        get(&api("state", &[]), &["t_ms"]).as_f64().unwrap(),
        t,
        "paused time stands still"
    );
    key("?");
    sleep(50).await;
    assert_eq!(count("#help-overlay"), 1);
    key("Escape");
    sleep(50).await;
    assert_eq!(count("#help-overlay"), 0);
    // R restarts every crashed server (one recorded event each).
    key("r");
    sleep(50).await;
    let s = api("state", &[]);
    assert_eq!(get(&at(&get(&s, &["nodes"]), 1), &["up"]), JsValue::TRUE);
}

#[wasm_bindgen_test]
fn a_fatal_error_shows_a_reset_overlay() {
    quorum_app::show_fatal_error("test: <b>not html</b>");
    let el = doc().get_element_by_id("panic").expect("overlay");
    assert_eq!(el.get_attribute("role").as_deref(), Some("alertdialog"));
    let pre = el.query_selector("pre").unwrap().unwrap();
    assert_eq!(
        pre.text_content().as_deref(),
        Some("test: <b>not html</b>"),
        "shown as text"
    );
    let button = el.query_selector("button").unwrap().unwrap();
    assert_eq!(button.text_content().as_deref(), Some("Reset"));
    assert!(button
        .get_attribute("onclick")
        .unwrap()
        .contains("location.reload()"));
    el.remove();
}
