//! cargo-fuzz target: the body is `charrua_conf::fuzzing::leases`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| charrua_conf::fuzzing::leases(data));
