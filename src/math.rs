//! The few transcendental functions the views draw with, from the
//! browser's `Math` in wasm32 and from `std` natively. Rust's own (libm,
//! compiled in) cost the page over 10 KB; none of these shapes a run
//! (positions, colours and the speed slider only), so a platform's own
//! rounding is fine here, and only here.

#[cfg(target_arch = "wasm32")]
mod imp {
    pub fn sin(x: f64) -> f64 {
        js_sys::Math::sin(x)
    }
    pub fn cos(x: f64) -> f64 {
        js_sys::Math::cos(x)
    }
    pub fn pow(x: f64, y: f64) -> f64 {
        js_sys::Math::pow(x, y)
    }
    pub fn log10(x: f64) -> f64 {
        js_sys::Math::log10(x)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub fn sin(x: f64) -> f64 {
        x.sin()
    }
    pub fn cos(x: f64) -> f64 {
        x.cos()
    }
    pub fn pow(x: f64, y: f64) -> f64 {
        x.powf(y)
    }
    pub fn log10(x: f64) -> f64 {
        x.log10()
    }
}

pub use imp::{cos, log10, pow, sin};
