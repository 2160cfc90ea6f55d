//! Three charruad sharing one PostgreSQL lease database (Debian's, started by the test): load
//! through ISC dhcrelay relaying to all three, one server SIGKILLed mid-load while real clients
//! (busybox udhcpc) hold leases from it; the database stopped and started again under load.

mod lab;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use charrua_store::pg_cluster::Cluster;
use lab::{eventually, leases_in, read, Lab, Reap};

const CONFIG: &str = "authoritative;
ping-check false;
default-lease-time 20;
max-lease-time 20;
subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }
subnet 198.19.0.0 netmask 255.255.255.0 {
  range 198.19.0.10 198.19.0.250;
  option routers 198.19.0.1;
}
";

const SERVERS: [&str; 3] = ["198.18.0.11", "198.18.0.12", "198.18.0.13"];

/// The lab, the database and `charrua`, or `None` after saying why this machine can't.
fn setup(tools: &[&str]) -> Option<(Lab, Cluster, std::path::PathBuf)> {
    if lab::skip(tools) {
        return None;
    }
    let charrua = lab::sibling_binary("charrua")?;
    let cluster = Cluster::for_test()?;
    Some((Lab::new(), cluster, charrua))
}

/// Runs `charrua perf` through the relay for `seconds`, as clients on the relay's far link.
fn perf(lab: &Lab, ns: &str, charrua: &Path, seconds: &str) -> serde_json::Value {
    lab::perf(
        lab,
        ns,
        charrua,
        &[
            "--link",
            "eth0",
            "--rate",
            "150",
            "--duration",
            seconds,
            "--clients",
            "150",
            "255.255.255.255",
        ],
    )
}

fn count(report: &serde_json::Value, path: &[&str]) -> u64 {
    path.iter()
        .fold(report, |v, k| &v[*k])
        .as_u64()
        .unwrap_or_else(|| panic!("{path:?} in {report}"))
}

/// busybox udhcpc staying on in `ns`, its hook logging `EVENT IP SERVER` lines to `file` and
/// configuring the address, so that it renews by unicast and rebinds by broadcast.
fn udhcpc(lab: &Lab, ns: &str, file: &Path) -> Reap {
    let script = lab.path(&format!("{ns}.sh"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1 $ip $serverid\" >> {}\ncase \"$1\" in\n  bound|renew) ip addr flush dev \"$interface\"; ip addr add \"$ip/24\" dev \"$interface\";;\n  deconfig) ip addr flush dev \"$interface\";;\nesac\n",
            file.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    Reap(
        Command::new("ip")
            .args([
                "netns", "exec", ns, "udhcpc", "-f", "-i", "eth0", "-t", "10", "-T", "1", "-s",
            ])
            .arg(&script)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// The events a udhcpc hook logged: (event, address, server).
fn events(file: &Path) -> Vec<(String, String, String)> {
    read(file)
        .lines()
        .map(|l| {
            let mut f = l.split(' ').map(str::to_string);
            let mut next = || f.next().unwrap_or_default();
            (next(), next(), next())
        })
        .collect()
}

#[test]
fn a_server_killed_mid_load_loses_no_client() {
    let Some((mut lab, cluster, charrua)) = setup(&["udhcpc", "dhcrelay"]) else {
        return;
    };
    let url = cluster.url();
    let mut replicas: Vec<_> = (1..=3).map(|i| lab.replica(i, CONFIG, &url)).collect();
    let (_relay, far, _dhcrelay) = lab.behind_dhcrelay_to(&SERVERS, |_| {});
    // Real clients on the servers' own link: each takes the first offer of the three.
    let clients: Vec<_> = (0..4)
        .map(|i| lab.client(&format!("02:00:00:00:0c:{i:02x}")))
        .collect();
    let files: Vec<_> = clients
        .iter()
        .map(|c| lab.path(&format!("{c}.events")))
        .collect();
    let _udhcpc: Vec<_> = clients
        .iter()
        .zip(&files)
        .map(|(c, f)| udhcpc(&lab, c, f))
        .collect();
    let bound = eventually(20, || {
        files
            .iter()
            .all(|f| events(f).iter().any(|(e, _, _)| e == "bound"))
    });
    assert!(bound, "not every client bound");
    let first: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let (_, ip, server) = events(f)
                .into_iter()
                .find(|(e, _, _)| e == "bound")
                .unwrap();
            (ip, server)
        })
        .collect();
    // Kill, mid-load, the server that bound the first client.
    let victim = SERVERS.iter().position(|s| *s == first[0].1).unwrap();
    let load = std::thread::scope(|scope| {
        let load = scope.spawn(|| perf(&lab, &far, &charrua, "4"));
        std::thread::sleep(Duration::from_millis(1500));
        replicas[victim].kill();
        load.join().unwrap()
    });
    eprintln!("load across three servers, one killed: {load}");
    assert!(count(&load, &["completed"]) > 100, "{load}");
    assert_eq!(count(&load, &["double_acks"]), 0, "{load}");
    // Every client renews (its own server's clients by rebinding through the others) and keeps
    // its address.
    let renewed = eventually(40, || {
        files.iter().zip(&first).all(|(f, (ip, _))| {
            events(f)
                .iter()
                .any(|(e, got, by)| e == "renew" && got == ip && by != SERVERS[victim])
        })
    });
    let said: Vec<_> = files.iter().map(|f| read(f)).collect();
    assert!(
        renewed,
        "a client did not renew its address through another server: {said:?}"
    );
    for f in &files {
        // udhcpc says deconfig as it starts; after its first lease, nothing but renewals.
        let events = events(f);
        let since_bound = events.iter().skip_while(|(e, _, _)| e != "bound");
        assert!(
            since_bound
                .clone()
                .all(|(e, _, _)| e == "bound" || e == "renew"),
            "a client lost its lease: {said:?}"
        );
    }
    // The database agrees: each client's address is bound to it, and no address to two.
    let leases = leases_in(Path::new(&url));
    let mut addresses: HashMap<String, usize> = HashMap::new();
    for (i, (ip, _)) in first.iter().enumerate() {
        *addresses.entry(ip.clone()).or_default() += 1;
        let lease = leases
            .iter()
            .find(|l| l.address.to_string() == *ip)
            .unwrap_or_else(|| panic!("{ip} not in the database"));
        assert_eq!(lease.state, charrua_server::LeaseState::Bound);
        let mac = [2, 0, 0, 0, 0x0c, i as u8];
        assert!(
            lease.hardware.is_some_and(|h| h.addr() == mac)
                || matches!(&lease.client, charrua_server::ClientKey::Hardware { addr, .. } if **addr == mac),
            "{ip} is held by {:?}",
            lease.client
        );
    }
    assert!(addresses.values().all(|n| *n == 1), "{first:?}");
    for (i, r) in replicas.iter().enumerate() {
        assert!(!r.log().contains("panicked"), "{}", r.log());
        // Each learned of the others and takes new addresses from its own part of the pools.
        let part = format!("{} offers new addresses from part {} of 3", r.name, i + 1);
        assert!(i == victim || r.log().contains(&part), "{}", r.log());
    }
}

#[test]
fn no_ack_while_the_database_is_down_and_serving_resumes_by_itself() {
    let Some((mut lab, mut cluster, charrua)) = setup(&["dhcrelay"]) else {
        return;
    };
    let url = cluster.url();
    // The clients of the run before the outage come back during it: dhcpd would acknowledge
    // a binding younger than dhcp-cache-threshold again from memory, but a server sharing its
    // database writes every ACK (another may have changed the lease), so none leaves.
    let replicas: Vec<_> = (1..=3).map(|i| lab.replica(i, CONFIG, &url)).collect();
    let (_relay, far, _dhcrelay) = lab.behind_dhcrelay_to(&SERVERS, |_| {});
    let before = perf(&lab, &far, &charrua, "2");
    assert!(count(&before, &["received", "ack"]) > 50, "{before}");
    cluster.stop("fast").unwrap();
    let down = perf(&lab, &far, &charrua, "2");
    eprintln!("database down: {down}");
    // Offers need no write and still leave; no ACK does.
    assert!(count(&down, &["received", "offer"]) > 0, "{down}");
    assert_eq!(count(&down, &["received", "ack"]), 0, "{down}");
    cluster.restart().unwrap();
    let mut after = serde_json::Value::Null;
    let resumed = eventually(30, || {
        after = perf(&lab, &far, &charrua, "1");
        count(&after, &["received", "ack"]) > 50
    });
    assert!(resumed, "serving did not resume: {after}");
    for r in &replicas {
        let log = r.log();
        assert!(
            log.contains("lease database"),
            "{}: nothing said\n{log}",
            r.name
        );
        assert_eq!(
            log.matches("serving").count(),
            1,
            "{} restarted\n{log}",
            r.name
        );
    }
    for report in [&before, &down, &after] {
        assert_eq!(count(report, &["double_acks"]), 0, "{report}");
    }
}

#[test]
fn a_promoted_standby_takes_over_without_a_restart() {
    let Some((mut lab, mut primary, charrua)) = setup(&["dhcrelay"]) else {
        return;
    };
    // Synchronous: the primary's commit waits for the standby, so nothing acknowledged is lost
    // when it is promoted.
    let standby = primary.standby(true).unwrap();
    let url = charrua_store::pg_cluster::url_of(&[&primary, &standby]);
    let replicas: Vec<_> = (1..=3).map(|i| lab.replica(i, CONFIG, &url)).collect();
    let (_relay, far, _dhcrelay) = lab.behind_dhcrelay_to(&SERVERS, |_| {});
    let before = perf(&lab, &far, &charrua, "2");
    assert!(count(&before, &["received", "ack"]) > 50, "{before}");
    let acked = leases_in(Path::new(&url)).len();
    primary.stop("immediate").unwrap();
    standby.promote().unwrap();
    let mut after = serde_json::Value::Null;
    let resumed = eventually(30, || {
        after = perf(&lab, &far, &charrua, "1");
        count(&after, &["received", "ack"]) > 50
    });
    assert!(resumed, "serving did not resume on the standby: {after}");
    assert!(leases_in(Path::new(&url)).len() >= acked);
    for r in &replicas {
        assert_eq!(
            r.log().matches("serving").count(),
            1,
            "{} restarted",
            r.name
        );
    }
    for report in [&before, &after] {
        assert_eq!(count(report, &["double_acks"]), 0, "{report}");
    }
}
