//! The DHCP clients a lab runs: busybox udhcpc, ISC dhclient, and raw datagrams from a
//! namespace.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{read, Lab};

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

impl Lab {
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
}
