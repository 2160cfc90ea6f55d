//! ISC dhcpd.leases(5): read into lease changes (the last block for an address wins, as in
//! dhcpd) and written in the form dhcpd writes, so a site can move to charrua and back and the
//! tools that read the file keep working.

mod agent;
mod check;
pub(crate) mod read;
pub mod write;

use charrua_server::LeaseChange;

use crate::source::{Diagnostic, Severity, Sources};

pub use check::check_against;
pub use read::read;
pub use write::{write, HEADER_FIRST_LINE};

/// A read lease file.
#[derive(Debug)]
pub struct LeaseFile {
    /// One change per valid lease block, in file order: applying them in order gives the
    /// state dhcpd would load.
    pub changes: Vec<LeaseChange>,
    /// The statements of a block that charrua keeps without acting on them (`set` variables
    /// beyond what a lease keeps, `on` statements, agent options, flags), as text, one per line: `(i, text)` belongs to
    /// the block that gave `changes[i]`.
    pub kept: Vec<(usize, Box<str>)>,
    /// Top-level declarations other than leases that dhcpd keeps in the file (OMAPI hosts,
    /// dynamic classes, failover state, the DHCPv6 DUID), as text, in file order.
    pub kept_top: Vec<Box<str>>,
    /// The failover peers the file's `failover peer NAME state` declarations name, with
    /// where: dhcpd refuses a state for a peer its configuration does not declare.
    pub failover_peers: Vec<(String, crate::Span)>,
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

/// The host declarations in effect in a lease file's top-level declarations (`kept_top`), as
/// dhcpd.conf text to serve with the configuration: hosts dhcpd keeps there are those made over
/// OMAPI (by Foreman, say), and dhcpd serves them as global host declarations. As dhcpd reads
/// them (server/confpars.c parse_host_declaration in the lease file), a later block for the
/// same name replaces an earlier one and a block marked `deleted;` removes the host; `dynamic;`
/// only marks where the host came from.
pub fn host_declarations(kept_top: &[Box<str>]) -> String {
    let mut hosts: Vec<(String, crate::syntax::Statement)> = Vec::new();
    for text in kept_top.iter().filter(|t| t.starts_with("host ")) {
        let mut sources = Sources::default();
        let Ok(statements) = crate::syntax::parse(
            "lease file",
            text.to_string(),
            &mut sources,
            &mut crate::NoIncludes,
        ) else {
            continue;
        };
        for mut host in statements {
            let Some(name) = host.words.get(1).map(|t| t.text.clone()) else {
                continue;
            };
            hosts.retain(|(n, _)| *n != name);
            let block = host.block.take().unwrap_or_default();
            if block.iter().any(|s| s.keyword() == "deleted") {
                continue;
            }
            host.block = Some(
                block
                    .into_iter()
                    .filter(|s| s.keyword() != "dynamic")
                    .collect(),
            );
            hosts.push((name, host));
        }
    }
    let mut out = String::new();
    for (_, host) in &hosts {
        write::statement(&mut out, host, 0);
    }
    out
}
