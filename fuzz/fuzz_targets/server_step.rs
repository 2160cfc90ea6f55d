//! cargo-fuzz target: the body is `charrua_server::fuzzing::server_step`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| charrua_server::fuzzing::server_step(data));
