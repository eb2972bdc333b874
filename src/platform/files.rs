//! Files in and out: downloads (scenario, trace, ring) and reading a
//! dropped or picked file.

use crate::state::Msg;
use wasm_bindgen::JsCast;
use yew::Callback;

/// Offer `text` as a file download.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&text.into());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| "the browser refused to make the file")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser refused to make the file")?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|_| "no link element")?
        .dyn_into()
        .map_err(|_| "no link element")?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url).ok();
    Ok(())
}

/// Read a dropped or picked file (bounded); its text comes back as
/// `Msg::Import`.
pub fn read_file(send: Callback<Msg>, f: web_sys::File) {
    let name = f.name();
    let max = quorum_core::sim::scenario::MAX_INPUT_BYTES;
    if f.size() > max as f64 {
        let why = format!("{} bytes is over the limit of {max} bytes", f.size());
        send.emit(Msg::Import(name, Err(why)));
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(f.text())
            .await
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| "the file could not be read as text".to_string());
        send.emit(Msg::Import(name, text));
    });
}
