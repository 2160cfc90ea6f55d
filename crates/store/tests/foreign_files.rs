//! Every store path given a file charrua did not write (an ISC lease file, an empty file, text,
//! random bytes, a JPEG, a journal of a future version or with a damaged header, a directory, a
//! symlink, another owner's read-only file): its bytes and metadata are the same afterwards,
//! and a refusal says what was found.

use std::path::Path;

use charrua_server::LeaseChange;
use charrua_store::testing::{Snapshot, CASES};
use charrua_store::{
    open_store, read_store, IscLeaseFile, IscOptions, LeaseFormat, LeaseStore, StoreError,
};

fn is_root() -> bool {
    nix_free_uid() == 0
}

/// The effective uid, from /proc (the store crate does not depend on nix).
fn nix_free_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2))
                .and_then(|u| u.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

fn refusal(result: Result<(), StoreError>, case: &str, expected: &str) {
    let err = result.expect_err(case);
    let text = err.to_string();
    assert!(
        text.contains(expected),
        "{case}: the refusal should say {expected:?}: {text}"
    );
}

#[test]
fn opening_in_any_format_changes_no_file_it_did_not_write() {
    for case in CASES {
        if case.name.contains("another owner") && !is_root() {
            eprintln!("SKIP: {}: needs root to give the file away", case.name);
            continue;
        }
        for format in [LeaseFormat::Auto, LeaseFormat::Isc, LeaseFormat::Journal] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("dhcpd.leases");
            (case.make)(&path);
            let before = Snapshot::take(&path);
            let opened = open_store(&path, format, "test", &mut |_| {}).map(drop);
            let accepted = case.is_isc && format != LeaseFormat::Journal;
            if accepted {
                opened.unwrap_or_else(|e| panic!("{} as {format}: {e}", case.name));
            } else {
                let expected = match (case.name, format) {
                    ("ISC lease file", _) => "--lease-format isc",
                    (name, LeaseFormat::Journal) if name.contains("another owner") => {
                        "--lease-format isc"
                    }
                    ("empty file", _) => "an empty file",
                    _ => case.refusal,
                };
                refusal(opened, &format!("{} as {format}", case.name), expected);
            }
            assert_eq!(
                Snapshot::take(&path),
                before,
                "{} opened as {format} was changed",
                case.name
            );
            // Reading for a listing or an export changes nothing either.
            let read = read_store(&path, format, &mut |_| {}).map(drop);
            // Another owner's read-only lease file may be read, not written.
            let readable =
                accepted || case.name.contains("another owner") && format != LeaseFormat::Journal;
            if !readable {
                assert!(read.is_err(), "{} read as {format}", case.name);
            }
            assert_eq!(Snapshot::take(&path), before, "{} read", case.name);
        }
    }
}

#[test]
fn a_foreign_file_beside_a_journal_is_refused_and_left_alone() {
    for sibling in [".snapshot", ".next", ".snapshot.tmp", ".tmp"] {
        for case in CASES.iter().filter(|c| !c.is_isc) {
            if case.name.contains("another owner") && !is_root() {
                continue;
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("leases.journal");
            let other = dir.path().join(format!("leases.journal{sibling}"));
            (case.make)(&other);
            let before = Snapshot::take(&other);
            let opened = open_store(&path, LeaseFormat::Journal, "test", &mut |_| {}).map(drop);
            assert!(opened.is_err(), "{} at {sibling} accepted", case.name);
            assert_eq!(Snapshot::take(&other), before, "{} at {sibling}", case.name);
        }
    }
}

#[test]
fn a_foreign_file_where_the_isc_store_writes_its_new_file_or_backup_is_left_alone() {
    for case in CASES.iter().filter(|c| !c.is_isc) {
        if case.name.contains("another owner") && !is_root() {
            continue;
        }
        // At PATH.charrua-new: the store refuses to open (it would have to remove it).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dhcpd.leases");
        let new = dir.path().join("dhcpd.leases.charrua-new");
        (case.make)(&new);
        let before = Snapshot::take(&new);
        assert!(IscLeaseFile::open(&path, IscOptions::default(), &mut |_| {}).is_err());
        assert_eq!(
            Snapshot::take(&new),
            before,
            "{} at .charrua-new",
            case.name
        );
        // At PATH~: compactions go on without a backup, and leave it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dhcpd.leases");
        let backup = dir.path().join("dhcpd.leases~");
        (case.make)(&backup);
        let before = Snapshot::take(&backup);
        let options = IscOptions { compact_after: 0 };
        let (mut store, _) = IscLeaseFile::open(&path, options, &mut |_| {}).unwrap();
        for i in 0..20u8 {
            let mut text = String::new();
            text.push_str(&format!("lease 198.18.0.{i} {{\n  binding state active;\n  ends never;\n  hardware ethernet 02:00:00:00:00:{i:02x};\n}}\n"));
            let read = charrua_conf::leases::read("t", text);
            for change in &read.changes {
                store.append(change).unwrap();
            }
            store.commit().unwrap();
        }
        store.finish_compaction().unwrap();
        if let Some(e) = store.take_compaction_error() {
            panic!("{}: {e}", case.name);
        }
        drop(store);
        assert_eq!(Snapshot::take(&backup), before, "{} at PATH~", case.name);
        let mut count = 0;
        read_store(&path, LeaseFormat::Isc, &mut |c| {
            count += usize::from(matches!(c, LeaseChange::Set(_)))
        })
        .unwrap();
        assert!(count >= 20);
    }
}

#[test]
fn an_empty_path_or_a_path_in_a_missing_directory_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let inside = dir.path().to_str().unwrap().to_string();
    for path in ["", "/nonexistent-dir-charrua/leases", &inside, "/"] {
        for format in [LeaseFormat::Auto, LeaseFormat::Journal] {
            assert!(open_store(Path::new(path), format, "test", &mut |_| {}).is_err());
        }
    }
    assert!(
        !Path::new(".lock").exists(),
        "a lock file left in the working directory"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
