//! Small building blocks shared by every layer: a platform-independent hash
//! and a copy-on-write chunked vector. Nothing here knows about Raft or the
//! simulator; everything may import it.

mod chunked;
mod hash;
pub mod pretty;

pub use chunked::Chunked;
pub use hash::Fnv64;
