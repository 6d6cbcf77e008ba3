//! The mock layer through real clients: matchers, priorities, sequences,
//! strict mode, verification, the journal and faults. One module per topic
//! (`cargo test --test mock faults::`); `util` holds their shared helpers.

#[path = "../support/mod.rs"]
mod support;

mod util;

mod faults;
mod journal;
mod matching;
mod priority;
mod sequences;
mod strict;
mod verification;

#[cfg(feature = "fixtures")]
mod fixture_files;
mod fixture_journal;
mod fixture_matchers;
mod fixture_reports;
