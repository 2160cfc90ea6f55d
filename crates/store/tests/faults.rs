//! Fault injection on a real file system: a tmpfs too small for the journal. A failed write or
//! sync reports the batch as not durable (its replies must not be sent), leaves the journal as
//! it was, and the store works again once there is space.

use std::net::Ipv4Addr;
use std::process::Command;

use charrua_server::{ClientKey, Lease, LeaseChange, LeaseState};
use charrua_store::testing::Tmpfs;
use charrua_store::{GroupCommit, GroupOptions, Journal, JournalOptions, LeaseStore};

fn change(n: u32) -> LeaseChange {
    LeaseChange::Set(Lease {
        address: Ipv4Addr::from(0xc612_0000 + n),
        state: LeaseState::Bound,
        client: ClientKey::ClientId(vec![n as u8; 200].into()),
        starts: u64::from(n),
        ends: u64::from(n) + 60,
        hostname: Some(format!("host-{n}").into()),
        hardware: None,
        variables: Vec::new(),
        billing: None,
        agent_options: None,
    })
}

fn root_tmpfs(dir: &tempfile::TempDir) -> Option<Tmpfs> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let fs = if is_root {
        Tmpfs::mount(dir.path(), "512k")
    } else {
        None
    };
    if fs.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must run the fault-injection test"
        );
        eprintln!("SKIP: mounting a tmpfs needs root");
    }
    fs
}

#[test]
fn a_full_disk_fails_the_batch_and_the_store_recovers_with_space() {
    let dir = tempfile::tempdir().unwrap();
    let Some(fs) = root_tmpfs(&dir) else { return };
    let path = fs.path().join("leases.journal");
    let (mut journal, _) = Journal::open(&path, JournalOptions::default(), &mut |_| {}).unwrap();
    journal.append(&change(1)).unwrap();
    journal.commit().unwrap();
    let durable = journal.len();
    let filler = fs.fill(256);
    for n in 2..40 {
        journal.append(&change(n)).unwrap();
    }
    let err = journal.commit().expect_err("the disk is full");
    assert!(err.to_string().contains("No space left"), "{err}");
    assert_eq!(journal.len(), durable, "nothing of the failed batch counts");
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        durable,
        "the partial write was cut"
    );
    std::fs::remove_file(&filler).unwrap();
    journal.append(&change(50)).unwrap();
    journal.commit().unwrap();
    drop(journal);
    let mut recovered = Vec::new();
    Journal::open(&path, JournalOptions::default(), &mut |c| recovered.push(c)).unwrap();
    assert_eq!(recovered, [change(1), change(50)]);
}

#[test]
fn group_commit_reports_failure_and_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    let Some(fs) = root_tmpfs(&dir) else { return };
    let path = fs.path().join("leases.journal");
    let (journal, _) = Journal::open(&path, JournalOptions::default(), &mut |_| {}).unwrap();
    let group = GroupCommit::start(journal, GroupOptions::default());
    group.commit_and_wait(vec![change(1)]).unwrap();
    let filler = fs.fill(256);
    let failed = group.commit_and_wait((2..40).map(change).collect());
    assert!(
        failed.is_err(),
        "a batch that did not reach the disk is not reported durable"
    );
    std::fs::remove_file(&filler).unwrap();
    group.commit_and_wait(vec![change(50)]).unwrap();
}
