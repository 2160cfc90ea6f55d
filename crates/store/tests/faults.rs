//! Fault injection on a real file system: a tmpfs too small for the journal. A failed write or
//! sync reports the batch as not durable (its replies must not be sent), leaves the journal as
//! it was, and the store works again once there is space.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use charrua_server::{ClientKey, Lease, LeaseChange, LeaseState};
use charrua_store::{GroupCommit, GroupOptions, Journal, JournalOptions, LeaseStore};

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { dir })
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn change(n: u32) -> LeaseChange {
    LeaseChange::Set(Lease {
        address: Ipv4Addr::from(0xc612_0000 + n),
        state: LeaseState::Bound,
        client: ClientKey::ClientId(vec![n as u8; 200].into()),
        starts: u64::from(n),
        ends: u64::from(n) + 60,
        hostname: Some(format!("host-{n}").into()),
        hardware: None,
    })
}

/// Fills the file system until less than `leave` bytes are free; returns the filler.
fn fill(dir: &Path, leave: usize) -> PathBuf {
    let filler = dir.join("filler");
    let mut size = 0usize;
    let chunk = vec![0u8; 1024];
    let mut f = std::fs::File::create(&filler).unwrap();
    use std::io::Write;
    while f.write_all(&chunk).is_ok() {
        size += chunk.len();
        let _ = f.sync_all();
    }
    drop(f);
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len((size.saturating_sub(leave)) as u64);
    filler
}

fn root_tmpfs() -> Option<Tmpfs> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let fs = if is_root { Tmpfs::mount("512k") } else { None };
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
    let Some(fs) = root_tmpfs() else { return };
    let path = fs.path().join("leases.journal");
    let (mut journal, _) = Journal::open(&path, JournalOptions::default(), &mut |_| {}).unwrap();
    journal.append(&change(1)).unwrap();
    journal.sync().unwrap();
    let durable = journal.len();
    let filler = fill(fs.path(), 256);
    for n in 2..40 {
        journal.append(&change(n)).unwrap();
    }
    let err = journal.sync().expect_err("the disk is full");
    assert!(err.to_string().contains("No space left"), "{err}");
    assert_eq!(journal.len(), durable, "nothing of the failed batch counts");
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        durable,
        "the partial write was cut"
    );
    std::fs::remove_file(&filler).unwrap();
    journal.append(&change(50)).unwrap();
    journal.sync().unwrap();
    drop(journal);
    let mut recovered = Vec::new();
    Journal::open(&path, JournalOptions::default(), &mut |c| recovered.push(c)).unwrap();
    assert_eq!(recovered, [change(1), change(50)]);
}

#[test]
fn group_commit_reports_failure_and_keeps_running() {
    let Some(fs) = root_tmpfs() else { return };
    let path = fs.path().join("leases.journal");
    let (journal, _) = Journal::open(&path, JournalOptions::default(), &mut |_| {}).unwrap();
    let group = GroupCommit::start(journal, GroupOptions::default());
    group.commit_and_wait(vec![change(1)]).unwrap();
    let filler = fill(fs.path(), 256);
    let failed = group.commit_and_wait((2..40).map(change).collect());
    assert!(
        failed.is_err(),
        "a batch that did not reach the disk is not reported durable"
    );
    std::fs::remove_file(&filler).unwrap();
    group.commit_and_wait(vec![change(50)]).unwrap();
}
