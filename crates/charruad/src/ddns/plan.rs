//! A [`DnsWork`](charrua_server::dns::DnsWork)'s parts as the inputs of charrua-ddns
//! transactions: the removal from what the lease records (docs/ddns.md section 5.4;
//! server/ddns.c `ddns_removals`), the registration from what the core decided at the ACK
//! (sections 3.2 and 5.3; server/ddns.c `ddns_updates`).

use std::net::Ipv4Addr;

use charrua_ddns::{
    ClientIdentity, DomainName, Forward, Guard, Path, Registered, Registration, Style,
};
use charrua_server::config::DdnsStyle;
use charrua_server::dns::{DnsAdd, DnsNote, DnsRecorded};
use tracing::debug;

/// What to remove at `address`, from what its lease records: the forward name with its guard
/// (`ddns-dhcid` tried first, then `ddns-txt`, whatever the configured style, as
/// server/ddns.c `ddns_removals` and common/dns.c `dhcid_fromlease` read them) and the reverse
/// name. A stored value that cannot be sent leaves its part out (logged at debug: ISC would
/// send it, and its server refuse it).
pub(super) fn registered(address: Ipv4Addr, recorded: &DnsRecorded) -> Registered {
    let forward = recorded.fwd_name.as_deref().and_then(|text| {
        let fqdn = stored_name(address, "ddns-fwd-name", text)?;
        let guard = stored_guard(address, recorded)?;
        Some(Forward { fqdn, guard })
    });
    let reverse = recorded
        .rev_name
        .as_deref()
        .and_then(|text| stored_name(address, "ddns-rev-name", text));
    Registered {
        address,
        forward,
        reverse,
    }
}

/// A name read back from a lease variable.
fn stored_name(address: Ipv4Addr, variable: &str, text: &str) -> Option<DomainName> {
    DomainName::other(text)
        .map_err(|e| debug!("DDNS: {address}: {variable} {text:?} not removed: {e}"))
        .ok()
}

/// The guard a lease records: its `ddns-dhcid`, or else its `ddns-txt`.
fn stored_guard(address: Ipv4Addr, recorded: &DnsRecorded) -> Option<Guard> {
    let read = |style: Style, value: Option<&Vec<u8>>, variable: &str| {
        value.and_then(|value| {
            Guard::stored(style, value)
                .map_err(|e| debug!("DDNS: {address}: {variable} not usable: {e}"))
                .ok()
        })
    };
    let guard = read(Style::Standard, recorded.dhcid.as_ref(), "ddns-dhcid")
        .or_else(|| read(Style::Interim, recorded.txt.as_ref(), "ddns-txt"));
    if guard.is_none() {
        debug!("DDNS: {address}: no usable guard recorded; forward records not removed");
    }
    guard
}

/// Why a registration cannot be made; ISC stops there without an update (server/ddns.c
/// `ddns_updates`).
pub(super) type Refusal = String;

/// What to register at `address`: the server path (A and guard, then the PTR) when
/// `add.forward`, else the client path (the PTR only, to the client's own name). The forward
/// name must be a host name (charrua-ddns refuses what BIND's `check-names` would refuse, see
/// docs/ddns.md section 3.2); a reverse name that is no domain name leaves the PTR out.
pub(super) fn registration(address: Ipv4Addr, add: &DnsAdd) -> Result<Registration, Refusal> {
    let style = match add.style {
        DdnsStyle::Interim => Style::Interim,
        DdnsStyle::Standard => Style::Standard,
        DdnsStyle::None => return Err("ddns-update-style none".into()),
    };
    let fqdn = DomainName::host(&add.fqdn).map_err(|e| format!("{}: {e}", add.fqdn))?;
    let reverse = add.reverse.as_deref().and_then(|text| {
        DomainName::other(text)
            .map_err(|e| debug!("DDNS: {address}: reverse name {text:?} not usable: {e}"))
            .ok()
    });
    let path = if add.forward {
        let identity = ClientIdentity {
            client_id: add.identity.client_id.as_deref(),
            htype: add.identity.htype,
            chaddr: &add.identity.chaddr,
        };
        let guard = Guard::new(style, &identity, &fqdn).map_err(|e| format!("{fqdn}: {e}"))?;
        Path::Server { guard }
    } else {
        Path::Client
    };
    Ok(Registration {
        fqdn,
        address,
        ttl: add.ttl,
        reverse,
        path,
    })
}

/// What `recorded` still records once `notes` are written: what a retry must still remove.
pub(super) fn remaining(recorded: &DnsRecorded, notes: &[DnsNote]) -> DnsRecorded {
    let mut left = recorded.clone();
    for note in notes {
        match note {
            DnsNote::ForwardRemoved { fqdn } if left.fwd_name.as_ref() == Some(fqdn) => {
                left.fwd_name = None;
                left.txt = None;
                left.dhcid = None;
            }
            DnsNote::ReverseRemoved { reverse } if left.rev_name.as_ref() == Some(reverse) => {
                left.rev_name = None;
                left.client_fqdn = None;
            }
            _ => {}
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use charrua_server::dns::DnsIdentity;

    const ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

    fn recorded() -> DnsRecorded {
        DnsRecorded {
            fwd_name: Some("alpha.example.test".into()),
            txt: Some(b"31c4ca78f9cf3717b36cf11b2bb4fc190c".to_vec()),
            dhcid: Some(vec![0, 1, 1, 9, 9]),
            rev_name: Some("100.0.18.198.in-addr.arpa.".into()),
            client_fqdn: None,
        }
    }

    fn add(forward: bool, style: DdnsStyle) -> DnsAdd {
        DnsAdd {
            fqdn: "alpha.example.test".into(),
            ttl: 300,
            reverse: Some("100.0.18.198.in-addr.arpa.".into()),
            forward,
            style,
            identity: DnsIdentity {
                client_id: None,
                htype: 1,
                chaddr: vec![2, 0, 0, 0, 0, 1].into(),
            },
        }
    }

    #[test]
    fn removal_prefers_the_dhcid_then_the_txt() {
        let r = registered(ADDRESS, &recorded());
        let forward = r.forward.unwrap();
        assert_eq!(forward.fqdn.as_str(), "alpha.example.test");
        assert_eq!(forward.guard, Guard::Dhcid(vec![0, 1, 1, 9, 9]));
        assert_eq!(r.reverse.unwrap().as_str(), "100.0.18.198.in-addr.arpa.");
        let interim = DnsRecorded {
            dhcid: Some(Vec::new()),
            ..recorded()
        };
        let forward = registered(ADDRESS, &interim).forward.unwrap();
        assert_eq!(forward.guard.lease_variable(), "ddns-txt");
    }

    #[test]
    fn unusable_stored_values_leave_their_part_out() {
        let no_guard = DnsRecorded {
            txt: None,
            dhcid: None,
            ..recorded()
        };
        let r = registered(ADDRESS, &no_guard);
        assert!(r.forward.is_none());
        assert!(r.reverse.is_some());
        let bad_names = DnsRecorded {
            fwd_name: Some("a..b".into()),
            rev_name: Some(String::new()),
            ..recorded()
        };
        let r = registered(ADDRESS, &bad_names);
        assert!(r.forward.is_none() && r.reverse.is_none());
    }

    #[test]
    fn registration_takes_the_path_and_the_guard_of_the_style() {
        let r = registration(ADDRESS, &add(true, DdnsStyle::Standard)).unwrap();
        let Path::Server { guard } = &r.path else {
            panic!("server path expected");
        };
        assert_eq!(guard.lease_variable(), "ddns-dhcid");
        assert_eq!(r.ttl, 300);
        let r = registration(ADDRESS, &add(true, DdnsStyle::Interim)).unwrap();
        assert!(matches!(
            &r.path,
            Path::Server {
                guard: Guard::Txt(_)
            }
        ));
        let r = registration(ADDRESS, &add(false, DdnsStyle::Standard)).unwrap();
        assert_eq!(r.path, Path::Client);
        assert!(registration(ADDRESS, &add(true, DdnsStyle::None)).is_err());
    }

    #[test]
    fn registration_refuses_what_cannot_be_registered() {
        let bad = DnsAdd {
            fqdn: "esp_12ab.example.test".into(),
            ..add(true, DdnsStyle::Standard)
        };
        assert!(registration(ADDRESS, &bad).is_err());
        let mut short_duid = add(true, DdnsStyle::Standard);
        short_duid.identity.client_id = Some(vec![255, 0, 0].into());
        assert!(registration(ADDRESS, &short_duid).is_err());
        let bad_reverse = DnsAdd {
            reverse: Some("a..b".into()),
            ..add(true, DdnsStyle::Standard)
        };
        assert!(registration(ADDRESS, &bad_reverse)
            .unwrap()
            .reverse
            .is_none());
    }

    #[test]
    fn what_remains_to_remove_after_notes() {
        let notes = [DnsNote::ReverseRemoved {
            reverse: "100.0.18.198.in-addr.arpa.".into(),
        }];
        let left = remaining(&recorded(), &notes);
        assert!(left.rev_name.is_none());
        assert!(left.fwd_name.is_some());
        let notes = [DnsNote::ForwardRemoved {
            fqdn: "alpha.example.test".into(),
        }];
        let left = remaining(&left, &notes);
        assert!(!left.is_removable());
    }
}
