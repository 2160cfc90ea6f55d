//! ISC dhcpd.leases(5): read into lease changes (the last block for an address wins, as in
//! dhcpd) and written in the form dhcpd writes, so a site can move to charrua and back and the
//! tools that read the file keep working.

mod read;
pub mod write;

use charrua_server::LeaseChange;

use crate::source::{Diagnostic, Severity, Sources};

pub use read::read;
pub use write::{write, HEADER_FIRST_LINE};

/// A read lease file.
#[derive(Debug)]
pub struct LeaseFile {
    /// One change per valid lease block, in file order: applying them in order gives the
    /// state dhcpd would load.
    pub changes: Vec<LeaseChange>,
    /// The statements of a block that charrua keeps without acting on them (`set` variables,
    /// `on` statements, agent options, flags), as text, one per line: `(i, text)` belongs to
    /// the block that gave `changes[i]`.
    pub kept: Vec<(usize, Box<str>)>,
    /// Top-level declarations other than leases that dhcpd keeps in the file (OMAPI hosts,
    /// dynamic classes, failover state, the DHCPv6 DUID), as text, in file order.
    pub kept_top: Vec<Box<str>>,
    /// Errors (the block was skipped) and warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// The file, for rendering diagnostics.
    pub sources: Sources,
}

impl LeaseFile {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}
