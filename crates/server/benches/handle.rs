//! `Server::handle` for DISCOVER -> OFFER and REQUEST -> ACK with 1k, 100k and 1M existing
//! leases, and the memory the LeaseDb takes per lease at 1M leases (a counting allocator, plus
//! the process's resident-set growth).
//!
//! Run: `cargo bench -p charrua-server --bench handle`.
//!
//! The addresses live only in memory: 1M leases need more than 198.18.0.0/15 holds, so the
//! benchmark uses 100.64.0.0/10 (RFC 6598 shared space). Nothing is sent anywhere.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use charrua_server::config::ScopeBuilder;
use charrua_server::{
    ClientKey, Config, Lease, LeaseChange, LeaseDb, LeaseState, Received, Server,
};
use charrua_wire::{Message, MessageType, OptionCode, Value};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

/// Counts the bytes currently allocated.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is added.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const BASE: u32 = 0x6440_0000; // 100.64.0.0
const SERVER: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 1);

fn config() -> Config {
    Config::builder()
        .default_lease_time(3600)
        .option(OptionCode::DOMAIN_NAME_SERVERS, Value::IpList(vec![SERVER]))
        .subnet("100.64.0.0/10".parse().expect("network"), |s| {
            s.range(
                Ipv4Addr::from(BASE + 16),
                Ipv4Addr::from(BASE + (1 << 22) - 2),
            )
            .option(OptionCode::ROUTERS, Value::IpList(vec![SERVER]))
        })
        .build()
        .expect("config")
}

fn mac(i: u32) -> [u8; 6] {
    let [a, b, c, d] = i.to_be_bytes();
    [2, 0xbe, a, b, c, d]
}

fn lease(i: u32) -> Lease {
    Lease {
        address: Ipv4Addr::from(BASE + 16 + i),
        state: LeaseState::Bound,
        client: ClientKey::Hardware {
            htype: 1,
            addr: mac(i).into(),
        },
        starts: 1_700_000_000,
        ends: 1_700_003_600,
        hostname: None,
        hardware: None,
        variables: Vec::new(),
        billing: None,
        agent_options: None,
    }
}

fn database(config: &Config, n: u32) -> LeaseDb {
    let mut db = LeaseDb::new(config);
    for i in 0..n {
        db.apply(&LeaseChange::Set(lease(i)));
    }
    db
}

fn received(kind: MessageType, m: [u8; 6]) -> Received {
    let mut message = Message {
        xid: 42,
        ..Message::default()
    };
    message.chaddr[..6].copy_from_slice(&m);
    message.options.insert(OptionCode::MESSAGE_TYPE, &[kind.0]);
    message
        .options
        .insert(OptionCode::PARAMETER_REQUEST_LIST, &[1, 3, 6, 15, 28]);
    Received {
        message,
        source: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
        destination: Ipv4Addr::BROADCAST,
        interface_address: SERVER,
    }
}

fn handle(c: &mut Criterion) {
    let config = config();
    let now = 1_700_000_100;
    let mut group = c.benchmark_group("handle");
    for n in [1_000u32, 100_000, 1_000_000] {
        let mut db = database(&config, n);
        let newcomer = mac(u32::MAX);
        let discover = received(MessageType::DISCOVER, newcomer);
        group.bench_with_input(BenchmarkId::new("discover_offer", n), &n, |b, _| {
            b.iter(|| Server::handle(&config, &db, black_box(&discover), now))
        });
        // The newcomer holds an offer; its REQUEST is ACKed.
        let offered = match Server::handle(&config, &db, &discover, now) {
            charrua_server::Outcome::Reply(r) => r,
            other => panic!("no offer: {other:?}"),
        };
        offered.changes.iter().for_each(|ch| db.apply(ch));
        let mut request = received(MessageType::REQUEST, newcomer);
        request.message.options.insert(
            OptionCode::REQUESTED_ADDRESS,
            &offered.message.yiaddr.octets(),
        );
        request
            .message
            .options
            .insert(OptionCode::SERVER_IDENTIFIER, &SERVER.octets());
        group.bench_with_input(BenchmarkId::new("request_ack", n), &n, |b, _| {
            b.iter(|| Server::handle(&config, &db, black_box(&request), now))
        });
    }
    group.finish();
}

/// Resident set size in bytes, from /proc (Linux).
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn memory(_: &mut Criterion) {
    let config = config();
    let n = 1_000_000u32;
    let (heap, resident) = (ALLOCATED.load(Ordering::Relaxed), rss());
    let db = database(&config, n);
    let heap = ALLOCATED.load(Ordering::Relaxed) - heap;
    let resident = rss().saturating_sub(resident);
    println!(
        "LeaseDb at {n} leases: {:.0} bytes/lease allocated, {:.0} bytes/lease resident",
        heap as f64 / f64::from(n),
        resident as f64 / f64::from(n)
    );
    black_box(db);
}

fn config_criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config_criterion(); targets = memory, handle }
criterion_main!(benches);
