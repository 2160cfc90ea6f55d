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
    /// A PostgreSQL database several servers share: the store path is its connection string
    /// (a `postgresql://` URL is taken as one whatever the format asked).
    #[cfg(feature = "postgresql")]
    Postgresql,
}

impl fmt::Display for LeaseFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Isc => "isc",
            Self::Journal => "journal",
            #[cfg(feature = "postgresql")]
            Self::Postgresql => "postgresql",
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
            #[cfg(feature = "postgresql")]
            "postgresql" => Ok(Self::Postgresql),
            other => Err(format!(
                "lease format {other:?} is not one of auto, isc, journal, postgresql"
            )),
        }
    }
}

/// The format of the store at `path` under `format` (resolving [`LeaseFormat::Auto`]).
pub fn resolve(path: &Path, format: LeaseFormat) -> Result<LeaseFormat, StoreError> {
    #[cfg(feature = "postgresql")]
    if path.to_str().is_some_and(crate::postgres::is_database) {
        return Ok(LeaseFormat::Postgresql);
    }
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

/// Opens the store at `path` for writing, replaying its leases into `apply`; a database is
/// written as the server `server`.
#[cfg_attr(not(feature = "postgresql"), allow(unused_variables))]
pub fn open_store(
    path: &Path,
    format: LeaseFormat,
    server: &str,
    apply: &mut dyn FnMut(LeaseChange),
) -> Result<Opened, StoreError> {
    let format = resolve(path, format)?;
    let (store, recovery): (Box<dyn LeaseStore + Send>, Recovery) = match format {
        #[cfg(feature = "postgresql")]
        LeaseFormat::Postgresql => {
            let options = crate::postgres::PgOptions {
                server: server.to_owned(),
            };
            let (s, r) = crate::postgres::PgStore::open(&location(path)?, options, apply)?;
            (Box::new(s), r)
        }
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
        #[cfg(feature = "postgresql")]
        LeaseFormat::Postgresql => crate::postgres::PgStore::read_only(&location(path)?, apply)?,
        LeaseFormat::Journal => Journal::read_only(path, &JournalOptions::default(), apply)?,
        _ => IscLeaseFile::read_only(path, apply)?,
    };
    Ok((format, recovery))
}

/// A database's connection string given as a store path.
#[cfg(feature = "postgresql")]
fn location(path: &Path) -> Result<String, StoreError> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| StoreError::Database("the connection string is not UTF-8".into()))
}
