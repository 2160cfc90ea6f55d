//! ICMP echo (RFC 792) in IPv4: the probe a server sends to an address before offering it, and
//! the reply that tells it something already uses the address (ISC dhcpd's `ping-check`,
//! common/icmp.c).

use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::{be16, checksum, ipv4, IPV4_HEADER_LEN};

/// IP protocol number of ICMP.
pub const PROTOCOL_ICMP: u8 = 1;
const ECHO_REPLY: u8 = 0;
const ECHO_REQUEST: u8 = 8;
/// Type, code, checksum, identifier, sequence number.
const HEADER_LEN: usize = 8;

/// The identifier and sequence number of an echo: a reply carries its request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echo {
    /// Identifier: tells this sender's echoes from other programs'.
    pub id: u16,
    /// Sequence number.
    pub seq: u16,
}

impl Echo {
    /// The ICMP message of an echo request (what a raw ICMP socket sends; the kernel adds the
    /// IPv4 header), checksum filled.
    pub fn request(self) -> Vec<u8> {
        let [id_hi, id_lo] = self.id.to_be_bytes();
        let [seq_hi, seq_lo] = self.seq.to_be_bytes();
        let mut out = alloc::vec![ECHO_REQUEST, 0, 0, 0, id_hi, id_lo, seq_hi, seq_lo];
        let [sum_hi, sum_lo] = checksum::finish(checksum::add(0, &out)).to_be_bytes();
        if let Some(field) = out.get_mut(2..4) {
            field.copy_from_slice(&[sum_hi, sum_lo]);
        }
        out
    }

    /// The source and echo of an ICMP echo reply in an IPv4 datagram (as a raw ICMP socket
    /// reads it, header included); `None` for anything else: another ICMP message, a header
    /// or length that does not hold, a checksum that does not verify.
    pub fn parse_reply(datagram: &[u8]) -> Option<(Ipv4Addr, Self)> {
        let first = *datagram.first()?;
        let header_len = usize::from(first & 0x0f) * 4;
        let total = usize::from(be16(datagram, 2));
        if first >> 4 != 4 || header_len < IPV4_HEADER_LEN || *datagram.get(9)? != PROTOCOL_ICMP {
            return None;
        }
        let icmp = datagram.get(header_len..total.min(datagram.len()))?;
        let is_reply = icmp.len() >= HEADER_LEN
            && icmp.first() == Some(&ECHO_REPLY)
            && icmp.get(1) == Some(&0)
            && checksum::finish(checksum::add(0, icmp)) == 0;
        is_reply.then(|| {
            let echo = Self {
                id: be16(icmp, 4),
                seq: be16(icmp, 6),
            };
            (ipv4(datagram, 12), echo)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 header (checksum left 0: the parser, like the kernel's raw socket reader,
    /// does not need it) around `icmp`.
    fn datagram(icmp: &[u8]) -> Vec<u8> {
        let total = (IPV4_HEADER_LEN + icmp.len()) as u16;
        let mut out = alloc::vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, PROTOCOL_ICMP, 0, 0];
        out[2..4].copy_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&[198, 18, 0, 9, 198, 18, 0, 1]);
        out.extend_from_slice(icmp);
        out
    }

    #[test]
    fn a_request_turned_into_a_reply_parses() {
        let echo = Echo { id: 0x1234, seq: 7 };
        let mut icmp = echo.request();
        assert_eq!(checksum::finish(checksum::add(0, &icmp)), 0);
        // The peer answers with type 0 and fixes the checksum by the difference.
        icmp[0] = ECHO_REPLY;
        icmp[2..4].copy_from_slice(&[0, 0]);
        let sum = checksum::finish(checksum::add(0, &icmp)).to_be_bytes();
        icmp[2..4].copy_from_slice(&sum);
        let parsed = Echo::parse_reply(&datagram(&icmp));
        assert_eq!(parsed, Some((Ipv4Addr::new(198, 18, 0, 9), echo)));
    }

    #[test]
    fn requests_bad_checksums_and_short_datagrams_are_not_replies() {
        let echo = Echo { id: 1, seq: 2 };
        let request = echo.request();
        assert_eq!(Echo::parse_reply(&datagram(&request)), None);
        let mut reply = request.clone();
        reply[0] = ECHO_REPLY;
        assert_eq!(Echo::parse_reply(&datagram(&reply)), None, "checksum");
        let whole = datagram(&reply);
        for len in 0..whole.len() {
            assert_eq!(Echo::parse_reply(&whole[..len]), None);
        }
    }
}
