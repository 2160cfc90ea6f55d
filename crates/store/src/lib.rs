//! charrua-store: durable lease stores.
//!
//! The daemon appends the durable [`LeaseChange`]s of many replies, makes them durable with
//! one [`LeaseStore::sync`], and only then sends the replies that depend on them (RFC 2131
//! section 3.1 step 4; durability rules D1-D14 of research/reliability.md section 3.5).
//! [`GroupCommit`] runs that loop on a thread of its own with bounds on batch size and wait.
//! The embedded [`Journal`] is the default store.
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

mod group;
mod journal;
pub mod record;

use std::path::PathBuf;

pub use charrua_server::LeaseChange;
pub use group::{Done, GroupCommit, GroupOptions};
pub use journal::{Journal, JournalOptions, Recovery};

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
}
