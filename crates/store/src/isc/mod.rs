//! ISC dhcpd.leases(5) as a lease store: the file an ISC dhcpd site already has, served from
//! and written to in dhcpd's own format, so that `dhcpd -T`, dhcpd-pools and every script that
//! reads the file keep working, and the site can switch back to dhcpd at any moment.
//!
//! - Open: every block is replayed, the last one for an address winning (dhcpd's
//!   `enter_lease`, server/mdb.c). Statements charrua does not act on (`set` variables, `on`
//!   statements, agent options, OMAPI hosts, failover state) are kept and written back. A torn
//!   last block, what a crash leaves, is ignored as a block; the file is then compacted at once
//!   so the next block is not appended after it (the old file stays as `PATH~`). Any other
//!   error refuses the file, untouched. Nothing is written at open unless the file is missing
//!   (it is created, as dhcpd creates it) or has a torn tail.
//! - Commit: lease blocks appended, in pieces of at most [`MAX_WRITE`] bytes each followed by
//!   an `fdatasync`, before the replies that depend on them leave (group commit: one sync for
//!   many blocks). A failed write is cut back to the last durable byte, which charrua wrote.
//! - Compaction, as dhcpd's `new_lease_file` (server/db.c) but off the serving path: a thread
//!   writes the live leases to `PATH.charrua-new` and syncs it; then the blocks appended since
//!   are copied after them, the file is synced, the old one is linked to `PATH~`, the new one
//!   renamed over `PATH`, and the directory synced. A crash at any point leaves a complete
//!   file at `PATH`.
//! - One writer: `PATH.lock` is held with an exclusive lock, as for the journal.

pub(crate) mod compact;
pub(crate) mod replay;

use std::collections::HashMap;
use std::fs::File;
use std::net::Ipv4Addr;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use charrua_conf::leases::write;
use charrua_server::{ClientKey, LeaseChange};

use crate::identify::{self, Found};
use crate::journal::io;
use crate::{Committed, LeaseStore, Recovery, StoreError, MAX_WRITE};

/// Tunables of an ISC lease file store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IscOptions {
    /// A compaction starts once the file is larger than this and twice its size after the last
    /// compaction (or at open).
    pub compact_after: u64,
}

impl Default for IscOptions {
    fn default() -> Self {
        Self {
            compact_after: 64 << 20,
        }
    }
}

/// Statements of an address's block kept for as long as the same client holds the address.
#[derive(Debug)]
struct Kept {
    client: ClientKey,
    text: Box<str>,
}

/// A compaction in flight: the file length it covers and the thread writing the new file.
#[derive(Debug)]
struct Compaction {
    covered: u64,
    thread: JoinHandle<Result<File, StoreError>>,
}

/// The ISC dhcpd.leases store.
#[derive(Debug)]
pub struct IscLeaseFile {
    path: PathBuf,
    options: IscOptions,
    file: File,
    /// Bytes of `file` known durable; a failed write is cut back to here.
    durable_len: u64,
    /// Size right after the last compaction or at open.
    base_len: u64,
    /// Blocks appended but not yet written.
    buffer: String,
    kept: HashMap<Ipv4Addr, Kept>,
    compaction: Option<Compaction>,
    compaction_error: Option<StoreError>,
    /// The host declarations in effect in the file when it was opened.
    hosts: String,
    _lock: File,
}

/// The advice for a file at an ISC store path that is not a dhcpd.leases.
fn refused(path: &Path, found: String) -> StoreError {
    StoreError::Refused {
        path: path.to_path_buf(),
        found,
        advice: "give -lf the path of a dhcpd.leases (or a new path)".into(),
    }
}

/// Refuses `path` unless it is absent, empty or text, and writable by its owner.
pub(crate) fn check_isc(path: &Path) -> Result<Found, StoreError> {
    let found = identify::identify(path).map_err(|e| io(path, e))?;
    match found {
        Found::Missing | Found::Empty | Found::Text => {}
        Found::Journal => {
            return Err(StoreError::Refused {
                path: path.to_path_buf(),
                found: found.to_string(),
                advice: "use --lease-format journal (or auto)".into(),
            })
        }
        other => return Err(refused(path, other.to_string())),
    }
    identify::check_writable(path)?;
    Ok(found)
}

impl IscLeaseFile {
    /// Opens (creating if needed) the lease file at `path`, takes its lock and replays every
    /// lease in it into `apply`.
    pub fn open(
        path: &Path,
        options: IscOptions,
        apply: &mut dyn FnMut(LeaseChange),
    ) -> Result<(Self, Recovery), StoreError> {
        let found = check_isc(path)?;
        let lock = crate::journal::lock(path)?;
        let new = compact::new_path(path);
        compact::remove_leftover(&new)?;
        if found == Found::Missing {
            let mut text = String::new();
            write::header(&mut text);
            compact::install(path, &new, text.as_bytes())?;
        }
        let read = replay::read(path)?;
        let mut kept = HashMap::new();
        let mut recovery = Recovery::default();
        for (i, change) in read.file.changes.iter().enumerate() {
            if let (LeaseChange::Set(lease), Some(text)) = (change, read.kept_of(i)) {
                kept.insert(
                    lease.address,
                    Kept {
                        client: lease.client.clone(),
                        text: text.into(),
                    },
                );
            }
            apply(change.clone());
            recovery.records += 1;
        }
        if read.torn > 0 {
            // Appending after a torn block would bury it mid-file: write the file anew now.
            recovery.cut_bytes = read.torn;
            let text = compact::render(&read.file);
            compact::install(path, &new, text.as_bytes())?;
        }
        let file = crate::journal::open_rw(path)?;
        let len = file.metadata().map_err(|e| io(path, e))?.len();
        let store = Self {
            path: path.to_path_buf(),
            options,
            file,
            durable_len: len,
            base_len: len,
            buffer: String::new(),
            kept,
            compaction: None,
            compaction_error: None,
            hosts: charrua_conf::leases::host_declarations(&read.file.kept_top),
            _lock: lock,
        };
        Ok((store, recovery))
    }

    /// Replays the lease file at `path` into `apply` without taking the lock or changing it.
    pub fn read_only(
        path: &Path,
        apply: &mut dyn FnMut(LeaseChange),
    ) -> Result<Recovery, StoreError> {
        match identify::identify(path).map_err(|e| io(path, e))? {
            Found::Empty | Found::Text => {}
            other => return Err(refused(path, other.to_string())),
        }
        let read = replay::read(path)?;
        let records = read.file.changes.len() as u64;
        read.file.changes.into_iter().for_each(apply);
        Ok(Recovery {
            records,
            bad_records: 0,
            cut_bytes: read.torn,
        })
    }

    /// The lease file at `path` as charrua would write it anew (each address's last block,
    /// with every statement kept: `set` variables, agent options, `on` statements, folded
    /// binding states, hosts, failover state), read without taking the lock or changing it.
    pub fn rendered(path: &Path) -> Result<String, StoreError> {
        match identify::identify(path).map_err(|e| io(path, e))? {
            Found::Empty | Found::Text => {}
            other => return Err(refused(path, other.to_string())),
        }
        Ok(compact::render(&replay::read(path)?.file))
    }

    /// Bytes of the file known durable.
    pub fn len(&self) -> u64 {
        self.durable_len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.durable_len == 0
    }

    /// Waits for a running compaction and installs its file.
    pub fn finish_compaction(&mut self) -> Result<(), StoreError> {
        let Some(compaction) = self.compaction.take() else {
            return Ok(());
        };
        let new_file = compaction
            .thread
            .join()
            .map_err(|_| StoreError::CompactionPanicked)??;
        let new = compact::new_path(&self.path);
        match compact::finish(
            &self.path,
            &new,
            &self.file,
            new_file,
            compaction.covered,
            self.durable_len,
        ) {
            Ok((file, len)) => {
                self.file = file;
                self.durable_len = len;
                self.base_len = len;
                Ok(())
            }
            Err(e) => {
                let _ = compact::remove_leftover(&new);
                Err(e)
            }
        }
    }

    /// Starts a compaction of everything durable so far on a thread of its own.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        self.finish_compaction()?;
        let reader = self.file.try_clone().map_err(|e| io(&self.path, e))?;
        let (path, covered) = (self.path.clone(), self.durable_len);
        let thread = std::thread::spawn(move || compact::write_new(&path, &reader, covered));
        self.compaction = Some(Compaction { covered, thread });
        Ok(())
    }

    /// Starts or finishes a compaction as the file's size says; errors are kept, not returned.
    fn maintain(&mut self) {
        let result = match &self.compaction {
            Some(c) if c.thread.is_finished() => self.finish_compaction(),
            Some(_) => Ok(()),
            None if self.durable_len > self.options.compact_after.max(2 * self.base_len) => {
                self.compact()
            }
            None => Ok(()),
        };
        if let Err(e) = result {
            // Try again only once the file has grown as much again.
            self.base_len = self.durable_len;
            self.compaction_error = Some(e);
        }
    }
}

impl LeaseStore for IscLeaseFile {
    fn append(&mut self, change: &LeaseChange) -> Result<(), StoreError> {
        if !change.is_durable() {
            return Ok(());
        }
        // The statements kept from an earlier block go on while the same client holds the
        // address (dhcpd's `ack_lease` starts from the lease's binding scope).
        let kept = match change {
            LeaseChange::Set(lease) => self
                .kept
                .get(&lease.address)
                .filter(|k| k.client == lease.client)
                .map(|k| &*k.text),
            LeaseChange::Remove(_) => None,
        };
        write::change(&mut self.buffer, change, kept);
        Ok(())
    }

    fn commit(&mut self) -> Result<Committed, StoreError> {
        if self.buffer.is_empty() {
            return Ok(Committed::default());
        }
        let mut result = Ok(());
        let mut at = self.durable_len;
        for piece in self.buffer.as_bytes().chunks(MAX_WRITE) {
            result = self
                .file
                .write_all_at(piece, at)
                .and_then(|()| self.file.sync_data());
            if result.is_err() {
                break;
            }
            at += piece.len() as u64;
        }
        self.buffer.clear();
        match result {
            Ok(()) => {
                self.durable_len = at;
                self.maintain();
                Ok(Committed::default())
            }
            Err(e) => {
                // Only bytes charrua appended past its last durable byte are cut.
                let _ = self.file.set_len(self.durable_len);
                Err(io(&self.path, e))
            }
        }
    }

    fn take_compaction_error(&mut self) -> Option<StoreError> {
        self.compaction_error.take()
    }

    fn host_declarations(&self) -> &str {
        &self.hosts
    }
}

impl Drop for IscLeaseFile {
    fn drop(&mut self) {
        let _ = self.finish_compaction();
    }
}
