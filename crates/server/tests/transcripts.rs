//! Transcripts: messages through the server core with changes applied as the daemon applies
//! them, one behaviour per test. Item numbers refer to research/reliability.md section 5.

mod common;

use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_server::config::ScopeBuilder;
use charrua_server::{Destination, IgnoreReason, LeaseState, Outcome};
use charrua_wire::{Message, MessageType, Op, OptionCode, Value};
use common::*;

fn dora(h: &mut Harness, m: [u8; 6]) -> Ipv4Addr {
    let offer = h.send(&direct(discover(m)));
    let addr = reply(&offer).message.yiaddr;
    let ack = h.send(&direct(selecting(m, addr, SERVER)));
    assert_eq!(reply(&ack).message.message_type(), Some(MessageType::ACK));
    addr
}

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
    assert_eq!(codes(m), [53, 54, 51, 58, 59, 1, 15, 6, 3], "items 21-22");
    assert_eq!(m.options.server_identifier(), Some(SERVER));
    assert_eq!(m.options.lease_time(), Some(3600));
    assert_eq!(m.options.renewal_time(), Some(1800), "item 54: T1 = 0.5");
    assert_eq!(
        m.options.rebinding_time(),
        Some(3150),
        "item 54: T2 = 0.875"
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
    let decline = with(
        message(MessageType::DECLINE, mac(1)),
        OptionCode::REQUESTED_ADDRESS,
        &addr.octets(),
    );
    let decline = with(decline, OptionCode::SERVER_IDENTIFIER, &SERVER.octets());
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
fn the_client_identifier_identifies_the_client_and_is_echoed() {
    let mut h = Harness::new(config());
    let id = [0xff, 0, 0, 0, 1, 0, 1, 2, 3];
    let first = with(discover(mac(1)), OptionCode::CLIENT_IDENTIFIER, &id);
    let offer = h.send(&direct(first));
    let addr = reply(&offer).message.yiaddr;
    assert_eq!(
        reply(&offer)
            .message
            .options
            .get(OptionCode::CLIENT_IDENTIFIER),
        Some(&id[..]),
        "RFC 6842"
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

#[test]
fn relayed_requests_use_the_relays_subnet_and_go_back_to_the_relay() {
    let mut h = Harness::new(config());
    let agent = [1, 4, b'p', b'o', b'r', b't', 2, 2, 0xab, 0xcd];
    let msg = with(
        discover(mac(1)),
        OptionCode::RELAY_AGENT_INFORMATION,
        &agent,
    );
    let out = h.send(&relayed(msg));
    let r = reply(&out);
    assert_eq!(r.message.yiaddr.octets()[..3], [198, 19, 0]);
    assert_eq!(
        r.destination,
        Destination::Relay(SocketAddrV4::new(RELAY, 67)),
        "item 25"
    );
    assert_eq!(r.message.giaddr, RELAY);
    assert_eq!(
        r.message.options.value(OptionCode::ROUTERS),
        Some(Ok(Value::IpList(vec![RELAY])))
    );
    assert_eq!(
        codes(&r.message).last(),
        Some(&82),
        "item 23: 82 echoed last"
    );
    assert_eq!(
        r.message.options.get(OptionCode::RELAY_AGENT_INFORMATION),
        Some(&agent[..])
    );
}

#[test]
fn relayed_nak_sets_the_broadcast_bit() {
    let mut h = Harness::new(builder().authoritative(true).build().unwrap());
    let out = h.send(&relayed(init_reboot(mac(1), ip(198, 18, 0, 120))));
    let r = reply(&out);
    assert_eq!(r.message.message_type(), Some(MessageType::NAK));
    assert!(r.message.is_broadcast(), "item 29");
    assert_eq!(
        r.destination,
        Destination::Relay(SocketAddrV4::new(RELAY, 67))
    );
}

#[test]
fn subnet_selection_and_link_selection_override_giaddr() {
    let mut h = Harness::new(config());
    let msg = with(
        discover(mac(1)),
        OptionCode::SUBNET_SELECTION,
        &[198, 18, 0, 0],
    );
    assert_eq!(
        reply(&h.send(&relayed(msg))).message.yiaddr.octets()[..3],
        [198, 18, 0],
        "RFC 3011"
    );
    let link = with(
        discover(mac(2)),
        OptionCode::RELAY_AGENT_INFORMATION,
        &[5, 4, 198, 18, 0, 0],
    );
    assert_eq!(
        reply(&h.send(&relayed(link))).message.yiaddr.octets()[..3],
        [198, 18, 0],
        "RFC 3527"
    );
}

#[test]
fn server_identifier_override_is_sent_and_accepted() {
    let mut h = Harness::new(config());
    let agent = [11, 4, 198, 19, 0, 1];
    let msg = with(
        discover(mac(1)),
        OptionCode::RELAY_AGENT_INFORMATION,
        &agent,
    );
    let offer = h.send(&relayed(msg));
    let r = reply(&offer);
    assert_eq!(
        r.message.options.server_identifier(),
        Some(RELAY),
        "RFC 5107"
    );
    let request = with(
        selecting(mac(1), r.message.yiaddr, RELAY),
        OptionCode::RELAY_AGENT_INFORMATION,
        &agent,
    );
    assert_eq!(
        reply(&h.send(&relayed(request))).message.message_type(),
        Some(MessageType::ACK)
    );
}

#[test]
fn too_many_hops_are_dropped() {
    let mut h = Harness::new(config());
    let rx = relayed(discover(mac(1)));
    let rx = charrua_server::Received {
        message: Message {
            hops: 17,
            ..rx.message.clone()
        },
        ..rx
    };
    assert_eq!(ignored(&h.send(&rx)), IgnoreReason::TooManyHops(17));
}

#[test]
fn maximum_message_size_is_honoured_with_overload() {
    let names: Vec<String> = (0..40).map(|i| format!("search{i}.example.test")).collect();
    let config = builder()
        .option(OptionCode::DOMAIN_SEARCH, Value::DomainList(names))
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    let msg = with(
        discover(mac(1)),
        OptionCode::PARAMETER_REQUEST_LIST,
        &[1, 3, 6, 119],
    );
    let out = h.send(&direct(msg.clone()));
    assert!(
        reply(&out).payload.len() <= 548,
        "item 19: 576-octet datagram without option 57"
    );
    let big = with(msg, OptionCode::MAX_MESSAGE_SIZE, &1500u16.to_be_bytes());
    let out = h.send(&direct(big));
    let r = reply(&out);
    assert!(r.payload.len() > 548 && r.payload.len() <= 1472);
    assert_eq!(Message::parse(&r.payload).unwrap(), r.message);
}

#[test]
fn options_that_cannot_fit_are_dropped_last_requested_first() {
    let huge = Value::Bytes(vec![b'x'; 250]);
    let config = builder()
        .option(OptionCode(224), huge.clone())
        .option(OptionCode(225), huge)
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    let msg = with(
        discover(mac(1)),
        OptionCode::PARAMETER_REQUEST_LIST,
        &[224, 225, 3],
    );
    let m = reply(&h.send(&direct(msg))).message.clone();
    assert!(m.options.contains(OptionCode(224)));
    assert!(m.encode_within(548).is_ok());
}

#[test]
fn infinite_leases_send_no_t1_t2() {
    let mut h = Harness::new(builder().max_lease_time(u32::MAX).build().unwrap());
    let msg = with(
        discover(mac(1)),
        OptionCode::LEASE_TIME,
        &u32::MAX.to_be_bytes(),
    );
    let out = h.send(&direct(msg));
    let m = &reply(&out).message;
    assert_eq!(m.options.lease_time(), Some(u32::MAX), "item 55");
    assert!(!m.options.contains(OptionCode::RENEWAL_TIME));
    let ack = h.send(&direct(with(
        selecting(mac(1), m.yiaddr, SERVER),
        OptionCode::LEASE_TIME,
        &u32::MAX.to_be_bytes(),
    )));
    assert_eq!(
        h.db.get(reply(&ack).message.yiaddr).unwrap().ends,
        u64::MAX,
        "class B22"
    );
}

#[test]
fn offers_and_leases_expire() {
    let mut h = Harness::new(builder().offer_hold(30).build().unwrap());
    let offered = reply(&h.send(&direct(discover(mac(1))))).message.yiaddr;
    let bound = dora(&mut h, mac(2));
    h.advance(31);
    assert_eq!(h.db.get(offered).unwrap().state, LeaseState::Expired);
    h.advance(3600);
    assert_eq!(h.db.get(bound).unwrap().state, LeaseState::Expired);
    assert_eq!(
        reply(&h.send(&direct(discover(mac(2))))).message.yiaddr,
        bound,
        "item 37 (2)"
    );
}

#[test]
fn pools_admit_known_clients_and_classes_as_configured() {
    let config = charrua_server::Config::builder()
        .subnet(NET.parse().unwrap(), |s| {
            s.pool(|p| {
                p.range(ip(198, 18, 0, 10), ip(198, 18, 0, 19))
                    .allow_known_clients()
            })
            .pool(|p| {
                p.range(ip(198, 18, 0, 20), ip(198, 18, 0, 29))
                    .allow_class("pxe")
            })
            .pool(|p| {
                p.range(ip(198, 18, 0, 30), ip(198, 18, 0, 39))
                    .deny_known_clients()
                    .deny_class("pxe")
            })
        })
        .host("known", |h| h.hardware_ethernet(mac(1)))
        .class(
            "pxe",
            charrua_server::config::Match::VendorClassPrefix(b"PXEClient".to_vec()),
            |c| c.filename("pxelinux.0"),
        )
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    let known = reply(&h.send(&direct(discover(mac(1))))).message.yiaddr;
    assert!((10..=19).contains(&known.octets()[3]));
    let pxe = with(
        discover(mac(2)),
        OptionCode::VENDOR_CLASS_IDENTIFIER,
        b"PXEClient:Arch:00007",
    );
    let out = h.send(&direct(pxe));
    let r = reply(&out);
    assert!((20..=29).contains(&r.message.yiaddr.octets()[3]));
    assert_eq!(r.message.boot_file(), b"pxelinux.0", "class parameters");
    let other = reply(&h.send(&direct(discover(mac(3))))).message.yiaddr;
    assert!((30..=39).contains(&other.octets()[3]));
}

#[test]
fn full_pools_give_no_offer() {
    let config = charrua_server::Config::builder()
        .subnet(NET.parse().unwrap(), |s| {
            s.range(ip(198, 18, 0, 10), ip(198, 18, 0, 11))
        })
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    dora(&mut h, mac(1));
    dora(&mut h, mac(2));
    assert_eq!(
        ignored(&h.send(&direct(discover(mac(3))))),
        IgnoreReason::NoFreeAddress,
        "item 41"
    );
}

#[test]
fn fqdn_is_answered_and_host_names_are_sanitized() {
    let mut h = Harness::new(config());
    let msg = with(
        discover(mac(1)),
        OptionCode::HOST_NAME,
        b"bad;name$(reboot)\0",
    );
    let addr = reply(&h.send(&direct(msg.clone()))).message.yiaddr;
    assert_eq!(
        h.db.get(addr).unwrap().hostname.as_deref(),
        Some("badnamereboot")
    );
    let fqdn = with(
        discover(mac(2)),
        OptionCode::CLIENT_FQDN,
        &[0x01, 0, 0, b'p', b'c', b'.', b'e', b'x'],
    );
    let out = h.send(&direct(fqdn));
    let answer = reply(&out)
        .message
        .options
        .get(OptionCode::CLIENT_FQDN)
        .unwrap();
    assert_eq!(
        answer,
        &[0x08 | 0x02, 255, 255, b'p', b'c', b'.', b'e', b'x'],
        "RFC 4702: N and O set"
    );
}

#[test]
fn bootp_clients_get_fixed_or_dynamic_bootp_addresses() {
    let bootp = |m: [u8; 6]| {
        let mut msg = Message {
            xid: 7,
            ..Message::default()
        };
        msg.chaddr[..6].copy_from_slice(&m);
        msg
    };
    let mut h = Harness::new(config());
    let out = h.send(&direct(bootp(FIXED_MAC)));
    let r = reply(&out);
    assert_eq!(r.message.yiaddr, FIXED_IP);
    assert_eq!(r.message.message_type(), None);
    assert!(r.payload.len() <= 300);
    assert_eq!(
        ignored(&h.send(&direct(bootp(mac(1))))),
        IgnoreReason::BootpNotServed,
        "no dynamic bootp pool"
    );
    let config = charrua_server::Config::builder()
        .subnet(NET.parse().unwrap(), |s| {
            s.pool(|p| {
                p.range(ip(198, 18, 0, 10), ip(198, 18, 0, 19))
                    .allow_dynamic_bootp()
            })
        })
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    let addr = reply(&h.send(&direct(bootp(mac(1))))).message.yiaddr;
    assert_eq!(h.db.get(addr).unwrap().ends, u64::MAX);
}

#[test]
fn replies_and_server_message_types_are_not_answered() {
    let mut h = Harness::new(config());
    let offer = Message {
        op: Op::BOOTREPLY,
        ..discover(mac(1))
    };
    assert_eq!(
        ignored(&h.send(&direct(offer))),
        IgnoreReason::NotBootRequest,
        "item 2"
    );
    let ack = message(MessageType::ACK, mac(1));
    assert_eq!(
        ignored(&h.send(&direct(ack))),
        IgnoreReason::UnexpectedMessageType(5),
        "item 61"
    );
}

#[test]
fn replaying_the_change_log_rebuilds_the_database() {
    let mut h = Harness::new(config());
    for i in 1..20 {
        dora(&mut h, mac(i));
    }
    let release = Message {
        ciaddr: h.db.iter().next().unwrap().address,
        ..message(MessageType::RELEASE, mac(1))
    };
    h.send(&unicast(release));
    h.advance(4000);
    assert_eq!(h.replayed(), h.db);
}
