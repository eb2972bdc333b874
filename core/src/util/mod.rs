//! Small building blocks shared by every layer: a platform-independent hash,
//! a copy-on-write chunked vector and a heap of integer keys. Nothing here knows about Raft or the
//! simulator; everything may import it.

mod chunked;
mod hash;
mod heap;
pub mod pretty;

pub use chunked::Chunked;
pub use hash::Fnv64;
pub use heap::KeyHeap;
