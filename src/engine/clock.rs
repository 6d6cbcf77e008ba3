//! The engine clock: wall-clock time by default, which tests can move
//! forward, freeze or set.
//!
//! Every expiry decision and every blocking command's timeout reads this
//! clock, never `SystemTime::now()` directly. The engine takes one reading per command (as Redis 7.0 caches
//! the time for the duration of a `call()`, and for a whole `EXEC`), and
//! hands it to the databases with [`super::Engine::refresh_time`]. The
//! test-side controls (`fast_forward`, `freeze_time`, `set_time`) are in
//! `server/state_api.rs`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch of a `SystemTime` (negative before 1970).
pub(crate) fn system_time_us(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

/// Real time in microseconds since the Unix epoch: one clock reading.
pub(crate) fn real_us() -> i64 {
    system_time_us(SystemTime::now())
}

fn duration_us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The engine's notion of "now".
///
/// * running (the default): real time plus an offset (zero until a test
///   calls [`Clock::fast_forward`] or [`Clock::set_time`]);
/// * frozen: a fixed instant that only [`Clock::fast_forward`] and
///   [`Clock::set_time`] move.
#[derive(Clone, Debug, Default)]
pub(crate) struct Clock {
    /// Added to real time while running, in microseconds.
    offset_us: i64,
    /// The fixed time while frozen, in microseconds since the epoch.
    frozen_us: Option<i64>,
}

impl Clock {
    /// A clock following real time.
    pub fn new() -> Clock {
        Clock::default()
    }

    /// Microseconds since the Unix epoch.
    pub fn now_us(&self) -> i64 {
        match self.frozen_us {
            Some(t) => t,
            None => real_us().saturating_add(self.offset_us),
        }
    }

    /// [`Clock::now_ms`] from a reading of [`real_us`] the caller took.
    pub fn now_ms_at(&self, real_us: i64) -> i64 {
        match self.frozen_us {
            Some(t) => t,
            None => real_us.saturating_add(self.offset_us),
        }
        .div_euclid(1000)
    }

    /// Milliseconds since the Unix epoch: what expiry deadlines are compared with.
    pub fn now_ms(&self) -> i64 {
        self.now_us().div_euclid(1000)
    }

    /// The current time as a `SystemTime`.
    pub fn now(&self) -> SystemTime {
        let us = self.now_us();
        if us >= 0 {
            UNIX_EPOCH + Duration::from_micros(us as u64)
        } else {
            UNIX_EPOCH - Duration::from_micros(us.unsigned_abs())
        }
    }

    /// Moves the clock forward by `d` (frozen or not).
    pub fn fast_forward(&mut self, d: Duration) {
        let d = duration_us(d);
        match &mut self.frozen_us {
            Some(t) => *t = t.saturating_add(d),
            None => self.offset_us = self.offset_us.saturating_add(d),
        }
    }

    /// Stops the clock at the current instant.
    pub fn freeze(&mut self) {
        if self.frozen_us.is_none() {
            self.frozen_us = Some(self.now_us());
        }
    }

    /// Lets a frozen clock run again from where it stands.
    pub fn unfreeze(&mut self) {
        if let Some(t) = self.frozen_us.take() {
            self.offset_us = t.saturating_sub(real_us());
        }
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.frozen_us.is_some()
    }

    /// How long to wait on the wall clock until this clock is strictly past
    /// `deadline_ms` (as expiry and blocking timeouts compare): `None` while
    /// frozen, since then only a test moves it; zero when already past.
    pub fn wall_time_until_past(&self, deadline_ms: i64) -> Option<Duration> {
        if self.is_frozen() {
            return None;
        }
        let past_us = deadline_ms.saturating_add(1).saturating_mul(1000);
        let wait_us = past_us.saturating_sub(self.now_us()).max(0);
        Some(Duration::from_micros(wait_us as u64))
    }

    /// Sets the clock to `t` and freezes it there, so tests are deterministic.
    /// [`Clock::unfreeze`] lets it run on from `t`.
    pub fn set_time(&mut self, t: SystemTime) {
        self.frozen_us = Some(system_time_us(t));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_real_time_by_default() {
        let c = Clock::new();
        let real = real_us();
        assert!((c.now_us() - real).abs() < 1_000_000);
    }

    #[test]
    fn fast_forward_moves_running_and_frozen_clocks() {
        let mut c = Clock::new();
        let before = c.now_ms();
        c.fast_forward(Duration::from_secs(3600));
        assert!(c.now_ms() >= before + 3_600_000);
        c.freeze();
        let t = c.now_us();
        assert_eq!(c.now_us(), t);
        c.fast_forward(Duration::from_millis(1500));
        assert_eq!(c.now_us(), t + 1_500_000);
        c.unfreeze();
        assert!(c.now_us() >= t + 1_500_000);
        assert!(c.frozen_us.is_none());
    }

    #[test]
    fn waits_until_strictly_past_a_deadline() {
        let mut c = Clock::new();
        c.set_time(UNIX_EPOCH + Duration::from_millis(10_000));
        assert_eq!(c.wall_time_until_past(10_500), None, "frozen");
        c.unfreeze();
        let wait = c.wall_time_until_past(c.now_ms() + 500).unwrap();
        assert!(wait > Duration::from_millis(500), "{wait:?}");
        assert!(wait <= Duration::from_millis(501), "{wait:?}");
        assert_eq!(c.wall_time_until_past(c.now_ms() - 2), Some(Duration::ZERO));
    }

    #[test]
    fn set_time_freezes_at_the_instant() {
        let mut c = Clock::new();
        c.set_time(UNIX_EPOCH + Duration::from_secs(1_000_000));
        assert_eq!(c.now_ms(), 1_000_000_000);
        assert_eq!(c.now(), UNIX_EPOCH + Duration::from_secs(1_000_000));
        c.set_time(UNIX_EPOCH - Duration::from_millis(1500));
        assert_eq!(c.now_ms(), -1500);
    }
}
