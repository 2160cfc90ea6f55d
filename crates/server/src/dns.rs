//! The DNS registration work the server core asks of the daemon, and what the daemon reports
//! back: ISC dhcpd's DDNS (RFC 2136 updates, RFC 4701 and RFC 4703 guards) as `docs/ddns.md`
//! describes it from ISC's source. The core decides (which name, which records, what to remove
//! first); the daemon sends the updates off the serving loop (crate `charrua-ddns`) and reports
//! each record added or removed, which the core writes into the lease as ISC's variables
//! (`set ddns-fwd-name = ...;`, server/ddns.c `ddns_update_lease_text`), so that a restart, or
//! a switch from ISC dhcpd, knows what to remove.

use std::net::Ipv4Addr;

use crate::config::{Datum, DdnsStyle};
use crate::lease::ClientKey;

/// The lease variable naming the forward name the server registered.
pub const FWD_NAME: &str = "ddns-fwd-name";
/// The interim style's guard (TXT) as registered.
pub const TXT: &str = "ddns-txt";
/// The standard style's guard (DHCID RDATA) as registered.
pub const DHCID: &str = "ddns-dhcid";
/// The reverse name the PTR was registered at.
pub const REV_NAME: &str = "ddns-rev-name";
/// The client's own name, when the client updates its A record and the server the PTR only.
pub const CLIENT_FQDN: &str = "ddns-client-fqdn";

/// Whether `name` is one of the DDNS variables above: they belong to the address, not the
/// client, and stay with it from one client to the next (server/dhcp.c `ack_lease` saves a
/// lease's bindings whoever the client), so that a removal that failed is finished later.
pub fn is_dns_variable(name: &str) -> bool {
    [FWD_NAME, TXT, DHCID, REV_NAME, CLIENT_FQDN]
        .iter()
        .any(|v| v.eq_ignore_ascii_case(name))
}

/// What identifies the client to the guard record (docs/ddns.md sections 5.1 and 5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DnsIdentity {
    /// Option 61 as sent, type octet included.
    pub client_id: Option<Box<[u8]>>,
    /// The header's `htype`.
    pub htype: u8,
    /// The first `hlen` octets of `chaddr`.
    pub chaddr: Box<[u8]>,
}

/// A registration to make at an ACK (docs/ddns.md sections 3.2 and 5.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DnsAdd {
    /// The forward name: the server's (host part and domain), or the client's own.
    pub fqdn: String,
    /// The TTL of every record (`ddns-ttl`, else half the lease time, at most 3600 s).
    pub ttl: u32,
    /// The reverse name, `None` with `do-reverse-updates off`.
    pub reverse: Option<String>,
    /// The server adds A and guard before the PTR; `false` on the client path, where the client
    /// updates its A record and the server the PTR only.
    pub forward: bool,
    /// The guard's style.
    pub style: DdnsStyle,
    /// Whom the guard names.
    pub identity: DnsIdentity,
}

/// What a lease records as registered, read from its variables (docs/ddns.md section 6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DnsRecorded {
    /// `ddns-fwd-name`.
    pub fwd_name: Option<String>,
    /// `ddns-txt`.
    pub txt: Option<Vec<u8>>,
    /// `ddns-dhcid`.
    pub dhcid: Option<Vec<u8>>,
    /// `ddns-rev-name`.
    pub rev_name: Option<String>,
    /// `ddns-client-fqdn`.
    pub client_fqdn: Option<String>,
}

impl DnsRecorded {
    /// What `variables` record; names compare without regard to case (common/tree.c
    /// `find_binding`).
    pub fn of(variables: &[(String, Datum)]) -> Self {
        let data = |name: &str| {
            variables
                .iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| match v {
                    Datum::Data(bytes) => Some(bytes.clone()),
                    _ => None,
                })
        };
        let text = |name: &str| data(name).and_then(|b| String::from_utf8(b).ok());
        Self {
            fwd_name: text(FWD_NAME),
            txt: data(TXT),
            dhcid: data(DHCID),
            rev_name: text(REV_NAME),
            client_fqdn: text(CLIENT_FQDN),
        }
    }

    /// Whether there is anything to remove: a forward name with its guard, or a reverse name.
    pub fn is_removable(&self) -> bool {
        self.fwd_name.is_some() && (self.txt.is_some() || self.dhcid.is_some())
            || self.rev_name.is_some()
    }
}

/// DNS work for one address: what to remove first, then what to add (a name that changed is
/// removed before the new one is added, and the add runs only if the removal succeeded:
/// server/ddns.c `ddns_updates`, `ddns_removals`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DnsWork {
    /// The address.
    pub address: Ipv4Addr,
    /// The client the lease is (or was) bound to: results are written into its lease only
    /// while it holds it.
    pub client: ClientKey,
    /// What the lease records, to remove.
    pub remove: Option<DnsRecorded>,
    /// What to register.
    pub add: Option<DnsAdd>,
}

/// A record the daemon added or removed, to be written into the lease.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DnsNote {
    /// The A record and its guard are in DNS: `ddns-fwd-name` and `ddns-txt`/`ddns-dhcid`.
    ForwardAdded {
        /// The forward name.
        fqdn: String,
        /// [`TXT`] or [`DHCID`].
        guard_variable: &'static str,
        /// The guard's value.
        guard: Vec<u8>,
    },
    /// The PTR is in DNS: `ddns-rev-name`, and `ddns-client-fqdn` on the client path.
    ReverseAdded {
        /// The reverse name.
        reverse: String,
        /// The client's own name, on the client path.
        client_fqdn: Option<String>,
    },
    /// The forward records of `fqdn` are gone, or were never this server's.
    ForwardRemoved {
        /// The forward name.
        fqdn: String,
    },
    /// The PTR at `reverse` is gone.
    ReverseRemoved {
        /// The reverse name.
        reverse: String,
    },
}

impl DnsNote {
    /// Whether the note says a record was added.
    pub fn is_added(&self) -> bool {
        matches!(self, Self::ForwardAdded { .. } | Self::ReverseAdded { .. })
    }

    /// `variables` with this note written into them.
    pub fn write(&self, variables: &mut Vec<(String, Datum)>) {
        let mut set = |name: &str, value: Vec<u8>| {
            variables.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            variables.push((name.to_string(), Datum::Data(value)));
        };
        match self {
            Self::ForwardAdded {
                fqdn,
                guard_variable,
                guard,
            } => {
                set(FWD_NAME, fqdn.clone().into_bytes());
                set(guard_variable, guard.clone());
                let other = if *guard_variable == TXT { DHCID } else { TXT };
                variables.retain(|(n, _)| !n.eq_ignore_ascii_case(other));
            }
            Self::ReverseAdded {
                reverse,
                client_fqdn,
            } => {
                set(REV_NAME, reverse.clone().into_bytes());
                if let Some(name) = client_fqdn {
                    set(CLIENT_FQDN, name.clone().into_bytes());
                }
            }
            Self::ForwardRemoved { fqdn } => {
                if DnsRecorded::of(variables).fwd_name.as_deref() == Some(fqdn) {
                    variables.retain(|(n, _)| {
                        ![FWD_NAME, TXT, DHCID]
                            .iter()
                            .any(|v| v.eq_ignore_ascii_case(n))
                    });
                }
            }
            Self::ReverseRemoved { reverse } => {
                if DnsRecorded::of(variables).rev_name.as_deref() == Some(reverse) {
                    variables.retain(|(n, _)| {
                        ![REV_NAME, CLIENT_FQDN]
                            .iter()
                            .any(|v| v.eq_ignore_ascii_case(n))
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_set_and_unset_the_variables_isc_writes() {
        let mut vars = vec![("ClientIP".to_string(), Datum::Data(b"x".to_vec()))];
        DnsNote::ForwardAdded {
            fqdn: "a.example.test".into(),
            guard_variable: DHCID,
            guard: vec![0, 1, 1],
        }
        .write(&mut vars);
        DnsNote::ReverseAdded {
            reverse: "5.0.18.198.in-addr.arpa.".into(),
            client_fqdn: None,
        }
        .write(&mut vars);
        let recorded = DnsRecorded::of(&vars);
        assert_eq!(recorded.fwd_name.as_deref(), Some("a.example.test"));
        assert_eq!(recorded.dhcid.as_deref(), Some(&[0, 1, 1][..]));
        assert!(recorded.is_removable());
        // A removal of another name leaves this one.
        DnsNote::ForwardRemoved {
            fqdn: "b.example.test".into(),
        }
        .write(&mut vars);
        assert!(DnsRecorded::of(&vars).fwd_name.is_some());
        DnsNote::ForwardRemoved {
            fqdn: "a.example.test".into(),
        }
        .write(&mut vars);
        DnsNote::ReverseRemoved {
            reverse: "5.0.18.198.in-addr.arpa.".into(),
        }
        .write(&mut vars);
        assert_eq!(vars, vec![("ClientIP".into(), Datum::Data(b"x".to_vec()))]);
        assert!(!DnsRecorded::of(&vars).is_removable());
    }

    #[test]
    fn dns_variables_are_known_whatever_their_case() {
        assert!(is_dns_variable("DDNS-FWD-NAME"));
        assert!(is_dns_variable("ddns-txt"));
        assert!(!is_dns_variable("ClientIP"));
    }
}
