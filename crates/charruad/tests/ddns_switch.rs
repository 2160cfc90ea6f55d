//! Dynamic DNS across a change of server and a restart, in the lab of `lab/ddns.rs`: what ISC
//! dhcpd registered is removed by charruad, started on ISC's dhcpd.leases as `isc_switch.rs`
//! does, from the `set ddns-fwd-name`, `ddns-txt`/`ddns-dhcid` and `ddns-rev-name` lines ISC
//! wrote (docs/ddns.md section 6: "with a lease file written by another ISC server, the same
//! variables drive the same removals"), at a release and at an expiry; what charruad registered
//! is removed after it was stopped (SIGTERM) or killed (SIGKILL) and started again on its own
//! lease file. Every process is started by the test and killed by pid.

mod lab;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use lab::ddns::{
    config, ddns_bindings, guard, has, reverse, udhcpc_once, within, Dhclient, Holders, Server,
    Site, REGISTERED_WITHIN, TOOLS,
};
use lab::read;

/// The lease time udhcpc asks for (option 51) where its lease must end during the test.
const SHORT: u32 = 15;

/// The switch's configuration: leases of 600 s, but a client may ask for as little as 10 s.
fn switch_config(style: &str) -> String {
    let config = config(style, "hmac-sha256", 600);
    let lowered = config.replace("min-lease-time 600;", "min-lease-time 10;");
    assert_ne!(lowered, config, "config() sets min-lease-time");
    lowered
}

/// Which of `fqdn`'s A (to `address`) and guard (`guard`) and `address`'s PTR (to `fqdn`) are
/// in the zones.
fn records(site: &Site, fqdn: &str, address: Ipv4Addr, guard: &str) -> (bool, bool, bool) {
    let r = site.named.registered();
    (
        has(&r, fqdn, "A", Some(&address.to_string())),
        has(&r, fqdn, guard, None),
        has(&r, &reverse(address), "PTR", Some(fqdn)),
    )
}

/// The `set ddns-...` lines the lease file of `site` holds for `address`, once they name the
/// forward name, the guard and the reverse name (waits up to 5 s; what it holds then).
fn bindings(site: &Site, address: Ipv4Addr, style: &str) -> Vec<String> {
    let guard = if style == "standard" {
        "set ddns-dhcid"
    } else {
        "set ddns-txt"
    };
    let now = || {
        ddns_bindings(&read(&site.lab.path("leases")))
            .remove(&address)
            .unwrap_or_default()
    };
    lab::eventually(5, || {
        let b = now();
        ["set ddns-fwd-name", guard, "set ddns-rev-name"]
            .iter()
            .all(|v| b.iter().any(|l| l.starts_with(v)))
    });
    now()
}

/// ISC dhcpd leases to dhclient `alpha` (600 s) and udhcpc `kilo` (asking for [`SHORT`] s, gone
/// without a release) and registers both; dhcpd is stopped and charruad started on the same
/// dhcpd.conf and dhcpd.leases, the same named running. dhclient releases: alpha's records
/// must go, kilo's stay; kilo's lease ends under charruad: its records must go, not before.
/// charruad's DDNS log lines must be the removals ISC logs at a release and an expiry.
fn isc_records_removed_by_charruad(style: &str) {
    if lab::skip(TOOLS) {
        return;
    }
    let config = switch_config(style);
    let guard = guard(style);
    let mut site = Site::start(Server::Isc, &config, "hmac-sha256");
    let mut holders = Holders::default();
    let alpha = Dhclient::new(
        &mut site.lab,
        "alpha",
        "02:00:00:00:d6:01",
        "send host-name \"alpha\";\n",
    );
    let alpha_address = alpha.lease(&site);
    holders.add(alpha_address, "alpha");
    let ns = site.lab.client("02:00:00:00:d6:02");
    let lease = format!("lease:{SHORT}");
    let kilo_address = udhcpc_once(&site, &ns, &["-x", "hostname:kilo", "-x", &lease])
        .unwrap_or_else(|| panic!("ISC: udhcpc kilo got no lease\n{}", site.logs()));
    let leased = Instant::now();
    holders.add(kilo_address, "kilo");
    let clients = [
        ("alpha.lab.example.", alpha_address),
        ("kilo.lab.example.", kilo_address),
    ];
    for (fqdn, address) in clients {
        let took = within(Duration::from_secs(5), || {
            records(&site, fqdn, address, guard) == (true, true, true)
        });
        assert!(
            took.is_some_and(|t| t <= REGISTERED_WITHIN),
            "ISC ({style}): {fqdn} ({address}) not registered within {REGISTERED_WITHIN:?} \
             ({took:?})\n{}",
            site.logs()
        );
        let set = bindings(&site, address, style);
        eprintln!(
            "ISC dhcpd ({style}): {fqdn} {address}: {}",
            holders.names(&set).join(" ")
        );
        assert_eq!(set.len(), 3, "ISC ({style}), {fqdn}\n{}", site.logs());
    }
    let isc_records = holders.records(&site.named.registered());
    eprintln!("ISC dhcpd ({style}) registered: {isc_records:#?}");
    assert_eq!(isc_records.len(), 6, "{isc_records:#?}");

    site.switch_to_charruad(&config);
    let switched = leased.elapsed();
    // Starting changes nothing in DNS (neither server registers anything at start-up).
    assert_eq!(
        holders.records(&site.named.registered()),
        isc_records,
        "charruad changed the zones at start-up\n{}",
        site.logs()
    );
    alpha.release();
    let (alpha_fqdn, kilo_fqdn) = (clients[0].0, clients[1].0);
    let took = within(Duration::from_secs(5), || {
        records(&site, alpha_fqdn, alpha_address, guard) == (false, false, false)
    });
    eprintln!("charruad ({style}): alpha's records (ISC's) removed after {took:?}");
    assert!(
        took.is_some(),
        "charruad ({style}): alpha's records, added by ISC, still in DNS 5 s after its release\n{}",
        site.logs()
    );
    assert!(
        leased.elapsed() < Duration::from_secs(u64::from(SHORT) - 2),
        "too slow to see kilo's lease end under charruad (switched after {switched:?})"
    );
    assert_eq!(
        records(&site, kilo_fqdn, kilo_address, guard),
        (true, true, true),
        "charruad ({style}): kilo's records went before its lease ended\n{}",
        site.logs()
    );
    let gone = within(Duration::from_secs(u64::from(SHORT) + 20), || {
        records(&site, kilo_fqdn, kilo_address, guard) == (false, false, false)
    });
    let after = leased.elapsed();
    eprintln!(
        "charruad ({style}): kilo's records (ISC's) went {after:?} after its {SHORT} s lease \
         (charruad started {switched:?} after it)"
    );
    assert!(
        gone.is_some(),
        "charruad ({style}): kilo's records, added by ISC, still in DNS 20 s after its lease \
         ended\n{}",
        site.logs()
    );
    // ISC's lease file keeps whole seconds: the lease may end up to a second early.
    assert!(
        after >= Duration::from_secs(u64::from(SHORT) - 2),
        "charruad ({style}): kilo's records removed before its lease ended ({after:?})\n{}",
        site.logs()
    );
    assert!(
        site.named.registered().is_empty(),
        "charruad ({style}) left records\n{}",
        site.logs()
    );
    // The removal's PTR line may trail the forward one.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        holders.names(&site.ddns_log()),
        [
            "Removed forward map from alpha.lab.example. to ADDR(alpha)",
            "Removed reverse map on REV(alpha).",
            "Removed forward map from kilo.lab.example. to ADDR(kilo)",
            "Removed reverse map on REV(kilo).",
        ],
        "charruad's ({style}) DDNS log lines: ISC's at a release and an expiry\n{}",
        site.logs()
    );
    // Its pid file is in the lab's directory, which the site removes.
    drop(alpha);
    site.stop();
}

/// Interim style: TXT guards, ISC's `set ddns-txt` in the lease file.
#[test]
fn records_isc_added_are_removed_by_charruad() {
    isc_records_removed_by_charruad("interim");
}

/// Standard style: DHCID guards, ISC's `set ddns-dhcid` (binary, octal escapes) in the lease
/// file.
#[test]
fn records_isc_added_are_removed_by_charruad_standard() {
    isc_records_removed_by_charruad("standard");
}

/// charruad registers dhclient `alpha`, is stopped with SIGTERM as soon as the records are in
/// DNS, and started again on its lease file; alpha releases: its records must go. Then the same
/// for `bravo` with SIGKILL, once charruad's lease file holds the `set ddns-...` lines (what a
/// crash can keep). The removals are logged as at any release.
#[test]
fn a_restart_keeps_what_to_remove() {
    if lab::skip(TOOLS) {
        return;
    }
    let config = config("interim", "hmac-sha256", 600);
    let mut site = Site::start(Server::Charruad, &config, "hmac-sha256");
    let mut holders = Holders::default();
    for (label, mac, signal) in [
        ("alpha", "02:00:00:00:d7:01", "SIGTERM"),
        ("bravo", "02:00:00:00:d7:02", "SIGKILL"),
    ] {
        let client = Dhclient::new(
            &mut site.lab,
            label,
            mac,
            &format!("send host-name \"{label}\";\n"),
        );
        let address = client.lease(&site);
        holders.add(address, label);
        let fqdn = format!("{label}.lab.example.");
        let took = within(Duration::from_secs(5), || {
            records(&site, &fqdn, address, "TXT") == (true, true, true)
        });
        assert!(
            took.is_some_and(|t| t <= REGISTERED_WITHIN),
            "{label} not registered within {REGISTERED_WITHIN:?} ({took:?})\n{}",
            site.logs()
        );
        if signal == "SIGTERM" {
            let status = site.lab.stop();
            assert!(
                status.success(),
                "charruad exited {status}\n{}",
                site.logs()
            );
        } else {
            let set = bindings(&site, address, "interim");
            assert_eq!(set.len(), 3, "{label}: {set:#?}\n{}", site.logs());
            site.lab.crash();
        }
        let set = ddns_bindings(&read(&site.lab.path("leases")))
            .remove(&address)
            .unwrap_or_default();
        let set = holders.names(&set);
        eprintln!("{label}: charruad's lease file after {signal}: {set:?}");
        site.lab.start(&config);
        client.release();
        let gone = within(Duration::from_secs(5), || {
            records(&site, &fqdn, address, "TXT") == (false, false, false)
        });
        eprintln!("{label}: removed after {gone:?} by charruad restarted after {signal}");
        assert!(
            gone.is_some(),
            "{label}: records still in DNS 5 s after its release to charruad restarted after \
             {signal}\n{}",
            site.logs()
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    let log: Vec<String> = holders
        .names(&site.ddns_log())
        .into_iter()
        .filter(|l| l.starts_with("Removed"))
        .collect();
    assert_eq!(
        log,
        [
            "Removed forward map from alpha.lab.example. to ADDR(alpha)",
            "Removed reverse map on REV(alpha).",
            "Removed forward map from bravo.lab.example. to ADDR(bravo)",
            "Removed reverse map on REV(bravo).",
        ],
        "{}",
        site.logs()
    );
    site.stop();
}
