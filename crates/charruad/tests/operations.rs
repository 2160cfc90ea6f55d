//! Operating charruad as a Kea site does: Prometheus scrapes `/metrics` (checked by the real
//! `promtool`) while `charrua perf` loads the server, and every reply is counted once; Kea's
//! own control client (Debian's python3-kea-connector) talks to the HTTP control API; bad
//! requests get Kea-style errors while the server keeps serving.

mod lab;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use lab::Lab;
use serde_json::{json, Value};

const CONFIG: &str = "default-lease-time 3600;\nping-check false;\nsubnet 198.18.0.0 netmask 255.255.252.0 {\n  pool { range 198.18.1.0 198.18.1.255; }\n  pool { range 198.18.2.0 198.18.3.254; }\n}\n";

const METRICS: &str = "127.0.0.1:9547";
const HTTP: &str = "127.0.0.1:8004";

/// Starts charruad with the control socket, the HTTP API (user `op`, password `s3cret`) and
/// metrics; the control socket's path.
fn start(lab: &mut Lab) -> PathBuf {
    let socket = lab.path("control.sock");
    let auth = lab.path("api-users");
    std::fs::write(&auth, "op:s3cret\n").unwrap();
    lab.start_with(
        CONFIG,
        &[
            "--control-socket",
            socket.to_str().unwrap(),
            "--control-http",
            HTTP,
            "--control-auth",
            auth.to_str().unwrap(),
            "--metrics",
            METRICS,
        ],
    );
    socket
}

/// One command on the control socket, as Kea's daemons take it.
fn command(socket: &Path, request: &Value) -> Value {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.to_string().as_bytes()).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

/// `/metrics`, fetched with curl inside the server's namespace.
fn scrape(lab: &Lab) -> String {
    let out = lab.exec(
        &lab.server,
        10,
        &["curl", "-sfS", &format!("http://{METRICS}/metrics")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The value of the sample `series` (`name{labels}` as written, or a bare name).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

/// What `promtool check metrics` says of `text`: empty when it accepts it.
fn promtool(text: &str) -> String {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        String::new()
    } else {
        format!(
            "exit {:?}: {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

fn number(report: &Value, key: &str) -> f64 {
    fn find(value: &Value, key: &str) -> Option<f64> {
        let object = value.as_object()?;
        object
            .get(key)
            .and_then(Value::as_f64)
            .or_else(|| object.values().find_map(|v| find(v, key)))
    }
    find(report, key).unwrap_or_else(|| panic!("no {key} in {report}"))
}

#[test]
fn metrics_count_every_reply_of_a_load_once_and_promtool_accepts_them() {
    if lab::skip(&["curl", "promtool"]) {
        return;
    }
    let Some(charrua) = lab::sibling_binary("charrua") else {
        return;
    };
    let mut lab = Lab::new();
    let ns = lab.relay_client("02:00:00:00:12:01");
    let socket = start(&mut lab);
    let before = scrape(&lab);
    assert_eq!(promtool(&before), "", "{before}");
    assert_eq!(
        sample(&before, "kea_dhcp4_addresses_total{subnet=\"198.18.0.0/22\",subnet_id=\"1\",prefix=\"198.18.0.0/22\",shared_network=\"\"}"),
        256.0 + 511.0
    );
    // Scrape all along the load: the exposition stays valid under traffic.
    let during = std::thread::scope(|scope| {
        let load = scope.spawn(|| lab::relay_load(&lab, &ns, &charrua));
        let mut scrapes = Vec::new();
        while !load.is_finished() {
            scrapes.push(scrape(&lab));
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        (load.join().unwrap(), scrapes)
    });
    let (report, scrapes) = during;
    assert!(!scrapes.is_empty());
    for text in &scrapes {
        assert_eq!(promtool(text), "", "{text}");
    }
    let completed = number(&report, "completed");
    assert_eq!(completed, 2000.0, "{report}");
    let after = scrape(&lab);
    assert_eq!(promtool(&after), "", "{after}");
    let sent = |op: &str| {
        sample(
            &after,
            &format!("kea_dhcp4_packets_sent_total{{operation=\"{op}\"}}"),
        )
    };
    let received = |op: &str| {
        sample(
            &after,
            &format!("kea_dhcp4_packets_received_total{{operation=\"{op}\"}}"),
        )
    };
    // Every ACK counted once: the load's own counts.
    assert_eq!(sent("offer"), number(&report, "offer"), "{after}");
    assert_eq!(
        sent("ack"),
        number(&report, "ack") + number(&report, "renew_ack"),
        "{after}"
    );
    assert_eq!(sent("nak"), 0.0);
    assert_eq!(received("discover"), 2000.0);
    assert_eq!(received("request"), 4000.0);
    assert_eq!(received("release"), 2000.0);
    assert_eq!(received("drop"), 0.0);
    // Each client got a new binding once (its renewal is not one); all were released.
    assert_eq!(
        sample(&after, "kea_dhcp4_cumulative_addresses_assigned_total{subnet=\"198.18.0.0/22\",subnet_id=\"1\",prefix=\"198.18.0.0/22\",shared_network=\"\"}"),
        2000.0
    );
    assert_eq!(
        sample(&after, "kea_dhcp4_addresses_assigned_total{subnet=\"198.18.0.0/22\",subnet_id=\"1\",prefix=\"198.18.0.0/22\",shared_network=\"\"}"),
        0.0
    );
    assert!(
        sample(&after, "charrua_commit_leases_count") > 0.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, "charrua_reply_latency_seconds_count{type=\"ack\"}"),
        sent("ack")
    );
    assert_eq!(sample(&after, "charrua_store_state{state=\"up\"}"), 1.0);
    // The same counts through the control API, by Kea's statistic names.
    let stats = command(&socket, &json!({"command": "statistic-get-all"}));
    assert_eq!(stats["result"], 0, "{stats}");
    assert_eq!(
        stats["arguments"]["pkt4-ack-sent"][0][0].as_f64(),
        Some(sent("ack"))
    );
    assert_eq!(
        stats["arguments"]["subnet[1].pool[1].total-addresses"][0][0],
        511
    );
    assert!(lab.stop().success());
}

/// Runs a command through Kea's own control client library (python3-kea-connector, what
/// kea-shell is built on) against the HTTP API, inside the server's namespace: what it
/// printed (the response list, or the HTTP status and body of an error).
fn kea_connector(lab: &Lab, command: &str, password: &str) -> String {
    let (host, port) = HTTP.split_once(':').unwrap();
    let script = format!(
        r#"
import sys, base64, urllib.error
sys.path.insert(0, "/usr/lib/python3/dist-packages/kea")
from kea_conn import CARequest
from kea_connector3 import send_to_control_agent
params = CARequest()
params.http_host = "{host}"
params.http_port = {port}
params.command = "{command}"
params.service = ["dhcp4"]
params.auth = base64.b64encode(b"op:{password}").decode()
params.version = "2.2.0"
params.generate_body()
params.generate_headers()
try:
    print(send_to_control_agent(params).body)
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
"#
    );
    let out = lab.exec(&lab.server, 20, &["/usr/bin/python3", "-c", &script]);
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn parsed(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn kea_control_client_talks_to_the_http_api_and_bad_requests_do_not_stop_serving() {
    if lab::skip(&["/usr/bin/python3", "curl"]) {
        return;
    }
    if !Path::new("/usr/lib/python3/dist-packages/kea/kea_conn.py").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install python3-kea-connector"
        );
        eprintln!("SKIP: python3-kea-connector is not installed");
        return;
    }
    let mut lab = Lab::new();
    let client = lab.client("02:00:00:00:12:02");
    let socket = start(&mut lab);
    let list = parsed(&kea_connector(&lab, "list-commands", "s3cret"));
    assert_eq!(list[0]["result"], 0, "{list}");
    assert!(list[0]["arguments"]
        .as_array()
        .unwrap()
        .contains(&json!("lease4-get-all")));
    let stats = parsed(&kea_connector(&lab, "statistic-get-all", "s3cret"));
    assert_eq!(stats[0]["result"], 0);
    assert_eq!(stats[0]["arguments"]["pkt4-received"][0][0], 0);
    // A lease added through the API (for udhcpc, which sends client identifier 1 + MAC),
    // then listed through the connector.
    let added = command(
        &socket,
        &json!({"command": "lease4-add", "arguments": {"ip-address": "198.18.1.77",
            "hw-address": "02:00:00:00:12:02", "client-id": "01:02:00:00:00:12:02",
            "valid-lft": 3600}}),
    );
    assert_eq!(added["result"], 0, "{added}");
    let all = parsed(&kea_connector(&lab, "lease4-get-all", "s3cret"));
    assert_eq!(all[0]["result"], 0, "{all}");
    assert_eq!(
        all[0]["arguments"]["leases"][0]["ip-address"],
        "198.18.1.77"
    );
    // Wrong password: HTTP 401 with Kea's body.
    let out = kea_connector(&lab, "list-commands", "wrong");
    assert!(
        out.starts_with("401") && out.contains("Unauthorized"),
        "{out}"
    );
    // Many clients at once: each answered (the loop takes a few calls a round).
    std::thread::scope(|scope| {
        let asks: Vec<_> = (0..40)
            .map(|_| scope.spawn(|| command(&socket, &json!({"command": "status-get"}))))
            .collect();
        for ask in asks {
            assert_eq!(ask.join().unwrap()["result"], 0);
        }
    });
    // Unknown, malformed and oversized requests: Kea-style errors.
    let unknown = command(&socket, &json!({"command": "frobnicate"}));
    assert_eq!(unknown["result"], 2, "{unknown}");
    let mut stream = UnixStream::connect(&socket).unwrap();
    stream.write_all(b"{\"command\": 12}").unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    let malformed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(malformed["result"], 1, "{malformed}");
    let big = format!(
        "{{\"command\": \"list-commands\", \"x\": \"{}\"}}",
        "a".repeat(2 << 20)
    );
    let mut stream = UnixStream::connect(&socket).unwrap();
    let _ = stream.write_all(big.as_bytes());
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out);
    let oversized: Value = serde_json::from_str(&out).unwrap_or(json!({"result": 1}));
    assert_eq!(oversized["result"], 1, "{oversized}");
    let garbage = lab.exec(
        &lab.server,
        10,
        &[
            "curl",
            "-s",
            "-u",
            "op:s3cret",
            "-d",
            "not json at all",
            &format!("http://{HTTP}/"),
        ],
    );
    let garbage: Value = serde_json::from_slice(&garbage.stdout).unwrap();
    assert_eq!(garbage[0]["result"], 1, "{garbage}");
    // And the server still serves: the client gets the address added for it.
    let (got, said) = lab.udhcpc_once(&client, "/bin/true");
    assert_eq!(
        got,
        Some(std::net::Ipv4Addr::new(198, 18, 1, 77)),
        "{said}{}",
        lab.log()
    );
}
