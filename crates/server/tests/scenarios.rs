//! Transcripts of relays, size limits, times, pools, names, BOOTP and replay: messages through
//! the server core with changes applied as the daemon applies them. Item numbers refer to
//! research/reliability.md section 5.

mod common;

use std::net::SocketAddrV4;

use charrua_server::config::{Config, ScopeBuilder};
use charrua_server::{Destination, IgnoreReason, LeaseState};
use charrua_wire::{Message, MessageType, Op, OptionCode, Value};
use common::*;

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

/// ISC's `dhcp-cache-threshold` (server/dhcp.c `reuse_lease`): a binding younger than 25% of
/// its length is acknowledged again as it stands, with what is left of it and nothing written;
/// an older one, or any with the threshold at 0, is extended and written.
#[test]
fn young_bindings_are_acknowledged_again_unchanged() {
    let mut h = Harness::new(builder().build().unwrap());
    let addr = dora(&mut h, mac(1));
    let ends = h.db.get(addr).unwrap().ends;
    h.advance(900);
    let again = h.send(&direct(init_reboot(mac(1), addr)));
    let ack = reply(&again);
    assert_eq!(ack.message.message_type(), Some(MessageType::ACK));
    assert_eq!(ack.message.options.lease_time(), Some(3600 - 900));
    assert!(ack.changes.is_empty(), "nothing written: {:?}", ack.changes);
    assert_eq!(h.db.get(addr).unwrap().ends, ends);

    h.advance(1);
    let later = h.send(&direct(renewing(mac(1), addr)));
    assert_eq!(reply(&later).message.options.lease_time(), Some(3600));
    assert!(!reply(&later).changes.is_empty(), "past 25%: extended");

    let mut off = Harness::new(builder().cache_threshold(0).build().unwrap());
    let addr = dora(&mut off, mac(1));
    off.advance(1);
    let again = off.send(&direct(init_reboot(mac(1), addr)));
    assert_eq!(reply(&again).message.options.lease_time(), Some(3600));
    assert!(
        !reply(&again).changes.is_empty(),
        "threshold 0: always extended"
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
    let config = Config::builder()
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

/// ISC `allow after DATE` opens a pool once the date has passed; `authenticated clients` is no
/// one in dhcpd 4.4 (server/dhcp.c `permitted`).
#[test]
fn pools_open_after_their_date_and_admit_no_authenticated_client() {
    let config = Config::builder()
        .subnet(NET.parse().unwrap(), |s| {
            s.pool(|p| {
                p.range(ip(198, 18, 0, 10), ip(198, 18, 0, 19))
                    .allow_after(T0 + 100)
            })
            .pool(|p| {
                p.range(ip(198, 18, 0, 20), ip(198, 18, 0, 29))
                    .allow_authenticated()
            })
        })
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    assert_eq!(
        ignored(&h.send(&direct(discover(mac(1))))),
        IgnoreReason::NoFreeAddress,
        "before the date, and no client is authenticated"
    );
    h.advance(101);
    let after = reply(&h.send(&direct(discover(mac(1))))).message.yiaddr;
    assert!((10..=19).contains(&after.octets()[3]), "{after}");
}

#[test]
fn full_pools_give_no_offer() {
    let config = Config::builder()
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
    let config = Config::builder()
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

/// An address option set to nothing in a scope (its host names did not resolve) is not sent,
/// and the outer scope's value is not sent in its place, as dhcpd omits an option whose lookup
/// fails (common/tree.c `expr_host_lookup`).
#[test]
fn an_address_option_set_to_nothing_is_withheld_from_outer_scopes() {
    let config = Config::builder()
        .option(
            OptionCode::DOMAIN_NAME_SERVERS,
            Value::IpList(vec![ip(198, 18, 0, 53)]),
        )
        .subnet(NET.parse().unwrap(), |s| {
            s.range(ip(198, 18, 0, 100), ip(198, 18, 0, 199))
                .option(OptionCode::DOMAIN_NAME_SERVERS, Value::IpList(Vec::new()))
        })
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    let offer = h.send(&direct(with(
        discover(mac(1)),
        OptionCode::PARAMETER_REQUEST_LIST,
        &[1, 3, 6],
    )));
    assert!(!reply(&offer)
        .message
        .options
        .contains(OptionCode::DOMAIN_NAME_SERVERS));
}
