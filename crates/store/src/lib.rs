//! charrua-store: durable lease stores.
//!
//! The daemon appends the durable [`LeaseChange`]s of many replies, makes them durable with
//! one [`LeaseStore::sync`], and only then sends the replies that depend on them (RFC 2131
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

#[doc(hidden)]
pub mod fuzzing;
mod group;
pub mod identify;
mod isc;
mod journal;
mod open;
pub mod record;
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
    /// The group-commit thread is gone.
    #[error("the commit thread has stopped")]
    Stopped,
}

/// A durable lease store, as the daemon uses it.
pub trait LeaseStore {
    /// Queues a change (changes that are not durable, such as offers, are skipped).
    fn append(&mut self, change: &LeaseChange) -> Result<(), StoreError>;
    /// Makes every queued change durable. On error nothing queued may be reported durable, and
    /// the next call tries again.
    fn sync(&mut self) -> Result<(), StoreError>;
    /// An error of a compaction running beside the syncs (it never fails a sync whose own
    /// changes are durable), once.
    fn take_compaction_error(&mut self) -> Option<StoreError> {
        None
    }

    /// Host declarations the store holds beside its leases, as dhcpd.conf text to serve with
    /// the configuration (the OMAPI hosts of an ISC dhcpd.leases); empty by default.
    fn host_declarations(&self) -> &str {
        ""
    }
}
