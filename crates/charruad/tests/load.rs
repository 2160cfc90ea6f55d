//! `charrua perf`, the project's load generator, against charruad: as a relay agent (DORA,
//! renewal, release) and as clients on the link (broadcast), every exchange completed and
//! counted as the server counts it.

mod lab;

use lab::Lab;

/// A /22 around the lab's /24, so 766 addresses serve the load's 500 clients.
// Load generators time out in a second: addresses are not probed first (as in bench/run).
const CONFIG: &str = "default-lease-time 3600;\nping-check false;\nsubnet 198.18.0.0 netmask 255.255.252.0 { range 198.18.1.0 198.18.3.254; }\n";

/// The first number named `key` in `charrua perf`'s report (`offer` is a count of
/// `received`, `release` of `sent`).
fn number(report: &serde_json::Value, key: &str) -> f64 {
    fn find(value: &serde_json::Value, key: &str) -> Option<f64> {
        let object = value.as_object()?;
        object
            .get(key)
            .and_then(serde_json::Value::as_f64)
            .or_else(|| object.values().find_map(|v| find(v, key)))
    }
    find(report, key).unwrap_or_else(|| panic!("no {key} in {report}"))
}

#[test]
fn charrua_perf_as_a_relay_completes_dora_renewal_and_release() {
    if !lab::can_run() {
        return;
    }
    let Some(charrua) = lab::sibling_binary("charrua") else {
        return;
    };
    let mut lab = Lab::new();
    let ns = lab.relay_client("02:00:00:00:11:01");
    lab.start(CONFIG);
    let json = lab::relay_load(&lab, &ns, &charrua);
    assert_eq!(number(&json, "exchanges"), 2000.0, "{json}");
    assert_eq!(number(&json, "completed"), 2000.0, "{json}");
    assert_eq!(number(&json, "loss_percent"), 0.0, "{json}");
    for key in ["offer", "ack", "renew_ack", "release"] {
        assert_eq!(number(&json, key), 2000.0, "{key}: {json}");
    }
    assert_eq!(number(&json, "nak"), 0.0, "{json}");
    assert!(lab.stop().success());
    let log = lab.log();
    assert!(log.contains("dropped: none"), "{log}");
    // 6000 requests answered (DISCOVER, REQUEST, renewal), 2000 releases committed.
    assert!(log.contains("answered 8000"), "{log}");
    // Every lease was released at the end.
    assert!(
        lab.leases()
            .iter()
            .all(|l| l.state != charrua_server::LeaseState::Bound),
        "{:?}",
        lab.leases()
    );
}

#[test]
fn charrua_perf_on_the_link_gets_broadcast_replies() {
    if !lab::can_run() {
        return;
    }
    let Some(charrua) = lab::sibling_binary("charrua") else {
        return;
    };
    let mut lab = Lab::new();
    let ns = lab.client("02:00:00:00:11:02");
    lab.start(CONFIG);
    let json = lab::perf(
        &lab,
        &ns,
        &charrua,
        &[
            "--link",
            "eth0",
            "--rate",
            "200",
            "--duration",
            "1",
            "--clients",
            "100",
            "255.255.255.255",
        ],
    );
    assert_eq!(number(&json, "completed"), 200.0, "{json}");
    assert_eq!(number(&json, "loss_percent"), 0.0, "{json}");
}
