//! The client state machine (RFC 2131 section 4.4, figure 5).
//!
//! Every state holds only its own facts and timers. Time is the caller's monotonic clock in
//! milliseconds; nothing here reads a clock or a random source.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use charrua_wire::{Message, MessageType, Op, OptionCode};

use crate::config::{ClientConfig, OfferPolicy};
use crate::lease::Lease;
use crate::messages::{self, Kind};
use crate::rng::Rng;

/// RFC 2131 section 4.1: the first retransmission after 4 s, doubling to at most 64 s.
const FIRST_RETRANSMIT_MS: u64 = 4_000;
const MAX_RETRANSMIT_MS: u64 = 64_000;
/// RFC 2131 section 4.1: each delay "randomized by ... a uniform random number chosen from the
/// range -1 to +1" second.
const JITTER_MS: u64 = 1_000;
/// RFC 2131 section 4.4.5: in RENEWING and REBINDING, wait half the time left, "down to a
/// minimum of 60 seconds", before retransmitting.
const MIN_EXTEND_RETRANSMIT_MS: u64 = 60_000;
/// RFC 2131 section 3.1 step 5: after a DECLINE, "wait a minimum of ten seconds before
/// restarting the configuration process".
const DECLINE_WAIT_MS: u64 = 10_000;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// To 255.255.255.255, from 0.0.0.0 (or the client's address in REBINDING), port 67.
    Broadcast,
    /// To this server, port 67, from the client's address (RENEWING, RELEASE).
    Server(Ipv4Addr),
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The DHCP message (the UDP payload).
    pub payload: Vec<u8>,
    /// Where it goes.
    pub destination: Destination,
    /// The source address to send from: the leased address once the client has one, else
    /// 0.0.0.0.
    pub source: Ipv4Addr,
}

/// What the caller must know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new lease: configure the interface with it. After an ACK in REQUESTING the caller
    /// SHOULD check the address is unused (ARP, RFC 2131 section 4.4.1) and call
    /// [`Client::decline`] if it is.
    Bound(Lease),
    /// The lease was extended (RENEWING or REBINDING, or an INIT-REBOOT confirmation of the
    /// address already in use); apply its new times and parameters.
    Renewed(Lease),
    /// A server refused the request (NAK): any address held must be dropped.
    Refused {
        /// The address the client held or asked for.
        address: Option<Ipv4Addr>,
    },
    /// The lease ran out without being extended: stop using the address.
    Expired {
        /// The address.
        address: Ipv4Addr,
    },
    /// The client declined the address (the caller found it in use).
    Declined {
        /// The address.
        address: Ipv4Addr,
    },
    /// The client gave the lease back: stop using the address.
    Released {
        /// The address.
        address: Ipv4Addr,
    },
}

/// The states of RFC 2131 figure 5, for observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    /// Waiting to start (after a DECLINE).
    Init,
    /// DISCOVER sent, collecting offers.
    Selecting,
    /// REQUEST for an offer sent.
    Requesting,
    /// INIT-REBOOT: REQUEST for a remembered address sent.
    Rebooting,
    /// Holding a lease.
    Bound,
    /// Past T1: asking the granting server to extend the lease.
    Renewing,
    /// Past T2: asking any server to extend the lease.
    Rebinding,
    /// The lease was given back; the client does nothing more.
    Released,
}

/// An offer collected in SELECTING.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Offer {
    address: Ipv4Addr,
    server: Ipv4Addr,
    lease_time: u32,
}

/// An exchange in progress: its transaction id, when it began (for `secs`), when its first
/// message left (leases run from there), how many retransmissions were made and when the next
/// is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exchange {
    xid: u32,
    started: u64,
    attempts: u32,
    next: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Init {
        at: u64,
    },
    Selecting {
        exchange: Exchange,
        offers: Vec<Offer>,
        decide_at: Option<u64>,
    },
    Requesting {
        exchange: Exchange,
        offer: Offer,
    },
    Rebooting {
        exchange: Exchange,
        address: Ipv4Addr,
    },
    Bound {
        lease: Lease,
    },
    Renewing {
        exchange: Exchange,
        lease: Lease,
    },
    Rebinding {
        exchange: Exchange,
        lease: Lease,
    },
    Released,
}

/// A DHCP client for one interface.
#[derive(Debug, Clone)]
pub struct Client {
    config: ClientConfig,
    rng: Rng,
    state: State,
    /// The last address held, asked for again in the next DISCOVER (RFC 2131 section 4.4.1).
    previous: Option<Ipv4Addr>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl Client {
    /// A client that starts at `now`: in INIT-REBOOT when it remembers an address, else in INIT,
    /// sending its first message at once.
    pub fn new(config: ClientConfig, now: u64) -> Self {
        let mut client = Self {
            rng: Rng::new(config.seed),
            previous: config.remembered,
            config,
            state: State::Init { at: now },
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        match client.config.remembered {
            Some(address) => client.reboot(address, now),
            None => client.discover(now),
        }
        client
    }

    /// A client that holds `lease` already (say, kept in a file across a restart): BOUND, its
    /// timers running from the lease's acquisition. A lease that is over starts the client in
    /// INIT instead, asking for the same address.
    pub fn resume(config: ClientConfig, lease: Lease, now: u64) -> Self {
        let mut client = Self {
            rng: Rng::new(config.seed),
            previous: Some(lease.address),
            config,
            state: State::Init { at: now },
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        if lease.expires_at().is_some_and(|end| now >= end) {
            client.discover(now);
        } else {
            client.state = State::Bound { lease };
            client.handle_timeout(now);
        }
        client
    }

    /// The state the client is in.
    pub fn state(&self) -> StateKind {
        match self.state {
            State::Init { .. } => StateKind::Init,
            State::Selecting { .. } => StateKind::Selecting,
            State::Requesting { .. } => StateKind::Requesting,
            State::Rebooting { .. } => StateKind::Rebooting,
            State::Bound { .. } => StateKind::Bound,
            State::Renewing { .. } => StateKind::Renewing,
            State::Rebinding { .. } => StateKind::Rebinding,
            State::Released => StateKind::Released,
        }
    }

    /// The lease the client holds, if any.
    pub fn lease(&self) -> Option<&Lease> {
        match &self.state {
            State::Bound { lease }
            | State::Renewing { lease, .. }
            | State::Rebinding { lease, .. } => Some(lease),
            _ => None,
        }
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next thing that happened.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Client::handle_timeout`] must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<u64> {
        match &self.state {
            State::Init { at } => Some(*at),
            State::Selecting {
                exchange,
                decide_at,
                ..
            } => Some(decide_at.map_or(exchange.next, |d| d.min(exchange.next))),
            State::Requesting { exchange, .. } => Some(exchange.next),
            State::Rebooting { exchange, .. } => {
                Some(exchange.next.min(self.reboot_deadline(exchange)))
            }
            State::Bound { lease } => lease.renew_at(),
            // RENEWING waits for its retransmission or T2, REBINDING for its retransmission or
            // the lease's end (T2 is behind it then).
            State::Renewing { exchange, lease } => Some(exchange.next)
                .into_iter()
                .chain(lease.rebind_at())
                .chain(lease.expires_at())
                .min(),
            State::Rebinding { exchange, lease } => Some(exchange.next)
                .into_iter()
                .chain(lease.expires_at())
                .min(),
            State::Released => None,
        }
    }

    /// Advances the timers to `now`: retransmissions, the end of offer collection, T1, T2 and
    /// the lease's end.
    pub fn handle_timeout(&mut self, now: u64) {
        match self.state.clone() {
            State::Init { at } if now >= at => self.discover(now),
            State::Selecting {
                exchange,
                offers,
                decide_at,
            } => {
                if decide_at.is_some_and(|d| now >= d) {
                    if let Some(offer) = self.choose(&offers) {
                        self.request(offer, now);
                        return;
                    }
                }
                if now >= exchange.next {
                    // DISCOVER is retransmitted for as long as it takes (RFC 2131 4.1).
                    let exchange = self.retransmitted(exchange, now);
                    self.state = State::Selecting {
                        exchange,
                        offers,
                        decide_at,
                    };
                    let requested = self.previous;
                    self.send(Kind::Discover { requested }, exchange, now);
                }
            }
            State::Requesting { exchange, offer } if now >= exchange.next => {
                // RFC 2131 section 3.1 step 5: no ACK or NAK after the retransmissions: INIT.
                if exchange.attempts >= self.config.request_retransmissions {
                    self.discover(now);
                } else {
                    let exchange = self.retransmitted(exchange, now);
                    self.state = State::Requesting { exchange, offer };
                    let kind = Kind::Select {
                        address: offer.address,
                        server: offer.server,
                    };
                    self.send(kind, exchange, now);
                }
            }
            State::Rebooting { exchange, address }
                if now >= exchange.next || now >= self.reboot_deadline(&exchange) =>
            {
                // RFC 2131 section 3.2 step 5 lets a client keep using the address; this one
                // does not rely on a lease nobody confirmed and starts over, after the reboot
                // timeout or the retransmissions, whichever ends first.
                if now >= self.reboot_deadline(&exchange)
                    || exchange.attempts >= self.config.request_retransmissions
                {
                    self.discover(now);
                } else {
                    let exchange = self.retransmitted(exchange, now);
                    self.state = State::Rebooting { exchange, address };
                    self.send(Kind::Reboot { address }, exchange, now);
                }
            }
            State::Bound { lease } => self.lease_timers(lease, None, now),
            State::Renewing { exchange, lease } | State::Rebinding { exchange, lease } => {
                self.lease_timers(lease, Some(exchange), now);
            }
            _ => {}
        }
    }

    /// Handles a datagram that arrived on the client port at `now`. Anything that is not a
    /// reply to the exchange in progress (transaction id, hardware address, and the server
    /// chosen where one was) is ignored.
    pub fn handle_packet(&mut self, payload: &[u8], now: u64) {
        let Ok(reply) = Message::parse(payload) else {
            return;
        };
        let Some(kind) = reply.message_type() else {
            return;
        };
        if reply.op != Op::BOOTREPLY
            || reply.htype != 1
            || reply.chaddr.get(..6) != Some(&self.config.hardware_address[..])
        {
            return;
        }
        match self.state.clone() {
            State::Selecting {
                exchange,
                mut offers,
                decide_at,
            } if reply.xid == exchange.xid => {
                if kind == MessageType::ACK
                    && self.config.rapid_commit
                    && reply.options.contains(OptionCode::RAPID_COMMIT)
                {
                    // RFC 4039 section 4: the ACK to a DISCOVER with rapid commit binds.
                    if let Some(lease) = Lease::from_ack(&reply, exchange.started) {
                        self.bind(lease, false, now);
                    }
                    return;
                }
                if kind != MessageType::OFFER || reply.yiaddr.is_unspecified() {
                    return;
                }
                let Some(server) = reply.options.server_identifier() else {
                    return;
                };
                offers.push(Offer {
                    address: reply.yiaddr,
                    server,
                    lease_time: reply.options.lease_time().unwrap_or(0),
                });
                let decide_at = decide_at.or(Some(now + self.config.offer_wait_ms));
                if decide_at.is_some_and(|d| now >= d) {
                    if let Some(offer) = self.choose(&offers) {
                        self.request(offer, now);
                        return;
                    }
                }
                self.state = State::Selecting {
                    exchange,
                    offers,
                    decide_at,
                };
            }
            State::Requesting { exchange, offer } if reply.xid == exchange.xid => {
                // RFC 2131 section 4.4.1: only the chosen server's answer counts.
                if reply.options.server_identifier() != Some(offer.server) {
                    return;
                }
                match kind {
                    MessageType::ACK if reply.yiaddr == offer.address => {
                        if let Some(lease) = Lease::from_ack(&reply, exchange.started) {
                            self.bind(lease, false, now);
                        }
                    }
                    MessageType::NAK => self.refused(Some(offer.address), now),
                    _ => {}
                }
            }
            State::Rebooting { exchange, address } if reply.xid == exchange.xid => match kind {
                MessageType::ACK if reply.yiaddr == address => {
                    if let Some(lease) = Lease::from_ack(&reply, exchange.started) {
                        self.bind(lease, false, now);
                    }
                }
                MessageType::NAK => self.refused(Some(address), now),
                _ => {}
            },
            State::Renewing { exchange, lease } | State::Rebinding { exchange, lease }
                if reply.xid == exchange.xid =>
            {
                match kind {
                    MessageType::ACK if reply.yiaddr == lease.address => {
                        if let Some(lease) = Lease::from_ack(&reply, exchange.started) {
                            self.bind(lease, true, now);
                        }
                    }
                    MessageType::NAK => self.refused(Some(lease.address), now),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// The caller found the address of a new lease in use (an ARP probe answered): DECLINE it
    /// and start over after ten seconds (RFC 2131 section 3.1 step 5). Returns whether there
    /// was a lease to decline.
    pub fn decline(&mut self, now: u64) -> bool {
        let State::Bound { lease } = &self.state else {
            return false;
        };
        let (address, server) = (lease.address, lease.server);
        let exchange = self.exchange(now);
        self.send(Kind::Decline { address, server }, exchange, now);
        self.events.push_back(Event::Declined { address });
        self.previous = None;
        self.state = State::Init {
            at: now + DECLINE_WAIT_MS,
        };
        true
    }

    /// Gives the lease back (RFC 2131 section 4.4.6: RELEASE to the server, unicast) and stops.
    pub fn release(&mut self, now: u64) {
        if let Some(lease) = self.lease() {
            let (address, server) = (lease.address, lease.server);
            let exchange = self.exchange(now);
            self.transmits.push_back(Transmit {
                payload: messages::build(
                    &self.config,
                    Kind::Release { address, server },
                    exchange.xid,
                    0,
                ),
                destination: Destination::Server(server),
                source: address,
            });
            self.events.push_back(Event::Released { address });
        }
        self.state = State::Released;
    }

    /// A new exchange starting at `now`, its first retransmission scheduled per RFC 2131 4.1.
    fn exchange(&mut self, now: u64) -> Exchange {
        let xid = self.rng.xid();
        Exchange {
            xid,
            started: now,
            attempts: 0,
            next: now + self.backoff(0),
        }
    }

    /// The delay before retransmission `attempt` (0 is the first): 4, 8, 16, 32, 64, 64... s,
    /// each +/- up to 1 s.
    fn backoff(&mut self, attempt: u32) -> u64 {
        let base = FIRST_RETRANSMIT_MS
            .checked_shl(attempt.min(4))
            .unwrap_or(MAX_RETRANSMIT_MS)
            .min(MAX_RETRANSMIT_MS);
        base - JITTER_MS + self.rng.up_to(2 * JITTER_MS)
    }

    fn retransmitted(&mut self, exchange: Exchange, now: u64) -> Exchange {
        let attempts = exchange.attempts + 1;
        Exchange {
            attempts,
            next: now + self.backoff(attempts),
            ..exchange
        }
    }

    /// Queues the message of `kind` for `exchange` at `now`.
    fn send(&mut self, kind: Kind, exchange: Exchange, now: u64) {
        let secs = u16::try_from((now.saturating_sub(exchange.started)) / 1000).unwrap_or(u16::MAX);
        let (destination, source) = match (kind, &self.state) {
            (Kind::Extend { address }, State::Renewing { lease, .. }) => {
                (Destination::Server(lease.server), address)
            }
            (Kind::Extend { address }, _) => (Destination::Broadcast, address),
            _ => (Destination::Broadcast, Ipv4Addr::UNSPECIFIED),
        };
        self.transmits.push_back(Transmit {
            payload: messages::build(&self.config, kind, exchange.xid, secs),
            destination,
            source,
        });
    }

    /// INIT -> SELECTING: a DISCOVER (RFC 2131 section 4.4.1).
    fn discover(&mut self, now: u64) {
        let exchange = self.exchange(now);
        self.state = State::Selecting {
            exchange,
            offers: Vec::new(),
            decide_at: None,
        };
        let requested = self.previous;
        self.send(Kind::Discover { requested }, exchange, now);
    }

    /// When REBOOTING gives up on `exchange` and starts over in INIT.
    fn reboot_deadline(&self, exchange: &Exchange) -> u64 {
        exchange
            .started
            .saturating_add(self.config.reboot_timeout_ms)
    }

    /// INIT-REBOOT -> REBOOTING: a REQUEST for the remembered address (RFC 2131 section 3.2).
    fn reboot(&mut self, address: Ipv4Addr, now: u64) {
        let exchange = self.exchange(now);
        self.state = State::Rebooting { exchange, address };
        self.send(Kind::Reboot { address }, exchange, now);
    }

    /// SELECTING -> REQUESTING with `offer` (RFC 2131 section 4.4.1). The REQUEST keeps the
    /// DISCOVER's transaction id.
    fn request(&mut self, offer: Offer, now: u64) {
        let State::Selecting { exchange, .. } = self.state else {
            return;
        };
        let exchange = Exchange {
            started: now,
            attempts: 0,
            next: now + self.backoff(0),
            ..exchange
        };
        self.state = State::Requesting { exchange, offer };
        let kind = Kind::Select {
            address: offer.address,
            server: offer.server,
        };
        self.send(kind, exchange, now);
    }

    /// The offer the policy picks.
    fn choose(&self, offers: &[Offer]) -> Option<Offer> {
        let first = offers.first().copied();
        match self.config.offer_policy {
            OfferPolicy::First => first,
            OfferPolicy::LongestLease => offers.iter().copied().reduce(|best, o| {
                if o.lease_time > best.lease_time {
                    o
                } else {
                    best
                }
            }),
            OfferPolicy::Address(address) => offers
                .iter()
                .copied()
                .find(|o| o.address == address)
                .or(first),
        }
    }

    /// Takes `lease`, which runs from when its exchange began (RFC 2131 section 4.4.1: "the
    /// time at which the original request was sent"), unless that makes it over already.
    fn bind(&mut self, lease: Lease, extended: bool, now: u64) {
        if lease.expires_at().is_some_and(|end| now >= end) {
            return;
        }
        self.previous = Some(lease.address);
        let same = self.lease().is_some_and(|l| l.address == lease.address);
        self.events.push_back(if extended && same {
            Event::Renewed(lease.clone())
        } else {
            Event::Bound(lease.clone())
        });
        self.state = State::Bound { lease };
    }

    /// A NAK: drop what was held or asked for and start over (RFC 2131 section 3.1 step 5 and
    /// section 4.4.5).
    fn refused(&mut self, address: Option<Ipv4Addr>, now: u64) {
        self.events.push_back(Event::Refused { address });
        self.previous = None;
        self.discover(now);
    }

    /// T1, T2 and the lease's end (RFC 2131 section 4.4.5), with `exchange` the REQUEST in
    /// progress in RENEWING or REBINDING.
    fn lease_timers(&mut self, lease: Lease, exchange: Option<Exchange>, now: u64) {
        if lease.expires_at().is_some_and(|e| now >= e) {
            self.events.push_back(Event::Expired {
                address: lease.address,
            });
            self.discover(now);
            return;
        }
        let rebinding = matches!(self.state, State::Rebinding { .. });
        let past_t2 = lease.rebind_at().is_some_and(|t| now >= t);
        let past_t1 = lease.renew_at().is_some_and(|t| now >= t);
        // Entering RENEWING or REBINDING starts a new exchange; staying retransmits when due.
        let (entering, deadline) = if past_t2 {
            (!rebinding, lease.expires_at())
        } else if past_t1 {
            (exchange.is_none(), lease.rebind_at())
        } else {
            return;
        };
        let exchange = match exchange {
            Some(e) if !entering => {
                if now < e.next {
                    return;
                }
                e
            }
            _ => self.exchange(now),
        };
        // Half the time left to the deadline, at least 60 s, never past it.
        let left = deadline.map_or(u64::MAX, |d| d.saturating_sub(now));
        let wait = (left / 2).max(MIN_EXTEND_RETRANSMIT_MS);
        let exchange = Exchange {
            next: deadline.map_or(now + wait, |d| (now + wait).min(d)),
            ..exchange
        };
        let address = lease.address;
        self.state = if past_t2 {
            State::Rebinding { exchange, lease }
        } else {
            State::Renewing { exchange, lease }
        };
        self.send(Kind::Extend { address }, exchange, now);
    }
}
