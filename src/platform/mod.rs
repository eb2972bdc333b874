//! The browser, behind small modules: DOM listeners, the animation-frame
//! loop, `window.quorum`, postMessage in and out, files, the clipboard, the Web Worker.
//! Everything here turns browser events into [`crate::state::Msg`]s or
//! runs [`crate::state::Effect`]s; none of it decides anything.

pub mod api;
pub mod dom;
pub mod embed;
pub mod files;
pub mod frame;
pub mod i18n_loader;
pub mod listeners;
pub mod translator;
pub mod worker;
