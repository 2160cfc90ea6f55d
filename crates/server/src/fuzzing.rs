//! Invariant checks and the `server_step` fuzz target body. They live in the library so every
//! build compiles them, and the property tests share them. Each check panics only when an
//! invariant is broken, which is what the fuzzer and proptest look for.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_wire::{Message, MessageType, OptionCode, Value};

use crate::config::{Config, FqdnField, ScopeBuilder};
use crate::lease::{ClientKey, Lease, LeaseChange, LeaseDb, LeaseState};
use crate::net::Ipv4Net;
use crate::{Destination, Outcome, Received, Server};

/// Checks the outcome of one step against the database as it was before: a reply goes where
/// RFC 2131 section 4.1 says, and never hands out an address another client holds.
pub fn check_step(config: &Config, before: &LeaseDb, rx: &Received, now: u64, outcome: &Outcome) {
    let Outcome::Reply(reply) = outcome else {
        return;
    };
    let req = &rx.message;
    let msg = &reply.message;
    let nak = msg.message_type() == Some(MessageType::NAK);
    let expected_kind = match &reply.destination {
        Destination::Relay(addr) => {
            !req.giaddr.is_unspecified() && *addr.ip() == req.giaddr && addr.port() == 67
        }
        Destination::Broadcast => {
            req.giaddr.is_unspecified()
                && (nak || req.is_broadcast() || req.ciaddr.is_unspecified())
        }
        Destination::Unicast(addr) => {
            req.giaddr.is_unspecified()
                && !nak
                && (*addr.ip() == req.ciaddr || *addr.ip() == *rx.source.ip())
        }
        Destination::Link { ip, .. } => {
            req.giaddr.is_unspecified()
                && !nak
                && !req.is_broadcast()
                && req.ciaddr.is_unspecified()
                && *ip.ip() == msg.yiaddr
        }
    };
    assert!(
        expected_kind,
        "destination {:?} breaks RFC 2131 section 4.1 for {req:?}",
        reply.destination
    );
    assert!(reply.payload.len() >= 300.min(reply.payload.len()));
    if nak {
        assert!(msg.yiaddr.is_unspecified(), "a NAK offers nothing");
        return;
    }
    if msg.yiaddr.is_unspecified() {
        return;
    }
    // Never an address another client holds.
    let key = req.options.client_identifier().map_or_else(
        || ClientKey::Hardware {
            htype: req.htype,
            addr: req.hardware_address().into(),
        },
        |id| ClientKey::ClientId(id.into()),
    );
    if let Some(held) = before.get(msg.yiaddr).filter(|l| l.occupies(now)) {
        // RFC 2131 section 4.3.3: a declined address is offered and acknowledged to nobody,
        // the decliner included, until its probation ends.
        assert!(
            held.state != LeaseState::Declined,
            "{} handed out under decline probation",
            msg.yiaddr
        );
        assert_eq!(
            held.client, key,
            "{} handed out while held by another client",
            msg.yiaddr
        );
    }
    // Every address given is a pool address or a host's fixed address.
    let fixed = config
        .hosts
        .iter()
        .any(|h| h.fixed_addresses.contains(&msg.yiaddr));
    assert!(
        fixed || before.pool_of(msg.yiaddr).is_some(),
        "{} is in no pool",
        msg.yiaddr
    );
}

/// Checks the database itself: every record is found by address and by client, every active
/// dynamic lease lies in a pool, and no client is bound to two addresses on one network.
pub fn check_db(config: &Config, db: &LeaseDb, now: u64) {
    let mut per_network: HashMap<(ClientKey, Option<u32>), Ipv4Addr> = HashMap::new();
    for lease in db.iter() {
        assert_eq!(
            db.get(lease.address),
            Some(lease),
            "address index lost {}",
            lease.address
        );
        assert!(
            db.by_client(&lease.client).any(|l| l == lease),
            "client index lost {}",
            lease.address
        );
        if lease.state.occupies_address() {
            assert!(
                db.pool_of(lease.address).is_some(),
                "{} active outside every pool",
                lease.address
            );
        }
        if lease.state == LeaseState::Bound && lease.ends > now {
            let network = config
                .subnet_of(lease.address)
                .and_then(|s| config.subnet(s))
                .map(|s| s.network.0);
            let previous = per_network.insert((lease.client.clone(), network), lease.address);
            assert!(
                previous.is_none(),
                "{:?} holds both {previous:?} and {}",
                lease.client,
                lease.address
            );
        }
    }
}

/// The configuration the fuzz target runs against: two links, a relayed authoritative one, a
/// dynamic BOOTP pool and a fixed-address host. `None` only if the builder rejected it, which a
/// test rules out.
pub fn fuzz_config() -> Option<Config> {
    let ip = Ipv4Addr::new;
    Config::builder()
        .default_lease_time(600)
        .offer_hold(30)
        .decline_probation(300)
        .option(
            OptionCode::DOMAIN_NAME_SERVERS,
            Value::IpList(vec![ip(198, 18, 0, 53)]),
        )
        .subnet(Ipv4Net::new(ip(198, 18, 0, 0), 24).ok()?, |s| {
            s.range(ip(198, 18, 0, 100), ip(198, 18, 0, 107)).pool(|p| {
                p.range(ip(198, 18, 0, 200), ip(198, 18, 0, 203))
                    .allow_dynamic_bootp()
            })
        })
        .subnet(Ipv4Net::new(ip(198, 19, 0, 0), 24).ok()?, |s| {
            s.range(ip(198, 19, 0, 100), ip(198, 19, 0, 103))
                .authoritative(true)
        })
        .host("fixed", |h| {
            h.hardware_ethernet([2, 0, 0, 0, 0, 9])
                .fixed_address(ip(198, 18, 0, 9))
        })
        .build()
        .ok()
}

/// One server step on arbitrary bytes: the first octets choose pre-seeded leases, the message
/// type and how the message arrives; the rest is the message (cookie fixed up). Checks the step
/// and the database after it, and that replaying every change rebuilds the database.
pub fn server_step(data: &[u8]) {
    let Some(config) = fuzz_config() else { return };
    let now = 1_700_000_000;
    let (head, body) = data.split_at(data.len().min(4));
    let byte = |i: usize| head.get(i).copied().unwrap_or(0);
    let mut db = LeaseDb::new(&config);
    let mut log = Vec::new();
    // Pre-seed: bound, expired, declined and offered leases for clients 02:..:01 to 02:..:04.
    let seeds = [
        LeaseState::Bound,
        LeaseState::Expired,
        LeaseState::Declined,
        LeaseState::Offered,
    ];
    for (i, state) in seeds.iter().enumerate() {
        if byte(0) & (1 << i) == 0 {
            continue;
        }
        let lease = Lease {
            address: Ipv4Addr::new(198, 18, 0, 100 + i as u8),
            state: *state,
            client: ClientKey::Hardware {
                htype: 1,
                addr: vec![2, 0, 0, 0, 0, 1 + i as u8].into(),
            },
            starts: now - 100,
            ends: if *state == LeaseState::Expired {
                now - 10
            } else {
                now + 100
            },
            hostname: None,
            hardware: None,
            variables: Vec::new(),
            billing: None,
            agent_options: None,
        };
        let change = LeaseChange::Set(lease);
        db.apply(&change);
        log.push(change);
    }
    let mut buf = body.to_vec();
    buf.resize(buf.len().max(240), 0);
    if let Some(cookie) = buf.get_mut(236..240) {
        cookie.copy_from_slice(&[99, 130, 83, 99]);
    }
    let Ok(mut message) = Message::parse_bootp(&buf) else {
        return;
    };
    message.op = charrua_wire::Op::BOOTREQUEST;
    if byte(1) < 200 {
        message
            .options
            .insert(OptionCode::MESSAGE_TYPE, &[byte(1) % 9]);
    }
    let relayed = byte(2) & 1 != 0;
    if relayed {
        message.giaddr = Ipv4Addr::new(198, 19, 0, 1);
    }
    let source = if relayed {
        message.giaddr
    } else {
        message.ciaddr
    };
    let rx = Received {
        message,
        source: SocketAddrV4::new(source, if relayed { 67 } else { 68 }),
        destination: if byte(2) & 2 != 0 {
            Ipv4Addr::new(198, 18, 0, 1)
        } else {
            Ipv4Addr::BROADCAST
        },
        interface_address: Ipv4Addr::new(198, 18, 0, 1),
    };
    let step_now = now + u64::from(byte(3));
    let outcome = Server::handle(&config, &db, &rx, step_now);
    check_step(&config, &db, &rx, step_now, &outcome);
    let changes = match &outcome {
        Outcome::Reply(r) => r.changes.clone(),
        Outcome::Commit(c) => c.clone(),
        Outcome::Ignore(_) => Vec::new(),
    };
    for change in changes {
        db.apply(&change);
        log.push(change);
    }
    check_db(&config, &db, step_now);
    for change in Server::expire(&config, &db, step_now + 1000) {
        db.apply(&change);
        log.push(change);
    }
    check_db(&config, &db, step_now);
    let mut replayed = LeaseDb::new(&config);
    replayed.extend(log);
    assert!(replayed == db, "replay differs from live state");
}

/// The `fqdn` fuzz target body: option 81's octets decoded as dhcpd decodes them, every
/// sub-option read; the host name, when there is one, begins the whole name.
pub fn fqdn_space(data: &[u8]) {
    let Some(space) = crate::config::FqdnSpace::decode(data) else {
        assert!(data.len() < 3, "an option of 3 octets or more is decoded");
        return;
    };
    let get = |field| space.get(field);
    assert!(get(FqdnField::Encoded).is_some());
    if let (Some(host), Some(fqdn)) = (get(FqdnField::Hostname), get(FqdnField::Fqdn)) {
        assert!(fqdn.starts_with(&host), "{host:?} does not begin {fqdn:?}");
    }
    for field in [
        FqdnField::NoClientUpdate,
        FqdnField::ServerUpdate,
        FqdnField::Rcode1,
        FqdnField::Rcode2,
        FqdnField::Domainname,
    ] {
        let _ = get(field);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fuzz_configuration_builds() {
        assert!(super::fuzz_config().is_some());
    }
}
