//! Helpers every command group shares and that hold no state: argument
//! parsing ([`args`]), Redis's error texts ([`errors`]), `HELP` replies
//! ([`help`]), Redis's `long double` arithmetic ([`ldouble`]) and its
//! geohash arithmetic ([`geohash`]).
//!
//! Nothing here imports the keyspace, the value types or a command group, so
//! any of them can use these. A helper that needs engine state belongs with
//! the engine or a command group instead; glob matching is crate-wide, in
//! `crate::glob`.

pub(crate) mod args;
pub(crate) mod errors;
pub(crate) mod geohash;
pub(crate) mod help;
pub(crate) mod ldouble;
