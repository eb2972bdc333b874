//! FNV-1a over little-endian bytes: the same value on every platform and in
//! wasm32 (unlike `std`'s `DefaultHasher`, which is randomly keyed and may
//! change between Rust releases).

/// A running FNV-1a 64-bit hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv64(u64);

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

impl Default for Fnv64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Fnv64 {
    /// The FNV offset basis.
    pub const fn new() -> Self {
        Fnv64(OFFSET)
    }

    /// Continue from an earlier hash value (e.g. a log prefix's hash).
    pub const fn from_value(h: u64) -> Self {
        Fnv64(h)
    }

    /// The hash so far.
    pub const fn value(self) -> u64 {
        self.0
    }

    fn byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(PRIME);
    }

    /// Mix in the 8 little-endian bytes of `v`.
    pub fn u64(mut self, v: u64) -> Self {
        for b in v.to_le_bytes() {
            self.byte(b);
        }
        self
    }

    /// Mix in a string: its length, then its bytes (so `("ab","c")` and
    /// `("a","bc")` differ).
    pub fn str(mut self, s: &str) -> Self {
        self = self.u64(s.len() as u64);
        for b in s.bytes() {
            self.byte(b);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_fnv1a_vectors() {
        // FNV-1a 64 of the empty input is the offset basis; of "a" it is
        // 0xaf63dc4c8601ec8c (the reference test vectors).
        assert_eq!(Fnv64::new().value(), 0xcbf2_9ce4_8422_2325);
        let mut h = Fnv64::new();
        h.byte(b'a');
        assert_eq!(h.value(), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn strings_are_length_prefixed() {
        let a = Fnv64::new().str("ab").str("c");
        let b = Fnv64::new().str("a").str("bc");
        assert_ne!(a, b);
        assert_eq!(Fnv64::new().u64(7), Fnv64::from_value(OFFSET).u64(7));
    }
}
