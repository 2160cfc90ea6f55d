//! Serving: the system calls around the [`Engine`]. One loop polls the receive socket and the
//! commit thread's wakeup, hands every datagram to the engine, sends what it answers, and
//! passes batches of lease changes to the commit thread ([`crate::commit`]) and its reports
//! back. The engine decides everything else (what to answer, when a reply may leave, when to
//! commit); this file only reads clocks and moves bytes.
//!
//! A slow disk delays only the ACKs that wait for it: while a commit is in flight the loop
//! keeps receiving and the engine keeps answering what needs no write (OFFER, NAK, INFORM).
//! Neither tokio nor mio: there are two descriptors to poll, and the work per packet is
//! microseconds of pure computation.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use charrua_engine::{Arrival, Engine, EngineOptions, LogLevel, Now};
use charrua_server::LeaseDb;
use nix::poll::{ppoll, PollFd, PollFlags};
use nix::sys::time::TimeSpec;
use tracing::{debug, error, info, warn};

mod calls;
mod config;
mod dns;
mod process;

use config::Hosts;
use config::{load_config, Loaded};
use process::{drop_privileges, host_name, write_pid_file};

use crate::args::Args;
use crate::batch::{self, Inbox, Outbox};
use crate::commit::{CommitThread, Report};
use crate::hooks::Hooks;
use crate::lease_names;
use crate::logbuf::LOG;
use crate::net;
use crate::ping::Pinger;
use crate::send::Sender;
use charrua_server::config::Slice;
use charrua_store::StoreError;

/// Wall-clock seconds: leases store absolute expiry (durability rule D10). The daemon is where
/// the clock is read; the core takes it as an argument.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Where requests are read from.
#[derive(Debug)]
enum Receiver {
    /// Frames from the AF_PACKET socket with the BPF filter.
    Frames(charrua_socket::packet::PacketReceiver),
    /// Datagrams from the UDP socket (no CAP_NET_RAW).
    Udp,
}

/// Under load, the log is written out at least this often.
const LOG_FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// Receive rounds per wakeup at most, so that a flood cannot put off commits and timers.
const MAX_ROUNDS: usize = 4;

/// The system calls around the engine.
struct Driver {
    engine: Engine,
    commits: CommitThread,
    /// Monotonic origin of the engine's clock.
    origin: Instant,
    /// The sockets replies leave by, shared with the commit thread.
    sender: Arc<Sender>,
    receiver: Receiver,
    /// Replies to relays and to clients' addresses, sent together.
    outbox: Outbox,
    /// Under load, datagrams are taken this often (see [`Driver::wait`]).
    tick: Duration,
    /// When datagrams were last taken (monotonic, from `origin`).
    last_receive: Duration,
    /// The ICMP socket for ISC's `ping-check`, when it could be opened.
    pinger: Option<Pinger>,
    /// Where `on commit|release|expiry` statements are carried out.
    hooks: Hooks,
    /// Host names being looked up for `get-lease-hostnames`.
    names: Option<lease_names::Names>,
    /// The name this server writes a shared lease store as.
    server: String,
    /// The control API's calls, when it is served.
    control: Option<crate::control::Control>,
    /// Control API commands waiting for their changes' commit.
    pending: Vec<crate::control::Pending>,
    /// The token of the next control API change.
    next_token: u64,
    /// When serving started and the configuration was last (re)loaded.
    started: Instant,
    reloaded: Instant,
    /// How the last commit ended.
    store_state: crate::metrics::StoreState,
    /// The lease store's location as logs show it.
    store_shown: String,
    /// The host declarations served with the configuration's.
    hosts: Hosts,
    /// Where DNS updates are sent from, under a DDNS style (see [`dns`]).
    dns: Option<crate::ddns::Updater>,
    /// What the updater counts (served on /metrics when that is on).
    dns_metrics: crate::metrics::DdnsMetrics,
}

impl Driver {
    fn now(&self) -> Now {
        Now {
            unix: now(),
            monotonic: self.origin.elapsed(),
        }
    }

    fn receive_fd(&self) -> BorrowedFd<'_> {
        match &self.receiver {
            Receiver::Frames(r) => r.as_fd(),
            Receiver::Udp => self.sender.socket.as_fd(),
        }
    }

    /// Waits for what comes next; whether to receive datagrams now.
    ///
    /// Quiet (`busy` false): until a datagram or a commit report comes, or the engine's next
    /// timeout; a lone request is answered at once. Busy: datagrams are taken in ticks of the
    /// commit interval, so each wakeup handles many of them and the CPU a request costs stays
    /// low, while an OFFER waits at most a tick. The commit thread sends ACKs itself, so a
    /// busy loop need not wake for its reports: it reads them at the next tick.
    fn wait(&mut self, busy: bool) -> bool {
        let now = self.origin.elapsed();
        let engine = self
            .engine
            .poll_timeout()
            .unwrap_or(now + Duration::from_secs(1));
        if busy {
            let next_receive = self.last_receive + self.tick;
            let timeout = engine.min(next_receive).saturating_sub(now);
            if self.engine.is_committing() && self.engine.has_pending() {
                // ACKs wait behind the commit in flight: hear it end, to start theirs at once.
                let mut wake = [PollFd::new(self.commits.wake_fd(), PollFlags::POLLIN)];
                let _ = ppoll(&mut wake, Some(TimeSpec::from_duration(timeout)), None);
            } else {
                std::thread::sleep(timeout);
            }
            return self.origin.elapsed() >= next_receive;
        }
        let timeout = engine.saturating_sub(now);
        if timeout.is_zero() {
            return true;
        }
        let mut fds = vec![
            PollFd::new(self.receive_fd(), PollFlags::POLLIN),
            PollFd::new(self.commits.wake_fd(), PollFlags::POLLIN),
        ];
        if let Some(pinger) = &self.pinger {
            fds.push(PollFd::new(pinger.as_fd(), PollFlags::POLLIN));
        }
        if let Some(control) = &self.control {
            fds.push(PollFd::new(control.wake_fd(), PollFlags::POLLIN));
        }
        if let Some(dns) = &self.dns {
            fds.push(PollFd::new(dns.wake_fd(), PollFlags::POLLIN));
        }
        // ppoll: engine timeouts are sub-millisecond, below poll(2)'s resolution.
        let _ = ppoll(&mut fds, Some(TimeSpec::from_duration(timeout)), None);
        fds.first()
            .and_then(PollFd::revents)
            .is_some_and(|r| r.contains(PollFlags::POLLIN))
    }

    /// Receives what is queued, up to [`MAX_ROUNDS`] batches, handing each datagram to the
    /// engine and sending what it answers at once; how many came.
    fn receive(&mut self, inbox: &mut Inbox) -> usize {
        self.last_receive = self.origin.elapsed();
        let mut total = 0;
        for _ in 0..MAX_ROUNDS {
            let got = match &self.receiver {
                Receiver::Frames(r) => inbox.receive_frames(r.as_raw_fd()),
                Receiver::Udp => inbox.receive_udp(&self.sender.socket),
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
            let now = self.now();
            for received in inbox.received() {
                match received {
                    batch::Received::Datagram(arrival) => {
                        self.handle(inbox.payload(arrival), arrival, now);
                    }
                    batch::Received::Malformed(e) => {
                        debug!("frame not handled: {e}");
                        self.engine.handle_malformed(e);
                    }
                }
            }
            self.transmit();
            if count < batch::BATCH {
                return total;
            }
        }
        total
    }

    fn handle(&mut self, payload: &[u8], arrival: &net::Arrival, now: Now) {
        let Some((index, interface)) = self
            .sender
            .interfaces
            .iter()
            .enumerate()
            .find(|(_, i)| i.index == arrival.interface)
        else {
            debug!(
                "datagram from {} on an interface not served (index {})",
                arrival.source, arrival.interface
            );
            return;
        };
        let arrival = Arrival {
            interface: index,
            interface_address: interface.address,
            source: arrival.source,
            destination: arrival.destination,
        };
        self.engine.handle_datagram(&arrival, payload, now);
    }

    /// Sends the ICMP echoes the engine asks for and hands it the replies that came (ISC
    /// `ping-check`).
    fn probe(&mut self) {
        let Some(pinger) = &mut self.pinger else {
            return;
        };
        while let Some(address) = self.engine.poll_probe() {
            if let Err(e) = pinger.send(address) {
                debug!("ICMP echo to {address}: {e}");
            }
        }
        let now = Now {
            unix: now(),
            monotonic: self.origin.elapsed(),
        };
        let engine = &mut self.engine;
        pinger.receive(&mut |from| engine.handle_echo_reply(from, now));
    }

    /// Sends every reply the engine has ready: to relays and clients' addresses in one
    /// `sendmmsg`, the others one by one.
    fn transmit(&mut self) {
        while let Some(reply) = self.engine.poll_transmit() {
            self.sender.send(&mut self.outbox, reply);
        }
        self.sender.flush(&mut self.outbox);
    }

    /// Hands the engine the commit thread's reports, and the thread the next batch.
    fn commit(&mut self) -> Result<(), String> {
        while let Some(report) = self.commits.try_report() {
            let stopped = matches!(report.result, Some(Err(StoreError::Stopped)));
            self.report(report);
            if stopped {
                break;
            }
        }
        if let Some(changes) = self.engine.poll_commit(self.now()) {
            if let Err(e) = self.commits.submit(changes) {
                self.engine.handle_committed(Err(e.clone()));
                return Err(format!("lease store: {e}"));
            }
        }
        Ok(())
    }

    fn report(&mut self, report: Report) {
        if let Some(e) = report.compaction {
            error!("lease store compaction: {e}; still serving from the current file");
        }
        if let Some(result) = report.result {
            self.store_state = crate::metrics::StoreState::after(&result);
            self.engine.handle_committed(result);
        }
        self.engine.handle_changes_by_others(&report.by_others);
        if let Some(servers) = report.servers {
            self.sharing(&servers);
        }
    }

    /// Other servers share the lease store: each takes new addresses from its own part of
    /// every pool first (see [`charrua_server::config::Slice`]).
    fn sharing(&mut self, servers: &[String]) {
        let index = servers.iter().position(|s| *s == self.server);
        let slice = index.filter(|_| servers.len() > 1).and_then(|i| {
            Some(Slice {
                index: u32::try_from(i).ok()?,
                count: u32::try_from(servers.len()).ok()?,
            })
        });
        match slice {
            Some(s) => info!(
                "lease store shared by {} servers ({}): {} offers new addresses from part {} of {} of every pool first",
                s.count,
                servers.join(", "),
                self.server,
                s.index + 1,
                s.count
            ),
            None if servers.len() > 1 => warn!(
                "lease store shared by {}, but {} is not among them; offering from whole pools",
                servers.join(", "),
                self.server
            ),
            None => {}
        }
        self.engine.handle_slice(slice);
    }

    /// Hands the engine the host names looked up since the last call.
    fn lease_names(&mut self) {
        let Some(names) = &self.names else {
            return;
        };
        while let Ok(batch) = names.try_recv() {
            self.engine.handle_lease_hostnames(batch);
        }
    }

    /// Writes the engine's log lines to the log.
    fn log(&mut self) {
        self.engine.drain_log(&mut |level, line| {
            let level = match level {
                LogLevel::Error => tracing::Level::ERROR,
                LogLevel::Warn => tracing::Level::WARN,
                LogLevel::Info => tracing::Level::INFO,
                LogLevel::Debug | LogLevel::Off => tracing::Level::DEBUG,
            };
            LOG.line(level, |w| w.write_str(line));
        });
    }

    /// SIGHUP: a new configuration, keeping every lease; a bad one keeps the old serving.
    /// Whether the new one is served.
    fn reload(&mut self, path: &Path, leases: &Path) -> bool {
        let Some(Loaded { config, .. }) = load_config(path, leases, &self.hosts.all()) else {
            error!(
                "reload: {} has errors; still serving the previous configuration",
                path.display()
            );
            return false;
        };
        self.names =
            lease_names::look_up(config.lease_hostname_addresses(lease_names::MAX_ADDRESSES));
        self.dns_reload(&config.ddns);
        self.engine.handle_reload(config);
        self.reloaded = Instant::now();
        info!("reloaded {}", path.display());
        true
    }

    /// Finishes the commits in flight and waiting, and sends their replies (at shutdown).
    fn finish(&mut self) {
        while self.engine.has_uncommitted() {
            while self.engine.is_committing() {
                let report = self.commits.wait_report();
                self.report(report);
            }
            let Some(changes) = self.engine.poll_commit(self.now()) else {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            };
            if let Err(e) = self.commits.submit(changes) {
                self.engine.handle_committed(Err(e));
            }
        }
        self.transmit();
        self.log();
        self.effects();
    }
}

/// The engine's log level: as much as the log shows.
fn log_level() -> LogLevel {
    if tracing::enabled!(tracing::Level::DEBUG) {
        LogLevel::Debug
    } else if tracing::enabled!(tracing::Level::INFO) {
        LogLevel::Info
    } else if tracing::enabled!(tracing::Level::WARN) {
        LogLevel::Warn
    } else {
        LogLevel::Error
    }
}

/// Opens syslog where the log goes there (see [`crate::log::Output`]), with the
/// configuration's `log-facility` (`daemon` where it sets none, as ISC dhcpd); where the socket
/// cannot be opened, the log goes to standard error, which says why.
fn log_to_syslog(socket: &Path, facility: Option<&str>) {
    if let Err(e) = LOG.open_syslog(socket, facility) {
        warn!(
            "can't log to syslog at {}: {e}; logging to standard error",
            socket.display()
        );
    }
}

/// A lease store's location as logs show it: a database's without its password.
pub(crate) fn shown(location: &Path) -> String {
    charrua_store::postgres::redacted(&location.display().to_string())
}

/// Serves until SIGTERM or SIGINT; every commit in flight is finished before returning.
pub(crate) fn serve(args: &Args) -> Result<(), String> {
    let errors = || format!("{}: configuration has errors", args.config.display());
    let loaded = load_config(&args.config, Path::new(""), "");
    // Its errors too go where the log goes.
    let facility = loaded.as_ref().and_then(|l| l.log_facility.as_deref());
    log_to_syslog(&args.syslog_socket, facility);
    let loaded = loaded.ok_or_else(errors)?;
    let leases = args.leases(loaded.lease_file_name.as_deref());
    let pid_file = args.pid(loaded.pid_file_name.as_deref());
    let mut config = loaded.config;
    let mut db = LeaseDb::new(&config);
    let server = args.server_name.clone().unwrap_or_else(host_name);
    let opened =
        charrua_store::open_store(&leases, args.lease_format, &server, &mut |c| db.apply(&c))
            .map_err(|e| e.to_string())?;
    // Hosts kept in the lease file (made over OMAPI) and the reservations made through the
    // control API are served with the configuration's.
    let reservations = crate::control::open_reservations(args, &leases, opened.format)?;
    let hosts = Hosts {
        store: opened.store.host_declarations().to_string(),
        runtime: reservations
            .as_ref()
            .map(crate::control::Reservations::declarations)
            .unwrap_or_default(),
    };
    if !hosts.all().is_empty() {
        config = load_config(&args.config, &leases, &hosts.all())
            .ok_or_else(errors)?
            .config;
        db = charrua_engine::rebuilt(&db, &config);
        info!(
            "{}: serving {} host declaration(s) of the lease store and {} reservation(s) with the configuration",
            leases.display(),
            hosts.store.lines().filter(|l| l.starts_with("host ")).count(),
            hosts.runtime.lines().count()
        );
    }
    // Other servers may write a database too: every ACK is then a write the database checks.
    config.shared_store = opened.format == charrua_store::LeaseFormat::Postgresql;
    let recovery = &opened.recovery;
    info!(
        "lease store {} ({}): {} records replayed, {} corrupt skipped, {} torn bytes left out; {} leases",
        shown(&leases),
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
    let ports = net::Ports::new(args.port, loaded.local_port, loaded.remote_port);
    let socket = net::open(ports.server, loaded.local_address)?;
    // Requests arrive on a packet socket (BPF: UDP to the server port); the UDP socket then only
    // sends, and its receive queue is kept minimal. Without CAP_NET_RAW the UDP socket receives.
    let receiver = match charrua_socket::packet::PacketReceiver::open(ports.server, None) {
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
    // ISC's `ping-check`: without CAP_NET_RAW, addresses are offered unprobed.
    let pinger = match Pinger::open() {
        Ok(p) => Some(p),
        Err(e) => {
            warn!("ICMP socket: {e}; addresses are offered without the ping check");
            None
        }
    };
    // The control API's and the metrics' sockets are opened while still privileged (the Unix
    // socket is then handed to the user dropped to).
    let listeners = crate::control::bind(args)?;
    let serves_api = listeners.unix.is_some() || listeners.http.is_some();
    let measures = (listeners.metrics.is_some()).then(crate::metrics::Measures::new);
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
    let origin = Instant::now();
    let options = EngineOptions {
        interfaces: interfaces.iter().map(|i| i.name.clone()).collect(),
        commit_interval: Duration::from_micros(args.commit_interval_us),
        log: log_level(),
        probes: pinger.is_some(),
        ..EngineOptions::default()
    };
    let names = lease_names::look_up(config.lease_hostname_addresses(lease_names::MAX_ADDRESSES));
    let dns_metrics = measures.as_ref().map_or_else(
        crate::metrics::DdnsMetrics::new,
        crate::metrics::Measures::ddns,
    );
    let dns = dns::start(&config.ddns, dns_metrics.clone());
    let engine = Engine::new(
        config,
        db,
        options,
        Now {
            unix: now(),
            monotonic: Duration::ZERO,
        },
    );
    // The receive sockets hold 8 MiB (`grow_receive_buffer`), some 10,000 requests: the loop
    // never waits for the disk, so that only has to cover its own pauses.
    let sender = Arc::new(Sender {
        socket,
        packet,
        interfaces,
        ports,
        measures: measures.clone().map(|m| (m, origin)),
    });
    let control = if serves_api || measures.is_some() {
        for (what, on) in [
            (
                "control API",
                args.control_socket
                    .as_ref()
                    .map(|p| p.display().to_string()),
            ),
            (
                "control API",
                args.control_http.map(|a| format!("http://{a}/")),
            ),
            (
                "metrics",
                args.metrics.map(|a| format!("http://{a}/metrics")),
            ),
        ] {
            if let Some(on) = on {
                info!("{what} on {on}");
            }
        }
        Some(crate::control::Control::start(
            listeners,
            measures.unwrap_or_else(crate::metrics::Measures::new),
            reservations,
            &args.config,
        )?)
    } else {
        None
    };
    let mut driver = Driver {
        engine,
        commits: CommitThread::start(
            match args.store_faults {
                Some(faults) => {
                    warn!("injecting store faults ({faults:?}): for tests only");
                    Box::new(charrua_store::faults::FaultyStore::new(
                        opened.store,
                        faults,
                    ))
                }
                None => opened.store,
            },
            Arc::clone(&sender),
        )?,
        origin,
        sender,
        receiver,
        outbox: Outbox::default(),
        tick: Duration::from_micros(args.commit_interval_us),
        last_receive: Duration::ZERO,
        pinger,
        hooks: Hooks::start(crate::hooks::Limits::DEFAULT)?,
        names,
        server,
        control,
        pending: Vec::new(),
        next_token: 0,
        started: Instant::now(),
        reloaded: Instant::now(),
        store_state: crate::metrics::StoreState::Up,
        store_shown: shown(&leases),
        hosts,
        dns,
        dns_metrics,
    };
    let mut inbox = Inbox::new();
    let mut last_flush = Instant::now();
    let mut busy = false;
    info!("serving");
    let mut result = Ok(());
    while !stop.load(Ordering::Relaxed) {
        if reload.swap(false, Ordering::Relaxed) {
            driver.reload(&args.config, &leases);
        }
        driver.calls(&args.config, &leases, &stop);
        if report.swap(false, Ordering::Relaxed) {
            info!("{}", driver.engine.counters().summary());
        }
        if driver.wait(busy) {
            busy = driver.receive(&mut inbox) > 0;
        }
        driver.probe();
        driver.lease_names();
        driver.engine.handle_tick(driver.now());
        if let Err(e) = driver.commit() {
            result = Err(e);
            break;
        }
        driver.transmit();
        driver.log();
        driver.effects();
        driver.dns_done();
        // The log is written out before the loop may block, and under load every interval.
        if !busy || last_flush.elapsed() >= LOG_FLUSH_INTERVAL {
            LOG.flush();
            last_flush = Instant::now();
        }
    }
    info!("stopping: finishing lease commits");
    driver.finish();
    // Control API changes that were in those commits are answered.
    driver.calls(&args.config, &leases, &stop);
    info!("{}", driver.engine.counters().summary());
    drop(driver);
    let _ = std::fs::remove_file(&pid_file);
    info!("stopped");
    LOG.flush();
    result
}
