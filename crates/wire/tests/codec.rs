//! Behaviour of the message codec on well-formed input.

mod common;

use charrua_wire::{Message, MessageType, OptionCode, Overload, Packet};
use common::dhcp;

fn padded(mut data: Vec<u8>) -> Vec<u8> {
    data.resize(data.len().max(300), 0);
    data
}

#[test]
fn unknown_options_survive_decode_encode_byte_exact() {
    let input = padded(dhcp(&[
        53, 1, 1, 224, 3, 1, 2, 3, 251, 0, 61, 7, 1, 2, 0, 0, 0xc0, 0xff, 0xee, 255,
    ]));
    let msg = Message::parse(&input).unwrap();
    assert_eq!(msg.options.get(OptionCode(224)), Some(&[1, 2, 3][..]));
    assert_eq!(msg.encode(), input);
}

#[test]
fn encode_pads_to_the_bootp_minimum_and_ends_with_end() {
    let mut msg = Message::default();
    msg.options
        .insert(OptionCode::MESSAGE_TYPE, &[MessageType::DISCOVER.0]);
    let bytes = msg.encode();
    assert_eq!(bytes.len(), 300);
    assert_eq!(&bytes[240..244], &[53, 1, 1, 255]);
    assert!(bytes[244..].iter().all(|&b| b == 0));
}

#[test]
fn encode_within_leaves_a_fitting_message_alone() {
    let mut msg = Message::default();
    msg.options.insert(OptionCode::MESSAGE_TYPE, &[2]);
    assert_eq!(msg.encode_within(548).unwrap(), msg.encode());
}

#[test]
fn overload_spills_into_file_then_sname_with_option_52_in_options() {
    let mut msg = Message::default();
    msg.options.insert(OptionCode::MESSAGE_TYPE, &[5]);
    msg.options
        .insert(OptionCode::SERVER_IDENTIFIER, &[198, 18, 0, 1]);
    for code in 224..=230u8 {
        msg.options.insert(OptionCode(code), &[code; 60]);
    }
    // 9 + 7 * 62 = 443 octets: 4 options fit the 304 of a 548-octet message, 2 the file, 1 sname.
    let bytes = msg.encode_within(548).unwrap();
    assert!(bytes.len() <= 548);
    assert_eq!(Message::overload(&bytes), Ok(Some(Overload::Both)));
    let packet = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(
        packet.options()[..3],
        [53, 1, 5],
        "message type stays in the options field"
    );
    assert_eq!(
        packet.file()[0],
        224 + 4,
        "file starts with an option at its first octet"
    );
    assert!(packet.sname().contains(&255), "sname ends with END");
    assert_eq!(Message::parse(&bytes), Ok(msg));
}

#[test]
fn overload_uses_only_empty_fields() {
    let mut msg = Message::default();
    msg.sname[..4].copy_from_slice(b"srv1");
    msg.options.insert(OptionCode::MESSAGE_TYPE, &[5]);
    msg.options.insert(OptionCode(224), &[1; 250]);
    msg.options.insert(OptionCode(225), &[2; 100]);
    let bytes = msg.encode_within(548).unwrap();
    assert_eq!(Message::overload(&bytes), Ok(Some(Overload::File)));
    assert_eq!(Message::parse(&bytes).unwrap().server_name(), b"srv1");
}

#[test]
fn options_longer_than_the_limit_allows_are_too_large() {
    let mut msg = Message::default();
    msg.options.insert(OptionCode(224), &[0; 1000]);
    assert!(msg.encode_within(548).is_err());
    assert!(msg.encode_within(1500).is_ok());
}

#[test]
fn broadcast_flag_is_the_leftmost_bit_only() {
    let mut data = dhcp(&[53, 1, 1]);
    data[10..12].copy_from_slice(&0x7fffu16.to_be_bytes());
    assert!(!Message::parse(&data).unwrap().is_broadcast());
    data[10..12].copy_from_slice(&0x8000u16.to_be_bytes());
    assert!(Message::parse(&data).unwrap().is_broadcast());
}
