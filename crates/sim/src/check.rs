//! The invariants, checked as the steps that could break them happen (so each check costs
//! what the step touched, not the size of the world):
//!
//! - no address is used by two clients at the same virtual instant (RFC 2131 section 4.3.1:
//!   "the server MUST NOT reuse" an address while it is leased), from the clients' view and
//!   from the stores' (no two stores hold it bound to different clients; the shared store does
//!   not hold an address a client was just acknowledged bound to another);
//! - an ACK leaves an engine only once its lease is durable in the engine's store, or the
//!   shared one (section 3.1 step 4; durability rule D1), and a crash loses no acknowledged
//!   lease (with a shared store, no lease any engine acknowledged);
//! - the engine's database is a replay of its store ([`crate::replay`]);
//! - a shared store never lets a live record be overwritten by another client's, nor removed
//!   ([`crate::shared`]);
//! - a released address is not the client's any more (section 4.3.4); a durably declined
//!   address is offered to nobody during its probation (section 4.3.3), by an engine that has
//!   heard of the decline;
//! - every reply goes where section 4.1 says;
//! - every client that wants a lease holds one within the healing time once the network and
//!   the disks heal.

use std::net::Ipv4Addr;

use charrua_client::Lease as ClientLease;
use charrua_engine::Engine;
use charrua_server::{ClientKey, Destination, Lease, LeaseState};
use charrua_wire::{Message, MessageType};

use crate::layout::engine_address;
use crate::replay;
use crate::world::{World, EPOCH};

/// A client and the server count lease times in whole seconds from different instants (the
/// client from its REQUEST, the server from the second it made the ACK in), which can differ
/// by under a second: the checks of who holds an address allow that much.
const SLACK_US: u64 = 1_000_000;

/// A broken invariant.
#[derive(Debug, Clone)]
pub struct Violation {
    /// Virtual time, microseconds.
    pub at_us: u64,
    /// What broke.
    pub what: String,
    /// The steps before it.
    pub trace: String,
}

/// Records `what` as the run's violation (the first one ends the run).
pub(crate) fn violation(world: &mut World, what: String) {
    if world.violation.is_none() {
        world.violation = Some(Violation {
            at_us: world.now,
            what,
            trace: world.trace.render(),
        });
    }
}

fn key(world: &World, c: usize) -> ClientKey {
    ClientKey::ClientId(world.clients[c].identity.clone())
}

pub(crate) fn unix_of(us: u64) -> u64 {
    EPOCH + us / 1_000_000
}

/// Client `c` was given (or confirmed) `lease`.
pub(crate) fn bound(world: &mut World, c: usize, lease: &ClientLease) {
    let address = lease.address;
    let expires_us = lease
        .expires_at()
        .map_or(u64::MAX, |ms| ms.saturating_mul(1000));
    let Some(engine) = (0..world.engines.len()).find(|&e| engine_address(e) == lease.server) else {
        violation(
            world,
            format!(
                "client {c} bound to {address} by unknown server {}",
                lease.server
            ),
        );
        return;
    };
    let client = key(world, c);
    // The stores' view: no other store (or the shared one) holds the address bound to another
    // client now.
    let unix = unix_of(world.now);
    let other_client =
        |l: &Lease| l.state == LeaseState::Bound && l.client != client && l.ends > unix + 1;
    if let Some(shared) = &world.shared {
        if let Some(record) = shared.record(address).filter(|l| other_client(l)).cloned() {
            violation(
                world,
                format!("{address} acknowledged to client {c} by engine {engine} while the shared store holds it bound to another client: {record:?}"),
            );
            return;
        }
    }
    let elsewhere = (0..world.engines.len()).find(|&e| {
        e != engine
            && world.shared.is_none()
            && world.engines[e]
                .store
                .durable(address)
                .is_some_and(other_client)
    });
    if let Some(other) = elsewhere {
        violation(
            world,
            format!("{address} acknowledged to client {c} by engine {engine} while engine {other}'s store holds it bound to another client"),
        );
        return;
    }
    // A host that shares its identity may have lost its lease to its twin, whom the server
    // takes for the same client (RFC 2131 section 4.2): binding another address on the link
    // ends it, and the address may go to someone else while the host still uses it.
    if let Some(&(other, until)) = world.holders.get(&address) {
        if other != c
            && world.clients[other].identity != world.clients[c].identity
            && !world.clients[other].shares_identity
            && until > world.now + SLACK_US
        {
            violation(
                world,
                format!(
                    "{address} bound to two clients at once: client {other} holds it for {:.3} s more, and engine {engine} acknowledged it to client {c}",
                    (until - world.now) as f64 / 1e6
                ),
            );
            return;
        }
    }
    if world.clients[c].holding.map(|h| h.0) != Some(address) {
        world.unhold(c);
    }
    world.clients[c].holding = Some((address, expires_us, engine));
    world.holders.insert(address, (c, expires_us));
}

/// How a request was addressed: what decides where its reply goes (RFC 2131 section 4.1).
#[derive(Debug, Clone)]
pub(crate) struct Addressing {
    giaddr: Ipv4Addr,
    ciaddr: Ipv4Addr,
    broadcast: bool,
    /// The client as the server keys it (option 61, else the hardware address).
    client: ClientKey,
    /// When the engine first handled this transaction (Unix seconds): a lease it grants runs
    /// at least from there.
    at: u64,
}

/// What to check once the engine has handled a datagram.
#[derive(Default)]
pub(crate) struct Watch {
    /// The request's transaction and hardware address, and how it was addressed.
    request: Option<((u32, [u8; 6]), Addressing)>,
    /// A RELEASE of an address by the client that held it.
    release: Option<(Ipv4Addr, ClientKey)>,
}

fn chaddr(msg: &Message) -> [u8; 6] {
    let mut mac = [0; 6];
    mac.copy_from_slice(&msg.chaddr[..6]);
    mac
}

/// Looks at a datagram before the engine handles it.
pub(crate) fn before_input(engine: &Engine, payload: &[u8], unix: u64) -> Watch {
    let Ok(msg) = Message::parse(payload) else {
        return Watch::default();
    };
    let request = Some((
        (msg.xid, chaddr(&msg)),
        Addressing {
            giaddr: msg.giaddr,
            ciaddr: msg.ciaddr,
            broadcast: msg.is_broadcast(),
            client: msg.options.client_identifier().map_or_else(
                || ClientKey::Hardware {
                    htype: msg.htype,
                    addr: msg.hardware_address().into(),
                },
                |id| ClientKey::ClientId(id.into()),
            ),
            at: unix,
        },
    ));
    let release = (msg.message_type() == Some(MessageType::RELEASE))
        .then(|| msg.options.client_identifier())
        .flatten()
        .map(|id| ClientKey::ClientId(id.into()))
        .filter(|client| {
            engine
                .db()
                .get(msg.ciaddr)
                .is_some_and(|l| l.is_bound_to(client, unix))
                && engine.counters().dropped("CommitQueueFull") == 0
        })
        .map(|client| (msg.ciaddr, client));
    Watch { request, release }
}

/// Checks what the engine did with the datagram `before_input` looked at.
pub(crate) fn after_input(world: &mut World, engine: usize, watch: Watch) {
    if let Some((key, addressing)) = watch.request {
        let requests = &mut world.engines[engine].requests;
        if requests.len() > 100_000 {
            // A reply leaves within seconds of its request (a commit stalls 1 s at most).
            let unix = addressing.at;
            requests.retain(|_, a| a.at + 120 > unix);
        }
        let first = requests.get(&key).map_or(addressing.at, |a| a.at);
        requests.insert(
            key,
            Addressing {
                at: first,
                ..addressing
            },
        );
    }
    let Some((address, client)) = watch.release else {
        return;
    };
    let unix = unix_of(world.now);
    let kept = world.engines[engine]
        .engine
        .as_ref()
        .and_then(|en| en.db().get(address))
        .is_some_and(|l| l.is_bound_to(&client, unix));
    if kept {
        violation(
            world,
            format!("engine {engine} kept {address} bound to its client after the client's RELEASE (RFC 2131 section 4.3.4)"),
        );
    }
}

/// Checks a reply as it leaves engine `engine`.
pub(crate) fn reply(world: &mut World, engine: usize, reply: &Message, destination: &Destination) {
    let kind = reply.message_type();
    let nak = kind == Some(MessageType::NAK);
    let Some(request) = world.engines[engine]
        .requests
        .get(&(reply.xid, chaddr(reply)))
        .cloned()
    else {
        violation(
            world,
            format!("engine {engine} sent a {kind:?} no request asked for"),
        );
        return;
    };
    // RFC 2131 section 4.1, from the request's fields.
    let expected = if !request.giaddr.is_unspecified() {
        matches!(destination, Destination::Relay(to) if *to.ip() == request.giaddr && to.port() == 67)
    } else if nak {
        *destination == Destination::Broadcast
    } else if !request.ciaddr.is_unspecified() {
        matches!(destination, Destination::Unicast(to) if *to.ip() == request.ciaddr)
    } else if request.broadcast {
        *destination == Destination::Broadcast
    } else {
        matches!(destination, Destination::Link { ip, .. } if *ip.ip() == reply.yiaddr)
            || *destination == Destination::Broadcast
    };
    if !expected {
        violation(
            world,
            format!(
                "engine {engine} sent a {kind:?} to {destination:?}, against RFC 2131 section 4.1 for a request with giaddr {}, ciaddr {}, broadcast flag {}",
                request.giaddr,
                request.ciaddr,
                request.broadcast
            ),
        );
        return;
    }
    if !matches!(kind, Some(MessageType::OFFER | MessageType::ACK)) || reply.yiaddr.is_unspecified()
    {
        return;
    }
    let unix = unix_of(world.now);
    // An ACK leaves only once its lease is durable in this engine's store, or the shared one
    // (RFC 2131 section 3.1 step 4): bound to the client that asked, for at least the lease
    // time it gives.
    if kind == Some(MessageType::ACK) {
        let lease_time = reply.options.lease_time().map_or(0, u64::from);
        let durable = world.durable(engine, reply.yiaddr);
        let held = durable.is_some_and(|l| {
            l.state == LeaseState::Bound
                && l.client == request.client
                && l.ends >= request.at.saturating_add(lease_time)
        });
        if !held {
            let durable = durable.cloned();
            violation(
                world,
                format!(
                    "engine {engine} sent a DHCPACK for {} before the lease was durable in its store (store holds {durable:?})",
                    reply.yiaddr
                ),
            );
            return;
        }
    }
    // With a shared store, only an engine that has heard of the decline can know.
    if !replay::knows(world, engine, reply.yiaddr) {
        return;
    }
    let declined = world
        .durable(engine, reply.yiaddr)
        .filter(|l| l.state == LeaseState::Declined && l.ends > unix)
        .map(|l| l.ends - unix);
    if let Some(left) = declined {
        violation(
            world,
            format!(
                "engine {engine} handed out {} with {left} s of its decline probation left (RFC 2131 section 4.3.3)",
                reply.yiaddr
            ),
        );
    }
}

/// After engine `engine` restarted from its store: every lease it acknowledged that a client
/// still uses is there (with a shared store, every lease any engine acknowledged), and memory
/// is a replay of the store.
pub(crate) fn after_restart(world: &mut World, engine: usize) {
    if let Some((address, memory, store)) =
        replay::differs(world, engine, replay::every_address(world, engine))
    {
        let what = format!(
            "engine {engine}'s memory is not a replay of its store at {address} after a restart: memory {memory:?}, store {store:?}"
        );
        violation(world, what);
        return;
    }
    let unix = unix_of(world.now);
    let shared = world.shared.is_some();
    for c in 0..world.clients.len() {
        let Some((address, until, from)) = world.clients[c].holding else {
            continue;
        };
        // Two hosts with one identity are one client to the server (RFC 2131 section 4.2):
        // one of them releasing or declining ends the other's lease too.
        if (from != engine && !shared)
            || until <= world.now + SLACK_US
            || world.clients[c].shares_identity
        {
            continue;
        }
        let client = key(world, c);
        let kept = world.engines[engine]
            .engine
            .as_ref()
            .and_then(|en| en.db().get(address))
            .is_some_and(|l| l.is_bound_to(&client, unix));
        if !kept {
            let record = world.engines[engine]
                .engine
                .as_ref()
                .and_then(|en| en.db().get(address))
                .cloned();
            violation(
                world,
                format!(
                    "engine {engine}'s crash lost the acknowledged lease of {address} (client {c}, {:?}, lease until {:.3} s); replayed record: {record:?}",
                    world.clients[c].kind,
                    until as f64 / 1e6
                ),
            );
            return;
        }
    }
}

/// At the end of a healed run: memory is a replay of the store everywhere, and every client
/// that wants a lease has one.
pub(crate) fn at_end(world: &mut World) {
    for engine in 0..world.engines.len() {
        let Some(en) = world.engines[engine].engine.as_ref() else {
            continue;
        };
        if en.has_uncommitted() {
            continue;
        }
        if let Some((address, memory, store)) =
            replay::differs(world, engine, replay::every_address(world, engine))
        {
            violation(
                world,
                format!(
                    "engine {engine}'s memory is not a replay of its store at {address} at the end: memory {memory:?}, store {store:?}"
                ),
            );
            return;
        }
    }
    let heal = world.scenario.heal_us / 1_000_000;
    for c in 0..world.clients.len() {
        let sc = &world.clients[c];
        if sc.kind.must_be_bound() && !world.is_bound(c) {
            let what = format!(
                "client {c} ({:?}, link {}) holds no lease {heal} s after the network and disks healed: {:?}",
                sc.kind,
                sc.link,
                sc.client.state()
            );
            violation(world, what);
            return;
        }
    }
}
