//! The journal: replay equals live, torn and corrupt files recover every record before the
//! damage, one writer, file modes, compaction at every crash point.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use charrua_server::{ClientKey, LeaseChange, LeaseState};
use charrua_store::{identify, record, Journal, JournalOptions, LeaseStore, StoreError};
use proptest::prelude::*;

mod common;
use common::{address, change, fold, lease, State};

fn open(path: &Path) -> (Journal, State, charrua_store::Recovery) {
    let mut state = State::new();
    let (journal, recovery) = Journal::open(path, JournalOptions::default(), &mut |c| {
        fold(&mut state, c)
    })
    .unwrap();
    (journal, state, recovery)
}

fn path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("leases.journal")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn replay_equals_live_for_any_sequence(batches in proptest::collection::vec(proptest::collection::vec(change(), 0..20), 1..10)) {
        let dir = tempfile::tempdir().unwrap();
        let mut live = State::new();
        {
            let (mut journal, _, _) = open(&path(&dir));
            for batch in &batches {
                for c in batch {
                    journal.append(c).unwrap();
                    fold(&mut live, c.clone());
                }
                journal.commit().unwrap();
            }
        }
        let (_, replayed, recovery) = open(&path(&dir));
        prop_assert_eq!(replayed, live);
        prop_assert_eq!(recovery.bad_records, 0);
    }

    #[test]
    fn any_truncation_keeps_every_whole_record_before_it(n in 1usize..30, cut_at in any::<prop::sample::Index>()) {
        let dir = tempfile::tempdir().unwrap();
        let changes: Vec<_> = (0..n).map(|i| LeaseChange::Set(lease(i as u8, 1, LeaseState::Bound, i as u64))).collect();
        let mut ends = Vec::new();
        let mut bytes = identify::header().to_vec();
        for c in &changes {
            record::encode(c, &mut bytes).unwrap();
            ends.push(bytes.len());
        }
        let cut = identify::HEADER_LEN + cut_at.index(bytes.len() + 1 - identify::HEADER_LEN);
        std::fs::write(path(&dir), &bytes[..cut]).unwrap();
        let (_, state, recovery) = open(&path(&dir));
        let whole = ends.iter().filter(|e| **e <= cut).count();
        prop_assert_eq!(state.len(), whole);
        prop_assert_eq!(recovery.cut_bytes as usize, cut - ends.get(whole.wrapping_sub(1)).copied().unwrap_or(identify::HEADER_LEN).min(cut));
        prop_assert_eq!(std::fs::metadata(path(&dir)).unwrap().len() as usize, cut - recovery.cut_bytes as usize);
    }

    #[test]
    fn any_bit_flip_keeps_every_record_before_it(n in 2usize..30, flip in any::<prop::sample::Index>(), bit in 0u8..8) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = identify::header().to_vec();
        let mut starts = Vec::new();
        for i in 0..n {
            starts.push(bytes.len());
            record::encode(&LeaseChange::Set(lease(i as u8, 1, LeaseState::Bound, i as u64)), &mut bytes).unwrap();
        }
        let at = identify::HEADER_LEN + flip.index(bytes.len() - identify::HEADER_LEN);
        bytes[at] ^= 1 << bit;
        std::fs::write(path(&dir), &bytes).unwrap();
        let damaged = starts.iter().rposition(|s| *s <= at).unwrap();
        let mut state = State::new();
        let result = Journal::open(&path(&dir), JournalOptions::default(), &mut |c| fold(&mut state, c));
        prop_assert!(result.is_ok());
        for i in 0..damaged {
            prop_assert!(state.contains_key(&address(i as u8)), "record {} before the flip at {} lost", i, at);
        }
        prop_assert!(!state.contains_key(&address(damaged as u8)) || state.len() == n);
    }
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_first, _, _) = open(&path(&dir));
    let err = Journal::open(&path(&dir), JournalOptions::default(), &mut |_| {}).unwrap_err();
    assert!(matches!(err, StoreError::Locked(_)), "{err}");
    assert!(err.to_string().contains("in use by another process"));
}

#[test]
fn files_are_private_to_their_owner() {
    let dir = tempfile::tempdir().unwrap();
    let (mut journal, _, _) = open(&path(&dir));
    journal
        .append(&LeaseChange::Set(lease(1, 1, LeaseState::Bound, 1)))
        .unwrap();
    journal.commit().unwrap();
    journal.compact().unwrap();
    journal.finish_compaction().unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", entry.path().display());
    }
}

#[test]
fn compaction_keeps_every_lease_and_shrinks_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut live = State::new();
    {
        let (mut journal, _, _) = open(&path(&dir));
        for round in 0..50u64 {
            for slot in 0..20u8 {
                let c = LeaseChange::Set(lease(slot, (round % 5) as u8, LeaseState::Bound, round));
                journal.append(&c).unwrap();
                fold(&mut live, c);
            }
            journal.commit().unwrap();
            if round == 30 {
                journal.compact().unwrap();
            }
        }
        journal.finish_compaction().unwrap();
    }
    let snapshot = std::fs::metadata(dir.path().join("leases.journal.snapshot"))
        .unwrap()
        .len();
    assert!(snapshot > 0);
    assert!(!dir.path().join("leases.journal.next").exists());
    let (_, state, _) = open(&path(&dir));
    assert_eq!(state, live);
}

/// Every crash point of a compaction: the files as they are after each durable step.
#[test]
fn an_interrupted_compaction_recovers_the_same_leases() {
    let encode = |changes: &[LeaseChange]| {
        let mut out = identify::header().to_vec();
        changes
            .iter()
            .for_each(|c| record::encode(c, &mut out).unwrap());
        out
    };
    let s0 = vec![
        LeaseChange::Set(lease(1, 1, LeaseState::Bound, 1)),
        LeaseChange::Set(lease(2, 2, LeaseState::Bound, 1)),
    ];
    let j = vec![
        LeaseChange::Set(lease(2, 3, LeaseState::Bound, 2)),
        LeaseChange::Remove(address(1)),
    ];
    let j2 = vec![LeaseChange::Set(lease(3, 4, LeaseState::Bound, 3))];
    let mut expected = State::new();
    s0.iter()
        .chain(&j)
        .chain(&j2)
        .for_each(|c| fold(&mut expected, c.clone()));
    let mut s1 = State::new();
    s0.iter().chain(&j).for_each(|c| fold(&mut s1, c.clone()));
    let s1: Vec<_> = s1.into_values().map(LeaseChange::Set).collect();
    // (snapshot, journal, next) after each step: rotated; snapshot renamed; next renamed.
    type Files<'a> = (
        &'a [LeaseChange],
        &'a [LeaseChange],
        Option<&'a [LeaseChange]>,
    );
    let states: [Files<'_>; 3] = [(&s0, &j, Some(&j2)), (&s1, &j, Some(&j2)), (&s1, &j2, None)];
    for (snapshot, journal, next) in states {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("leases.journal.snapshot"), encode(snapshot)).unwrap();
        std::fs::write(path(&dir), encode(journal)).unwrap();
        if let Some(next) = next {
            std::fs::write(dir.path().join("leases.journal.next"), encode(next)).unwrap();
        }
        let (mut journal, state, _) = open(&path(&dir));
        assert_eq!(state, expected);
        // And the store keeps working from there.
        journal
            .append(&LeaseChange::Set(lease(4, 5, LeaseState::Bound, 4)))
            .unwrap();
        journal.commit().unwrap();
        drop(journal);
        let (_, again, _) = open(&path(&dir));
        assert_eq!(again.len(), expected.len() + 1);
        assert!(!dir.path().join("leases.journal.next").exists());
    }
}

#[test]
fn changes_the_reader_would_refuse_are_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let (mut journal, _, _) = open(&path(&dir));
    let mut long = lease(1, 1, LeaseState::Bound, 1);
    long.client = ClientKey::ClientId(vec![7; 300].into());
    assert!(matches!(
        journal.append(&LeaseChange::Set(long)),
        Err(StoreError::Unwritable(_))
    ));
    journal.commit().unwrap();
    assert!(journal.is_empty());
}

#[test]
fn preallocated_zeros_are_not_a_torn_tail_but_a_torn_record_in_them_is() {
    let dir = tempfile::tempdir().unwrap();
    let changes: Vec<_> = (1..=3u8)
        .map(|i| LeaseChange::Set(lease(i, i, LeaseState::Bound, u64::from(i))))
        .collect();
    let mut bytes = identify::header().to_vec();
    {
        let (mut journal, _, _) = open(&path(&dir));
        for c in &changes {
            journal.append(c).unwrap();
            record::encode(c, &mut bytes).unwrap();
        }
        journal.commit().unwrap();
        assert_eq!(journal.len(), bytes.len() as u64);
    }
    let on_disk = std::fs::read(path(&dir)).unwrap();
    assert!(on_disk.len() > bytes.len(), "space is preallocated");
    assert_eq!(&on_disk[..bytes.len()], &bytes[..]);
    assert!(on_disk[bytes.len()..].iter().all(|&b| b == 0));
    // Reopening replays the records and reports no torn bytes for the zeros.
    let (journal, state, recovery) = open(&path(&dir));
    assert_eq!((state.len(), recovery.cut_bytes), (3, 0));
    drop(journal);
    // Half a record written into the zeros (a crash mid-write) is a torn tail: cut, counted.
    let mut torn = bytes.clone();
    record::encode(
        &LeaseChange::Set(lease(9, 9, LeaseState::Bound, 9)),
        &mut torn,
    )
    .unwrap();
    let half = bytes.len() + (torn.len() - bytes.len()) / 2;
    let mut file = on_disk.clone();
    file[bytes.len()..half].copy_from_slice(&torn[bytes.len()..half]);
    std::fs::write(path(&dir), &file).unwrap();
    let (_, state, recovery) = open(&path(&dir));
    assert_eq!(state.len(), 3);
    assert_eq!(recovery.cut_bytes, (file.len() - bytes.len()) as u64);
}
