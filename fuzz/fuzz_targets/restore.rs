//! RESTORE of mutated DUMP payloads: the input is a payload's body (type
//! byte and value, any RDB encoding), closed with a recomputed checksum so
//! mutations reach the decoder; an accepted value is read back, dumped and
//! restored again (see `mock_redis::fuzzing::restore`). Must never panic,
//! abort on an allocation, or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mock_redis::fuzzing::restore(data);
});
