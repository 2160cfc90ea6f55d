//! cargo-fuzz target: the body is `charrua_store::fuzzing::store_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| charrua_store::fuzzing::store_file(data));
