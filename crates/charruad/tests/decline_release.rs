//! DHCPDECLINE and DHCPRELEASE with the real clients, in network namespaces the test creates.
//!
//! Scenario A (RFC 2131 section 4.3.3): a client gets an address, declines it, asks again and
//! is given another one; charruad logs the DHCPDECLINE and keeps the declined address out of
//! the pool. ISC dhclient declines when its script fails for BOUND; busybox udhcpc (`-a`) and
//! dhcpcd (RFC 5227 probing, on by default) decline when another station answers ARP for the
//! address, a "squatter" namespace that holds it.
//!
//! Scenario B (RFC 2131 section 4.3.4): a client releases its address, then another client,
//! which never had a lease, asks for that address and is given it.
//!
//! Every test captures on the bridge, and tshark must find no malformed frame nor expert error.

mod lab;

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use charrua_server::LeaseState;
use lab::{eventually, have, read, skip, tshark_problems, Lab, Reap};

/// Not authoritative: nothing here needs it. An INIT-REBOOT from a client charruad has no
/// record of is then met with silence (RFC 2131 section 4.3.2), as dhclient's in scenario B is.
const CONFIG: &str = "\
default-lease-time 600;
max-lease-time 600;
subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }
";

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    Command::new("chmod").arg("+x").arg(path).status().unwrap();
}

fn both(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The DHCP messages of `capture`, one a line: frame, source, destination, message type,
/// yiaddr, requested address, client hardware address.
fn dhcp_summary(capture: &Path) -> String {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(capture)
        .args(["-Y", "dhcp", "-T", "fields"])
        .args(
            [
                "frame.number",
                "ip.src",
                "ip.dst",
                "dhcp.option.dhcp",
                "dhcp.ip.your",
                "dhcp.option.requested_ip_address",
                "dhcp.hw.mac_addr",
            ]
            .iter()
            .flat_map(|f| ["-e", f]),
        )
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Everything a failure message needs: charruad's log, the lease store and the DHCP messages
/// on the bridge (the capture is stopped for that, so that it is complete).
fn report(lab: &mut Lab) -> String {
    let capture = lab.stop_capture();
    format!(
        "--- charruad.log\n{}--- leases\n{:#?}\n--- capture (frame src dst type yiaddr requested chaddr)\n{}",
        lab.log(),
        lab.leases(),
        dhcp_summary(&capture)
    )
}

/// The end of every test: tshark finds nothing wrong on the bridge; charruad exits 0.
fn finish(mut lab: Lab) {
    let capture = lab.stop_capture();
    if have("tshark") {
        assert_eq!(
            tshark_problems(&capture),
            "",
            "tshark found problems\n{}",
            dhcp_summary(&capture)
        );
    }
    assert!(lab.stop().success(), "charruad exits 0\n{}", lab.log());
}

/// A lab with charruad serving [`CONFIG`] and the bridge captured.
fn lab() -> Lab {
    let mut lab = Lab::new();
    lab.capture();
    lab.start(CONFIG);
    lab
}

/// The record charruad keeps for `addr`, if any.
fn state_of(lab: &Lab, addr: Ipv4Addr) -> Option<LeaseState> {
    lab.leases()
        .into_iter()
        .find(|l| l.address == addr)
        .map(|l| l.state)
}

/// After a decline of `declined` by `mac`: charruad logged the DHCPDECLINE and keeps the
/// address declined, and the client's new address is another one. `said` is what the client
/// printed, for a failure message.
fn assert_declined(lab: &mut Lab, mac: &str, declined: Ipv4Addr, then: Ipv4Addr, said: &str) {
    let line = format!("DHCPDECLINE of {declined} from {mac}");
    if !lab.log().contains(&line) {
        panic!(
            "charruad did not log {line:?}\n--- client\n{said}\n{}",
            report(lab)
        );
    }
    if then == declined {
        panic!(
            "the declined {declined} was given again to {mac}\n--- client\n{said}\n{}",
            report(lab)
        );
    }
    if state_of(lab, declined) != Some(LeaseState::Declined) {
        panic!(
            "{declined} is not held as declined\n--- client\n{said}\n{}",
            report(lab)
        );
    }
    eprintln!("{mac} declined {declined} and was given {then}");
}

/// After a client `mac` was given the released `addr`: it did ask for it (option 50 on the
/// wire), and charruad logged the ACK to it.
fn assert_asked_and_given(lab: &mut Lab, mac: &str, addr: Ipv4Addr) {
    let capture = lab.stop_capture();
    if have("tshark") {
        let filter =
            format!("dhcp.hw.mac_addr == {mac} && dhcp.option.requested_ip_address == {addr}");
        let out = Command::new("tshark")
            .arg("-n")
            .arg("-r")
            .arg(&capture)
            .args(["-Y", &filter, "-T", "fields", "-e", "frame.number"])
            .output()
            .unwrap();
        if out.stdout.is_empty() {
            panic!("{mac} never asked for {addr}\n{}", report(lab));
        }
    }
    let line = format!("DHCPACK on {addr} to {mac}");
    if !lab.log().contains(&line) {
        panic!("charruad did not log {line:?}\n{}", report(lab));
    }
    if state_of(lab, addr) != Some(LeaseState::Bound) {
        panic!("{addr} is not bound\n{}", report(lab));
    }
}

/// Adds `addr` to a new namespace on the bridge, which then answers ARP for it.
fn squatter(lab: &mut Lab, mac: &str, addr: Ipv4Addr) -> String {
    let ns = lab.client(mac);
    let out = lab.exec(
        &ns,
        5,
        &["ip", "addr", "add", &format!("{addr}/24"), "dev", "eth0"],
    );
    assert!(out.status.success(), "{}", both(&out));
    ns
}

/// Busybox udhcpc gets an address, configuring it on eth0 (a RELEASE is unicast from it), and
/// releases it (`-R`) when it ends on SIGTERM: the address released, once charruad has logged
/// the release. (`-q -R` releases nothing: udhcpc quits before it counts as bound.)
fn udhcpc_releases(lab: &mut Lab, ns: &str, mac: &str) -> Ipv4Addr {
    let hook = lab.path("udhcpc-release.sh");
    executable(
        &hook,
        "#!/bin/sh\ncase \"$1\" in\n  bound|renew) ip addr flush dev \"$interface\"; ip addr add \"$ip/$mask\" dev \"$interface\";;\n  deconfig) ip addr flush dev \"$interface\";;\nesac\n",
    );
    let stderr = lab.path("udhcpc-release.stderr");
    // `ip netns exec` runs udhcpc in place (-f: in the foreground): the child is udhcpc.
    let mut client = Reap(
        Command::new("ip")
            .args(["netns", "exec", ns, "udhcpc", "-f", "-R", "-i", "eth0"])
            .args(["-t", "6", "-T", "2", "-s"])
            .arg(&hook)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap(),
    );
    let configured = |ip: Ipv4Addr| {
        let out = lab.exec(ns, 5, &["ip", "-4", "addr", "show", "dev", "eth0"]);
        both(&out).contains(&format!("{ip}/24"))
    };
    let mut ip = None;
    eventually(30, || {
        ip = read(&stderr)
            .split("lease of ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|a| a.parse::<Ipv4Addr>().ok());
        ip.is_some_and(configured) || matches!(client.0.try_wait(), Ok(Some(_)))
    });
    let Some(ip) = ip.filter(|&ip| configured(ip)) else {
        panic!(
            "udhcpc got and configured no lease:\n{}\n{}",
            read(&stderr),
            report(lab)
        );
    };
    // udhcpc reads signals once its hook has returned and it waits again.
    std::thread::sleep(Duration::from_millis(300));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(client.0.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let ended = eventually(10, || matches!(client.0.try_wait(), Ok(Some(_))));
    assert!(ended, "udhcpc ignored SIGTERM:\n{}", read(&stderr));
    drop(client);
    let said = read(&stderr);
    let line = format!("DHCPRELEASE of {ip} from {mac}");
    if !eventually(5, || lab.log().contains(&line)) {
        panic!(
            "charruad did not log {line:?}\n--- udhcpc\n{said}\n{}",
            report(lab)
        );
    }
    if !eventually(5, || state_of(lab, ip) == Some(LeaseState::Released)) {
        panic!("{ip} is not released\n{}", report(lab));
    }
    // The hook deconfigured it: nobody answers ARP for it any more.
    let out = lab.exec(ns, 5, &["ip", "-4", "addr", "show", "dev", "eth0"]);
    assert!(!both(&out).contains(&format!("{ip}/")), "{}", both(&out));
    eprintln!("{mac} released {ip}");
    ip
}

/// Runs dhcpcd once (`-4 -1 -w`, no configuration file, no IPv4LL, hook `hook`) in `ns`, with
/// `extra` arguments before the interface. dhcpcd keeps its lease, pid file and control socket
/// under fixed paths named after the interface, eth0 in every namespace, so it runs with fresh
/// /var/lib/dhcpcd and /run of its own: `ip netns exec` gives it a mount namespace, slave to
/// the host's, where these tmpfs mounts stay, gone when it exits. It starts without a lease.
fn dhcpcd(lab: &Lab, ns: &str, hook: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "sh",
        "-c",
        "mount -t tmpfs lab /var/lib/dhcpcd && mount -t tmpfs lab /run && exec dhcpcd \"$@\"",
        "sh",
        "-4",
        "-1",
        "-w",
        "-L",
        "-t",
        "40",
        "--config",
        "/dev/null",
        "--script",
        hook.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push("eth0");
    lab.exec(ns, 60, &args)
}

/// The addresses dhcpcd's hook was given with reason BOUND, in order.
fn dhcpcd_bound(env: &Path) -> Vec<Ipv4Addr> {
    // The hook writes `== ARGS` and then `env`, whose variables come in no set order.
    let text = read(env);
    let mut bound = Vec::new();
    for block in text.split("== ").skip(1) {
        let is_bound = block.lines().any(|l| l == "reason=BOUND");
        let ip = block
            .lines()
            .find_map(|l| l.strip_prefix("new_ip_address="))
            .and_then(|a| a.parse().ok());
        if let (true, Some(ip)) = (is_bound, ip) {
            bound.push(ip);
        }
    }
    bound
}

/// Starts ISC dhclient in the foreground in `ns`, with hook `hook` and its lease and pid files
/// in the lab directory, and `extra` arguments; killed (so releasing nothing) when dropped.
fn spawn_dhclient(lab: &Lab, ns: &str, hook: &Path, extra: &[&str]) -> Reap {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(lab.path("dhclient.log"))
        .unwrap();
    // `ip netns exec` runs dhclient in place: the child is dhclient itself.
    Reap(
        Command::new("ip")
            .args(["netns", "exec", ns, "dhclient", "-d"])
            .args(extra)
            .arg("-sf")
            .arg(hook)
            .arg("-lf")
            .arg(lab.path("dhclient.leases"))
            .arg("-pf")
            .arg(lab.path("dhclient.pid"))
            .arg("eth0")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

/// The `REASON ADDRESS` lines a dhclient hook recorded for `reasons`.
fn dhclient_events(events: &Path, reasons: &[&str]) -> Vec<(String, Ipv4Addr)> {
    read(events)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(r, _)| reasons.contains(r))
        .filter_map(|(r, a)| Some((r.to_string(), a.parse().ok()?)))
        .collect()
}

// Scenario A: DECLINE, then DISCOVER again.

#[test]
fn dhclient_declines_its_address_and_is_given_another() {
    if skip(&["dhclient"]) {
        return;
    }
    let mac = "02:00:00:00:11:01";
    let mut lab = lab();
    let ns = lab.client(mac);
    let (events, mark) = (lab.path("dhclient.events"), lab.path("declined"));
    let hook = lab.path("dhclient.sh");
    // dhclient's bind_lease sends a DHCPDECLINE when the script fails for BOUND ("detects
    // another machine using the offered address"), then starts over after
    // --decline-wait-time (10 s by default, RFC 2131 section 3.1 item 5). Fail the first BOUND.
    executable(
        &hook,
        &format!(
            "#!/bin/sh\necho \"$reason $new_ip_address\" >> {events}\nif [ \"$reason\" = BOUND ] && [ ! -e {mark} ]; then\n  : > {mark}\n  exit 1\nfi\nexit 0\n",
            events = events.display(),
            mark = mark.display()
        ),
    );
    // Not -1: with it dhclient exits after declining instead of starting over.
    let mut client = spawn_dhclient(&lab, &ns, &hook, &[]);
    let done = eventually(40, || {
        dhclient_events(&events, &["BOUND"]).len() >= 2
            || matches!(client.0.try_wait(), Ok(Some(_)))
    });
    drop(client);
    let _ = std::fs::remove_file(lab.path("dhclient.pid"));
    let bound = dhclient_events(&events, &["BOUND"]);
    let [(_, declined), (_, then), ..] = bound[..] else {
        panic!(
            "dhclient was not bound twice (waited: {done}): {bound:?}\n--- dhclient.log\n{}{}",
            read(&lab.path("dhclient.log")),
            report(&mut lab)
        );
    };
    let said = read(&lab.path("dhclient.log"));
    assert_declined(&mut lab, mac, declined, then, &said);
    finish(lab);
}

#[test]
fn udhcpc_declines_an_address_in_use_and_is_given_another() {
    if skip(&["udhcpc"]) {
        return;
    }
    let mac = "02:00:00:00:12:01";
    let mut lab = lab();
    let ns = lab.client(mac);
    // The address charruad gives this client: it offers the same one again, held by then.
    let (first, said) = lab.udhcpc_with(&ns, "/bin/true", &[]);
    let Some(x) = first else {
        panic!("udhcpc got no lease:\n{said}\n{}", report(&mut lab));
    };
    squatter(&mut lab, "02:00:00:00:12:02", x);
    // -a: ARP-probe the address ACKed, DECLINE it when answered; -A 2: start over 2 s later.
    let (then, said) = lab.udhcpc_with(&ns, "/bin/true", &["-a", "-A", "2"]);
    if !said.contains("declining") {
        panic!(
            "udhcpc declined nothing (offered {x} again?):\n{said}\n{}",
            report(&mut lab)
        );
    }
    let Some(then) = then else {
        panic!(
            "udhcpc got no lease after declining:\n{said}\n{}",
            report(&mut lab)
        );
    };
    assert_declined(&mut lab, mac, x, then, &said);
    finish(lab);
}

#[test]
fn dhcpcd_declines_an_address_in_use_and_is_given_another() {
    if skip(&["dhcpcd"]) {
        return;
    }
    let mac = "02:00:00:00:13:01";
    let mut lab = lab();
    let ns = lab.client(mac);
    let env = lab.path("dhcpcd.env");
    let hook = lab.hook("dhcpcd.sh", &env);
    let out = dhcpcd(&lab, &ns, &hook, &[]);
    let Some(&x) = dhcpcd_bound(&env).first() else {
        panic!("dhcpcd got no lease:\n{}\n{}", both(&out), report(&mut lab));
    };
    // dhcpcd -1 leaves the address on eth0: take it off, and give it to the squatter.
    lab.exec(&ns, 5, &["ip", "addr", "flush", "dev", "eth0"]);
    std::fs::remove_file(&env).unwrap();
    squatter(&mut lab, "02:00:00:00:13:02", x);
    // It DISCOVERs (no lease kept), is offered x again, probes it (RFC 5227), hears the
    // squatter, DECLINEs, and starts over.
    let out = dhcpcd(&lab, &ns, &hook, &[]);
    let said = both(&out);
    let Some(&then) = dhcpcd_bound(&env).last() else {
        panic!(
            "dhcpcd got no lease after the squatter took {x}:\n{said}\n{}",
            report(&mut lab)
        );
    };
    assert_declined(&mut lab, mac, x, then, &said);
    finish(lab);
}

// Scenario B: RELEASE, then another client asks for the address.

#[test]
fn dhclient_is_given_an_address_another_client_released() {
    if skip(&["udhcpc", "dhclient"]) {
        return;
    }
    let mut lab = lab();
    let releaser = lab.client("02:00:00:00:14:01");
    let x = udhcpc_releases(&mut lab, &releaser, "02:00:00:00:14:01");
    let mac = "02:00:00:00:14:02";
    let ns = lab.client(mac);
    // A lease file naming x, as if this client had had it: dhclient starts in INIT-REBOOT,
    // asking for x. charruad, not authoritative and without a record of this client, stays
    // silent (RFC 2131 section 4.3.2); after its reboot timeout (10 s) dhclient DISCOVERs with
    // x as the requested address, and must be given it (BOUND), or, had the REQUEST been
    // answered, be confirmed in it (REBOOT).
    std::fs::write(
        lab.path("dhclient.leases"),
        format!(
            "lease {{\n  interface \"eth0\";\n  fixed-address {x};\n  option subnet-mask 255.255.255.0;\n  option dhcp-lease-time 600;\n  option dhcp-server-identifier 198.18.0.1;\n  renew 4 2037/12/31 00:00:00;\n  rebind 4 2037/12/31 00:00:00;\n  expire 4 2037/12/31 00:00:00;\n}}\n"
        ),
    )
    .unwrap();
    let events = lab.path("dhclient.events");
    let hook = lab.path("dhclient.sh");
    executable(
        &hook,
        &format!(
            "#!/bin/sh\necho \"$reason $new_ip_address\" >> {}\n",
            events.display()
        ),
    );
    let mut client = spawn_dhclient(&lab, &ns, &hook, &["-1"]);
    let done = eventually(40, || {
        !dhclient_events(&events, &["BOUND", "REBOOT"]).is_empty()
            || matches!(client.0.try_wait(), Ok(Some(_)))
    });
    drop(client);
    let _ = std::fs::remove_file(lab.path("dhclient.pid"));
    let got = dhclient_events(&events, &["BOUND", "REBOOT"]);
    match got.first() {
        Some((how, ip)) if *ip == x => {
            eprintln!("dhclient was given the released {x} ({how})");
        }
        _ => panic!(
            "dhclient asked for the released {x} and got {got:?} (waited: {done})\n--- dhclient.log\n{}{}",
            read(&lab.path("dhclient.log")),
            report(&mut lab)
        ),
    }
    assert_asked_and_given(&mut lab, mac, x);
    finish(lab);
}

#[test]
fn udhcpc_is_given_an_address_another_client_released() {
    if skip(&["udhcpc"]) {
        return;
    }
    let mut lab = lab();
    let releaser = lab.client("02:00:00:00:15:01");
    let x = udhcpc_releases(&mut lab, &releaser, "02:00:00:00:15:01");
    let mac = "02:00:00:00:15:02";
    let ns = lab.client(mac);
    let (got, said) = lab.udhcpc_with(&ns, "/bin/true", &["-r", &x.to_string()]);
    if got != Some(x) {
        panic!(
            "udhcpc asked for the released {x} and got {got:?}:\n{said}\n{}",
            report(&mut lab)
        );
    }
    assert_asked_and_given(&mut lab, mac, x);
    eprintln!("udhcpc was given the released {x}");
    finish(lab);
}

#[test]
fn dhcpcd_is_given_an_address_another_client_released() {
    if skip(&["udhcpc", "dhcpcd"]) {
        return;
    }
    let mut lab = lab();
    let releaser = lab.client("02:00:00:00:16:01");
    let x = udhcpc_releases(&mut lab, &releaser, "02:00:00:00:16:01");
    let mac = "02:00:00:00:16:02";
    let ns = lab.client(mac);
    let env = lab.path("dhcpcd.env");
    let hook = lab.hook("dhcpcd.sh", &env);
    // -r: DISCOVER asking for x.
    let out = dhcpcd(&lab, &ns, &hook, &["-r", &x.to_string()]);
    let got = dhcpcd_bound(&env);
    if got.first() != Some(&x) {
        panic!(
            "dhcpcd asked for the released {x} and got {got:?}:\n{}\n{}",
            both(&out),
            report(&mut lab)
        );
    }
    assert_asked_and_given(&mut lab, mac, x);
    eprintln!("dhcpcd was given the released {x}");
    finish(lab);
}
