//! Updates sent over IPv6: `zone` statements naming their server with `primary6`, and
//! `ddns-local-address6` choosing the source address (docs/ddns.md sections 1.2 and 7),
//! judged by ISC dhcpd and BIND in network namespaces the test creates (the lab of
//! `lab/ddns.rs`, named also listening on an IPv6 documentation address): both servers
//! register the same records, and named sees every update come from the configured source.

mod lab;

use lab::ddns::{names_and_leases, reverse, udhcpc_once, within, Holders, Server, Site, TOOLS};
use lab::named::{key_statement, FORWARD, KEY, REVERSE};

use std::time::Duration;

/// named's IPv6 address, and the DHCP server's source for updates.
const NAMED6: &str = "2001:db8:18::1";
const LOCAL6: &str = "2001:db8:18::2";

fn config() -> String {
    format!(
        "ddns-update-style standard;\n\
         ddns-local-address6 {LOCAL6};\n\
         {key}\
         zone {FORWARD} {{ primary6 {NAMED6}; key {KEY}; }}\n\
         zone {REVERSE} {{ primary6 {NAMED6}; key {KEY}; }}\n\
         {rest}",
        key = key_statement("hmac-sha256"),
        rest = names_and_leases(600),
    )
}

/// The zones' records (addresses named by client) and the sources named saw updates from.
fn over_ipv6(server: Server) -> (Vec<String>, Vec<String>) {
    let mut site = Site::start_v6(server, &config(), "hmac-sha256", (NAMED6, LOCAL6));
    let mut holders = Holders::default();
    let ns = site.lab.client("02:00:00:00:d8:01");
    let address = udhcpc_once(&site, &ns, &["-x", "hostname:six"])
        .unwrap_or_else(|| panic!("{server:?}: no lease\n{}", site.logs()));
    holders.add(address, "six");
    let registered = within(Duration::from_secs(5), || {
        lab::ddns::has(&site.named.registered(), &reverse(address), "PTR", None)
    });
    assert!(
        registered.is_some(),
        "{server:?}: not registered\n{}",
        site.logs()
    );
    let records = holders.records(&site.named.registered());
    // named: `client @0x... ADDRESS#PORT/key NAME: updating zone ...`.
    let mut sources: Vec<String> = site
        .named
        .log()
        .lines()
        .filter(|l| l.contains("updating zone"))
        .filter_map(|l| l.split_whitespace().find(|w| w.contains('#')))
        .filter_map(|w| w.split('#').next().map(str::to_string))
        .collect();
    sources.dedup();
    site.stop();
    (records, sources)
}

#[test]
fn updates_go_over_ipv6_from_the_configured_source_as_isc_sends_them() {
    if lab::skip(TOOLS) {
        return;
    }
    let (want, isc_sources) = over_ipv6(Server::Isc);
    eprintln!("ISC dhcpd: {want:#?} from {isc_sources:?}");
    assert_eq!(want.len(), 3, "A, DHCID and PTR: {want:#?}");
    assert_eq!(isc_sources, [LOCAL6], "ISC's updates");
    let (got, sources) = over_ipv6(Server::Charruad);
    assert_eq!(got, want, "the zones");
    assert_eq!(sources, [LOCAL6], "charruad's updates");
}
