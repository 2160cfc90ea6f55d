//! Real clients against charruad, in network namespaces the test creates: ISC dhclient, busybox
//! udhcpc and dhcpcd get leases with the configured options, renew, release and come back with
//! INIT-REBOOT; two clients get different addresses; a reservation is honoured; every reply
//! captured decodes in tshark without a malformed packet or expert error.

mod lab;

use std::process::Command;
use std::time::Duration;

use charrua_server::LeaseState;
use lab::{have, tshark_problems, udp_from, Lab};

const CONFIG: &str = r#"
authoritative;
default-lease-time 600;
max-lease-time 3600;
option domain-name "example.test";
option domain-name-servers 198.18.0.53;
subnet 198.18.0.0 netmask 255.255.255.0 {
  range 198.18.0.100 198.18.0.199;
  option routers 198.18.0.1;
}
host reserved { hardware ethernet 02:00:00:00:00:99; fixed-address 198.18.0.9; }
"#;

/// A client hook that records its calls and configures the address it was given, so that
/// renewals and releases can be unicast from it.
fn udhcpc_hook(lab: &Lab) -> std::path::PathBuf {
    let log = lab.path("udhcpc.log");
    let path = lab.path("udhcpc.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n{{ echo \"== $1\"; env; }} >> {}\ncase \"$1\" in\n  bound|renew) ip addr flush dev \"$interface\"; ip addr add \"$ip/$mask\" dev \"$interface\";;\n  deconfig) ip addr flush dev \"$interface\";;\nesac\n",
            log.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    path
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn udhcpc_gets_a_lease_renews_it_and_releases_it() {
    if !lab::can_run() || !have("udhcpc") {
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:01:01");
    lab.capture();
    lab.start(CONFIG);
    let hook = udhcpc_hook(&lab);
    let log = lab.path("udhcpc.log");
    let mut client = Command::new("ip")
        .args([
            "netns", "exec", &ns, "udhcpc", "-f", "-i", "eth0", "-R", "-t", "5", "-T", "1", "-s",
        ])
        .arg(&hook)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(lab.path("udhcpc.stderr")).unwrap())
        .spawn()
        .unwrap();
    /// Kills the client if the test fails before it ends it.
    struct Reap(Option<u32>);
    impl Drop for Reap {
        fn drop(&mut self) {
            if let Some(pid) = self.0 {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
    let mut reap = Reap(Some(client.id()));
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("a lease", || {
        read().contains("== bound") && read().contains("\nip=")
    });
    let env = read();
    let ip = env
        .lines()
        .find_map(|l| l.strip_prefix("ip="))
        .unwrap()
        .to_string();
    assert!(ip.starts_with("198.18.0.1"), "{env}");
    for expected in [
        "router=198.18.0.1",
        "dns=198.18.0.53",
        "domain=example.test",
        "lease=600",
        "subnet=255.255.255.0",
    ] {
        assert!(
            env.lines().any(|l| l == expected),
            "missing {expected} in\n{env}"
        );
    }
    // The hook has configured the address (renewals are unicast from it); then SIGUSR1: renew.
    wait_for("the address on eth0", || {
        let out = lab.exec(&ns, 5, &["ip", "-4", "addr", "show", "dev", "eth0"]);
        String::from_utf8_lossy(&out.stdout).contains(&format!("{ip}/24"))
    });
    // udhcpc reads signals once its hook has returned and it is waiting again.
    wait_for("udhcpc to settle", || {
        std::fs::read_to_string(lab.path("udhcpc.stderr"))
            .unwrap_or_default()
            .contains("obtained")
    });
    std::thread::sleep(Duration::from_millis(200));
    // udhcpc runs in the foreground (-f), so the child is udhcpc itself.
    let pid = client.id().to_string();
    let signal = |sig: &str| {
        Command::new("kill").args([sig, &pid]).status().unwrap();
    };
    signal("-USR1");
    let renewed = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        read().contains("== renew")
    });
    let stderr = std::fs::read_to_string(lab.path("udhcpc.stderr")).unwrap_or_default();
    assert!(
        renewed,
        "no renewal; charruad log:\n{}\nclient:\n{stderr}",
        lab.log()
    );
    assert!(
        lab.log()
            .contains(&format!("DHCPREQUEST for {ip} from 02:00:00:00:01:01")),
        "{}",
        lab.log()
    );
    // SIGTERM with -R: release.
    signal("-TERM");
    let _ = client.wait();
    reap.0 = None;
    wait_for("the release", || lab.log().contains("DHCPRELEASE"));
    std::thread::sleep(Duration::from_millis(300));
    let lease = lab
        .leases()
        .into_iter()
        .find(|l| l.address.to_string() == ip)
        .unwrap();
    assert_eq!(lease.state, LeaseState::Released);
    let capture = lab.stop_capture();
    if have("tshark") {
        assert_eq!(
            tshark_problems(&capture),
            "",
            "tshark found problems in our replies"
        );
        // The OFFER went to the client's hardware address and yiaddr (RFC 2131 section 4.1),
        // as an Ethernet frame: the client could not have answered ARP yet.
        let out = Command::new("tshark")
            .arg("-n")
            .arg("-r")
            .arg(&capture)
            .args([
                "-Y",
                "dhcp.option.dhcp == 2",
                "-T",
                "fields",
                "-e",
                "eth.dst",
                "-e",
                "ip.dst",
            ])
            .output()
            .unwrap();
        let offer = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            offer.lines().next(),
            Some(format!("02:00:00:00:01:01\t{ip}").as_str()),
            "{offer}"
        );
    }
    assert!(
        lab.stop().success(),
        "charruad exits 0 on SIGTERM\n{}",
        lab.log()
    );
}

#[test]
fn dhclient_gets_a_lease_releases_it_and_reboots_into_it() {
    if !lab::can_run() || !have("dhclient") {
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:02:01");
    lab.start(CONFIG);
    let client = lab.dhclient(&ns);
    let dhclient = |extra: &[&str]| client.run(extra);
    dhclient(&["-1"]);
    let text = client.said();
    assert!(text.contains("== BOUND"), "{text}");
    let ip = text
        .lines()
        .find_map(|l| l.strip_prefix("new_ip_address="))
        .unwrap()
        .to_string();
    assert!(
        text.contains("new_routers=198.18.0.1") && text.contains("new_domain_name=example.test"),
        "{text}"
    );
    dhclient(&["-r"]);
    wait_for("the release", || {
        lab.log().contains(&format!("DHCPRELEASE of {ip}"))
    });
    // Back again: dhclient asks for its remembered address (INIT-REBOOT) and gets it.
    dhclient(&["-1"]);
    let text = client.said();
    assert!(
        text.contains("== REBOOT") || text.matches("== BOUND").count() == 2,
        "{text}"
    );
    assert_eq!(
        text.lines()
            .rev()
            .find_map(|l| l.strip_prefix("new_ip_address=")),
        Some(ip.as_str())
    );
    dhclient(&["-x"]);
}

#[test]
fn dhcpcd_gets_a_lease_and_comes_back_with_init_reboot() {
    if !lab::can_run() || !have("dhcpcd") {
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:03:01");
    lab.start(CONFIG);
    let env = lab.path("dhcpcd.env");
    let hook = lab.hook("dhcpcd.sh", &env);
    // dhcpcd keeps its lease under /var/lib/dhcpcd by interface name: start clean, end clean.
    let clean = || {
        let _ = Command::new("sh")
            .arg("-c")
            .arg("rm -f /var/lib/dhcpcd/eth0*.lease*")
            .status();
    };
    clean();
    let run = || {
        let out = lab.exec(
            &ns,
            40,
            &[
                "dhcpcd",
                "-4",
                "-1",
                "-w",
                "-t",
                "15",
                "--config",
                "/dev/null",
                "--script",
                hook.to_str().unwrap(),
                "eth0",
            ],
        );
        assert!(
            out.status.success(),
            "dhcpcd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run();
    let text = std::fs::read_to_string(&env).unwrap();
    let ip = text
        .lines()
        .find_map(|l| l.strip_prefix("new_ip_address="))
        .unwrap()
        .to_string();
    // dhcpcd with an empty configuration asks for few options; the router is among them.
    assert!(text.contains("new_routers=198.18.0.1"), "{text}");
    lab.exec(&ns, 10, &["ip", "addr", "flush", "dev", "eth0"]);
    run();
    assert!(
        lab.log()
            .contains(&format!("DHCPREQUEST for {ip} from 02:00:00:00:03:01")),
        "{}",
        lab.log()
    );
    let text = std::fs::read_to_string(&env).unwrap();
    assert_eq!(
        text.lines()
            .rev()
            .find_map(|l| l.strip_prefix("new_ip_address=")),
        Some(ip.as_str())
    );
    clean();
}

#[test]
fn two_clients_get_different_addresses_and_a_reservation_is_honoured() {
    if !lab::can_run() || !have("udhcpc") {
        return;
    }
    let mut lab = Lab::new();
    let namespaces = [
        lab.client("02:00:00:00:04:01"),
        lab.client("02:00:00:00:04:02"),
        lab.client("02:00:00:00:00:99"),
    ];
    lab.start(CONFIG);
    let mut addresses: Vec<String> = namespaces
        .iter()
        .map(|ns| match lab.udhcpc_once(ns, "/bin/true") {
            (Some(ip), _) => ip.to_string(),
            (None, err) => panic!("no lease: {err}"),
        })
        .collect();
    assert_eq!(addresses[2], "198.18.0.9", "the reservation");
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 3, "each client its own address");
}

#[test]
fn a_bad_reload_keeps_serving_and_a_good_one_takes_effect() {
    if !lab::can_run() || !have("udhcpc") {
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:05:01");
    lab.start(CONFIG);
    std::fs::write(
        lab.path("dhcpd.conf"),
        "subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.1.5; }",
    )
    .unwrap();
    lab.signal("HUP");
    wait_for("the refused reload", || {
        lab.log()
            .contains("still serving the previous configuration")
    });
    std::fs::write(
        lab.path("dhcpd.conf"),
        CONFIG.replace("example.test", "reloaded.test"),
    )
    .unwrap();
    lab.signal("HUP");
    wait_for("the reload", || lab.log().contains("reloaded"));
    let hook = udhcpc_hook(&lab);
    let (ip, err) = lab.udhcpc_once(&ns, hook.to_str().unwrap());
    assert!(ip.is_some(), "{err}");
    let env = std::fs::read_to_string(lab.path("udhcpc.log")).unwrap();
    assert!(env.lines().any(|l| l == "domain=reloaded.test"), "{env}");
}

#[test]
fn privileges_are_dropped_for_good_once_the_socket_is_open() {
    if !lab::can_run() || !have("udhcpc") {
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:06:01");
    lab.start_with(CONFIG, &["-user", "nobody", "-group", "nogroup"]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", lab.pid().unwrap())).unwrap();
    let ids = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap()
            .split_whitespace()
            .skip(1)
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert!(ids("Uid:").iter().all(|u| u != "0"), "still root: {status}");
    assert!(
        ids("Gid:").iter().all(|g| g != "0"),
        "still in group root: {status}"
    );
    assert!(ids("Groups:").iter().all(|g| g != "0"), "{status}");
    // And it still serves.
    assert!(
        lab.udhcpc_once(&ns, "/bin/true").0.is_some(),
        "{}",
        lab.log()
    );
}

#[test]
fn an_inform_is_answered_at_the_clients_address_without_a_lease() {
    if !lab::can_run() {
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:07:01");
    lab.start(CONFIG);
    lab.exec(
        &ns,
        5,
        &["ip", "addr", "add", "198.18.0.50/24", "dev", "eth0"],
    );
    let mut inform = vec![0u8; 240];
    inform[0] = 1;
    inform[1] = 1;
    inform[2] = 6;
    inform[4..8].copy_from_slice(&0x0bad_cafeu32.to_be_bytes());
    inform[12..16].copy_from_slice(&[198, 18, 0, 50]);
    inform[28..34].copy_from_slice(&[2, 0, 0, 0, 7, 1]);
    inform[236..240].copy_from_slice(&[99, 130, 83, 99]);
    inform.extend_from_slice(&[53, 1, 8, 55, 2, 3, 6, 255]);
    let reply = udp_from(&ns, vec![inform], "198.18.0.1:67", true).unwrap();
    let (payload, from) = reply;
    assert_eq!(from.to_string(), "198.18.0.1:67");
    let msg = charrua_wire::Message::parse(&payload).unwrap();
    assert_eq!(msg.message_type(), Some(charrua_wire::MessageType::ACK));
    assert_eq!(msg.xid, 0x0bad_cafe);
    assert_eq!(
        msg.options.lease_time(),
        None,
        "no lease time in an INFORM's ACK"
    );
    assert!(msg.options.contains(charrua_wire::OptionCode::ROUTERS));
    assert!(lab.leases().is_empty());
}

#[test]
fn a_rebinding_client_is_answered_at_its_address() {
    if !lab::can_run() || !have("udhcpc") {
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:08:01");
    lab.start(CONFIG);
    let (ip, err) = lab.udhcpc_once(&ns, "/bin/true");
    let ip = ip.unwrap_or_else(|| panic!("no lease: {err}"));
    lab.exec(
        &ns,
        5,
        &["ip", "addr", "add", &format!("{ip}/24"), "dev", "eth0"],
    );
    lab.exec(&ns, 5, &["ip", "route", "add", "default", "dev", "eth0"]);
    // REBINDING (RFC 2131 section 4.3.2): ciaddr set, no server identifier or requested
    // address, broadcast.
    let mut request = vec![0u8; 240];
    request[..3].copy_from_slice(&[1, 1, 6]);
    request[4..8].copy_from_slice(&0x0000_beefu32.to_be_bytes());
    request[12..16].copy_from_slice(&ip.octets());
    request[28..34].copy_from_slice(&[2, 0, 0, 0, 8, 1]);
    request[236..240].copy_from_slice(&[99, 130, 83, 99]);
    // udhcpc identified itself with a client identifier (type 1 and its MAC): the same client.
    request.extend_from_slice(&[53, 1, 3, 61, 7, 1, 2, 0, 0, 0, 8, 1, 255]);
    let (payload, from) = udp_from(&ns, vec![request], "255.255.255.255:67", true).unwrap();
    assert_eq!(from.ip().to_string(), "198.18.0.1");
    let msg = charrua_wire::Message::parse(&payload).unwrap();
    assert_eq!(msg.message_type(), Some(charrua_wire::MessageType::ACK));
    assert_eq!((msg.xid, msg.ciaddr, msg.yiaddr), (0xbeef, ip, ip));
    assert!(
        lab.log()
            .contains(&format!("DHCPACK on {ip} to 02:00:00:00:08:01")),
        "{}",
        lab.log()
    );
}

#[test]
fn another_port_serves_on_it_and_answers_on_the_next() {
    if !lab::can_run() {
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:09:01");
    lab.start_with(CONFIG, &["-p", "6767"]);
    lab.exec(
        &ns,
        5,
        &["ip", "addr", "add", "198.18.0.60/24", "dev", "eth0"],
    );
    let mut discover = vec![0u8; 240];
    discover[..3].copy_from_slice(&[1, 1, 6]);
    discover[4..8].copy_from_slice(&0x0000_6767u32.to_be_bytes());
    discover[10] = 0x80; // broadcast bit: the answer comes to 255.255.255.255 on the client port
    discover[28..34].copy_from_slice(&[2, 0, 0, 0, 9, 1]);
    discover[236..240].copy_from_slice(&[99, 130, 83, 99]);
    discover.extend_from_slice(&[53, 1, 1, 255]);
    let (payload, from) = udp_from(&ns, vec![discover], "198.18.0.1:6767", true).unwrap();
    assert_eq!(from.port(), 6767);
    let msg = charrua_wire::Message::parse(&payload).unwrap();
    assert_eq!(msg.message_type(), Some(charrua_wire::MessageType::OFFER));
    assert_eq!(msg.xid, 0x6767);
}

/// `log-facility local7` sends the log to syslog with that facility, as dhcpd logs, so a site's
/// `local7.* /var/log/dhcpd.log` keeps filling: the lease of a real client arrives there as
/// `<190>charruad[PID]: DHCPACK ...` (local7, informational).
#[test]
fn log_facility_sends_the_log_to_syslog_with_that_facility() {
    if !lab::can_run() {
        return;
    }
    let mut lab = Lab::new();
    let socket = lab.path("syslog");
    let syslog = std::os::unix::net::UnixDatagram::bind(&socket).unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    lab.start_with(
        "log-facility local7;\n\
         subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }\n",
        &["--syslog-socket", socket.to_str().unwrap()],
    );
    let ns = lab.client("02:00:00:00:5e:01");
    assert!(
        lab.udhcpc_once(&ns, "/bin/true").0.is_some(),
        "{}",
        lab.log()
    );
    let mut lines = Vec::new();
    let found = lab::eventually(10, || {
        let mut buf = [0u8; 2048];
        while let Ok(n) = syslog.recv(&mut buf) {
            lines.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        lines
            .iter()
            .any(|l| l.starts_with("<190>charruad[") && l.contains("]: DHCPACK"))
    });
    assert!(found, "{lines:#?}\n{}", lab.log());
    assert!(lab.stop().success());
}
