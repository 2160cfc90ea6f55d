//! Builders for raw test messages.
#![allow(dead_code, unreachable_pub)]

/// A BOOTREQUEST header (236 octets) with Ethernet hlen 6 and a fixed chaddr.
pub fn header() -> Vec<u8> {
    let mut h = vec![0u8; 236];
    h[0] = 1;
    h[1] = 1;
    h[2] = 6;
    h[4..8].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    h[28..34].copy_from_slice(&[0x02, 0, 0, 0xc0, 0xff, 0xee]);
    h
}

/// Header, magic cookie and then `options` verbatim.
pub fn dhcp(options: &[u8]) -> Vec<u8> {
    let mut m = header();
    m.extend_from_slice(&[99, 130, 83, 99]);
    m.extend_from_slice(options);
    m
}

/// Like `dhcp`, with `file` and `sname` fields replaced (zero padded).
pub fn dhcp_with_fields(options: &[u8], file: &[u8], sname: &[u8]) -> Vec<u8> {
    let mut m = dhcp(options);
    m[108..108 + file.len()].copy_from_slice(file);
    m[44..44 + sname.len()].copy_from_slice(sname);
    m
}
