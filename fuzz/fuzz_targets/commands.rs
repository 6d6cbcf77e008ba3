//! Random arguments to every command and subcommand in the table, on keys
//! of every type, from two clients (see `mock_redis::fuzzing::commands` for
//! the input layout). Must never panic, abort on an allocation, or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mock_redis::fuzzing::commands(data);
});
