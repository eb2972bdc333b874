//! Files in and out: downloads (scenario, trace, ring), reading a dropped
//! or picked file, fetching a data file from beside the page.

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

/// Fetch `url` (relative to the page) as text, bounded like an imported
/// file; `done` gets the text or why there is none.
pub fn fetch_text(url: &str, done: impl FnOnce(Result<String, String>) + 'static) {
    let url = url.to_string();
    wasm_bindgen_futures::spawn_local(async move { done(fetch(&url).await) });
}

/// [`fetch_text`], awaited.
pub async fn fetch(url: &str) -> Result<String, String> {
    let w = web_sys::window().ok_or("no window")?;
    let resp: web_sys::Response = wasm_bindgen_futures::JsFuture::from(w.fetch_with_str(url))
        .await
        .map_err(|_| format!("{url} could not be fetched"))?
        .dyn_into()
        .map_err(|_| format!("{url}: no response"))?;
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let body = resp.text().map_err(|_| format!("{url}: no body"))?;
    let text = wasm_bindgen_futures::JsFuture::from(body)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| format!("{url} could not be read as text"))?;
    let max = quorum_core::sim::scenario::MAX_INPUT_BYTES;
    if text.len() > max {
        return Err(format!("{url} is over the limit of {max} bytes"));
    }
    Ok(text)
}
