//! `local-port` and `remote-port` in dhcpd.conf, judged against ISC dhcpd in network namespaces
//! the test creates: with `local-port 10067; remote-port 10068;` each server hears ISC dhclient
//! on port 10067 (`-p 10068`: it sends from 10068 to 10067) and answers it on 10068; busybox
//! udhcpc on the usual ports gets nothing. With `local-address`, each binds its UDP socket to
//! that address and still serves the link.

mod lab;

use lab::{skip, Lab};

const CONFIG: &str = "\
local-port 10067;
remote-port 10068;
default-lease-time 600;
subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }
";

/// Whether ISC dhclient on ports 10068 and 10067 gets a lease; what its hook logged.
fn lease_on_10068(lab: &mut Lab, mac: &str) -> (bool, String) {
    let ns = lab.client(mac);
    let client = lab.dhclient(&ns);
    client.run(&["-1", "-p", "10068"]);
    let said = client.said();
    client.run(&["-x", "-p", "10068"]);
    (said.contains("== BOUND"), said)
}

/// Whether busybox udhcpc on the usual ports gets a lease (it should not).
fn lease_on_68(lab: &mut Lab, mac: &str) -> bool {
    let ns = lab.client(mac);
    let out = lab.exec(
        &ns,
        20,
        &[
            "udhcpc",
            "-i",
            "eth0",
            "-n",
            "-q",
            "-t",
            "2",
            "-T",
            "1",
            "-s",
            "/bin/true",
        ],
    );
    out.status.success()
}

#[test]
fn charruad_serves_on_the_configured_ports() {
    if skip(&["udhcpc", "dhclient"]) {
        return;
    }
    let mut lab = Lab::new();
    lab.start(CONFIG);
    let (got, said) = lease_on_10068(&mut lab, "02:00:00:00:41:01");
    assert!(got, "dhclient -p 10068:\n{said}\n{}", lab.logs());
    assert!(
        !lease_on_68(&mut lab, "02:00:00:00:41:02"),
        "{}",
        lab.logs()
    );
    assert!(lab.stop().success(), "{}", lab.log());
}

#[test]
fn isc_dhcpd_serves_on_the_configured_ports_too() {
    if skip(&["udhcpc", "dhclient", "dhcpd"]) {
        return;
    }
    let mut lab = Lab::new();
    std::fs::write(lab.path("dhcpd.conf"), CONFIG).unwrap();
    std::fs::write(lab.path("leases"), "").unwrap();
    let dhcpd = lab.start_dhcpd();
    let (got, said) = lease_on_10068(&mut lab, "02:00:00:00:41:01");
    let heard_on_68 = lease_on_68(&mut lab, "02:00:00:00:41:02");
    lab.stop_dhcpd(dhcpd);
    assert!(got, "dhclient -p 10068:\n{said}\n{}", lab.logs());
    assert!(!heard_on_68, "{}", lab.logs());
}

/// The UDP sockets bound in the lab's server namespace, as `ss -ulnp` lists them.
fn bound(lab: &Lab) -> String {
    let out = lab.exec(&lab.server, 5, &["ss", "-ulnp"]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `local-address`: each server binds its UDP socket to that address (clients on the link are
/// still served: requests arrive on the packet socket, as they do to dhcpd's).
#[test]
fn local_address_binds_the_udp_socket_as_dhcpd_binds_it() {
    if skip(&["udhcpc", "dhcpd", "ss"]) {
        return;
    }
    let config = "local-address 198.18.0.254;\n\
                  subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }\n";
    for server in ["dhcpd", "charruad"] {
        let mut lab = Lab::new();
        lab.in_server(&["ip", "addr", "add", "198.18.0.254/24", "dev", "br0"]);
        std::fs::write(lab.path("dhcpd.conf"), config).unwrap();
        std::fs::write(lab.path("leases"), "").unwrap();
        let ns = lab.client("02:00:00:00:42:01");
        let dhcpd = (server == "dhcpd").then(|| lab.start_dhcpd());
        if server == "charruad" {
            lab.start(config);
        }
        let (got, said) = lab.udhcpc_once(&ns, "/bin/true");
        assert!(got.is_some(), "{server}: {said}\n{}", lab.logs());
        let listed = bound(&lab);
        assert!(listed.contains("198.18.0.254:67"), "{server}:\n{listed}");
        if let Some(dhcpd) = dhcpd {
            lab.stop_dhcpd(dhcpd);
        } else {
            assert!(lab.stop().success(), "{}", lab.log());
        }
    }
}
