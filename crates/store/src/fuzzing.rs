//! Bodies of the cargo-fuzz targets that read lease store files (the targets in `fuzz/` are
//! thin wrappers, so these build and run in CI).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use charrua_server::{Lease, LeaseChange};

use crate::{identify, isc, journal, Recovery};

fn last_wins(changes: impl IntoIterator<Item = LeaseChange>) -> BTreeMap<Ipv4Addr, Lease> {
    let mut map = BTreeMap::new();
    for change in changes {
        match change {
            LeaseChange::Set(lease) => {
                map.insert(lease.address, lease);
            }
            LeaseChange::Remove(address) => {
                map.remove(&address);
            }
        }
    }
    map
}

/// Arbitrary bytes as the file at a store path: identified, replayed as a journal, and read as
/// an ISC lease file; what the ISC store reads, written anew and read again, gives the same
/// leases with no torn tail (what the writer writes, the reader reads).
pub fn store_file(data: &[u8]) {
    let _ = identify::classify(data);
    let path = Path::new("fuzz");
    let mut journal = Vec::new();
    let _ = journal::replay_bytes(
        path,
        data,
        &mut |c| journal.push(c),
        &mut Recovery::default(),
        100,
    );
    let Ok(read) = isc::replay::parse(path, data.to_vec()) else {
        return;
    };
    let first = last_wins(read.file.changes.iter().cloned());
    let written = isc::compact::render(&read.file);
    let again = isc::replay::parse(path, written.into_bytes());
    assert!(
        again.is_ok(),
        "the ISC writer wrote what the reader refuses: {:?}",
        again.err()
    );
    let Ok(again) = again else { return };
    assert_eq!(again.torn, 0, "a file written whole has no torn tail");
    assert_eq!(
        last_wins(again.file.changes),
        first,
        "leases changed through write and read"
    );
}
