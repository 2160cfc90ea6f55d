//! Malformed and hostile datagrams (the bad-input classes of research/reliability.md section
//! 1.7) sent at charruad from a client namespace: each is dropped and counted, and a real client
//! still gets a lease afterwards.

mod lab;

use std::time::Duration;

use lab::{udp_from, Lab};

const CONFIG: &str =
    "subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.199; }\n";

/// A BOOTREQUEST header with hardware address 02:00:00:00:0e:01 and the magic cookie.
fn header() -> Vec<u8> {
    let mut m = vec![0u8; 240];
    m[0] = 1;
    m[1] = 1;
    m[2] = 6;
    m[28..34].copy_from_slice(&[2, 0, 0, 0, 0x0e, 1]);
    m[236..240].copy_from_slice(&[99, 130, 83, 99]);
    m
}

fn with(options: &[u8]) -> Vec<u8> {
    let mut m = header();
    m.extend_from_slice(options);
    m
}

fn hostile() -> Vec<(&'static str, Vec<u8>)> {
    let mut zero_chaddr = with(&[53, 1, 1, 255]);
    zero_chaddr[28..34].fill(0);
    let mut long_hlen = with(&[53, 1, 1, 255]);
    long_hlen[2] = 200;
    let mut reply = with(&[53, 1, 2, 255]);
    reply[0] = 2;
    let mut bad_cookie = with(&[53, 1, 1, 255]);
    bad_cookie[236] = 0;
    let mut huge_id = with(&[53, 1, 1]);
    for _ in 0..20 {
        huge_id.extend_from_slice(&[61, 255]);
        huge_id.extend_from_slice(&[0xab; 255]);
    }
    vec![
        ("B1 empty", Vec::new()),
        ("B1 one octet", vec![1]),
        // Without the cookie (or cut inside it), a BOOTREQUEST is an RFC 951 BOOTP request, as
        // dhcpd reads it: this configuration serves no BOOTP client, so it gets no reply.
        ("B1 239 octets", header()[..239].to_vec()),
        ("B1 no cookie", bad_cookie),
        ("B3 option overrun", with(&[53, 1, 1, 12, 200, b'a'])),
        ("B4 code without length", with(&[53, 1, 1, 61])),
        ("B11 overload value 0", with(&[52, 1, 0, 53, 1, 1, 255])),
        (
            "B12 compression loop",
            with(&[53, 1, 1, 119, 2, 0xc0, 0x00, 255]),
        ),
        ("B15 no identity", zero_chaddr),
        ("B16 hlen 200", long_hlen),
        ("B18 conflicting types", with(&[53, 1, 1, 53, 1, 3, 255])),
        ("B7 huge client id", huge_id),
        ("op BOOTREPLY", reply),
        ("junk", (0..1400u32).map(|i| (i * 7) as u8).collect()),
    ]
}

#[test]
fn hostile_datagrams_are_dropped_and_counted_and_service_continues() {
    if !lab::can_run() {
        return;
    }
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:0e:01");
    lab.start(CONFIG);
    let datagrams = hostile();
    let count = datagrams.len();
    // The sender needs an address to send from; the client that follows starts without one.
    lab.exec(
        &ns,
        5,
        &["ip", "addr", "add", "198.18.0.250/24", "dev", "eth0"],
    );
    udp_from(
        &ns,
        datagrams.into_iter().map(|(_, d)| d).collect(),
        "198.18.0.1:67",
        false,
    );
    std::thread::sleep(Duration::from_millis(300));
    lab.exec(&ns, 5, &["ip", "addr", "flush", "dev", "eth0"]);
    // Still alive: a real client gets a lease (Forge's pattern).
    assert!(
        lab.udhcpc_once(&ns, "/bin/true").0.is_some(),
        "{}",
        lab.log()
    );
    lab.signal("USR1");
    for _ in 0..40 {
        if lab.log().contains("dropped:") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = lab.log();
    let counts = log
        .lines()
        .find(|l| l.contains("dropped:"))
        .unwrap_or_else(|| panic!("no counters:\n{log}"));
    for reason in [
        "malformed:Truncated",
        "malformed:BadCookie",
        "malformed:OptionOverrun",
        "malformed:OptionWithoutLength",
        "malformed:BadOverload",
        "NoClientIdentity",
        "NotBootRequest",
        "UnexpectedMessageType",
    ] {
        assert!(counts.contains(reason), "{reason} not counted: {counts}");
    }
    let dropped: u64 = counts
        .split("dropped:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .filter_map(|kv| kv.split('=').nth(1)?.parse::<u64>().ok())
        .sum();
    assert!(
        dropped >= (count - 1) as u64,
        "{dropped} of {count} dropped: {counts}"
    );
    assert!(lab.stop().success());
}
