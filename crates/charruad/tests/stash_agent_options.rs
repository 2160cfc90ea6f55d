//! ISC's `stash-agent-options` (on by default), judged against ISC dhcpd in network namespaces
//! the test creates: a client behind ISC dhcrelay (which adds option 82, circuit id `dn0`) is
//! served from a pool only that circuit's class may use. When it renews, busybox udhcpc
//! unicasts its REQUEST straight to the server, routed through the relay's namespace without
//! dhcrelay, so without option 82. Each server gives the lease's stashed relay agent
//! information back to the renewal, which stays in its class: the renewal is acknowledged.
//! With `stash-agent-options false;` neither server acknowledges it.

mod lab;

use lab::{skip, Lab};

const MAC: &str = "02:00:00:00:0f:ff";

fn config(stash: &str) -> String {
    format!(
        "{stash}
ping-check false;
default-lease-time 20;
max-lease-time 20;
class \"port-dn0\" {{ match if option agent.circuit-id = \"dn0\"; }}
subnet 198.18.0.0 netmask 255.255.255.0 {{ }}
subnet 198.19.0.0 netmask 255.255.255.0 {{
  option routers 198.19.0.1;
  pool {{ allow members of \"port-dn0\"; range 198.19.0.100 198.19.0.110; }}
}}
"
    )
}

/// A udhcpc hook that configures the address and the route through the relay, so that the
/// client can renew by unicast.
const HOOK: &str = "#!/bin/sh
case \"$1\" in
  bound|renew)
    ip -4 addr flush dev \"$interface\"
    ip -4 addr add \"$ip/24\" dev \"$interface\"
    ip -4 route replace default via \"$router\" dev \"$interface\"
    ;;
esac
";

/// Runs udhcpc behind the relay for 16 seconds (a lease, and the renewal at T1, 10 s); the
/// address leased and whether the server acknowledged the unicast renewal, by the server's log
/// `log` (both servers log an ACK not sent through a relay `via br0`).
fn lease_and_renew(lab: &mut Lab, log: impl Fn(&Lab) -> String) -> (String, bool, String) {
    let (_relay, client, _dhcrelay) = lab.behind_dhcrelay(|_| {});
    let set_mac = ["ip", "link", "set", "eth0", "address", MAC];
    assert!(lab.exec(&client, 5, &set_mac).status.success());
    let hook = lab.path("hook.sh");
    std::fs::write(&hook, HOOK).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .unwrap();
    let hook = hook.to_string_lossy().into_owned();
    // In the foreground, to renew at T1 (10 s), then stopped.
    let (leased, said) = lab.udhcpc(&client, 16, &["-f", "-t", "4", "-T", "2", "-s", &hook]);
    let leased = leased.map(|a| a.to_string()).unwrap_or_default();
    let log = log(lab);
    // The renewal came (not through the relay), else the test proves nothing.
    let asked = format!("DHCPREQUEST for {leased} from {MAC} via br0");
    assert!(log.contains(&asked), "no unicast renewal:\n{said}\n{log}");
    let renewed = log.contains(&format!("DHCPACK on {leased} to {MAC} via br0"));
    (leased, renewed, said)
}

fn charruad(stash: &str) -> (String, bool, String) {
    let mut lab = Lab::new();
    lab.start(&config(stash));
    let result = lease_and_renew(&mut lab, |lab| lab.log());
    assert!(lab.stop().success(), "{}", lab.log());
    result
}

fn dhcpd(stash: &str) -> (String, bool, String) {
    Lab::new().with_dhcpd(&config(stash), |lab| {
        lease_and_renew(lab, |lab| lab::read(&lab.path("dhcpd.log")))
    })
}

#[test]
fn a_relayed_client_renewing_without_the_relay_is_acknowledged_by_both_servers() {
    if skip(&["udhcpc", "dhcpd", "dhcrelay"]) {
        return;
    }
    for (name, (leased, renewed, said)) in [("charruad", charruad("")), ("dhcpd", dhcpd(""))] {
        assert!(leased.starts_with("198.19.0.1"), "{name}: {said}");
        assert!(renewed, "{name} did not acknowledge the renewal: {said}");
    }
}

#[test]
fn with_stash_agent_options_false_neither_server_acknowledges_it() {
    if skip(&["udhcpc", "dhcpd", "dhcrelay"]) {
        return;
    }
    let stash = "stash-agent-options false;";
    for (name, (leased, renewed, said)) in [("charruad", charruad(stash)), ("dhcpd", dhcpd(stash))]
    {
        assert!(leased.starts_with("198.19.0.1"), "{name}: {said}");
        assert!(!renewed, "{name} acknowledged the renewal: {said}");
    }
}
