//! `charrua perf`: a DHCPv4 load generator. One thread plays many clients at a target rate of
//! DISCOVER-OFFER-REQUEST-ACK exchanges (optionally followed by a renewal and a release), as a
//! relay agent or as clients on the link, with `sendmmsg(2)`/`recvmmsg(2)` moving up to 64
//! messages per system call, and reports completion and latency the way perfdhcp does.

mod exchange;
pub(crate) mod socket;
mod stats;

use std::collections::HashMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use charrua_wire::{Message, MessageType};

use exchange::{Builder, Ring, State, PHASE_DORA, PHASE_RENEW};

use crate::reach::Reach;
use stats::{Run, Stats};

/// `charrua perf` options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    reach: Reach,
    /// DORA exchanges started per second.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds of sending; replies are awaited for `--timeout` more.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Distinct clients (hardware addresses 02:00:xx:xx:xx:xx) the exchanges cycle through.
    #[arg(long, default_value_t = 50_000)]
    clients: u64,
    /// The number of the first client (its hardware address is 02:00 and the number): loads
    /// run side by side, against servers sharing a database, play different clients.
    #[arg(long, default_value_t = 0)]
    first_client: u64,
    /// After each ACK, renew the lease (REQUEST with ciaddr) and wait for its ACK (relay only:
    /// a server answers a renewal on the link by unicast to the leased address).
    #[arg(long, requires = "relay")]
    renew: bool,
    /// Release every lease once bound (and renewed).
    #[arg(long)]
    release: bool,
    /// Milliseconds a reply may take before its exchange counts as lost.
    #[arg(long, default_value_t = 1000)]
    timeout: u64,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    json: bool,
}

/// Runs the load; false (after a message) when it could not start.
pub(crate) fn run(args: &Args, out: &mut dyn Write) -> bool {
    match load(args) {
        Ok(report) => {
            let text = if args.json {
                format!("{report}\n")
            } else {
                stats::text(&report)
            };
            out.write_all(text.as_bytes()).is_ok()
        }
        Err(e) => {
            eprintln!("charrua perf: {e}");
            false
        }
    }
}

/// A send queued for the next flush.
type Outgoing = Vec<(Vec<u8>, SocketAddrV4)>;

struct Generator<'a> {
    args: &'a Args,
    builder: Builder,
    server: SocketAddrV4,
    ring: Ring,
    stats: Stats,
    started: u64,
    /// Exchanges started and not yet done, refused or late.
    in_flight: u64,
    origin: Instant,
    origin_unix_ns: u64,
    outgoing: Outgoing,
    /// The client each acknowledged address is held by, and until when (nanoseconds since the
    /// start): an ACK of an address another client still holds is a double booking.
    holders: HashMap<Ipv4Addr, (u64, u64)>,
    /// The address each client was last acknowledged (a new one ends its hold of the old).
    held: HashMap<u64, Ipv4Addr>,
}

fn unix_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

impl Generator<'_> {
    /// Notes that exchange `n`'s client holds `address` from `at` for the ACK's lease time,
    /// counting a double booking if another client held it still.
    fn hold(&mut self, n: u64, address: Ipv4Addr, message: &Message, at: u64) {
        let client = n % self.args.clients.max(1);
        let seconds = u64::from(message.options.lease_time().unwrap_or(u32::MAX));
        let until = at.saturating_add(seconds.saturating_mul(1_000_000_000));
        if let Some(old) = self.held.insert(client, address) {
            if old != address {
                self.unhold(n, old);
            }
        }
        if let Some((holder, held_until)) = self.holders.insert(address, (client, until)) {
            if holder != client && held_until > at {
                self.stats.double_acks += 1;
            }
        }
    }

    /// Notes that exchange `n`'s client released `address`.
    fn unhold(&mut self, n: u64, address: Ipv4Addr) {
        let client = n % self.args.clients.max(1);
        if self
            .holders
            .get(&address)
            .is_some_and(|(c, _)| *c == client)
        {
            self.holders.remove(&address);
        }
    }

    /// Nanoseconds since the start, on the wall clock (the clock of the kernel's receive
    /// timestamps).
    fn now_ns(&self) -> u64 {
        unix_ns().saturating_sub(self.origin_unix_ns)
    }

    /// Starts exchanges until `due` have started.
    fn start_exchanges(&mut self, due: u64) {
        let now = self.now_ns();
        while self.started < due && self.outgoing.len() < socket::BATCH {
            let n = self.started;
            // A client that starts over in INIT holds no address any more (RFC 2131
            // section 4.4.1): its server may end its old binding when it binds another.
            if let Some(old) = self.held.remove(&(n % self.args.clients.max(1))) {
                self.unhold(n, old);
            }
            if let Some(slot) = self.ring.start(n) {
                slot.state = State::Discovering;
                slot.discover_at = now;
            }
            self.outgoing.push((self.builder.discover(n), self.server));
            self.stats.discovers += 1;
            self.started += 1;
            self.in_flight += 1;
        }
    }

    /// Handles one reply, received by the kernel at `stamp` (Unix nanoseconds) when known.
    fn reply(&mut self, payload: &[u8], stamp: Option<u64>) {
        let Ok(message) = Message::parse(payload) else {
            self.stats.malformed += 1;
            return;
        };
        // Latencies end when the kernel received the reply; what is sent in answer starts now.
        let now = self.now_ns();
        let received = stamp.map_or(now, |s| s.saturating_sub(self.origin_unix_ns));
        let kind = message.message_type();
        let phase = exchange::phase(message.xid);
        let builder = self.builder;
        let (renew, release) = (self.args.renew, self.args.release);
        let timeout_ns = self.args.timeout.saturating_mul(1_000_000);
        let Some((n, slot)) = self.ring.find(message.xid, self.started) else {
            self.stats.strays += 1;
            return;
        };
        let phase_start = match slot.state {
            State::Discovering => slot.discover_at,
            State::Requesting => slot.request_at,
            State::Renewing => slot.renew_at,
            _ => now,
        };
        if received.saturating_sub(phase_start) > timeout_ns {
            // Too late: the exchange was already counted lost, as perfdhcp counts it.
            self.stats.late += 1;
            slot.state = State::Lost;
            self.in_flight = self.in_flight.saturating_sub(1);
            return;
        }
        let server = message
            .options
            .server_identifier()
            .unwrap_or(*self.server.ip());
        let mut released = None;
        match (slot.state, kind, phase) {
            (State::Discovering, Some(MessageType::OFFER), PHASE_DORA) => {
                self.stats.offers += 1;
                self.stats.discover_offer.record(slot.discover_at, received);
                slot.state = State::Requesting;
                slot.request_at = now;
                slot.address = message.yiaddr;
                slot.server = server;
                self.outgoing
                    .push((builder.request(n, message.yiaddr, server), self.server));
                self.stats.requests += 1;
            }
            (State::Requesting, Some(MessageType::ACK), PHASE_DORA) => {
                let address = slot.address;
                self.hold(n, address, &message, received);
                let Some((_, slot)) = self.ring.find(message.xid, self.started) else {
                    return;
                };
                self.stats.acks += 1;
                self.stats.request_ack.record(slot.request_at, received);
                self.stats.dora.record(slot.discover_at, received);
                if renew {
                    slot.state = State::Renewing;
                    slot.renew_at = now;
                    self.outgoing
                        .push((builder.renew(n, slot.address), self.server));
                    self.stats.renews += 1;
                } else {
                    slot.state = State::Done;
                    self.in_flight = self.in_flight.saturating_sub(1);
                    if release {
                        self.outgoing
                            .push((builder.release(n, slot.address, slot.server), self.server));
                        self.stats.releases += 1;
                        released = Some(slot.address);
                    }
                }
            }
            (State::Renewing, Some(MessageType::ACK), PHASE_RENEW) => {
                let address = slot.address;
                self.hold(n, address, &message, received);
                let Some((_, slot)) = self.ring.find(message.xid, self.started) else {
                    return;
                };
                self.stats.renew_acks += 1;
                self.stats.renew_ack.record(slot.renew_at, received);
                slot.state = State::Done;
                self.in_flight = self.in_flight.saturating_sub(1);
                if release {
                    self.outgoing
                        .push((builder.release(n, slot.address, slot.server), self.server));
                    self.stats.releases += 1;
                    released = Some(slot.address);
                }
            }
            (State::Requesting | State::Renewing, Some(MessageType::NAK), _) => {
                self.stats.naks += 1;
                slot.state = State::Refused;
                self.in_flight = self.in_flight.saturating_sub(1);
            }
            _ => self.stats.strays += 1,
        }
        if let Some(address) = released {
            self.unhold(n, address);
        }
    }
}

fn cpu_seconds() -> f64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF).map_or(0.0, |u| {
        let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
        t(u.user_time()) + t(u.system_time())
    })
}

fn load(args: &Args) -> Result<serde_json::Value, String> {
    if !(args.rate > 0.0
        && args.rate.is_finite()
        && args.duration > 0.0
        && args.duration <= 86_400.0)
    {
        return Err("--rate and --duration must be positive (duration at most a day)".into());
    }
    let (path, socket, server) = args.reach.open()?;
    let total = (args.rate * args.duration).round() as u64;
    let timeout = Duration::from_millis(args.timeout);
    let in_flight = (args.rate * (timeout.as_secs_f64() + 1.0) * 2.0) as u64;
    let mut gen = Generator {
        args,
        builder: Builder {
            path,
            clients: args.clients,
            first_client: args.first_client,
        },
        server,
        ring: Ring::new(in_flight),
        stats: Stats::default(),
        started: 0,
        in_flight: 0,
        origin: Instant::now(),
        origin_unix_ns: unix_ns(),
        outgoing: Vec::with_capacity(socket::BATCH * 2),
        holders: HashMap::new(),
        held: HashMap::new(),
    };
    let cpu_start = cpu_seconds();
    let sending = Duration::from_secs_f64(args.duration);
    let end = sending + timeout;
    let mut inbox = socket::Inbox::new();
    loop {
        let elapsed = gen.origin.elapsed();
        if elapsed >= end {
            break;
        }
        let due = ((elapsed.as_secs_f64() * args.rate) as u64 + 1).min(total);
        gen.start_exchanges(due);
        socket.send(&mut gen.outgoing, &mut gen.stats.send_errors);
        let mut got = 0;
        loop {
            let count = socket.receive(&mut inbox)?;
            for (payload, stamp) in inbox.payloads() {
                gen.reply(payload, stamp);
            }
            got += count;
            socket.send(&mut gen.outgoing, &mut gen.stats.send_errors);
            if count < socket::BATCH {
                break;
            }
        }
        if got == 0 && gen.started >= due {
            // Nothing to read and nothing due: wait for a reply or the next start.
            let next = if gen.started < total {
                Duration::from_secs_f64(gen.started as f64 / args.rate)
            } else if gen.in_flight > 0 {
                end
            } else {
                break;
            };
            socket.wait(
                next.saturating_sub(gen.origin.elapsed())
                    .min(Duration::from_millis(50)),
            )?;
        }
    }
    // Each exchange reaches its last reply once: the count of those replies is the count of
    // exchanges completed.
    let completed = if args.renew {
        gen.stats.renew_acks
    } else {
        gen.stats.acks
    };
    let run = Run {
        offered: total,
        rate: args.rate,
        seconds: args.duration,
        exchanges: gen.started,
        completed,
        cpu_seconds: cpu_seconds() - cpu_start,
    };
    Ok(gen.stats.report(&run))
}
