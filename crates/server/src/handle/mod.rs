//! `Server::handle`: one received message in, one [`Outcome`] out.
//!
//! Rule numbers in comments ("item 25") refer to the RFC 2131 conformance checklist in
//! `research/reliability.md` section 5.

mod allocate;
mod billing;
mod bootp;
mod context;
mod ddns;
mod discover;
mod dns_leases;
mod expire;
mod inform;
mod names;
mod ping;
mod release;
mod reply;
mod request;
mod spaces;
mod times;

use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_wire::{Message, MessageType, Op};

use crate::config::{Config, Effect, LeaseEvent};
use crate::lease::{Lease, LeaseChange, LeaseDb};
use context::Context;

/// A message as the daemon received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The decoded message.
    pub message: Message,
    /// IP source address and UDP port.
    pub source: SocketAddrV4,
    /// IP destination address: the limited broadcast, or one of ours (tells RENEWING, sent to us,
    /// from REBINDING, broadcast; RFC 2131 section 4.3.2).
    pub destination: Ipv4Addr,
    /// The address of the interface it arrived on: selects the link when the message is not
    /// relayed, and is the default server identifier (item 33).
    pub interface_address: Ipv4Addr,
}

/// Where a reply goes (RFC 2131 section 4.1; items 25-30). The daemon executes it as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// To the relay agent at `giaddr`, server port 67.
    Relay(SocketAddrV4),
    /// Unicast to an address the client already has (`ciaddr`, or the source of an INFORM).
    Unicast(SocketAddrV4),
    /// Unicast to `ip` (the new `yiaddr`), port 68, at link-layer address `hardware`: the client
    /// cannot answer ARP yet, so the daemon sends the frame to the hardware address directly.
    Link {
        /// Destination IP address and port.
        ip: SocketAddrV4,
        /// Hardware type.
        htype: u8,
        /// Link-layer destination.
        hardware: Vec<u8>,
    },
    /// To 255.255.255.255, port 68, link-layer broadcast.
    Broadcast,
}

/// A reply and the changes that must be committed before it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply message.
    pub message: Message,
    /// Its encoding, within the client's maximum message size (item 19).
    pub payload: Vec<u8>,
    /// Where to send it.
    pub destination: Destination,
    /// Lease changes: the durable ones must be on disk before the reply leaves (item 49, D1).
    pub changes: Vec<LeaseChange>,
    /// An ICMP echo to send first: the reply leaves when the probe's time is up unanswered
    /// (ISC `ping-check`). An answer means the address is in use: the reply is dropped and the
    /// address abandoned ([`Server::abandon`]).
    pub probe: Option<Probe>,
    /// What the configuration's `on commit` statements ask for this acknowledgement: to be
    /// carried out once the reply leaves.
    pub effects: Vec<Effect>,
}

/// An address to probe with an ICMP echo before offering it (server/dhcp.c `do_ping_check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The address offered.
    pub address: Ipv4Addr,
    /// How long to wait for an echo reply, in milliseconds.
    pub timeout_ms: u32,
}

/// Why a message gets no reply and changes nothing. For logs and metrics (rule A12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IgnoreReason {
    /// `op` is not BOOTREQUEST (item 2).
    NotBootRequest,
    /// A message type a server does not take (item 61).
    UnexpectedMessageType(u8),
    /// Relayed more than the configured number of hops (RFC 1542 section 4.1.1).
    TooManyHops(u8),
    /// Neither a client identifier nor a usable hardware address (reliability class B15).
    NoClientIdentity,
    /// No configured subnet for the link the message came from.
    NoSubnet,
    /// A REQUEST, DECLINE or RELEASE naming another server (item 35).
    OtherServer,
    /// No address is free for the client (item 41).
    NoFreeAddress,
    /// A REQUEST from a client this server has no record of (item 45: "MUST remain silent").
    UnknownClient,
    /// A REQUEST whose fields fit no client state of RFC 2131 Table 4 (item 43).
    MalformedRequest,
    /// A DECLINE or RELEASE for an address the client does not hold (rules A5, A6).
    NotOwner,
    /// A DECLINE without a requested address (RFC 2131 Table 5).
    NoRequestedAddress,
    /// An INFORM whose client address is not in a configured subnet (rule A7).
    InformFromUnknownNetwork,
    /// A BOOTP request where BOOTP is off, or with no address for the client.
    BootpNotServed,
    /// A REQUEST for an address on another network while not authoritative.
    WrongNetwork,
    /// A client that no host declaration names, where unknown clients are not served (ISC
    /// `boot-unknown-clients false`, `deny unknown-clients` outside a pool).
    UnknownClientDenied,
    /// A client whose host or class says `deny booting` or `ignore booting`.
    BootingDenied,
    /// Every class that limits the client's leases is full (ISC `lease limit`; dhcpd logs
    /// "no available billing").
    LeaseLimitReached,
}

/// What to do with a received message.
// Returned once per message and never stored in bulk, so the reply is not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Commit `changes`, then send `reply`.
    Reply(Reply),
    /// Commit these changes; no reply (RELEASE, DECLINE, a REQUEST for another server).
    Commit(Vec<LeaseChange>),
    /// Nothing to do.
    Ignore(IgnoreReason),
}

/// Seconds `lease` has left at `now` (ISC `lease-time`: nothing once it has ended).
fn left(lease: &Lease, now: u64) -> Option<u32> {
    lease
        .ends
        .checked_sub(now)
        .map(|s| u32::try_from(s).unwrap_or(u32::MAX))
}

/// The DHCP server: pure functions of configuration, leases, message and time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Server;

impl Server {
    /// Handles one received message at `now` (Unix seconds).
    pub fn handle(config: &Config, leases: &LeaseDb, rx: &Received, now: u64) -> Outcome {
        let msg = &rx.message;
        // Item 2: only requests; replies and server message types on port 67 are dropped.
        if msg.op != Op::BOOTREQUEST {
            return Outcome::Ignore(IgnoreReason::NotBootRequest);
        }
        // RFC 1542 section 4.1.1: hops beyond the limit are discarded (class B24).
        if msg.hops > config.server.max_hops {
            return Outcome::Ignore(IgnoreReason::TooManyHops(msg.hops));
        }
        let ctx = match Context::new(config, leases, rx, now) {
            Ok(ctx) => ctx,
            Err(reason) => return Outcome::Ignore(reason),
        };
        // Access first: a client denied booting gets nothing but the handling of what frees
        // an address, and an unknown one where unknown clients are denied gets no address.
        let kind = msg.message_type();
        let frees = matches!(kind, Some(MessageType::RELEASE | MessageType::DECLINE));
        if !frees && ctx.setting(|p| p.booting) == Some(false) {
            return Outcome::Ignore(IgnoreReason::BootingDenied);
        }
        let wants_address = !frees && kind != Some(MessageType::INFORM);
        if wants_address
            && ctx.host.is_none()
            && ctx.setting(|p| p.boot_unknown_clients) == Some(false)
        {
            return Outcome::Ignore(IgnoreReason::UnknownClientDenied);
        }
        let result = match kind {
            None if !msg.options.contains(charrua_wire::OptionCode::MESSAGE_TYPE) => {
                bootp::handle(&ctx)
            }
            Some(MessageType::DISCOVER) => discover::handle(&ctx),
            Some(MessageType::REQUEST) => request::handle(&ctx),
            Some(MessageType::DECLINE) => release::decline(&ctx),
            Some(MessageType::RELEASE) => release::release(&ctx),
            Some(MessageType::INFORM) => inform::handle(&ctx),
            Some(other) => Err(IgnoreReason::UnexpectedMessageType(other.0)),
            // Option 53 present but malformed (class B18): not BOOTP either.
            None => Err(IgnoreReason::UnexpectedMessageType(0)),
        };
        result.unwrap_or_else(Outcome::Ignore)
    }

    /// The changes that end offers, leases and probations due at `now` (section 4.3.1 offer
    /// hold, lease expiry, section 4.3.3 decline probation).
    pub fn expire(config: &Config, leases: &LeaseDb, now: u64) -> Vec<LeaseChange> {
        expire::changes(config, leases, now)
    }

    /// What the configuration's `on release` statements ask when the client of `rx`, a
    /// DHCPRELEASE this server acted on, releases `address` (common/execute.c, as dhcpd runs
    /// them in server/dhcp.c `dhcprelease`); the variables kept in the lease are theirs too.
    pub fn on_release(
        config: &Config,
        leases: &LeaseDb,
        rx: &Received,
        address: Ipv4Addr,
        now: u64,
    ) -> Vec<Effect> {
        match Context::new(config, leases, rx, now) {
            Ok(mut ctx) => {
                let lease = leases.get(address);
                if let Some(lease) = lease {
                    ctx.variables.extend(lease.variables.iter().cloned());
                }
                let left = lease.and_then(|l| left(l, now));
                let params = ctx.params_for(address);
                ctx.on_event(address, &params, LeaseEvent::Release, left)
                    .effects
            }
            Err(_) => Vec::new(),
        }
    }

    /// What the configuration's `on expiry` statements ask when `lease` runs out. No packet is
    /// at hand: expressions see the lease's address, hardware address and client identifier,
    /// and nothing of the client's options (dhcpd evaluates them with no packet either), and the
    /// variables kept in the lease.
    pub fn on_expiry(config: &Config, leases: &LeaseDb, lease: &Lease, now: u64) -> Vec<Effect> {
        let rx = expire::as_received(lease);
        match Context::new(config, leases, &rx, now) {
            Ok(mut ctx) => {
                ctx.variables.extend(lease.variables.iter().cloned());
                let params = ctx.params_for(lease.address);
                let left = left(lease, now);
                ctx.on_event(lease.address, &params, LeaseEvent::Expiry, left)
                    .effects
            }
            Err(_) => Vec::new(),
        }
    }

    /// The change that abandons `address` at `now`: something answered the ICMP echo sent
    /// before offering it, so it is in use by a host this server does not know (server/dhcpd.c
    /// `lease_pinged`, server/mdb.c `abandon_lease`).
    pub fn abandon(
        config: &Config,
        leases: &LeaseDb,
        address: Ipv4Addr,
        now: u64,
    ) -> Vec<LeaseChange> {
        ping::abandon(config, leases, address, now)
    }
}
