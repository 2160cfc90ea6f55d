//! A lab of network namespaces for tests with real clients: a server namespace with a bridge at
//! 198.18.0.1/24 running charruad, and client namespaces, each with a veth on the bridge. Every
//! name is unique to the test; everything is removed, and charruad killed by pid, on drop.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

mod clients;
pub mod ddns;
pub mod named;
mod peers;
mod replicas;

// Each test file takes what it uses of the lab.
#[allow(unused_imports)]
pub use clients::udp_from;

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

pub struct Lab {
    pub tag: String,
    pub server: String,
    pub dir: tempfile::TempDir,
    pub clients: Vec<String>,
    charruad: Option<Child>,
    capture: Option<Child>,
    /// The server namespace's `/etc/netns/NAME` directory, when [`Lab::server_resolver`]
    /// made it (removed on drop).
    etc: Option<PathBuf>,
}

impl Lab {
    /// Makes `nameserver` the resolver of what runs in the server namespace from now on:
    /// `ip netns exec` puts `/etc/netns/NAME/resolv.conf` over `/etc/resolv.conf`.
    pub fn server_resolver(&mut self, nameserver: &str) {
        let etc = PathBuf::from("/etc/netns").join(&self.server);
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            etc.join("resolv.conf"),
            format!("nameserver {nameserver}\n"),
        )
        .unwrap();
        self.etc = Some(etc);
    }

    /// Adds `address` (`ADDR/LEN`, IPv6 without duplicate address detection) to the server
    /// namespace's bridge.
    pub fn add_server_address(&self, address: &str) {
        let mut args = vec![
            "ip",
            "-n",
            &self.server,
            "addr",
            "add",
            address,
            "dev",
            "br0",
        ];
        if address.contains(':') {
            args.push("nodad");
        }
        run(&args);
    }

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
            etc: None,
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

    /// ISC dhcpd's log, charruad's and the lease file, for a failure message.
    pub fn logs(&self) -> String {
        format!(
            "--- dhcpd.log\n{}--- charruad.log\n{}--- leases\n{}",
            read(&self.path("dhcpd.log")),
            self.log(),
            read(&self.path("leases"))
        )
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

    /// The leases in the store, as `charrua leases list` would print them.
    pub fn leases(&self) -> Vec<charrua_server::Lease> {
        leases_in(&self.path("leases"))
    }
}

/// The leases in the store at `location` (a file or a database's connection string).
pub fn leases_in(location: &Path) -> Vec<charrua_server::Lease> {
    let mut map = std::collections::BTreeMap::new();
    charrua_store::read_store(
        location,
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
        if let Some(etc) = self.etc.take() {
            let _ = std::fs::remove_dir_all(etc);
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

/// The lab's standard relayed load: `charrua perf` as a relay agent at 198.18.0.2, 2000 DORA
/// exchanges of 500 clients in 2 s, each renewed and released; its report.
pub fn relay_load(lab: &Lab, ns: &str, charrua: &Path) -> serde_json::Value {
    perf(
        lab,
        ns,
        charrua,
        &[
            "--relay",
            "198.18.0.2",
            "--rate",
            "1000",
            "--duration",
            "2",
            "--clients",
            "500",
            "--renew",
            "--release",
            "198.18.0.1",
        ],
    )
}
