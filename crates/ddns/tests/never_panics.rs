//! Any bytes as an answer, and any text as a name, are judged without a panic.

use std::net::{Ipv4Addr, SocketAddr};

use charrua_ddns::{
    forward_name, update, Algorithm, DomainName, Guard, Key, Path, Registration, Request, Rules,
    Style, Transaction, Zone, Zones,
};
use proptest::prelude::*;

const NOW: u64 = 1_700_000_000;
const ID: u16 = 0x1000;

fn key() -> Key {
    Key::new("ddns-key", Algorithm::HmacMd5, b"0123456789abcdef".to_vec()).unwrap()
}

fn signed_request() -> Request {
    let zone = DomainName::other("test.example.").unwrap();
    let fqdn = DomainName::host("alpha.test.example").unwrap();
    let guard = Guard::stored(Style::Interim, b"00c4ca78f9cf3717b36cf11b2bb4fc190c").unwrap();
    let wire = update::add1(&zone, &fqdn, Ipv4Addr::new(198, 18, 0, 100), &guard, 300)
        .to_wire(ID)
        .unwrap();
    Request::signed(wire, &key(), NOW).unwrap()
}

/// A signed answer to `signed_request`, built as a server builds it: header, the zone section,
/// then our TSIG record (whose MAC will not verify; the parser does not know that).
fn answer_like(request: &Request) -> Vec<u8> {
    let wire = request.wire();
    let zone_end = 12 + 14 + 4; // "test.example." is 14 bytes in wire form
    let tsig_start = tsig_offset(wire);
    let mut answer = wire[..zone_end].to_vec();
    answer[2] |= 0x80;
    answer[6..12].copy_from_slice(&[0, 0, 0, 0, 0, 1]);
    answer.extend_from_slice(&wire[tsig_start..]);
    answer
}

/// Where the TSIG record starts: its owner is the uncompressed key name `ddns-key.`.
fn tsig_offset(wire: &[u8]) -> usize {
    let needle = b"\x08ddns-key\x00";
    wire.windows(needle.len())
        .rposition(|w| w == needle)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn any_bytes_as_an_answer(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let request = signed_request();
        let _ = request.check_response(&bytes, NOW);
        let unsigned = Request::unsigned(request.wire().to_vec()).unwrap();
        let _ = unsigned.check_response(&bytes, NOW);
    }

    #[test]
    fn any_body_behind_a_matching_header(
        counts in proptest::array::uniform4(0u16..4),
        rcode in 0u8..16,
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut bytes = vec![(ID >> 8) as u8, ID as u8, 0xa8, rcode];
        for count in counts {
            bytes.extend_from_slice(&count.to_be_bytes());
        }
        bytes.extend_from_slice(&body);
        let _ = signed_request().check_response(&bytes, NOW);
    }

    #[test]
    fn any_damage_to_a_signed_answer(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let request = signed_request();
        let mut bytes = answer_like(&request);
        prop_assert!(request.check_response(&bytes, NOW).is_err(), "the MAC is not the server's");
        for (at, xor) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= xor;
        }
        let _ = request.check_response(&bytes, NOW);
        bytes.truncate(cut.index(bytes.len() + 1));
        let _ = request.check_response(&bytes, NOW);
    }

    #[test]
    fn any_bytes_fed_to_a_transaction(datagrams in proptest::collection::vec(
        proptest::collection::vec(any::<u8>(), 0..200), 0..8)
    ) {
        let zone = Zone {
            name: DomainName::other("test.example.").unwrap(),
            servers: vec![SocketAddr::from(([127, 0, 0, 1], 53))],
            key: Some(key()),
        };
        let registration = Registration {
            fqdn: forward_name("alpha", "test.example").unwrap(),
            address: Ipv4Addr::new(198, 18, 0, 100),
            ttl: 300,
            reverse: None,
            path: Path::Server {
                guard: Guard::stored(Style::Interim, b"x").unwrap(),
            },
        };
        let mut tx = Transaction::add(registration, &Zones::new(vec![zone]), Rules::default());
        for (i, datagram) in datagrams.iter().enumerate() {
            if let Some(t) = tx.poll_transmit(i as u16, NOW) {
                let mut answer = datagram.clone();
                if answer.len() >= 2 {
                    answer[..2].copy_from_slice(&t.id.to_be_bytes());
                }
                let _ = tx.handle_response(&answer, NOW);
            }
            while tx.poll_event().is_some() {}
        }
    }

    #[test]
    fn any_text_as_a_name(host in ".{0,80}", domain in ".{0,300}") {
        let _ = forward_name(&host, &domain);
        let _ = DomainName::other(&domain);
        let _ = DomainName::host(&host);
    }
}
