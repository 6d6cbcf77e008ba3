//! Redis's `long double` arithmetic for INCRBYFLOAT and HINCRBYFLOAT.
//!
//! Redis parses both operands with `strtold`, adds them as x87 80-bit long
//! doubles and prints the sum with `%.17Lf`, trimming trailing zeros. The
//! API here is what the string and hash modules use; the representation
//! behind it is private.

// Shared API for every command group; not all of it is used by each build step.
#![allow(dead_code)]

use super::args::parse_strtod;

/// A value as Redis's `long double`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LongDouble(f64);

impl LongDouble {
    /// Zero (a missing key or field).
    pub const ZERO: LongDouble = LongDouble(0.0);

    /// Parses as Redis's `string2ld` / `getLongDoubleFromObject`: `None` when
    /// Redis answers "not a valid float" (spaces, trailing bytes, NaN,
    /// overflow, underflow to zero).
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.len() > 5 * 1024 {
            return None;
        }
        parse_strtod(s).map(LongDouble)
    }

    /// The sum, rounded as the x87 unit rounds it.
    pub fn add(self, other: LongDouble) -> LongDouble {
        LongDouble(self.0 + other.0)
    }

    /// Whether the value is neither infinite nor NaN.
    pub fn is_finite(self) -> bool {
        self.0.is_finite()
    }

    /// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf` without trailing
    /// zeros (and without a trailing point); `-0` prints as `0`.
    pub fn to_human(self) -> String {
        if self.0.is_infinite() {
            return if self.0 > 0.0 { "inf" } else { "-inf" }.to_string();
        }
        let mut s = format!("{:.17}", self.0);
        if s.contains('.') {
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        if s == "-0" {
            s = "0".to_string();
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(s: &str) -> LongDouble {
        LongDouble::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn human_format() {
        assert_eq!(ld("10.5").add(ld("0.1")).to_human(), "10.6");
        assert_eq!(ld("3").to_human(), "3");
        assert_eq!(ld("-0").to_human(), "0");
        assert_eq!(ld("5.0e3").add(ld("200")).to_human(), "5200");
        assert!(LongDouble::parse(b"abc").is_none());
    }
}
