//! The Internet checksum (RFC 1071): one's complement sum of 16-bit words.

use core::net::Ipv4Addr;

/// Adds `data` as big-endian 16-bit words (an odd last octet padded with zero) to `sum`.
pub(crate) fn add(mut sum: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        if let [hi, lo] = *w {
            sum = sum.wrapping_add(u32::from(u16::from_be_bytes([hi, lo])));
        }
    }
    if let [last] = words.remainder() {
        sum = sum.wrapping_add(u32::from(*last) << 8);
    }
    // Fold now and then so the sum cannot overflow on any buffer length.
    (sum & 0xffff) + (sum >> 16)
}

/// Folds the carries and complements: the value to put in a checksum field.
pub(crate) fn finish(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The IPv4 pseudo-header sum for UDP (RFC 768).
pub(crate) fn pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, len: u16) -> u32 {
    let mut sum = add(0, &src.octets());
    sum = add(sum, &dst.octets());
    add(sum, &[0, protocol, (len >> 8) as u8, len as u8])
}
