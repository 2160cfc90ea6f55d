//! charrua-client: a DHCPv4 client for one interface, running the charrua-client state machine.
//!
//! `charrua-client [-1] [-r] [--script PATH] IFACE` gets a lease, puts it on the interface over
//! rtnetlink (address, routes, MTU), runs the script for each event with the lease's values in
//! its environment, remembers the lease for INIT-REBOOT, renews and rebinds it, and gives it up
//! when it ends. `-1` exits once bound; `-r` releases the remembered lease and exits.

mod arp;
mod link;
mod netlink;
mod script;
mod store;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use charrua_client::{Client, ClientConfig, Event, Lease, OfferPolicy, Transmit};
use charrua_wire::{Message, Op};
use clap::Parser;

use link::Link;
use netlink::Netlink;

/// A DHCPv4 client (RFC 2131) for one interface.
#[derive(Debug, Parser)]
#[command(name = "charrua-client", version)]
struct Args {
    /// The interface.
    interface: String,
    /// Exit once bound (leaving the address on the interface).
    #[arg(short = '1', long)]
    once: bool,
    /// Release the remembered lease, take it off the interface, and exit.
    #[arg(short, long)]
    release: bool,
    /// Where the lease is remembered (default /var/lib/charrua/client-IFACE.lease).
    #[arg(long, value_name = "PATH")]
    lease_file: Option<PathBuf>,
    /// Run this program on every event, with `reason` and the lease in its environment.
    #[arg(long, value_name = "PATH")]
    script: Option<PathBuf>,
    /// Do not touch the interface (only the script, if any, applies the lease).
    #[arg(long)]
    no_configure: bool,
    /// Host name to send (option 12).
    #[arg(long)]
    hostname: Option<String>,
    /// Fully qualified name to send (option 81), asking the server to update DNS.
    #[arg(long)]
    fqdn: Option<String>,
    /// Vendor class identifier (option 60).
    #[arg(long)]
    vendor_class: Option<String>,
    /// Ask for rapid commit (RFC 4039).
    #[arg(long)]
    rapid_commit: bool,
    /// Ask servers to broadcast their replies.
    #[arg(long)]
    broadcast: bool,
    /// Use a new address without first checking with ARP that no other station has it.
    #[arg(long)]
    no_arp: bool,
    /// Milliseconds to collect offers before choosing the one with the longest lease (0: take
    /// the first).
    #[arg(long, default_value_t = 0)]
    offer_wait: u64,
    /// With -1: seconds to wait for a lease before giving up.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Seconds to wait for the server to confirm a remembered lease (INIT-REBOOT) before
    /// discovering anew, as dhclient's `reboot` statement.
    #[arg(long, default_value_t = 10)]
    reboot_timeout: u64,
    /// The server port (67); the client uses the next one.
    #[arg(short, long, default_value_t = 67)]
    port: u16,
}

fn log(interface: &str, what: &str) {
    eprintln!("charrua-client: {interface}: {what}");
}

/// What a message is, for the log.
fn describe(t: &Transmit) -> String {
    let Ok(m) = Message::parse(&t.payload) else {
        return "?".into();
    };
    let kind = m
        .message_type()
        .and_then(|k| k.name())
        .unwrap_or("BOOTREQUEST");
    let address = m.options.requested_address().unwrap_or(m.ciaddr);
    format!(
        "{kind} {address} to {:?} (xid 0x{:08x}, secs {})",
        t.destination, m.xid, m.secs
    )
}

/// The ACK a lease came from, rebuilt for the lease file.
fn ack_of(lease: &Lease) -> Vec<u8> {
    Message {
        op: Op::BOOTREPLY,
        yiaddr: lease.address,
        options: lease.options.clone(),
        ..Message::default()
    }
    .encode()
}

struct Runner {
    args: Args,
    link: Link,
    netlink: Option<Netlink>,
    lease_file: PathBuf,
    current: Option<Lease>,
    /// The remembered address asked for (INIT-REBOOT): a lease of it is that lease again.
    rebooting: Option<Ipv4Addr>,
    origin: Instant,
}

impl Runner {
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn script(&self, reason: &str, new: Option<&Lease>, old: Option<Ipv4Addr>) {
        if let Some(script) = &self.args.script {
            script::run(script, reason, &self.link.name, new, old);
        }
    }

    fn transmit(&self, client: &mut Client) {
        while let Some(t) = client.poll_transmit() {
            log(&self.link.name, &describe(&t));
            if let Err(e) = self.link.send(&t) {
                log(&self.link.name, &format!("send: {e}"));
            }
        }
    }

    fn take_off(&mut self) -> Option<Ipv4Addr> {
        let old = self.current.take()?;
        if let Some(nl) = &mut self.netlink {
            if let Err(e) = nl.remove(&old) {
                log(&self.link.name, &e);
            }
        }
        let _ = self.link.use_udp(false);
        store::forget(&self.lease_file);
        Some(old.address)
    }

    fn put_on(&mut self, lease: &Lease, reason: &str) {
        let name = self.link.name.clone();
        let old = self
            .current
            .as_ref()
            .map(|l| l.address)
            .filter(|a| *a != lease.address);
        if old.is_some() {
            self.take_off();
        }
        log(
            &name,
            &format!(
                "{reason} {} from {} for {} s (renew in {} s)",
                lease.address, lease.server, lease.lease_time, lease.renewal_time
            ),
        );
        let mut configured = self.args.no_configure;
        if let Some(nl) = &mut self.netlink {
            match nl.apply(lease) {
                Ok(()) => configured = true,
                Err(e) => log(&name, &e),
            }
        }
        if configured && !self.args.no_configure {
            if let Err(e) = self.link.use_udp(true) {
                log(&name, &e);
            }
        }
        let age = self.now().saturating_sub(lease.acquired_at);
        if let Err(e) = store::save(&self.lease_file, &ack_of(lease), age) {
            log(&name, &format!("{}: {e}", self.lease_file.display()));
        }
        self.current = Some(lease.clone());
        self.script(reason, Some(lease), old);
    }

    /// Handles the client's events; returns whether the client is bound (for `-1`).
    fn events(&mut self, client: &mut Client) -> bool {
        let mut bound = false;
        while let Some(event) = client.poll_event() {
            match event {
                Event::Bound(lease) => {
                    // A new address is probed first; one the client had (INIT-REBOOT) is not. A
                    // client whose INIT-REBOOT went unanswered and that discovered anew is BOUND.
                    let rebooting = self.rebooting.take() == Some(lease.address);
                    let known = rebooting
                        || self
                            .current
                            .as_ref()
                            .is_some_and(|l| l.address == lease.address);
                    if !known && !self.args.no_arp && arp::in_use(&self.link, lease.address) {
                        log(
                            &self.link.name,
                            &format!("{} is in use on the link: declining it", lease.address),
                        );
                        client.decline(self.now());
                        self.transmit(client);
                        continue;
                    }
                    self.put_on(&lease, if rebooting { "REBOOT" } else { "BOUND" });
                    bound = true;
                }
                Event::Renewed(lease) => {
                    self.put_on(&lease, "RENEW");
                    bound = true;
                }
                Event::Refused { .. } => {
                    self.rebooting = None;
                    log(&self.link.name, "NAK");
                    let old = self.take_off();
                    self.script("NAK", None, old);
                }
                Event::Expired { address } => {
                    log(&self.link.name, &format!("lease of {address} expired"));
                    let old = self.take_off();
                    self.script("EXPIRE", None, old);
                }
                Event::Declined { address } => {
                    log(&self.link.name, &format!("declined {address}"));
                    let old = self.take_off();
                    self.script("DECLINE", None, old);
                }
                Event::Released { address } => {
                    log(&self.link.name, &format!("released {address}"));
                    self.transmit(client);
                    let old = self.take_off();
                    self.script("RELEASE", None, old);
                }
            }
        }
        bound
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let link = match Link::open(&args.interface, args.port) {
        Ok(link) => link,
        Err(e) => {
            eprintln!("charrua-client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let netlink = if args.no_configure {
        None
    } else {
        match Netlink::open(link.index) {
            Ok(nl) => Some(nl),
            Err(e) => {
                eprintln!("charrua-client: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let lease_file = args.lease_file.clone().unwrap_or_else(|| {
        PathBuf::from(format!("/var/lib/charrua/client-{}.lease", args.interface))
    });
    if let Some(dir) = lease_file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut config = ClientConfig::new(link.mac(), seed());
    config.hostname = args.hostname.clone();
    config.fqdn = args.fqdn.clone();
    config.vendor_class = args.vendor_class.as_ref().map(|v| v.as_bytes().to_vec());
    config.rapid_commit = args.rapid_commit;
    config.broadcast_flag = args.broadcast;
    config.offer_wait_ms = args.offer_wait;
    config.reboot_timeout_ms = args.reboot_timeout.saturating_mul(1000);
    if args.offer_wait > 0 {
        config.offer_policy = OfferPolicy::LongestLease;
    }
    let mut runner = Runner {
        args,
        link,
        netlink,
        lease_file,
        current: None,
        rebooting: None,
        origin: Instant::now(),
    };
    let stored = store::load(&runner.lease_file).and_then(|s| s.lease(runner.now()));
    if runner.args.release {
        let Some(lease) = stored else {
            log(&runner.link.name, "no lease to release");
            return ExitCode::SUCCESS;
        };
        runner.current = Some(lease.clone());
        let _ = runner.link.use_udp(!runner.args.no_configure);
        let mut client = Client::resume(config, lease, runner.now());
        client.release(runner.now());
        runner.events(&mut client);
        return ExitCode::SUCCESS;
    }
    config.remembered = stored
        .as_ref()
        .filter(|l| l.expires_at().is_none_or(|e| runner.now() < e))
        .map(|l| l.address);
    runner.rebooting = config.remembered;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    let mut client = Client::new(config, runner.now());
    let deadline = Duration::from_secs(runner.args.timeout);
    while !stop.load(Ordering::Relaxed) {
        runner.transmit(&mut client);
        if runner.events(&mut client) && runner.args.once {
            return ExitCode::SUCCESS;
        }
        if runner.args.once && runner.origin.elapsed() > deadline {
            log(&runner.link.name, "no lease: giving up");
            return ExitCode::FAILURE;
        }
        let now = runner.now();
        let wait = client
            .poll_timeout()
            .map_or(1000, |t| t.saturating_sub(now))
            .min(1000);
        for payload in runner.link.receive(Duration::from_millis(wait)) {
            client.handle_packet(&payload, runner.now());
        }
        client.handle_timeout(runner.now());
    }
    log(
        &runner.link.name,
        "stopping; the lease stays on the interface",
    );
    ExitCode::SUCCESS
}

/// A seed for transaction ids: the time and process id, so clients started together differ.
fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ (u64::from(std::process::id()) << 32)
}
