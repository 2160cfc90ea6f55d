//! Memory never ahead of disk: with real stores (both formats) under the engine, and commits
//! failing by injection (EIO, `charrua_store::faults`) and on a full file system, after every commit the engine's
//! database equals a fresh replay of the store, offers aside.

mod common;

use std::path::Path;

use charrua_engine::{agrees_with_store, EngineOptions, LogLevel};
use charrua_server::LeaseDb;
use charrua_store::faults::{Faults, FaultyStore};
use charrua_store::{commit_batch, open_store, read_store, LeaseFormat, LeaseStore};
use common::{config, Lab};
use proptest::prelude::*;

fn options() -> EngineOptions {
    EngineOptions {
        log: LogLevel::Off,
        ..EngineOptions::default()
    }
}

/// A lab over the store at `path`, replayed.
fn open(path: &Path, format: LeaseFormat, clients: u8) -> (Lab, Box<dyn LeaseStore + Send>) {
    let mut db = LeaseDb::new(&config());
    let opened = open_store(path, format, "test", &mut |c| db.apply(&c)).unwrap();
    (Lab::with_db(clients, options(), db), opened.store)
}

/// Asserts that the engine's database is a fresh replay of `path`, offers and their ends aside
/// (`agrees_with_store`).
fn assert_live_is_replay(lab: &Lab, path: &Path, step: &str) {
    let mut replayed = LeaseDb::new(&config());
    read_store(path, LeaseFormat::Auto, &mut |c| replayed.apply(&c)).unwrap();
    let live = lab.engine.db();
    let addresses = live.iter().chain(replayed.iter()).map(|l| l.address);
    for address in addresses {
        let (memory, disk) = (live.get(address), replayed.get(address));
        assert!(
            agrees_with_store(memory, disk),
            "{step}: {disk:?} on disk, {memory:?} in memory"
        );
    }
}

/// Runs one step: every client sends what it has, the engine answers, and a due commit runs.
/// Whether a commit ran.
fn step(lab: &mut Lab, store: &mut dyn LeaseStore) -> bool {
    for i in 0..lab.clients.len() {
        lab.send(i);
    }
    lab.replies();
    let Some(batch) = lab.start_commit() else {
        return false;
    };
    lab.land(commit_batch(store, &batch));
    lab.replies();
    true
}

#[derive(Debug, Clone)]
enum Action {
    Wait(u64),
    Release(usize),
    Decline(usize),
}

fn action() -> impl Strategy<Value = (Action, bool)> {
    let action = prop_oneof![
        6 => (1u64..20_000).prop_map(Action::Wait),
        1 => (0usize..6).prop_map(Action::Release),
        1 => (0usize..6).prop_map(Action::Decline),
    ];
    (action, prop::bool::weighted(0.3))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn after_every_commit_memory_is_a_replay_of_the_store(
        actions in proptest::collection::vec(action(), 1..40),
        isc in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leases");
        let format = if isc { LeaseFormat::Isc } else { LeaseFormat::Journal };
        let (mut lab, inner) = open(&path, format, 6);
        // Commits fail as a disk returning EIO makes them fail: nothing of the batch written.
        let mut store = FaultyStore::new(inner, Faults::default());
        for (i, (action, failing)) in actions.iter().enumerate() {
            store.set_faults(Faults { fail: if *failing { 1.0 } else { 0.0 }, ..Faults::default() });
            match action {
                Action::Wait(ms) => lab.advance(*ms),
                Action::Release(c) => lab.clients[*c].release(lab.ms),
                Action::Decline(c) => {
                    lab.clients[*c].decline(lab.ms);
                }
            }
            if step(&mut lab, &mut store) {
                assert_live_is_replay(&lab, &path, &format!("step {i} ({format}, {action:?})"));
            }
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
        let (mut lab, mut store) = open(&path, format, 20);
        lab.advance(1);
        while step(&mut lab, &mut *store) {}
        assert_live_is_replay(&lab, &path, "before the disk filled");
        let filler = fs.fill(64);
        let mut failed = 0;
        for n in 0..40 {
            // Every client gives its lease back and asks again: a batch of writes a step.
            for c in &mut lab.clients {
                c.release(lab.ms);
            }
            lab.advance(1);
            step(&mut lab, &mut *store);
            assert_live_is_replay(&lab, &path, &format!("{format}: full disk, release {n}"));
            lab.clients = (1..=20u8)
                .map(|i| {
                    charrua_client::Client::new(
                        charrua_client::ClientConfig::new([2, 0, 0, 0, n, i], u64::from(i)),
                        lab.ms,
                    )
                })
                .collect();
            for _ in 0..4 {
                lab.advance(5_000);
                let before = lab.engine.counters().dropped("NotDurable");
                step(&mut lab, &mut *store);
                failed += usize::from(lab.engine.counters().dropped("NotDurable") > before);
                assert_live_is_replay(&lab, &path, &format!("{format}: full disk, round {n}"));
            }
        }
        assert!(failed > 0, "{format}: the disk never filled");
        std::fs::remove_file(&filler).unwrap();
        lab.advance(10_000);
        step(&mut lab, &mut *store);
        assert_live_is_replay(&lab, &path, &format!("{format}: space again"));
        drop(store);
        let _ = std::fs::remove_file(&path);
    }
}
