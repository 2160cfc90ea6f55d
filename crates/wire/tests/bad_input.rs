//! Regression tests for the bad-input classes B1-B18 of research/reliability.md section 1.7, at
//! the wire layer: every one returns a typed error or a well-defined value, never a panic.

mod common;

use charrua_wire::frame::{Checksums, Frame, Ipv4Udp};
use charrua_wire::{Area, Error, Format, Message, MessageType, OptionCode, Value};
use common::{dhcp, dhcp_with_fields, header};
use std::net::{Ipv4Addr, SocketAddrV4};

const DISCOVER: [u8; 3] = [53, 1, 1];

#[test]
fn b01_short_datagrams_are_truncated_errors() {
    for len in [0usize, 1, 235, 236, 239] {
        let data = dhcp(&[]);
        let err = Message::parse(&data[..len]).unwrap_err();
        assert_eq!(
            err,
            Error::Truncated {
                area: Area::Header,
                need: 240,
                have: len
            },
            "len {len}"
        );
    }
}

#[test]
fn b01_bootp_header_without_cookie_is_bad_cookie() {
    let mut data = header();
    data.extend_from_slice(&[0; 64]);
    assert_eq!(Message::parse(&data), Err(Error::BadCookie(0)));
}

/// A BOOTREQUEST without the cookie is an RFC 951 request for `parse_bootp` (dhcpd serves it
/// as BOOTP), whatever its length from the bare header on; a reply, or anything shorter than
/// the header, is still an error.
#[test]
fn b01_bootp_requests_without_cookie_keep_their_vendor_area() {
    for vendor_len in [0usize, 3, 4, 64, 300] {
        let mut data = header();
        data.extend((0..vendor_len).map(|i| (i % 200) as u8 + 1));
        let msg = Message::parse_bootp(&data).unwrap();
        assert_eq!(msg.vendor.as_deref(), data.get(236..));
        assert!(msg.options.is_empty());
        let encoded = msg.encode();
        assert_eq!(encoded.len(), data.len().max(300));
        assert_eq!(encoded.get(..data.len()), Some(&data[..]));
        charrua_wire::fuzzing::decode(&data);
        charrua_wire::fuzzing::roundtrip(&data);
    }
    let mut reply = header();
    reply[0] = 2;
    reply.extend_from_slice(&[0; 64]);
    assert_eq!(Message::parse_bootp(&reply), Err(Error::BadCookie(0)));
    assert!(matches!(
        Message::parse_bootp(&header()[..200]),
        Err(Error::Truncated { .. })
    ));
    // With the cookie, the same as parse.
    assert_eq!(
        Message::parse_bootp(&dhcp(&DISCOVER)),
        Message::parse(&dhcp(&DISCOVER))
    );
}

#[test]
fn b01_cookie_without_options_is_an_empty_message() {
    let msg = Message::parse(&dhcp(&[])).unwrap();
    assert!(msg.options.is_empty());
    assert_eq!(msg.message_type(), None);
}

fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let frame = Frame {
        dst_mac: [0xff; 6],
        src_mac: [2, 0, 0, 0, 0, 1],
        ip: Ipv4Udp {
            src: SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 1), 67),
            dst: SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 100), 68),
            ttl: 64,
            payload,
        },
    };
    frame.emit().unwrap()
}

#[test]
fn b02_frame_with_consistent_lengths_parses() {
    let payload = dhcp(&DISCOVER);
    let bytes = udp_frame(&payload);
    assert_eq!(Frame::parse(&bytes).unwrap().ip.payload, &payload[..]);
}

#[test]
fn b02_ihl_past_the_buffer_is_rejected() {
    let mut bytes = udp_frame(&dhcp(&DISCOVER));
    bytes.truncate(14 + 30);
    bytes[14] = 0x4f; // IHL 15: 60 octets of header, only 30 present
    assert_eq!(Frame::parse(&bytes), Err(Error::BadIpHeader(0x4f)));
    bytes[14] = 0x44; // IHL 4 is below the minimum
    assert_eq!(Frame::parse(&bytes), Err(Error::BadIpHeader(0x44)));
}

#[test]
fn b02_ip_total_length_past_the_buffer_is_rejected() {
    let mut bytes = udp_frame(&dhcp(&DISCOVER));
    let have = bytes.len() - 14;
    bytes[16..18].copy_from_slice(&((have + 1) as u16).to_be_bytes());
    assert!(matches!(
        Frame::parse(&bytes),
        Err(Error::BadIpLength { .. })
    ));
    bytes[16..18].copy_from_slice(&10u16.to_be_bytes());
    assert!(matches!(
        Frame::parse(&bytes),
        Err(Error::BadIpLength { total: 10, .. })
    ));
}

#[test]
fn b02_udp_length_inconsistent_with_ip_is_rejected() {
    let payload = dhcp(&DISCOVER);
    for udp_len in [7u16, (8 + payload.len() + 1) as u16] {
        let mut bytes = udp_frame(&payload);
        bytes[38..40].copy_from_slice(&udp_len.to_be_bytes());
        bytes[40..42].copy_from_slice(&[0, 0]); // no UDP checksum, so the length is what fails
        assert!(
            matches!(Frame::parse(&bytes), Err(Error::BadUdpLength { .. })),
            "udp length {udp_len}"
        );
    }
}

#[test]
fn b02_checksums_are_verified() {
    let payload = dhcp(&DISCOVER);
    let mut bytes = udp_frame(&payload);
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    assert_eq!(Frame::parse(&bytes), Err(Error::BadUdpChecksum));
    assert!(Frame::parse_with(&bytes, Checksums::IgnoreUdp).is_ok());
    let mut bytes = udp_frame(&payload);
    bytes[22] ^= 1; // TTL changes, header checksum does not
    assert_eq!(Frame::parse(&bytes), Err(Error::BadIpChecksum));
}

#[test]
fn b02_fragments_and_other_protocols_are_rejected() {
    let mut bytes = udp_frame(&dhcp(&DISCOVER));
    bytes[12..14].copy_from_slice(&0x86ddu16.to_be_bytes());
    assert_eq!(Frame::parse(&bytes), Err(Error::NotIpv4(0x86dd)));
    let ip = &mut udp_frame(&dhcp(&DISCOVER))[14..];
    ip[6] = 0x20; // more fragments; checksum is checked first, so refill it
    refill_ip_checksum(ip);
    assert_eq!(Ipv4Udp::parse(ip), Err(Error::Fragment));
    ip[6] = 0;
    ip[9] = 6;
    refill_ip_checksum(ip);
    assert_eq!(Ipv4Udp::parse(ip), Err(Error::NotUdp(6)));
}

fn refill_ip_checksum(ip: &mut [u8]) {
    ip[10..12].copy_from_slice(&[0, 0]);
    let mut sum = 0u32;
    for w in ip[..20].chunks(2) {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

#[test]
fn b03_option_running_past_its_field_is_an_overrun() {
    let err = Message::parse(&dhcp(&[53, 1, 1, 12, 10, b'a', b'b'])).unwrap_err();
    assert_eq!(
        err,
        Error::OptionOverrun {
            code: OptionCode::HOST_NAME,
            area: Area::Options,
            len: 10,
            available: 2
        }
    );
}

#[test]
fn b04_code_without_length_octet_is_rejected() {
    let err = Message::parse(&dhcp(&[53, 1, 1, 61])).unwrap_err();
    assert_eq!(
        err,
        Error::OptionWithoutLength {
            code: OptionCode(61),
            area: Area::Options
        }
    );
}

#[test]
fn b04_overload_value_beyond_the_end_is_rejected() {
    let err = Message::parse(&dhcp(&[53, 1, 1, 52, 1])).unwrap_err();
    assert!(matches!(
        err,
        Error::OptionOverrun {
            code: OptionCode::OVERLOAD,
            len: 1,
            available: 0,
            ..
        }
    ));
}

#[test]
fn b05_fixed_size_options_of_the_wrong_length_read_as_absent() {
    let msg = Message::parse(&dhcp(&[
        53, 2, 1, 3, 50, 3, 1, 2, 3, 57, 1, 2, 51, 3, 0, 0, 1, 255,
    ]))
    .unwrap();
    assert_eq!(msg.message_type(), None);
    assert_eq!(msg.options.requested_address(), None);
    assert_eq!(msg.options.max_message_size(), None);
    assert_eq!(msg.options.lease_time(), None);
    assert_eq!(
        Value::decode(Format::Ip, OptionCode::REQUESTED_ADDRESS, &[1, 2, 3]),
        Err(Error::BadLength {
            code: OptionCode::REQUESTED_ADDRESS,
            len: 3
        })
    );
    // Never a partial address: 6 octets is not a list of addresses.
    assert_eq!(
        Value::decode(Format::IpList, OptionCode::ROUTERS, &[1, 2, 3, 4, 5, 6]),
        Err(Error::BadLength {
            code: OptionCode::ROUTERS,
            len: 6
        })
    );
    assert!(Value::decode(Format::IpList, OptionCode::ROUTERS, &[]).is_err());
}

#[test]
fn b06_zero_length_options_are_kept_and_later_options_still_parse() {
    let msg = Message::parse(&dhcp(&[12, 0, 61, 1, 7, 55, 0, 53, 1, 1, 255])).unwrap();
    assert_eq!(msg.options.host_name(), None);
    assert_eq!(
        msg.options.client_identifier(),
        None,
        "client-id shorter than 2 is invalid"
    );
    assert_eq!(msg.options.parameter_request_list(), None);
    assert_eq!(msg.message_type(), Some(MessageType::DISCOVER));
    assert!(Value::decode(Format::Text, OptionCode::HOST_NAME, &[]).is_err());
}

#[test]
fn b07_oversize_identifiers_concatenate_without_limit_at_the_wire() {
    let mut options = Vec::new();
    for _ in 0..20 {
        options.extend_from_slice(&[61, 254]);
        options.extend_from_slice(&[0xab; 254]);
    }
    let msg = Message::parse(&dhcp(&options)).unwrap();
    assert_eq!(msg.options.client_identifier().unwrap().len(), 20 * 254);
}

#[test]
fn b08_hostname_garbage_is_a_value_error_and_trailing_nuls_are_dropped() {
    let code = OptionCode::HOST_NAME;
    assert_eq!(
        Value::decode(Format::Text, code, b"two\0\0"),
        Ok(Value::Text("two".into()))
    );
    assert_eq!(
        Value::decode(Format::Text, code, b"a\0b"),
        Ok(Value::Text("a\0b".into()))
    );
    assert_eq!(
        Value::decode(Format::Text, code, &[0x66, 0xff, 0xfe]),
        Err(Error::BadValue { code, offset: 1 })
    );
    let msg = Message::parse(&dhcp(&[12, 5, b't', b'w', b'o', 0, 0])).unwrap();
    assert_eq!(msg.options.host_name(), Some(&b"two"[..]));
    // A label over 63 octets and a name over 255 are rejected.
    let mut long_label = vec![64u8];
    long_label.extend_from_slice(&[b'a'; 64]);
    long_label.push(0);
    assert!(Value::decode(Format::DomainList, OptionCode::DOMAIN_SEARCH, &long_label).is_err());
    let mut long_name = Vec::new();
    for _ in 0..5 {
        long_name.push(63);
        long_name.extend_from_slice(&[b'a'; 63]);
    }
    long_name.push(0);
    assert!(Value::decode(Format::DomainList, OptionCode::DOMAIN_SEARCH, &long_name).is_err());
}

#[test]
fn b09_metacharacters_are_escaped_in_the_text_form() {
    let value = Value::Text("x\";\nrm -rf /\\".into());
    let text = value.to_string();
    assert_eq!(text, "\"x\\\";\\012rm -rf /\\\\\"");
    assert_eq!(Value::parse_text(Format::Text, &text), Ok(value));
    let bytes = Value::Bytes(vec![b'"', 0, b',', 10]);
    assert_eq!(bytes.to_string(), "22:00:2c:0a");
    assert_eq!(
        Value::parse_text(Format::Bytes, &bytes.to_string()),
        Ok(bytes)
    );
}

#[test]
fn b10_repeated_codes_concatenate_in_aggregate_order_across_fields() {
    // 12 in options, then file, then sname: RFC 3396 section 5 order.
    let options = [52, 1, 3, 12, 1, b'a', 53, 1, 1, 12, 1, b'b', 255];
    let file = [12, 1, b'c', 255];
    let sname = [12, 1, b'd', 255];
    let msg = Message::parse(&dhcp_with_fields(&options, &file, &sname)).unwrap();
    assert_eq!(msg.options.get(OptionCode::HOST_NAME), Some(&b"abcd"[..]));
    let codes: Vec<u8> = msg.options.iter().map(|(c, _)| c.0).collect();
    assert_eq!(codes, [12, 53]);
}

#[test]
fn b10_many_instances_of_one_code_parse_in_one_pass() {
    let mut options = Vec::new();
    for i in 0..20_000u32 {
        options.extend_from_slice(&[(i % 2) as u8 + 200, 1, i as u8]);
    }
    let msg = Message::parse(&dhcp(&options)).unwrap();
    assert_eq!(msg.options.len(), 2);
    assert_eq!(msg.options.get(OptionCode(200)).unwrap().len(), 10_000);
}

#[test]
fn b11_overload_values_outside_1_to_3_and_wrong_lengths_are_rejected() {
    for (opt, len, value) in [
        (vec![52, 1, 0], 1, 0),
        (vec![52, 1, 4], 1, 4),
        (vec![52, 2, 1, 1], 2, 1),
        (vec![52, 0], 0, 0),
    ] {
        assert_eq!(
            Message::parse(&dhcp(&opt)),
            Err(Error::BadOverload { len, value }),
            "{opt:?}"
        );
    }
}

#[test]
fn b11_overload_inside_file_is_ignored_and_fields_may_lack_end() {
    // file carries a nested 52 asking for sname too; sname holds a string that must stay a string.
    let file = [52, 1, 3, 12, 2, b'h', b'i'];
    let msg = Message::parse(&dhcp_with_fields(
        &[52, 1, 1, 53, 1, 1, 255],
        &file,
        b"server",
    ))
    .unwrap();
    assert_eq!(msg.options.get(OptionCode::HOST_NAME), Some(&b"hi"[..]));
    assert!(!msg.options.contains(OptionCode::OVERLOAD));
    assert_eq!(msg.server_name(), b"server");
    assert_eq!(
        msg.boot_file(),
        b"",
        "an overloaded field is not a file name"
    );
}

#[test]
fn b11_option_straddling_a_field_boundary_is_rejected() {
    let mut file = vec![0u8; 126];
    file.extend_from_slice(&[12, 5]);
    let err = Message::parse(&dhcp_with_fields(&[52, 1, 1, 255], &file, &[])).unwrap_err();
    assert_eq!(
        err,
        Error::OptionOverrun {
            code: OptionCode::HOST_NAME,
            area: Area::File,
            len: 5,
            available: 0
        }
    );
}

#[test]
fn b12_compression_loops_and_forward_pointers_are_rejected() {
    let code = OptionCode::DOMAIN_SEARCH;
    // Pointer to itself.
    assert!(Value::decode(Format::DomainList, code, &[0xc0, 0x00]).is_err());
    // Two names pointing at each other.
    assert!(Value::decode(
        Format::DomainList,
        code,
        &[1, b'a', 0xc0, 0x04, 1, b'b', 0xc0, 0x00]
    )
    .is_err());
    // Forward pointer.
    assert!(Value::decode(Format::DomainList, code, &[0xc0, 0x02, 1, b'a', 0]).is_err());
    // Label longer than what remains.
    assert!(Value::decode(Format::DomainList, code, &[10, b'a', b'b']).is_err());
    // A valid backwards pointer works.
    assert_eq!(
        Value::decode(Format::DomainList, code, &[1, b'a', 0, 1, b'b', 0xc0, 0x00]),
        Ok(Value::DomainList(vec!["a".into(), "b.a".into()]))
    );
}

#[test]
fn b12_classless_routes_with_bad_prefix_or_truncation_are_rejected() {
    let code = OptionCode::CLASSLESS_STATIC_ROUTES;
    assert!(Value::decode(Format::Routes, code, &[33, 1, 2, 3, 4, 5, 1, 1, 1, 1]).is_err());
    assert!(Value::decode(Format::Routes, code, &[24, 198, 18, 0, 198, 18]).is_err());
    assert!(Value::decode(Format::Routes, code, &[0, 198, 18, 0, 1]).is_ok());
}

#[test]
fn b13_inner_lengths_must_fit_the_outer_option() {
    let relay = OptionCode::RELAY_AGENT_INFORMATION;
    assert!(Value::decode(Format::SubOptions, relay, &[1, 4, 0, 0]).is_err());
    assert!(Value::decode(Format::SubOptions, relay, &[1]).is_err());
    assert_eq!(
        Value::decode(Format::SubOptions, relay, &[1, 2, 0, 1, 2, 0]),
        Ok(Value::SubOptions(vec![(1, vec![0, 1]), (2, vec![])]))
    );
    let vivso = OptionCode::VIVSO;
    assert!(Value::decode(Format::Vendors, vivso, &[0, 0, 0x11, 0x8b, 5, 1, 2]).is_err());
    assert!(Value::decode(Format::Vendors, vivso, &[0, 0, 0x11]).is_err());
}

#[test]
fn b14_max_message_size_is_reported_as_sent_and_limits_are_honoured() {
    for size in [0u16, 100, 575, 65535] {
        let [hi, lo] = size.to_be_bytes();
        let msg = Message::parse(&dhcp(&[53, 1, 1, 57, 2, hi, lo])).unwrap();
        assert_eq!(msg.options.max_message_size(), Some(size));
    }
    let mut msg = Message::parse(&dhcp(&DISCOVER)).unwrap();
    msg.options.insert(OptionCode(224), &[7; 400]);
    assert_eq!(
        msg.encode_within(250),
        Err(Error::TooLarge {
            need: 240 + 3 + 404 + 1,
            limit: 250
        })
    );
    let fitted = msg.encode_within(548).unwrap();
    assert!(fitted.len() <= 548);
    assert_eq!(Message::parse(&fitted), Ok(msg));
}

#[test]
fn b15_no_identity_is_visible_to_the_caller() {
    let mut data = dhcp(&DISCOVER);
    data[2] = 0;
    let msg = Message::parse(&data).unwrap();
    assert!(msg.hardware_address().is_empty());
    assert_eq!(msg.options.client_identifier(), None);
}

#[test]
fn b16_hlen_over_16_never_reads_past_chaddr() {
    let mut data = dhcp(&DISCOVER);
    data[1] = 32;
    data[2] = 200;
    let msg = Message::parse(&data).unwrap();
    assert_eq!(msg.hlen, 200);
    assert_eq!(msg.hardware_address().len(), 16);
}

#[test]
fn b17_decoding_allocates_no_more_than_the_input() {
    // Worst case for per-option bookkeeping: every code once, all empty, repeated.
    let mut options = Vec::new();
    for _ in 0..100 {
        for code in (1..=254u8).filter(|c| *c != 52) {
            options.extend_from_slice(&[code, 0]);
        }
    }
    let data = dhcp(&options);
    let msg = Message::parse(&data).unwrap();
    assert_eq!(msg.options.len(), 253);
    assert_eq!(msg.options.iter().map(|(_, v)| v.len()).sum::<usize>(), 0);
    charrua_wire::fuzzing::decode(&data);
}

#[test]
fn b18_junk_after_end_is_ignored_and_missing_end_is_accepted() {
    let with_junk = Message::parse(&dhcp(&[53, 1, 1, 255, 99, 130, 83, 99, 1, 2])).unwrap();
    let without_end = Message::parse(&dhcp(&[53, 1, 1])).unwrap();
    assert_eq!(with_junk, without_end);
    assert_eq!(with_junk.options.len(), 1);
}

#[test]
fn b18_conflicting_message_types_have_no_message_type() {
    let msg = Message::parse(&dhcp(&[53, 1, 1, 53, 1, 3, 255])).unwrap();
    assert_eq!(msg.options.get(OptionCode::MESSAGE_TYPE), Some(&[1, 3][..]));
    assert_eq!(msg.message_type(), None);
}

#[test]
fn b18_a_second_cookie_inside_options_is_an_error_not_a_panic() {
    assert!(Message::parse(&dhcp(&[53, 1, 1, 99, 130, 83, 99])).is_err());
}

/// Inputs the fuzzers once crashed on (testdata/fuzz-regressions), replayed through every
/// fuzz body.
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fuzz-regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue;
        }
        let data = std::fs::read(path).unwrap();
        charrua_wire::fuzzing::decode(&data);
        charrua_wire::fuzzing::roundtrip(&data);
        charrua_wire::fuzzing::frame(&data);
        count += 1;
    }
    assert!(count >= 2);
}

#[test]
fn b12_name_ending_after_a_pointer_reports_its_own_length() {
    // "a" at 0, then "b" + pointer to 0: the second name occupies 4 octets at offset 3.
    let code = OptionCode::DOMAIN_SEARCH;
    let value = Value::decode(
        Format::DomainList,
        code,
        &[1, b'a', 0, 1, b'b', 0xc0, 0, 1, b'c', 0],
    );
    assert_eq!(
        value,
        Ok(Value::DomainList(vec![
            "a".into(),
            "b.a".into(),
            "c".into()
        ]))
    );
}

#[test]
fn b06_hostname_of_only_nuls_is_empty_text() {
    assert!(Value::decode(Format::Text, OptionCode::HOST_NAME, &[0, 0]).is_err());
}
