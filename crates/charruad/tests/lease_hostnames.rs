//! `get-lease-hostnames`, judged against ISC dhcpd in network namespaces the test creates: the
//! server namespace gets a hosts file of its own (`ip netns exec` mounts /etc/netns/NS/hosts
//! over /etc/hosts) naming the pool's addresses; busybox udhcpc, which asks for option 12, must
//! be given the name of its address by each server.

mod lab;

use std::path::PathBuf;

use lab::{skip, Lab};

const CONFIG: &str = "\
get-lease-hostnames true;
default-lease-time 600;
subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.101; }
";

/// The hosts file of the lab's server namespace, removed on drop.
struct Hosts(PathBuf);

impl Hosts {
    fn new(lab: &Lab) -> Self {
        let dir = PathBuf::from(format!("/etc/netns/{}", lab.server));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("hosts"),
            "127.0.0.1 localhost\n198.18.0.100 pc100.example.test\n198.18.0.101 pc101.example.test\n",
        )
        .unwrap();
        Self(dir)
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The address udhcpc got and the host name it was given with it.
fn lease_and_name(lab: &mut Lab) -> (String, String) {
    let ns = lab.client("02:00:00:00:51:01");
    let env = lab.path("udhcpc.env");
    let hook = lab.hook("udhcpc.sh", &env);
    let (ip, said) = lab.udhcpc_once(&ns, hook.to_str().unwrap());
    let ip = ip.unwrap_or_else(|| panic!("udhcpc got no lease:\n{said}\n{}", lab.logs()));
    let text = lab::read(&env);
    let name = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("hostname="))
        .unwrap_or_default()
        .to_string();
    (ip.to_string(), name)
}

#[test]
fn charruad_sends_the_name_of_the_leased_address_as_dhcpd_does() {
    if skip(&["udhcpc", "dhcpd"]) {
        return;
    }
    let mut isc = Lab::new();
    let _hosts = Hosts::new(&isc);
    std::fs::write(isc.path("dhcpd.conf"), CONFIG).unwrap();
    std::fs::write(isc.path("leases"), "").unwrap();
    let dhcpd = isc.start_dhcpd();
    let (ip, name) = lease_and_name(&mut isc);
    isc.stop_dhcpd(dhcpd);
    let last = ip.rsplit('.').next().unwrap_or_default();
    assert_eq!(name, format!("pc{last}.example.test"), "ISC dhcpd");

    let mut lab = Lab::new();
    let _hosts = Hosts::new(&lab);
    lab.start(CONFIG);
    // The names are looked up off the serving loop: wait for them.
    assert!(
        lab::eventually(10, || lab
            .log()
            .contains("2 of 2 pool addresses have a host name")),
        "{}",
        lab.log()
    );
    let (ip, name) = lease_and_name(&mut lab);
    let last = ip.rsplit('.').next().unwrap_or_default();
    assert_eq!(
        name,
        format!("pc{last}.example.test"),
        "charruad\n{}",
        lab.log()
    );
    assert!(lab.stop().success(), "{}", lab.log());
}
