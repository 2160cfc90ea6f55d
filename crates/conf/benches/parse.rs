//! Parsing a large generated dhcpd.conf (10k hosts) and a 1M-lease dhcpd.leases.
//!
//! Run: `cargo bench -p charrua-conf --bench parse`.
//!
//! The generated addresses live only in memory; 1M leases need more than 198.18.0.0/15, so
//! the lease file uses 100.64.0.0/10 (RFC 6598). Nothing is sent anywhere.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::fmt::Write;
use std::net::Ipv4Addr;
use std::time::Duration;

use charrua_conf::{leases, parse_config, NoIncludes};
use criterion::{criterion_group, criterion_main, Criterion};

fn config_with_hosts(n: u32) -> String {
    let mut text = String::from("default-lease-time 600;\noption domain-name \"example.test\";\n");
    text.push_str("subnet 198.18.0.0 netmask 255.254.0.0 {\n  range 198.19.128.0 198.19.255.254;\n  option routers 198.18.0.1;\n}\n");
    for i in 0..n {
        let [_, _, a, b] = i.to_be_bytes();
        let addr = Ipv4Addr::from(0xc612_0000 + 10 + i);
        let _ = writeln!(
            text,
            "host h{i} {{ hardware ethernet 02:00:00:00:{a:02x}:{b:02x}; fixed-address {addr}; option host-name \"h{i}\"; }}"
        );
    }
    text
}

fn lease_file(n: u32) -> String {
    let mut text = String::with_capacity(n as usize * 260);
    text.push_str("authoring-byte-order little-endian;\n");
    for i in 0..n {
        let [_, a, b, c] = i.to_be_bytes();
        let addr = Ipv4Addr::from(0x6440_0000 + 10 + i);
        let _ = write!(
            text,
            "lease {addr} {{\n  starts 3 2026/11/25 03:53:22;\n  ends 3 2026/11/25 04:53:22;\n  cltt 3 2026/11/25 03:53:22;\n  binding state active;\n  next binding state free;\n  hardware ethernet 02:00:{a:02x}:{b:02x}:{c:02x}:01;\n  uid \"\\001\\002\\000{a:03o}{b:03o}{c:03o}\";\n  client-hostname \"host-{i}\";\n}}\n"
        );
    }
    text
}

fn bench(c: &mut Criterion) {
    let config = config_with_hosts(10_000);
    c.bench_function("dhcpd.conf with 10k hosts", |b| {
        b.iter(|| {
            let lowered = parse_config("bench.conf", config.clone(), &mut NoIncludes);
            assert!(lowered.config.is_some());
        })
    });
    let file = lease_file(1_000_000);
    println!("dhcpd.leases with 1M leases: {} MB", file.len() / 1_000_000);
    let mut group = c.benchmark_group("leases");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("dhcpd.leases with 1M leases", |b| {
        b.iter(|| {
            let read = leases::read("bench.leases", file.clone());
            assert_eq!(read.changes.len(), 1_000_000);
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! { name = benches; config = config(); targets = bench }
criterion_main!(benches);
