//! The ISC dhcpd.leases store: replay equals live, ISC's own file served as written, kept
//! statements, torn tails from every cut, compaction (with blocks appended meanwhile, and at
//! every crash point), and ISC dhcpd's `-T` as the judge of every file written.

use std::path::{Path, PathBuf};

use charrua_server::{Hardware, Lease, LeaseChange, LeaseState};
use charrua_store::{IscLeaseFile, IscOptions, LeaseStore, MAX_TORN};
use proptest::prelude::*;

mod common;
use common::{address, change, fold, lease, State};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn open_with(path: &Path, options: IscOptions) -> (IscLeaseFile, State, charrua_store::Recovery) {
    let mut state = State::new();
    let (store, recovery) =
        IscLeaseFile::open(path, options, &mut |c| fold(&mut state, c)).unwrap();
    (store, state, recovery)
}

fn open(path: &Path) -> (IscLeaseFile, State, charrua_store::Recovery) {
    open_with(path, IscOptions::default())
}

/// `dhcpd -T` on `path` with a configuration whose subnet holds every test address and which
/// declares the classes leases are billed to.
fn dhcpd_accepts(path: &Path) -> Option<Result<usize, String>> {
    charrua_store::testing::dhcpd_test(&testdata("leases/classes.conf"), path)
}

fn path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("dhcpd.leases")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn replay_equals_live_for_any_sequence(batches in proptest::collection::vec(proptest::collection::vec(change(), 0..20), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let mut live = State::new();
        {
            let (mut store, _, _) = open(&path(&dir));
            for batch in &batches {
                for c in batch {
                    store.append(c).unwrap();
                    fold(&mut live, c.clone());
                }
                store.commit().unwrap();
            }
        }
        let (_, replayed, recovery) = open(&path(&dir));
        prop_assert_eq!(replayed, live);
        prop_assert_eq!(recovery.cut_bytes, 0);
    }
}

#[test]
fn a_file_written_by_isc_dhcpd_is_served_and_appended_to_untouched_before() {
    let dir = tempfile::tempdir().unwrap();
    let isc = std::fs::read(testdata("leases/isc-dhclient-udhcpc.leases")).unwrap();
    std::fs::write(path(&dir), &isc).unwrap();
    let (mut store, state, recovery) = open(&path(&dir));
    assert_eq!(recovery.cut_bytes, 0);
    // Opening writes nothing.
    assert_eq!(std::fs::read(path(&dir)).unwrap(), isc);
    let udhcpc = state.get(&address(1)).unwrap();
    assert_eq!(udhcpc.state, LeaseState::Bound);
    assert_eq!(
        udhcpc.hardware,
        Hardware::new(1, &[2, 0, 0, 0xc0, 0xff, 2]),
        "hardware beside the uid"
    );
    // The same client renews: its `set` variable stays; the file grows by one block.
    let renewed = Lease {
        starts: udhcpc.starts + 300,
        ends: udhcpc.ends + 300,
        ..udhcpc.clone()
    };
    store.append(&LeaseChange::Set(renewed.clone())).unwrap();
    store.commit().unwrap();
    let text = std::fs::read_to_string(path(&dir)).unwrap();
    assert!(text.starts_with(std::str::from_utf8(&isc).unwrap()));
    let tail = &text[isc.len()..];
    assert!(
        tail.contains("set vendor-class-identifier = \"udhcp 1.35.0\";")
            && tail.contains("hardware ethernet 02:00:00:c0:ff:02;")
            && tail.contains("uid \"\\001\\002\\000\\000\\000\\300\\377\\002\";"),
        "{tail}"
    );
    drop(store);
    let (_, again, _) = open(&path(&dir));
    assert_eq!(again.get(&renewed.address), Some(&renewed));
    if let Some(verdict) = dhcpd_accepts(&path(&dir)) {
        verdict.unwrap();
    }
    // Another client takes the address: the variables were the old client's.
    let (mut store, _, _) = open(&path(&dir));
    store
        .append(&LeaseChange::Set(lease(1, 4, LeaseState::Bound, 5)))
        .unwrap();
    store.commit().unwrap();
    let text = std::fs::read_to_string(path(&dir)).unwrap();
    let last = &text[text.rfind("lease 198.18.0.101").unwrap()..];
    assert!(!last.contains("vendor-class"), "{last}");
}

#[test]
fn every_cut_of_the_file_keeps_every_whole_block_before_it_and_dhcpd_reads_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let changes: Vec<_> = (1..=6u8)
        .map(|i| LeaseChange::Set(lease(i, i, LeaseState::Bound, u64::from(i))))
        .collect();
    {
        let (mut store, _, _) = open(&path(&dir));
        for c in &changes {
            store.append(c).unwrap();
            store.commit().unwrap();
        }
    }
    let whole = std::fs::read(path(&dir)).unwrap();
    let text = std::str::from_utf8(&whole).unwrap();
    let block_ends: Vec<usize> = text.match_indices("\n}").map(|(i, _)| i + 2).collect();
    let header_end = text.find("\nlease ").unwrap() + 1;
    let mut checked_with_dhcpd = 0;
    for cut in header_end..=whole.len() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path(&dir), &whole[..cut]).unwrap();
        let (store, state, recovery) = open(&path(&dir));
        drop(store);
        let blocks = block_ends.iter().filter(|e| **e <= cut).count();
        assert_eq!(state.len(), blocks, "cut at {cut}");
        let expected_torn = cut - block_ends[..blocks].last().copied().unwrap_or(header_end);
        // What follows the last whole block is torn; whitespace alone is no block at all.
        let torn_text = &text[cut - expected_torn..cut];
        if torn_text.trim().is_empty() {
            assert_eq!(recovery.cut_bytes, 0, "cut at {cut}");
        } else {
            assert_eq!(
                recovery.cut_bytes as usize,
                torn_text.trim_start().len(),
                "cut at {cut}"
            );
            // The torn file was rewritten whole, the original kept as PATH~.
            let backup = std::fs::read(dir.path().join("dhcpd.leases~")).unwrap();
            assert_eq!(backup, &whole[..cut]);
            if cut % 37 == 0 {
                if let Some(verdict) = dhcpd_accepts(&path(&dir)) {
                    verdict.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
                    checked_with_dhcpd += 1;
                }
            }
        }
    }
    eprintln!("{checked_with_dhcpd} rewritten files checked with dhcpd -T");
}

#[test]
fn a_tail_longer_than_a_crash_can_leave_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    charrua_conf::leases::write::block(&mut text, &lease(1, 1, LeaseState::Bound, 1), None);
    text.push_str("lease 198.18.0.102 {\n");
    text.push_str(&"  # junk\n".repeat(MAX_TORN as usize / 9 + 1));
    std::fs::write(path(&dir), &text).unwrap();
    let err = IscLeaseFile::open(&path(&dir), IscOptions::default(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("not a dhcpd.leases"), "{err}");
    assert_eq!(std::fs::read_to_string(path(&dir)).unwrap(), text);
}

#[test]
fn compaction_keeps_every_lease_and_what_dhcpd_keeps_and_backs_the_old_file_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut isc = std::fs::read_to_string(testdata("leases/isc-dhclient-udhcpc.leases")).unwrap();
    isc.push_str("host dynamic-pc {\n  dynamic;\n  hardware ethernet 02:00:00:00:aa:01;\n  fixed-address 198.18.0.9;\n}\n");
    std::fs::write(path(&dir), &isc).unwrap();
    let options = IscOptions { compact_after: 0 };
    let (mut store, mut live, _) = open_with(&path(&dir), options.clone());
    for round in 0..40u64 {
        let change = LeaseChange::Set(lease((round % 5) as u8 + 10, 1, LeaseState::Bound, round));
        store.append(&change).unwrap();
        fold(&mut live, change);
        store.commit().unwrap();
    }
    store.finish_compaction().unwrap();
    assert!(store.take_compaction_error().is_none());
    drop(store);
    let text = std::fs::read_to_string(path(&dir)).unwrap();
    assert!(text.contains("written by charrua"), "{text}");
    assert!(
        text.contains("host dynamic-pc {"),
        "OMAPI host kept: {text}"
    );
    assert!(text.contains("set vendor-class-identifier"), "{text}");
    assert!(dir.path().join("dhcpd.leases~").exists());
    assert!(!dir.path().join("dhcpd.leases.charrua-new").exists());
    let (_, replayed, _) = open(&path(&dir));
    assert_eq!(replayed, live);
    if let Some(verdict) = dhcpd_accepts(&path(&dir)) {
        verdict.unwrap();
    }
}

#[test]
fn a_compaction_interrupted_at_any_step_recovers_the_same_leases() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _, _) = open(&path(&dir));
    for i in 1..=5u8 {
        store
            .append(&LeaseChange::Set(lease(i, i, LeaseState::Bound, 1)))
            .unwrap();
    }
    store.commit().unwrap();
    drop(store);
    let (_, expected, _) = open(&path(&dir));
    let old = std::fs::read(path(&dir)).unwrap();
    let mut compacted = String::new();
    charrua_conf::leases::write::header(&mut compacted);
    for lease in expected.values() {
        charrua_conf::leases::write::block(&mut compacted, lease, None);
    }
    let new = dir.path().join("dhcpd.leases.charrua-new");
    let backup = dir.path().join("dhcpd.leases~");
    // The steps of an installation: new file partly written, written, backup linked, renamed.
    type Step<'a> = (&'a [u8], Option<&'a [u8]>, bool);
    let steps: [Step<'_>; 4] = [
        (&old, Some(&compacted.as_bytes()[..40]), false),
        (&old, Some(compacted.as_bytes()), false),
        (&old, Some(compacted.as_bytes()), true),
        (compacted.as_bytes(), None, true),
    ];
    for (at_path, at_new, backed_up) in steps {
        std::fs::write(path(&dir), at_path).unwrap();
        let _ = std::fs::remove_file(&new);
        let _ = std::fs::remove_file(&backup);
        if let Some(bytes) = at_new {
            std::fs::write(&new, bytes).unwrap();
        }
        if backed_up {
            std::fs::write(&backup, &old).unwrap();
        }
        let (_, state, _) = open(&path(&dir));
        assert_eq!(state, expected);
        assert!(
            !new.exists(),
            "the leftover new file is charrua's and removed"
        );
    }
}
