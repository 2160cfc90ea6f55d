//! Serving: receive a batch of requests, decode and `Server::handle` each, apply the changes,
//! append the durable ones to the lease store, send the replies that need no sync (offers), then
//! sync once for the whole batch and only then send the replies that acknowledge leases (D1).
//!
//! A plain loop on one thread owns the configuration, the lease database and the store, so
//! the core's decisions are serialized without locks or hand-offs between threads. Batching is
//! natural: whatever arrived while the last sync ran joins the next one, and syncs are at least
//! the commit interval (`--commit-interval`, 1 ms by default) apart, so under load many leases
//! share one fdatasync while a lone request after a quiet spell is synced at once. Neither
//! tokio nor mio: there is one socket to read, and the work per packet is microseconds of pure
//! computation.

use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use charrua_server::{Config, Destination, LeaseDb, Outcome, Received, Server};
use charrua_wire::Message;
use tracing::{debug, error, info, warn};

use crate::args::Args;
use crate::batch::{self, Inbox, Outbox, Wait};
use crate::counters::Counters;
use crate::ledger::Ledger;
use crate::limit::Limiter;
use crate::logbuf::LOG;
use crate::net::{self, Interface};

/// Wall-clock seconds: leases store absolute expiry (durability rule D10). The daemon is where
/// the clock is read; the core takes it as an argument.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The monotonic clock, for rate limits.
fn monotonic() -> Instant {
    Instant::now()
}

/// Per client: 20 messages a second, bursts of 40; the server: 1,000,000 a second (beyond what
/// one core can commit, so it only bounds a flood's share of the tables).
const CLIENT_RATE: f64 = 20.0;
const CLIENT_BURST: f64 = 40.0;
const GLOBAL_RATE: f64 = 1_000_000.0;

/// A configuration read for serving.
pub(crate) struct Loaded {
    /// The configuration.
    pub(crate) config: Config,
    /// Its `lease-file-name` and `pid-file-name`, where it gives them.
    pub(crate) lease_file_name: Option<String>,
    pub(crate) pid_file_name: Option<String>,
}

/// Reads and lowers the configuration, with the host declarations of the lease file
/// `leases` (its OMAPI hosts, served as dhcpd serves them; empty for none), logging its
/// diagnostics.
pub(crate) fn load_config(path: &Path, leases: &Path, hosts: &str) -> Option<Loaded> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            error!("can't open {}: {e}", path.display());
            return None;
        }
    };
    let lowered = charrua_conf::parse_config_with_hosts(
        &path.display().to_string(),
        text,
        &format!("{} (its host declarations)", leases.display()),
        hosts.to_string(),
        &mut crate::FileLoader { resolve: true },
    );
    for (d, count) in lowered.summary() {
        let text = crate::log::diagnostic(d, count, &lowered.sources);
        match d.severity {
            charrua_conf::Severity::Error => error!("{text}"),
            charrua_conf::Severity::Warning => warn!("{text}"),
        }
    }
    Some(Loaded {
        config: lowered.config?,
        lease_file_name: lowered.lease_file_name,
        pid_file_name: lowered.pid_file_name,
    })
}

fn write_pid_file(path: &Path) -> Result<(), String> {
    std::fs::write(path, format!("{}\n", std::process::id()))
        .map_err(|e| format!("pid file {}: {e}", path.display()))
}

/// Drops to `user` and `group` for good: supplementary groups, then gid, then uid.
fn drop_privileges(user: Option<&str>, group: Option<&str>) -> Result<(), String> {
    use nix::unistd::{setgid, setgroups, setuid, Group, User};
    let user = match user {
        Some(name) => Some(
            User::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| format!("no such user {name}"))?,
        ),
        None => None,
    };
    let gid = match group {
        Some(name) => Some(
            Group::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| format!("no such group {name}"))?
                .gid,
        ),
        None => user.as_ref().map(|u| u.gid),
    };
    if let Some(gid) = gid {
        setgroups(&[gid]).map_err(|e| format!("setgroups: {e}"))?;
        setgid(gid).map_err(|e| format!("setgid: {e}"))?;
    }
    if let Some(user) = user {
        setuid(user.uid).map_err(|e| format!("setuid: {e}"))?;
        if setuid(nix::unistd::Uid::from_raw(0)).is_ok() {
            return Err("privileges could be regained after dropping them".into());
        }
    }
    Ok(())
}

/// A reply waiting for the sync of the leases it acknowledges (D1).
#[derive(Debug)]
struct Waiting {
    payload: Vec<u8>,
    destination: Destination,
    /// Index into [`Daemon::interfaces`].
    interface: usize,
    /// The log line, logged once the reply leaves.
    line: Option<String>,
}

/// Where requests are read from.
#[derive(Debug)]
enum Receiver {
    /// Frames from the AF_PACKET socket with the BPF filter.
    Frames(charrua_socket::packet::PacketReceiver),
    /// Datagrams from the UDP socket (no CAP_NET_RAW).
    Udp,
}

/// Acknowledgements per sync from which the tick interval halves.
const BUSY_BATCH: usize = 16;

/// Under load, the log is written out at least this often.
const LOG_FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// Receive rounds per commit at most, so a flood cannot put a sync off forever.
const MAX_ROUNDS: usize = 4;

struct Daemon {
    port: u16,
    packet: Option<charrua_socket::packet::PacketSocket>,
    counters: Counters,
    limiter: Limiter,
    config: Config,
    /// The lease database and the store it mirrors.
    ledger: Ledger,
    interfaces: Vec<Interface>,
    socket: UdpSocket,
    receiver: Receiver,
    /// Replies that leave after the next sync.
    waiting: Vec<Waiting>,
    /// Replies to relays and to clients' addresses, sent together.
    outbox: Outbox,
    /// Shortest time between the starts of two ticks (and so of two syncs) under load.
    commit_interval: Duration,
    /// When the last tick started: the interval runs from there, so a slow disk does not add
    /// the interval on top of its own time.
    last_tick: Instant,
    /// Replies the last sync released.
    last_batch: usize,
}

impl Daemon {
    /// Receives what is queued, up to [`MAX_ROUNDS`] batches (waiting for the first as `wait`
    /// says), handling each datagram and sending the replies that need no sync; returns how
    /// many datagrams came.
    fn receive(&mut self, inbox: &mut Inbox, mut wait: Wait) -> usize {
        let mut total = 0;
        for _ in 0..MAX_ROUNDS {
            let got = match &self.receiver {
                Receiver::Frames(r) => inbox.receive_frames(r.as_raw_fd(), wait),
                Receiver::Udp => inbox.receive_udp(&self.socket, wait),
            };
            let count = match got {
                Ok(count) => count,
                Err(e) => {
                    error!("receive: {e}");
                    std::thread::sleep(Duration::from_millis(10));
                    return total;
                }
            };
            total += count;
            for received in inbox.received() {
                match received {
                    batch::Received::Datagram(arrival) => {
                        self.handle(inbox.payload(arrival), arrival);
                    }
                    batch::Received::Malformed(e) => {
                        debug!("frame not handled: {e}");
                        self.counters.malformed(e);
                    }
                }
            }
            self.flush_outbox();
            if count < batch::BATCH {
                return total;
            }
            wait = Wait::Never;
        }
        total
    }

    fn handle(&mut self, payload: &[u8], arrival: &net::Arrival) {
        let Some(interface) = self
            .interfaces
            .iter()
            .position(|i| i.index == arrival.interface)
        else {
            debug!(
                "datagram from {} on an interface not served (index {})",
                arrival.source, arrival.interface
            );
            return;
        };
        let iface = self
            .interfaces
            .get(interface)
            .map_or("?", |i| i.name.as_str());
        let message = match Message::parse(payload) {
            Ok(m) => m,
            Err(e) => {
                debug!(
                    "malformed datagram from {} via {iface}: {e}",
                    arrival.source
                );
                self.counters.malformed(&e);
                return;
            }
        };
        if !self
            .limiter
            .allow(monotonic(), message.htype, &message.chaddr)
        {
            self.counters.limited();
            if tracing::enabled!(tracing::Level::DEBUG) {
                LOG.line("DEBUG", |w| {
                    w.write_str("rate limited: ")?;
                    crate::log::request(w, &message, iface)
                });
            }
            return;
        }
        let info = tracing::enabled!(tracing::Level::INFO);
        if info {
            LOG.line("INFO", |w| crate::log::request(w, &message, iface));
        }
        let Some(interface_address) = self.interfaces.get(interface).map(|i| i.address) else {
            return;
        };
        let rx = Received {
            message,
            source: arrival.source,
            destination: arrival.destination,
            interface_address,
        };
        let outcome = Server::handle(&self.config, self.ledger.db(), &rx, now());
        let line = (info
            || matches!(outcome, Outcome::Ignore(_)) && tracing::enabled!(tracing::Level::DEBUG))
        .then(|| crate::log::to_string(|w| crate::log::outcome(w, &rx.message, &outcome, iface)));
        if !matches!(outcome, Outcome::Ignore(_)) {
            self.counters.answered();
        }
        match outcome {
            Outcome::Reply(reply) => {
                let waiting = Waiting {
                    payload: reply.payload,
                    destination: reply.destination,
                    interface,
                    line,
                };
                match self.ledger.record(&reply.changes) {
                    // D1: the reply leaves once its leases are on disk.
                    Ok(true) => self.waiting.push(waiting),
                    Ok(false) => self.send(waiting),
                    Err(e) => error!("lease store: {e}; reply not sent"),
                }
            }
            Outcome::Commit(changes) => {
                if let Some(line) = line {
                    LOG.line("INFO", |w| w.write_str(&line));
                }
                if let Err(e) = self.ledger.record(&changes) {
                    error!("lease store: {e}");
                }
            }
            Outcome::Ignore(reason) => {
                self.counters.ignored(reason);
                if let Some(line) = line {
                    LOG.line("DEBUG", |w| w.write_str(&line));
                }
            }
        }
    }

    /// Sends a reply: to a relay or a client's address through the outbox, otherwise at once.
    fn send(&mut self, reply: Waiting) {
        if let Some(line) = &reply.line {
            LOG.line("INFO", |w| w.write_str(line));
        }
        if let Destination::Relay(to) | Destination::Unicast(to) = reply.destination {
            self.outbox.push(reply.payload, net::remap(to, self.port));
            return;
        }
        let Some(interface) = self.interfaces.get(reply.interface) else {
            return;
        };
        let egress = net::Egress {
            socket: &self.socket,
            packet: self.packet.as_ref(),
            interface,
            port: self.port,
        };
        if let Err(e) = net::send(&egress, &reply.payload, &reply.destination) {
            error!("sending to {:?}: {e}", reply.destination);
        }
    }

    /// The wait between ticks: the commit interval, halved while each sync carries
    /// [`BUSY_BATCH`] acknowledgements or more. A busy server then still puts many leases in
    /// each fdatasync, and answers sooner; a moderately loaded one keeps the full interval, so
    /// that several leases share each sync.
    fn tick_interval(&self) -> Duration {
        if self.last_batch >= BUSY_BATCH {
            self.commit_interval / 2
        } else {
            self.commit_interval
        }
    }

    fn flush_outbox(&mut self) {
        self.outbox
            .flush(&self.socket, &mut |to, e| error!("sending to {to}: {e}"));
    }

    /// Makes every appended change durable with one sync, then sends the replies that waited
    /// for it; if the sync fails, none of them is sent (D1).
    fn commit(&mut self) {
        let durable = self.ledger.is_dirty();
        let result = self.ledger.commit();
        if !durable {
            return;
        }
        if let Some(e) = self.ledger.take_compaction_error() {
            error!("lease store compaction: {e}; still serving from the current file");
        }
        self.last_batch = self.waiting.len();
        let waiting = std::mem::take(&mut self.waiting);
        match result {
            Ok(()) => {
                for reply in waiting {
                    self.send(reply);
                }
                self.flush_outbox();
            }
            Err(e) => error!(
                "lease store: {e}; {} repl(ies) not sent, their leases undone in memory",
                waiting.len()
            ),
        }
    }

    fn expire(&mut self) {
        let changes = Server::expire(&self.config, self.ledger.db(), now());
        if changes.is_empty() {
            return;
        }
        debug!("{} lease(s) and offer(s) ended", changes.len());
        if let Err(e) = self.ledger.record(&changes) {
            error!("lease store: {e}");
        }
    }

    /// SIGHUP: a new configuration, keeping every lease; a bad one keeps the old serving.
    fn reload(&mut self, path: &Path, leases: &Path) {
        let Some(Loaded { config, .. }) =
            load_config(path, leases, self.ledger.host_declarations())
        else {
            error!(
                "reload: {} has errors; still serving the previous configuration",
                path.display()
            );
            return;
        };
        self.ledger.reconfigure(&config);
        self.config = config;
        info!("reloaded {}", path.display());
    }
}

/// Serves until SIGTERM or SIGINT; every commit in flight is finished before returning.
pub(crate) fn serve(args: &Args) -> Result<(), String> {
    let errors = || format!("{}: configuration has errors", args.config.display());
    let loaded = load_config(&args.config, Path::new(""), "").ok_or_else(errors)?;
    let leases = args.leases(loaded.lease_file_name.as_deref());
    let pid_file = args.pid(loaded.pid_file_name.as_deref());
    let mut config = loaded.config;
    let mut db = LeaseDb::new(&config);
    let opened = charrua_store::open_store(&leases, args.lease_format, &mut |c| db.apply(&c))
        .map_err(|e| e.to_string())?;
    // Hosts kept in the lease file (made over OMAPI) are served with the configuration's.
    let hosts = opened.store.host_declarations();
    if !hosts.is_empty() {
        config = load_config(&args.config, &leases, hosts)
            .ok_or_else(errors)?
            .config;
        db = crate::ledger::rebuilt(&db, &config);
        info!(
            "{}: serving its {} host declaration(s) with the configuration",
            leases.display(),
            hosts.lines().filter(|l| l.starts_with("host ")).count()
        );
    }
    let recovery = &opened.recovery;
    info!(
        "lease store {} ({}): {} records replayed, {} corrupt skipped, {} torn bytes left out; {} leases",
        leases.display(),
        opened.format,
        recovery.records,
        recovery.bad_records,
        recovery.cut_bytes,
        db.len()
    );
    let interfaces = net::interfaces(&config, &args.interfaces)?;
    if interfaces.is_empty() {
        return Err(
            "no interface has an IPv4 address inside a declared subnet: nothing to serve".into(),
        );
    }
    for i in &interfaces {
        info!("listening on {} ({})", i.name, i.address);
    }
    let socket = net::open(args.port)?;
    // Requests arrive on a packet socket (BPF: UDP to the server port); the UDP socket then only
    // sends, and its receive queue is kept minimal. Without CAP_NET_RAW the UDP socket receives.
    let receiver = match charrua_socket::packet::PacketReceiver::open(args.port, None) {
        Ok(r) => {
            let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(0);
            Receiver::Frames(r)
        }
        Err(e) => {
            warn!("AF_PACKET receive socket: {e}; receiving on the UDP socket");
            Receiver::Udp
        }
    };
    // Frames to clients without an address; without CAP_NET_RAW those replies are broadcast.
    let packet = match charrua_socket::packet::PacketSocket::open() {
        Ok(p) => Some(p),
        Err(e) => {
            warn!("AF_PACKET socket: {e}; replies to clients without an address will be broadcast");
            None
        }
    };
    write_pid_file(&pid_file)?;
    drop_privileges(args.user.as_deref(), args.group.as_deref())?;
    let stop = Arc::new(AtomicBool::new(false));
    let reload = Arc::new(AtomicBool::new(false));
    let report = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| format!("signal: {e}"))?;
    }
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&reload))
        .map_err(|e| format!("signal: {e}"))?;
    signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&report))
        .map_err(|e| format!("signal: {e}"))?;
    let limiter = Limiter::new(monotonic(), CLIENT_RATE, CLIENT_BURST, GLOBAL_RATE);
    let commit_interval = Duration::from_micros(args.commit_interval_us);
    let mut daemon = Daemon {
        port: args.port,
        packet,
        counters: Counters::default(),
        limiter,
        config,
        ledger: Ledger::new(db, opened.store),
        interfaces,
        socket,
        receiver,
        waiting: Vec::new(),
        outbox: Outbox::default(),
        commit_interval,
        last_tick: monotonic(),
        last_batch: 0,
    };
    let mut inbox = Inbox::new();
    let mut last_expire = now();
    let mut busy = false;
    let mut last_flush = monotonic();
    info!("serving");
    while !stop.load(Ordering::Relaxed) {
        if reload.swap(false, Ordering::Relaxed) {
            daemon.reload(&args.config, &leases);
        }
        if report.swap(false, Ordering::Relaxed) {
            daemon.counters.log();
        }
        if now() != last_expire {
            last_expire = now();
            daemon.expire();
        }
        if daemon.ledger.is_dirty() || busy {
            // Under load the loop runs in ticks at most a commit interval apart: sleep to the
            // next tick, take everything queued meanwhile, answer it, and sync once for all of
            // it (group commit). A lone request after a quiet spell finds the tick due at once.
            let due = daemon.last_tick + daemon.tick_interval();
            let wait = due.saturating_duration_since(monotonic());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            daemon.last_tick = monotonic();
            busy = daemon.receive(&mut inbox, Wait::Never) > 0;
            daemon.commit();
        } else {
            // Quiet: write the log out, then block until a request comes.
            LOG.flush();
            last_flush = monotonic();
            busy = daemon.receive(&mut inbox, Wait::First) > 0;
        }
        if last_flush.elapsed() >= LOG_FLUSH_INTERVAL {
            LOG.flush();
            last_flush = monotonic();
        }
    }
    info!("stopping: finishing lease commits");
    daemon.commit();
    daemon.counters.log();
    drop(daemon);
    let _ = std::fs::remove_file(&pid_file);
    info!("stopped");
    LOG.flush();
    Ok(())
}
