//! SIGKILL charruad under perfdhcp load, many times, restarting it on the same lease store (an
//! ISC dhcpd.leases, a journal, a PostgreSQL database): every ACK seen on the wire (captured on the server's
//! link) names a lease that is in the store after the last restart, held by the client the ACK
//! went to, and no address is held by two clients. The ISC file is checked by `dhcpd -T`. Once
//! more with every lease registered in a BIND 9 (issue 19): the DNS results written into the
//! leases between the kills lose nothing either, and every name a lease records is in DNS.

mod lab;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use charrua_server::ClientKey;
use lab::Lab;

// Load generators time out in a second: addresses are not probed first (as in bench/run).
const CONFIG: &str = "default-lease-time 3600;\nping-check false;\nsubnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.10 198.18.0.250; }\n";

fn kills() -> usize {
    std::env::var("CHARRUAD_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(10)
}

#[test]
fn no_acked_lease_is_lost_across_sigkill_under_load_isc_format() {
    sigkill_under_load("isc");
}

#[test]
fn no_acked_lease_is_lost_across_sigkill_under_load_journal() {
    sigkill_under_load("journal");
}

#[test]
fn no_acked_lease_is_lost_across_sigkill_under_load_postgresql() {
    sigkill_under_load("postgresql");
}

#[test]
fn no_acked_lease_is_lost_across_sigkill_under_load_with_ddns() {
    sigkill_under_load("ddns");
}

/// [`CONFIG`] with a name registered for every lease, in the lab's named.
fn ddns_config() -> String {
    format!(
        "ddns-update-style interim;\n{key}{zones}ddns-domainname \"{domain}\";\n\
         ddns-hostname = concat(\"h-\", binary-to-ascii(16, 8, \"-\", substring(hardware, 1, 6)));\n{CONFIG}",
        key = lab::named::key_statement("hmac-sha256"),
        zones = lab::named::dhcpd_zones(),
        domain = lab::named::FORWARD,
    )
}

fn sigkill_under_load(format: &str) {
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
    let database = if format == "postgresql" {
        let Some(cluster) = charrua_store::pg_cluster::Cluster::for_test() else {
            return;
        };
        Some(cluster)
    } else {
        None
    };
    let store = database
        .as_ref()
        .map(charrua_store::pg_cluster::Cluster::url);
    let ddns = format == "ddns";
    if ddns && !lab::have("named") {
        return;
    }
    let config = if ddns {
        ddns_config()
    } else {
        CONFIG.to_string()
    };
    let format = if ddns { "isc" } else { format };
    let mut lab = Lab::new();
    let named = ddns.then(|| lab.start_named("hmac-sha256"));
    let ns = lab.relay_client("02:00:00:00:11:01");
    lab.capture();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut random = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    for _ in 0..kills() {
        match &store {
            Some(url) => lab.start_with(&config, &["--store", url]),
            None => lab.start_with(&config, &["--lease-format", format]),
        }
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
    // The ACKs the clients saw: (time, address, hardware address, lease time), in order.
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
            "frame.time_epoch",
            "-e",
            "dhcp.ip.your",
            "-e",
            "dhcp.hw.mac_addr",
            "-e",
            "dhcp.option.ip_address_lease_time",
        ])
        .output()
        .unwrap();
    let mut acked: HashMap<String, String> = HashMap::new();
    // Per address, the client and lease end of its last ACK: an ACK to another client before
    // that end would be one address bound to two clients.
    let mut held_until: HashMap<String, (String, f64)> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [time, ip, mac, lease_time] = fields[..] else {
            continue;
        };
        let (time, lease_time): (f64, f64) = (time.parse().unwrap(), lease_time.parse().unwrap());
        if let Some((other, until)) = held_until.get(ip) {
            assert!(
                other == mac || time >= *until,
                "{ip} ACKed to {mac} while {other} held it until {until} (now {time})"
            );
        }
        held_until.insert(ip.to_string(), (mac.to_string(), time + lease_time));
        acked.insert(ip.to_string(), mac.to_string());
    }
    assert!(
        acked.len() > 50,
        "too few ACKs to test anything: {}",
        acked.len()
    );
    let leases = match &store {
        Some(url) => lab::leases_in(std::path::Path::new(url)),
        None => lab.leases(),
    };
    // Every name a lease records as registered is in DNS (what is written was added).
    if let Some(named) = &named {
        let in_dns = named.registered();
        let recorded: Vec<String> = leases
            .iter()
            .filter_map(|l| charrua_server::dns::DnsRecorded::of(&l.variables).fwd_name)
            .collect();
        assert!(
            !recorded.is_empty(),
            "no lease records a name:\n{}",
            lab.logs()
        );
        for name in &recorded {
            let absolute = format!("{}.", name.trim_end_matches('.'));
            assert!(
                in_dns
                    .iter()
                    .any(|r| r.starts_with(&format!("{absolute} ")) && r.contains(" A ")),
                "{name} is recorded in a lease but not in DNS"
            );
        }
        eprintln!(
            "ddns: {} leases record a name, all in DNS ({} records there)",
            recorded.len(),
            in_dns.len()
        );
    }
    let leases: HashMap<String, ClientKey> = leases
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
    if format == "isc" {
        if let Some(verdict) =
            charrua_store::testing::dhcpd_test(&lab.path("dhcpd.conf"), &lab.path("leases"))
        {
            let wrote = verdict.unwrap_or_else(|said| panic!("dhcpd -T after the kills: {said}"));
            assert!(wrote >= acked.len(), "dhcpd -T wrote {wrote} leases");
        }
    }
    eprintln!(
        "{format}: {} kills, {} ACKed leases all in the store",
        kills(),
        acked.len()
    );
}
