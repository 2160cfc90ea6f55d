//! Fuzzing support: bodies of fuzz targets live here so every build compiles them.

use alloc::vec::Vec;

use charrua_wire::{Message, MessageType, Op};

use crate::{Client, ClientConfig, Event};

/// The hardware address the fuzzed client uses.
pub const MAC: [u8; 6] = [2, 0, 0, 0xf0, 0x22, 1];

/// Feeds `data` to a client as a sequence of datagrams and clock advances: 8 bytes of seed,
/// then records of a 2-byte length, that many bytes of datagram, and one byte of seconds to
/// advance. Panics if the client ever reports a lease that no datagram granted: every `Bound`
/// or `Renewed` event must follow an ACK for the client's hardware address whose transaction
/// id is that of the client's last message.
pub fn feed(data: &[u8]) {
    let seed = data
        .get(..8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_le_bytes);
    let mut config = ClientConfig::new(MAC, seed);
    config.rapid_commit = seed & 1 == 1;
    let mut now = 0u64;
    let mut client = Client::new(config, now);
    let mut last_xid = None;
    let mut rest = data.get(8..).unwrap_or_default();
    while let Some(len) = rest.get(..2).and_then(|l| <[u8; 2]>::try_from(l).ok()) {
        let len = usize::from(u16::from_le_bytes(len));
        let datagram: Vec<u8> = rest.get(2..2 + len).unwrap_or_default().to_vec();
        let advance = rest.get(2 + len).copied().unwrap_or(0);
        rest = rest.get(3 + len..).unwrap_or_default();
        while let Some(t) = client.poll_transmit() {
            last_xid = Message::parse(&t.payload).ok().map(|m| m.xid);
        }
        client.handle_packet(&datagram, now);
        while let Some(event) = client.poll_event() {
            if matches!(event, Event::Bound(_) | Event::Renewed(_)) {
                let ack = Message::parse(&datagram).ok();
                let granted = ack.as_ref().is_some_and(|m| {
                    m.op == Op::BOOTREPLY
                        && m.message_type() == Some(MessageType::ACK)
                        && Some(m.xid) == last_xid
                        && m.chaddr.get(..6) == Some(&MAC[..])
                });
                assert!(granted, "bound without a matching ACK: {event:?}");
            }
        }
        now += u64::from(advance) * 1000;
        client.handle_timeout(now);
        while client.poll_event().is_some() {}
    }
}
