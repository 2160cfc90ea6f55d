//! A slow or failing disk delays only the ACKs that wait for it (issue 15): with every lease
//! commit stalled by the fault-injecting store, OFFERs still leave at once; with commits that
//! stall and fail at random, real clients still get leases, and every lease acknowledged is in
//! the lease file.

mod lab;

use charrua_server::LeaseState;
use lab::Lab;

// Load generators time out in a second: addresses are not probed first (as in bench/run).
const CONFIG: &str = "default-lease-time 3600;\nping-check false;\nsubnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.200; }\n";

/// A latency of `charrua perf`'s report, milliseconds.
fn latency(report: &serde_json::Value, exchange: &str, key: &str) -> f64 {
    report["latency"][exchange][key]
        .as_f64()
        .unwrap_or_else(|| panic!("no {exchange}.{key} in {report}"))
}

#[test]
fn offers_leave_while_every_commit_stalls_and_acks_wait_for_their_commit() {
    if !lab::can_run() {
        return;
    }
    let Some(charrua) = lab::sibling_binary("charrua") else {
        return;
    };
    let mut lab = Lab::new();
    let ns = lab.relay_client("02:00:00:00:15:01");
    // Every commit stalls half a second: a disk in one of this machine's fdatasync stalls.
    lab.start_with(CONFIG, &["--inject-store-faults", "stall=1:500-500"]);
    let json = lab::perf(
        &lab,
        &ns,
        &charrua,
        &[
            "--relay",
            "198.18.0.2",
            "--rate",
            "40",
            "--duration",
            "3",
            "--clients",
            "90",
            "--timeout",
            "5000",
            "198.18.0.1",
        ],
    );
    // The OFFERs did not queue behind the stalled commits (each 500 ms)...
    let offer = latency(&json, "discover_offer", "p99_ms");
    assert!(
        offer < 250.0,
        "OFFERs waited for the disk: p99 {offer} ms\n{json}"
    );
    // ...and no ACK left before its commit ended.
    let ack = latency(&json, "request_ack", "median_ms");
    assert!(
        ack >= 500.0,
        "an ACK left before its commit: median {ack} ms\n{json}"
    );
    assert!(lab.stop().success());
}

#[test]
fn real_clients_get_leases_through_stalling_and_failing_commits_and_each_is_on_disk() {
    if !lab::can_run() || !lab::have("udhcpc") {
        return;
    }
    let mut lab = Lab::new();
    let clients: Vec<String> = (1..=3)
        .map(|i| lab.client(&format!("02:00:00:00:15:1{i}")))
        .collect();
    lab.start_with(
        CONFIG,
        &["--inject-store-faults", "stall=0.5:10-1000,fail=0.5,seed=3"],
    );
    let script = lab.hook("hook", &lab.path("hook.log"));
    let mut got = Vec::new();
    for ns in &clients {
        let (ip, said) = lab.udhcpc_once(ns, script.to_str().unwrap());
        got.push(
            ip.unwrap_or_else(|| panic!("udhcpc in {ns} got no lease:\n{said}\n{}", lab.log())),
        );
    }
    assert!(lab.stop().success());
    let log = lab.log();
    assert!(
        log.contains("injected"),
        "no commit failed: seed 3 should fail some\n{log}"
    );
    // Every address a client was acknowledged is bound to it in the lease file.
    let leases = lab.leases();
    for ip in got {
        assert!(
            leases
                .iter()
                .any(|l| l.address == ip && l.state == LeaseState::Bound),
            "{ip} acknowledged but not bound on disk: {leases:?}"
        );
    }
}
