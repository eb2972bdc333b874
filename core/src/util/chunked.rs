//! A vector in shared, copy-on-write chunks. Cloning it (a time-travel
//! checkpoint clones the whole simulator) copies one pointer per chunk, not
//! the data; a write copies only the chunk it touches.

use std::sync::Arc;

/// Items per chunk.
const CHUNK: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Chunked<T> {
    /// All chunks are full but the last.
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> Chunked<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        (i < self.len).then(|| &self.chunks[i / CHUNK][i % CHUNK])
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last().and_then(|c| c.last())
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    pub fn push(&mut self, v: T) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => Arc::make_mut(c).push(v),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(v);
                self.chunks.push(Arc::new(c));
            }
        }
        self.len += 1;
    }

    /// Overwrites item `i`; does nothing past the end.
    pub fn set(&mut self, i: usize, v: T) {
        if i < self.len {
            Arc::make_mut(&mut self.chunks[i / CHUNK])[i % CHUNK] = v;
        }
    }

    /// Whether chunk `c` is one shared allocation in both (a test of the
    /// copy on write).
    pub fn shares_chunk(&self, other: &Self, c: usize) -> bool {
        match (self.chunks.get(c), other.chunks.get(c)) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Keeps the first `keep` items.
    pub fn truncate(&mut self, keep: usize) {
        if keep >= self.len {
            return;
        }
        self.chunks.truncate(keep.div_ceil(CHUNK));
        if keep % CHUNK != 0 {
            if let Some(c) = self.chunks.last_mut() {
                Arc::make_mut(c).truncate(keep % CHUNK);
            }
        }
        self.len = keep;
    }
}

impl<T: Clone> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_across_chunk_edges() {
        let mut c = Chunked::new();
        let mut v = Vec::new();
        for i in 0..(3 * CHUNK + 7) {
            c.push(i);
            v.push(i);
        }
        let snapshot = c.clone();
        for keep in [3 * CHUNK + 7, 2 * CHUNK, 2 * CHUNK - 1, CHUNK + 1, 0] {
            c.truncate(keep);
            v.truncate(keep);
            assert_eq!(c.len(), v.len());
            assert_eq!(c.iter().copied().collect::<Vec<_>>(), v);
            assert_eq!(c.last(), v.last());
        }
        c.push(9);
        c.set(0, 10);
        c.set(5, 11); // past the end: ignored
        assert_eq!(c.iter().copied().collect::<Vec<_>>(), vec![10]);
        // The clone taken before was not touched (copy on write).
        assert_eq!(snapshot.len(), 3 * CHUNK + 7);
        assert_eq!(snapshot[CHUNK], CHUNK);
        assert_eq!(snapshot.get(3 * CHUNK + 7), None);
    }
}
