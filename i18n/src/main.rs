//! The page in another language (issue 13): fetched only when the page is
//! not in English (`quorum_app::platform::i18n_loader` loads it, from the
//! first-load module or from the language picker). It fetches the
//! catalogue, translates the document and keeps translating it as it
//! changes (`quorum_app::platform::translator`), then settles the loader's
//! promise.

use quorum_app::i18n::Lang;
use quorum_app::platform::{i18n_loader, translator};

fn main() {
    translator::expose();
    let lang = i18n_loader::asked().unwrap_or_else(translator::wanted);
    wasm_bindgen_futures::spawn_local(async move {
        let done = translator::switch(lang).await;
        if lang != Lang::En && done.is_err() {
            web_sys::console::warn_1(&"the page stays in English".into());
        }
        i18n_loader::settle(done);
    });
}
