//! `Format`: how an option's value is laid out on the wire and written as text.

/// The value format of an option, as ISC dhcpd's format letters describe them (`I`, `IA`, `L`,
/// `t`, `X`, `D`...), plus the structured formats of later RFCs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// No value at all (rapid commit, RFC 4039).
    Empty,
    /// One IPv4 address, 4 octets.
    Ip,
    /// One or more IPv4 addresses, a multiple of 4 octets (at least 4).
    IpList,
    /// One or more pairs of IPv4 addresses, a multiple of 8 octets (RFC 2132 sections 4.3, 5.8).
    IpPairs,
    /// Unsigned 8-bit integer.
    U8,
    /// Unsigned 16-bit integer, network order.
    U16,
    /// Unsigned 32-bit integer, network order.
    U32,
    /// Signed 32-bit integer, network order (time offset, RFC 2132 section 3.4).
    I32,
    /// Flag: one octet, 0 or 1.
    Bool,
    /// List of unsigned 8-bit integers, at least one.
    U8List,
    /// List of unsigned 16-bit integers, at least one.
    U16List,
    /// NVT ASCII text, at least one octet; trailing NULs are dropped (RFC 2132 section 2).
    Text,
    /// Opaque octets.
    Bytes,
    /// One domain name in RFC 1035 wire form, uncompressed (RFC 5986).
    DomainName,
    /// Domain names in RFC 1035 wire form with compression pointers (RFC 3397).
    DomainList,
    /// Classless static routes: prefix length, significant octets, router (RFC 3442).
    Routes,
    /// Client FQDN: flags, two RCODEs, a name (RFC 4702).
    Fqdn,
    /// Sub-options: code, length, value (relay agent information, RFC 3046).
    SubOptions,
    /// Vendor blocks: enterprise number, length, data (RFC 3925).
    Vendors,
    /// Length-prefixed opaque instances (user class, RFC 3004).
    Blobs,
    /// A type octet and opaque data (client machine identifier, RFC 4578).
    Tagged,
    /// A status code octet and UTF-8 message (RFC 6926).
    Status,
    /// 6rd parameters: IPv4 mask length, 6rd prefix length and prefix, border relays (RFC 5969).
    SixRd,
}
