//! Property tests: decoding never panics, encoding round-trips, the option table is consistent.

mod common;

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4};

use charrua_wire::frame::{Frame, Ipv4Udp};
use charrua_wire::options::{ClientFqdn, Route, SixRd, TABLE};
use charrua_wire::{fuzzing, Format, Message, Op, OptionCode, Options, Value};
use proptest::collection::vec;
use proptest::prelude::*;

fn ip() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

fn label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_-]{1,20}"
}

fn name() -> impl Strategy<Value = String> {
    vec(label(), 0..4).prop_map(|labels| labels.join("."))
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

/// An arbitrary value of `format`, in the normal form decoding produces.
fn value(format: Format) -> BoxedStrategy<Value> {
    match format {
        Format::Empty => Just(Value::Empty).boxed(),
        Format::Ip => ip().prop_map(Value::Ip).boxed(),
        Format::IpList => vec(ip(), 1..8).prop_map(Value::IpList).boxed(),
        Format::IpPairs => vec((ip(), ip()), 1..5).prop_map(Value::IpPairs).boxed(),
        Format::U8 => any::<u8>().prop_map(Value::U8).boxed(),
        Format::U16 => any::<u16>().prop_map(Value::U16).boxed(),
        Format::U32 => any::<u32>().prop_map(Value::U32).boxed(),
        Format::I32 => any::<i32>().prop_map(Value::I32).boxed(),
        Format::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Format::U8List => vec(any::<u8>(), 1..20).prop_map(Value::U8List).boxed(),
        Format::U16List => vec(any::<u16>(), 1..10).prop_map(Value::U16List).boxed(),
        Format::Text => "\\PC{1,30}".prop_map(Value::Text).boxed(),
        Format::Bytes => bytes(300).prop_map(Value::Bytes).boxed(),
        Format::DomainName => name().prop_map(Value::DomainName).boxed(),
        Format::DomainList => vec(name(), 1..6).prop_map(Value::DomainList).boxed(),
        Format::Routes => vec((0u8..=32, ip(), ip()), 1..5)
            .prop_map(|routes| {
                let routes = routes.into_iter().map(|(prefix_len, dest, router)| {
                    let mask = u32::MAX
                        .checked_shl(32 - u32::from(prefix_len))
                        .unwrap_or(0);
                    Route {
                        destination: Ipv4Addr::from(u32::from(dest) & mask),
                        prefix_len,
                        router,
                    }
                });
                Value::Routes(routes.collect())
            })
            .boxed(),
        Format::Fqdn => (any::<u8>(), any::<u8>(), any::<u8>(), name(), any::<bool>())
            .prop_map(|(flags, rcode1, rcode2, mut name, qualified)| {
                if qualified && flags & ClientFqdn::FLAG_E != 0 {
                    name.push('.');
                }
                Value::Fqdn(ClientFqdn {
                    flags,
                    rcode1,
                    rcode2,
                    name,
                })
            })
            .boxed(),
        Format::SubOptions => vec((any::<u8>(), bytes(30)), 1..5)
            .prop_map(Value::SubOptions)
            .boxed(),
        Format::Vendors => vec((any::<u32>(), bytes(30)), 1..4)
            .prop_map(Value::Vendors)
            .boxed(),
        Format::Blobs => vec(vec(any::<u8>(), 1..20), 1..4)
            .prop_map(Value::Blobs)
            .boxed(),
        Format::Tagged => (any::<u8>(), bytes(20))
            .prop_map(|(t, d)| Value::Tagged(t, d))
            .boxed(),
        Format::Status => (any::<u8>(), "\\PC{0,20}")
            .prop_map(|(c, m)| Value::Status(c, m))
            .boxed(),
        Format::SixRd => (0u8..=32, 0u8..=128, any::<[u8; 16]>(), vec(ip(), 1..3))
            .prop_map(|(ipv4_mask_len, prefix_len, prefix, border_relays)| {
                Value::SixRd(SixRd {
                    ipv4_mask_len,
                    prefix_len,
                    prefix: Ipv6Addr::from(prefix),
                    border_relays,
                })
            })
            .boxed(),
    }
}

/// Any option code that carries content (not pad, end or overload) with any value.
fn options(max_options: usize, max_len: usize) -> impl Strategy<Value = Options> {
    vec((1u8..=254, bytes(max_len)), 0..max_options).prop_map(|list| {
        let mut options = Options::new();
        for (code, value) in list.into_iter().filter(|(c, _)| *c != 52) {
            options.insert(OptionCode(code), &value);
        }
        options
    })
}

fn field<const N: usize>(empty: bool) -> impl Strategy<Value = [u8; N]> {
    vec(any::<u8>(), N).prop_map(move |v| {
        let mut out = [0u8; N];
        if !empty {
            out.copy_from_slice(&v);
        }
        out
    })
}

fn message(
    options: impl Strategy<Value = Options>,
    empty_fields: bool,
) -> impl Strategy<Value = Message> {
    (
        (
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
        ),
        (ip(), ip(), ip(), ip(), any::<[u8; 16]>()),
        (field::<64>(empty_fields), field::<128>(empty_fields)),
        options,
    )
        .prop_map(
            |(
                (op, htype, hlen, hops, xid, secs, flags),
                (ciaddr, yiaddr, siaddr, giaddr, chaddr),
                (sname, file),
                options,
            )| {
                Message {
                    op: Op(op),
                    htype,
                    hlen,
                    hops,
                    xid,
                    secs,
                    flags,
                    ciaddr,
                    yiaddr,
                    siaddr,
                    giaddr,
                    chaddr,
                    sname,
                    file,
                    options,
                    vendor: None,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(data in bytes(1500)) {
        fuzzing::decode(&data);
        fuzzing::roundtrip(&data);
        fuzzing::frame(&data);
    }

    #[test]
    fn parse_never_panics_after_a_valid_header(tail in bytes(600), fields in bytes(192)) {
        let mut data = common::dhcp(&tail);
        data[44..44 + fields.len()].copy_from_slice(&fields);
        fuzzing::decode(&data);
        fuzzing::roundtrip(&data);
    }

    #[test]
    fn parse_of_encode_is_identity(msg in message(options(30, 700), false)) {
        let encoded = msg.encode();
        prop_assert_eq!(encoded.len(), msg.encoded_len());
        prop_assert_eq!(Message::parse(&encoded), Ok(msg));
    }

    /// A BOOTREQUEST without the magic cookie (RFC 951) reads back with its vendor area, and
    /// writes back the same octets (padded to 300).
    #[test]
    fn bootp_requests_without_the_cookie_keep_their_vendor_area(
        msg in message(options(1, 10), false),
        vendor in bytes(300),
    ) {
        prop_assume!(vendor.get(..4) != Some(&[99, 130, 83, 99][..]));
        // What is read is the padded area (a message is at least 300 octets).
        let mut vendor = vendor;
        vendor.resize(vendor.len().max(64), 0);
        let msg = Message {
            op: Op::BOOTREQUEST,
            options: Default::default(),
            vendor: Some(vendor),
            ..msg
        };
        let encoded = msg.encode();
        prop_assert_eq!(encoded.len(), msg.encoded_len());
        prop_assert_eq!(Message::parse_bootp(&encoded), Ok(msg));
        prop_assert!(Message::parse(&encoded).is_err());
        let mut reply = encoded.clone();
        reply[0] = 2;
        prop_assert!(Message::parse_bootp(&reply).is_err(), "only requests are read so");
    }

    #[test]
    fn long_options_split_into_255_octet_instances_and_concatenate_back(len in 0usize..2000, code in 1u8..=254) {
        prop_assume!(charrua_wire::options::lookup(OptionCode(code)).is_none_or(|d| d.format == Format::Bytes));
        let value: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let mut msg = Message::default();
        msg.options.insert(OptionCode(code), &value);
        let encoded = msg.encode();
        let mut instances = 0;
        let mut at = 240;
        while encoded[at] != 255 {
            prop_assert_eq!(encoded[at], code);
            prop_assert!(encoded[at + 1] as usize <= 255);
            instances += 1;
            at += 2 + encoded[at + 1] as usize;
        }
        prop_assert_eq!(instances, len.div_ceil(255).max(1));
        let decoded = Message::parse(&encoded).unwrap();
        prop_assert_eq!(decoded.options.get(OptionCode(code)), Some(&value[..]));
    }

    #[test]
    fn overload_round_trips_within_the_limit(msg in message(options(40, 60), true), limit in 300usize..700) {
        match msg.encode_within(limit) {
            Ok(encoded) => {
                prop_assert!(encoded.len() <= limit);
                prop_assert_eq!(Message::parse(&encoded), Ok(msg));
            }
            Err(_) => prop_assert!(msg.encoded_len() > limit),
        }
    }

    #[test]
    fn frame_checksums_verify_after_emit(
        payload in bytes(1200),
        (src, dst) in (ip(), ip()),
        (sport, dport, ttl) in (any::<u16>(), any::<u16>(), any::<u8>()),
        macs in any::<([u8; 6], [u8; 6])>(),
    ) {
        let ip = Ipv4Udp { src: SocketAddrV4::new(src, sport), dst: SocketAddrV4::new(dst, dport), ttl, payload: &payload };
        let frame = Frame { dst_mac: macs.0, src_mac: macs.1, ip };
        let bytes = frame.emit().unwrap();
        prop_assert_eq!(bytes.len(), frame.encoded_len());
        prop_assert_eq!(Frame::parse(&bytes), Ok(frame));
    }
}

#[test]
fn long_address_lists_split_between_addresses() {
    let mut msg = Message::default();
    let servers: Vec<Ipv4Addr> = (0..100).map(|i| Ipv4Addr::new(198, 18, 1, i)).collect();
    msg.options
        .insert_value(OptionCode::DOMAIN_NAME_SERVERS, &Value::IpList(servers));
    let encoded = msg.encode();
    // 400 octets: one instance of 252 (63 addresses) and one of 148.
    assert_eq!(&encoded[240..242], &[6, 252]);
    assert_eq!(&encoded[494..496], &[6, 148]);
    assert_eq!(Message::parse(&encoded), Ok(msg));
}

#[test]
fn option_table_has_unique_codes_and_names_in_code_order() {
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    for def in TABLE {
        assert!(codes.insert(def.code), "duplicate code {}", def.code.0);
        assert!(names.insert(def.name), "duplicate name {}", def.name);
        assert!(
            def.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}",
            def.name
        );
        assert_eq!(charrua_wire::options::lookup(def.code), Some(def));
        assert_eq!(
            charrua_wire::options::lookup_name(&def.name.to_uppercase()),
            Some(def)
        );
        assert!(!matches!(def.code.0, 0 | 255));
    }
    assert!(
        TABLE.windows(2).all(|w| w[0].code < w[1].code),
        "table is not in code order"
    );
}

#[test]
fn option_table_covers_rfc_2132_and_the_later_options_asked_for() {
    let mut wanted: Vec<u8> = (1..=76).collect();
    wanted.extend([
        77, 80, 81, 82, 90, 91, 92, 93, 94, 97, 100, 101, 108, 114, 116, 118, 119, 121, 124, 125,
        150,
    ]);
    wanted.extend(151..=157);
    wanted.extend([160, 161, 209, 210, 211, 212, 213, 249, 252]);
    for code in wanted {
        assert!(
            charrua_wire::options::lookup(OptionCode(code)).is_some(),
            "option {code} missing"
        );
    }
}

/// Every row's format round-trips through wire and text, with that row's code.
#[test]
fn every_table_format_round_trips() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(64));
    for def in TABLE {
        runner
            .run(&value(def.format), |v| {
                let wire = v.to_bytes();
                prop_assert_eq!(
                    Value::decode(def.format, def.code, &wire),
                    Ok(v.clone()),
                    "wire form of {}",
                    def.name
                );
                let text = v.to_string();
                prop_assert_eq!(
                    Value::parse_text(def.format, &text),
                    Ok(v.clone()),
                    "text {:?} of {}",
                    text,
                    def.name
                );
                Ok(())
            })
            .unwrap();
    }
}
