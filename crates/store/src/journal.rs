//! The embedded journal: append-only records, made durable by one `fdatasync` for many
//! changes; recovery from snapshot and journal with torn tails cut; compaction on a thread of
//! its own that never leaves a state in which a crash loses an acknowledged change.
//!
//! Files, all 0600, beside the `-lf PATH` the daemon is given:
//! - `PATH`: the journal being written (or the previous one during a compaction);
//! - `PATH.next`: the journal being written while a compaction runs;
//! - `PATH.snapshot`: the live leases as of the last compaction (same record format);
//! - `PATH.snapshot.tmp`: a snapshot being written;
//! - `PATH.lock`: held with an exclusive lock by the one writer (rule D11).
//!
//! Recovery replays `PATH.snapshot`, then `PATH`, then `PATH.next`. Records are whole-lease
//! upserts and removals, so replaying a journal already folded into the snapshot again gives
//! the same state: every crash point of a compaction recovers the same leases.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::Ipv4Addr;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use charrua_server::{Lease, LeaseChange};

use crate::record::{self, RecordError};
use crate::{LeaseStore, StoreError};

/// Tunables of a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalOptions {
    /// How many bad records recovery skips (counting them) before it refuses the store (D9).
    pub max_bad_records: usize,
    /// Journal size in bytes past which a compaction starts.
    pub compact_after: u64,
}

impl Default for JournalOptions {
    fn default() -> Self {
        Self {
            max_bad_records: 100,
            compact_after: 64 << 20,
        }
    }
}

/// What recovery found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Records replayed.
    pub records: u64,
    /// Corrupt records skipped.
    pub bad_records: usize,
    /// Bytes of torn tail cut from the live journal.
    pub cut_bytes: u64,
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn io(path: &Path, error: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

fn open_rw(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| io(path, e))
}

fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, e))
}

/// Reads every record of `path` (absent is empty) into `apply`. Returns the length of the valid
/// prefix and the bad records skipped: a bad record followed by a valid one is skipped and
/// counted; a bad record with nothing valid after it is a torn tail and ends the file.
fn replay(
    path: &Path,
    apply: &mut dyn FnMut(LeaseChange),
    recovery: &mut Recovery,
    max_bad: usize,
) -> Result<u64, StoreError> {
    let mut data = Vec::new();
    match File::open(path) {
        Ok(mut f) => f.read_to_end(&mut data).map_err(|e| io(path, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(path, e)),
    };
    let mut pos = 0usize;
    let mut valid_end = 0usize;
    while pos < data.len() {
        let rest = data.get(pos..).unwrap_or_default();
        match record::decode(rest) {
            Ok((change, used)) => {
                apply(change);
                recovery.records += 1;
                pos += used;
                valid_end = pos;
            }
            Err(error) => {
                // Skip the record if its length is plausible and a valid record follows it.
                let skip = match error {
                    RecordError::BadChecksum | RecordError::Malformed => {
                        let len = rest
                            .get(..4)
                            .and_then(|l| l.try_into().ok())
                            .map(u32::from_le_bytes)
                            .unwrap_or(0) as usize;
                        let next = pos + record::HEADER_LEN + len;
                        data.get(next..)
                            .filter(|n| !n.is_empty() && record::decode(n).is_ok())
                            .map(|_| next)
                    }
                    _ => None,
                };
                match skip {
                    Some(next) if recovery.bad_records < max_bad => {
                        recovery.bad_records += 1;
                        pos = next;
                    }
                    Some(_) => {
                        return Err(StoreError::TooManyBadRecords {
                            path: path.to_path_buf(),
                            count: recovery.bad_records + 1,
                        })
                    }
                    None => break,
                }
            }
        }
    }
    Ok(valid_end as u64)
}

/// Cuts `path` back to its valid prefix of `valid_len` bytes, durably. A tail of zeros is the
/// space preallocated by the last run; anything else is a torn tail, counted.
fn cut(path: &Path, valid_len: u64, recovery: &mut Recovery) -> Result<(), StoreError> {
    let mut file = open_rw(path)?;
    let on_disk = file.metadata().map_err(|e| io(path, e))?.len();
    if on_disk > valid_len {
        let mut tail = Vec::new();
        file.seek(SeekFrom::Start(valid_len))
            .and_then(|_| file.read_to_end(&mut tail))
            .map_err(|e| io(path, e))?;
        if tail.iter().any(|&b| b != 0) {
            recovery.cut_bytes += on_disk - valid_len;
        }
        file.set_len(valid_len).map_err(|e| io(path, e))?;
        file.sync_data().map_err(|e| io(path, e))?;
    }
    Ok(())
}

/// Bytes of zeros written ahead of the records at a time. A sync that does not change the
/// file's size does not write the inode: one device write (and flush) per sync instead of two.
const PREALLOCATE: u64 = 4 << 20;

/// The embedded journal store.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    options: JournalOptions,
    /// The file being appended to (`PATH`, or `PATH.next` during a compaction).
    file: File,
    file_path: PathBuf,
    /// Bytes of `file` known durable; a failed write is cut back to here.
    durable_len: u64,
    /// Length of `file` known to hold zeros past `durable_len` (space preallocated for
    /// records); never less than `durable_len`.
    allocated: u64,
    /// Records appended but not yet written.
    buffer: Vec<u8>,
    compaction: Option<JoinHandle<Result<(), StoreError>>>,
    _lock: File,
}

impl Journal {
    /// Opens (creating if needed) the store at `path`, takes its lock, and replays snapshot and
    /// journals into `apply`. A torn tail of the live journal is cut.
    pub fn open(
        path: &Path,
        options: JournalOptions,
        apply: &mut dyn FnMut(LeaseChange),
    ) -> Result<(Self, Recovery), StoreError> {
        let lock_path = sibling(path, ".lock");
        let lock = open_rw(&lock_path)?;
        lock.try_lock()
            .map_err(|_| StoreError::Locked(lock_path.clone()))?;
        let mut recovery = Recovery::default();
        let snapshot = sibling(path, ".snapshot");
        let next = sibling(path, ".next");
        replay(&snapshot, apply, &mut recovery, options.max_bad_records)?;
        let main_len = replay(path, apply, &mut recovery, options.max_bad_records)?;
        let next_len = replay(&next, apply, &mut recovery, options.max_bad_records)?;
        // A compaction that did not finish: cut the torn tail of the journal it was writing,
        // then finish it here (fold snapshot and old journal, rename PATH.next over PATH).
        let valid_len = if next.exists() {
            cut(&next, next_len, &mut recovery)?;
            write_snapshot(path, &next, options.max_bad_records)?;
            next_len
        } else {
            cut(path, main_len, &mut recovery)?;
            main_len
        };
        let file_path = path.to_path_buf();
        let file = open_rw(&file_path)?;
        sync_dir(path)?;
        let journal = Self {
            path: path.to_path_buf(),
            options,
            file,
            file_path,
            durable_len: valid_len,
            allocated: valid_len,
            buffer: Vec::new(),
            compaction: None,
            _lock: lock,
        };
        Ok((journal, recovery))
    }

    /// Replays the store at `path` into `apply` without taking the lock or changing any file
    /// (for listing leases while no daemon runs, or for a look at a running one's files).
    pub fn read_only(
        path: &Path,
        options: &JournalOptions,
        apply: &mut dyn FnMut(LeaseChange),
    ) -> Result<Recovery, StoreError> {
        let mut recovery = Recovery::default();
        for file in [
            sibling(path, ".snapshot"),
            path.to_path_buf(),
            sibling(path, ".next"),
        ] {
            replay(&file, apply, &mut recovery, options.max_bad_records)?;
        }
        Ok(recovery)
    }

    /// Bytes of the journal being written.
    pub fn len(&self) -> u64 {
        self.durable_len
    }

    /// Whether nothing has been written to the current journal.
    pub fn is_empty(&self) -> bool {
        self.durable_len == 0
    }

    /// Waits for a running compaction and returns its result.
    pub fn finish_compaction(&mut self) -> Result<(), StoreError> {
        match self.compaction.take() {
            Some(handle) => handle.join().map_err(|_| StoreError::CompactionPanicked)?,
            None => Ok(()),
        }
    }

    /// Starts a compaction: the live journal moves to `PATH.next`, and a thread folds snapshot and
    /// old journal into a new snapshot, then renames `PATH.next` over `PATH`.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        if self.compaction.as_ref().is_some_and(|h| !h.is_finished()) {
            return Ok(());
        }
        self.finish_compaction()?;
        self.sync()?;
        let next = sibling(&self.path, ".next");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&next)
            .map_err(|e| io(&next, e))?;
        sync_dir(&self.path)?;
        self.file = file;
        self.file_path = next.clone();
        self.durable_len = 0;
        self.allocated = 0;
        let path = self.path.clone();
        let max_bad = self.options.max_bad_records;
        self.compaction = Some(std::thread::spawn(move || {
            write_snapshot(&path, &next, max_bad)
        }));
        Ok(())
    }
}

/// The compaction thread: snapshot + old journal -> new snapshot; then the new journal takes
/// the journal's name. Each step is durable before the next.
fn write_snapshot(path: &Path, next: &Path, max_bad: usize) -> Result<(), StoreError> {
    let snapshot = sibling(path, ".snapshot");
    let tmp = sibling(path, ".snapshot.tmp");
    let mut live: BTreeMap<Ipv4Addr, Lease> = BTreeMap::new();
    let mut fold = |change: LeaseChange| match change {
        LeaseChange::Set(lease) => {
            live.insert(lease.address, lease);
        }
        LeaseChange::Remove(addr) => {
            live.remove(&addr);
        }
    };
    let mut recovery = Recovery::default();
    replay(&snapshot, &mut fold, &mut recovery, max_bad)?;
    replay(path, &mut fold, &mut recovery, max_bad)?;
    let mut out = Vec::with_capacity(live.len() * 48);
    for lease in live.into_values() {
        let change = LeaseChange::Set(lease);
        if change.is_durable() {
            record::encode(&change, &mut out).map_err(StoreError::Unwritable)?;
        }
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| io(&tmp, e))?;
    file.write_all(&out).map_err(|e| io(&tmp, e))?;
    file.sync_all().map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, &snapshot).map_err(|e| io(&snapshot, e))?;
    sync_dir(path)?;
    std::fs::rename(next, path).map_err(|e| io(path, e))?;
    sync_dir(path)
}

impl Journal {
    /// Makes sure zeros follow the durable records for at least the pending ones, writing the
    /// next [`PREALLOCATE`] bytes when they do not (made durable by the sync that follows).
    /// Without room for them (a full disk), the records are written by extending the file.
    fn preallocate(&mut self) {
        let needed = self.durable_len + self.buffer.len() as u64;
        if needed <= self.allocated {
            return;
        }
        // Zeros go only past every durable byte, never over one.
        let from = self.allocated.max(self.durable_len);
        let target = needed.div_ceil(PREALLOCATE) * PREALLOCATE;
        let zeros = [0u8; 64 << 10];
        let mut written = Ok(());
        let mut at = from;
        while at < target && written.is_ok() {
            let len = usize::try_from(target - at).map_or(zeros.len(), |l| l.min(zeros.len()));
            written = self
                .file
                .write_all_at(zeros.get(..len).unwrap_or_default(), at);
            at += len as u64;
        }
        match written {
            Ok(()) => self.allocated = target,
            Err(_) => {
                // Give back what was written; the records extend the file instead.
                let _ = self.file.set_len(self.durable_len);
                self.allocated = self.durable_len;
            }
        }
    }
}

impl LeaseStore for Journal {
    fn append(&mut self, change: &LeaseChange) -> Result<(), StoreError> {
        if change.is_durable() {
            record::encode(change, &mut self.buffer).map_err(StoreError::Unwritable)?;
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let path = self.file_path.clone();
        self.preallocate();
        let result = self
            .file
            .write_all_at(&self.buffer, self.durable_len)
            .and_then(|()| self.file.sync_data());
        match result {
            Ok(()) => {
                self.durable_len += self.buffer.len() as u64;
                self.allocated = self.allocated.max(self.durable_len);
                self.buffer.clear();
                if self.durable_len > self.options.compact_after {
                    self.compact()?;
                }
                Ok(())
            }
            Err(e) => {
                // Nothing of the batch is durable: cut whatever part reached the file and drop
                // it, so the file holds exactly what was reported durable. The caller sends none
                // of the batch's replies; the next sync starts clean.
                let _ = self.file.set_len(self.durable_len);
                self.allocated = self.durable_len;
                self.buffer.clear();
                Err(io(&path, e))
            }
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let _ = self.finish_compaction();
    }
}
