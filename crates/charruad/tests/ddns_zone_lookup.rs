//! Names no `zone` statement covers: their zone found in DNS, as ISC dhcpd finds it (the NS
//! records of the name, then of each shorter name, through `/etc/resolv.conf`; updates
//! unsigned; docs/ddns.md section 1.3), judged by ISC dhcpd and BIND in network namespaces
//! the test creates (the lab of `lab/ddns.rs`, named being the server namespace's resolver
//! and taking unsigned updates from the DHCP server's address). dhcpd drops the update that
//! starts a lookup (the forward one of the first client, the PTR of the second), so from the
//! third client on both servers register the same way; charruad registers every client.

mod lab;

use std::net::Ipv4Addr;
use std::time::Duration;

use lab::ddns::{
    has, names_and_leases, reverse, udhcpc_once, within, Holders, Server, Site, TOOLS,
};
use lab::named::{ADDRESS, FORWARD};

/// DDNS without `key` or `zone` statements: the zones must be found in DNS.
fn config() -> String {
    format!("ddns-update-style interim;\n{}", names_and_leases(600))
}

/// What one server did: each client's address, the DDNS log lines and the zones' records
/// (addresses named by client).
struct Outcome {
    addresses: Vec<Ipv4Addr>,
    log: Vec<String>,
    records: Vec<String>,
}

const CLIENTS: [(&str, &str); 3] = [
    ("first", "02:00:00:00:d7:01"),
    ("second", "02:00:00:00:d7:02"),
    ("third", "02:00:00:00:d7:03"),
];

/// Three udhcpc clients, one after the other, each asking for its name; each waits until its
/// PTR is in DNS (for ISC, at most 3 s: it may drop the update).
fn play(server: Server) -> Outcome {
    let mut site = Site::start_found(server, &config(), "hmac-sha256", ADDRESS);
    let mut holders = Holders::default();
    let mut addresses = Vec::new();
    for (label, mac) in CLIENTS {
        let ns = site.lab.client(mac);
        let hostname = format!("hostname:{label}");
        let address = udhcpc_once(&site, &ns, &["-x", &hostname])
            .unwrap_or_else(|| panic!("{server:?}: {label} got no lease\n{}", site.logs()));
        holders.add(address, label);
        addresses.push(address);
        let ptr = within(Duration::from_secs(3), || {
            has(&site.named.registered(), &reverse(address), "PTR", None)
        });
        eprintln!("{server:?}: {label} ({address}): PTR after {ptr:?}");
    }
    let outcome = Outcome {
        addresses,
        log: holders.names(&site.ddns_log()),
        records: holders.records(&site.named.registered()),
    };
    site.stop();
    outcome
}

/// The records of `label` (its forward name and its PTR), the guard's value (which hashes the
/// client's identity) left out.
fn of(records: &[String], label: &str) -> Vec<String> {
    let owners = [format!("{label}.{FORWARD} "), format!("REV({label}). ")];
    records
        .iter()
        .filter(|r| owners.iter().any(|o| r.starts_with(o)))
        .map(|r| match r.split_once(" TXT ") {
            Some((head, _)) => format!("{head} TXT"),
            None => r.clone(),
        })
        .collect()
}

#[test]
fn zones_without_a_zone_statement_are_found_in_dns_as_isc_finds_them() {
    if lab::skip(TOOLS) {
        return;
    }
    let isc = play(Server::Isc);
    eprintln!("ISC dhcpd: {:#?}\n{:#?}", isc.log, isc.records);
    // dhcpd's lookups: the first client's forward update and the second's PTR are dropped,
    // the third is registered whole, unsigned.
    assert!(of(&isc.records, "first").is_empty(), "{:#?}", isc.records);
    let second = of(&isc.records, "second");
    assert!(
        second.iter().any(|r| r.contains(" A ")) && !second.iter().any(|r| r.contains(" PTR ")),
        "{second:#?}"
    );
    let want = of(&isc.records, "third");
    assert_eq!(want.len(), 3, "A, TXT and PTR: {want:#?}");

    let charruad = play(Server::Charruad);
    eprintln!("charruad: {:#?}\n{:#?}", charruad.log, charruad.records);
    // charruad waits for its lookups: every client is registered, each as dhcpd registers
    // the third.
    for (label, _) in CLIENTS {
        let got = of(&charruad.records, label);
        let expected: Vec<String> = want.iter().map(|r| r.replace("third", label)).collect();
        assert_eq!(got, expected, "{label}'s records");
    }
    let lines = |log: &[String], label: &str| -> Vec<String> {
        log.iter()
            .filter(|l| l.contains(&format!("({label})")))
            .cloned()
            .collect()
    };
    assert_eq!(
        lines(&charruad.log, "third"),
        lines(&isc.log, "third"),
        "the third client's DDNS log lines"
    );
    assert_eq!(charruad.addresses.len(), CLIENTS.len());
}

/// A resolver that does not answer (an address of the lab where no host is): the first lookup
/// waits its 3 s and fails, then the resolver is left alone for a minute, each update of a name
/// without zone logged and dropped at once; leases are served all along.
#[test]
fn a_silent_resolver_is_left_alone() {
    if lab::skip(TOOLS) {
        return;
    }
    let mut site = Site::start_found(Server::Charruad, &config(), "hmac-sha256", "198.18.0.9");
    for (label, mac) in CLIENTS.iter().take(2) {
        let ns = site.lab.client(mac);
        let hostname = format!("hostname:{label}");
        let address = udhcpc_once(&site, &ns, &["-x", &hostname])
            .unwrap_or_else(|| panic!("{label} got no lease\n{}", site.logs()));
        let dropped = format!("DDNS: no zone for {label}.{FORWARD}");
        let took = within(Duration::from_secs(8), || site.log().contains(&dropped));
        eprintln!("{label} ({address}): dropped after {took:?}");
        assert!(took.is_some(), "{label}: not dropped\n{}", site.logs());
    }
    let log = site.log();
    assert_eq!(
        log.matches("the resolver did not answer").count(),
        1,
        "one lookup waited, the next none:\n{log}"
    );
    assert!(site.named.registered().is_empty(), "{}", site.logs());
    site.stop();
}
