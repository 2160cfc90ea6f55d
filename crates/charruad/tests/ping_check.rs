//! ISC's `ping-check` (on by default), judged against ISC dhcpd in network namespaces the test
//! creates: a host the server does not know already uses 198.18.0.100, in the range; a client
//! asks for that address. Each server sends an ICMP echo to it before offering it, hears the
//! answer, abandons the address ("Abandoning IP address 198.18.0.100: pinged before offer",
//! server/mdb.c), and offers the client's next DISCOVER the other address of the range. The
//! abandoned address is in the lease file as dhcpd keeps it.

mod lab;

use std::net::Ipv4Addr;

use charrua_server::LeaseState;
use lab::{skip, Lab};

const CONFIG: &str = "\
default-lease-time 600;
max-lease-time 600;
subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.101; }
";

const IN_USE: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
const FREE: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 101);
const ABANDONING: &str = "Abandoning IP address 198.18.0.100: pinged before offer";

/// A lab whose bridge has a host at [`IN_USE`] (it answers ICMP echoes) and a client, which
/// asks for [`IN_USE`] with busybox udhcpc (`-r`): the address the client got, and what it
/// printed.
fn ask_for_the_address_in_use(lab: &mut Lab) -> (Option<Ipv4Addr>, String) {
    let squatter = lab.client("02:00:00:00:21:02");
    let out = lab.exec(
        &squatter,
        5,
        &["ip", "addr", "add", &format!("{IN_USE}/24"), "dev", "eth0"],
    );
    assert!(out.status.success());
    let client = lab.client("02:00:00:00:21:01");
    lab.udhcpc_with(&client, "/bin/true", &["-r", &IN_USE.to_string()])
}

#[test]
fn charruad_abandons_an_address_that_answers_its_ping_and_offers_another() {
    if skip(&["udhcpc"]) {
        return;
    }
    let mut lab = Lab::new();
    lab.start(CONFIG);
    let (got, said) = ask_for_the_address_in_use(&mut lab);
    assert_eq!(got, Some(FREE), "udhcpc:\n{said}\n{}", lab.logs());
    assert!(lab.log().contains(ABANDONING), "{}", lab.logs());
    let abandoned = lab.leases().into_iter().find(|l| l.address == IN_USE);
    assert_eq!(
        abandoned.map(|l| l.state),
        Some(LeaseState::Declined),
        "{}",
        lab.logs()
    );
    // The lease file says so as dhcpd writes it.
    let file = lab::read(&lab.path("leases"));
    assert!(file.contains("binding state abandoned;"), "{file}");
    assert!(lab.stop().success(), "{}", lab.log());
}

#[test]
fn isc_dhcpd_does_the_same() {
    if skip(&["udhcpc", "dhcpd"]) {
        return;
    }
    let mut lab = Lab::new();
    let (got, said) = lab.with_dhcpd(CONFIG, ask_for_the_address_in_use);
    assert_eq!(got, Some(FREE), "udhcpc:\n{said}\n{}", lab.logs());
    let log = lab::read(&lab.path("dhcpd.log"));
    assert!(log.contains(ABANDONING), "{}", lab.logs());
    let file = lab::read(&lab.path("leases"));
    let block = file
        .split("lease 198.18.0.100 {")
        .last()
        .unwrap_or_default();
    assert!(block.contains("binding state abandoned;"), "{}", lab.logs());
}

#[test]
fn with_ping_check_false_charruad_offers_the_address_unprobed() {
    if skip(&["udhcpc"]) {
        return;
    }
    let mut lab = Lab::new();
    lab.start(&format!("ping-check false;\n{CONFIG}"));
    let (got, said) = ask_for_the_address_in_use(&mut lab);
    assert_eq!(got, Some(IN_USE), "udhcpc:\n{said}\n{}", lab.logs());
    assert!(!lab.log().contains(ABANDONING), "{}", lab.logs());
    assert!(lab.stop().success(), "{}", lab.log());
}
