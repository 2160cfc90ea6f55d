//! Dynamic DNS (issue 19, docs/ddns.md section 9) judged by the real peers, in network
//! namespaces the test creates (the lab of `lab/ddns.rs`: BIND 9's `named`, the key hmac-md5 in
//! one run, hmac-sha256 in the others; ISC dhcpd then charruad on the same dhcpd.conf, each
//! with a fresh named; ISC dhclient and busybox udhcpc). Records appear within a second of the
//! lease and go at release and at expiry; a second client cannot take a registered name.
//! Every process is started by the test and killed by pid. DNS failures are in
//! `ddns_failures.rs`, hostile names in `ddns_names.rs`, a switch from ISC dhcpd and restarts
//! in `ddns_switch.rs`.

mod lab;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use lab::ddns::{
    config, ddns_bindings, guard, has, reverse, udhcpc_once, within, Dhclient, Holders, Outcome,
    Server, Site, Udhcpc, REGISTERED_WITHIN, TOOLS,
};
use lab::{eventually, read};

/// A client of the differential run and what it must have in DNS once bound.
struct Expect {
    label: &'static str,
    /// The forward name the server registers (A and guard), if it updates the A record.
    fqdn: Option<&'static str>,
    /// The name the PTR points at.
    ptr: &'static str,
}

/// Plays the differential run's clients against `site`: each gets a lease and its records
/// must be there within [`REGISTERED_WITHIN`]; then each releases and its records must go.
fn play(site: &mut Site, style: &str) -> Outcome {
    let server = site.server;
    let guard = guard(style);
    let mut holders = Holders::default();
    let alpha = Dhclient::new(
        &mut site.lab,
        "alpha",
        "02:00:00:00:d1:01",
        "send host-name \"alpha\";\n",
    );
    let charlie = Dhclient::new(
        &mut site.lab,
        "charlie",
        "02:00:00:00:d1:03",
        "send fqdn.fqdn \"charlie.lab.example.\";\nsend fqdn.encoded on;\nsend fqdn.server-update on;\n",
    );
    // The client path: the client updates its A record itself (it is told not to here), the
    // server only the PTR.
    let delta = Dhclient::new(
        &mut site.lab,
        "delta",
        "02:00:00:00:d1:04",
        "send fqdn.fqdn \"delta.lab.example.\";\nsend fqdn.encoded on;\nsend fqdn.server-update off;\ndo-forward-updates false;\n",
    );
    let expect = [
        Expect {
            label: "alpha",
            fqdn: Some("alpha.lab.example."),
            ptr: "alpha.lab.example.",
        },
        // Mixed case: ISC hashes the name as sent into the DHCID (docs/ddns.md 5.2).
        Expect {
            label: "bravo",
            fqdn: Some("Bravo.lab.example."),
            ptr: "Bravo.lab.example.",
        },
        Expect {
            label: "charlie",
            fqdn: Some("charlie.lab.example."),
            ptr: "charlie.lab.example.",
        },
        Expect {
            label: "delta",
            fqdn: None,
            ptr: "delta.lab.example.",
        },
    ];
    let registered = |site: &Site, e: &Expect, address: Ipv4Addr| {
        let records = site.named.registered();
        let forward = e.fqdn.is_none_or(|fqdn| {
            has(&records, fqdn, "A", Some(&address.to_string())) && has(&records, fqdn, guard, None)
        });
        forward && has(&records, &reverse(address), "PTR", Some(e.ptr))
    };
    let gone = |site: &Site, e: &Expect, address: Ipv4Addr| {
        let records = site.named.registered();
        e.fqdn
            .is_none_or(|fqdn| !has(&records, fqdn, "A", None) && !has(&records, fqdn, guard, None))
            && !has(&records, &reverse(address), "PTR", None)
    };
    let mut udhcpc = None;
    let mut addresses = Vec::new();
    for e in &expect {
        let address = match e.label {
            "alpha" => alpha.lease(site),
            "charlie" => charlie.lease(site),
            "delta" => delta.lease(site),
            _ => {
                let (client, address) = Udhcpc::lease(
                    &mut site.lab,
                    server,
                    "bravo",
                    "02:00:00:00:d1:02",
                    &["-x", "hostname:Bravo", "-F", "Bravo"],
                );
                udhcpc = Some(client);
                address
            }
        };
        holders.add(address, e.label);
        addresses.push(address);
        let took = within(Duration::from_secs(5), || registered(site, e, address));
        eprintln!(
            "{server:?}: {} ({address}) registered after {took:?}",
            e.label
        );
        assert!(
            took.is_some_and(|t| t <= REGISTERED_WITHIN),
            "{server:?}: {}'s records ({address}) not in DNS within {REGISTERED_WITHIN:?} \
             of its lease (took {took:?})\n{}",
            e.label,
            site.logs()
        );
    }
    let added = holders.records(&site.named.registered());
    // The lease file is written once the updates were answered.
    let bindings = || {
        let all = ddns_bindings(&read(&site.lab.path("leases")));
        addresses
            .iter()
            .flat_map(|a| {
                all.get(a)
                    .into_iter()
                    .flatten()
                    .map(|l| holders.name(l))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    eventually(5, || {
        bindings()
            .iter()
            .filter(|l| l.contains("ddns-rev-name"))
            .count()
            == expect.len()
    });
    let bindings = bindings();
    for (e, address) in expect.iter().zip(&addresses) {
        match e.label {
            "alpha" => alpha.release(),
            "charlie" => charlie.release(),
            "delta" => delta.release(),
            _ => udhcpc.as_ref().unwrap().release(),
        }
        let took = within(Duration::from_secs(5), || gone(site, e, *address));
        eprintln!("{server:?}: {} ({address}) removed after {took:?}", e.label);
        assert!(
            took.is_some(),
            "{server:?}: {}'s records ({address}) still in DNS 5 s after its release\n{}",
            e.label,
            site.logs()
        );
    }
    Outcome {
        added,
        bindings,
        released: holders.records(&site.named.registered()),
        log: holders.names(&site.ddns_log()),
    }
}

/// The differential run: ISC dhcpd, then charruad, on the same configuration, each with a
/// fresh named; the same records, lease variables and log lines.
fn same_dns_changes(style: &str, algorithm: &str) {
    if lab::skip(TOOLS) {
        return;
    }
    let config = config(style, algorithm, 600);
    let mut isc = Site::start(Server::Isc, &config, algorithm);
    let want = play(&mut isc, style);
    isc.stop();
    eprintln!("ISC dhcpd ({style}, {algorithm}): {want:#?}");
    // What ISC does, as docs/ddns.md describes it: A, guard and PTR (TTL: half the lease),
    // the client path's PTR alone, nothing left after the releases.
    let guard = guard(style);
    for (owner, rtype) in [
        ("alpha.lab.example.", "A"),
        ("alpha.lab.example.", guard),
        ("Bravo.lab.example.", "A"),
        ("Bravo.lab.example.", guard),
        ("charlie.lab.example.", "A"),
        ("charlie.lab.example.", guard),
        ("REV(alpha).", "PTR"),
        ("REV(bravo).", "PTR"),
        ("REV(charlie).", "PTR"),
        ("REV(delta).", "PTR"),
    ] {
        assert!(
            want.added
                .iter()
                .any(|r| r.starts_with(&format!("{owner} 300 {rtype} "))),
            "ISC: no {owner} {rtype} with TTL 300: {want:#?}"
        );
    }
    assert_eq!(want.added.len(), 10, "{want:#?}");
    assert!(want.released.is_empty(), "{want:#?}");

    let mut charruad = Site::start(Server::Charruad, &config, algorithm);
    let got = play(&mut charruad, style);
    let logs = charruad.logs();
    // Its lease file, variables included, is one dhcpd reads.
    if let Some(Err(said)) = charrua_store::testing::dhcpd_test(
        &charruad.lab.path("dhcpd.conf"),
        &charruad.lab.path("leases"),
    ) {
        panic!("dhcpd -T on charruad's lease file:\n{said}\n{logs}");
    }
    charruad.stop();
    assert_eq!(got.added, want.added, "records once bound\n{logs}");
    assert_eq!(got.bindings, want.bindings, "lease variables\n{logs}");
    assert_eq!(got.released, want.released, "records once released\n{logs}");
    assert_eq!(got.log, want.log, "DDNS log lines\n{logs}");
}

/// Interim style (TXT guards), the key hmac-md5.
#[test]
fn isc_and_charrua_make_the_same_dns_changes_interim() {
    same_dns_changes("interim", "hmac-md5");
}

/// Standard style (RFC 4701 DHCID guards), the key hmac-sha256.
#[test]
fn isc_and_charrua_make_the_same_dns_changes_standard() {
    same_dns_changes("standard", "hmac-sha256");
}

/// Two clients asking for the name `alpha`, one after the other: the first's DDNS log lines,
/// the second's refusal, and the zones' records, addresses named by client.
fn second_client(server: Server, style: &str) -> (Vec<String>, Vec<String>) {
    let mut site = Site::start(server, &config(style, "hmac-sha256", 600), "hmac-sha256");
    let mut holders = Holders::default();
    let mut addresses = Vec::new();
    for (label, mac) in [
        ("first", "02:00:00:00:d2:01"),
        ("second", "02:00:00:00:d2:02"),
    ] {
        let ns = site.lab.client(mac);
        let address = udhcpc_once(&site, &ns, &["-x", "hostname:alpha"])
            .unwrap_or_else(|| panic!("{server:?}: {label} got no lease\n{}", site.logs()));
        holders.add(address, label);
        addresses.push(address);
        let done = eventually(5, || {
            site.ddns_log()
                .iter()
                .any(|l| l.contains(&address.to_string()) && l.contains("orward map"))
        });
        assert!(
            done,
            "{server:?} ({style}): no DDNS outcome for the {label} client\n{}",
            site.logs()
        );
    }
    // The name keeps the first client's address; the second has no PTR.
    let records = site.named.registered();
    assert_eq!(
        site.named.dig("alpha.lab.example.", "A"),
        [addresses[0].to_string()],
        "{server:?} ({style})\n{}",
        site.logs()
    );
    assert!(
        !has(&records, &reverse(addresses[1]), "PTR", None),
        "{server:?} ({style})\n{}",
        site.logs()
    );
    let log = holders.names(&site.ddns_log());
    let records = holders.records(&records);
    site.stop();
    (log, records)
}

/// The second client's ACK comes, the name keeps the first's address, and the refusal is
/// ISC's line (docs/ddns.md 5.3: the failed value-dependent prerequisite is NXRRSET), under
/// both styles.
#[test]
fn a_second_client_cannot_take_a_registered_name() {
    if lab::skip(TOOLS) {
        return;
    }
    for style in ["interim", "standard"] {
        let (want, want_records) = second_client(Server::Isc, style);
        eprintln!("ISC dhcpd ({style}): {want:#?}\n{want_records:#?}");
        assert!(
            want.contains(
                &"Forward map from alpha.lab.example. to ADDR(second) FAILED: Has an address \
                  record but no DHCID, not mine."
                    .to_string()
            ),
            "ISC ({style}): {want:#?}"
        );
        let (got, got_records) = second_client(Server::Charruad, style);
        assert_eq!(got, want, "charruad's DDNS log lines ({style})");
        assert_eq!(got_records, want_records, "the zones ({style})");
    }
}

/// A client that gets a lease of 10 s and goes away without releasing it: its records must
/// go when the lease ends. The DDNS log lines (addresses named) and how long after the lease
/// the records went.
fn expiry(server: Server) -> (Vec<String>, Duration) {
    let mut site = Site::start(server, &config("interim", "hmac-sha256", 10), "hmac-sha256");
    let ns = site.lab.client("02:00:00:00:d3:01");
    let address = udhcpc_once(&site, &ns, &["-x", "hostname:kilo"])
        .unwrap_or_else(|| panic!("{server:?}: no lease\n{}", site.logs()));
    let leased = Instant::now();
    let records = |site: &Site| {
        let r = site.named.registered();
        (
            has(&r, "kilo.lab.example.", "A", Some(&address.to_string())),
            has(&r, "kilo.lab.example.", "TXT", None),
            has(&r, &reverse(address), "PTR", Some("kilo.lab.example.")),
        )
    };
    let took = within(Duration::from_secs(5), || {
        records(&site) == (true, true, true)
    });
    assert!(
        took.is_some_and(|t| t <= REGISTERED_WITHIN),
        "{server:?}: kilo not registered within {REGISTERED_WITHIN:?} ({took:?})\n{}",
        site.logs()
    );
    // The lease is 10 s: gone well within 30 s, and not before the lease ended.
    let gone = within(Duration::from_secs(30), || {
        records(&site) == (false, false, false)
    });
    assert!(
        gone.is_some(),
        "{server:?}: kilo's records still there 30 s after its lease\n{}",
        site.logs()
    );
    let after = leased.elapsed();
    eprintln!("{server:?}: kilo's records went {after:?} after its 10 s lease");
    assert!(
        after >= Duration::from_secs(9),
        "{server:?}: removed before the lease ended ({after:?})\n{}",
        site.logs()
    );
    let mut holders = Holders::default();
    holders.add(address, "kilo");
    // The removal's PTR line may trail the forward one.
    std::thread::sleep(Duration::from_millis(300));
    let log = holders.names(&site.ddns_log());
    site.stop();
    (log, after)
}

/// ISC removes the records when the lease ends (docs/ddns.md section 2), with the same lines
/// as at a release.
#[test]
fn expiry_removes_the_records() {
    if lab::skip(TOOLS) {
        return;
    }
    let (want, _) = expiry(Server::Isc);
    eprintln!("ISC dhcpd: {want:#?}");
    assert_eq!(
        want,
        [
            "Added new forward map from kilo.lab.example. to ADDR(kilo)",
            "Added reverse map from REV(kilo). to kilo.lab.example.",
            "Removed forward map from kilo.lab.example. to ADDR(kilo)",
            "Removed reverse map on REV(kilo).",
        ]
    );
    let (got, _) = expiry(Server::Charruad);
    assert_eq!(got, want, "charruad's DDNS log lines");
}
