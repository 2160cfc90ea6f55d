//! From a captured frame to the IPv4 datagram inside it, per link type.

use pcap_file::DataLink;

/// EtherType of IPv4, as the cooked headers carry it.
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_VLAN: u16 = 0x8100;

fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

/// The IPv4 datagram a frame carries, or `None` when it carries something else (or the link type
/// is one this tool does not read).
pub(crate) fn ipv4_payload(link: DataLink, data: &[u8]) -> Option<&[u8]> {
    let (ethertype, start) = match link {
        DataLink::ETHERNET => match be16(data, 12)? {
            ETHERTYPE_VLAN => (be16(data, 16)?, 18),
            other => (other, 14),
        },
        // Linux cooked capture v1: 16-octet header, protocol in its last two octets.
        DataLink::LINUX_SLL => (be16(data, 14)?, 16),
        // Linux cooked capture v2: 20-octet header, protocol first.
        DataLink::LINUX_SLL2 => (be16(data, 0)?, 20),
        DataLink::RAW | DataLink::IPV4 => {
            return data.first().filter(|b| *b >> 4 == 4).map(|_| data);
        }
        _ => return None,
    };
    (ethertype == ETHERTYPE_IPV4)
        .then(|| data.get(start..))
        .flatten()
}

/// Whether an IPv4 datagram claims to be UDP to or from the DHCP ports, judged from the header
/// fields alone, so that a malformed one can be reported rather than skipped.
pub(crate) fn looks_like_dhcp(ip: &[u8]) -> bool {
    let Some(&first) = ip.first() else {
        return false;
    };
    let ihl = usize::from(first & 0x0f) * 4;
    let is_udp = ip.get(9) == Some(&17);
    let ports = [be16(ip, ihl), be16(ip, ihl + 2)];
    is_udp && ports.iter().flatten().any(|p| matches!(p, 67 | 68))
}
