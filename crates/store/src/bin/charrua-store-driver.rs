//! A load driver for the stores' crash tests: commits lease changes through group commit as
//! fast as it can and prints each one on standard output only after the sync that covers it.
//! The crash test kills it with SIGKILL and checks that every printed change survived.
//!
//! Usage: `charrua-store-driver journal|isc PATH [COMPACT_AFTER_BYTES]`. Change `n` binds
//! address 198.18.(n % 1024 / 256).(n % 256) to client `n / 1024 % 7` with `starts = n`.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use charrua_server::{ClientKey, Lease, LeaseChange, LeaseState};
use charrua_store::{
    GroupCommit, GroupOptions, IscLeaseFile, IscOptions, Journal, JournalOptions, LeaseStore,
    StoreError,
};

/// The change numbered `n`.
fn change(n: u64) -> LeaseChange {
    let slot = (n % 1024) as u32;
    let client = (n / 1024 % 7) as u8;
    LeaseChange::Set(Lease {
        address: Ipv4Addr::from(0xc612_0000 + slot),
        state: LeaseState::Bound,
        client: ClientKey::Hardware {
            htype: 1,
            addr: vec![2, 0, 0, 0, 0, client].into(),
        },
        starts: n,
        ends: n + 3600,
        hostname: None,
        hardware: None,
        variables: Vec::new(),
        billing: None,
        agent_options: None,
    })
}

const USAGE: &str = "usage: charrua-store-driver journal|isc PATH [COMPACT_AFTER_BYTES]";

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(format), Some(path)) = (args.next(), args.next().map(PathBuf::from)) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let compact_after = args.next().and_then(|a| a.parse().ok()).unwrap_or(64 << 20);
    let mut next = 0u64;
    let mut resume = |c: LeaseChange| {
        if let LeaseChange::Set(lease) = c {
            next = next.max(lease.starts + 1);
        }
    };
    let failed = |e: StoreError| -> ! {
        eprintln!("charrua-store-driver: {e}");
        std::process::exit(1);
    };
    match format.as_str() {
        "journal" => {
            let options = JournalOptions {
                compact_after,
                ..JournalOptions::default()
            };
            let (store, recovery) =
                Journal::open(&path, options, &mut resume).unwrap_or_else(|e| failed(e));
            eprintln!("recovered {recovery:?}, continuing at {next}");
            drive(store, next)
        }
        "isc" => {
            let options = IscOptions { compact_after };
            let (store, recovery) =
                IscLeaseFile::open(&path, options, &mut resume).unwrap_or_else(|e| failed(e));
            eprintln!("recovered {recovery:?}, continuing at {next}");
            drive(store, next)
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

/// Commits changes `next`, `next + 1`... until killed.
fn drive<S: LeaseStore + Send + 'static>(store: S, mut next: u64) -> ! {
    let group = GroupCommit::start(store, GroupOptions::default());
    let out = Arc::new(Mutex::new(std::io::stdout()));
    loop {
        // Many commits in flight, as a daemon has replies for many clients.
        let n = next;
        next += 1;
        let out = Arc::clone(&out);
        let sent = group.commit(
            vec![change(n)],
            Box::new(move |result| match result {
                Ok(()) => {
                    if let Ok(mut o) = out.lock() {
                        let _ = writeln!(o, "{n}");
                        let _ = o.flush();
                    }
                }
                Err(e) => eprintln!("charrua-store-driver: commit {n} failed: {e}"),
            }),
        );
        if sent.is_err() {
            std::process::exit(1);
        }
    }
}
