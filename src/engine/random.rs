//! The engine's pseudo-random generator.
//!
//! One [`Rng`] lives in the `Engine` (`Engine::random`); every command that
//! picks at random (HRANDFIELD, and SRANDMEMBER, SPOP, ZRANDMEMBER,
//! RANDOMKEY as they move onto it) draws from it. It is the state a
//! `server.seed(n)` call on the handle resets: after `seed(n)` the same
//! commands on the same data give the same picks. Without a seed it starts
//! from the wall clock. The generator is SplitMix64: small, fast and good
//! enough for sampling; nothing here is for cryptography.

/// A seedable SplitMix64 generator.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn seeded(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// A generator seeded from the wall clock.
    pub fn from_time() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Rng::seeded(nanos ^ ((std::process::id() as u64) << 32))
    }

    /// Restarts the sequence from `seed` (what `server.seed(n)` calls).
    // For `server.seed(n)`, which the state API does not expose yet.
    #[allow(dead_code)]
    pub fn seed(&mut self, seed: u64) {
        self.state = seed;
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n` > 0), without modulo bias.
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next_u64();
            if v < zone {
                return (v % n) as usize;
            }
        }
    }
}

impl Default for Rng {
    fn default() -> Rng {
        Rng::from_time()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_repeats_the_sequence() {
        let mut a = Rng::seeded(42);
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        a.seed(42);
        let again: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        assert_eq!(first, again);
        assert_ne!(first[0], first[1]);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Rng::seeded(7);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = r.below(5);
            seen[v] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
