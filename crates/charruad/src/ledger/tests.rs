//! Memory never ahead of disk: after every commit, failed or not, the live database equals a
//! fresh replay of the store (offers aside), with syncs failing by injection (EIO) and on a
//! full file system, for both store formats.

use std::net::Ipv4Addr;
use std::path::Path;

use charrua_server::{ClientKey, Config, Lease, LeaseChange, LeaseDb, LeaseState};
use charrua_store::{open_store, read_store, LeaseFormat, LeaseStore, StoreError};
use proptest::prelude::*;

use super::Ledger;

fn config() -> Config {
    Config::builder()
        .subnet("198.18.0.0/24".parse().unwrap(), |s| {
            s.range(
                Ipv4Addr::new(198, 18, 0, 100),
                Ipv4Addr::new(198, 18, 0, 120),
            )
        })
        .build()
        .unwrap()
}

fn lease(slot: u8, client: u8, state: LeaseState, t: u64) -> Lease {
    Lease {
        address: Ipv4Addr::new(198, 18, 0, 100 + slot),
        state,
        client: ClientKey::Hardware {
            htype: 1,
            addr: vec![2, 0, 0, 0, 0, client].into(),
        },
        starts: 1_795_000_000 + t,
        ends: 1_795_000_600 + t,
        hostname: None,
        hardware: None,
    }
}

/// A store whose syncs fail on demand as a disk returning EIO would make them fail: nothing of
/// the batch reaches the real store underneath.
struct Faulty {
    inner: Box<dyn LeaseStore + Send>,
    pending: Vec<LeaseChange>,
    fail: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl LeaseStore for Faulty {
    fn append(&mut self, change: &LeaseChange) -> Result<(), StoreError> {
        self.pending.push(change.clone());
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending);
        if self.fail.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(StoreError::Io {
                path: "injected".into(),
                message: "Input/output error (os error 5)".into(),
            });
        }
        for change in &pending {
            self.inner.append(change)?;
        }
        self.inner.sync()
    }
}

/// Opens the store at `path` in `format` and a ledger over what it replays.
fn ledger(
    path: &Path,
    format: LeaseFormat,
    wrap: impl FnOnce(Box<dyn LeaseStore + Send>) -> Box<dyn LeaseStore + Send>,
) -> Ledger {
    let mut db = LeaseDb::new(&config());
    let opened = open_store(path, format, &mut |c| db.apply(&c)).unwrap();
    Ledger::new(db, wrap(opened.store))
}

/// Asserts that the live database is a fresh replay of `path`, offers aside: an address holds
/// the record replay gives, or an offer made since.
fn assert_live_is_replay(ledger: &Ledger, path: &Path, step: &str) {
    let mut replayed = LeaseDb::new(&config());
    read_store(path, LeaseFormat::Auto, &mut |c| replayed.apply(&c)).unwrap();
    for live in ledger.db().iter() {
        if live.state != LeaseState::Offered {
            assert_eq!(
                replayed.get(live.address),
                Some(live),
                "{step}: memory ahead of disk"
            );
        }
    }
    for durable in replayed.iter() {
        let live = ledger.db().get(durable.address);
        assert!(
            live == Some(durable) || live.is_some_and(|l| l.state == LeaseState::Offered),
            "{step}: {durable:?} on disk, {live:?} in memory"
        );
    }
}

fn change() -> impl Strategy<Value = LeaseChange> {
    let state = prop_oneof![
        Just(LeaseState::Offered),
        Just(LeaseState::Bound),
        Just(LeaseState::Released),
        Just(LeaseState::Expired),
        Just(LeaseState::Declined),
    ];
    prop_oneof![
        5 => (0u8..10, 1u8..6, state, 0u64..1000).prop_map(|(s, c, st, t)| LeaseChange::Set(lease(s, c, st, t))),
        1 => (0u8..10).prop_map(|s| LeaseChange::Remove(Ipv4Addr::new(198, 18, 0, 100 + s))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn after_every_commit_memory_is_a_replay_of_the_store(
        batches in proptest::collection::vec((proptest::collection::vec(change(), 0..8), prop::bool::weighted(0.3)), 1..12),
        isc in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leases");
        let format = if isc { LeaseFormat::Isc } else { LeaseFormat::Journal };
        let fail = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let switch = std::sync::Arc::clone(&fail);
        let mut ledger = ledger(&path, format, |inner| {
            Box::new(Faulty { inner, pending: Vec::new(), fail: switch })
        });
        for (i, (changes, failing)) in batches.iter().enumerate() {
            fail.store(*failing, std::sync::atomic::Ordering::Relaxed);
            ledger.record(changes).unwrap();
            let committed = ledger.commit();
            prop_assert_eq!(committed.is_err(), *failing && changes.iter().any(LeaseChange::is_durable));
            assert_live_is_replay(&ledger, &path, &format!("batch {i} ({format})"));
        }
    }
}

/// A real file system that fills up: the batch that does not fit is undone in memory, and the
/// store goes on once there is space again.
#[test]
fn a_full_file_system_fails_the_batch_and_memory_follows_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
    });
    let fs = root
        .then(|| charrua_store::testing::Tmpfs::mount(dir.path(), "256k"))
        .flatten();
    let Some(fs) = fs else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must run this test"
        );
        eprintln!("SKIP: mounting a tmpfs needs root");
        return;
    };
    for format in [LeaseFormat::Isc, LeaseFormat::Journal] {
        let path = fs.path().join(format!("leases.{format}"));
        let mut ledger = ledger(&path, format, |s| s);
        ledger
            .record(&[LeaseChange::Set(lease(0, 1, LeaseState::Bound, 0))])
            .unwrap();
        ledger.commit().unwrap();
        assert_live_is_replay(&ledger, &path, "before the disk filled");
        let filler = fs.fill(64);
        let mut failed = 0;
        for n in 1..20u8 {
            let batch: Vec<_> = (1..10u8)
                .map(|s| LeaseChange::Set(lease(s, n, LeaseState::Bound, u64::from(n))))
                .collect();
            ledger.record(&batch).unwrap();
            failed += usize::from(ledger.commit().is_err());
            assert_live_is_replay(&ledger, &path, &format!("{format}: full disk, batch {n}"));
        }
        assert!(failed > 0, "{format}: the disk never filled");
        std::fs::remove_file(&filler).unwrap();
        ledger
            .record(&[LeaseChange::Set(lease(5, 9, LeaseState::Bound, 99))])
            .unwrap();
        ledger.commit().unwrap();
        assert_live_is_replay(&ledger, &path, &format!("{format}: space again"));
        drop(ledger);
        let _ = std::fs::remove_file(&path);
    }
}
