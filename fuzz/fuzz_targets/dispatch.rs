//! Command dispatch: arbitrary requests against a fresh in-memory engine,
//! through the same parse → execute → encode path a connection uses (see
//! `mock_redis::fuzzing::dispatch` for the input layout). Must never panic
//! or hang, whatever the argv.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mock_redis::fuzzing::dispatch(data);
});
