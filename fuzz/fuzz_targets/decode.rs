//! cargo-fuzz target: the body is `charrua_wire::fuzzing::decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| charrua_wire::fuzzing::decode(data));
