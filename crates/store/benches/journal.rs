//! Durable commits per second through the journal at batch sizes 1, 16 and 256 (one
//! fdatasync per batch, on the disk under `target/`), and the time and memory to replay a
//! journal of 1M leases into a LeaseDb.
//!
//! Run: `cargo bench -p charrua-store --bench journal`. The 1M leases use 100.64.0.0/10
//! (RFC 6598) in memory only; nothing is sent anywhere.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use charrua_server::{ClientKey, Config, Lease, LeaseChange, LeaseDb, LeaseState};
use charrua_store::{Journal, JournalOptions, LeaseStore};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn change(n: u32) -> LeaseChange {
    let [_, a, b, c] = n.to_be_bytes();
    LeaseChange::Set(Lease {
        address: Ipv4Addr::from(0x6440_0010 + n),
        state: LeaseState::Bound,
        client: ClientKey::Hardware {
            htype: 1,
            addr: vec![2, 0xbe, 0, a, b, c].into(),
        },
        starts: 1_700_000_000,
        ends: 1_700_003_600,
        hostname: None,
        hardware: None,
        variables: Vec::new(),
        billing: None,
        agent_options: None,
    })
}

/// A directory on the real disk (not a tmpfs), under the build directory.
fn bench_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/bench-journal")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench directory");
    dir
}

fn commits(c: &mut Criterion) {
    let mut group = c.benchmark_group("durable_commits");
    for batch in [1u32, 16, 256] {
        let dir = bench_dir(&format!("batch-{batch}"));
        let options = JournalOptions {
            compact_after: u64::MAX,
            ..JournalOptions::default()
        };
        let (mut journal, _) =
            Journal::open(&dir.join("leases.journal"), options, &mut |_| {}).expect("open");
        let mut n = 0u32;
        group.throughput(Throughput::Elements(u64::from(batch)));
        group.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, &batch| {
            b.iter(|| {
                for _ in 0..batch {
                    journal.append(&change(n % 1_000_000)).expect("append");
                    n += 1;
                }
                journal.commit().expect("sync");
            })
        });
    }
    group.finish();
}

fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0)
        * 4096
}

fn replay(_: &mut Criterion) {
    let n = 1_000_000u32;
    let dir = bench_dir("replay");
    let path = dir.join("leases.journal");
    {
        let (mut journal, _) =
            Journal::open(&path, JournalOptions::default(), &mut |_| {}).expect("open");
        for i in 0..n {
            journal.append(&change(i)).expect("append");
        }
        journal.commit().expect("sync");
    }
    let config = Config::builder()
        .subnet("100.64.0.0/10".parse().expect("net"), |s| {
            s.range(
                Ipv4Addr::from(0x6440_0010),
                Ipv4Addr::from(0x6440_0010 + (1 << 21)),
            )
        })
        .build()
        .expect("config");
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    for round in 0..3 {
        let before = rss();
        let start = Instant::now();
        let mut db = LeaseDb::new(&config);
        let (journal, recovery) =
            Journal::open(&path, JournalOptions::default(), &mut |c| db.apply(&c)).expect("open");
        let elapsed = start.elapsed();
        println!(
            "replay {round}: {} records ({} MB journal) into a LeaseDb in {:.2} s; resident growth {} MB",
            recovery.records,
            size / 1_000_000,
            elapsed.as_secs_f64(),
            rss().saturating_sub(before) / 1_000_000
        );
        black_box((db.len(), journal));
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = commits, replay }
criterion_main!(benches);
