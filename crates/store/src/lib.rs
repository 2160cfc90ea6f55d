//! charrua-store: durable lease stores.
//!
//! The daemon appends the durable [`LeaseChange`]s of many replies, makes them durable with
//! one [`LeaseStore::commit`], and only then sends the replies that depend on them (RFC 2131
//! section 3.1 step 4; durability rules D1-D14 of research/reliability.md section 3.5).
//! [`GroupCommit`] runs that loop on a thread of its own with bounds on batch size and wait.
//! Two stores: [`IscLeaseFile`], ISC dhcpd's own dhcpd.leases (the default, so that a dhcpd
//! site switches by changing the binary name and can switch back), and the embedded
//! [`Journal`]. [`open_store`] picks the one the file at the path is in, and refuses, without
//! changing it, any file that is neither ([`identify`]).
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod group;
pub mod identify;
mod isc;
mod journal;
mod open;
#[doc(hidden)]
pub mod pg_cluster;
#[cfg(feature = "postgresql")]
pub mod postgres;
pub mod record;
pub mod shared;
#[doc(hidden)]
pub mod testing;

use std::path::PathBuf;

pub use charrua_server::LeaseChange;
pub use group::{Done, GroupCommit, GroupOptions};
pub use isc::{IscLeaseFile, IscOptions};
pub use journal::{Journal, JournalOptions, Recovery, MAX_TORN, MAX_WRITE};
pub use open::{open_store, read_store, resolve, LeaseFormat, Opened};

/// What a store can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's message.
        message: String,
    },
    /// The file at a store path is not one the store may use; it was left as it was.
    #[error("{path}: {found}; {advice}. The file was left as it is")]
    Refused {
        /// The file.
        path: PathBuf,
        /// What it looks like.
        found: String,
        /// What to do.
        advice: String,
    },
    /// A torn tail longer than a crash can leave: damage, not a crash.
    #[error("{path}: {bytes} bytes after the last valid record, more than the {bound} a crash can leave; the file was left as it is")]
    TailTooLong {
        /// The file.
        path: PathBuf,
        /// Bytes past the last valid record.
        bytes: u64,
        /// The most a crash can leave.
        bound: u64,
    },
    /// Another process holds the store.
    #[error("{0}: the lease store is in use by another process")]
    Locked(PathBuf),
    /// Recovery met more corrupt records than allowed.
    #[error("{path}: {count} corrupt records, more than allowed")]
    TooManyBadRecords {
        /// The file.
        path: PathBuf,
        /// Corrupt records seen.
        count: usize,
    },
    /// A change the reader would refuse.
    #[error("lease change cannot be stored: {0}")]
    Unwritable(record::UnwritableChange),
    /// The compaction thread died.
    #[error("compaction thread panicked")]
    CompactionPanicked,
    /// The lease database failed or could not be reached (the message says which).
    #[error("lease database: {0}")]
    Database(String),
    /// The group-commit thread is gone.
    #[error("the commit thread has stopped")]
    Stopped,
}

/// What a commit made of the changes appended since the previous one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// Positions, in the order they were appended, of the changes the store refused because
    /// another server changed their address first (a shared store; the lease files never
    /// refuse). Every other change is durable. A refused change's reply must not be sent; the
    /// change that won reaches the engine through [`LeaseStore::poll_changes_by_others`].
    pub rejected: Vec<usize>,
    /// Positions of the changes that could not be written at all, with why (see
    /// [`commit_batch`]); not durable either.
    pub unwritable: Vec<(usize, StoreError)>,
}

/// The contract between the engine and a durable lease store.
///
/// - **Open and replay**: each store's `open` constructor (see [`open_store`]) replays what it
///   holds, change by change, into the caller's `LeaseDb`, so the database starts as exactly
///   what the store holds.
/// - **Append, then commit**: the engine appends the durable changes of many replies and
///   commits them as one batch; only then may the replies that depend on them leave (RFC 2131
///   section 3.1 step 4, durability rule D1). A commit either makes the batch durable (minus
///   the changes it reports rejected) or fails and keeps none of it: the store then holds what
///   it held before the batch, so the engine undoes the batch in memory and memory stays equal
///   to a replay of the store.
/// - **Changes by others**: a store several servers share reports what the others changed,
///   for the engine to apply to its database.
///
/// A store is used by one thread at a time, which need not be the engine's (`Send`).
pub trait LeaseStore {
    /// Queues a change for the next commit (changes that are not durable, such as offers,
    /// are skipped). An error leaves nothing of that change queued.
    fn append(&mut self, change: &LeaseChange) -> Result<(), StoreError>;

    /// Makes every queued change durable, or, on error, none of them: nothing queued may then
    /// be reported durable, the store holds what it held before, and the queue is empty.
    fn commit(&mut self) -> Result<Committed, StoreError>;

    /// An error of a compaction running beside the commits (it never fails a commit whose own
    /// changes are durable), once.
    fn take_compaction_error(&mut self) -> Option<StoreError> {
        None
    }

    /// Host declarations the store holds beside its leases, as dhcpd.conf text to serve with
    /// the configuration (the OMAPI hosts of an ISC dhcpd.leases); empty by default.
    fn host_declarations(&self) -> &str {
        ""
    }

    /// The names of the servers sharing the store (this one among them), sorted; `None` when
    /// they cannot be read now. A store only this server writes has none.
    fn servers(&mut self) -> Option<Vec<String>> {
        Some(Vec::new())
    }

    /// The changes other servers made since the last call, in the order they made them, to
    /// apply to the database; none for a store only this server writes.
    fn poll_changes_by_others(&mut self) -> Vec<LeaseChange> {
        Vec::new()
    }
}

/// Appends `changes` to `store` and commits them as one batch: what the engine's commit
/// thread and the simulator both run. A change the store cannot write (an append error) is
/// left out and reported in [`Committed::unwritable`], so one bad record never
/// fails the batch of every other client; an error of the commit itself fails the whole batch.
pub fn commit_batch(
    store: &mut dyn LeaseStore,
    changes: &[LeaseChange],
) -> Result<Committed, StoreError> {
    let mut unwritable = Vec::new();
    let mut appended = Vec::with_capacity(changes.len());
    for (position, change) in changes.iter().enumerate() {
        match store.append(change) {
            Ok(()) => appended.push(position),
            Err(e) => unwritable.push((position, e)),
        }
    }
    let committed = store.commit()?;
    // The store numbers what it was given; map its positions back onto `changes`.
    let rejected = committed
        .rejected
        .iter()
        .filter_map(|&i| appended.get(i).copied())
        .collect();
    Ok(Committed {
        rejected,
        unwritable,
    })
}
