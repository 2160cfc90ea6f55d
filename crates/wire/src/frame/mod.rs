//! Ethernet II, IPv4 and UDP: what a raw-socket DHCP server reads and writes.
//!
//! Parsing checks every length field against the buffer before slicing and verifies the IPv4
//! header checksum and the UDP checksum (when non-zero), the CVE-2015-8605 class of bugs
//! (reliability class B2). Emitting fills both checksums.

mod checksum;
pub mod icmp;

use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddrV4};

use crate::error::{Area, Error};

/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of an IEEE 802.1Q VLAN tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// IP protocol number of UDP.
pub const PROTOCOL_UDP: u8 = 17;
/// Ethernet II header length.
pub const ETHERNET_HEADER_LEN: usize = 14;
/// IPv4 header length without options.
pub const IPV4_HEADER_LEN: usize = 20;
/// UDP header length.
pub const UDP_HEADER_LEN: usize = 8;
/// Largest UDP payload an IPv4 datagram can carry with a 20-octet header.
pub const MAX_UDP_PAYLOAD: usize = 65_535 - IPV4_HEADER_LEN - UDP_HEADER_LEN;

/// A UDP datagram in IPv4: addresses, ports and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Udp<'a> {
    /// Source address and port.
    pub src: SocketAddrV4,
    /// Destination address and port.
    pub dst: SocketAddrV4,
    /// IPv4 time to live.
    pub ttl: u8,
    /// The UDP payload.
    pub payload: &'a [u8],
}

/// An Ethernet II frame carrying a UDP datagram in IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Destination MAC address.
    pub dst_mac: [u8; 6],
    /// Source MAC address.
    pub src_mac: [u8; 6],
    /// The datagram.
    pub ip: Ipv4Udp<'a>,
}

fn truncated(area: Area, need: usize, have: usize) -> Error {
    Error::Truncated { area, need, have }
}

fn be16(data: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([
        data.get(at).copied().unwrap_or(0),
        data.get(at + 1).copied().unwrap_or(0),
    ])
}

fn ipv4(data: &[u8], at: usize) -> Ipv4Addr {
    let mut octets = [0u8; 4];
    if let Some(src) = data.get(at..at + 4) {
        octets.copy_from_slice(src);
    }
    Ipv4Addr::from(octets)
}

/// Which checksums to verify. Frames a host sends and captures itself often carry a UDP
/// checksum left for the NIC to fill (checksum offload), so capture readers and raw sockets that
/// see such frames may choose to ignore it; a reader of captures may also want to show a frame
/// whose IPv4 header checksum is wrong, as tshark does, rather than refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksums {
    /// Reject an IPv4 header checksum, or a non-zero UDP checksum, that does not verify.
    Verify,
    /// Verify the IPv4 header checksum; do not look at the UDP checksum.
    IgnoreUdp,
    /// Look at neither checksum.
    Ignore,
}

impl<'a> Ipv4Udp<'a> {
    /// Parses an IPv4 datagram that must carry UDP, verifying both checksums. Octets after the
    /// IPv4 total length (link padding) are ignored.
    pub fn parse(data: &'a [u8]) -> Result<Self, Error> {
        Self::parse_with(data, Checksums::Verify)
    }

    /// [`Ipv4Udp::parse`] with a choice about the checksums.
    pub fn parse_with(data: &'a [u8], checksums: Checksums) -> Result<Self, Error> {
        let first = *data
            .first()
            .ok_or(truncated(Area::Ipv4, IPV4_HEADER_LEN, 0))?;
        if data.len() < IPV4_HEADER_LEN {
            return Err(truncated(Area::Ipv4, IPV4_HEADER_LEN, data.len()));
        }
        let header_len = usize::from(first & 0x0f) * 4;
        if first >> 4 != 4 || header_len < IPV4_HEADER_LEN || header_len > data.len() {
            return Err(Error::BadIpHeader(first));
        }
        let total = usize::from(be16(data, 2));
        if total < header_len || total > data.len() {
            return Err(Error::BadIpLength {
                total,
                header: header_len,
                buffer: data.len(),
            });
        }
        let header = data.get(..header_len).unwrap_or_default();
        if checksums != Checksums::Ignore && checksum::finish(checksum::add(0, header)) != 0 {
            return Err(Error::BadIpChecksum);
        }
        // More-fragments flag or a fragment offset.
        if be16(data, 6) & 0x3fff != 0 {
            return Err(Error::Fragment);
        }
        let protocol = data.get(9).copied().unwrap_or(0);
        if protocol != PROTOCOL_UDP {
            return Err(Error::NotUdp(protocol));
        }
        let ttl = data.get(8).copied().unwrap_or(0);
        let (src, dst) = (ipv4(data, 12), ipv4(data, 16));
        let udp = data.get(header_len..total).unwrap_or_default();
        if udp.len() < UDP_HEADER_LEN {
            return Err(truncated(Area::Udp, UDP_HEADER_LEN, udp.len()));
        }
        let udp_len = usize::from(be16(udp, 4));
        if udp_len < UDP_HEADER_LEN || udp_len > udp.len() {
            return Err(Error::BadUdpLength {
                udp: udp_len,
                payload: udp.len(),
            });
        }
        let udp = udp.get(..udp_len).unwrap_or_default();
        if checksums == Checksums::Verify && be16(udp, 6) != 0 {
            let sum = checksum::pseudo_header(src, dst, PROTOCOL_UDP, udp_len as u16);
            if checksum::finish(checksum::add(sum, udp)) != 0 {
                return Err(Error::BadUdpChecksum);
            }
        }
        Ok(Self {
            src: SocketAddrV4::new(src, be16(udp, 0)),
            dst: SocketAddrV4::new(dst, be16(udp, 2)),
            ttl,
            payload: udp.get(UDP_HEADER_LEN..).unwrap_or_default(),
        })
    }

    /// Octets [`Ipv4Udp::emit`] appends.
    pub fn encoded_len(&self) -> usize {
        IPV4_HEADER_LEN + UDP_HEADER_LEN + self.payload.len()
    }

    /// Appends the IPv4 header (no options, DF clear) and the UDP datagram, both checksums
    /// filled. A payload over [`MAX_UDP_PAYLOAD`] octets is [`Error::TooLarge`].
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.payload.len() > MAX_UDP_PAYLOAD {
            return Err(Error::TooLarge {
                need: self.payload.len(),
                limit: MAX_UDP_PAYLOAD,
            });
        }
        let total = self.encoded_len() as u16;
        let udp_len = (UDP_HEADER_LEN + self.payload.len()) as u16;
        let (src, dst) = (*self.src.ip(), *self.dst.ip());
        let start = out.len();
        out.extend_from_slice(&[0x45, 0]);
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0, self.ttl, PROTOCOL_UDP, 0, 0]);
        out.extend_from_slice(&src.octets());
        out.extend_from_slice(&dst.octets());
        let ip_sum = checksum::finish(checksum::add(0, out.get(start..).unwrap_or_default()));
        if let Some(field) = out.get_mut(start + 10..start + 12) {
            field.copy_from_slice(&ip_sum.to_be_bytes());
        }
        let udp_start = out.len();
        out.extend_from_slice(&self.src.port().to_be_bytes());
        out.extend_from_slice(&self.dst.port().to_be_bytes());
        out.extend_from_slice(&udp_len.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(self.payload);
        let sum = checksum::pseudo_header(src, dst, PROTOCOL_UDP, udp_len);
        let udp_sum =
            match checksum::finish(checksum::add(sum, out.get(udp_start..).unwrap_or_default())) {
                // A computed zero is sent as all ones (RFC 768).
                0 => 0xffff,
                s => s,
            };
        if let Some(field) = out.get_mut(udp_start + 6..udp_start + 8) {
            field.copy_from_slice(&udp_sum.to_be_bytes());
        }
        Ok(())
    }
}

impl<'a> Frame<'a> {
    /// Parses an Ethernet II frame (one 802.1Q tag allowed) carrying UDP in IPv4, verifying both
    /// checksums.
    pub fn parse(data: &'a [u8]) -> Result<Self, Error> {
        Self::parse_with(data, Checksums::Verify)
    }

    /// [`Frame::parse`] with a choice about the checksums.
    pub fn parse_with(data: &'a [u8], checksums: Checksums) -> Result<Self, Error> {
        if data.len() < ETHERNET_HEADER_LEN {
            return Err(truncated(Area::Ethernet, ETHERNET_HEADER_LEN, data.len()));
        }
        let mut dst_mac = [0u8; 6];
        let mut src_mac = [0u8; 6];
        dst_mac.copy_from_slice(data.get(0..6).unwrap_or(&[0; 6]));
        src_mac.copy_from_slice(data.get(6..12).unwrap_or(&[0; 6]));
        let mut ethertype = be16(data, 12);
        let mut payload_at = ETHERNET_HEADER_LEN;
        if ethertype == ETHERTYPE_VLAN {
            if data.len() < ETHERNET_HEADER_LEN + 4 {
                return Err(truncated(
                    Area::Ethernet,
                    ETHERNET_HEADER_LEN + 4,
                    data.len(),
                ));
            }
            ethertype = be16(data, 16);
            payload_at += 4;
        }
        if ethertype != ETHERTYPE_IPV4 {
            return Err(Error::NotIpv4(ethertype));
        }
        let ip = Ipv4Udp::parse_with(data.get(payload_at..).unwrap_or_default(), checksums)?;
        Ok(Self {
            dst_mac,
            src_mac,
            ip,
        })
    }

    /// Octets [`Frame::emit`] returns.
    pub fn encoded_len(&self) -> usize {
        ETHERNET_HEADER_LEN + self.ip.encoded_len()
    }

    /// The whole frame in a fresh buffer, checksums filled.
    pub fn emit(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&self.dst_mac);
        out.extend_from_slice(&self.src_mac);
        out.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        self.ip.emit(&mut out)?;
        Ok(out)
    }
}
