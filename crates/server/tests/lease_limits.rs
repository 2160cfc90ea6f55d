//! ISC dhcpd's class lease limits (`lease limit`, server/dhcp.c `ack_lease` "per-class
//! billing", server/class.c `bill_class`): a class, or each of its spawned subclasses, holds at
//! most its limit of bindings; offers bill nothing; a release or an expiry frees the place.

mod common;

use charrua_server::config::{Expr, LeaseLimit, Match};
use charrua_server::{Billing, IgnoreReason, LeaseState};
use charrua_wire::{Message, MessageType, OptionCode};
use common::*;

/// Relayed clients billed per relay circuit (option 82 sub-option 1): two leases each.
fn per_circuit() -> Harness {
    let circuit = Expr::AgentOption(1);
    let config = builder()
        .class(
            "per-port",
            Match::Subclass {
                value: Box::new(circuit.clone()),
                members: Default::default(),
                spawning: true,
            },
            |c| {
                c.lease_limit(LeaseLimit {
                    limit: 2,
                    subclass: Some(circuit),
                    subclass_limits: [(b"uplink".to_vec(), 3)].into(),
                })
            },
        )
        .build()
        .unwrap();
    Harness::new(config)
}

fn on_circuit(m: [u8; 6], kind: MessageType, circuit: &[u8]) -> Message {
    let mut agent = vec![1, circuit.len() as u8];
    agent.extend_from_slice(circuit);
    let mut msg = with(
        message(kind, m),
        OptionCode::RELAY_AGENT_INFORMATION,
        &agent,
    );
    msg.giaddr = RELAY;
    msg.hops = 1;
    msg
}

/// DISCOVER and REQUEST through the relay on `circuit`; the address acknowledged, or why
/// there was no reply.
fn lease_on(
    h: &mut Harness,
    m: [u8; 6],
    circuit: &[u8],
) -> Result<std::net::Ipv4Addr, IgnoreReason> {
    let offer = h.send(&relayed(on_circuit(m, MessageType::DISCOVER, circuit)));
    if let charrua_server::Outcome::Ignore(why) = offer {
        return Err(why);
    }
    let addr = reply(&offer).message.yiaddr;
    let mut request = on_circuit(m, MessageType::REQUEST, circuit);
    request
        .options
        .insert(OptionCode::SERVER_IDENTIFIER, &SERVER.octets());
    request
        .options
        .insert(OptionCode::REQUESTED_ADDRESS, &addr.octets());
    match h.send(&relayed(request)) {
        charrua_server::Outcome::Ignore(why) => Err(why),
        ack => {
            assert_eq!(reply(&ack).message.message_type(), Some(MessageType::ACK));
            Ok(addr)
        }
    }
}

#[test]
fn each_spawned_subclass_holds_its_limit_and_no_more() {
    let mut h = per_circuit();
    let first = lease_on(&mut h, mac(1), b"port-1").unwrap();
    lease_on(&mut h, mac(2), b"port-1").unwrap();
    assert_eq!(
        lease_on(&mut h, mac(3), b"port-1"),
        Err(IgnoreReason::LeaseLimitReached),
        "a third client on the port gets no offer"
    );
    // Another port is another subclass; a declared subclass has its own limit.
    lease_on(&mut h, mac(3), b"port-2").unwrap();
    for n in 4..7 {
        lease_on(&mut h, mac(n), b"uplink").unwrap();
    }
    assert!(lease_on(&mut h, mac(7), b"uplink").is_err());
    assert_eq!(
        h.db.get(first).and_then(|l| l.billing.as_deref().cloned()),
        Billing::new("per-port", Some(b"port-1"))
    );
    // A client already billed renews within the limit.
    let renewal = h.send(&relayed(Message {
        ciaddr: first,
        ..on_circuit(mac(1), MessageType::REQUEST, b"port-1")
    }));
    assert_eq!(
        reply(&renewal).message.message_type(),
        Some(MessageType::ACK)
    );
    assert_eq!(h.replayed(), h.db);
}

#[test]
fn offers_bill_nothing_and_releases_and_expiries_free_the_place() {
    let mut h = per_circuit();
    // Offers to many clients do not fill the port: only bindings count.
    for n in 10..15 {
        let offer = h.send(&relayed(on_circuit(mac(n), MessageType::DISCOVER, b"p")));
        assert_eq!(
            reply(&offer).message.message_type(),
            Some(MessageType::OFFER)
        );
    }
    let a = lease_on(&mut h, mac(1), b"p").unwrap();
    lease_on(&mut h, mac(2), b"p").unwrap();
    assert!(lease_on(&mut h, mac(3), b"p").is_err());
    // A release frees a place.
    let mut release = on_circuit(mac(1), MessageType::RELEASE, b"p");
    release.ciaddr = a;
    release
        .options
        .insert(OptionCode::SERVER_IDENTIFIER, &SERVER.octets());
    h.send(&relayed(release));
    assert_eq!(h.db.get(a).map(|l| l.state), Some(LeaseState::Released));
    assert_eq!(h.db.get(a).and_then(|l| l.billing.as_deref()), None);
    lease_on(&mut h, mac(3), b"p").unwrap();
    assert!(lease_on(&mut h, mac(4), b"p").is_err());
    // Leases that run out free theirs.
    h.advance(7200);
    lease_on(&mut h, mac(4), b"p").unwrap();
    assert_eq!(h.replayed(), h.db);
}

#[test]
fn fixed_addresses_and_clients_outside_limited_classes_are_not_billed() {
    let mut h = per_circuit();
    // Not relayed: no circuit, not in the class.
    for n in 1..5 {
        let addr = dora(&mut h, mac(n));
        assert_eq!(
            h.db.get(addr).and_then(|l| l.billing.as_deref().cloned()),
            None
        );
    }
    // Everyone in one class of one lease: the host with a fixed address is not billed.
    let config = builder()
        .class("everyone", Match::All(Vec::new()), |c| {
            c.lease_limit(LeaseLimit {
                limit: 1,
                subclass: None,
                subclass_limits: Default::default(),
            })
        })
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    let addr = dora(&mut h, mac(1));
    assert_eq!(
        h.db.get(addr).and_then(|l| l.billing.as_deref().cloned()),
        Billing::new("everyone", None)
    );
    assert_eq!(
        ignored(&h.send(&direct(discover(mac(2))))),
        IgnoreReason::LeaseLimitReached
    );
    let ack = h.send(&direct(selecting(FIXED_MAC, FIXED_IP, SERVER)));
    assert_eq!(reply(&ack).message.message_type(), Some(MessageType::ACK));
}
