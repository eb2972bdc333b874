//! A min-heap of distinct `u128` keys, each with a `u32` payload: a 4-ary
//! heap over two parallel arrays. Comparing two keys is one branch-free
//! 128-bit comparison, and a 4-ary heap is half as deep as a binary one,
//! so popping from it does fewer, cheaper steps than `BinaryHeap` does
//! with a struct key. Keys must be distinct: then the order in which
//! entries come out depends on the keys alone, never on the heap's layout.

#[derive(Clone, Debug, Default)]
pub struct KeyHeap {
    keys: Vec<u128>,
    vals: Vec<u32>,
}

const ARITY: usize = 4;

impl KeyHeap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The smallest key.
    #[inline]
    pub fn peek_key(&self) -> Option<u128> {
        self.keys.first().copied()
    }

    /// The smallest key and its payload.
    pub fn peek(&self) -> Option<(u128, u32)> {
        Some((*self.keys.first()?, self.vals[0]))
    }

    pub fn push(&mut self, key: u128, val: u32) {
        let i = self.keys.len();
        self.keys.push(key);
        self.vals.push(val);
        self.sift_up(i, key, val);
    }

    /// Take the smallest key and its payload.
    pub fn pop(&mut self) -> Option<(u128, u32)> {
        let top = self.peek()?;
        let key = self.keys.pop()?;
        let val = self.vals.pop()?;
        if !self.keys.is_empty() {
            // Floyd's way: move the hole at the root down to a leaf along
            // the smallest children (no comparison with the moving key, no
            // branch to mispredict), then sift the last entry up from there:
            // it came from the bottom, so it seldom rises far.
            let hole = self.hole_to_leaf(0);
            self.sift_up(hole, key, val);
        }
        Some(top)
    }

    /// Move the hole at `i` down to a leaf, pulling up the smallest child
    /// at each step; where the hole ends.
    fn hole_to_leaf(&mut self, mut i: usize) -> usize {
        while let Some(c) = self.min_child(i) {
            self.keys[i] = self.keys[c];
            self.vals[i] = self.vals[c];
            i = c;
        }
        i
    }

    /// The child of `i` with the smallest key (the first of equals), if `i`
    /// has children. A full set of four is compared pairwise, without a
    /// loop.
    #[inline]
    fn min_child(&self, i: usize) -> Option<usize> {
        let n = self.keys.len();
        let first = ARITY * i + 1;
        if first + ARITY <= n {
            let k = &self.keys[first..first + ARITY];
            let (a, ka) = if k[1] < k[0] { (1, k[1]) } else { (0, k[0]) };
            let (b, kb) = if k[3] < k[2] { (3, k[3]) } else { (2, k[2]) };
            Some(first + if kb < ka { b } else { a })
        } else if first < n {
            let mut c = first;
            for j in first + 1..n {
                if self.keys[j] < self.keys[c] {
                    c = j;
                }
            }
            Some(c)
        } else {
            None
        }
    }

    /// Put (`key`, `val`) into the hole at `i` or above it.
    fn sift_up(&mut self, mut i: usize, key: u128, val: u32) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[i] = self.keys[parent];
            self.vals[i] = self.vals[parent];
            i = parent;
        }
        self.keys[i] = key;
        self.vals[i] = val;
    }

    /// Put (`key`, `val`) into the hole at `i` or below it.
    fn sift_down(&mut self, mut i: usize, key: u128, val: u32) {
        while let Some(c) = self.min_child(i) {
            if key <= self.keys[c] {
                break;
            }
            self.keys[i] = self.keys[c];
            self.vals[i] = self.vals[c];
            i = c;
        }
        self.keys[i] = key;
        self.vals[i] = val;
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u128, u32)> + '_ {
        self.keys.iter().copied().zip(self.vals.iter().copied())
    }

    /// Keep the entries `keep` says yes to, and restore the heap order.
    pub fn retain(&mut self, mut keep: impl FnMut(u128, u32) -> bool) {
        let mut w = 0;
        for r in 0..self.keys.len() {
            let (k, v) = (self.keys[r], self.vals[r]);
            if keep(k, v) {
                self.keys[w] = k;
                self.vals[w] = v;
                w += 1;
            }
        }
        self.keys.truncate(w);
        self.vals.truncate(w);
        for i in (0..w / ARITY + 1).rev() {
            if i < w {
                let (k, v) = (self.keys[i], self.vals[i]);
                self.sift_down(i, k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random pushes, pops and a retain, against a sorted list.
    #[test]
    fn pops_in_key_order() {
        let mut h = KeyHeap::new();
        let mut model: std::collections::BTreeSet<(u128, u32)> = Default::default();
        let mut x = 1u64;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 20
        };
        let mut seq = 0u128;
        for round in 0..20_000u32 {
            let r = next();
            if r % 3 != 0 || model.is_empty() {
                // Many equal times; the sequence keeps keys distinct.
                seq += 1;
                let key = (u128::from(r % 64) << 64) | seq;
                h.push(key, round);
                model.insert((key, round));
            } else {
                let want = model.pop_first().expect("not empty");
                assert_eq!(h.peek(), Some(want));
                assert_eq!(h.pop(), Some(want));
            }
            if round % 5_000 == 4_999 {
                h.retain(|k, _| k % 7 != 0);
                model.retain(|(k, _)| k % 7 != 0);
            }
            assert_eq!(h.len(), model.len());
        }
        for want in model {
            assert_eq!(h.pop(), Some(want));
        }
        assert!(h.is_empty() && h.pop().is_none());
    }
}
