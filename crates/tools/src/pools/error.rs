//! Why `charrua pools` could not report.

use std::path::PathBuf;

/// What went wrong, said as dhcpd-pools says it where it has words for it (src/dhcpd-pools.c,
/// src/other.c).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolsError {
    /// A threshold or size that is not a number (dhcpd-pools' `strtod_or_err`).
    #[error("illegal argument: '{0}'")]
    IllegalArgument(String),
    /// `-f` names no format dhcpd-pools has.
    #[error("unknown output format: '{0}'")]
    UnknownFormat(String),
    /// `-f h`, which dhcpd-pools 2.29 has dropped too.
    #[error("html table only output format is deprecated")]
    HtmlDeprecated,
    /// `-f H`, dhcpd-pools' full HTML page, which charrua does not write.
    #[error("the full-html output format (H) is not implemented; use t, c, j, J, x or X")]
    HtmlPage,
    /// `-s` with a key dhcpd-pools does not sort by.
    #[error("unknown sort order: '{0}' (keys: n i m c p t T e)")]
    UnknownSort(char),
    /// `-L` that is not two digits from 0 to 7.
    #[error("output mask '{0}' is illegal")]
    IllegalLimit(String),
    /// A file could not be read (or the output file written).
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The dhcpd.conf does not parse; its errors were printed above.
    #[error("{}: {count} error(s) in the configuration (above)", path.display())]
    Config {
        /// The dhcpd.conf.
        path: PathBuf,
        /// How many errors.
        count: usize,
    },
    /// The lease store could not be read (the reader of `charrua leases` says why).
    #[error("{0}")]
    Leases(String),
    /// Writing the report failed.
    #[error("writing the report: {0}")]
    Output(#[from] std::io::Error),
}
