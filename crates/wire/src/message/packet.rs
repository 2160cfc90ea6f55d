//! `Packet`: a zero-copy, checked view of a DHCP message in a byte buffer.

use core::net::Ipv4Addr;
use core::ops::Range;

use super::field::{self, BOOTP_HEADER_LEN, DHCP_HEADER_LEN, MAGIC_COOKIE};
use super::Op;
use crate::error::{Area, Error};

/// A view of a DHCP message over `buffer`. [`Packet::new_checked`] verifies the length and the
/// magic cookie once; after that no accessor can fail or panic.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that `buffer` holds the fixed header and the magic cookie (RFC 2131 section 3).
    /// A BOOTP message without the cookie is [`Error::BadCookie`].
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let data = buffer.as_ref();
        if data.len() < DHCP_HEADER_LEN {
            return Err(Error::Truncated {
                area: Area::Header,
                need: DHCP_HEADER_LEN,
                have: data.len(),
            });
        }
        let packet = Self { buffer };
        match packet.cookie() {
            MAGIC_COOKIE => Ok(packet),
            other => Err(Error::BadCookie(other)),
        }
    }

    /// Checks only that `buffer` holds the fixed BOOTP header (RFC 951), cookie or not.
    pub fn new_bootp_checked(buffer: T) -> Result<Self, Error> {
        let have = buffer.as_ref().len();
        if have < BOOTP_HEADER_LEN {
            return Err(Error::Truncated {
                area: Area::Header,
                need: BOOTP_HEADER_LEN,
                have,
            });
        }
        Ok(Self { buffer })
    }

    /// The vendor area (RFC 951 `vend`): everything after the fixed header.
    pub fn vendor(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(BOOTP_HEADER_LEN..)
            .unwrap_or_default()
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn octet(&self, at: usize) -> u8 {
        self.buffer.as_ref().get(at).copied().unwrap_or(0)
    }

    fn array<const N: usize>(&self, range: Range<usize>) -> [u8; N] {
        self.buffer
            .as_ref()
            .get(range)
            .and_then(|b| b.try_into().ok())
            .unwrap_or([0; N])
    }

    fn slice(&self, range: Range<usize>) -> &[u8] {
        self.buffer.as_ref().get(range).unwrap_or_default()
    }

    /// `op`: request or reply.
    pub fn op(&self) -> Op {
        Op(self.octet(field::OP))
    }
    /// `htype`: hardware address type (1 is Ethernet).
    pub fn htype(&self) -> u8 {
        self.octet(field::HTYPE)
    }
    /// `hlen`: hardware address length as sent (may exceed 16, reliability class B16).
    pub fn hlen(&self) -> u8 {
        self.octet(field::HLEN)
    }
    /// `hops`: relay hop count.
    pub fn hops(&self) -> u8 {
        self.octet(field::HOPS)
    }
    /// `xid`: transaction id.
    pub fn xid(&self) -> u32 {
        u32::from_be_bytes(self.array(field::XID))
    }
    /// `secs`: seconds since the client began.
    pub fn secs(&self) -> u16 {
        u16::from_be_bytes(self.array(field::SECS))
    }
    /// `flags`: only the leftmost bit (broadcast) has meaning (RFC 2131 section 2).
    pub fn flags(&self) -> u16 {
        u16::from_be_bytes(self.array(field::FLAGS))
    }
    /// `ciaddr`: client address, when the client has one.
    pub fn ciaddr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.array::<4>(field::CIADDR))
    }
    /// `yiaddr`: "your" address.
    pub fn yiaddr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.array::<4>(field::YIADDR))
    }
    /// `siaddr`: next server.
    pub fn siaddr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.array::<4>(field::SIADDR))
    }
    /// `giaddr`: relay agent address.
    pub fn giaddr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.array::<4>(field::GIADDR))
    }
    /// `chaddr`: all 16 octets.
    pub fn chaddr(&self) -> [u8; 16] {
        self.array(field::CHADDR)
    }
    /// `sname`: all 64 octets (a string, or options when overloaded).
    pub fn sname(&self) -> &[u8] {
        self.slice(field::SNAME)
    }
    /// `file`: all 128 octets (a string, or options when overloaded).
    pub fn file(&self) -> &[u8] {
        self.slice(field::FILE)
    }
    /// The magic cookie.
    pub fn cookie(&self) -> u32 {
        u32::from_be_bytes(self.array(field::COOKIE))
    }
    /// The `options` field: everything after the cookie.
    pub fn options(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(field::OPTIONS..)
            .unwrap_or_default()
    }
}
