//! The one source of randomness: a seeded ChaCha8 stream. Only integer
//! arithmetic decides anything, so every platform draws the same values.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

/// A probability as a threshold out of 2^32 (exact, no float at draw time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Chance(u64);

impl Chance {
    pub const NEVER: Chance = Chance(0);

    /// `p` must be within [0, 1] (validated by the scenario parser).
    pub fn from_probability(p: f64) -> Chance {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        // p * 2^32 is exact in f64; rounding is IEEE-defined, no libm.
        Chance((p * 4_294_967_296.0).round() as u64)
    }

    pub fn is_never(self) -> bool {
        self.0 == 0
    }
}

impl SimRng {
    pub fn new(seed: u64) -> Self {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Uniform in `lo..=hi` (u64 on every platform).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if lo >= hi {
            lo
        } else {
            self.0.random_range(lo..=hi)
        }
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            0
        } else {
            self.0.random_range(0..n)
        }
    }

    pub fn chance(&mut self, c: Chance) -> bool {
        if c.is_never() {
            return false;
        }
        u64::from(self.0.next_u32()) < c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = SimRng::new(7);
        let mut b = SimRng::new(7);
        let xs: Vec<u64> = (0..100).map(|_| a.range(10, 20)).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.range(10, 20)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|&x| (10..=20).contains(&x)));
        assert!(xs.iter().any(|&x| x != xs[0]));
    }

    #[test]
    fn chance_extremes() {
        let mut r = SimRng::new(1);
        let always = Chance::from_probability(1.0);
        assert!((0..1000).all(|_| r.chance(always)));
        assert!((0..1000).all(|_| !r.chance(Chance::NEVER)));
        let half = Chance::from_probability(0.5);
        let n = (0..10_000).filter(|_| r.chance(half)).count();
        assert!((4_500..5_500).contains(&n), "{n}");
    }
}
