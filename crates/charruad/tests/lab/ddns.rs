//! What the dynamic DNS tests (`ddns.rs`, `ddns_failures.rs`, `ddns_names.rs`,
//! `ddns_switch.rs`; docs/ddns.md section 9) share: BIND 9's `named` in the server namespace
//! serves `lab.example.` and the lab subnet's reverse zone, both updatable with a TSIG key
//! ([`super::named`]); the same dhcpd.conf (`ddns-update-style`, the key, `zone` statements
//! pointing at named) is served first by ISC dhcpd, then by charruad, each with a fresh named
//! ([`Site`]), to ISC dhclient (option 12, option 81 asking the server to update, option 81 on
//! the client path) and busybox udhcpc (option 12 and an ASCII option 81, or any bytes with
//! `-x 0xNN:HEX`), or to a raw DORA client ([`doras`]). What ISC dhcpd does is the
//! specification: the records it leaves in the zones (read with `dig AXFR`, SOA and the zones'
//! own records left out, addresses named by client so that the servers may lease different
//! ones: [`Holders`]), the `set ddns-...` lines of its lease file and its DDNS log lines must
//! be charruad's too. Every process is started by the test and killed by pid.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::named::{self, Named, FORWARD};
use super::{eventually, read, Lab, Reap};

/// What every test here runs.
pub const TOOLS: &[&str] = &["named", "dig", "dhcpd", "dhclient", "udhcpc"];

/// How long after a client has its lease its records must be in DNS.
pub const REGISTERED_WITHIN: Duration = Duration::from_secs(1);

/// The configuration both servers serve: `style` of updates, the key of `algorithm`, leases
/// of `lease_time` seconds (a DNS TTL of half that), 198.18.0.100-150.
pub fn config(style: &str, algorithm: &str, lease_time: u32) -> String {
    format!(
        "ddns-update-style {style};\n{key}{zones}{names}",
        key = named::key_statement(algorithm),
        zones = named::dhcpd_zones(),
        names = names_and_leases(lease_time),
    )
}

/// What follows the DDNS setup in every lab configuration: names in [`FORWARD`] and
/// `in-addr.arpa.`, leases of `lease_time` seconds from 198.18.0.100-150.
pub fn names_and_leases(lease_time: u32) -> String {
    format!(
        "ddns-domainname \"{FORWARD}\";\n\
         ddns-rev-domainname \"in-addr.arpa.\";\n\
         authoritative;\n\
         ping-check false;\n\
         min-lease-time {lease_time};\n\
         default-lease-time {lease_time};\n\
         max-lease-time {lease_time};\n\
         subnet 198.18.0.0 netmask 255.255.255.0 {{\n  range 198.18.0.100 198.18.0.150;\n}}\n"
    )
}

/// What one server did in a differential run, addresses named by client.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The zones' records once every client was bound.
    pub added: Vec<String>,
    /// The `set ddns-...` lines of each client's lease then.
    pub bindings: Vec<String>,
    /// The zones' records once every client released.
    pub released: Vec<String>,
    /// The DDNS log lines.
    pub log: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Isc,
    Charruad,
}

/// A lab whose server namespace runs a fresh named and one DHCP server. Dropped in field
/// order: the DHCP server, named, then the lab (its namespaces).
pub struct Site {
    pub server: Server,
    pub dhcpd: Option<Reap>,
    pub named: Named,
    pub lab: Lab,
}

impl Site {
    /// `server` serving `config`, with named (key `algorithm`) answering before it starts.
    pub fn start(server: Server, config: &str, algorithm: &str) -> Self {
        Self::start_with(server, config, algorithm, &[])
    }

    /// [`Site::start`], charruad with `extra` arguments (`--metrics ADDR:PORT`...).
    pub fn start_with(server: Server, config: &str, algorithm: &str, extra: &[&str]) -> Self {
        let lab = Lab::new();
        let named = lab.start_named(algorithm);
        Self::serve(server, lab, named, config, extra)
    }

    /// [`Site::start`] for zones no `zone` statement names: named also takes unsigned
    /// updates from the server address, and `resolver` (named's address, so that the DHCP
    /// server finds the zones in DNS: docs/ddns.md section 1.3) is the server namespace's
    /// resolver.
    pub fn start_found(server: Server, config: &str, algorithm: &str, resolver: &str) -> Self {
        let mut lab = Lab::new();
        lab.server_resolver(resolver);
        let named = lab.start_named_unsigned(algorithm);
        Self::serve(server, lab, named, config, &[])
    }

    /// [`Site::start`] with named also on IPv6 address `address6`, and `local6` on the
    /// server namespace too (both `ADDR`, a /64 each), for updates sent over IPv6.
    pub fn start_v6(
        server: Server,
        config: &str,
        algorithm: &str,
        (address6, local6): (&str, &str),
    ) -> Self {
        let lab = Lab::new();
        lab.add_server_address(&format!("{address6}/64"));
        lab.add_server_address(&format!("{local6}/64"));
        let named = lab.start_named_v6(algorithm, address6);
        Self::serve(server, lab, named, config, &[])
    }

    /// `server` serving `config` in `lab`, beside `named`.
    fn serve(server: Server, mut lab: Lab, named: Named, config: &str, extra: &[&str]) -> Self {
        let dhcpd = match server {
            Server::Isc => {
                std::fs::write(lab.path("dhcpd.conf"), config).unwrap();
                std::fs::write(lab.path("leases"), "").unwrap();
                Some(lab.start_dhcpd())
            }
            Server::Charruad => {
                lab.start_with(config, extra);
                None
            }
        };
        Self {
            server,
            dhcpd,
            named,
            lab,
        }
    }

    /// The DHCP server's log.
    pub fn log(&self) -> String {
        match self.server {
            Server::Isc => read(&self.lab.path("dhcpd.log")),
            Server::Charruad => self.lab.log(),
        }
    }

    /// The DHCP server's DDNS log lines, each from its message on (whatever prefix the
    /// server writes before it).
    pub fn ddns_log(&self) -> Vec<String> {
        ddns_lines(&self.log())
    }

    /// Everything, for a failure message.
    pub fn logs(&self) -> String {
        format!(
            "--- {:?}'s log\n{}--- named.log\n{}--- zones\n{}\n--- leases\n{}",
            self.server,
            self.log(),
            self.named.log(),
            self.named.registered().join("\n"),
            read(&self.lab.path("leases"))
        )
    }

    /// A site of ISC dhcpd switches to charruad: dhcpd is stopped by its pid (SIGTERM, as an
    /// init script does), then charruad started on the same dhcpd.conf (`config`, which it
    /// rewrites unchanged) and the dhcpd.leases dhcpd wrote, as `isc_switch.rs` does; named
    /// keeps running.
    pub fn switch_to_charruad(&mut self, config: &str) {
        let dhcpd = self.dhcpd.take().expect("ISC dhcpd serves the site");
        self.lab.stop_dhcpd(dhcpd);
        assert_eq!(
            read(&self.lab.path("dhcpd.conf")),
            config,
            "the same dhcpd.conf"
        );
        self.server = Server::Charruad;
        self.lab.start(config);
    }

    /// Stops the DHCP server (charruad must exit cleanly).
    pub fn stop(mut self) {
        match self.dhcpd.take() {
            Some(dhcpd) => self.lab.stop_dhcpd(dhcpd),
            None => {
                let status = self.lab.stop();
                assert!(
                    status.success(),
                    "charruad exited {status}\n{}",
                    self.logs()
                );
            }
        }
    }
}

/// The phrases DDNS log lines (ISC's texts, docs/ddns.md section 5) start with.
pub const DDNS_PHRASES: &[&str] = &[
    "Added new forward map",
    "Added reverse map",
    "Removed forward map",
    "Removed reverse map",
    "Unable to add",
    "Unable to build name",
    "Forward map from",
    "Can't remove reverse map",
    "ddns_update:",
    "client provided fqdn",
    "label length exceeds",
    "DDNS: bad zone information",
    "DDNS: Failed to retry",
    "No tsec",
];

/// The DDNS lines of a log, each from its phrase on.
pub fn ddns_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| {
            DDNS_PHRASES
                .iter()
                .filter_map(|p| line.find(p))
                .min()
                .map(|at| line[at..].trim_end().to_string())
        })
        .collect()
}

/// The reverse name of a lab address.
pub fn reverse(address: Ipv4Addr) -> String {
    let [a, b, c, d] = address.octets();
    format!("{d}.{c}.{b}.{a}.in-addr.arpa.")
}

/// Which client holds which address in one run, to name the addresses in records and log
/// lines: `ADDR(label)` and `REV(label).` (the servers may lease different addresses).
#[derive(Default)]
pub struct Holders(pub BTreeMap<Ipv4Addr, String>);

impl Holders {
    pub fn add(&mut self, address: Ipv4Addr, label: &str) {
        self.0.insert(address, label.to_string());
    }

    /// `text` with every held address and reverse name replaced by its holder's label (only
    /// whole addresses: 198.18.0.10 is not part of 198.18.0.100).
    pub fn name(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (address, label) in &self.0 {
            let rev = reverse(*address);
            text = replace_whole(&text, &rev, &format!("REV({label})."));
            text = replace_whole(&text, &rev[..rev.len() - 1], &format!("REV({label})"));
            text = replace_whole(&text, &address.to_string(), &format!("ADDR({label})"));
        }
        text
    }

    /// Log lines named, in their order.
    pub fn names(&self, lines: &[String]) -> Vec<String> {
        lines.iter().map(|l| self.name(l)).collect()
    }

    /// Records named, sorted (by name: the servers' addresses may sort differently).
    pub fn records(&self, records: &[String]) -> Vec<String> {
        let mut named = self.names(records);
        named.sort();
        named
    }
}

/// `text` with each occurrence of `needle` that is not part of a longer number replaced.
pub fn replace_whole(text: &str, needle: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(needle) {
        let before = rest[..at].chars().next_back().or(out.chars().next_back());
        let after = rest[at + needle.len()..].chars().next();
        let digit_or_dot = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || c == '.');
        let whole = !digit_or_dot(before) && !after.is_some_and(|c| c.is_ascii_digit());
        out.push_str(&rest[..at]);
        out.push_str(if whole { with } else { needle });
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

/// The `set ddns-...` lines of the last block of each address in a dhcpd.leases, by address.
pub fn ddns_bindings(leases: &str) -> BTreeMap<Ipv4Addr, Vec<String>> {
    let mut all = BTreeMap::new();
    let mut current: Option<(Ipv4Addr, Vec<String>)> = None;
    for line in leases.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("lease ") {
            current = rest
                .split_whitespace()
                .next()
                .and_then(|a| a.parse().ok())
                .map(|a| (a, Vec::new()));
        } else if line == "}" {
            if let Some((address, mut sets)) = current.take() {
                sets.sort();
                all.insert(address, sets);
            }
        } else if line.starts_with("set ddns-") || line.starts_with("ddns-") {
            if let Some((_, sets)) = current.as_mut() {
                sets.push(line.to_string());
            }
        }
    }
    all
}

/// Whether `records` hold `OWNER TTL TYPE DATA` with this owner, type and (if given) data,
/// names compared without regard to case.
pub fn has(records: &[String], owner: &str, rtype: &str, data: Option<&str>) -> bool {
    records.iter().any(|r| {
        let f: Vec<&str> = r.splitn(4, ' ').collect();
        f.len() == 4
            && f[0].eq_ignore_ascii_case(owner)
            && f[2] == rtype
            && data.is_none_or(|d| f[3].eq_ignore_ascii_case(d))
    })
}

/// The guard record type of a style.
pub fn guard(style: &str) -> &'static str {
    if style == "standard" {
        "DHCID"
    } else {
        "TXT"
    }
}

/// Writes an executable script.
pub fn script(path: PathBuf, text: &str) -> PathBuf {
    std::fs::write(&path, text).unwrap();
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    path
}

/// ISC dhclient in a namespace of its own, with files of its own (`NAME.conf`, `.leases`,
/// `.pid`, and its hook's record `NAME.calls`); the hook configures the address it is given,
/// so that its release can be sent from it. Stopped by its pid file on drop.
pub struct Dhclient {
    ns: String,
    name: String,
    dir: PathBuf,
}

impl Dhclient {
    /// A dhclient with hardware address `mac` and dhclient.conf `conf` (its own statements;
    /// a timeout is added).
    pub fn new(lab: &mut Lab, name: &str, mac: &str, conf: &str) -> Self {
        let ns = lab.client(mac);
        let dir = lab.dir.path().to_path_buf();
        std::fs::write(
            dir.join(format!("{name}.conf")),
            format!("timeout 20;\n{conf}"),
        )
        .unwrap();
        let calls = dir.join(format!("{name}.calls"));
        script(
            dir.join(format!("{name}.sh")),
            &format!(
                "#!/bin/sh\necho \"$reason $new_ip_address\" >> {}\n\
                 case \"$reason\" in\n\
                 \x20 BOUND|REBOOT|RENEW) ip addr flush dev \"$interface\"; ip addr add \"$new_ip_address/24\" dev \"$interface\";;\n\
                 \x20 RELEASE|EXPIRE|STOP) ip addr flush dev \"$interface\";;\n\
                 esac\n",
                calls.display()
            ),
        );
        Self {
            ns,
            name: name.to_string(),
            dir,
        }
    }

    pub fn file(&self, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", self.name))
    }

    /// `dhclient -4 -v FLAG` with its files, bounded.
    pub fn run(&self, flag: &str) -> Output {
        Command::new("timeout")
            .args([
                "40", "ip", "netns", "exec", &self.ns, "dhclient", "-4", "-v", flag,
            ])
            .arg("-cf")
            .arg(self.file("conf"))
            .arg("-lf")
            .arg(self.file("leases"))
            .arg("-pf")
            .arg(self.file("pid"))
            .arg("-sf")
            .arg(self.file("sh"))
            .arg("eth0")
            .output()
            .unwrap()
    }

    /// Gets a lease (`-1`): its address.
    pub fn lease(&self, site: &Site) -> Ipv4Addr {
        let out = self.run("-1");
        let calls = read(&self.file("calls"));
        calls
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("BOUND "))
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "{:?}: dhclient {} got no lease: {}\n{calls}\n{}",
                    site.server,
                    self.name,
                    String::from_utf8_lossy(&out.stderr),
                    site.logs()
                )
            })
    }

    /// Releases its lease (`-r`, which also stops the running dhclient).
    pub fn release(&self) {
        let out = self.run("-r");
        assert!(
            out.status.success(),
            "dhclient -r: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Dhclient {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.file("pid")) {
            if let Ok(pid) = pid.trim().parse::<i32>() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
    }
}

/// busybox udhcpc kept running in the foreground (`-f`) in a namespace of its own, so that
/// it can release (SIGUSR2); its hook configures the address and records `bound ADDRESS`.
pub struct Udhcpc {
    child: Reap,
    calls: PathBuf,
    name: String,
}

impl Udhcpc {
    /// Starts it with hardware address `mac` and `args`; waits for its lease.
    pub fn lease(
        lab: &mut Lab,
        site: Server,
        name: &str,
        mac: &str,
        args: &[&str],
    ) -> (Self, Ipv4Addr) {
        let ns = lab.client(mac);
        let calls = lab.path(&format!("{name}.calls"));
        let hook = script(
            lab.path(&format!("{name}.sh")),
            &format!(
                "#!/bin/sh\necho \"$1 $ip\" >> {}\n\
                 case \"$1\" in\n\
                 \x20 bound|renew) ip addr flush dev \"$interface\"; ip addr add \"$ip/24\" dev \"$interface\";;\n\
                 \x20 deconfig) ip addr flush dev \"$interface\";;\n\
                 esac\n",
                calls.display()
            ),
        );
        let child = Command::new("ip")
            .args([
                "netns", "exec", &ns, "udhcpc", "-f", "-i", "eth0", "-t", "5", "-T", "2",
            ])
            .arg("-s")
            .arg(&hook)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let udhcpc = Self {
            child: Reap(child),
            calls,
            name: name.to_string(),
        };
        let bound = || {
            read(&udhcpc.calls)
                .lines()
                .find_map(|l| l.strip_prefix("bound "))
                .and_then(|a| a.trim().parse::<Ipv4Addr>().ok())
        };
        eventually(20, || bound().is_some());
        let address = bound().unwrap_or_else(|| {
            panic!(
                "{site:?}: udhcpc {} got no lease:\n{}",
                udhcpc.name,
                read(&udhcpc.calls)
            )
        });
        (udhcpc, address)
    }

    /// Releases its lease (SIGUSR2).
    pub fn release(&self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.0.id()).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGUSR2).unwrap();
    }
}

/// Runs busybox udhcpc once (`-n -q`: it quits with its lease, without releasing it) in
/// `ns` with `args`: the address it obtained.
pub fn udhcpc_once(site: &Site, ns: &str, args: &[&str]) -> Option<Ipv4Addr> {
    let mut all = vec!["-n", "-q", "-t", "4", "-T", "2", "-s", "/bin/true"];
    all.extend_from_slice(args);
    site.lab.udhcpc(ns, 30, &all).0
}

/// Polls `done` every 20 ms for up to `limit`: how long it took to come true, if it did.
pub fn within(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if done() {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One exchange of the raw client: the address, DISCOVER to OFFER and REQUEST to ACK.
#[derive(Debug, Clone, Copy)]
pub struct Dora {
    pub address: Ipv4Addr,
    pub offer: Duration,
    pub ack: Duration,
}

/// A DHCP message from `mac` of `kind` (1 DISCOVER, 3 REQUEST), broadcast flag set, with the
/// host name `name` and `extra` options.
pub fn message(xid: u32, mac: [u8; 6], kind: u8, name: &str, extra: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 240];
    m[..3].copy_from_slice(&[1, 1, 6]);
    m[4..8].copy_from_slice(&xid.to_be_bytes());
    m[10] = 0x80;
    m[28..34].copy_from_slice(&mac);
    m[236..240].copy_from_slice(&[99, 130, 83, 99]);
    m.extend_from_slice(&[53, 1, kind]);
    m.extend_from_slice(&[12, u8::try_from(name.len()).unwrap()]);
    m.extend_from_slice(name.as_bytes());
    m.extend_from_slice(extra);
    m.extend_from_slice(&[55, 3, 1, 3, 6, 255]);
    m
}

/// DISCOVER-OFFER-REQUEST-ACK for each `(mac, host name)`, one after the other, sent to the
/// server from port 68 in namespace `ns` (a thread enters it; its eth0 needs an address):
/// each exchange's outcome, `None` when a reply did not come within 3 s.
pub fn doras(ns: &str, clients: Vec<([u8; 6], String)>) -> Vec<Option<Dora>> {
    let ns = ns.to_string();
    std::thread::spawn(move || {
        let netns = std::fs::File::open(format!("/run/netns/{ns}")).unwrap();
        nix::sched::setns(netns, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        let socket = UdpSocket::bind(("0.0.0.0", 68)).unwrap();
        socket.set_broadcast(true).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let wait = |xid: u32, kind: charrua_wire::MessageType| {
            let deadline = Instant::now() + Duration::from_secs(3);
            let mut buf = [0u8; 1500];
            while Instant::now() < deadline {
                let Ok(n) = socket.recv(&mut buf) else {
                    continue;
                };
                if let Ok(m) = charrua_wire::Message::parse(&buf[..n]) {
                    if m.xid == xid && m.message_type() == Some(kind) {
                        return Some((m.yiaddr, m.options.server_identifier()));
                    }
                }
            }
            None
        };
        clients
            .iter()
            .enumerate()
            .map(|(i, (mac, name))| {
                let xid = 0x0dd5_0000 + u32::try_from(i).unwrap();
                let start = Instant::now();
                socket
                    .send_to(&message(xid, *mac, 1, name, &[]), "198.18.0.1:67")
                    .unwrap();
                let (offered, server) = wait(xid, charrua_wire::MessageType::OFFER)?;
                let offer = start.elapsed();
                let mut extra = vec![50, 4];
                extra.extend_from_slice(&offered.octets());
                extra.extend_from_slice(&[54, 4]);
                extra.extend_from_slice(&server.unwrap_or(Ipv4Addr::new(198, 18, 0, 1)).octets());
                let start = Instant::now();
                socket
                    .send_to(&message(xid, *mac, 3, name, &extra), "198.18.0.1:67")
                    .unwrap();
                let (address, _) = wait(xid, charrua_wire::MessageType::ACK)?;
                Some(Dora {
                    address,
                    offer,
                    ack: start.elapsed(),
                })
            })
            .collect()
    })
    .join()
    .unwrap()
}

/// Median and maximum of the DORAs' latencies, for the report.
pub fn latencies(doras: &[Dora]) -> String {
    let stat = |mut v: Vec<Duration>| {
        v.sort();
        format!(
            "median {:?} max {:?}",
            v.get(v.len() / 2).copied().unwrap_or_default(),
            v.last().copied().unwrap_or_default()
        )
    };
    format!(
        "DISCOVER-OFFER {}, REQUEST-ACK {}",
        stat(doras.iter().map(|d| d.offer).collect()),
        stat(doras.iter().map(|d| d.ack).collect())
    )
}
