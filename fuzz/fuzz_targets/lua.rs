//! Lua scripting: random script bodies run with EVAL and random replies
//! converted to Lua values and back (see `mock_redis::fuzzing::lua` for
//! the input layout). Must never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mock_redis::fuzzing::lua(data);
});
