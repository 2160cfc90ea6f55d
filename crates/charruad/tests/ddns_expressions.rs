//! DDNS settings computed from the client's FQDN option (81) as ISC dhcpd decodes it into its
//! `fqdn` option space (`option fqdn.hostname`, `exists fqdn.fqdn`; docs/ddns.md section 3.1),
//! the way real dhcpd.conf files name clients: ISC dhcpd, then charruad, on the same
//! configuration, each with a fresh named (the lab of `lab/ddns.rs`), serve the same busybox
//! udhcpc and ISC dhclient clients, and must register the same names with the same TTLs and
//! log the same lines, a `log` statement printing the sub-options dhcpd decoded among them.

mod lab;

use std::time::Duration;

use lab::ddns::{config, reverse, udhcpc_once, within, Dhclient, Holders, Server, Site, TOOLS};

/// The names: the FQDN option's host name, else option 12, else one made from the hardware
/// address; a longer TTL for clients that sent a name in option 81.
const NAMING: &str = "\
ddns-hostname = pick-first-value(option fqdn.hostname, option host-name, \
concat(\"dhcp-\", binary-to-ascii(16, 8, \"\", substring(hardware, 1, 6))));
if exists fqdn.fqdn { ddns-ttl 1200; }
log(info, concat(\"fqdn-probe \", pick-first-value(option fqdn.domainname, \"-\"), \
\" e=\", binary-to-ascii(10, 8, \"\", pick-first-value(option fqdn.encoded, 9)), \
\" o=\", binary-to-ascii(10, 8, \"\", pick-first-value(option fqdn.no-client-update, 9)), \
\" s=\", binary-to-ascii(10, 8, \"\", pick-first-value(option fqdn.server-update, 9))));
";

/// The DDNS and probe log lines and the zones' records, addresses named by client.
fn names(server: Server) -> (Vec<String>, Vec<String>) {
    let mut conf = config("interim", "hmac-sha256", 600);
    conf.push_str(NAMING);
    let mut site = Site::start(server, &conf, "hmac-sha256");
    let mut holders = Holders::default();
    let wire = Dhclient::new(
        &mut site.lab,
        "wire",
        "02:00:00:00:d6:04",
        "send fqdn.fqdn \"wire-client.lab.example.\";\nsend fqdn.encoded on;\nsend fqdn.server-update on;\n",
    );
    for (label, mac, args) in [
        ("fqdn", "02:00:00:00:d6:01", &["-F", "fq-client"][..]),
        (
            "host",
            "02:00:00:00:d6:02",
            &["-x", "hostname:plain-host"][..],
        ),
        ("none", "02:00:00:00:d6:03", &[][..]),
        ("wire", "", &[][..]),
    ] {
        let address = if label == "wire" {
            wire.lease(&site)
        } else {
            let ns = site.lab.client(mac);
            udhcpc_once(&site, &ns, args)
                .unwrap_or_else(|| panic!("{server:?}: {label} got no lease\n{}", site.logs()))
        };
        holders.add(address, label);
        // The chain's end: the PTR added, or the forward add refused.
        let ptr = format!("Added reverse map from {}", reverse(address));
        let refused = format!(" to {address}");
        let registered = within(Duration::from_secs(5), || {
            site.ddns_log()
                .iter()
                .any(|l| l.starts_with(&ptr) || (l.contains("FAILED") && l.ends_with(&refused)))
        });
        assert!(
            registered.is_some(),
            "{server:?}: {label} ({address}) not registered\n{}",
            site.logs()
        );
    }
    let mut log = holders.names(&site.ddns_log());
    let log_text = site.log();
    // Each distinct line once: how many DISCOVERs a client sends is its own business.
    let probes: std::collections::BTreeSet<String> = log_text
        .lines()
        .filter_map(|l| l.find("fqdn-probe ").map(|at| l[at..].to_string()))
        .collect();
    log.extend(probes);
    let out = (log, holders.records(&site.named.registered()));
    site.stop();
    out
}

#[test]
fn names_from_the_fqdn_option_space_as_isc_makes_them() {
    if lab::skip(TOOLS) {
        return;
    }
    let (want_log, want_records) = names(Server::Isc);
    eprintln!("ISC dhcpd: {want_log:#?}\n{want_records:#?}");
    for record in [
        "fq-client.lab.example. 1200 A ADDR(fqdn)",
        "plain-host.lab.example. 300 A ADDR(host)",
        "dhcp-2000d63.lab.example. 300 A ADDR(none)",
        "wire-client.lab.example. 1200 A ADDR(wire)",
    ] {
        assert!(
            want_records.iter().any(|r| r == record),
            "ISC: no {record}: {want_records:#?}"
        );
    }
    // What dhcpd decoded of the wire-form name: its domain with a leading dot.
    assert!(
        want_log
            .iter()
            .any(|l| l == "fqdn-probe .lab.example e=1 o=0 s=1"),
        "ISC: {want_log:#?}"
    );
    let (got_log, got_records) = names(Server::Charruad);
    assert_eq!(got_records, want_records, "the zones");
    assert_eq!(got_log, want_log, "DDNS log lines");
}
