//! A site switches from ISC dhcpd to charruad and back on the same dhcpd.leases, with the real
//! peers as judges: ISC dhcpd hands out leases to ISC dhclient (no client identifier) and busybox
//! udhcpc (a client identifier); charruad, started on dhcpd's file, gives each client its
//! address again, a new client a new one, and appends to the file without touching dhcpd's
//! blocks; ISC dhcpd, started again on the file charruad wrote, gives all three clients their
//! addresses again. After every step `dhcpd -T` reads the file without a complaint.

mod lab;

use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::time::Instant;

use charrua_server::LeaseState;
use lab::{eventually, have, Lab, Reap};

const CONFIG: &str = "\
default-lease-time 600;
max-lease-time 600;
authoritative;
subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }
";

fn read(lab: &Lab, name: &str) -> String {
    lab::read(&lab.path(name))
}

fn logs(lab: &Lab) -> String {
    lab.logs()
}

/// `dhcpd -T` on the lab's files: reads every block without a complaint and writes at least
/// `leases` leases.
fn dhcpd_accepts(lab: &Lab, step: &str, leases: usize) {
    let verdict = charrua_store::testing::dhcpd_test(&lab.path("dhcpd.conf"), &lab.path("leases"));
    match verdict {
        Some(Ok(wrote)) => assert!(
            wrote >= leases,
            "{step}: dhcpd -T wrote {wrote}, want {leases}\n{}",
            logs(lab)
        ),
        Some(Err(said)) => panic!("{step}: dhcpd -T on the lease file:\n{said}\n{}", logs(lab)),
        None => {}
    }
}

/// Runs ISC dhclient once in `ns`, in the foreground, with its lease file in the lab directory
/// (a second run asks for the remembered address: INIT-REBOOT), until its hook reports a lease;
/// then kills it, so it releases nothing. The address and the hook's reason (BOUND, REBOOT).
fn dhclient(lab: &Lab, ns: &str) -> (Ipv4Addr, String) {
    let events = lab.path("dhclient.events");
    let hook = lab.path("dhclient.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncase \"$reason\" in\n  BOUND|REBOOT|RENEW|REBIND) echo \"$reason $new_ip_address\" >> {};;\nesac\n",
            events.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
    let (lf, pf) = (lab.path("dhclient.leases"), lab.path("dhclient.pid"));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(lab.path("dhclient.log"))
        .unwrap();
    let seen = read(lab, "dhclient.events").lines().count();
    // `ip netns exec` runs dhclient in place: the child is dhclient itself.
    let mut client = Reap(
        Command::new("ip")
            .args(["netns", "exec", ns, "dhclient", "-d", "-1", "-sf"])
            .arg(&hook)
            .arg("-lf")
            .arg(&lf)
            .arg("-pf")
            .arg(&pf)
            .arg("eth0")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let got = eventually(40, || {
        read(lab, "dhclient.events").lines().count() > seen
            || matches!(client.0.try_wait(), Ok(Some(_)))
    });
    let event = read(lab, "dhclient.events")
        .lines()
        .nth(seen)
        .map(String::from);
    let Some((reason, ip)) = event.as_deref().and_then(|e| e.split_once(' ')) else {
        panic!(
            "dhclient got no lease (waited: {got})\n--- dhclient.log\n{}{}",
            read(lab, "dhclient.log"),
            logs(lab)
        );
    };
    let ip: Ipv4Addr = ip.parse().unwrap();
    // The lease file is what the next run asks with: wait until dhclient has written it.
    let recorded = eventually(10, || {
        std::fs::read_to_string(&lf)
            .unwrap_or_default()
            .contains(&format!("fixed-address {ip};"))
    });
    assert!(recorded, "dhclient did not record {ip} in its lease file");
    drop(client);
    // The pid is dead: no later dhclient -r or -x may signal whatever reuses it.
    let _ = std::fs::remove_file(&pf);
    (ip, reason.to_string())
}

/// Busybox udhcpc once in `ns`, asking for `request` (`-r`) when given: the address it obtained.
fn udhcpc(lab: &Lab, ns: &str, request: Option<Ipv4Addr>) -> Ipv4Addr {
    let request = request.map(|a| a.to_string());
    let extra: Vec<&str> = request.iter().flat_map(|r| ["-r", r.as_str()]).collect();
    let (ip, said) = lab.udhcpc_with(ns, "/bin/true", &extra);
    ip.unwrap_or_else(|| panic!("udhcpc {extra:?} got no lease:\n{said}\n{}", logs(lab)))
}

/// The last block dhcpd.leases(5) text has for `ip`, from `lease IP {` to its `}`.
fn block(text: &str, ip: Ipv4Addr) -> Option<String> {
    let start = text.rfind(&format!("lease {ip} {{"))?;
    let end = start + text[start..].find("\n}\n")? + 3;
    Some(text[start..end].to_string())
}

#[test]
fn a_site_switches_from_isc_dhcpd_to_charruad_and_back() {
    if !lab::can_run() || !have("dhcpd") || !have("dhclient") || !have("udhcpc") {
        return;
    }
    let began = Instant::now();
    let mut lab = Lab::new();
    let isc_client = lab.client("02:00:00:00:0a:01");
    let busybox = lab.client("02:00:00:00:0a:02");
    let newcomer = lab.client("02:00:00:00:0a:03");
    std::fs::write(lab.path("dhcpd.conf"), CONFIG).unwrap();
    std::fs::write(lab.path("leases"), "").unwrap();

    // 1 and 2: ISC dhcpd serves the site.
    let dhcpd = lab.start_dhcpd();
    let (a1, how) = dhclient(&lab, &isc_client);
    assert_eq!(how, "BOUND");
    let a2 = udhcpc(&lab, &busybox, None);
    assert_ne!(a1, a2);
    lab.stop_dhcpd(dhcpd);
    dhcpd_accepts(&lab, "after ISC dhcpd", 2);
    let isc_file = read(&lab, "leases");
    let isc_blocks: Vec<String> = [a1, a2]
        .iter()
        .map(|&a| block(&isc_file, a).unwrap_or_else(|| panic!("no block for {a}:\n{isc_file}")))
        .collect();
    assert!(isc_blocks[1].contains("uid "), "{}", isc_blocks[1]);
    eprintln!("ISC dhcpd: dhclient {a1}, udhcpc {a2}");

    // 3: charruad on dhcpd's file keeps both clients on their addresses, a newcomer gets another.
    lab.start_with(CONFIG, &[]);
    let (again, how) = dhclient(&lab, &isc_client);
    // REBOOT: its INIT-REBOOT REQUEST was ACKed, not NAKed into a new DISCOVER.
    assert_eq!(
        (again, how.as_str()),
        (a1, "REBOOT"),
        "dhclient under charruad\n{}",
        logs(&lab)
    );
    assert_eq!(udhcpc(&lab, &busybox, None), a2, "{}", logs(&lab));
    let a3 = udhcpc(&lab, &newcomer, None);
    assert!(a3 != a1 && a3 != a2, "{a3} given twice\n{}", logs(&lab));
    assert!(
        !lab.log().contains("ERROR") && !lab.log().contains("WARN"),
        "charruad logged an error or a warning:\n{}",
        lab.log()
    );
    assert!(lab.stop().success(), "charruad exits 0\n{}", lab.log());
    dhcpd_accepts(&lab, "after charruad", 3);
    let file = read(&lab, "leases");
    for isc_block in &isc_blocks {
        assert!(
            file.contains(isc_block.as_str()),
            "dhcpd's block is gone:\n{isc_block}\n--- file now\n{file}"
        );
    }
    let bound: Vec<Ipv4Addr> = lab
        .leases()
        .into_iter()
        .filter(|l| l.state == LeaseState::Bound)
        .map(|l| l.address)
        .collect();
    for a in [a1, a2, a3] {
        assert!(bound.contains(&a), "{a} not bound: {bound:?}\n{file}");
    }
    eprintln!("charruad: newcomer {a3}");

    // 4: back to ISC dhcpd on the file charruad wrote: every client keeps its address.
    let dhcpd = lab.start_dhcpd();
    let (again, how) = dhclient(&lab, &isc_client);
    assert_eq!(
        (again, how.as_str()),
        (a1, "REBOOT"),
        "dhclient back under dhcpd\n{}",
        logs(&lab)
    );
    assert_eq!(udhcpc(&lab, &busybox, Some(a2)), a2);
    assert_eq!(udhcpc(&lab, &newcomer, Some(a3)), a3);
    lab.stop_dhcpd(dhcpd);
    dhcpd_accepts(&lab, "back on ISC dhcpd", 3);
    eprintln!(
        "switched to charruad and back in {:.1} s",
        began.elapsed().as_secs_f64()
    );
}
