//! BIND 9's `named` in a lab's server namespace, the DNS server dynamic DNS updates go to: it
//! listens on the lab's server address (198.18.0.1) port 53, as ISC's `zone` statement (which
//! has no port) needs, serves a forward zone ([`FORWARD`]) and the lab subnet's reverse zone
//! ([`REVERSE`]), both updatable with the TSIG key [`KEY`], and allows zone transfers, so a
//! test reads what was registered with `dig AXFR`. Every [`Lab::start_named`] starts from
//! pristine zone files in a directory of its own; `named` runs in the foreground (`-g`, its
//! log on standard error, written to `named.log` there) and is killed by pid when dropped.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use super::{eventually, read, Lab, Reap};

/// The forward zone clients are registered in.
pub const FORWARD: &str = "lab.example.";
/// The reverse zone of the lab's subnet, 198.18.0.0/24.
pub const REVERSE: &str = "0.18.198.in-addr.arpa.";
/// The name of the TSIG key updates are signed with.
pub const KEY: &str = "ddns-key";
/// Its secret (32 bytes, base64).
const SECRET: &str = "KzbZkCRJ/BWIPatsuFW1Zb8G54qFYcCa+P+rTeutjCw=";
/// The server address named listens on (the lab's).
pub const ADDRESS: &str = "198.18.0.1";

/// The records every zone starts with (the SOA's serial counts updates: never compared).
const SOA: &str = "$TTL 3600\n\
@ IN SOA ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 60\n\
@ IN NS ns.lab.example.\n";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The key statement, in the syntax both named.conf and dhcpd.conf read (`tsig-keygen`'s):
/// `algorithm` is `hmac-md5`, `hmac-sha256`...
pub fn key_statement(algorithm: &str) -> String {
    format!("key \"{KEY}\" {{\n  algorithm {algorithm};\n  secret \"{SECRET}\";\n}};\n")
}

/// dhcpd.conf's `zone` statements sending both zones' updates to named, signed with the key.
pub fn dhcpd_zones() -> String {
    format!(
        "zone {FORWARD} {{ primary {ADDRESS}; key {KEY}; }}\n\
         zone {REVERSE} {{ primary {ADDRESS}; key {KEY}; }}\n"
    )
}

/// A running named (see the module's documentation).
pub struct Named {
    server: String,
    /// The key's algorithm, for [`Named::nsupdate`].
    algorithm: String,
    /// Its directory: named.conf, the zones and their journals, named.log.
    pub dir: PathBuf,
    child: Option<Reap>,
}

impl Lab {
    /// Starts named in the server namespace with fresh copies of the zones and a TSIG key of
    /// `algorithm`, and waits until it answers (an SOA query) before returning.
    pub fn start_named(&self, algorithm: &str) -> Named {
        self.named(algorithm, &format!("key \"{KEY}\";"), "none;")
    }

    /// [`Lab::start_named`], also listening on IPv6 address `address6` (which the caller put
    /// on the server namespace).
    pub fn start_named_v6(&self, algorithm: &str, address6: &str) -> Named {
        self.named(
            algorithm,
            &format!("key \"{KEY}\";"),
            &format!("{address6};"),
        )
    }

    /// [`Lab::start_named`], its zones also taking unsigned updates from the server address
    /// (as sites that allow their DHCP server by address do).
    pub fn start_named_unsigned(&self, algorithm: &str) -> Named {
        self.named(algorithm, &format!("key \"{KEY}\"; {ADDRESS};"), "none;")
    }

    /// named with zones whose `allow-update` list is `allow`, listening on IPv6 addresses
    /// `listen6` (an address match list's elements).
    fn named(&self, algorithm: &str, allow: &str, listen6: &str) -> Named {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = self.path(&format!("named{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("db.forward"), format!("{SOA}ns IN A {ADDRESS}\n")).unwrap();
        std::fs::write(dir.join("db.reverse"), SOA).unwrap();
        let d = dir.display();
        let key = key_statement(algorithm);
        std::fs::write(
            dir.join("named.conf"),
            format!(
                r#"options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  session-keyfile "{d}/session.key";
  managed-keys-directory "{d}";
  listen-on port 53 {{ {ADDRESS}; }};
  listen-on-v6 {{ {listen6} }};
  recursion no;
  notify no;
  dnssec-validation no;
  allow-transfer {{ any; }};
}};
controls {{ }};
{key}
zone "{FORWARD}" {{ type primary; file "db.forward"; allow-update {{ {allow} }}; }};
zone "{REVERSE}" {{ type primary; file "db.reverse"; allow-update {{ {allow} }}; }};
"#
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("named.log")).unwrap();
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.server,
                "named",
                "-g",
                "-n",
                "1",
                "-c",
            ])
            .arg(dir.join("named.conf"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let named = Named {
            server: self.server.clone(),
            algorithm: algorithm.to_string(),
            dir,
            child: Some(Reap(child)),
        };
        let up = eventually(15, || !named.dig(FORWARD, "SOA").is_empty());
        assert!(up, "named did not start:\n{}", named.log());
        named
    }
}

impl Named {
    /// Its log so far.
    pub fn log(&self) -> String {
        read(&self.dir.join("named.log"))
    }

    /// Runs dig in the server namespace against named (one try, one second): the answer
    /// section, one record a line, as dig prints it.
    fn query(&self, args: &[&str]) -> String {
        let out = Command::new("timeout")
            .args(["5", "ip", "netns", "exec", &self.server, "dig"])
            .arg(format!("@{ADDRESS}"))
            .args(["+time=1", "+tries=1", "+noall", "+answer"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends `commands` (nsupdate's `update add ...` and `update delete ...` lines) to the
    /// forward zone as one update signed with the key, as another server (a DHCPv6 server
    /// of a dual-stack site, an administrator) would; panics unless named applies it.
    pub fn nsupdate(&self, commands: &str) {
        use std::io::Write;
        let key = format!("{}:{KEY}:{SECRET}", self.algorithm);
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.server, "nsupdate", "-y", &key])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let script = format!("server {ADDRESS}\nzone {FORWARD}\n{commands}\nsend\n");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "nsupdate failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `dig +short NAME TYPE`: the data of each answer.
    pub fn dig(&self, name: &str, rtype: &str) -> Vec<String> {
        self.query(&["+short", name, rtype])
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with(';'))
            .map(str::to_string)
            .collect()
    }

    /// The records of `zone` (a zone transfer) but its SOA (whose serial counts updates),
    /// each as `OWNER TTL TYPE DATA` with single spaces, sorted; empty when named does not
    /// answer.
    pub fn zone(&self, zone: &str) -> Vec<String> {
        let mut records: Vec<String> = self
            .query(&[zone, "AXFR"])
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with(';'))
            .filter_map(|l| {
                let fields: Vec<&str> = l.split_whitespace().collect();
                // OWNER TTL CLASS TYPE DATA...
                match fields.as_slice() {
                    [owner, ttl, _class, rtype, data @ ..] if *rtype != "SOA" => {
                        Some(format!("{owner} {ttl} {rtype} {}", data.join(" ")))
                    }
                    _ => None,
                }
            })
            .collect();
        records.sort();
        records.dedup();
        records
    }

    /// What DHCP servers registered: the records of both zones but those they start with
    /// (SOA, NS and the name server's address), sorted.
    pub fn registered(&self) -> Vec<String> {
        let pristine = [
            format!("{FORWARD} 3600 NS ns.{FORWARD}"),
            format!("{REVERSE} 3600 NS ns.{FORWARD}"),
            format!("ns.{FORWARD} 3600 A {ADDRESS}"),
        ];
        let mut all: Vec<String> = [FORWARD, REVERSE]
            .iter()
            .flat_map(|z| self.zone(z))
            .filter(|r| !pristine.contains(r))
            .collect();
        all.sort();
        all
    }

    /// Stops named (SIGKILL: a DNS server that went away) and waits for it.
    pub fn stop(&mut self) {
        self.child.take();
    }

    /// Whether it runs.
    pub fn running(&self) -> bool {
        self.child.is_some()
    }
}
