//! Crash test with real processes, for the journal and for the ISC lease file: the driver
//! commits changes through group commit and prints each only after its sync; it is killed with
//! SIGKILL at random moments, many times, with compaction running. After every kill, every
//! printed change is in the recovered store, and every recovered lease is one the driver really
//! wrote, to the client it named (no address bound to a client it was not given to).

use std::io::Read;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::time::Duration;

use charrua_server::{ClientKey, LeaseChange};
use charrua_store::{open_store, LeaseFormat};

/// Kills in a run; `CHARRUA_CRASH_KILLS` asks for more.
fn kills() -> usize {
    std::env::var("CHARRUA_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(50)
}

#[test]
fn no_reported_commit_is_lost_across_sigkill_journal() {
    sigkill("journal", LeaseFormat::Journal);
}

#[test]
fn no_reported_commit_is_lost_across_sigkill_isc_lease_file() {
    sigkill("isc", LeaseFormat::Isc);
}

fn sigkill(name: &str, format: LeaseFormat) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut random = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    let mut reported_total = 0usize;
    let mut max_reported: std::collections::HashMap<Ipv4Addr, u64> =
        std::collections::HashMap::new();
    for round in 0..kills() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_charrua-store-driver"))
            .arg(name)
            .arg(&path)
            .arg("65536") // compact every 64 KiB, so kills land during compactions too
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20 + random(150)));
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(!err.contains("failed"), "round {round}: {err}");
        for n in out.lines().filter_map(|l| l.parse::<u64>().ok()) {
            let addr = Ipv4Addr::from(0xc612_0000 + (n % 1024) as u32);
            let best = max_reported.entry(addr).or_insert(n);
            *best = (*best).max(n);
            reported_total += 1;
        }
        // Recover as the next daemon start would.
        let mut recovered = std::collections::HashMap::new();
        let opened = open_store(&path, format, "test", &mut |c| {
            if let LeaseChange::Set(lease) = c {
                recovered.insert(lease.address, lease);
            }
        })
        .unwrap_or_else(|e| panic!("round {round}: recovery failed: {e}"));
        drop(opened);
        for (addr, n) in &max_reported {
            let lease = recovered
                .get(addr)
                .unwrap_or_else(|| panic!("round {round}: reported change {n} for {addr} lost"));
            assert!(
                lease.starts >= *n,
                "round {round}: {addr} went back from {n} to {}",
                lease.starts
            );
        }
        for lease in recovered.values() {
            let n = lease.starts;
            assert_eq!(
                lease.address,
                Ipv4Addr::from(0xc612_0000 + (n % 1024) as u32),
                "a lease the driver never wrote"
            );
            let client = ClientKey::Hardware {
                htype: 1,
                addr: vec![2, 0, 0, 0, 0, (n / 1024 % 7) as u8].into(),
            };
            assert_eq!(
                lease.client, client,
                "{} bound to a client change {n} did not name",
                lease.address
            );
        }
    }
    assert!(
        reported_total > 1000,
        "the driver committed too little to test anything: {reported_total}"
    );
    if format == LeaseFormat::Isc {
        let conf = dir.path().join("dhcpd.conf");
        std::fs::write(
            &conf,
            "subnet 198.18.0.0 netmask 255.255.252.0 { range 198.18.0.0 198.18.3.255; }\n",
        )
        .unwrap();
        if let Some(verdict) = charrua_store::testing::dhcpd_test(&conf, &path) {
            let wrote = verdict.unwrap_or_else(|said| panic!("dhcpd -T after the kills: {said}"));
            assert!(wrote >= max_reported.len(), "dhcpd -T wrote {wrote} leases");
        }
    }
    eprintln!(
        "{name}: {} kills, {reported_total} commits reported and all recovered",
        kills()
    );
}
