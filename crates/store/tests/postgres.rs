//! The PostgreSQL store against a real PostgreSQL server (Debian's, started by the test in a
//! directory of its own): two servers sharing one database, its failures and restarts.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use charrua_server::{LeaseChange, LeaseState};
use charrua_store::pg_cluster::Cluster;
use charrua_store::postgres::{db_init, PgOptions, PgStore};
use charrua_store::{Committed, LeaseStore, StoreError};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn open(cluster: &Cluster, name: &str) -> (PgStore, Vec<LeaseChange>) {
    let mut replayed = Vec::new();
    let (store, _) = PgStore::open(
        &cluster.url(),
        PgOptions {
            server: name.into(),
        },
        &mut |c| replayed.push(c),
    )
    .unwrap();
    (store, replayed)
}

/// A binding of slot `slot` to `client` made at `starts` seconds from now, for 600 seconds.
fn binding(slot: u8, client: u8, starts: u64) -> charrua_server::Lease {
    let mut lease = common::lease(slot, client, LeaseState::Bound, 0);
    lease.starts = now() + starts;
    lease.ends = lease.starts + 600;
    lease
}

fn commit(store: &mut PgStore, changes: &[LeaseChange]) -> Result<Committed, StoreError> {
    charrua_store::commit_batch(store, changes)
}

/// Polls `store` until it reports changes by others (at most 10 s).
fn changes_by_others(store: &mut PgStore) -> Vec<LeaseChange> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let changes = store.poll_changes_by_others();
        if !changes.is_empty() || Instant::now() > deadline {
            return changes;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_servers_never_bind_one_address_to_two_clients() {
    let Some(cluster) = Cluster::for_test() else {
        return;
    };
    let (mut a, _) = open(&cluster, "a");
    let (mut b, _) = open(&cluster, "b");
    // A binds slot 1 to client 1; B, not knowing, binds it to client 2 and slot 2 to client 2.
    let first = LeaseChange::Set(binding(1, 1, 0));
    assert_eq!(
        commit(&mut a, std::slice::from_ref(&first)).unwrap(),
        Committed::default()
    );
    let late = [
        LeaseChange::Set(binding(1, 2, 0)),
        LeaseChange::Set(binding(2, 2, 0)),
    ];
    assert_eq!(commit(&mut b, &late).unwrap().rejected, vec![0]);
    // Each hears of the other's writes, and only of those.
    assert_eq!(changes_by_others(&mut b), vec![first.clone()]);
    assert_eq!(changes_by_others(&mut a), vec![late[1].clone()]);
    // Client 1 renews through B: its own request, taken.
    let renewed = LeaseChange::Set(binding(1, 1, 5));
    assert!(commit(&mut b, std::slice::from_ref(&renewed))
        .unwrap()
        .rejected
        .is_empty());
    // A, behind, expires the binding it made: refused, as B renewed it since.
    let LeaseChange::Set(old) = &first else {
        unreachable!()
    };
    let stale = LeaseChange::Set(old.unbound(LeaseState::Expired, old.starts));
    assert_eq!(commit(&mut a, &[stale]).unwrap().rejected, vec![0]);
    assert_eq!(changes_by_others(&mut a), vec![renewed.clone()]);
    // A third server starting now replays what the database holds.
    let (_, replayed) = open(&cluster, "c");
    assert_eq!(replayed.len(), 2);
    assert!(replayed.contains(&renewed));
    assert_eq!(
        cluster
            .sql("SELECT state, server FROM charrua_lease4 ORDER BY address")
            .unwrap(),
        "bound|b\nbound|b"
    );
}

#[test]
fn an_address_changed_twice_in_one_batch_ends_as_the_last_change() {
    let Some(cluster) = Cluster::for_test() else {
        return;
    };
    let (mut a, _) = open(&cluster, "a");
    let bound = binding(3, 4, 0);
    let released = bound.unbound(LeaseState::Released, bound.starts);
    let changes = [
        LeaseChange::Set(bound.clone()),
        LeaseChange::Set(released.clone()),
        LeaseChange::Set(binding(4, 5, 0)),
        LeaseChange::Remove(common::address(4)),
        // A removal of an address without a record is done already.
        LeaseChange::Remove(common::address(9)),
    ];
    assert_eq!(commit(&mut a, &changes).unwrap().rejected, vec![3]);
    let (_, replayed) = open(&cluster, "b");
    assert!(replayed.contains(&LeaseChange::Set(released)));
    assert_eq!(replayed.len(), 2);
}

#[test]
fn no_commit_while_the_database_is_down_and_serving_resumes_by_itself() {
    let Some(mut cluster) = Cluster::for_test() else {
        return;
    };
    let (mut a, _) = open(&cluster, "a");
    let (mut b, _) = open(&cluster, "b");
    commit(&mut a, &[LeaseChange::Set(binding(1, 1, 0))]).unwrap();
    cluster.stop("fast").unwrap();
    for _ in 0..3 {
        let e = commit(&mut a, &[LeaseChange::Set(binding(2, 2, 0))]).unwrap_err();
        assert!(matches!(e, StoreError::Database(_)), "{e}");
    }
    cluster.restart().unwrap();
    // The back-off is at most 5 s; the batch goes in once the connection is back.
    let deadline = Instant::now() + Duration::from_secs(20);
    let committed = loop {
        match commit(&mut a, &[LeaseChange::Set(binding(2, 2, 0))]) {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                eprintln!("{e}");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("not back after the restart: {e}"),
        }
    };
    assert!(committed.rejected.is_empty());
    // B, reconnecting, reads everything again: both leases, whoever wrote them.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while seen.len() < 2 && Instant::now() < deadline {
        seen.extend(b.poll_changes_by_others());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
}

#[test]
fn schema_is_made_once_and_a_newer_one_refused() {
    let Some(cluster) = Cluster::for_test() else {
        return;
    };
    assert_eq!(db_init(&cluster.url()).unwrap(), 1);
    assert_eq!(db_init(&cluster.url()).unwrap(), 1);
    assert_eq!(
        cluster.sql("SELECT count(*) FROM charrua_schema").unwrap(),
        "1"
    );
    cluster
        .sql("INSERT INTO charrua_schema (version) VALUES (99)")
        .unwrap();
    let e = PgStore::open(
        &cluster.url(),
        PgOptions { server: "a".into() },
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("newer than this build"), "{e}");
}

#[test]
fn a_promoted_standby_takes_over_without_a_restart() {
    let Some(mut primary) = Cluster::for_test() else {
        return;
    };
    let standby = primary.standby(true).unwrap();
    let url = charrua_store::pg_cluster::url_of(&[&primary, &standby]);
    let (mut a, _) = PgStore::open(&url, PgOptions { server: "a".into() }, &mut |_| {}).unwrap();
    commit(&mut a, &[LeaseChange::Set(binding(1, 1, 0))]).unwrap();
    primary.stop("immediate").unwrap();
    assert!(commit(&mut a, &[LeaseChange::Set(binding(2, 2, 0))]).is_err());
    standby.promote().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match commit(&mut a, &[LeaseChange::Set(binding(2, 2, 0))]) {
            Ok(c) => {
                assert!(c.rejected.is_empty());
                break;
            }
            Err(e) if Instant::now() < deadline => {
                eprintln!("{e}");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("the standby did not take over: {e}"),
        }
    }
    // The lease acknowledged before the failover is there (the standby was synchronous).
    assert_eq!(
        standby
            .sql("SELECT count(*) FROM charrua_lease4 WHERE state = 'bound'")
            .unwrap(),
        "2"
    );
}

#[test]
fn a_row_changed_by_hand_is_skipped_and_its_binding_still_kept() {
    let Some(cluster) = Cluster::for_test() else {
        return;
    };
    let (mut a, _) = open(&cluster, "a");
    commit(
        &mut a,
        &[
            LeaseChange::Set(binding(1, 1, 0)),
            LeaseChange::Set(binding(2, 2, 0)),
        ],
    )
    .unwrap();
    cluster
        .sql("UPDATE charrua_lease4 SET record = '\\x0102' WHERE address = '198.18.0.101'")
        .unwrap();
    let mut replayed = Vec::new();
    let (mut b, recovery) =
        PgStore::open(&cluster.url(), PgOptions { server: "b".into() }, &mut |c| {
            replayed.push(c)
        })
        .unwrap();
    assert_eq!((recovery.records, recovery.bad_records), (1, 1));
    // B does not know the row's lease, but the database does: another client is refused.
    let taken = [LeaseChange::Set(binding(1, 3, 0))];
    assert_eq!(commit(&mut b, &taken).unwrap().rejected, vec![0]);
}
