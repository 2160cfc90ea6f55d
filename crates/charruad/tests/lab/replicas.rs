//! Several charruad sharing one lease database, each in a namespace of its own on the lab's
//! bridge (198.18.0.11, .12, ...), each routing the relay's link (198.19.0.0/24) through the
//! relay at 198.18.0.2.

use super::{read, run, Lab};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// One charruad of a group sharing a database; killed by pid on drop.
pub struct Replica {
    /// Its namespace.
    pub ns: String,
    /// Its name in the database (`--server-name`).
    pub name: String,
    /// Its address on the bridge.
    pub address: String,
    config: PathBuf,
    store: String,
    log: PathBuf,
    child: Option<Child>,
}

impl Lab {
    /// Replica `i` (from 1) in a new namespace, serving `config` (text) from the database at
    /// `store`, started.
    pub fn replica(&mut self, i: u8, config: &str, store: &str) -> Replica {
        let ns = self.client(&format!("02:00:00:00:0e:{i:02x}"));
        let address = format!("198.18.0.{}", 10 + i);
        run(&[
            "ip",
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{address}/24"),
            "dev",
            "eth0",
        ]);
        run(&[
            "ip",
            "-n",
            &ns,
            "route",
            "add",
            "198.19.0.0/24",
            "via",
            "198.18.0.2",
        ]);
        let config_path = self.path(&format!("replica{i}.conf"));
        std::fs::write(&config_path, config).unwrap();
        let mut replica = Replica {
            ns,
            name: format!("s{i}"),
            address,
            config: config_path,
            store: store.to_string(),
            log: self.path(&format!("replica{i}.log")),
            child: None,
        };
        replica.start();
        replica
    }
}

impl Replica {
    /// Starts charruad and waits until it serves.
    pub fn start(&mut self) {
        let already = self.log().matches("serving").count();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let pid = self.log.with_extension("pid");
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns,
                env!("CARGO_BIN_EXE_charruad"),
                "-q",
                "-d",
            ])
            .arg("-cf")
            .arg(&self.config)
            .arg("-pf")
            .arg(&pid)
            .args(["--store", &self.store, "--server-name", &self.name, "eth0"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let started = super::eventually(15, || self.log().matches("serving").count() > already);
        assert!(started, "{} did not start:\n{}", self.name, self.log());
    }

    /// Kills it with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// What it logged.
    pub fn log(&self) -> String {
        read(&self.log)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}
