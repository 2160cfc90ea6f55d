//! The [`Engine`]: inputs `handle_*`, outputs `poll_*`, no I/O.

mod admin;
mod dns;
mod store_results;

use store_results::Outage;

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::ops::Range;
use std::time::Duration;

use charrua_server::config::Effect;
use charrua_server::{
    ClientKey, Config, Destination, LeaseChange, LeaseDb, LeaseState, Outcome, Probe, Received,
    Server,
};
use charrua_wire::{Message, MessageType};

use crate::counters::Counters;
use crate::limit::Limiter;
use crate::log::{self, Lines, LogLevel};
use crate::pipeline::{self, Batch, Commit, InFlight, Sent, Waiting};
use crate::probes::{Held, Probes};
use crate::stats::{Snapshot, Statistics};

/// The time of an input: wall-clock Unix seconds, which leases are kept in (durability rule
/// D10), and a monotonic clock from any origin, for rate limits and commit timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Unix seconds.
    pub unix: u64,
    /// Monotonic time.
    pub monotonic: Duration,
}

/// Where and how a datagram arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// The interface, as an index into [`EngineOptions::interfaces`].
    pub interface: usize,
    /// That interface's address: selects the link of a message that is not relayed.
    pub interface_address: Ipv4Addr,
    /// IP source address and UDP port.
    pub source: SocketAddrV4,
    /// IP destination address.
    pub destination: Ipv4Addr,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The DHCP message.
    pub payload: Vec<u8>,
    /// Where it goes (RFC 2131 section 4.1, decided by the core).
    pub destination: Destination,
    /// The interface the request came in on, as in [`Arrival::interface`].
    pub interface: usize,
    /// Its message type (for statistics; none for a BOOTP reply).
    pub kind: Option<MessageType>,
    /// When the request it answers was handled, by the monotonic clock of [`Now`] (for
    /// request-to-reply latency).
    pub received: Duration,
}

/// How the engine works.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The interfaces' names, for log lines (`via eth0`).
    pub interfaces: Vec<String>,
    /// Shortest time between the starts of two commits: under load, the replies of a whole
    /// interval share one commit (group commit); a request after a quiet spell commits at once.
    pub commit_interval: Duration,
    /// Most durable changes waiting for a commit (in flight and next). Beyond it, a request
    /// that would add one is dropped unanswered (counted `CommitQueueFull`; the client
    /// retransmits) while replies that need no commit still leave: with the default, a disk
    /// may stall for as long as it takes that many requests to arrive (seconds at the rates
    /// one server sees) before anything is dropped, and the memory it takes stays bounded.
    pub max_waiting: usize,
    /// Per client (hardware address): messages a second, and the burst allowed (rule A2).
    pub client_rate: f64,
    /// See `client_rate`.
    pub client_burst: f64,
    /// Messages a second for the whole server.
    pub global_rate: f64,
    /// Which lines to produce.
    pub log: LogLevel,
    /// Whether the caller sends ICMP echoes ([`Engine::poll_probe`]) and reports their replies
    /// ([`Engine::handle_echo_reply`]). Then an offer the core asks to probe first (ISC
    /// `ping-check`) waits for its probe; otherwise it leaves at once.
    pub probes: bool,
    /// Defects to re-introduce (tests only).
    #[cfg(feature = "defects")]
    pub defects: crate::Defects,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            interfaces: Vec::new(),
            commit_interval: Duration::from_millis(1),
            max_waiting: 100_000,
            client_rate: 20.0,
            client_burst: 40.0,
            global_rate: 1_000_000.0,
            log: LogLevel::Info,
            probes: false,
            #[cfg(feature = "defects")]
            defects: crate::Defects::default(),
        }
    }
}

/// Replies per commit from which the commit interval halves.
const BUSY_BATCH: usize = 16;

/// The daemon's logic. See the crate documentation.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    db: LeaseDb,
    options: EngineOptions,
    limiter: Limiter,
    counters: Counters,
    stats: Statistics,
    /// Changes and replies for the next commit.
    pending: Batch,
    /// The commit the caller is running: what to undo if it fails, and its replies' lines.
    in_flight: Option<InFlight>,
    transmits: VecDeque<Transmit>,
    lines: Lines,
    /// When the last commit started.
    last_commit: Option<Duration>,
    /// Replies the last commit released.
    last_batch: usize,
    /// The Unix second expiry last ran in, and when by the monotonic clock.
    last_expire: Option<(u64, Duration)>,
    /// Offers waiting for their probe.
    probes: Probes,
    /// What `on` statements asked, for the caller to carry out.
    effects: VecDeque<Effect>,
    /// The store's failure, as last logged, and the commits that failed and replies left
    /// unsent since: an outage is one line when it starts and one when it ends.
    outage: Option<Outage>,
    /// Control API changes whose commit ended: each token and how (see [`Engine::poll_admin`]).
    admin_done: VecDeque<(u64, Result<(), String>)>,
}

impl Engine {
    /// An engine serving `config` from `db`, which holds what the store replayed.
    pub fn new(config: Config, db: LeaseDb, options: EngineOptions, now: Now) -> Self {
        let limiter = Limiter::new(
            now.monotonic,
            options.client_rate,
            options.client_burst,
            options.global_rate,
        );
        Self {
            config,
            db,
            options,
            limiter,
            counters: Counters::default(),
            stats: Statistics::default(),
            pending: Batch::default(),
            in_flight: None,
            transmits: VecDeque::new(),
            lines: Lines::default(),
            last_commit: None,
            last_batch: 0,
            last_expire: None,
            probes: Probes::default(),
            effects: VecDeque::new(),
            outage: None,
            admin_done: VecDeque::new(),
        }
    }

    /// The lease database: what the store holds, the changes waiting for a commit, and offers.
    pub fn db(&self) -> &LeaseDb {
        &self.db
    }

    /// The configuration served.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What was answered and dropped, and why.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Kea's statistics now (see [`crate::stats`]).
    pub fn statistics(&self) -> Snapshot {
        self.stats.snapshot(&self.config, &self.db)
    }

    /// Kea's `statistic-reset` of `name`; whether it names a counter.
    pub fn reset_statistic(&mut self, name: &str) -> bool {
        self.stats.reset(name, &self.config)
    }

    /// Kea's `statistic-reset-all`.
    pub fn reset_statistics(&mut self) {
        self.stats.reset_all();
    }

    /// Whether a commit is in flight.
    pub fn is_committing(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Whether durable changes, or replies, wait for the next commit.
    pub fn has_pending(&self) -> bool {
        !self.pending.changes.is_empty() || !self.pending.replies.is_empty()
    }

    /// Whether durable changes or replies wait for a commit (in flight or next).
    pub fn has_uncommitted(&self) -> bool {
        self.in_flight.is_some() || self.has_pending()
    }

    /// Whether a change to `address` waits for a commit (in flight or next): until it lands,
    /// memory and the store may differ there.
    pub fn is_uncommitted(&self, address: Ipv4Addr) -> bool {
        self.pending
            .undo
            .iter()
            .chain(self.in_flight.iter().flat_map(|f| &f.undo))
            .any(|(a, _)| *a == address)
    }

    /// For an ACK that writes nothing but acknowledges a binding not yet durable: the positions
    /// in the next batch of the change it depends on (none when that change is in flight, which
    /// lands before the next batch starts), and the binding.
    fn awaited_binding(&self, reply: &Message) -> Option<(Range<usize>, (Ipv4Addr, ClientKey))> {
        if reply.message_type() != Some(MessageType::ACK) || !self.is_uncommitted(reply.yiaddr) {
            return None;
        }
        let address = reply.yiaddr;
        let lease = self.db.get(address)?;
        let position = self
            .pending
            .changes
            .iter()
            .rposition(|c| c.address() == address)
            .map_or(
                self.pending.changes.len()..self.pending.changes.len(),
                |p| p..p + 1,
            );
        Some((position, (address, lease.client.clone())))
    }

    fn logs(&self, level: LogLevel) -> bool {
        level != LogLevel::Off && level <= self.options.log
    }

    fn interface_name(&self, interface: usize) -> &str {
        self.options
            .interfaces
            .get(interface)
            .map_or("?", String::as_str)
    }

    /// Handles a datagram that arrived as `arrival` says.
    pub fn handle_datagram(&mut self, arrival: &Arrival, payload: &[u8], now: Now) {
        let message = match Message::parse_bootp(payload) {
            Ok(m) => m,
            Err(e) => {
                if self.logs(LogLevel::Debug) {
                    let via = self.interface_name(arrival.interface).to_string();
                    self.lines.push(LogLevel::Debug, |w| {
                        use std::fmt::Write;
                        write!(
                            w,
                            "malformed datagram from {} via {via}: {e}",
                            arrival.source
                        )
                    });
                }
                self.counters.malformed(&e);
                self.stats.parse_failed();
                return;
            }
        };
        self.handle_message(arrival, message, now);
    }

    /// Handles a decoded message (the frame decoder's errors are counted with
    /// [`Engine::handle_malformed`]).
    fn handle_message(&mut self, arrival: &Arrival, message: Message, now: Now) {
        let info = self.logs(LogLevel::Info);
        self.stats.received(message.message_type());
        if !self
            .limiter
            .allow(now.monotonic, message.htype, &message.chaddr)
        {
            self.counters.limited();
            self.stats.dropped();
            if self.logs(LogLevel::Debug) {
                let via = self.interface_name(arrival.interface).to_string();
                self.lines.push(LogLevel::Debug, |w| {
                    w.push_str("rate limited: ");
                    log::request(w, &message, &via)
                });
            }
            return;
        }
        if info {
            let via = self.interface_name(arrival.interface).to_string();
            self.lines
                .push(LogLevel::Info, |w| log::request(w, &message, &via));
        }
        let rx = Received {
            message,
            source: arrival.source,
            destination: arrival.destination,
            interface_address: arrival.interface_address,
        };
        let outcome = Server::handle(&self.config, &self.db, &rx, now.unix);
        let ignored = matches!(outcome, Outcome::Ignore(_));
        let line = (info || ignored && self.logs(LogLevel::Debug)).then(|| {
            let via = self.interface_name(arrival.interface);
            log::to_string(|w| log::outcome(w, &rx.message, &outcome, via))
        });
        if !ignored {
            self.counters.answered();
        }
        match outcome {
            Outcome::Reply(reply) => {
                let transmit = Transmit {
                    kind: reply.message.message_type(),
                    payload: reply.payload,
                    destination: reply.destination,
                    interface: arrival.interface,
                    received: now.monotonic,
                };
                if self.probes.is_probing(reply.message.yiaddr) {
                    self.drop_while_probing(reply.message.yiaddr);
                    return;
                }
                let durable = reply.changes.iter().any(LeaseChange::is_durable);
                if let Some(probe) = reply.probe.filter(|_| self.options.probes && !durable) {
                    let held = (transmit, line, reply.effects);
                    self.probe_first(probe, held, &reply.changes, now);
                    return;
                }
                if !durable {
                    self.pending.record(&mut self.db, &reply.changes);
                    match self.awaited_binding(&reply.message) {
                        // D1: an ACK of a binding still on its way to the store (a binding
                        // given back unchanged, ISC's `dhcp-cache-threshold`) waits for it.
                        Some((changes, binding)) => self.pending.replies.push(Waiting {
                            transmit,
                            line,
                            changes,
                            binding: Some(binding),
                            effects: reply.effects,
                        }),
                        None => self.send(transmit, line, reply.effects),
                    }
                    return;
                }
                if !self.room_for(&reply.changes) {
                    return;
                }
                let changes = self.pending.record(&mut self.db, &reply.changes);
                let waiting = Waiting {
                    transmit,
                    line,
                    changes,
                    binding: pipeline::binding(&reply.changes),
                    effects: reply.effects,
                };
                #[cfg(feature = "defects")]
                if self.options.defects.ack_before_commit {
                    self.send(waiting.transmit, waiting.line, waiting.effects);
                    return;
                }
                // D1: the reply leaves once its leases are durable.
                self.pending.replies.push(waiting);
            }
            Outcome::Commit(changes) => {
                if let Some(line) = line {
                    self.lines.push(LogLevel::Info, |w| {
                        w.push_str(&line);
                        Ok(())
                    });
                }
                if self.room_for(&changes) {
                    // `on release` statements (server/dhcp.c `dhcprelease` runs them), then
                    // the DNS removal (server/mdb.c `release_lease`, `abandon_lease`).
                    for change in &changes {
                        if let LeaseChange::Set(l) = change {
                            if l.state == LeaseState::Released {
                                let effects = Server::on_release(
                                    &self.config,
                                    &self.db,
                                    &rx,
                                    l.address,
                                    now.unix,
                                );
                                self.effects.extend(effects);
                            }
                            if matches!(l.state, LeaseState::Released | LeaseState::Declined) {
                                self.effects.extend(Server::dns_removal(&self.config, l));
                            }
                        }
                    }
                    self.pending.record(&mut self.db, &changes);
                }
            }
            Outcome::Ignore(reason) => {
                self.counters.ignored(reason);
                self.stats.ignored(reason);
                if let Some(line) = line {
                    self.lines.push(LogLevel::Debug, |w| {
                        w.push_str(&line);
                        Ok(())
                    });
                }
            }
        }
    }

    /// A reply for an address being probed is dropped: dhcpd answers nothing for a lease
    /// while an offer of it waits (server/dhcp.c `ack_lease`: "already acking this lease").
    fn drop_while_probing(&mut self, address: Ipv4Addr) {
        if self.logs(LogLevel::Debug) {
            self.lines.push(LogLevel::Debug, |w| {
                use std::fmt::Write;
                write!(
                    w,
                    "{address} is being probed: no other reply for it until then"
                )
            });
        }
    }

    /// Holds an offer until its address's probe is over (ISC `ping-check`).
    fn probe_first(
        &mut self,
        probe: Probe,
        (transmit, line, effects): (Transmit, Option<String>, Vec<Effect>),
        changes: &[LeaseChange],
        now: Now,
    ) {
        self.pending.record(&mut self.db, changes);
        // The offer's record names its client (held since an earlier offer, or just made).
        let Some(client) = self.db.get(probe.address).map(|l| l.client.clone()) else {
            self.send(transmit, line, effects);
            return;
        };
        self.probes.hold(Held {
            address: probe.address,
            client,
            deadline: now.monotonic + Duration::from_millis(u64::from(probe.timeout_ms)),
            transmit,
            line,
            effects,
        });
    }

    /// The next thing the configuration's `on commit|release|expiry` statements ask to be done
    /// (a log line, a program to run): a commit's once its reply has left, a release's and an
    /// expiry's at once.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// The next address to send an ICMP echo to (see [`EngineOptions::probes`]).
    pub fn poll_probe(&mut self) -> Option<Ipv4Addr> {
        self.probes.next_echo()
    }

    /// An ICMP echo reply came from `from`. If an offer of that address waits for its probe,
    /// the address is in use: the offer is dropped and the address abandoned, as dhcpd does
    /// (server/dhcpd.c `lease_pinged`). Other replies change nothing.
    pub fn handle_echo_reply(&mut self, from: Ipv4Addr, now: Now) {
        let Some(held) = self.probes.answered(from) else {
            return;
        };
        if !held.still_offered(&self.db) {
            return;
        }
        self.counters.abandoned();
        self.lines.push(LogLevel::Error, |w| {
            use std::fmt::Write;
            write!(w, "Abandoning IP address {from}: pinged before offer")
        });
        let changes = Server::abandon(&self.config, &self.db, from, now.unix);
        // Never dropped for room: it keeps an address in use from being offered again.
        self.pending.record(&mut self.db, &changes);
    }

    /// Sends the offers whose probe went unanswered until `now`.
    fn release_probed(&mut self, now: Now) {
        for held in self.probes.due(now.monotonic) {
            if held.still_offered(&self.db) {
                self.send(held.transmit, held.line, held.effects);
            }
        }
    }

    /// Whether `changes` fit under [`EngineOptions::max_waiting`]; counts the drop if not.
    fn room_for(&mut self, changes: &[LeaseChange]) -> bool {
        let waiting =
            self.pending.changes.len() + self.in_flight.as_ref().map_or(0, |b| b.undo.len());
        let adding = changes.iter().filter(|c| c.is_durable()).count();
        if waiting + adding <= self.options.max_waiting {
            return true;
        }
        self.counters.queue_full();
        self.stats.dropped();
        false
    }

    /// Queues a reply for sending, logs its line and queues its effects.
    fn send(&mut self, transmit: Transmit, line: Option<String>, effects: Vec<Effect>) {
        self.effects.extend(effects);
        if let Some(line) = line {
            self.lines.push(LogLevel::Info, |w| {
                w.push_str(&line);
                Ok(())
            });
        }
        self.stats.sent(transmit.kind);
        self.transmits.push_back(transmit);
    }

    /// Counts a frame that carried no well-formed datagram (decoded by the caller).
    pub fn handle_malformed(&mut self, error: &charrua_wire::Error) {
        self.counters.malformed(error);
        self.stats.parse_failed();
    }

    /// Runs what is due at `now`: offers whose probe is over, and the expiry of offers, leases
    /// and probations, once a second.
    pub fn handle_tick(&mut self, now: Now) {
        self.release_probed(now);
        if self.last_expire.is_some_and(|(unix, _)| unix == now.unix) {
            return;
        }
        self.last_expire = Some((now.unix, now.monotonic));
        self.expire(now);
    }

    /// Ends the offers, leases and probations that have run out by `now`; the positions of
    /// the durable changes that makes in the next commit.
    fn expire(&mut self, now: Now) -> Range<usize> {
        let changes = Server::expire(&self.config, &self.db, now.unix);
        if changes.is_empty() {
            return 0..0;
        }
        // `on expiry` statements, for bindings that ran out (not offers).
        for change in &changes {
            let ended = self.db.get(change.address());
            let reclaimed = ended
                .filter(|l| matches!(l.state, LeaseState::Bound | LeaseState::Declined))
                .and_then(|l| Some((self.db.pool_of(l.address)?, l.state)));
            if let Some((pool, state)) = reclaimed {
                self.stats
                    .reclaimed(&self.config, pool, state == LeaseState::Declined);
            }
            let ran_out = ended.filter(|l| l.state == LeaseState::Bound);
            if let Some(lease) = ran_out {
                let effects = Server::on_expiry(&self.config, &self.db, lease, now.unix);
                self.effects.extend(effects);
                // server/mdb.c `make_binding_state_transition`: the DNS records go too.
                self.effects
                    .extend(Server::dns_removal(&self.config, lease));
            }
        }
        if self.logs(LogLevel::Debug) {
            let count = changes.len();
            self.lines.push(LogLevel::Debug, |w| {
                use std::fmt::Write;
                write!(w, "{count} lease(s) and offer(s) ended")
            });
        }
        // Expiry is never dropped for room: it frees addresses.
        self.pending.record(&mut self.db, &changes)
    }

    /// When the next commit may start: the commit interval after the last one started, halved
    /// while each commit carries [`BUSY_BATCH`] replies or more (a busy server still puts many
    /// leases in each commit, and answers sooner).
    fn commit_due(&self) -> Duration {
        let interval = if self.last_batch >= BUSY_BATCH {
            self.options.commit_interval / 2
        } else {
            self.options.commit_interval
        };
        self.last_commit.map_or(Duration::ZERO, |t| t + interval)
    }

    /// The commit to run now, if one is due: none in flight, changes waiting, and the commit
    /// interval passed. The caller makes its changes durable as one batch (see
    /// [`charrua_store::commit_batch`]), sends the replies [`Commit::released`] gives as soon as
    /// they are, and reports with [`Engine::handle_committed`]; until then no other commit
    /// starts. A reply whose binding a later message of the same client has replaced (its
    /// DECLINE or RELEASE) is not handed out: it would hand out what is no longer so.
    pub fn poll_commit(&mut self, now: Now) -> Option<Commit> {
        if self.in_flight.is_some() || !self.has_pending() || now.monotonic < self.commit_due() {
            return None;
        }
        self.last_commit = Some(now.monotonic);
        let batch = std::mem::take(&mut self.pending);
        let mut commit = Commit {
            changes: batch.changes,
            replies: Vec::with_capacity(batch.replies.len()),
        };
        let mut in_flight = InFlight {
            undo: batch.undo,
            sent: Vec::with_capacity(batch.replies.len()),
            admin: batch.admin,
        };
        for reply in batch.replies {
            if !pipeline::still_holds(&self.db, reply.binding.as_ref()) {
                self.counters.superseded();
                continue;
            }
            let assigned = pipeline::new_binding(&commit.changes, &in_flight.undo, &reply.changes)
                .and_then(|address| self.db.pool_of(address));
            in_flight.sent.push(Sent {
                kind: reply.transmit.kind,
                assigned,
                line: reply.line,
                changes: reply.changes.clone(),
                effects: reply.effects,
            });
            commit.replies.push((reply.transmit, reply.changes));
        }
        self.in_flight = Some(in_flight);
        Some(commit)
    }

    /// The host names looked up for pool addresses (ISC `get-lease-hostnames`; see
    /// [`Config::lease_hostname_addresses`]), all of them so far.
    pub fn handle_lease_hostnames(&mut self, names: std::collections::BTreeMap<Ipv4Addr, String>) {
        self.config.lease_hostnames = names;
    }

    /// Takes new addresses from `slice` of every pool first, as one of the servers sharing
    /// the lease store (`None`: alone).
    pub fn handle_slice(&mut self, slice: Option<charrua_server::config::Slice>) {
        self.config.slice = slice;
    }

    /// Serves `config` from now on, keeping every lease (and the host names looked up, until
    /// those of `config` come).
    pub fn handle_reload(&mut self, mut config: Config) {
        config.lease_hostnames = std::mem::take(&mut self.config.lease_hostnames);
        config.slice = self.config.slice;
        config.shared_store = self.config.shared_store;
        self.db = pipeline::rebuilt(&self.db, &config);
        self.config = config;
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// When the engine next needs [`Engine::handle_tick`] or [`Engine::poll_commit`] (by the
    /// monotonic clock), if it waits for nothing else: the next expiry second, or the time a
    /// waiting commit may start.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let expire = self
            .last_expire
            .map_or(Duration::ZERO, |(_, at)| at + Duration::from_secs(1));
        let commit = (self.in_flight.is_none() && self.has_pending()).then(|| self.commit_due());
        let next = commit.map_or(expire, |c| c.min(expire));
        Some(self.probes.next_deadline().map_or(next, |p| p.min(next)))
    }

    /// Hands every log line made since the last call to `each`, oldest first.
    pub fn drain_log(&mut self, each: &mut dyn FnMut(LogLevel, &str)) {
        self.lines.drain(each);
    }
}
