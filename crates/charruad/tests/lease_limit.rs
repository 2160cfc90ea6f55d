//! ISC's class lease limits (`spawn with` and `lease limit`, server/class.c), judged against ISC
//! dhcpd in network namespaces the test creates: a class spawns a subclass per hardware vendor
//! prefix (OUI) and lets each hold two leases. Two clients of one prefix get leases, a third
//! gets none ("no available billing", server/dhcp.c `ack_lease`), a client of another prefix
//! gets one. The lease file bills each lease to its subclass as dhcpd writes it
//! (`billing subclass "NAME" VALUE;`), and each server reads the other's.

mod lab;

use std::net::Ipv4Addr;

use lab::{skip, Lab};

const CONFIG: &str = "\
ping-check false;
default-lease-time 600;
max-lease-time 600;
class \"per-oui\" {
  spawn with substring(hardware, 1, 3);
  lease limit 2;
}
subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.120; }
";

const SAME_OUI: [&str; 3] = [
    "02:00:00:00:23:01",
    "02:00:00:00:23:02",
    "02:00:00:00:23:03",
];
const OTHER_OUI: &str = "02:00:01:00:23:04";
const BILLED: &str = "billing subclass \"per-oui\" 02:00:00;";

/// A lease for the client in `ns`, not waited for long (a refused client gets no reply).
fn quick_lease(lab: &Lab, ns: &str) -> (Option<Ipv4Addr>, String) {
    lab.udhcpc_with(ns, "/bin/true", &["-t", "2", "-T", "1"])
}

/// What each client got from the server running in `lab`: the first two of one prefix, the
/// third of it, the one of another prefix.
fn ask(lab: &mut Lab) -> Vec<Option<Ipv4Addr>> {
    let mut got = Vec::new();
    for mac in SAME_OUI.iter().chain([&OTHER_OUI]) {
        let client = lab.client(mac);
        // The refused client is not waited for long.
        let (ip, _) = quick_lease(lab, &client);
        got.push(ip);
    }
    got
}

fn check(got: &[Option<Ipv4Addr>], logs: &str) {
    assert!(got[0].is_some() && got[1].is_some(), "{got:?}\n{logs}");
    assert_eq!(got[2], None, "the third of a prefix got a lease\n{logs}");
    assert!(got[3].is_some(), "another prefix got no lease\n{logs}");
}

#[test]
fn charruad_limits_each_spawned_subclass_as_dhcpd_does() {
    if skip(&["udhcpc", "dhcpd"]) {
        return;
    }
    let mut lab = Lab::new();
    lab.start(CONFIG);
    let got = ask(&mut lab);
    check(&got, &lab.logs());
    assert!(lab.log().contains("LeaseLimitReached"), "{}", lab.logs());
    assert!(lab.stop().success(), "{}", lab.log());
    let file = lab::read(&lab.path("leases"));
    assert_eq!(file.matches(BILLED).count(), 2, "{file}");
    // Restarted, the billing is read back: the prefix is still full.
    lab.start(CONFIG);
    let client = lab.client("02:00:00:00:23:05");
    let (refused, said) = quick_lease(&lab, &client);
    assert_eq!(refused, None, "{said}\n{}", lab.logs());
    assert!(lab.stop().success(), "{}", lab.log());
    // ISC dhcpd reads charruad's lease file, billing and all, and keeps the prefix full.
    let dhcpd = lab.start_dhcpd();
    let client = lab.client("02:00:00:00:23:06");
    let (refused, said) = quick_lease(&lab, &client);
    lab.stop_dhcpd(dhcpd);
    assert_eq!(refused, None, "{said}\n{}", lab.logs());
}

#[test]
fn isc_dhcpd_does_the_same_and_charruad_reads_its_billing() {
    if skip(&["udhcpc", "dhcpd"]) {
        return;
    }
    let mut lab = Lab::new();
    let got = lab.with_dhcpd(CONFIG, ask);
    check(&got, &lab.logs());
    let log = lab::read(&lab.path("dhcpd.log"));
    assert!(
        log.contains(
            "no available billing: lease limit reached in all matching classes (last: 'per-oui')"
        ),
        "{}",
        lab.logs()
    );
    let file = lab::read(&lab.path("leases"));
    assert!(file.contains(BILLED), "{file}");
    // charruad takes over dhcpd's lease file: the prefix stays full.
    lab.start(CONFIG);
    let client = lab.client("02:00:00:00:23:05");
    let (refused, said) = quick_lease(&lab, &client);
    assert_eq!(refused, None, "{said}\n{}", lab.logs());
    assert!(lab.stop().success(), "{}", lab.log());
}
