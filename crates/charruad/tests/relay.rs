//! A real relay: ISC dhcrelay (adding option 82) between a client namespace and the server's
//! network. The relayed client gets an address from the remote subnet, and the server's replies
//! to the relay carry option 82 back.

mod lab;

use std::process::{Command, Stdio};
use std::time::Duration;

use lab::{have, Lab, Reap};

const CONFIG: &str = r#"
default-lease-time 600;
subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.199; }
subnet 198.19.0.0 netmask 255.255.255.0 {
  range 198.19.0.100 198.19.0.150;
  option routers 198.19.0.1;
}
"#;

#[test]
fn a_client_behind_dhcrelay_gets_an_address_of_the_remote_subnet() {
    if !lab::can_run() || !have("dhcrelay") || !have("udhcpc") {
        return;
    }
    let mut lab = Lab::new();
    lab.start(CONFIG);
    let capture = lab.path("relay-upstream.pcapng");
    let mut dumpcap = None;
    let (_relay, client, _dhcrelay) = lab.behind_dhcrelay(|relay| {
        dumpcap = Some(Reap(
            Command::new("ip")
                .args(["netns", "exec", relay, "dumpcap", "-q", "-i", "eth0"])
                .args(["-f", "udp port 67", "-w"])
                .arg(&capture)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        ));
        // Capturing once the file has its header (a loaded machine starts dumpcap slowly).
        let started = lab::eventually(10, || {
            std::fs::metadata(&capture).is_ok_and(|m| m.len() > 0)
        });
        assert!(started, "dumpcap did not start");
        std::thread::sleep(Duration::from_millis(200));
    });
    let (leased, stderr) = lab.udhcpc_once(&client, "/bin/true");
    let leased = leased.map(|ip| ip.to_string()).unwrap_or_default();
    assert!(
        leased.starts_with("198.19.0."),
        "no lease from the relayed subnet: {stderr}\ncharruad:\n{}\ndhcrelay:\n{}",
        lab.log(),
        std::fs::read_to_string(lab.path("dhcrelay.log")).unwrap_or_default()
    );
    assert!(lab.log().contains("via 198.19.0.1"), "{}", lab.log());
    // Option 82 in the server's replies to the relay.
    std::thread::sleep(Duration::from_millis(500));
    // SIGTERM, so that dumpcap writes out what it holds before it exits.
    if let Some(mut reap) = dumpcap.take() {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(reap.0.id()).unwrap());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let stopped = lab::eventually(5, || matches!(reap.0.try_wait(), Ok(Some(_))));
        assert!(stopped, "dumpcap ignored SIGTERM");
    }
    let fields = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(&capture)
        .args([
            "-Y",
            "dhcp.option.dhcp == 5 && ip.src == 198.18.0.1",
            "-T",
            "fields",
            "-e",
            "dhcp.option.type",
            "-e",
            "dhcp.option.agent_information_option.agent_circuit_id",
        ])
        .output()
        .unwrap();
    let fields = String::from_utf8_lossy(&fields.stdout);
    assert!(
        fields.lines().any(|l| l
            .split('\t')
            .next()
            .is_some_and(|codes| codes.split(',').any(|c| c == "82"))),
        "no option 82 in the ACK: {fields}"
    );
}
