//! The embedded journal: append-only records, made durable by one `fdatasync` for many
//! changes; recovery from snapshot and journal with torn tails cut; compaction on a thread of
//! its own that never leaves a state in which a crash loses an acknowledged change.
//!
//! Files, all 0600, beside the `-lf PATH` the daemon is given:
//! - `PATH`: the journal being written (or the previous one during a compaction);
//! - `PATH.next`: the journal being written while a compaction runs;
//! - `PATH.snapshot`: the live leases as of the last compaction (same record format);
//! - `PATH.snapshot.tmp`, `PATH.tmp`: a snapshot or a new journal file being written;
//! - `PATH.lock`: held with an exclusive lock by the one writer (rule D11).
//!
//! Every file but the lock starts with the header of [`crate::identify`] (magic, format version,
//! checksum) and is created whole under a temporary name, then renamed into place, so a file
//! at a journal path without that header was not written by charrua and is never changed. A
//! crash can leave at most [`MAX_TORN`] bytes after the last valid record (a sync writes and
//! syncs at most [`MAX_WRITE`] bytes at a time); recovery cuts no more than that, and refuses a
//! file with more.
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

use crate::identify::{self, Found};
use crate::record::{self, RecordError};
use crate::{Committed, LeaseStore, StoreError};

/// The most bytes one write of a sync puts in the file before its `fdatasync`.
pub const MAX_WRITE: usize = 1 << 20;
/// The most bytes other than zeros a crash can leave after the last valid record: a write of
/// [`MAX_WRITE`] bytes after a record cut short.
pub const MAX_TORN: u64 = (MAX_WRITE + record::HEADER_LEN + record::MAX_PAYLOAD) as u64;

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

pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

pub(crate) fn io(path: &Path, error: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

pub(crate) fn open_rw(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| io(path, e))
}

pub(crate) fn sync_dir(path: &Path) -> Result<(), StoreError> {
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
    replay_bytes(path, &data, apply, recovery, max_bad)
}

/// [`replay`] of `data`, the content of the journal file `path`.
pub(crate) fn replay_bytes(
    path: &Path,
    data: &[u8],
    apply: &mut dyn FnMut(LeaseChange),
    recovery: &mut Recovery,
    max_bad: usize,
) -> Result<u64, StoreError> {
    if data.get(..identify::HEADER_LEN) != Some(identify::header().as_slice()) {
        return Err(refused(path, identify::classify(data)));
    }
    let mut pos = identify::HEADER_LEN;
    let mut valid_end = pos;
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

/// Takes `PATH.lock` for the one writer of the store at `path` (rule D11). A process forked by
/// another thread holds a copy of a closed lock's descriptor until it executes its program, so
/// a lock that looks held is tried again for up to 100 ms before the store counts as in use.
pub(crate) fn lock(path: &Path) -> Result<File, StoreError> {
    let lock_path = sibling(path, ".lock");
    let lock = open_rw(&lock_path)?;
    for _ in 0..50 {
        if lock.try_lock().is_ok() {
            return Ok(lock);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    Err(StoreError::Locked(lock_path))
}

/// The refusal of a file at a journal path that is not a journal this build reads.
pub(crate) fn refused(path: &Path, found: Found) -> StoreError {
    let advice = match found {
        Found::Text => "if it is an ISC dhcpd.leases, use --lease-format isc (or auto)",
        Found::Empty => "charrua never leaves an empty journal; remove it to start a new one",
        _ => "give -lf a new path, or move the file away",
    };
    StoreError::Refused {
        path: path.to_path_buf(),
        found: found.to_string(),
        advice: advice.into(),
    }
}

/// Refuses `path` unless it is absent or a journal of this version, without changing it.
pub(crate) fn check_journal(path: &Path, may_be_missing: bool) -> Result<(), StoreError> {
    match identify::identify(path).map_err(|e| io(path, e))? {
        Found::Journal => {}
        Found::Missing if may_be_missing => {}
        found => return Err(refused(path, found)),
    }
    identify::check_writable(path)
}

/// Removes `path` if it is what a crash leaves of a file charrua was writing under a temporary
/// name (nothing, part of a header, or a file starting with one); refuses anything else.
pub(crate) fn remove_leftover(path: &Path) -> Result<(), StoreError> {
    let found = identify::identify(path).map_err(|e| io(path, e))?;
    let ours = match found {
        Found::Missing => return Ok(()),
        Found::Empty | Found::Journal => true,
        _ => std::fs::read(path).is_ok_and(|b| identify::is_header_prefix(&b)),
    };
    if !ours {
        return Err(refused(path, found));
    }
    std::fs::remove_file(path).map_err(|e| io(path, e))
}

/// Creates the journal file `path` holding only the header: written whole under `PATH.tmp`,
/// synced, renamed into place, directory synced. A crash leaves `path` absent or complete.
fn create(path: &Path) -> Result<(), StoreError> {
    let tmp = sibling(path, ".tmp");
    remove_leftover(&tmp)?;
    write_new(&tmp, &identify::header())?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))?;
    sync_dir(path)
}

/// Writes `bytes` to the new file `path` (which must not exist) and syncs it.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io(path, e))
}

/// Cuts `path` back to its valid prefix of `valid_len` bytes, durably. A tail of zeros is the
/// space preallocated by the last run; anything else is a torn tail, counted, and cut only if
/// it is no longer than a crash can leave ([`MAX_TORN`]).
fn cut(path: &Path, valid_len: u64, recovery: &mut Recovery) -> Result<(), StoreError> {
    let mut file = open_rw(path)?;
    let on_disk = file.metadata().map_err(|e| io(path, e))?.len();
    if on_disk > valid_len {
        let mut tail = Vec::new();
        file.seek(SeekFrom::Start(valid_len))
            .and_then(|_| file.read_to_end(&mut tail))
            .map_err(|e| io(path, e))?;
        if let Some(last) = tail.iter().rposition(|&b| b != 0) {
            let torn = last as u64 + 1;
            if torn > MAX_TORN {
                return Err(StoreError::TailTooLong {
                    path: path.to_path_buf(),
                    bytes: torn,
                    bound: MAX_TORN,
                });
            }
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
    /// The error of the last compaction, until taken.
    compaction_error: Option<StoreError>,
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
        check_journal(path, true)?;
        let snapshot = sibling(path, ".snapshot");
        let next = sibling(path, ".next");
        check_journal(&snapshot, true)?;
        check_journal(&next, true)?;
        let lock = lock(path)?;
        remove_leftover(&sibling(path, ".snapshot.tmp"))?;
        if !path.exists() {
            create(path)?;
        }
        let mut recovery = Recovery::default();
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
            compaction_error: None,
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
        check_journal(path, false)?;
        for file in [
            sibling(path, ".snapshot"),
            path.to_path_buf(),
            sibling(path, ".next"),
        ] {
            if let Found::Missing | Found::Journal =
                identify::identify(&file).map_err(|e| io(&file, e))?
            {
                replay(&file, apply, &mut recovery, options.max_bad_records)?;
            } else {
                return Err(refused(
                    &file,
                    identify::identify(&file).map_err(|e| io(&file, e))?,
                ));
            }
        }
        Ok(recovery)
    }

    /// Bytes of the journal being written.
    pub fn len(&self) -> u64 {
        self.durable_len
    }

    /// Whether no record has been written to the current journal.
    pub fn is_empty(&self) -> bool {
        self.durable_len <= identify::HEADER_LEN as u64
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
        self.commit()?;
        let next = sibling(&self.path, ".next");
        create(&next)?;
        self.file = open_rw(&next)?;
        self.file_path = next.clone();
        self.durable_len = identify::HEADER_LEN as u64;
        self.allocated = self.durable_len;
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
    let mut out = Vec::with_capacity(live.len() * 48 + identify::HEADER_LEN);
    out.extend_from_slice(&identify::header());
    for lease in live.into_values() {
        let change = LeaseChange::Set(lease);
        if change.is_durable() {
            record::encode(&change, &mut out).map_err(StoreError::Unwritable)?;
        }
    }
    remove_leftover(&tmp)?;
    write_new(&tmp, &out)?;
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

    fn take_compaction_error(&mut self) -> Option<StoreError> {
        self.compaction_error.take()
    }

    fn commit(&mut self) -> Result<Committed, StoreError> {
        if self.buffer.is_empty() {
            return Ok(Committed::default());
        }
        let path = self.file_path.clone();
        self.preallocate();
        let mut result = Ok(());
        let mut at = self.durable_len;
        for piece in self.buffer.chunks(MAX_WRITE) {
            result = self
                .file
                .write_all_at(piece, at)
                .and_then(|()| self.file.sync_data());
            if result.is_err() {
                break;
            }
            at += piece.len() as u64;
        }
        match result {
            Ok(()) => {
                self.durable_len += self.buffer.len() as u64;
                self.allocated = self.allocated.max(self.durable_len);
                self.buffer.clear();
                // This batch is durable whatever a compaction does: its error is kept for
                // `take_compaction_error`, never returned as the sync's.
                if self.durable_len > self.options.compact_after {
                    if let Err(e) = self.compact() {
                        self.compaction_error = Some(e);
                    }
                }
                Ok(Committed::default())
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
