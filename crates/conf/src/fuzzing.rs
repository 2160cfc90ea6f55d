//! Fuzz target bodies for the dhcpd.conf and dhcpd.leases parsers. They live in the library so
//! every build compiles them; `fuzz/` holds thin cargo-fuzz wrappers.

use crate::{parse_config, Severity};

/// Parses arbitrary bytes as dhcpd.conf: no panic, no unbounded recursion; a configuration is
/// produced exactly when no error was reported, and every diagnostic renders.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let lowered = parse_config("fuzz.conf", text, &mut crate::NoIncludes);
    let errors = lowered.diagnostics.iter().any(|d| d.severity == Severity::Error);
    assert_eq!(lowered.config.is_some(), !errors, "config built despite errors, or refused without one");
    for d in &lowered.diagnostics {
        let _ = d.render(&lowered.sources);
    }
}
