//! A bare WebAssembly module with no imports that runs a scenario and hands
//! back its trace. The determinism test loads it in Node.js and compares the
//! bytes with the native CLI's trace. Memory protocol:
//! `qw_alloc(len)` -> ptr; write the scenario JSON there; `qw_run(ptr, len)`
//! -> output length; read it at `qw_out_ptr()`. Output that starts with
//! `error:` is a scenario error.

use std::cell::RefCell;

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Parse a scenario and run it; the trace as JSON Lines, or the error.
pub fn run(json: &str) -> Result<String, String> {
    let scenario = quorum_core::sim::Scenario::parse(json).map_err(|e| e.to_string())?;
    Ok(quorum_core::sim::run_to_jsonl(&scenario))
}

/// Reserve `len` bytes for the caller to write a scenario into.
#[no_mangle]
pub extern "C" fn qw_alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len);
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Run the scenario at `ptr..ptr+len` and return the output's length.
///
/// # Safety
/// `ptr` must come from `qw_alloc(len)` and hold `len` written bytes; the
/// buffer is taken back and freed.
#[no_mangle]
pub unsafe extern "C" fn qw_run(ptr: *mut u8, len: usize) -> usize {
    // SAFETY: per the contract above, this is the allocation qw_alloc made.
    let input = unsafe { Vec::from_raw_parts(ptr, len, len) };
    let text = match std::str::from_utf8(&input) {
        Ok(s) => run(s).unwrap_or_else(|e| format!("error: {e}")),
        Err(e) => format!("error: not UTF-8: {e}"),
    };
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        *o = text.into_bytes();
        o.len()
    })
}

/// Where the last output starts.
#[no_mangle]
pub extern "C" fn qw_out_ptr() -> *const u8 {
    OUT.with(|o| o.borrow().as_ptr())
}
