//! The one error type of the wire layer.

use crate::options::OptionCode;

/// Which part of a datagram or frame an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// The Ethernet II header.
    Ethernet,
    /// The IPv4 header or datagram.
    Ipv4,
    /// The UDP header or datagram.
    Udp,
    /// The fixed BOOTP header (236 octets) and the magic cookie.
    Header,
    /// The `options` field (RFC 2131 section 2).
    Options,
    /// The `file` field, when overloaded with options (RFC 2132 section 9.3).
    File,
    /// The `sname` field, when overloaded with options (RFC 2132 section 9.3).
    Sname,
    /// The value of one option.
    Value,
}

/// What was wrong with an input, and where. Small and `Copy`: no strings, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Error {
    /// The buffer ends before a structure that must be there.
    #[error("{area:?} truncated: need {need} octets, have {have}")]
    Truncated {
        /// The structure that is cut short.
        area: Area,
        /// Octets the structure needs.
        need: usize,
        /// Octets available.
        have: usize,
    },
    /// The four octets after the BOOTP header are not 99.130.83.99 (RFC 2131 section 3).
    #[error("magic cookie is {0:#010x}, not 0x63825363: not a DHCP message")]
    BadCookie(u32),
    /// An option code is the last octet of its field, with no length octet (RFC 2132 section 2).
    #[error("option {code} in {area:?} has no length octet")]
    OptionWithoutLength {
        /// The option's code.
        code: OptionCode,
        /// The field it was found in.
        area: Area,
    },
    /// An option's length runs past the end of its field (RFC 2131 section 4.1: every option
    /// must lie wholly inside one field).
    #[error("option {code} in {area:?} claims {len} octets, only {available} left")]
    OptionOverrun {
        /// The option's code.
        code: OptionCode,
        /// The field it was found in.
        area: Area,
        /// The length octet.
        len: usize,
        /// Octets left in the field.
        available: usize,
    },
    /// Option 52 whose length is not 1 or whose value is not 1, 2 or 3 (RFC 2132 section 9.3).
    #[error("option overload has length {len} and value {value}: must be one octet of 1, 2 or 3")]
    BadOverload {
        /// Concatenated length of option 52.
        len: usize,
        /// Its first octet, or 0 when empty.
        value: u8,
    },
    /// An option value whose length does not fit its format (RFC 2132: for example 4 octets for an
    /// address, a multiple of 4 for an address list).
    #[error("option {code}: length {len} does not fit its format")]
    BadLength {
        /// The option's code.
        code: OptionCode,
        /// The value's length.
        len: usize,
    },
    /// An option value whose content does not fit its format (for example text that is not UTF-8,
    /// a boolean that is neither 0 nor 1, a bad domain-name label or compression pointer).
    #[error("option {code}: malformed value at octet {offset}")]
    BadValue {
        /// The option's code.
        code: OptionCode,
        /// Offset inside the value where decoding failed.
        offset: usize,
    },
    /// A message cannot be encoded within the size limit, even with overload.
    #[error("message needs {need} octets, limit is {limit}")]
    TooLarge {
        /// Octets needed.
        need: usize,
        /// The limit that was given.
        limit: usize,
    },
    /// The Ethernet frame does not carry IPv4 (EtherType 0x0800).
    #[error("EtherType {0:#06x} is not IPv4")]
    NotIpv4(u16),
    /// The IPv4 header's version is not 4 or its IHL is under 5 or past the buffer.
    #[error("IPv4 version/IHL octet {0:#04x} is invalid")]
    BadIpHeader(u8),
    /// IPv4 total length is smaller than the header or larger than the buffer (CVE-2015-8605 class).
    #[error("IPv4 total length {total} is inconsistent with header {header} and buffer {buffer}")]
    BadIpLength {
        /// The total-length field.
        total: usize,
        /// The header length from IHL.
        header: usize,
        /// Octets in the buffer.
        buffer: usize,
    },
    /// The IPv4 header checksum does not verify.
    #[error("IPv4 header checksum does not verify")]
    BadIpChecksum,
    /// The datagram is a fragment; DHCP messages are reassembled by nobody at this layer.
    #[error("IPv4 fragment")]
    Fragment,
    /// The IPv4 protocol is not UDP (17).
    #[error("IP protocol {0} is not UDP")]
    NotUdp(u8),
    /// UDP length is under 8 or larger than the IP payload (CVE-2015-8605 class).
    #[error("UDP length {udp} is inconsistent with IP payload {payload}")]
    BadUdpLength {
        /// The UDP length field.
        udp: usize,
        /// Octets of IP payload.
        payload: usize,
    },
    /// The UDP checksum is present and does not verify.
    #[error("UDP checksum does not verify")]
    BadUdpChecksum,
}
