//! What a transaction works from: the records to register at an ACK, or what a lease says was
//! registered, to remove at release or expiry.

use std::net::Ipv4Addr;

use crate::guard::Guard;
use crate::name::DomainName;

/// A forward name and the guard that says which client holds it: what ISC stores in a lease
/// as `ddns-fwd-name` and `ddns-txt` or `ddns-dhcid` (`server/ddns.c:ddns_update_lease_text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// The forward name, as built (see [`crate::forward_name`]).
    pub fqdn: DomainName,
    /// Its guard record.
    pub guard: Guard,
}

/// Who updates the forward name (docs/ddns.md section 3.2 step 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Path {
    /// The server adds A and guard, then the PTR.
    Server {
        /// The guard written beside the A record.
        guard: Guard,
    },
    /// The client updates its own A record (option 81 with S clear, `allow client-updates`):
    /// the server writes the PTR only, pointing at the client's name.
    Client,
}

/// What to register at an ACK (docs/ddns.md section 5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The forward name: the server's, or the client's own on the client path.
    pub fqdn: DomainName,
    /// The leased address.
    pub address: Ipv4Addr,
    /// The TTL of every record added, as the server core decided it (`ddns-ttl`, or half the
    /// lease time, at most 3600 s: docs/ddns.md section 4.1).
    pub ttl: u32,
    /// The reverse name (see [`crate::reverse_name`]), `None` with `do-reverse-updates off`.
    pub reverse: Option<DomainName>,
    /// Who updates the forward name.
    pub path: Path,
}

/// What a lease says was registered (docs/ddns.md sections 5.4 and 6), to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The lease's address.
    pub address: Ipv4Addr,
    /// `ddns-fwd-name` with its guard (`ddns-dhcid` tried first, then `ddns-txt`); `None`
    /// when either is missing, and the forward step is skipped.
    pub forward: Option<Forward>,
    /// `ddns-rev-name`; `None` skips the PTR step.
    pub reverse: Option<DomainName>,
}
