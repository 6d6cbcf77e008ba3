//! The engine's pseudo-random number generator: the state behind
//! SRANDMEMBER, SPOP, ZRANDMEMBER (and, later, RANDOMKEY, HRANDFIELD, ...),
//! and behind a future `server.seed(n)` that makes those commands
//! deterministic.
//!
//! The generator is xoshiro256** seeded through SplitMix64: small, fast and
//! reproducible on every platform. A new engine is seeded from the wall
//! clock and the process id (random, as Redis is); [`Rng::seed`] restarts
//! the sequence from a fixed seed. Commands must make their random choices
//! over a canonical order (never a `HashMap`/`HashSet` iteration order,
//! which varies per process), so that equal seeds give equal replies.

// Shared API for every command group; not all of it is used by each build step.
#![allow(dead_code)]

/// A seeded pseudo-random number generator (xoshiro256**).
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    s: [u64; 4],
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Default for Rng {
    /// Seeded from the wall clock and the process id.
    fn default() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Rng::from_seed(nanos ^ ((std::process::id() as u64) << 32))
    }
}

impl Rng {
    /// A generator whose sequence depends only on `seed`.
    pub fn from_seed(seed: u64) -> Rng {
        let mut st = seed;
        Rng {
            s: [
                splitmix(&mut st),
                splitmix(&mut st),
                splitmix(&mut st),
                splitmix(&mut st),
            ],
        }
    }

    /// A generator whose sequence depends only on `seed` (the name the
    /// hash commands use).
    pub fn seeded(seed: u64) -> Rng {
        Rng::from_seed(seed)
    }

    /// A generator seeded from the wall clock and the process id.
    pub fn from_time() -> Rng {
        Rng::default()
    }

    /// Restarts the sequence from `seed` (what `server.seed(n)` will call).
    pub fn seed(&mut self, seed: u64) {
        *self = Rng::from_seed(seed);
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return (v % n) as usize;
            }
        }
    }

    /// Moves `k` distinct elements chosen uniformly at random to the front
    /// of `items` (a partial Fisher-Yates shuffle) and returns them.
    pub fn sample<'a, T>(&mut self, items: &'a mut [T], k: usize) -> &'a mut [T] {
        let k = k.min(items.len());
        for i in 0..k {
            let j = i + self.below(items.len() - i);
            items.swap(i, j);
        }
        &mut items[..k]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::from_seed(7);
        let mut b = Rng::from_seed(7);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut c = Rng::from_seed(8);
        assert_ne!(xs[0], c.next_u64());
        b.seed(7);
        assert_eq!(b.next_u64(), xs[0]);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Rng::from_seed(1);
        let mut seen = [false; 5];
        for _ in 0..200 {
            let v = r.below(5);
            seen[v] = true;
        }
        assert!(seen.iter().all(|s| *s));
        let mut v: Vec<u32> = (0..10).collect();
        let picked = r.sample(&mut v, 4).to_vec();
        let mut dedup = picked.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), 4);
    }
}
