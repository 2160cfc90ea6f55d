//! cargo-fuzz target: the body is `charrua_ddns::fuzzing::feed`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| charrua_ddns::fuzzing::feed(data));
