//! What `dhcpd -T` checks of a lease file against its configuration (server/confpars.c
//! lease_file_subparse, server/mdb.c enter_lease, server/failover.c): every lease is for an
//! address of a declared range ("lease ADDRESS: no subnet."), and every failover state names
//! a declared peer ("unknown failover peer").

use std::net::Ipv4Addr;

use charrua_server::{Config, LeaseChange};

use super::LeaseFile;
use crate::source::{Diagnostic, FileId, Span};

/// The errors of `file` against `config`, whose failover peers are `peers`.
pub fn check_against(file: &LeaseFile, config: &Config, peers: &[String]) -> Vec<Diagnostic> {
    let in_range = |a: Ipv4Addr| {
        config
            .pools
            .iter()
            .flat_map(|p| &p.ranges)
            .any(|(low, high)| (*low..=*high).contains(&a))
    };
    // dhcpd names no line for this one: the whole file is the place.
    let whole = Span {
        file: FileId(0),
        offset: 0,
        len: 0,
        line: 1,
        col: 1,
    };
    let mut out: Vec<Diagnostic> = Vec::new();
    for change in &file.changes {
        let address = match change {
            LeaseChange::Set(lease) => lease.address,
            LeaseChange::Remove(address) => *address,
        };
        if !in_range(address) {
            out.push(Diagnostic::error(
                whole,
                format!("lease {address}: no subnet (no range of the configuration holds it)"),
            ));
        }
    }
    for (peer, span) in &file.failover_peers {
        if !peers.contains(peer) {
            out.push(Diagnostic::error(
                *span,
                format!("unknown failover peer: {peer}"),
            ));
        }
    }
    out
}
