//! Whatever arrives, in whatever state: no panic, and no lease without a matching ACK (the
//! client's transaction id and hardware address, and the chosen server's identifier).

use std::net::Ipv4Addr;

use charrua_client::{Client, ClientConfig, Event, StateKind};
use charrua_wire::{Message, MessageType, Op, OptionCode};
use proptest::prelude::*;

const MAC: [u8; 6] = charrua_client::fuzzing::MAC;

#[derive(Debug, Clone)]
struct Step {
    kind: u8,
    xid_ok: bool,
    mac_ok: bool,
    server: u8,
    address: u8,
    lease: u32,
    advance_s: u16,
    garbage: Vec<u8>,
}

fn step() -> impl Strategy<Value = Step> {
    (
        0u8..5,
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.9),
        0u8..3,
        0u8..4,
        prop_oneof![Just(0u32), 1u32..100_000, Just(u32::MAX)],
        prop_oneof![Just(0u16), 0u16..5000],
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(
            |(kind, xid_ok, mac_ok, server, address, lease, advance_s, garbage)| Step {
                kind,
                xid_ok,
                mac_ok,
                server,
                address,
                lease,
                advance_s,
                garbage,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_bound_without_a_matching_ack(seed in any::<u64>(), rapid in any::<bool>(), remembered in any::<bool>(), steps in prop::collection::vec(step(), 1..60)) {
        let mut config = ClientConfig::new(MAC, seed);
        config.rapid_commit = rapid;
        config.remembered = remembered.then_some(Ipv4Addr::new(198, 18, 0, 9));
        let mut now = 0u64;
        let mut client = Client::new(config, now);
        let mut last: Option<Message> = None;
        for s in steps {
            while let Some(t) = client.poll_transmit() {
                last = Some(Message::parse(&t.payload).unwrap());
            }
            let before = client.state();
            let chosen = last.as_ref().and_then(|m| m.options.server_identifier());
            let datagram = match (&last, s.kind) {
                (Some(req), 0..=2) => {
                    let kind = [MessageType::OFFER, MessageType::ACK, MessageType::NAK][usize::from(s.kind)];
                    let mut m = Message {
                        op: Op::BOOTREPLY,
                        xid: if s.xid_ok { req.xid } else { req.xid ^ 0x10 },
                        chaddr: req.chaddr,
                        yiaddr: Ipv4Addr::new(198, 18, 0, 8 + s.address),
                        ..Message::default()
                    };
                    if !s.mac_ok {
                        m.chaddr[0] ^= 1;
                    }
                    m.options.insert(OptionCode::MESSAGE_TYPE, &[kind.0]);
                    if s.server > 0 {
                        m.options.insert(OptionCode::SERVER_IDENTIFIER, &[198, 18, 0, s.server]);
                    }
                    if s.lease > 0 {
                        m.options.insert(OptionCode::LEASE_TIME, &s.lease.to_be_bytes());
                    }
                    if rapid && s.address == 3 {
                        m.options.insert(OptionCode::RAPID_COMMIT, &[]);
                    }
                    m.encode()
                }
                _ => s.garbage.clone(),
            };
            client.handle_packet(&datagram, now);
            while let Some(event) = client.poll_event() {
                if let Event::Bound(lease) | Event::Renewed(lease) = &event {
                    let m = Message::parse(&datagram).unwrap();
                    let req = last.as_ref().unwrap();
                    prop_assert_eq!(m.message_type(), Some(MessageType::ACK));
                    prop_assert_eq!(m.xid, req.xid);
                    prop_assert_eq!(&m.chaddr[..6], &MAC[..]);
                    prop_assert_eq!(lease.address, m.yiaddr);
                    if before == StateKind::Requesting {
                        prop_assert_eq!(m.options.server_identifier(), chosen);
                    }
                    if before == StateKind::Selecting {
                        prop_assert!(rapid && m.options.contains(OptionCode::RAPID_COMMIT));
                    }
                }
            }
            now += u64::from(s.advance_s) * 1000;
            client.handle_timeout(now);
            // A timer that was due has been handled: the next one is later.
            if let Some(next) = client.poll_timeout() {
                prop_assert!(next > now, "timer at {} still due at {}", next, now);
            }
            while client.poll_event().is_some() {}
            if let Some(lease) = client.lease() {
                prop_assert!(lease.expires_at().is_none_or(|e| now < e), "a lease held past its end");
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        charrua_client::fuzzing::feed(&data);
    }
}
