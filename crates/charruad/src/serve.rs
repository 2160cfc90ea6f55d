//! Serving: receive, decode, `Server::handle`, apply the changes, commit the durable ones
//! through group commit, and send each reply only once its changes are on disk.
//!
//! A plain loop on one thread owns the configuration and the lease database, so the core's
//! decisions are serialized without locks; the store's commit thread sends the replies that
//! waited for a sync. Neither tokio nor mio: there is one socket, the work per packet is
//! microseconds of pure computation, and the only wait that matters (fdatasync) already has a
//! thread of its own.

use std::net::UdpSocket;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use charrua_conf::parse_config;
use charrua_server::{Config, LeaseDb, Outcome, Received, Server};
use charrua_store::{GroupCommit, GroupOptions, Journal, JournalOptions};
use charrua_wire::Message;
use tracing::{debug, error, info, warn};

use crate::args::Args;
use crate::counters::Counters;
use crate::limit::Limiter;
use crate::net::{self, Interface};

/// Wall-clock seconds: leases store absolute expiry (durability rule D10). The daemon is where
/// the clock is read; the core takes it as an argument.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The monotonic clock, for rate limits.
fn monotonic() -> std::time::Instant {
    std::time::Instant::now()
}

/// Per client: 20 messages a second, bursts of 40; the server: 50,000 a second.
const CLIENT_RATE: f64 = 20.0;
const CLIENT_BURST: f64 = 40.0;
const GLOBAL_RATE: f64 = 50_000.0;

/// Reads and lowers the configuration, logging its diagnostics.
pub(crate) fn load_config(path: &Path) -> Option<Config> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            error!("can't open {}: {e}", path.display());
            return None;
        }
    };
    let lowered = parse_config(&path.display().to_string(), text, &mut crate::FileLoader);
    for d in &lowered.diagnostics {
        match d.severity {
            charrua_conf::Severity::Error => error!("{}", d.render(&lowered.sources)),
            charrua_conf::Severity::Warning => warn!("{}", d.render(&lowered.sources)),
        }
    }
    lowered.config
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

struct Daemon {
    port: u16,
    packet: Option<Arc<crate::packet::PacketSocket>>,
    counters: Counters,
    limiter: Limiter,
    config: Config,
    db: LeaseDb,
    interfaces: Vec<Interface>,
    socket: UdpSocket,
    group: GroupCommit,
}

impl Daemon {
    fn handle(&mut self, payload: &[u8], arrival: net::Arrival) {
        let Some(iface) = self
            .interfaces
            .iter()
            .find(|i| i.index == arrival.interface)
        else {
            debug!(
                "datagram from {} on an interface not served (index {})",
                arrival.source, arrival.interface
            );
            return;
        };
        let message = match Message::parse(payload) {
            Ok(m) => m,
            Err(e) => {
                debug!(
                    "malformed datagram from {} via {}: {e}",
                    arrival.source, iface.name
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
            debug!(
                "rate limited: {} via {}",
                crate::log::request(&message, &iface.name),
                iface.name
            );
            return;
        }
        info!("{}", crate::log::request(&message, &iface.name));
        let rx = Received {
            message,
            source: arrival.source,
            destination: arrival.destination,
            interface_address: iface.address,
        };
        let outcome = Server::handle(&self.config, &self.db, &rx, now());
        let line = crate::log::outcome(&rx.message, &outcome, &iface.name);
        if !matches!(outcome, Outcome::Ignore(_)) {
            self.counters.answered();
        }
        match outcome {
            Outcome::Reply(reply) => {
                reply.changes.iter().for_each(|c| self.db.apply(c));
                let iface = iface.clone();
                if !reply
                    .changes
                    .iter()
                    .any(charrua_server::LeaseChange::is_durable)
                {
                    info!("{line}");
                    let egress = net::Egress {
                        socket: &self.socket,
                        packet: self.packet.as_deref(),
                        interface: &iface,
                        port: self.port,
                    };
                    if let Err(e) = net::send(&egress, &reply.payload, &reply.destination) {
                        error!("sending to {:?}: {e}", reply.destination);
                    }
                    return;
                }
                let Ok(socket) = self.socket.try_clone() else {
                    error!("cannot share the socket with the commit thread");
                    return;
                };
                let packet = self.packet.clone();
                let port = self.port;
                let (payload, destination) = (reply.payload, reply.destination);
                let done =
                    Box::new(
                        move |result: Result<(), charrua_store::StoreError>| match result {
                            Ok(()) => {
                                info!("{line}");
                                let egress = net::Egress {
                                    socket: &socket,
                                    packet: packet.as_deref(),
                                    interface: &iface,
                                    port,
                                };
                                if let Err(e) = net::send(&egress, &payload, &destination) {
                                    error!("sending to {destination:?}: {e}");
                                }
                            }
                            // D1: a lease that is not on disk is not acknowledged.
                            Err(e) => error!("lease store: {e}; reply not sent ({line})"),
                        },
                    );
                if let Err(e) = self.group.commit(reply.changes, done) {
                    error!("lease store: {e}");
                }
            }
            Outcome::Commit(changes) => {
                changes.iter().for_each(|c| self.db.apply(c));
                info!("{line}");
                let done = Box::new(|r: Result<(), charrua_store::StoreError>| {
                    if let Err(e) = r {
                        error!("lease store: {e}");
                    }
                });
                if let Err(e) = self.group.commit(changes, done) {
                    error!("lease store: {e}");
                }
            }
            Outcome::Ignore(reason) => {
                self.counters.ignored(reason);
                debug!("{line}");
            }
        }
    }

    fn expire(&mut self) {
        let changes = Server::expire(&self.config, &self.db, now());
        if changes.is_empty() {
            return;
        }
        changes.iter().for_each(|c| self.db.apply(c));
        debug!("{} lease(s) and offer(s) ended", changes.len());
        let _ = self.group.commit(
            changes,
            Box::new(|r| {
                if let Err(e) = r {
                    error!("lease store: {e}");
                }
            }),
        );
    }

    /// SIGHUP: a new configuration, keeping every lease; a bad one keeps the old serving.
    fn reload(&mut self, path: &Path) {
        let Some(config) = load_config(path) else {
            error!(
                "reload: {} has errors; still serving the previous configuration",
                path.display()
            );
            return;
        };
        let mut db = LeaseDb::new(&config);
        for lease in self.db.iter() {
            db.apply(&charrua_server::LeaseChange::Set(lease.clone()));
        }
        self.config = config;
        self.db = db;
        info!("reloaded {}", path.display());
    }
}

/// Serves until SIGTERM or SIGINT; every commit in flight is finished before returning.
pub(crate) fn serve(args: &Args) -> Result<(), String> {
    let config = load_config(&args.config)
        .ok_or_else(|| format!("{}: configuration has errors", args.config.display()))?;
    let mut db = LeaseDb::new(&config);
    let (journal, recovery) = Journal::open(&args.leases, JournalOptions::default(), &mut |c| {
        db.apply(&c)
    })
    .map_err(|e| e.to_string())?;
    info!(
        "lease store {}: {} records replayed, {} corrupt skipped, {} torn bytes cut; {} leases",
        args.leases.display(),
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
    let receiver = match crate::packet::PacketReceiver::open(args.port) {
        Ok(r) => {
            let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(0);
            Some(r)
        }
        Err(e) => {
            warn!("AF_PACKET receive socket: {e}; receiving on the UDP socket");
            None
        }
    };
    // Frames to clients without an address; without CAP_NET_RAW those replies are broadcast.
    let packet = match crate::packet::PacketSocket::open() {
        Ok(p) => Some(Arc::new(p)),
        Err(e) => {
            warn!("AF_PACKET socket: {e}; replies to clients without an address will be broadcast");
            None
        }
    };
    write_pid_file(&args.pid_file)?;
    drop_privileges(args.user.as_deref(), args.group.as_deref())?;
    let stop = Arc::new(AtomicBool::new(false));
    let reload = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| format!("signal: {e}"))?;
    }
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&reload))
        .map_err(|e| format!("signal: {e}"))?;
    let group = GroupCommit::start(journal, GroupOptions::default());
    let report = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&report))
        .map_err(|e| format!("signal: {e}"))?;
    let limiter = Limiter::new(monotonic(), CLIENT_RATE, CLIENT_BURST, GLOBAL_RATE);
    let mut daemon = Daemon {
        port: args.port,
        packet,
        counters: Counters::default(),
        limiter,
        config,
        db,
        interfaces,
        socket,
        group,
    };
    let mut buf = vec![0u8; 65_536];
    let mut last_expire = now();
    info!("serving");
    while !stop.load(Ordering::Relaxed) {
        if reload.swap(false, Ordering::Relaxed) {
            daemon.reload(&args.config);
        }
        if report.swap(false, Ordering::Relaxed) {
            daemon.counters.log();
        }
        if now() != last_expire {
            last_expire = now();
            daemon.expire();
        }
        let received = match &receiver {
            Some(r) => net::receive_frame(r, &mut buf),
            None => net::receive(&daemon.socket, &mut buf).map(|a| a.map(Ok)),
        };
        match received {
            Ok(Some(Ok(arrival))) => {
                let payload = buf.get(arrival.payload.clone()).unwrap_or_default();
                daemon.handle(payload, arrival);
            }
            Ok(Some(Err(e))) => {
                debug!("frame not handled: {e}");
                daemon.counters.malformed(&e);
            }
            Ok(None) => {}
            Err(e) => {
                error!("receive: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    info!("stopping: finishing lease commits");
    daemon.counters.log();
    drop(daemon);
    let _ = std::fs::remove_file(&args.pid_file);
    info!("stopped");
    Ok(())
}
