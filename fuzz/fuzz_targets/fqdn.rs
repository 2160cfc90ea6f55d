//! cargo-fuzz target: the body is `charrua_server::fuzzing::fqdn_space` (option 81 decoded as
//! ISC dhcpd's `fqdn` option space).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| charrua_server::fuzzing::fqdn_space(data));
