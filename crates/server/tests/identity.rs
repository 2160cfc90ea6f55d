//! Client-identity and odd-semantics edge cases from research/reliability.md section 1.7
//! (B6, B7, B15, B16, B19, B24): each gets a typed Ignore or a well-formed reply, and the server
//! still answers a normal DISCOVER afterwards.

mod common;

use charrua_server::{IgnoreReason, Outcome};
use charrua_wire::{Message, MessageType, Op, OptionCode};
use common::*;

/// The Forge pattern: after the odd input, a plain DISCOVER still gets an OFFER.
fn still_alive(h: &mut Harness) {
    let offer = h.send(&direct(discover(mac(200))));
    assert_eq!(
        reply(&offer).message.message_type(),
        Some(MessageType::OFFER)
    );
}

#[test]
fn b06_client_identifier_shorter_than_two_falls_back_to_chaddr() {
    let mut h = Harness::new(config());
    let msg = with(discover(mac(1)), OptionCode::CLIENT_IDENTIFIER, &[7]);
    let addr = reply(&h.send(&direct(msg))).message.yiaddr;
    let plain = reply(&h.send(&direct(discover(mac(1))))).message.yiaddr;
    assert_eq!(addr, plain, "same client: identified by chaddr");
    let empty_name = with(discover(mac(2)), OptionCode::HOST_NAME, &[]);
    assert!(matches!(h.send(&direct(empty_name)), Outcome::Reply(_)));
    still_alive(&mut h);
}

#[test]
fn b07_oversize_client_identifiers_are_refused() {
    let mut h = Harness::new(config());
    let mut options = discover(mac(1));
    options
        .options
        .insert(OptionCode::CLIENT_IDENTIFIER, &[0xab; 1000]);
    assert_eq!(
        ignored(&h.send(&direct(options))),
        IgnoreReason::NoClientIdentity
    );
    let max = with(
        discover(mac(2)),
        OptionCode::CLIENT_IDENTIFIER,
        &[0xcd; 255],
    );
    let out = h.send(&direct(max));
    assert!(reply(&out).payload.len() <= 548);
    still_alive(&mut h);
}

#[test]
fn b15_no_identity_at_all_is_refused_before_allocation() {
    let mut h = Harness::new(config());
    let zero = discover([0; 6]);
    assert_eq!(
        ignored(&h.send(&direct(zero))),
        IgnoreReason::NoClientIdentity
    );
    let no_hlen = Message {
        hlen: 0,
        ..discover(mac(1))
    };
    assert_eq!(
        ignored(&h.send(&direct(no_hlen))),
        IgnoreReason::NoClientIdentity
    );
    assert!(h.db.is_empty());
    still_alive(&mut h);
}

#[test]
fn b16_hlen_over_16_needs_a_client_identifier() {
    let mut h = Harness::new(config());
    let odd = Message {
        htype: 32,
        hlen: 20,
        ..discover(mac(1))
    };
    assert_eq!(
        ignored(&h.send(&direct(odd.clone()))),
        IgnoreReason::NoClientIdentity
    );
    let with_id = with(
        odd,
        OptionCode::CLIENT_IDENTIFIER,
        &[32, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    let out = h.send(&direct(with_id));
    assert_eq!(
        reply(&out).destination,
        charrua_server::Destination::Broadcast
    );
    still_alive(&mut h);
}

#[test]
fn b19_odd_semantics_each_get_a_defined_answer() {
    let mut h = Harness::new(config());
    // REQUEST with ciaddr and a foreign server identifier.
    let foreign = with(
        renewing(mac(1), ip(198, 18, 0, 120)),
        OptionCode::SERVER_IDENTIFIER,
        &[198, 18, 0, 2],
    );
    assert_eq!(
        ignored(&h.send(&unicast(foreign))),
        IgnoreReason::OtherServer
    );
    // DISCOVER with a server identifier: answered (item 36).
    let sid = with(
        discover(mac(2)),
        OptionCode::SERVER_IDENTIFIER,
        &SERVER.octets(),
    );
    assert!(matches!(h.send(&direct(sid)), Outcome::Reply(_)));
    // INFORM with ciaddr 0 from 0.0.0.0.
    let inform = message(MessageType::INFORM, mac(3));
    assert_eq!(
        ignored(&h.send(&direct(inform))),
        IgnoreReason::InformFromUnknownNetwork
    );
    // REQUEST with neither requested address nor ciaddr.
    let empty = message(MessageType::REQUEST, mac(4));
    assert_eq!(
        ignored(&h.send(&direct(empty))),
        IgnoreReason::MalformedRequest
    );
    // A BOOTREPLY sent to the server.
    let reply_to_us = Message {
        op: Op::BOOTREPLY,
        ..discover(mac(5))
    };
    assert_eq!(
        ignored(&h.send(&direct(reply_to_us))),
        IgnoreReason::NotBootRequest
    );
    // Conflicting message types concatenate to a two-octet option 53 (B18).
    let conflicting = with(discover(mac(6)), OptionCode::MESSAGE_TYPE, &[1, 3]);
    assert_eq!(
        ignored(&h.send(&direct(conflicting))),
        IgnoreReason::UnexpectedMessageType(0)
    );
    // A unicast REQUEST from an address on no configured subnet, not relayed.
    let stranger = renewing(mac(7), ip(203, 0, 113, 9));
    assert_eq!(
        ignored(&h.send(&unicast(stranger))),
        IgnoreReason::UnknownClient
    );
    still_alive(&mut h);
}

#[test]
fn b24_relay_oddities() {
    let mut h = Harness::new(config());
    let rx = relayed(discover(mac(1)));
    let far = charrua_server::Received {
        message: Message {
            hops: 255,
            ..rx.message.clone()
        },
        ..rx.clone()
    };
    assert_eq!(ignored(&h.send(&far)), IgnoreReason::TooManyHops(255));
    // A relay address on no configured subnet.
    let unknown = Message {
        giaddr: ip(203, 0, 113, 1),
        ..rx.message.clone()
    };
    assert_eq!(
        ignored(&h.send(&charrua_server::Received {
            message: unknown,
            ..rx
        })),
        IgnoreReason::NoSubnet
    );
    // Option 82 from a client that is not relayed is not trusted for link selection.
    let spoofed = with(
        discover(mac(2)),
        OptionCode::RELAY_AGENT_INFORMATION,
        &[5, 4, 198, 19, 0, 0],
    );
    let out = h.send(&direct(spoofed));
    assert_eq!(reply(&out).message.yiaddr.octets()[..3], [198, 18, 0]);
    still_alive(&mut h);
}

/// Inputs the server_step fuzzer once broke an invariant on (testdata/fuzz-regressions/server).
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/fuzz-regressions/server");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        charrua_server::fuzzing::server_step(&std::fs::read(entry.unwrap().path()).unwrap());
        count += 1;
    }
    assert!(count >= 1);
}
