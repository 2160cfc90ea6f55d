//! ISC perfdhcp (package kea-admin) against charruad: thousands of DORA exchanges at a moderate
//! rate, each lease committed before its ACK, with no loss on the server's side.

mod lab;

use std::process::Command;

use lab::Lab;

// Load generators time out in a second: addresses are not probed first (as in bench/run).
const CONFIG: &str = "default-lease-time 3600;\nping-check false;\nsubnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.10 198.18.0.250; }\n";

fn statistic(output: &str, section: &str, name: &str) -> u64 {
    let body = output
        .split(&format!("***Statistics for: {section}***"))
        .nth(1)
        .unwrap_or_default();
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} for {section} in:\n{output}"))
}

#[test]
fn perfdhcp_completes_thousands_of_exchanges_without_loss() {
    if !lab::can_run() {
        return;
    }
    let found = Command::new("sh")
        .arg("-c")
        .arg("command -v perfdhcp")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install kea-admin (perfdhcp)"
        );
        eprintln!("SKIP: perfdhcp is not installed");
        return;
    }
    let mut lab = Lab::new();
    // perfdhcp acts as a relay agent from 198.18.0.2 (its giaddr), so it needs an address.
    let ns = lab.relay_client("02:00:00:00:10:01");
    lab.start(CONFIG);
    // 200 simulated clients, 2000 exchanges at 500 a second; perfdhcp waits 2 s after the last
    // one for the replies still in flight (-W).
    let out = lab.exec(
        &ns,
        60,
        &[
            "perfdhcp",
            "-4",
            "-l",
            "eth0",
            "-r",
            "500",
            "-n",
            "2000",
            "-R",
            "200",
            "-W",
            "2000000",
            "198.18.0.1",
        ],
    );
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let discovers = statistic(&text, "DISCOVER-OFFER", "sent packets");
    let offers = statistic(&text, "DISCOVER-OFFER", "received packets");
    let requests = statistic(&text, "REQUEST-ACK", "sent packets");
    let acks = statistic(&text, "REQUEST-ACK", "received packets");
    assert!(discovers >= 1990, "{text}");
    assert_eq!(offers, discovers, "offers lost:\n{text}");
    assert_eq!(acks, requests, "ACKs lost:\n{text}");
    assert_eq!(
        statistic(&text, "REQUEST-ACK", "rejected leases"),
        0,
        "{text}"
    );
    assert!(lab.stop().success());
    let log = lab.log();
    assert!(
        log.contains("dropped: none"),
        "the server dropped messages:\n{log}"
    );
}
