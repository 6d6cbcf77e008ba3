//! The engine's one pseudo-random number generator, behind every random
//! pick: RANDOMKEY, SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER and the LFU
//! counter's probabilistic increment (`OBJECT FREQ`). `MockRedis::seed(n)`
//! reseeds it, which makes all of them reproducible.
//!
//! The generator is xoshiro256** seeded through SplitMix64: small, fast and
//! reproducible on every platform. A new engine is seeded from the wall
//! clock and the process id (random, as Redis is); [`Rng::seed`] restarts
//! the sequence from a fixed seed. [`Rng`] is a handle: the engine holds
//! one (`Engine::random`) and hands clones to what needs randomness without
//! the engine at hand (a database counting LFU accesses); clones share one
//! sequence. Commands must make their random choices over a canonical order
//! (never a `HashMap`/`HashSet` iteration order, which varies per process),
//! so that equal seeds give equal replies: the positions of an `indexmap`
//! table (the keyspace, sets, hashes, sorted sets' member tables) are one,
//! and pick in O(1). Something new that needs
//! randomness takes it from `Engine::random`, never from a generator of its
//! own.

use std::sync::{Arc, Mutex, MutexGuard};

/// A handle on the seeded generator (xoshiro256**); clones share its state.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: Arc<Mutex<[u64; 4]>>,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The xoshiro256** state a seed starts from.
fn state_from(seed: u64) -> [u64; 4] {
    let mut st = seed;
    [
        splitmix(&mut st),
        splitmix(&mut st),
        splitmix(&mut st),
        splitmix(&mut st),
    ]
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
        Rng {
            state: Arc::new(Mutex::new(state_from(seed))),
        }
    }

    /// Restarts the sequence from `seed`, for every clone of this handle
    /// (`MockRedis::seed`).
    pub fn seed(&self, seed: u64) {
        *self.lock() = state_from(seed);
    }

    fn lock(&self) -> MutexGuard<'_, [u64; 4]> {
        // Only ever used under the engine lock; a panic elsewhere cannot
        // leave the state half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next 64 random bits.
    pub fn next_u64(&self) -> u64 {
        let mut s = self.lock();
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform float in `[0, 1)` (53 random bits).
    pub fn unit_f64(&self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&self, n: usize) -> usize {
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

    /// `k` distinct positions of `0..n` chosen uniformly at random (all of
    /// them, shuffled, when `k >= n`), in O(k) expected: draws with a set
    /// of those already taken when `k` is at most a third of `n` (as
    /// Redis's SRANDMEMBER does), a partial Fisher-Yates shuffle of the
    /// positions otherwise (O(n), which is then O(k)).
    pub fn distinct(&self, n: usize, k: usize) -> Vec<usize> {
        let k = k.min(n);
        if k.saturating_mul(3) <= n {
            let mut taken = rustc_hash::FxHashSet::default();
            taken.reserve(k);
            let mut out = Vec::with_capacity(k);
            while out.len() < k {
                let i = self.below(n);
                if taken.insert(i) {
                    out.push(i);
                }
            }
            out
        } else {
            let mut all: Vec<usize> = (0..n).collect();
            self.sample(&mut all, k);
            all.truncate(k);
            all
        }
    }

    /// Moves `k` distinct elements chosen uniformly at random to the front
    /// of `items` (a partial Fisher-Yates shuffle) and returns them.
    pub fn sample<'a, T>(&self, items: &'a mut [T], k: usize) -> &'a mut [T] {
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
    use bytes::Bytes;

    use super::*;
    use crate::engine::{Config, Engine};
    use crate::protocol::Reply;

    #[test]
    fn same_seed_same_sequence() {
        let a = Rng::from_seed(7);
        let b = Rng::from_seed(7);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let c = Rng::from_seed(8);
        assert_ne!(xs[0], c.next_u64());
        b.seed(7);
        assert_eq!(b.next_u64(), xs[0]);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let r = Rng::from_seed(1);
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

    /// Runs a script on a fresh engine whose generator is seeded with `seed`.
    fn replies(seed: u64, script: &[String]) -> Vec<Reply> {
        let mut e = Engine::new(Config::default());
        e.random.seed(seed);
        let c = e.connect("test".into(), "test".into());
        script
            .iter()
            .map(|line| {
                let args: Vec<Bytes> = line
                    .split(' ')
                    .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                    .collect();
                e.execute(c, &args).reply
            })
            .collect()
    }

    /// Equal seeds give equal random picks, for every command that picks at
    /// random, whatever order each `HashSet` iterates in; different seeds
    /// (almost surely) differ.
    #[test]
    fn every_random_pick_is_reproducible_per_seed() {
        let mut script: Vec<String> = vec![
            "SADD s a b c d e f g h i j k l m n o p q r s t".into(),
            "MSET k0 0 k1 1 k2 2 k3 3 k4 4 k5 5 k6 6 k7 7 k8 8 k9 9".into(),
            "HSET h f0 0 f1 1 f2 2 f3 3 f4 4 f5 5 f6 6 f7 7".into(),
            "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h".into(),
        ];
        let randomkeys = script.len()..script.len() + 8;
        script.extend((0..8).map(|_| "RANDOMKEY".to_string()));
        for cmd in [
            "SRANDMEMBER s",
            "SRANDMEMBER s 5",
            "SRANDMEMBER s -5",
            "SPOP s",
            "SPOP s 3",
            "HRANDFIELD h",
            "HRANDFIELD h 3",
            "HRANDFIELD h -5 WITHVALUES",
            "ZRANDMEMBER z",
            "ZRANDMEMBER z 3 WITHSCORES",
            "ZRANDMEMBER z -4",
            "SMEMBERS s",
            "CONFIG SET maxmemory-policy allkeys-lfu",
        ] {
            script.push(cmd.into());
        }
        // The LFU counter grows with probability 1 / (counter - 5) * 10 + 1.
        script.extend((0..200).map(|_| "GET k1".to_string()));
        script.push("OBJECT FREQ k1".into());
        let a = replies(42, &script);
        let b = replies(42, &script);
        assert_eq!(a, b);
        assert!(
            matches!(a.last(), Some(Reply::Integer(n)) if *n > 6),
            "{:?}",
            a.last()
        );
        let others: Vec<Vec<Reply>> = (0..4).map(|s| replies(s, &script)).collect();
        assert!(
            others
                .iter()
                .any(|o| o[randomkeys.clone()] != a[randomkeys.clone()]),
            "RANDOMKEY follows the seed"
        );
        assert!(others.iter().any(|o| o[12..26] != a[12..26]));
    }

    /// More than `PACK_OVER` picks with repetition come packed in one
    /// buffer, written as the same array; fewer stay a plain array.
    #[test]
    fn long_random_replies_are_packed() {
        let script: Vec<String> = [
            "SADD s a b c",
            "HSET h f v g w",
            "ZADD z 1 a 2 b",
            "SRANDMEMBER s -1024",
            "SRANDMEMBER s -1025",
            "HRANDFIELD h -3000 WITHVALUES",
            "ZRANDMEMBER z -2000 WITHSCORES",
            "ZRANDMEMBER z -2000",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect();
        let r = replies(1, &script);
        assert!(matches!(&r[3], Reply::Array(v) if v.len() == 1024));
        let lens: Vec<usize> = r[4..]
            .iter()
            .map(|reply| match reply {
                Reply::Packed(p) => {
                    let Reply::Array(tree) = p.to_reply() else {
                        panic!("an array")
                    };
                    assert_eq!(tree.len(), p.len());
                    p.len()
                }
                other => panic!("not packed: {other:?}"),
            })
            .collect();
        assert_eq!(lens, [1025, 6000, 4000, 2000]);
    }
}
