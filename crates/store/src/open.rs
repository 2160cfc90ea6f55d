//! Opening the lease store at a path in the format the file says it is in, or refusing it.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use charrua_server::LeaseChange;

use crate::identify::{self, Found};
use crate::journal::io;
use crate::{IscLeaseFile, IscOptions, Journal, JournalOptions, LeaseStore, Recovery, StoreError};

/// The format of a lease store file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseFormat {
    /// As the file at the path says: a charrua journal is a journal; an ISC dhcpd.leases, an
    /// empty file or no file is an ISC lease file.
    Auto,
    /// ISC dhcpd.leases(5), written as dhcpd writes it.
    Isc,
    /// The charrua journal: binary records with checksums, snapshot and compaction.
    Journal,
}

impl fmt::Display for LeaseFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Isc => "isc",
            Self::Journal => "journal",
        })
    }
}

impl FromStr for LeaseFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "isc" => Ok(Self::Isc),
            "journal" => Ok(Self::Journal),
            other => Err(format!(
                "lease format {other:?} is not one of auto, isc, journal"
            )),
        }
    }
}

/// The format of the store at `path` under `format` (resolving [`LeaseFormat::Auto`]).
pub fn resolve(path: &Path, format: LeaseFormat) -> Result<LeaseFormat, StoreError> {
    if format != LeaseFormat::Auto {
        return Ok(format);
    }
    Ok(match identify::identify(path).map_err(|e| io(path, e))? {
        Found::Journal | Found::JournalVersion(_) | Found::DamagedJournalHeader => {
            LeaseFormat::Journal
        }
        _ => LeaseFormat::Isc,
    })
}

/// An opened store.
pub struct Opened {
    /// The store, ready for appends.
    pub store: Box<dyn LeaseStore + Send>,
    /// Its format.
    pub format: LeaseFormat,
    /// What replay found.
    pub recovery: Recovery,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Opened({}, {:?})", self.format, self.recovery)
    }
}

/// Opens the store at `path` for writing, replaying its leases into `apply`.
pub fn open_store(
    path: &Path,
    format: LeaseFormat,
    apply: &mut dyn FnMut(LeaseChange),
) -> Result<Opened, StoreError> {
    let format = resolve(path, format)?;
    let (store, recovery): (Box<dyn LeaseStore + Send>, Recovery) = match format {
        LeaseFormat::Journal => {
            let (j, r) = Journal::open(path, JournalOptions::default(), apply)?;
            (Box::new(j), r)
        }
        _ => {
            let (s, r) = IscLeaseFile::open(path, IscOptions::default(), apply)?;
            (Box::new(s), r)
        }
    };
    Ok(Opened {
        store,
        format,
        recovery,
    })
}

/// Replays the store at `path` into `apply` without locking or changing any file.
pub fn read_store(
    path: &Path,
    format: LeaseFormat,
    apply: &mut dyn FnMut(LeaseChange),
) -> Result<(LeaseFormat, Recovery), StoreError> {
    let format = resolve(path, format)?;
    let recovery = match format {
        LeaseFormat::Journal => Journal::read_only(path, &JournalOptions::default(), apply)?,
        _ => IscLeaseFile::read_only(path, apply)?,
    };
    Ok((format, recovery))
}
