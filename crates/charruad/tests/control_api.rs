//! Every control API command through `charrua ctl`, against charruad serving real clients: a
//! lease added with `lease4-add` is served to its client and survives a SIGKILL; a reservation
//! added with `reservation-add` is served and kept across a restart; changes are answered only
//! once durable.

mod lab;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use lab::Lab;
use serde_json::Value;

const CONFIG: &str = "default-lease-time 3600;\nping-check false;\nsubnet 198.18.0.0 netmask 255.255.255.0 {\n  range 198.18.0.100 198.18.0.199;\n}\n";

/// `charrua ctl --socket SOCKET ARGS`: its exit status and the JSON it printed.
fn ctl(charrua: &Path, socket: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(charrua)
        .arg("ctl")
        .arg("--socket")
        .arg(socket)
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

/// [`ctl`], which must succeed: the JSON.
fn succeed(charrua: &Path, socket: &Path, args: &[&str]) -> Value {
    let (status, json) = ctl(charrua, socket, args);
    assert_eq!(
        (status, &json["result"]),
        (0, &Value::from(0)),
        "{args:?}: {json}"
    );
    json
}

fn start(lab: &mut Lab) -> PathBuf {
    let socket = lab.path("control.sock");
    lab.start_with(CONFIG, &["--control-socket", socket.to_str().unwrap()]);
    socket
}

#[test]
fn charrua_ctl_carries_out_every_command_and_changes_are_durable() {
    if lab::skip(&["udhcpc"]) {
        return;
    }
    let Some(charrua) = lab::sibling_binary("charrua") else {
        return;
    };
    let mut lab = Lab::new();
    let added = lab.client("02:00:00:00:13:01");
    let reserved = lab.client("02:00:00:00:13:02");
    let socket = start(&mut lab);
    let ok = |args: &[&str]| succeed(&charrua, &socket, args);
    let list = ok(&["list-commands"]);
    let commands: Vec<&str> = list["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(commands.contains(&"lease4-get-page"), "{list}");
    assert!(ok(&["version-get"])["text"]
        .as_str()
        .unwrap()
        .starts_with("0."));
    assert_eq!(ok(&["status-get"])["arguments"]["pid"], lab.pid().unwrap());
    assert!(ok(&["config-get"])["arguments"]["Charrua"]["understood"]
        .as_str()
        .unwrap()
        .contains("198.18.0.100"));
    ok(&["config-test"]);
    ok(&["build-report"]);
    let bad = lab.path("bad.conf");
    std::fs::write(
        &bad,
        "subnet 198.18.0.0 netmask 255.255.255.0 { range 10.0.0.1 }\n",
    )
    .unwrap();
    let (status, refused) = ctl(
        &charrua,
        &socket,
        &["config-test", &format!("config-file={}", bad.display())],
    );
    assert_eq!(
        (status, &refused["result"]),
        (1, &Value::from(1)),
        "{refused}"
    );
    ok(&["config-reload"]);
    // lease4-add, for udhcpc's client identifier (1 + MAC); served to it.
    ok(&[
        "lease4-add",
        "ip-address=198.18.0.150",
        "hw-address=02:00:00:00:13:01",
        "client-id=01:02:00:00:00:13:01",
        "hostname=added",
    ]);
    let (status, dup) = ctl(
        &charrua,
        &socket,
        &[
            "lease4-add",
            "ip-address=198.18.0.150",
            "hw-address=02:00:00:00:13:09",
        ],
    );
    assert_eq!((status, &dup["result"]), (1, &Value::from(4)), "{dup}");
    let (got, said) = lab.udhcpc_once(&added, "/bin/true");
    assert_eq!(
        got,
        Some(Ipv4Addr::new(198, 18, 0, 150)),
        "{said}{}",
        lab.log()
    );
    // Durable before the answer: a SIGKILL loses nothing.
    ok(&[
        "lease4-add",
        "ip-address=198.18.0.160",
        "hw-address=02:00:00:00:13:03",
        "valid-lft=7200",
    ]);
    lab.crash();
    let socket = start(&mut lab);
    let ok = |args: &[&str]| succeed(&charrua, &socket, args);
    let served = ok(&["lease4-get", "ip-address=198.18.0.150"]);
    assert_eq!(
        served["arguments"]["client-id"], "01:02:00:00:00:13:01",
        "{served}"
    );
    let lease = ok(&["lease4-get", "ip-address=198.18.0.160"]);
    assert_eq!(
        lease["arguments"]["hw-address"], "02:00:00:00:13:03",
        "{lease}"
    );
    assert_eq!(lease["arguments"]["valid-lft"], 7200);
    let by_hw = ok(&[
        "lease4-get",
        "identifier-type=hw-address",
        "identifier=02:00:00:00:13:03",
    ]);
    assert_eq!(by_hw["arguments"]["ip-address"], "198.18.0.160");
    ok(&["lease4-get-by-hw-address", "hw-address=02:00:00:00:13:03"]);
    ok(&["lease4-get-by-client-id", "client-id=01:02:00:00:00:13:01"]);
    ok(&[
        "lease4-update",
        "ip-address=198.18.0.160",
        "hw-address=02:00:00:00:13:03",
        "hostname=renamed",
    ]);
    assert_eq!(
        ok(&["lease4-get", "ip-address=198.18.0.160"])["arguments"]["hostname"],
        "renamed"
    );
    let page = ok(&["lease4-get-page", "from=start", "limit=1"]);
    assert_eq!(
        page["arguments"]["leases"][0]["ip-address"], "198.18.0.150",
        "{page}"
    );
    let next = ok(&["lease4-get-page", "from=198.18.0.150", "limit=10"]);
    assert_eq!(
        next["arguments"]["leases"][0]["ip-address"], "198.18.0.160",
        "{next}"
    );
    assert_eq!(
        ok(&["lease4-get-all"])["arguments"]["leases"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    ok(&["lease4-del", "ip-address=198.18.0.160"]);
    let (status, gone) = ctl(
        &charrua,
        &socket,
        &["lease4-get", "ip-address=198.18.0.160"],
    );
    assert_eq!((status, &gone["result"]), (3, &Value::from(3)), "{gone}");
    assert!(lab
        .leases()
        .iter()
        .all(|l| l.address != Ipv4Addr::new(198, 18, 0, 160)));
    ok(&["leases-reclaim", "remove=false"]);
    // Statistics.
    let stats = ok(&["statistic-get", "name=pkt4-ack-sent"]);
    assert!(
        stats["arguments"]["pkt4-ack-sent"][0][0].is_u64(),
        "{stats}"
    );
    ok(&["statistic-get-all"]);
    ok(&["statistic-reset", "name=pkt4-ack-sent"]);
    ok(&["statistic-reset-all"]);
    ok(&["subnet4-list"]);
    // A reservation: served, and kept across a restart.
    ok(&[
        "reservation-add",
        "--json",
        r#"{"reservation": {"subnet-id": 1, "hw-address": "02:00:00:00:13:02", "ip-address": "198.18.0.42", "hostname": "printer"}}"#,
    ]);
    let (got, said) = lab.udhcpc_once(&reserved, "/bin/true");
    assert_eq!(
        got,
        Some(Ipv4Addr::new(198, 18, 0, 42)),
        "{said}{}",
        lab.log()
    );
    assert!(lab.stop().success());
    let socket = start(&mut lab);
    let ok = |args: &[&str]| succeed(&charrua, &socket, args);
    let host = ok(&["reservation-get", "subnet-id=1", "ip-address=198.18.0.42"]);
    assert_eq!(host["arguments"]["hostname"], "printer", "{host}");
    assert_eq!(
        ok(&["reservation-get-all"])["arguments"]["hosts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (status, outside) = ctl(
        &charrua,
        &socket,
        &[
            "reservation-add",
            "--json",
            r#"{"reservation": {"hw-address": "02:00:00:00:13:05", "ip-address": "203.0.113.5"}}"#,
        ],
    );
    assert_eq!(
        (status, &outside["result"]),
        (1, &Value::from(1)),
        "{outside}"
    );
    ok(&["reservation-del", "subnet-id=1", "ip-address=198.18.0.42"]);
    assert!(ok(&["reservation-get-all"])["arguments"]["hosts"]
        .as_array()
        .unwrap()
        .is_empty());
    ok(&["lease4-wipe"]);
    let (status, _) = ctl(&charrua, &socket, &["lease4-get-all"]);
    assert_eq!(status, 3);
    ok(&["shutdown"]);
    assert!(lab::eventually(10, || !Path::new(&format!(
        "/proc/{}",
        lab.pid().unwrap()
    ))
    .exists()
        || std::fs::read_to_string(format!(
            "/proc/{}/stat",
            lab.pid().unwrap()
        ))
        .is_ok_and(|s| s.contains(") Z "))));
}
