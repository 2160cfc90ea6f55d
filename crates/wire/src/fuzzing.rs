//! Fuzz target bodies. They live in the library so that every build compiles them and the
//! property tests can share them; `fuzz/` holds thin cargo-fuzz wrappers. Each function panics
//! only when an invariant is broken, which is what the fuzzer looks for.

use alloc::string::ToString;
use alloc::vec::Vec;

use crate::frame::{Checksums, Frame, Ipv4Udp};
use crate::message::field::DHCP_HEADER_LEN;
use crate::{Message, Value};

/// Decodes arbitrary bytes as a message and every option with its table format; none of it may
/// panic, and a decoded message's options may not hold more octets than the input.
pub fn decode(data: &[u8]) {
    if let Ok(msg) = Message::parse(data) {
        let total: usize = msg.options.iter().map(|(_, v)| v.len()).sum();
        assert!(
            total <= data.len(),
            "options hold more octets than the input"
        );
        for (code, _) in msg.options.iter() {
            if let Some(Ok(value)) = msg.options.value(code) {
                let _ = value.to_string();
            }
        }
    }
    // A BOOTP request without the cookie writes what it read (padded to 300 octets), and
    // reads back as the same message.
    if let Ok(msg) = Message::parse_bootp(data) {
        if msg.vendor.is_some() {
            let encoded = msg.encode();
            let again = Message::parse_bootp(&encoded).map(|m| m.encode());
            assert_eq!(again.as_ref(), Ok(&encoded), "BOOTP without cookie");
        }
    }
}

/// Whatever decodes must encode and decode to the same message, with and without a size limit;
/// a limited encoding never exceeds its limit. Typed values must survive their wire and text
/// forms.
pub fn roundtrip(data: &[u8]) {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let encoded = msg.encode();
    assert_eq!(
        Message::parse(&encoded).as_ref(),
        Ok(&msg),
        "decode(encode(m)) != m"
    );
    // The first input octet picks a limit between the smallest useful one and a large one.
    let limit = DHCP_HEADER_LEN + 4 + usize::from(data.first().copied().unwrap_or(0)) * 4;
    if let Ok(limited) = msg.encode_within(limit) {
        assert!(limited.len() <= limit, "encode_within exceeded its limit");
        assert_eq!(
            Message::parse(&limited).as_ref(),
            Ok(&msg),
            "overload round trip failed"
        );
    }
    for (code, _) in msg.options.iter() {
        let Some(Ok(value)) = msg.options.value(code) else {
            continue;
        };
        let again = Value::decode(value.format(), code, &value.to_bytes());
        assert_eq!(
            again.as_ref(),
            Ok(&value),
            "value wire round trip failed for {code}"
        );
        let text = value.to_string();
        let parsed = Value::parse_text(value.format(), &text);
        assert_eq!(
            parsed.as_ref(),
            Ok(&value),
            "value text round trip failed for {code}: {text}"
        );
    }
}

/// Parses arbitrary bytes as an Ethernet frame and as an IPv4 datagram; whatever parses must
/// re-emit to a frame that parses to the same thing, checksums verifying.
pub fn frame(data: &[u8]) {
    let _ = crate::frame::icmp::Echo::parse_reply(data);
    if let Ok(frame) = Frame::parse_with(data, Checksums::IgnoreUdp) {
        if let Ok(bytes) = frame.emit() {
            let again = Frame::parse(&bytes);
            assert_eq!(
                again.map(|f| f.ip.payload),
                Ok(frame.ip.payload),
                "frame re-emit failed"
            );
        }
    }
    if let Ok(ip) = Ipv4Udp::parse(data) {
        let mut out = Vec::new();
        if ip.emit(&mut out).is_ok() {
            assert_eq!(
                Ipv4Udp::parse(&out),
                Ok(Ipv4Udp { ttl: ip.ttl, ..ip }),
                "datagram re-emit failed"
            );
        }
    }
}
