//! The component shell: mounts the page, holds the [`Runtime`] (model,
//! session, effects), installs the platform's listeners and
//! `window.quorum`, and re-renders when the runtime asks. Every decision
//! is in `state::update`; every drawing in `view` and `paint`.

use crate::platform::{api, dom, embed, listeners};
use crate::runtime::Runtime;
use crate::state::{Msg, Store};
use std::rc::Rc;
use yew::prelude::*;

pub struct App {
    runtime: Rc<Runtime>,
    send: Callback<Msg>,
    _listeners: listeners::Listeners,
}

/// The shell's only message: the runtime's state changed, render it.
pub struct Render;

impl Component for App {
    type Message = Render;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let runtime = Runtime::start(dom::env());
        runtime.set_render(ctx.link().callback(|()| Render));
        let send = runtime.sender();
        api::install(runtime.clone());
        let listeners = listeners::install(&send);
        // What to open first: a link in the fragment, else a lesson named
        // in the query string, else the live cluster.
        let lesson = runtime.model().page.embed.lesson.clone();
        if let Some(h) = dom::location_hash() {
            runtime.dispatch(Msg::HashChanged(Some(h)));
        } else if let Some(id) = lesson {
            runtime.dispatch(Msg::Library(id));
        }
        // Opened paused (taken over paused, or an embed without autoplay):
        // the views and the checks are brought to this moment, as a pause
        // does.
        if !runtime.session().running {
            runtime.dispatch(Msg::Pause);
        }
        embed::post_to_parent(&embed::message("quorum:ready", &serde_json::json!({})));
        App {
            runtime,
            send,
            _listeners: listeners,
        }
    }

    fn update(&mut self, _ctx: &Context<Self>, _msg: Render) -> bool {
        true
    }

    fn view(&self, _ctx: &Context<Self>) -> Html {
        let rt = &self.runtime;
        crate::view::page(&rt.model(), &rt.session(), &rt.surfaces, &self.send)
    }

    fn rendered(&mut self, _ctx: &Context<Self>, first_render: bool) {
        self.runtime.rendered(first_render);
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        self.runtime.stop();
    }
}
