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
        // Radiotap (its length in octets 2-3, little-endian), then an 802.11 frame.
        DataLink::IEEE802_11_RADIOTAP => {
            let len = u16::from_le_bytes([*data.get(2)?, *data.get(3)?]);
            return wifi_ipv4(data.get(usize::from(len)..)?);
        }
        DataLink::IEEE802_11 => return wifi_ipv4(data),
        _ => return None,
    };
    (ethertype == ETHERTYPE_IPV4)
        .then(|| data.get(start..))
        .flatten()
}

/// The IPv4 datagram in an 802.11 data frame (IEEE 802.11-2020 section 9.3.2.1): a MAC header
/// of 24 octets, 30 with a fourth address (to and from the distribution system), 2 more for QoS
/// data, 4 more for an HT control field (the order bit, in QoS frames), then LLC/SNAP with the
/// EtherType. Protected (encrypted) frames carry nothing readable.
fn wifi_ipv4(frame: &[u8]) -> Option<&[u8]> {
    let control = u16::from_le_bytes([*frame.first()?, *frame.get(1)?]);
    let kind = (control >> 2) & 0x3;
    let subtype = (control >> 4) & 0xf;
    let (to_ds, from_ds) = (control & 0x0100 != 0, control & 0x0200 != 0);
    let (protected, order) = (control & 0x4000 != 0, control & 0x8000 != 0);
    if kind != 2 || protected || subtype & 0x4 != 0 {
        return None;
    }
    let qos = subtype & 0x8 != 0;
    let header = 24
        + if to_ds && from_ds { 6 } else { 0 }
        + if qos { 2 } else { 0 }
        + if qos && order { 4 } else { 0 };
    let llc = frame.get(header..)?;
    let snap = [0xaa, 0xaa, 0x03, 0, 0, 0];
    (llc.get(..6)? == snap && be16(llc, 6)? == ETHERTYPE_IPV4)
        .then(|| llc.get(8..))
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
