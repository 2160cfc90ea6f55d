//! cargo-fuzz target: the body is `charrua_wire::fuzzing::frame`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| charrua_wire::fuzzing::frame(data));
