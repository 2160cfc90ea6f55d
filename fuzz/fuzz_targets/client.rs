//! cargo-fuzz target: the body is `charrua_client::fuzzing::feed`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| charrua_client::fuzzing::feed(data));
