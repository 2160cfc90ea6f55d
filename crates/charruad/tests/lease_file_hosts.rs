//! Host declarations kept in a dhcpd.leases (made over OMAPI, as Foreman makes them) are served
//! as ISC dhcpd serves them. The lease file is one a real ISC dhcpd wrote while omshell created
//! three hosts and deleted one (testdata/leases/corpus/ok-08-real-omapi-host-deleted.leases, made
//! by testdata/leases/corpus/record.sh); busybox udhcpc is the client.

mod lab;

use std::net::Ipv4Addr;

use lab::{have, Lab};

const CONFIG: &str = "\
default-lease-time 600;
max-lease-time 600;
authoritative;
subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }
";

#[test]
fn omapi_hosts_in_the_lease_file_get_their_fixed_addresses_and_deleted_ones_do_not() {
    if !lab::can_run() || !have("udhcpc") {
        return;
    }
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/leases/corpus/ok-08-real-omapi-host-deleted.leases");
    let mut lab = Lab::new();
    let kept = lab.client("02:00:00:c0:ff:19");
    let deleted = lab.client("02:00:00:c0:ff:1a");
    std::fs::copy(&file, lab.path("leases")).unwrap();
    lab.start_with(CONFIG, &[]);
    let (ip, said) = lab.udhcpc_with(&kept, "/bin/true", &[]);
    assert_eq!(
        ip,
        Some(Ipv4Addr::new(198, 18, 0, 61)),
        "{said}\n{}",
        lab.log()
    );
    let (ip, said) = lab.udhcpc_with(&deleted, "/bin/true", &[]);
    let ip = ip.unwrap_or_else(|| panic!("no lease: {said}\n{}", lab.log()));
    assert_ne!(ip, Ipv4Addr::new(198, 18, 0, 62), "{}", lab.log());
    assert!((100..=150).contains(&ip.octets()[3]), "{ip}\n{}", lab.log());
    assert!(lab.log().contains("host declaration"), "{}", lab.log());
    assert!(lab.stop().success(), "{}", lab.log());
}
