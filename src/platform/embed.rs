//! Messages to an embedding page (see docs/embedding.md): `quorum:ready`,
//! and what changed: a new leader, a higher commit index, a broken
//! safety property.

use super::dom::in_frame;
use quorum_core::protocol::NodeId;
use quorum_core::sim::Lab;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A value as plain JSON-compatible JS.
pub fn to_js<T: Serialize>(v: &T) -> JsValue {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    v.serialize(&ser).unwrap_or(JsValue::NULL)
}

/// `{type, ...fields}` for the embedding page.
pub fn message(kind: &str, fields: &serde_json::Value) -> JsValue {
    let v = to_js(fields);
    let o: js_sys::Object = v.dyn_into().unwrap_or_default();
    js_sys::Reflect::set(&o, &"type".into(), &kind.into()).ok();
    o.into()
}

/// Post a message to the embedding page, if there is one.
pub fn post_to_parent(msg: &JsValue) {
    let Some(w) = web_sys::window() else { return };
    let Ok(Some(parent)) = w.parent() else { return };
    if parent == w {
        return;
    }
    parent.post_message(msg, "*").ok();
}

/// What the embedding page was last told.
#[derive(Default)]
pub struct Told {
    leader: Option<(u64, NodeId)>,
    commit: u64,
    violations: usize,
}

impl Told {
    /// Tell the embedding page what changed since last time: a new leader
    /// (term, node), a higher commit index, each new violation.
    pub fn tell(&mut self, lab: &Lab) {
        if !in_frame() {
            return;
        }
        let leader = lab
            .leader()
            .and_then(|l| lab.node(l).map(|n| (n.current_term(), l)));
        if leader != self.leader {
            if let Some((term, node)) = leader {
                post(
                    "quorum:leader",
                    &serde_json::json!({"term": term, "node": node}),
                );
            }
            self.leader = leader;
        }
        let commit = (1..=lab.sim().node_count())
            .filter_map(|i| lab.node(i))
            .map(|n| n.commit_index())
            .max()
            .unwrap_or(0);
        if commit > self.commit {
            post("quorum:commit", &serde_json::json!({"index": commit}));
        }
        self.commit = commit;
        let vs = lab.violations();
        for v in vs.iter().skip(self.violations) {
            post(
                "quorum:violation",
                &serde_json::json!({
                    "property": format!("{:?}", v.property),
                    "name": v.property.name(),
                    "t_ms": v.t as f64 / 1000.0,
                    "nodes": v.nodes,
                    "index": v.index,
                    "message": v.message,
                }),
            );
        }
        self.violations = vs.len();
    }
}

fn post(kind: &str, fields: &serde_json::Value) {
    post_to_parent(&message(kind, fields));
}

/// How a lesson goes, for the embedding page.
pub fn tell_lesson(ev: &crate::state::LessonEvent) {
    use crate::state::LessonEvent as L;
    if !in_frame() {
        return;
    }
    match ev {
        L::Caption { index, t_ms } => post(
            "quorum:caption",
            &serde_json::json!({"index": index, "t_ms": t_ms}),
        ),
        L::Question { index, t_ms } => post(
            "quorum:question",
            &serde_json::json!({"index": index, "t_ms": t_ms}),
        ),
        L::Answer {
            index,
            choice,
            right,
        } => post(
            "quorum:answer",
            &serde_json::json!({"index": index, "choice": choice, "right": right}),
        ),
        L::End => post("quorum:lesson-end", &serde_json::json!({})),
    }
}

/// In a frame, tell the embedding page the content's height whenever it
/// changes (`quorum:resize {height}`), so it can size the iframe to fit
/// (docs/embedding.md has the snippet).
pub fn watch_height() {
    if !in_frame() {
        return;
    }
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(root) = doc.document_element() else {
        return;
    };
    let last = std::cell::Cell::new(-1);
    let observed = root.clone();
    let cb = Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| {
        let h = observed.scroll_height();
        if h != last.replace(h) {
            post("quorum:resize", &serde_json::json!({ "height": h }));
        }
    });
    if let Ok(ro) = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref()) {
        if let Some(body) = doc.body() {
            ro.observe(&body);
        }
        // Lives as long as the page.
        std::mem::forget(ro);
    }
    cb.forget();
}
