//! Transcripts: messages through the server core with changes applied as the daemon applies
//! them, one behaviour per test. Item numbers refer to research/reliability.md section 5.

mod common;

use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_server::config::{Config, ScopeBuilder};
use charrua_server::{Destination, IgnoreReason, LeaseState, Outcome};
use charrua_wire::{Message, MessageType, Op, OptionCode, Value};
use common::*;

#[test]
fn discover_gets_an_offer_held_in_memory_then_request_binds_it() {
    let mut h = Harness::new(config());
    let offer = h.send(&direct(discover(mac(1))));
    let r = reply(&offer);
    assert_eq!(r.message.op, Op::BOOTREPLY);
    assert_eq!(r.message.message_type(), Some(MessageType::OFFER));
    let addr = r.message.yiaddr;
    assert!((100..=199).contains(&addr.octets()[3]) && addr.octets()[..3] == [198, 18, 0]);
    assert_eq!(
        r.message.xid, 0x1234_0001,
        "item 42: OFFER carries the DISCOVER's xid"
    );
    assert_eq!(r.message.ciaddr, Ipv4Addr::UNSPECIFIED);
    assert_eq!(
        r.destination,
        link(addr, mac(1)),
        "item 28: unicast to yiaddr at chaddr"
    );
    assert_eq!(h.db.get(addr).unwrap().state, LeaseState::Offered);
    assert!(
        !r.changes[0].is_durable(),
        "item 42, D3: offers are not persisted"
    );

    let ack = h.send(&direct(selecting(mac(1), addr, SERVER)));
    let r = reply(&ack);
    assert_eq!(r.message.message_type(), Some(MessageType::ACK));
    assert_eq!(r.message.yiaddr, addr);
    assert!(r.changes.iter().all(|c| c.is_durable()));
    let lease = h.db.get(addr).unwrap();
    assert_eq!(lease.state, LeaseState::Bound);
    assert_eq!(lease.ends, T0 + 3600);
}

#[test]
fn replies_put_53_54_and_times_first_then_the_requested_options_in_client_order() {
    let mut h = Harness::new(config());
    let msg = with(
        message(MessageType::DISCOVER, mac(1)),
        OptionCode::PARAMETER_REQUEST_LIST,
        &[15, 6, 3, 99, 1],
    );
    let offer = h.send(&direct(msg));
    let m = &reply(&offer).message;
    // No T1/T2 unless configured, as dhcpd (bench/isc-diff); the client takes 0.5 and 0.875.
    assert_eq!(codes(m), [53, 54, 51, 1, 15, 6, 3], "items 21-22");
    assert_eq!(m.options.server_identifier(), Some(SERVER));
    assert_eq!(m.options.lease_time(), Some(3600));
    let mut timed = Harness::new(
        builder()
            .renewal_time(1000)
            .rebinding_time(2000)
            .build()
            .unwrap(),
    );
    let offer = timed.send(&direct(message(MessageType::DISCOVER, mac(1))));
    let m = &reply(&offer).message;
    assert_eq!(
        m.options.renewal_time(),
        Some(1000),
        "item 54: T1 as configured"
    );
    assert_eq!(
        m.options.rebinding_time(),
        Some(2000),
        "item 54: T2 as configured"
    );
    assert_eq!(
        m.options.value(OptionCode::ROUTERS),
        Some(Ok(Value::IpList(vec![SERVER])))
    );
    assert!(
        !m.options.contains(OptionCode::PARAMETER_REQUEST_LIST),
        "item 22"
    );
}

#[test]
fn without_a_parameter_request_list_every_configured_option_goes() {
    let mut h = Harness::new(config());
    let offer = h.send(&direct(message(MessageType::DISCOVER, mac(1))));
    let m = &reply(&offer).message;
    for code in [
        OptionCode::ROUTERS,
        OptionCode::DOMAIN_NAME_SERVERS,
        OptionCode::DOMAIN_NAME,
    ] {
        assert!(m.options.contains(code), "{code}");
    }
}

#[test]
fn repeated_discover_gets_the_same_offer_and_clients_get_different_addresses() {
    let mut h = Harness::new(config());
    let a = reply(&h.send(&direct(discover(mac(1))))).message.yiaddr;
    let again = reply(&h.send(&direct(discover(mac(1))))).message.yiaddr;
    let b = reply(&h.send(&direct(discover(mac(2))))).message.yiaddr;
    assert_eq!(a, again, "item 37 (1): the held offer");
    assert_ne!(a, b);
}

#[test]
fn the_requested_address_is_offered_when_free() {
    let mut h = Harness::new(config());
    let wanted = ip(198, 18, 0, 150);
    let msg = with(
        discover(mac(1)),
        OptionCode::REQUESTED_ADDRESS,
        &wanted.octets(),
    );
    assert_eq!(reply(&h.send(&direct(msg))).message.yiaddr, wanted);
    let taken = with(
        discover(mac(2)),
        OptionCode::REQUESTED_ADDRESS,
        &wanted.octets(),
    );
    assert_ne!(reply(&h.send(&direct(taken))).message.yiaddr, wanted);
}

#[test]
fn the_broadcast_bit_makes_replies_broadcast() {
    let mut h = Harness::new(config());
    let msg = Message {
        flags: Message::BROADCAST,
        ..discover(mac(1))
    };
    assert_eq!(
        reply(&h.send(&direct(msg))).destination,
        Destination::Broadcast,
        "item 27"
    );
}

#[test]
fn a_request_for_another_server_frees_the_held_offer() {
    let mut h = Harness::new(config());
    let addr = reply(&h.send(&direct(discover(mac(1))))).message.yiaddr;
    let out = h.send(&direct(selecting(mac(1), addr, ip(198, 18, 0, 2))));
    assert!(
        matches!(out, Outcome::Commit(_)),
        "item 35: silence, offer released"
    );
    assert_eq!(h.db.get(addr).unwrap().state, LeaseState::Expired);
    assert_eq!(
        ignored(&h.send(&direct(selecting(mac(1), addr, ip(198, 18, 0, 2))))),
        IgnoreReason::OtherServer
    );
}

#[test]
fn selecting_an_address_bound_to_another_client_is_nakked() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(1));
    let out = h.send(&direct(selecting(mac(2), addr, SERVER)));
    let r = reply(&out);
    assert_eq!(r.message.message_type(), Some(MessageType::NAK));
    assert_eq!(r.destination, Destination::Broadcast, "item 29");
    assert_eq!(
        codes(&r.message),
        [53, 54, 56],
        "item 22: a NAK carries nothing else"
    );
    assert_eq!(r.message.yiaddr, Ipv4Addr::UNSPECIFIED);
    assert_eq!(
        h.db.get(addr).unwrap().client,
        h.db.get(addr).unwrap().client
    );
}

#[test]
fn init_reboot_acks_the_clients_own_address_and_naks_another() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(1));
    let ack = h.send(&direct(init_reboot(mac(1), addr)));
    assert_eq!(
        reply(&ack).message.message_type(),
        Some(MessageType::ACK),
        "item 45: known and correct"
    );
    let nak = h.send(&direct(init_reboot(mac(1), ip(198, 18, 0, 180))));
    assert_eq!(
        reply(&nak).message.message_type(),
        Some(MessageType::NAK),
        "item 45: known and wrong"
    );
}

#[test]
fn init_reboot_from_an_unknown_client_is_silent_unless_authoritative() {
    let mut h = Harness::new(config());
    let msg = init_reboot(mac(7), ip(198, 18, 0, 120));
    assert_eq!(
        ignored(&h.send(&direct(msg.clone()))),
        IgnoreReason::UnknownClient,
        "item 45 MUST"
    );
    let mut auth = Harness::new(builder().authoritative(true).build().unwrap());
    let out = auth.send(&direct(msg));
    assert_eq!(
        reply(&out).message.message_type(),
        Some(MessageType::ACK),
        "free address confirmed (D13)"
    );
    assert_eq!(
        auth.db.get(ip(198, 18, 0, 120)).unwrap().state,
        LeaseState::Bound
    );
}

#[test]
fn init_reboot_on_the_wrong_network_is_nakked_only_when_authoritative() {
    let msg = init_reboot(mac(1), ip(203, 0, 113, 5));
    let mut h = Harness::new(config());
    assert_eq!(
        ignored(&h.send(&direct(msg.clone()))),
        IgnoreReason::WrongNetwork
    );
    let mut auth = Harness::new(builder().authoritative(true).build().unwrap());
    let out = auth.send(&direct(msg));
    assert_eq!(reply(&out).message.message_type(), Some(MessageType::NAK));
}

#[test]
fn renewing_extends_the_lease_and_answers_to_ciaddr() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(1));
    h.advance(1800);
    let out = h.send(&unicast(renewing(mac(1), addr)));
    let r = reply(&out);
    assert_eq!(r.message.message_type(), Some(MessageType::ACK));
    assert_eq!(
        r.message.ciaddr, addr,
        "item 16: ACK ciaddr is the request's"
    );
    assert_eq!(
        r.destination,
        Destination::Unicast(SocketAddrV4::new(addr, 68)),
        "item 26"
    );
    assert_eq!(h.db.get(addr).unwrap().ends, T0 + 1800 + 3600);
}

#[test]
fn rebinding_is_answered_the_same_way() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(1));
    let out = h.send(&direct(renewing(mac(1), addr)));
    assert_eq!(
        reply(&out).destination,
        Destination::Unicast(SocketAddrV4::new(addr, 68))
    );
}

#[test]
fn renewing_an_unknown_lease_is_silent_and_someone_elses_is_nakked() {
    let mut h = Harness::new(config());
    assert_eq!(
        ignored(&h.send(&unicast(renewing(mac(1), ip(198, 18, 0, 120))))),
        IgnoreReason::UnknownClient
    );
    let addr = dora(&mut h, mac(1));
    let out = h.send(&unicast(renewing(mac(2), addr)));
    assert_eq!(reply(&out).message.message_type(), Some(MessageType::NAK));
}

#[test]
fn an_authoritative_server_naks_unknown_renewals_but_not_unknown_rebinds() {
    let mut h = Harness::new(builder().authoritative(true).build().unwrap());
    let msg = renewing(mac(1), ip(198, 18, 0, 120));
    let out = h.send(&unicast(msg.clone()));
    assert_eq!(reply(&out).message.message_type(), Some(MessageType::NAK));
    assert_eq!(ignored(&h.send(&direct(msg))), IgnoreReason::UnknownClient);
}

#[test]
fn release_frees_the_address_and_the_client_gets_it_back() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(1));
    let out = h.send(&unicast(renewing(mac(1), addr)).clone());
    assert!(matches!(out, Outcome::Reply(_)));
    let release = Message {
        ciaddr: addr,
        ..message(MessageType::RELEASE, mac(1))
    };
    assert!(matches!(h.send(&unicast(release)), Outcome::Commit(_)));
    assert_eq!(h.db.get(addr).unwrap().state, LeaseState::Released);
    assert_eq!(
        reply(&h.send(&direct(discover(mac(1))))).message.yiaddr,
        addr,
        "item 37 (2)"
    );
}

#[test]
fn release_by_someone_else_or_for_another_address_is_ignored() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(1));
    let other = Message {
        ciaddr: addr,
        ..message(MessageType::RELEASE, mac(2))
    };
    assert_eq!(
        ignored(&h.send(&unicast(other))),
        IgnoreReason::NotOwner,
        "rule A6"
    );
    let wrong = Message {
        ciaddr: ip(198, 18, 0, 199),
        ..message(MessageType::RELEASE, mac(1))
    };
    assert_eq!(ignored(&h.send(&unicast(wrong))), IgnoreReason::NotOwner);
    assert_eq!(h.db.get(addr).unwrap().state, LeaseState::Bound);
}

#[test]
fn decline_takes_the_address_out_until_probation_ends() {
    let mut h = Harness::new(builder().decline_probation(600).build().unwrap());
    let addr = dora(&mut h, mac(1));
    let decline = decline(mac(1), addr);
    assert!(
        matches!(h.send(&direct(decline)), Outcome::Commit(_)),
        "item 50: no reply"
    );
    assert_eq!(h.db.get(addr).unwrap().state, LeaseState::Declined);
    let wanting = with(
        discover(mac(2)),
        OptionCode::REQUESTED_ADDRESS,
        &addr.octets(),
    );
    assert_ne!(
        reply(&h.send(&direct(wanting.clone()))).message.yiaddr,
        addr
    );
    h.advance(601);
    assert!(h.db.get(addr).is_none(), "probation over");
    assert_eq!(
        reply(&h.send(&direct(with(
            discover(mac(3)),
            OptionCode::REQUESTED_ADDRESS,
            &addr.octets()
        ))))
        .message
        .yiaddr,
        addr
    );
}

/// RFC 2131 section 4.3.3: the declined address is not available, to the decliner either, until
/// probation ends: a new DISCOVER gets another address even when it asks for the declined one,
/// and a REQUEST for it is refused in every state.
#[test]
fn the_decliner_asking_again_gets_another_address() {
    let mut h = Harness::new(builder().decline_probation(600).build().unwrap());
    let addr = dora(&mut h, mac(1));
    let decline = decline(mac(1), addr);
    assert!(matches!(h.send(&direct(decline)), Outcome::Commit(_)));
    let again = reply(&h.send(&direct(discover(mac(1))))).message.yiaddr;
    assert_ne!(again, addr, "the declined address offered to its decliner");
    let asking = with(
        discover(mac(1)),
        OptionCode::REQUESTED_ADDRESS,
        &addr.octets(),
    );
    assert_ne!(reply(&h.send(&direct(asking))).message.yiaddr, addr);
    for request in [selecting(mac(1), addr, SERVER), init_reboot(mac(1), addr)] {
        let out = h.send(&direct(request));
        assert_eq!(
            reply(&out).message.message_type(),
            Some(MessageType::NAK),
            "a request for the declined address"
        );
    }
    let ack = h.send(&direct(selecting(mac(1), again, SERVER)));
    assert_eq!(reply(&ack).message.message_type(), Some(MessageType::ACK));
    assert_eq!(h.db.get(addr).unwrap().state, LeaseState::Declined);
}

/// RFC 2131 section 4.3.4: a released address is not allocated. Its former client gets it back
/// when nobody else wants it (section 4.3.1), but another client that asks for it gets it.
#[test]
fn a_released_address_goes_to_another_client_that_asks_for_it() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(1));
    let release = Message {
        ciaddr: addr,
        ..message(MessageType::RELEASE, mac(1))
    };
    assert!(matches!(h.send(&unicast(release)), Outcome::Commit(_)));
    let asking = with(
        discover(mac(2)),
        OptionCode::REQUESTED_ADDRESS,
        &addr.octets(),
    );
    assert_eq!(reply(&h.send(&direct(asking))).message.yiaddr, addr);
    let ack = h.send(&direct(selecting(mac(2), addr, SERVER)));
    assert_eq!(reply(&ack).message.message_type(), Some(MessageType::ACK));
    assert_ne!(
        reply(&h.send(&direct(discover(mac(1))))).message.yiaddr,
        addr,
        "the former client gets another address"
    );
    // The same through INIT-REBOOT: a client that remembers the address asks for it directly.
    let mut h = Harness::new(builder().authoritative(true).build().unwrap());
    let addr = dora(&mut h, mac(1));
    let release = Message {
        ciaddr: addr,
        ..message(MessageType::RELEASE, mac(1))
    };
    assert!(matches!(h.send(&unicast(release)), Outcome::Commit(_)));
    let ack = h.send(&direct(init_reboot(mac(3), addr)));
    assert_eq!(reply(&ack).message.message_type(), Some(MessageType::ACK));
    assert_eq!(reply(&ack).message.yiaddr, addr);
}

#[test]
fn decline_of_an_address_the_client_does_not_hold_is_ignored() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(1));
    let decline = with(
        message(MessageType::DECLINE, mac(2)),
        OptionCode::REQUESTED_ADDRESS,
        &addr.octets(),
    );
    assert_eq!(
        ignored(&h.send(&direct(decline))),
        IgnoreReason::NotOwner,
        "rule A5"
    );
    let no_addr = message(MessageType::DECLINE, mac(1));
    assert_eq!(
        ignored(&h.send(&direct(no_addr))),
        IgnoreReason::NoRequestedAddress
    );
}

#[test]
fn inform_gets_parameters_without_a_lease() {
    let mut h = Harness::new(config());
    let client = ip(198, 18, 0, 50);
    let inform = Message {
        ciaddr: client,
        ..discover(mac(1))
    };
    let inform = with(inform, OptionCode::MESSAGE_TYPE, &[MessageType::INFORM.0]);
    let out = h.send(&unicast(inform));
    let r = reply(&out);
    assert_eq!(r.message.message_type(), Some(MessageType::ACK));
    assert_eq!(r.message.yiaddr, Ipv4Addr::UNSPECIFIED, "item 52");
    for code in [
        OptionCode::LEASE_TIME,
        OptionCode::RENEWAL_TIME,
        OptionCode::REBINDING_TIME,
    ] {
        assert!(
            !r.message.options.contains(code),
            "item 52: no lease time ({code})"
        );
    }
    assert!(r.message.options.contains(OptionCode::ROUTERS));
    assert_eq!(
        r.destination,
        Destination::Unicast(SocketAddrV4::new(client, 68)),
        "item 30"
    );
    assert!(r.changes.is_empty() && h.db.is_empty());
}

#[test]
fn inform_from_outside_our_subnets_is_ignored() {
    let mut h = Harness::new(config());
    let inform = Message {
        ciaddr: ip(203, 0, 113, 5),
        ..message(MessageType::INFORM, mac(1))
    };
    assert_eq!(
        ignored(&h.send(&unicast(inform))),
        IgnoreReason::InformFromUnknownNetwork,
        "rule A7"
    );
}

#[test]
fn a_fixed_address_host_gets_its_address_and_no_lease_record() {
    let mut h = Harness::new(config());
    let offer = h.send(&direct(discover(FIXED_MAC)));
    assert_eq!(reply(&offer).message.yiaddr, FIXED_IP);
    let ack = h.send(&direct(selecting(FIXED_MAC, FIXED_IP, SERVER)));
    assert_eq!(reply(&ack).message.yiaddr, FIXED_IP);
    assert!(h.db.is_empty());
}

#[test]
fn the_client_identifier_identifies_the_client_and_is_echoed_where_configured() {
    let mut h = Harness::new(config());
    let id = [0xff, 0, 0, 0, 1, 0, 1, 2, 3];
    let first = with(discover(mac(1)), OptionCode::CLIENT_IDENTIFIER, &id);
    let offer = h.send(&direct(first.clone()));
    let addr = reply(&offer).message.yiaddr;
    // dhcpd sends option 61 back only with `echo-client-id true` (bench/isc-diff).
    let echoed = |out: &Outcome| {
        reply(out)
            .message
            .options
            .get(OptionCode::CLIENT_IDENTIFIER)
            .map(<[u8]>::to_vec)
    };
    assert_eq!(echoed(&offer), None, "dhcpd's default");
    let mut echoing = Harness::new(builder().echo_client_id(true).build().unwrap());
    assert_eq!(
        echoed(&echoing.send(&direct(first))),
        Some(id.to_vec()),
        "RFC 6842, with echo-client-id"
    );
    let new_nic = with(discover(mac(2)), OptionCode::CLIENT_IDENTIFIER, &id);
    assert_eq!(
        reply(&h.send(&direct(new_nic))).message.yiaddr,
        addr,
        "item 48"
    );
}

#[test]
fn rapid_commit_binds_at_once_when_enabled() {
    let msg = with(discover(mac(1)), OptionCode::RAPID_COMMIT, &[]);
    let mut off = Harness::new(config());
    assert_eq!(
        reply(&off.send(&direct(msg.clone())))
            .message
            .message_type(),
        Some(MessageType::OFFER)
    );
    let mut on = Harness::new(builder().rapid_commit(true).build().unwrap());
    let out = on.send(&direct(msg));
    let r = reply(&out);
    assert_eq!(r.message.message_type(), Some(MessageType::ACK));
    assert!(r.message.options.contains(OptionCode::RAPID_COMMIT));
    assert_eq!(
        on.db.get(r.message.yiaddr).unwrap().state,
        LeaseState::Bound
    );
}

/// ISC `boot-unknown-clients false` (or `deny unknown-clients` outside a pool): a client that no
/// host declaration names gets no address, a declared one does; failing open would serve the
/// clients the operator shut out.
#[test]
fn unknown_clients_are_not_served_where_they_are_denied() {
    let config = Config::builder()
        .subnet(NET.parse().unwrap(), |s| {
            s.range(ip(198, 18, 0, 100), ip(198, 18, 0, 199))
                .boot_unknown_clients(false)
        })
        .host("known", |h| h.hardware_ethernet(mac(7)))
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    assert_eq!(
        ignored(&h.send(&direct(discover(mac(1))))),
        IgnoreReason::UnknownClientDenied
    );
    assert_eq!(
        ignored(&h.send(&direct(selecting(mac(1), ip(198, 18, 0, 100), SERVER)))),
        IgnoreReason::UnknownClientDenied
    );
    let offer = h.send(&direct(discover(mac(7))));
    assert_eq!(
        reply(&offer).message.message_type(),
        Some(MessageType::OFFER)
    );
}

/// ISC `deny booting` / `ignore booting` in a host: that client is not answered at all, but what
/// frees an address is still handled.
#[test]
fn a_host_denied_booting_is_not_answered() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(8));
    let config = builder()
        .host("silenced", |h| h.hardware_ethernet(mac(8)).booting(false))
        .build()
        .unwrap();
    h.config = config;
    assert_eq!(
        ignored(&h.send(&direct(discover(mac(8))))),
        IgnoreReason::BootingDenied
    );
    assert_eq!(
        ignored(&h.send(&unicast(renewing(mac(8), addr)))),
        IgnoreReason::BootingDenied
    );
    let release = Message {
        ciaddr: addr,
        ..message(MessageType::RELEASE, mac(8))
    };
    assert!(matches!(h.send(&unicast(release)), Outcome::Commit(_)));
}

#[test]
fn use_host_decl_names_sends_a_hosts_name_when_asked_for_it_as_dhcpd() {
    let asking = |mac| with(discover(mac), OptionCode::PARAMETER_REQUEST_LIST, &[1, 12]);
    let host_name = |h: &mut Harness, msg| {
        let out = h.send(&direct(msg));
        reply(&out)
            .message
            .options
            .get(OptionCode::HOST_NAME)
            .map(<[u8]>::to_vec)
    };
    let mut off = Harness::new(config());
    assert_eq!(
        host_name(&mut off, asking(FIXED_MAC)),
        None,
        "off by default"
    );
    let mut on = Harness::new(builder().use_host_decl_names(true).build().unwrap());
    assert_eq!(
        host_name(&mut on, asking(FIXED_MAC)),
        Some(b"fixed".to_vec()),
        "the host declaration's name (bench/isc-diff: hosts.conf)"
    );
    let not_asking = with(
        discover(FIXED_MAC),
        OptionCode::PARAMETER_REQUEST_LIST,
        &[1],
    );
    assert_eq!(host_name(&mut on, not_asking), None, "only when requested");
    assert_eq!(
        host_name(&mut on, asking(mac(1))),
        None,
        "a client no host names"
    );
}
