//! Dual-stack mixed mode (`ddns-dual-stack-mixed-mode`, `ddns-other-guard-is-dynamic`;
//! docs/ddns.md sections 5.3 and 5.4) judged by ISC dhcpd and BIND 9 in network namespaces
//! the test creates (the lab of `lab/ddns.rs`). The forward zone starts with what a DHCPv6
//! server of the other style and an administrator left there; ISC dhcpd, then charruad, each
//! with a fresh named holding the same records, serve the same clients: the same records,
//! lease variables and log lines, once bound and once released.

mod lab;

use std::net::Ipv4Addr;
use std::time::Duration;

use lab::ddns::{
    config, ddns_bindings, has, reverse, within, Holders, Outcome, Server, Site, Udhcpc, TOOLS,
};
use lab::read;

/// The DHCPv6 server's guard (standard style, RFC 4701's DUID example): the other style's
/// guard for an `interim` DHCPv4 server.
const V6_DHCID: &str = "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=";

/// What the zone holds before any DHCPv4 client comes: `dual` is the DHCPv6 server's
/// (AAAA and its DHCID), `fixed6` a static AAAA, `stale` an address record beside the other
/// server's guard.
fn others_records() -> String {
    format!(
        "update add dual.lab.example. 300 AAAA 2001:db8::5\n\
         update add dual.lab.example. 300 DHCID {V6_DHCID}\n\
         update add fixed6.lab.example. 300 AAAA 2001:db8::6\n\
         update add stale.lab.example. 300 A 198.18.0.250\n\
         update add stale.lab.example. 300 DHCID {V6_DHCID}"
    )
}

/// The clients `dual`, `fixed6` and `stale` (busybox udhcpc, each asking for its name) against
/// `server` with mixed mode on, `other_is_dynamic` or not. With it, the interim guard of `dual`
/// is deleted between the adds and the releases, as the other server would when it takes the
/// name over, so that the removal finds the other style's guard only.
fn play(server: Server, other_is_dynamic: bool) -> Outcome {
    let mut conf = config("interim", "hmac-sha256", 600);
    conf.push_str("ddns-dual-stack-mixed-mode true;\n");
    if other_is_dynamic {
        conf.push_str("ddns-other-guard-is-dynamic true;\n");
    }
    let mut site = Site::start(server, &conf, "hmac-sha256");
    site.named.nsupdate(&others_records());
    let mut holders = Holders::default();
    let mut clients = Vec::new();
    for (label, mac) in [
        ("dual", "02:00:00:00:d5:01"),
        ("fixed6", "02:00:00:00:d5:02"),
        ("stale", "02:00:00:00:d5:03"),
    ] {
        let hostname = format!("hostname:{label}");
        let (client, address) =
            Udhcpc::lease(&mut site.lab, server, label, mac, &["-x", &hostname]);
        holders.add(address, label);
        let answered = within(Duration::from_secs(5), || {
            site.ddns_log()
                .iter()
                .any(|l| l.contains(&address.to_string()) && l.contains("orward map"))
        });
        assert!(
            answered.is_some(),
            "{server:?}: no DDNS outcome for {label} ({address})\n{}",
            site.logs()
        );
        clients.push((label, client, address));
    }
    // The PTR follows a forward success: wait for those before the snapshot.
    let log = site.ddns_log();
    let ptrs: Vec<Ipv4Addr> = clients
        .iter()
        .map(|(_, _, a)| *a)
        .filter(|a| {
            let added = format!(" to {a}");
            log.iter()
                .any(|l| l.starts_with("Added new forward map from") && l.ends_with(&added))
        })
        .collect();
    let all_ptrs = within(Duration::from_secs(5), || {
        let records = site.named.registered();
        ptrs.iter()
            .all(|a| has(&records, &reverse(*a), "PTR", None))
    });
    assert!(
        all_ptrs.is_some(),
        "{server:?}: PTRs missing\n{}",
        site.logs()
    );
    let bindings = || {
        let all = ddns_bindings(&read(&site.lab.path("leases")));
        clients
            .iter()
            .flat_map(|(_, _, a)| all.get(a).into_iter().flatten().map(|l| holders.name(l)))
            .collect::<Vec<_>>()
    };
    let written = within(Duration::from_secs(5), || {
        bindings()
            .iter()
            .filter(|l| l.contains("ddns-rev-name"))
            .count()
            == ptrs.len()
    });
    assert!(
        written.is_some(),
        "{server:?}: lease variables\n{}",
        site.logs()
    );
    let added = holders.records(&site.named.registered());
    let bindings = bindings();

    if other_is_dynamic {
        site.named.nsupdate("update delete dual.lab.example. TXT");
    }
    // One at a time, each removal over before the next release, for the log's order.
    for (label, client, address) in &clients {
        client.release();
        if ptrs.contains(address) {
            let removed = within(Duration::from_secs(5), || {
                !has(&site.named.registered(), &reverse(*address), "PTR", None)
            });
            assert!(
                removed.is_some(),
                "{server:?}: {label}'s PTR left\n{}",
                site.logs()
            );
        }
    }
    // The forward steps come before the PTR's; a moment for the log lines.
    std::thread::sleep(Duration::from_millis(300));
    let outcome = Outcome {
        added,
        bindings,
        released: holders.records(&site.named.registered()),
        log: holders.names(&site.ddns_log()),
    };
    drop(clients);
    site.stop();
    outcome
}

fn same_changes(other_is_dynamic: bool) -> Outcome {
    let want = play(Server::Isc, other_is_dynamic);
    eprintln!("ISC dhcpd (other guard dynamic: {other_is_dynamic}): {want:#?}");
    let got = play(Server::Charruad, other_is_dynamic);
    assert_eq!(got.added, want.added, "records once bound");
    assert_eq!(got.bindings, want.bindings, "lease variables");
    assert_eq!(got.log, want.log, "DDNS log lines");
    assert_eq!(got.released, want.released, "records once released");
    want
}

/// Mixed mode: `dual` (the DHCPv6 server's name) takes the address beside the AAAA (add 3);
/// a static AAAA and an address beside the other's guard are refused with ISC's lines; the
/// release removes the A and the interim guard although an AAAA remains, and the AAAA and its
/// guard stay.
#[test]
fn mixed_mode_shares_names_with_the_other_protocol_as_isc_does() {
    if lab::skip(TOOLS) || lab::skip(&["nsupdate"]) {
        return;
    }
    let isc = same_changes(false);
    for line in [
        "Added new forward map from dual.lab.example. to ADDR(dual)",
        "Forward map from fixed6.lab.example. to ADDR(fixed6) FAILED: static entry of the other protocol type exists.",
        "Forward map from stale.lab.example. to ADDR(stale) FAILED: an entry that is either static or owned by another client exists.",
    ] {
        assert!(isc.log.iter().any(|l| l == line), "ISC: no '{line}': {isc:#?}");
    }
    assert!(
        has(&isc.added, "dual.lab.example.", "AAAA", None),
        "{isc:#?}"
    );
    assert!(has(&isc.added, "dual.lab.example.", "A", None), "{isc:#?}");
    assert!(
        has(&isc.released, "dual.lab.example.", "AAAA", None),
        "{isc:#?}"
    );
    assert!(
        !has(&isc.released, "dual.lab.example.", "A", None),
        "{isc:#?}"
    );
    assert!(
        !has(&isc.released, "dual.lab.example.", "TXT", None),
        "{isc:#?}"
    );
}

/// With `ddns-other-guard-is-dynamic` the other server's guard makes the whole name dynamic:
/// `stale`'s unguarded A is replaced, and at the release the A of `dual`, whose interim guard
/// is gone, is removed all the same.
#[test]
fn other_guard_is_dynamic_takes_unguarded_addresses_as_isc_does() {
    if lab::skip(TOOLS) || lab::skip(&["nsupdate"]) {
        return;
    }
    let isc = same_changes(true);
    assert!(
        isc.log
            .iter()
            .any(|l| l == "Added new forward map from stale.lab.example. to ADDR(stale)"),
        "{isc:#?}"
    );
    assert!(
        !has(&isc.released, "dual.lab.example.", "A", None),
        "{isc:#?}"
    );
    assert!(
        !has(&isc.added, "stale.lab.example.", "A", Some("198.18.0.250")),
        "{isc:#?}"
    );
}
