//! ISC's `ping-check` in the engine: an offer waits for its address's ICMP probe; silence sends
//! it, an echo reply drops it and abandons the address (server/dhcp.c `do_ping_check`,
//! server/dhcpd.c `lease_pinged`, `lease_ping_timeout`).

mod common;

use charrua_engine::{EngineOptions, LogLevel};
use charrua_server::LeaseState;
use charrua_store::Committed;
use charrua_wire::MessageType;
use common::Lab;

const DISCOVER: MessageType = MessageType::DISCOVER;
const OFFER: MessageType = MessageType::OFFER;

fn options(probes: bool) -> EngineOptions {
    EngineOptions {
        interfaces: vec!["eth0".into()],
        log: LogLevel::Off,
        probes,
        ..EngineOptions::default()
    }
}

#[test]
fn an_offer_waits_for_its_probe_and_leaves_when_no_echo_reply_came_in_a_second() {
    let mut lab = Lab::new(1, options(true));
    lab.advance(0);
    assert_eq!(lab.send(0), [DISCOVER]);
    let probed = lab.engine.poll_probe().expect("an echo to send");
    assert_eq!(lab.engine.poll_probe(), None, "one echo per offer");
    assert_eq!(lab.replies(), [], "the offer waits for the probe");
    // The engine asks to be woken at the probe's deadline: dhcpd's one second.
    assert_eq!(
        lab.engine.poll_timeout(),
        Some(std::time::Duration::from_millis(1000))
    );
    lab.advance(999);
    assert_eq!(lab.replies(), []);
    lab.advance(1);
    assert_eq!(lab.replies(), [OFFER]);
    let offered = lab.engine.db().get(probed).expect("the offer is held");
    assert_eq!(offered.state, LeaseState::Offered);
}

#[test]
fn an_echo_reply_drops_the_offer_and_abandons_the_address_and_the_next_discover_gets_another() {
    let mut lab = Lab::new(1, options(true));
    assert_eq!(lab.send(0), [DISCOVER]);
    let in_use = lab.engine.poll_probe().unwrap();
    // An echo from an address nobody probes changes nothing.
    lab.engine
        .handle_echo_reply(std::net::Ipv4Addr::new(198, 18, 0, 7), lab.now());
    lab.engine.handle_echo_reply(in_use, lab.now());
    lab.advance(2000);
    assert_eq!(lab.replies(), [], "no offer of an address in use");
    assert_eq!(lab.engine.counters().dropped("AddressInUse"), 1);
    // The abandonment is durable, held for the probation time.
    let batch = lab.start_commit().expect("the abandonment is committed");
    assert!(matches!(&batch[..], [charrua_server::LeaseChange::Set(l)]
        if l.address == in_use && l.state == LeaseState::Declined));
    lab.land(Ok(Committed::default()));
    // The client's retransmission is offered another address, probed too.
    lab.advance(4000);
    assert_eq!(lab.send(0), [DISCOVER]);
    let next = lab.engine.poll_probe().expect("the new address is probed");
    assert_ne!(next, in_use);
    lab.advance(1000);
    assert_eq!(lab.replies(), [OFFER]);
    assert_eq!(
        lab.engine.db().get(next).map(|l| l.state),
        Some(LeaseState::Offered)
    );
}

#[test]
fn a_retransmission_while_probing_gets_no_second_offer_and_no_second_probe() {
    let mut lab = Lab::new(1, options(true));
    assert_eq!(lab.send(0), [DISCOVER]);
    assert!(lab.engine.poll_probe().is_some());
    lab.advance(500);
    // The same DISCOVER again (a client retransmits after its own timeout).
    lab.clients[0] = charrua_client::Client::new(
        charrua_client::ClientConfig::new([2, 0, 0, 0, 0, 1], 1),
        lab.ms,
    );
    assert_eq!(lab.send(0), [DISCOVER]);
    assert_eq!(lab.engine.poll_probe(), None);
    lab.advance(500);
    assert_eq!(
        lab.replies(),
        [OFFER],
        "one offer, at the first probe's deadline"
    );
}

#[test]
fn without_probes_the_offer_leaves_at_once() {
    let mut lab = Lab::new(1, options(false));
    assert_eq!(lab.send(0), [DISCOVER]);
    assert_eq!(lab.engine.poll_probe(), None);
    assert_eq!(lab.replies(), [OFFER]);
}

#[test]
fn offers_held_at_once_leave_each_at_its_own_deadline() {
    let mut lab = Lab::new(3, options(true));
    lab.advance(0);
    for i in 0..3 {
        assert_eq!(lab.send(i), [DISCOVER]);
        assert!(lab.engine.poll_probe().is_some());
        lab.advance(100);
    }
    // At 300 ms: none is due; then one each 100 ms from 1000 ms.
    lab.advance(600);
    assert_eq!(lab.replies(), []);
    for _ in 0..3 {
        lab.advance(100);
        assert_eq!(lab.replies(), [OFFER]);
    }
}
