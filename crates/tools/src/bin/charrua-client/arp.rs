//! Checks that an address is free before the client uses it (RFC 2131 section 4.4.1: "the client
//! SHOULD perform a check on the suggested address"), with ARP probes as RFC 5227 section 2.1.1
//! describes them: requests from sender address 0.0.0.0 for the address; any ARP from another
//! station claiming it means it is in use.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use charrua_socket::packet::ETH_P_ARP;

/// An ARP probe for `target` from `mac`, as a whole Ethernet frame (RFC 826 layout).
pub(crate) fn probe_frame(mac: [u8; 6], target: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&ETH_P_ARP.to_be_bytes());
    f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]); // Ethernet, IPv4, lengths, request
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0; 4]); // sender address 0.0.0.0: a probe
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&target.octets());
    f
}

/// Whether `frame` is ARP from a station other than `mac` that uses `address` (its sender
/// address), or probes for it too (RFC 5227 section 2.1.1).
pub(crate) fn claims(frame: &[u8], mac: [u8; 6], address: Ipv4Addr) -> bool {
    let field = |range: std::ops::Range<usize>| frame.get(range);
    if field(12..14) != Some(&ETH_P_ARP.to_be_bytes()[..]) {
        return false;
    }
    let (Some(sender_mac), Some(sender_ip), Some(target_ip)) =
        (field(22..28), field(28..32), field(38..42))
    else {
        return false;
    };
    if sender_mac == mac {
        return false;
    }
    let ours = &address.octets()[..];
    sender_ip == ours || (sender_ip == [0; 4] && target_ip == ours)
}

/// Probes `address` on the link: three probes 200 ms apart, then 400 ms more of listening;
/// whether another station claimed it.
pub(crate) fn in_use(link: &crate::link::Link, address: Ipv4Addr) -> bool {
    link.drain_arp();
    let start = Instant::now();
    for probe in 0..3u32 {
        let _ = link.send_arp(&probe_frame(link.mac(), address));
        let until =
            Duration::from_millis(200 * u64::from(probe + 1) + if probe == 2 { 400 } else { 0 });
        while let Some(left) = until.checked_sub(start.elapsed()) {
            if link
                .arp_frames(left)
                .iter()
                .any(|f| claims(f, link.mac(), address))
            {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const OTHER: [u8; 6] = [2, 0, 0, 0, 0, 2];
    const ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

    /// An ARP reply from `mac` for `sender`.
    fn reply(mac: [u8; 6], sender: Ipv4Addr) -> Vec<u8> {
        let mut f = probe_frame(mac, ADDRESS);
        f[20..22].copy_from_slice(&[0, 2]);
        f[28..32].copy_from_slice(&sender.octets());
        f
    }

    #[test]
    fn a_probe_is_an_arp_request_from_nowhere_for_the_address() {
        let f = probe_frame(MAC, ADDRESS);
        assert_eq!(f.len(), 42);
        assert_eq!(&f[12..14], &[8, 6]);
        assert_eq!(&f[28..32], &[0, 0, 0, 0]);
        assert_eq!(&f[38..42], &ADDRESS.octets());
        assert!(!claims(&f, MAC, ADDRESS), "our own probe is no conflict");
        assert!(
            claims(&f, OTHER, ADDRESS),
            "another station probing for it is"
        );
    }

    #[test]
    fn another_station_using_the_address_is_a_conflict() {
        assert!(claims(&reply(OTHER, ADDRESS), MAC, ADDRESS));
        assert!(!claims(
            &reply(OTHER, Ipv4Addr::new(198, 18, 0, 1)),
            MAC,
            ADDRESS
        ));
        assert!(
            !claims(&reply(OTHER, ADDRESS)[..30], MAC, ADDRESS),
            "truncated"
        );
    }
}
