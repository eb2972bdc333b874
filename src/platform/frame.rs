//! The requestAnimationFrame loop: at most one frame pending, none while
//! paused or hidden.

use std::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub struct FrameLoop {
    pending: Cell<Option<i32>>,
    callback: Closure<dyn FnMut(f64)>,
}

impl FrameLoop {
    /// `on_frame(ts)` runs for each frame; it must call [`Self::fired`].
    pub fn new(on_frame: impl FnMut(f64) + 'static) -> Self {
        FrameLoop {
            pending: Cell::new(None),
            callback: Closure::new(on_frame),
        }
    }

    /// The pending frame ran: none is pending now.
    pub fn fired(&self) {
        self.pending.set(None);
    }

    /// Ask for a frame unless one is pending.
    pub fn request(&self) {
        if self.pending.get().is_some() {
            return;
        }
        if let Some(w) = web_sys::window() {
            let id = w.request_animation_frame(self.callback.as_ref().unchecked_ref());
            self.pending.set(id.ok());
        }
    }

    pub fn cancel(&self) {
        if let (Some(id), Some(w)) = (self.pending.take(), web_sys::window()) {
            w.cancel_animation_frame(id).ok();
        }
    }
}
