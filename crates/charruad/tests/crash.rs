//! SIGKILL charruad under perfdhcp load, many times, restarting it on the same lease store:
//! every ACK seen on the wire (captured on the server's link) names a lease that is in the
//! store after the last restart, held by the client the ACK went to.

mod lab;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use charrua_server::ClientKey;
use lab::Lab;

const CONFIG: &str = "default-lease-time 3600;\nsubnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.10 198.18.0.250; }\n";

fn kills() -> usize {
    std::env::var("CHARRUAD_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(10)
}

#[test]
fn no_acked_lease_is_lost_across_sigkill_under_load() {
    if !lab::can_run() {
        return;
    }
    let have = |t: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {t}"))
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("perfdhcp") || !have("tshark") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install kea-admin and tshark"
        );
        eprintln!("SKIP: perfdhcp or tshark is not installed");
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:11:01");
    lab.exec(
        &ns,
        5,
        &["ip", "addr", "add", "198.18.0.2/24", "dev", "eth0"],
    );
    lab.capture();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut random = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    for _ in 0..kills() {
        lab.start(CONFIG);
        let mut load = Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns,
                "perfdhcp",
                "-4",
                "-l",
                "eth0",
                "-r",
                "300",
                "-R",
                "200",
                "-p",
                "5",
                "198.18.0.1",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(200 + random(600)));
        lab.crash();
        let _ = load.kill();
        let _ = load.wait();
    }
    let capture = lab.stop_capture();
    // The ACKs the clients saw: (address, hardware address), in order.
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(&capture)
        .args([
            "-Y",
            "dhcp.option.dhcp == 5",
            "-T",
            "fields",
            "-E",
            "occurrence=f",
            "-e",
            "dhcp.ip.your",
            "-e",
            "dhcp.hw.mac_addr",
        ])
        .output()
        .unwrap();
    let mut acked: HashMap<String, String> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((ip, mac)) = line.split_once('\t') {
            acked.insert(ip.to_string(), mac.to_string());
        }
    }
    assert!(
        acked.len() > 50,
        "too few ACKs to test anything: {}",
        acked.len()
    );
    let leases: HashMap<String, ClientKey> = lab
        .leases()
        .into_iter()
        .map(|l| (l.address.to_string(), l.client))
        .collect();
    for (ip, mac) in &acked {
        let bytes: Vec<u8> = mac
            .split(':')
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        // perfdhcp sends a client identifier of type 1 and its MAC; a client without one is
        // known by its hardware address.
        let by_id = ClientKey::ClientId(std::iter::once(1).chain(bytes.iter().copied()).collect());
        let by_hw = ClientKey::Hardware {
            htype: 1,
            addr: bytes.into(),
        };
        let held = leases.get(ip);
        assert!(
            held == Some(&by_id) || held == Some(&by_hw),
            "ACKed lease {ip} to {mac} lost or given to another client: {held:?}"
        );
    }
    eprintln!(
        "{} kills, {} ACKed leases all in the store",
        kills(),
        acked.len()
    );
}
