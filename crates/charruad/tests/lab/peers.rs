//! The ISC peers a lab runs beside charruad: dhcpd as the judge, dhcrelay as a relay agent.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::{eventually, read, run, Lab, Reap};

impl Lab {
    /// A relay agent between the server's link and a client link of its own: namespace `relay`
    /// (198.18.0.2 on the bridge, 198.19.0.1 on `dn0`, forwarding) runs ISC dhcrelay adding
    /// option 82 (its circuit id is `dn0`); namespace `client` has `eth0` on `dn0`'s link; the
    /// server routes 198.19.0.0/24 through the relay. Returns the relay's namespace, the
    /// client's, and dhcrelay (logging to `dhcrelay.log`), stopped on drop. `before_relay`
    /// runs in the relay's namespace before dhcrelay starts (a capture, say).
    pub fn behind_dhcrelay(&mut self, before_relay: impl FnOnce(&str)) -> (String, String, Reap) {
        self.behind_dhcrelay_to(&["198.18.0.1"], before_relay)
    }

    /// [`Lab::behind_dhcrelay`] relaying to every one of `servers` (each routing 198.19.0.0/24
    /// through the relay itself).
    pub fn behind_dhcrelay_to(
        &mut self,
        servers: &[&str],
        before_relay: impl FnOnce(&str),
    ) -> (String, String, Reap) {
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
                .args(["-id", "dn0", "-iu", "eth0"])
                .args(servers)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(self.path("dhcrelay.log")).unwrap())
                .spawn()
                .unwrap(),
        );
        std::thread::sleep(Duration::from_millis(500));
        (relay, client, dhcrelay)
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
}
