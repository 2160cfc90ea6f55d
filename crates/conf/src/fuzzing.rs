//! Fuzz target bodies for the dhcpd.conf and dhcpd.leases parsers. They live in the library so
//! every build compiles them; `fuzz/` holds thin cargo-fuzz wrappers.

use crate::{parse_config, Severity};

/// Parses arbitrary bytes as dhcpd.conf: no panic, no unbounded recursion; a configuration is
/// produced exactly when no error was reported, and every diagnostic renders.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let lowered = parse_config("fuzz.conf", text, &mut crate::NoIncludes);
    let errors = lowered
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    assert_eq!(
        lowered.config.is_some(),
        !errors,
        "config built despite errors, or refused without one"
    );
    for d in &lowered.diagnostics {
        let _ = d.render(&lowered.sources);
    }
}

/// Reads arbitrary bytes as dhcpd.leases; whatever is read, written back and read again, gives
/// the same leases (durability rule D7: what the writer writes, the reader reads).
pub fn leases(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let first = crate::leases::read("fuzz.leases", text);
    let last_wins = |changes: &[charrua_server::LeaseChange]| {
        let mut map = std::collections::BTreeMap::new();
        for change in changes {
            if let charrua_server::LeaseChange::Set(lease) = change {
                map.insert(lease.address, lease.clone());
            }
        }
        map
    };
    let leases = last_wins(&first.changes);
    let written = crate::leases::write(leases.values());
    let second = crate::leases::read("written.leases", written);
    assert!(
        !second.has_errors(),
        "the writer wrote what the reader refuses"
    );
    assert_eq!(
        last_wins(&second.changes),
        leases,
        "leases changed through write and read"
    );
}
