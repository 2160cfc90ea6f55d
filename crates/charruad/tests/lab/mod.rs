//! A lab of network namespaces for tests with real clients: a server namespace with a bridge at
//! 198.18.0.1/24 running charruad, and client namespaces, each with a veth on the bridge. Every
//! name is unique to the test; everything is removed, and charruad killed by pid, on drop.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static NEXT: AtomicU32 = AtomicU32::new(0);

fn run(args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether a test that needs namespaces and `tools` must be skipped: it says why.
pub fn skip(tools: &[&str]) -> bool {
    if !can_run() {
        return true;
    }
    if let Some(missing) = tools.iter().find(|t| !have(t)) {
        eprintln!("skipped: {missing} is not installed");
        return true;
    }
    false
}

/// Whether this test can make namespaces; under CI it must.
pub fn can_run() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if !root {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must run the network tests"
        );
        eprintln!("SKIP: network namespace tests need root");
    }
    root
}

/// Whether `tool` is installed; under CI it must be.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must install {tool}");
        eprintln!("SKIP: {tool} is not installed");
    }
    found
}

/// Sends `datagrams` to `to` from the client port (the server port plus one: 68 for 67) inside
/// namespace `ns` (a thread enters it), and waits up to 5 s for one reply when `reply` is set
/// (`None` if none came).
pub fn udp_from(
    ns: &str,
    datagrams: Vec<Vec<u8>>,
    to: &str,
    reply: bool,
) -> Option<(Vec<u8>, std::net::SocketAddr)> {
    let (ns, to) = (ns.to_string(), to.to_string());
    std::thread::spawn(move || {
        let netns = std::fs::File::open(format!("/run/netns/{ns}")).unwrap();
        nix::sched::setns(netns, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        let server_port: u16 = to.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap();
        let socket = std::net::UdpSocket::bind(("0.0.0.0", server_port + 1)).unwrap();
        socket.set_broadcast(true).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        for datagram in &datagrams {
            socket.send_to(datagram, &to).unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        reply.then(|| {
            let mut buf = [0u8; 1500];
            let (n, from) = socket.recv_from(&mut buf).ok()?;
            Some((buf[..n].to_vec(), from))
        })?
    })
    .join()
    .unwrap()
}

pub struct Lab {
    pub tag: String,
    pub server: String,
    pub dir: tempfile::TempDir,
    pub clients: Vec<String>,
    charruad: Option<Child>,
    capture: Option<Child>,
}

impl Lab {
    /// A server namespace with a bridge; charruad is not started yet.
    pub fn new() -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tag = format!("ct{}x{n}", std::process::id() % 100_000);
        let server = format!("{tag}s");
        run(&["ip", "netns", "add", &server]);
        let lab = Self {
            tag,
            server,
            dir: tempfile::tempdir().unwrap(),
            clients: Vec::new(),
            charruad: None,
            capture: None,
        };
        run(&[
            "ip",
            "-n",
            &lab.server,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
        ]);
        run(&[
            "ip",
            "-n",
            &lab.server,
            "addr",
            "add",
            "198.18.0.1/24",
            "dev",
            "br0",
        ]);
        run(&["ip", "-n", &lab.server, "link", "set", "br0", "up"]);
        run(&["ip", "-n", &lab.server, "link", "set", "lo", "up"]);
        lab
    }

    /// A client namespace whose interface `eth0` has hardware address `mac`.
    pub fn client(&mut self, mac: &str) -> String {
        let i = self.clients.len();
        let ns = format!("{}c{i}", self.tag);
        let (a, b) = (format!("{}a{i}", self.tag), format!("{}b{i}", self.tag));
        run(&["ip", "netns", "add", &ns]);
        run(&["ip", "link", "add", &a, "type", "veth", "peer", "name", &b]);
        run(&["ip", "link", "set", &a, "netns", &self.server]);
        run(&["ip", "link", "set", &b, "netns", &ns]);
        run(&["ip", "-n", &self.server, "link", "set", &a, "master", "br0"]);
        run(&["ip", "-n", &self.server, "link", "set", &a, "up"]);
        run(&["ip", "-n", &ns, "link", "set", &b, "name", "eth0"]);
        run(&["ip", "-n", &ns, "link", "set", "eth0", "address", mac]);
        run(&["ip", "-n", &ns, "link", "set", "eth0", "up"]);
        run(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
        self.clients.push(ns.clone());
        ns
    }

    /// A client namespace whose `eth0` also has 198.18.0.2/24: a relay agent's, for
    /// `charrua perf --relay 198.18.0.2`.
    pub fn relay_client(&mut self, mac: &str) -> String {
        let ns = self.client(mac);
        self.exec(
            &ns,
            5,
            &["ip", "addr", "add", "198.18.0.2/24", "dev", "eth0"],
        );
        ns
    }

    /// A relay agent between the server's link and a client link of its own: namespace `relay`
    /// (198.18.0.2 on the bridge, 198.19.0.1 on `dn0`, forwarding) runs ISC dhcrelay adding
    /// option 82 (its circuit id is `dn0`); namespace `client` has `eth0` on `dn0`'s link; the
    /// server routes 198.19.0.0/24 through the relay. Returns the relay's namespace, the
    /// client's, and dhcrelay (logging to `dhcrelay.log`), stopped on drop. `before_relay`
    /// runs in the relay's namespace before dhcrelay starts (a capture, say).
    pub fn behind_dhcrelay(&mut self, before_relay: impl FnOnce(&str)) -> (String, String, Reap) {
        let relay = self.client("02:00:00:00:0f:01");
        let client = self.namespace("cl");
        self.link(&relay, "dn0", &client, "eth0");
        for args in [
            ["addr", "add", "198.18.0.2/24", "dev", "eth0"],
            ["addr", "add", "198.19.0.1/24", "dev", "dn0"],
        ] {
            let mut all = vec!["ip", "-n", relay.as_str()];
            all.extend_from_slice(&args);
            run(&all);
        }
        run(&[
            "ip",
            "netns",
            "exec",
            &relay,
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
        ]);
        self.in_server(&["ip", "route", "add", "198.19.0.0/24", "via", "198.18.0.2"]);
        before_relay(&relay);
        let dhcrelay = Reap(
            Command::new("ip")
                .args(["netns", "exec", &relay, "dhcrelay", "-d", "-q", "-4", "-a"])
                .args(["-id", "dn0", "-iu", "eth0", "198.18.0.1"])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(self.path("dhcrelay.log")).unwrap())
                .spawn()
                .unwrap(),
        );
        std::thread::sleep(Duration::from_millis(500));
        (relay, client, dhcrelay)
    }

    /// An empty namespace, removed on drop.
    pub fn namespace(&mut self, name: &str) -> String {
        let ns = format!("{}{name}", self.tag);
        run(&["ip", "netns", "add", &ns]);
        run(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
        self.clients.push(ns.clone());
        ns
    }

    /// A veth pair between namespaces `a` and `b`, named `name_a` and `name_b` there, both up.
    pub fn link(&self, a: &str, name_a: &str, b: &str, name_b: &str) {
        let (x, y) = (
            format!("{}x{name_a}", self.tag),
            format!("{}y{name_b}", self.tag),
        );
        run(&["ip", "link", "add", &x, "type", "veth", "peer", "name", &y]);
        run(&["ip", "link", "set", &x, "netns", a]);
        run(&["ip", "link", "set", &y, "netns", b]);
        run(&["ip", "-n", a, "link", "set", &x, "name", name_a]);
        run(&["ip", "-n", b, "link", "set", &y, "name", name_b]);
        run(&["ip", "-n", a, "link", "set", "dev", name_a, "up"]);
        run(&["ip", "-n", b, "link", "set", "dev", name_b, "up"]);
    }

    /// Runs `args` in the server namespace.
    pub fn in_server(&self, args: &[&str]) {
        let mut all = vec!["ip", "netns", "exec", self.server.as_str()];
        all.extend_from_slice(args);
        run(&all);
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts tshark on the bridge, writing `capture.pcap`.
    pub fn capture(&mut self) {
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.server,
                "dumpcap",
                "-q",
                "-i",
                "br0",
                "-f",
                "udp port 67 or udp port 68",
                "-w",
            ])
            .arg(self.path("capture.pcapng"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.capture = Some(child);
        for _ in 0..50 {
            if std::fs::metadata(self.path("capture.pcapng")).is_ok_and(|m| m.len() > 0) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the capture and returns its file.
    pub fn stop_capture(&mut self) -> PathBuf {
        std::thread::sleep(Duration::from_millis(300));
        if let Some(mut c) = self.capture.take() {
            // SIGINT lets dumpcap write out what it buffered; SIGKILL only if it hangs.
            if let Ok(pid) = i32::try_from(c.id()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGINT,
                );
            }
            for _ in 0..50 {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        self.path("capture.pcapng")
    }

    /// Starts `server` (a program and its first arguments) in the server namespace on br0,
    /// with the lab's dhcpd.conf and leases and the pid file `pid`, as ISC dhcpd's command line
    /// names them (charruad takes the same), its standard error to `log`.
    fn serve(&self, server: &[&str], pid: &str, extra: &[&str], log: std::fs::File) -> Child {
        Command::new("ip")
            .args(["netns", "exec", &self.server])
            .args(server)
            .arg("-cf")
            .arg(self.path("dhcpd.conf"))
            .arg("-lf")
            .arg(self.path("leases"))
            .arg("-pf")
            .arg(self.path(pid))
            .args(extra)
            .arg("br0")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    }

    /// Starts charruad on `config` (text) with its lease file (`leases`) in the lab directory.
    pub fn start(&mut self, config: &str) {
        self.start_with(config, &[]);
    }

    /// The pid of charruad itself (`ip netns exec` runs it in place).
    pub fn pid(&self) -> Option<u32> {
        self.charruad.as_ref().map(Child::id)
    }

    /// Starts charruad with extra arguments.
    pub fn start_with(&mut self, config: &str, extra: &[&str]) {
        std::fs::write(self.path("dhcpd.conf"), config).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("charruad.log"))
            .unwrap();
        let already = self.log().matches("serving").count();
        let child = self.serve(
            &[env!("CARGO_BIN_EXE_charruad"), "-q", "-d"],
            "pid",
            extra,
            log,
        );
        self.charruad = Some(child);
        for _ in 0..100 {
            if self.log().matches("serving").count() > already {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("charruad did not start:\n{}", self.log());
    }

    /// ISC dhclient in `ns`, with a hook that logs every call (reason and environment) to
    /// `dhclient.env` and configures the address it is given on eth0 (so that a RELEASE can be
    /// unicast from it), its lease and pid files in the lab directory.
    pub fn dhclient(&self, ns: &str) -> Dhclient {
        let env = self.path("dhclient.env");
        let hook = self.path("dhclient.sh");
        std::fs::write(
            &hook,
            format!(
                "#!/bin/sh\n{{ echo \"== $reason\"; env; }} >> {}\ncase \"$reason\" in\n  BOUND|REBOOT|RENEW) ip addr flush dev \"$interface\"; ip addr add \"$new_ip_address/24\" dev \"$interface\";;\n  RELEASE|EXPIRE) ip addr flush dev \"$interface\";;\nesac\n",
                env.display()
            ),
        )
        .unwrap();
        Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
        Dhclient {
            ns: ns.to_string(),
            env,
            hook,
            lease_file: self.path("dhclient.leases"),
            pid_file: self.path("dhclient.pid"),
        }
    }

    /// ISC dhcpd's log, charruad's and the lease file, for a failure message.
    pub fn logs(&self) -> String {
        format!(
            "--- dhcpd.log\n{}--- charruad.log\n{}--- leases\n{}",
            read(&self.path("dhcpd.log")),
            self.log(),
            read(&self.path("leases"))
        )
    }

    /// Starts ISC dhcpd on br0 in the server namespace, on the lab's dhcpd.conf and leases,
    /// and waits until it serves; it complains about nothing in the lease file it read.
    pub fn start_dhcpd(&self) -> Reap {
        let before = read(&self.path("dhcpd.log")).len();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("dhcpd.log"))
            .unwrap();
        let dhcpd = Reap(self.serve(&["dhcpd", "-4", "-f", "-d"], "dhcpd.pid", &[], log));
        let since = |lab: &Self| {
            let all = read(&lab.path("dhcpd.log"));
            all.get(before..).unwrap_or_default().to_string()
        };
        let started = eventually(15, || since(self).contains("Server starting service."));
        assert!(started, "dhcpd did not start\n{}", self.logs());
        let said = since(self);
        assert!(
            !said.contains("Corrupt") && !said.contains("leases line "),
            "dhcpd complained about the lease file:\n{said}"
        );
        dhcpd
    }

    /// Runs ISC dhcpd on `config` with an empty lease file for as long as `play` takes (see
    /// [`Lab::start_dhcpd`]), and returns what `play` did.
    pub fn with_dhcpd<T>(&mut self, config: &str, play: impl FnOnce(&mut Self) -> T) -> T {
        std::fs::write(self.path("dhcpd.conf"), config).unwrap();
        std::fs::write(self.path("leases"), "").unwrap();
        let dhcpd = self.start_dhcpd();
        let done = play(self);
        self.stop_dhcpd(dhcpd);
        done
    }

    /// Stops dhcpd with SIGTERM, as an init script does, and waits for it.
    pub fn stop_dhcpd(&self, mut dhcpd: Reap) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(dhcpd.0.id()).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let stopped = eventually(10, || matches!(dhcpd.0.try_wait(), Ok(Some(_))));
        assert!(stopped, "dhcpd ignored SIGTERM\n{}", self.logs());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("charruad.log")).unwrap_or_default()
    }

    /// Sends `signal` to charruad.
    pub fn signal(&self, signal: &str) {
        if let Some(c) = &self.charruad {
            run(&["kill", "-s", signal, &c.id().to_string()]);
        }
    }

    /// Kills charruad with SIGKILL, as a crash would.
    pub fn crash(&mut self) {
        if let Some(mut child) = self.charruad.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops charruad with SIGTERM and waits for it.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        let mut child = self.charruad.take().unwrap();
        for _ in 0..100 {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait().unwrap()
    }

    /// Runs `args` in namespace `ns`, bounded by `timeout` seconds.
    pub fn exec(&self, ns: &str, timeout: u32, args: &[&str]) -> Output {
        Command::new("timeout")
            .arg(timeout.to_string())
            .args(["ip", "netns", "exec", ns])
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs busybox udhcpc once in `ns` (`-n -q`, hook `script`): the address it obtained, if
    /// any, and what it printed.
    pub fn udhcpc_once(&self, ns: &str, script: &str) -> (Option<std::net::Ipv4Addr>, String) {
        self.udhcpc_with(ns, script, &[])
    }

    /// [`Lab::udhcpc_once`] with `extra` arguments (`-r ADDRESS`, `-a`...): the last address it
    /// obtained, if any, and what it printed on both outputs.
    pub fn udhcpc_with(
        &self,
        ns: &str,
        script: &str,
        extra: &[&str],
    ) -> (Option<std::net::Ipv4Addr>, String) {
        let mut args = vec!["-n", "-q", "-t", "6", "-T", "2", "-s", script];
        args.extend_from_slice(extra);
        self.udhcpc(ns, 60, &args)
    }

    /// Runs busybox udhcpc on `eth0` in `ns` with `args`, for at most `timeout` seconds: the
    /// last address it obtained, if any, and what it printed on both outputs.
    pub fn udhcpc(
        &self,
        ns: &str,
        timeout: u32,
        args: &[&str],
    ) -> (Option<std::net::Ipv4Addr>, String) {
        let mut all = vec!["udhcpc", "-i", "eth0"];
        all.extend_from_slice(args);
        let out = self.exec(ns, timeout, &all);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let ip = said
            .rfind("lease of ")
            .and_then(|at| said.get(at + "lease of ".len()..))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|a| a.parse().ok());
        (ip, said)
    }

    /// Writes a client hook script that appends its arguments and environment to `file`.
    pub fn hook(&self, name: &str, file: &Path) -> PathBuf {
        let path = self.path(name);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\n{{ echo \"== $*\"; env; }} >> {}\n",
                file.display()
            ),
        )
        .unwrap();
        Command::new("chmod").arg("+x").arg(&path).status().unwrap();
        path
    }

    /// The leases in the store, as `charrua leases list` would print them.
    pub fn leases(&self) -> Vec<charrua_server::Lease> {
        let mut map = std::collections::BTreeMap::new();
        charrua_store::read_store(
            &self.path("leases"),
            charrua_store::LeaseFormat::Auto,
            &mut |c| match c {
                charrua_server::LeaseChange::Set(l) => {
                    map.insert(l.address, l);
                }
                charrua_server::LeaseChange::Remove(a) => {
                    map.remove(&a);
                }
            },
        )
        .unwrap();
        map.into_values().collect()
    }
}

/// ISC dhclient in a namespace (see [`Lab::dhclient`]); stopped by its pid file on drop.
pub struct Dhclient {
    ns: String,
    /// What its hook logged.
    pub env: PathBuf,
    hook: PathBuf,
    lease_file: PathBuf,
    pid_file: PathBuf,
}

impl Dhclient {
    /// Runs `dhclient EXTRA... eth0` (`-1` to get a lease, `-r` to release it, `-x` to stop),
    /// which must succeed within 40 s.
    pub fn run(&self, extra: &[&str]) {
        let out = Command::new("timeout")
            .args(["40", "ip", "netns", "exec", &self.ns, "dhclient"])
            .args(extra)
            .arg("-sf")
            .arg(&self.hook)
            .arg("-lf")
            .arg(&self.lease_file)
            .arg("-pf")
            .arg(&self.pid_file)
            .arg("eth0")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "dhclient {extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// What its hook logged so far.
    pub fn said(&self) -> String {
        read(&self.env)
    }
}

impl Drop for Dhclient {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.pid_file) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut c) = self.charruad.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(mut c) = self.capture.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in self.clients.iter().chain(std::iter::once(&self.server)) {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// A binary of the workspace built beside charruad (`cargo test --workspace` builds them all):
/// `None`, after saying so, when it is not there outside CI.
pub fn sibling_binary(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_charruad")).with_file_name(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: run cargo test --workspace",
        path.display()
    );
    eprintln!(
        "SKIP: {} is not built (cargo test --workspace builds it)",
        path.display()
    );
    None
}

/// Polls `done` every 100 ms for up to `seconds`: whether it came true.
pub fn eventually(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if done() {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A file's text, empty when it cannot be read (a log not written yet).
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Kills a process a test started, by pid, however the test ends.
pub struct Reap(pub Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The frames of `capture` that tshark finds malformed or flags with an expert error: their
/// numbers and messages, empty when all is well.
pub fn tshark_problems(capture: &Path) -> String {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(capture)
        .args([
            "-Y",
            "_ws.malformed || _ws.expert.severity == error",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.expert.message",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `charrua perf --json ARGS` in namespace `ns`; its report, which must say it succeeded.
pub fn perf(lab: &Lab, ns: &str, charrua: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec![charrua.to_str().unwrap(), "perf", "--json"];
    all.extend_from_slice(args);
    let out = lab.exec(ns, 60, &all);
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{json}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}
