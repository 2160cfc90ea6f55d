//! cargo-fuzz target: the body is `charrua_conf::fuzzing::config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| charrua_conf::fuzzing::config(data));
