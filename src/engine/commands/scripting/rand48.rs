//! Redis's `redisLrand48` (`rand.c`), the generator behind `math.random`
//! in scripts: the 48-bit linear congruential generator of `lrand48`, so
//! a seed gives the sequence Redis gives on every platform. Like Redis's
//! (a C static), one generator serves the whole server: SCRIPT FLUSH does
//! not reset it, only `math.randomseed` does.

/// The generator state: 48 bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rand48(u64);

const MASK: u64 = (1 << 48) - 1;
const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;

impl Default for Rand48 {
    /// The state before any seed (`X2 X1 X0` = `0x1234 0xABCD 0x330E`).
    fn default() -> Rand48 {
        Rand48(0x1234_ABCD_330E)
    }
}

impl Rand48 {
    /// `redisSrand48(seed)`: the high 32 bits are the seed, the low 16 `0x330E`.
    pub fn new(seed: i32) -> Rand48 {
        Rand48((((seed as u32) as u64) << 16) | 0x330E)
    }

    /// `redisLrand48()`: the next value, in `0..2^31`.
    pub fn next(&mut self) -> i32 {
        self.0 = (self.0.wrapping_mul(A).wrapping_add(C)) & MASK;
        (self.0 >> 17) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a fresh redis-server 7.0, `math.random()` (any value: the reply
    /// truncates it), then `math.random(100)` gives 85, then
    /// `math.random(1, 1000)` twice 354 and 447: one generator for the
    /// whole server, never reseeded unless a script calls
    /// `math.randomseed` (seed 5 then gives 525 and 273).
    #[test]
    fn matches_redis_math_random() {
        let draw = |r: &mut Rand48| (r.next() % 2147483647) as f64 / 2147483647.0;
        let mut r = Rand48::default();
        draw(&mut r);
        assert_eq!((draw(&mut r) * 100.0).floor() as i64 + 1, 85);
        assert_eq!((draw(&mut r) * 1000.0).floor() as i64 + 1, 354);
        assert_eq!((draw(&mut r) * 1000.0).floor() as i64 + 1, 447);
        let mut r = Rand48::new(5);
        assert_eq!((draw(&mut r) * 1000.0).floor() as i64 + 1, 525);
        assert_eq!((draw(&mut r) * 1000.0).floor() as i64 + 1, 273);
    }
}
