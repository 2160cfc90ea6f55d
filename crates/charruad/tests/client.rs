//! charrua-client, the project's DHCP client program, against three servers nobody here wrote
//! the client for: charruad, dnsmasq and Kea. In network namespaces, it gets a lease, the
//! address and default route appear on its interface, it renews at T1, reboots into its
//! remembered lease, and releases it with `-r`; tshark decodes everything on the wire.

mod lab;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lab::{have, read, tshark_problems, Lab, Reap};

fn wait_until(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {secs} s waiting for {what}");
}

/// A hook that records every call: `== REASON`, then its environment.
fn hook(lab: &Lab) -> (PathBuf, PathBuf) {
    let log = lab.path("hook.log");
    let path = lab.path("hook.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n{{ echo \"== $reason\"; env; }} >> {}\n",
            log.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    (path, log)
}

struct Session<'a> {
    lab: &'a Lab,
    ns: String,
    bin: PathBuf,
    hook: PathBuf,
    hook_log: PathBuf,
}

impl Session<'_> {
    fn args(&self) -> Vec<String> {
        vec![
            "--lease-file".into(),
            self.lab.path("client.lease").display().to_string(),
            "--script".into(),
            self.hook.display().to_string(),
            "eth0".into(),
        ]
    }

    fn start(&self) -> Reap {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.lab.path("client.log"))
            .unwrap();
        Reap(
            Command::new("ip")
                .args(["netns", "exec", &self.ns])
                .arg(&self.bin)
                .args(self.args())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        )
    }

    fn release(&self) {
        let mut args = vec!["-r".to_string()];
        args.extend(self.args());
        let out = Command::new("timeout")
            .args(["20", "ip", "netns", "exec", &self.ns])
            .arg(&self.bin)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn calls(&self, reason: &str) -> usize {
        read(&self.hook_log)
            .matches(&format!("== {reason}\n"))
            .count()
    }

    fn ip(&self, what: &str) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.ns, "-4", "-o", what, "show"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The value of `name` in the hook's last call.
    fn last(&self, name: &str) -> Option<String> {
        read(&self.hook_log)
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(&format!("{name}=")).map(String::from))
    }

    /// Gets a lease, checks it is on the interface, waits for a renewal (up to `renew_secs`),
    /// restarts into INIT-REBOOT, and releases.
    fn exercise(&self, renew_secs: u64) {
        let client = self.start();
        wait_until(20, "BOUND", || self.calls("BOUND") == 1);
        let address = self.last("new_ip_address").unwrap();
        assert!(address.starts_with("198.18.0."), "{}", read(&self.hook_log));
        assert!(
            self.ip("addr").contains(&format!("{address}/24")),
            "{}",
            self.ip("addr")
        );
        assert!(
            self.ip("route").contains("default via 198.18.0.1"),
            "{}",
            self.ip("route")
        );
        assert_eq!(self.last("new_routers").as_deref(), Some("198.18.0.1"));
        wait_until(renew_secs, "RENEW", || self.calls("RENEW") >= 1);
        assert_eq!(
            self.last("new_ip_address").as_deref(),
            Some(address.as_str())
        );
        drop(client);
        // Restarted, it asks for the remembered address (INIT-REBOOT) and gets it.
        let client = self.start();
        wait_until(20, "REBOOT", || self.calls("REBOOT") == 1);
        assert_eq!(
            self.last("new_ip_address").as_deref(),
            Some(address.as_str())
        );
        drop(client);
        self.release();
        assert_eq!(self.calls("RELEASE"), 1, "{}", read(&self.hook_log));
        assert!(!self.ip("addr").contains(&address), "{}", self.ip("addr"));
        assert!(!self.lab.path("client.lease").exists());
    }
}

fn session<'a>(lab: &'a mut Lab, mac: &str) -> Option<Session<'a>> {
    let bin = lab::sibling_binary("charrua-client")?;
    let ns = lab.client(mac);
    let (hook, hook_log) = hook(lab);
    Some(Session {
        lab,
        ns,
        bin,
        hook,
        hook_log,
    })
}

#[test]
fn charrua_client_with_charruad() {
    if !lab::can_run() {
        return;
    }
    let mut lab = Lab::new();
    lab.start(
        "default-lease-time 8; max-lease-time 8;\n\
         subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; option routers 198.18.0.1; }\n",
    );
    lab.capture();
    let Some(s) = session(&mut lab, "02:00:00:00:c1:01") else {
        return;
    };
    s.exercise(20);
    drop(s);
    let capture = lab.stop_capture();
    if have("tshark") {
        assert_eq!(tshark_problems(&capture), "", "tshark found problems");
        let out = Command::new("tshark")
            .arg("-n")
            .arg("-r")
            .arg(&capture)
            .args([
                "-Y",
                "dhcp && udp.srcport == 68",
                "-T",
                "fields",
                "-e",
                "dhcp.option.dhcp",
            ])
            .output()
            .unwrap();
        let kinds = String::from_utf8_lossy(&out.stdout).into_owned();
        // 1 DISCOVER, 3 REQUEST, 7 RELEASE: the client's every message decodes.
        for kind in ["1", "3", "7"] {
            assert!(
                kinds.lines().any(|l| l.trim() == kind),
                "no DHCP message {kind} in {kinds}"
            );
        }
    }
}

/// dnsmasq serving `range` (`first,last,mask,lease`) on the lab's bridge, not authoritative
/// unless `authoritative`; `extra` arguments after.
fn dnsmasq(lab: &Lab, range: &str, authoritative: bool, extra: &[&str]) -> Reap {
    let dir = lab.dir.path().display().to_string();
    Reap(
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &lab.server,
                "dnsmasq",
                "-k",
                "--conf-file=/dev/null",
                "--port=0",
                "--interface=br0",
                "--bind-interfaces",
            ])
            .args(authoritative.then_some("--dhcp-authoritative"))
            .arg(format!("--dhcp-range={range}"))
            .arg(format!("--dhcp-leasefile={dir}/dnsmasq.leases"))
            .arg(format!("--pid-file={dir}/dnsmasq.pid"))
            .args(extra)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Kea serving `subnet` (`a.b.c.0/24`) from `.100` to `.150` on the lab's bridge, with `.1` as
/// router and leases of 10 s (T1 3 s, T2 7 s).
fn kea(lab: &Lab, subnet: &str) -> Reap {
    let dir = lab.dir.path().display().to_string();
    let net = subnet.trim_end_matches("0/24");
    let config = lab.path("kea.json");
    std::fs::write(
        &config,
        format!(
            r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": [ "br0" ] }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{dir}/kea-leases4.csv" }},
  "valid-lifetime": 10, "renew-timer": 3, "rebind-timer": 7,
  "subnet4": [ {{ "id": 1, "subnet": "{subnet}",
                 "pools": [ {{ "pool": "{net}100 - {net}150" }} ],
                 "option-data": [ {{ "name": "routers", "data": "{net}1" }} ] }} ]
}} }}"#
        ),
    )
    .unwrap();
    Reap(
        Command::new("ip")
            .args(["netns", "exec", &lab.server, "kea-dhcp4", "-c"])
            .arg(&config)
            .env("KEA_PIDFILE_DIR", &dir)
            .env("KEA_LOCKFILE_DIR", &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn charrua_client_with_dnsmasq() {
    if !lab::can_run() || !have("dnsmasq") {
        return;
    }
    let mut lab = Lab::new();
    // dnsmasq's shortest lease is two minutes: T1 comes after one.
    let _dnsmasq = dnsmasq(
        &lab,
        "198.18.0.100,198.18.0.150,255.255.255.0,2m",
        true,
        &[],
    );
    let Some(s) = session(&mut lab, "02:00:00:00:c1:02") else {
        return;
    };
    s.exercise(90);
}

#[test]
fn charrua_client_with_kea() {
    if !lab::can_run() || !have("kea-dhcp4") {
        return;
    }
    let mut lab = Lab::new();
    let _kea = kea(&lab, "198.18.0.0/24");
    let Some(s) = session(&mut lab, "02:00:00:00:c1:03") else {
        return;
    };
    s.exercise(20);
}

/// A laptop that moved: the client remembers a lease from 198.18.0.0/24 and wakes up on a
/// network where `server` serves 198.18.1.0/24 and has no record of it, so its INIT-REBOOT
/// REQUEST meets silence (RFC 2131 section 4.3.2). It gives up after the reboot timeout and is
/// bound on the new network within 15 s.
fn moved_to_another_network(mac: &str, server: impl FnOnce(&Lab) -> Reap) {
    let mut lab = Lab::new();
    lab.start("subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }\n");
    let Some(s) = session(&mut lab, mac) else {
        return;
    };
    let client = s.start();
    wait_until(20, "BOUND", || s.calls("BOUND") == 1);
    drop(client);
    let (lab, ns) = (s.lab, s.ns.clone());
    lab.signal("TERM");
    // The old network is gone: a new one, served by another server that never saw the client.
    for args in [
        vec!["-n", &lab.server, "addr", "flush", "dev", "br0"],
        vec![
            "-n",
            &lab.server,
            "addr",
            "add",
            "198.18.1.1/24",
            "dev",
            "br0",
        ],
        vec!["-n", &ns, "addr", "flush", "dev", "eth0"],
    ] {
        assert!(Command::new("ip").args(&args).status().unwrap().success());
    }
    let _server = server(lab);
    std::thread::sleep(Duration::from_millis(500));
    let began = Instant::now();
    let client = s.start();
    let bound = Instant::now();
    while s.calls("BOUND") < 2 && bound.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        s.calls("BOUND"),
        2,
        "not bound on the new network:\n{}\n{}",
        read(&lab.path("client.log")),
        read(&s.hook_log)
    );
    let took = began.elapsed();
    drop(client);
    let address = s.last("new_ip_address").unwrap_or_default();
    assert!(address.starts_with("198.18.1."), "{}", read(&s.hook_log));
    assert!(
        took < Duration::from_secs(15),
        "bound after {took:?}:\n{}",
        read(&lab.path("client.log"))
    );
    eprintln!("moved: bound to {address} after {took:?}");
}

#[test]
fn a_moved_client_gives_up_its_old_lease_with_kea() {
    if !lab::can_run() || !have("kea-dhcp4") {
        return;
    }
    moved_to_another_network("02:00:00:00:c1:05", |lab| kea(lab, "198.18.1.0/24"));
}

#[test]
fn a_moved_client_gives_up_its_old_lease_with_dnsmasq() {
    if !lab::can_run() || !have("dnsmasq") {
        return;
    }
    // dnsmasq pings an address before its first offer of it, up to 3 s whatever the client
    // does; what is measured here is the client's giving up.
    moved_to_another_network("02:00:00:00:c1:06", |lab| {
        dnsmasq(
            lab,
            "198.18.1.100,198.18.1.150,255.255.255.0,2m",
            false,
            &["--no-ping"],
        )
    });
}

#[test]
fn charrua_client_declines_an_address_another_station_uses() {
    if !lab::can_run() {
        return;
    }
    let mut lab = Lab::new();
    // One address in the pool, and a station already using it (it answers ARP for it). The
    // server's own probe would find the station first (as dnsmasq's, off with --no-ping above):
    // off, so that the client's is tested.
    lab.start(
        "default-lease-time 60;\nping-check false;\n\
         subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.100; }\n",
    );
    let squatter = lab.client("02:00:00:00:c1:0f");
    lab.exec(
        &squatter,
        5,
        &["ip", "addr", "add", "198.18.0.100/24", "dev", "eth0"],
    );
    let Some(s) = session(&mut lab, "02:00:00:00:c1:04") else {
        return;
    };
    let client = s.start();
    wait_until(20, "DECLINE", || s.calls("DECLINE") == 1);
    drop(client);
    assert_eq!(s.calls("BOUND"), 0, "{}", read(&s.hook_log));
    assert!(!s.ip("addr").contains("198.18.0.100"), "{}", s.ip("addr"));
    assert!(read(&s.lab.path("client.log")).contains("in use on the link"));
    drop(s);
    assert!(lab.stop().success());
    assert!(
        lab.log().contains("DHCPDECLINE of 198.18.0.100"),
        "{}",
        lab.log()
    );
}
