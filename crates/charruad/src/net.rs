//! Interfaces and the DHCP socket.
//!
//! An AF_PACKET socket with a BPF filter receives the frames sent to the server port on the
//! served interfaces (`packet.rs`); a UDP socket bound to port 67 sends, and receives instead when
//! the packet socket cannot be opened (no CAP_NET_RAW), with `IP_PKTINFO` telling which interface a
//! datagram came in on and where it was sent (broadcast for REBINDING, our address for RENEWING). Replies
//! to a relay or to a client's `ciaddr` are routed as usual; broadcasts are sent out of the
//! interface the request came in on, by `IP_PKTINFO` again. A reply that the core addresses to a
//! client's hardware address (it has no IP address yet, so it cannot answer ARP) goes out as an
//! Ethernet frame to that address (`packet.rs`); where that is not possible (no Ethernet address,
//! no AF_PACKET socket) it is broadcast on the interface, which RFC 2131 section 4.1 allows.

use std::io::IoSlice;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

use charrua_server::{Config, Destination};
use nix::ifaddrs::getifaddrs;
use nix::libc;
use nix::net::if_::{if_nametoindex, InterfaceFlags};
use nix::sys::socket::{sendmsg, setsockopt, sockopt, ControlMessage, MsgFlags, SockaddrIn};
use socket2::{Domain, Protocol, Socket, Type};

/// An interface the server answers on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interface {
    pub(crate) name: String,
    pub(crate) index: u32,
    /// Its address inside a declared subnet: the link's identity and default server identifier.
    pub(crate) address: Ipv4Addr,
    /// Its Ethernet address, for frames sent with AF_PACKET.
    pub(crate) mac: Option<[u8; 6]>,
}

/// The broadcast-capable interfaces with an address inside a declared subnet, limited to
/// `wanted` when it names any (dhcpd's rule).
pub(crate) fn interfaces(config: &Config, wanted: &[String]) -> Result<Vec<Interface>, String> {
    let mut found: Vec<Interface> = Vec::new();
    let all: Vec<_> = getifaddrs()
        .map_err(|e| format!("listing interfaces: {e}"))?
        .collect();
    let mac_of = |name: &str| {
        all.iter()
            .filter(|i| i.interface_name == name)
            .find_map(|i| {
                i.address
                    .as_ref()
                    .and_then(|a| a.as_link_addr())
                    .and_then(|l| l.addr())
            })
    };
    for ifa in &all {
        let flags = ifa.flags;
        if !flags.contains(InterfaceFlags::IFF_UP) || flags.contains(InterfaceFlags::IFF_LOOPBACK) {
            continue;
        }
        if !wanted.is_empty() && !wanted.contains(&ifa.interface_name) {
            continue;
        }
        let Some(address) = ifa
            .address
            .as_ref()
            .and_then(|a| a.as_sockaddr_in())
            .map(|a| a.ip())
        else {
            continue;
        };
        if config.subnet_of(address).is_none() || found.iter().any(|i| i.name == ifa.interface_name)
        {
            continue;
        }
        let index = if_nametoindex(ifa.interface_name.as_str())
            .map_err(|e| format!("{}: {e}", ifa.interface_name))?;
        found.push(Interface {
            name: ifa.interface_name.clone(),
            index,
            address,
            mac: mac_of(&ifa.interface_name),
        });
    }
    for name in wanted {
        if !found.iter().any(|i| &i.name == name) {
            return Err(format!(
                "{name}: no IPv4 address inside a declared subnet (or no such interface)"
            ));
        }
    }
    Ok(found)
}

/// The server's UDP socket on `port`, bound to `address` (the configuration's `local-address`)
/// or to every address, with a receive timeout so the loop can look at signals.
pub(crate) fn open(port: u16, address: Option<Ipv4Addr>) -> Result<UdpSocket, String> {
    let address = address.unwrap_or(Ipv4Addr::UNSPECIFIED);
    let fail = |what: &str, e: std::io::Error| format!("{what} on UDP {address}:{port}: {e}");
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| fail("socket", e))?;
    socket
        .set_reuse_address(true)
        .map_err(|e| fail("SO_REUSEADDR", e))?;
    socket
        .set_broadcast(true)
        .map_err(|e| fail("SO_BROADCAST", e))?;
    charrua_socket::packet::grow_receive_buffer(&socket);
    socket
        .bind(&SocketAddrV4::new(address, port).into())
        .map_err(|e| fail("bind", e))?;
    setsockopt(&socket, sockopt::Ipv4PacketInfo, &true)
        .map_err(|e| fail("IP_PKTINFO", e.into()))?;
    socket
        .set_read_timeout(Some(Duration::from_millis(250)))
        .map_err(|e| fail("SO_RCVTIMEO", e))?;
    Ok(socket.into())
}

/// A received datagram's metadata: where its payload lies in the receive buffer, where it
/// came from and went to, and the interface.
#[derive(Debug, Clone)]
pub(crate) struct Arrival {
    pub(crate) payload: std::ops::Range<usize>,
    pub(crate) source: SocketAddrV4,
    pub(crate) destination: Ipv4Addr,
    pub(crate) interface: u32,
}

/// How a reply leaves: the UDP socket, the packet socket when there is one, and the interface
/// the request came in on.
#[derive(Debug)]
pub(crate) struct Egress<'a> {
    pub(crate) socket: &'a UdpSocket,
    pub(crate) packet: Option<&'a charrua_socket::packet::PacketSocket>,
    pub(crate) interface: &'a Interface,
    pub(crate) ports: Ports,
}

/// The ports served on and answered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ports {
    /// Where requests come (and relays are answered): `-p`, 67 by default, and over it the
    /// configuration's `local-port`.
    pub(crate) server: u16,
    /// Where clients are answered: the command line's server port plus one (68 by default),
    /// or the configuration's `remote-port` (server/dhcpd.c computes it before reading
    /// `local-port`, so that one moves the server port only).
    pub(crate) client: u16,
}

impl Ports {
    /// The ports for command-line port `port` and the configuration's `local-port` and
    /// `remote-port`.
    pub(crate) fn new(port: u16, local: Option<u16>, remote: Option<u16>) -> Self {
        Self {
            server: local.unwrap_or(port),
            client: remote.unwrap_or(port.wrapping_add(1)),
        }
    }
}

/// The core addresses servers on 67 and clients on 68: those become the ports served on and
/// answered to.
pub(crate) fn remap(to: SocketAddrV4, ports: Ports) -> SocketAddrV4 {
    match to.port() {
        67 => SocketAddrV4::new(*to.ip(), ports.server),
        68 => SocketAddrV4::new(*to.ip(), ports.client),
        _ => to,
    }
}

/// Sends a reply where the core said.
pub(crate) fn send(
    egress: &Egress<'_>,
    payload: &[u8],
    destination: &Destination,
) -> std::io::Result<()> {
    let socket = egress.socket;
    let interface = egress.interface.index;
    if let Destination::Link {
        ip,
        htype: 1,
        hardware,
    } = destination
    {
        let mac = <[u8; 6]>::try_from(hardware.as_slice()).ok();
        if let (Some(packet), Some(src_mac), Some(mac)) = (egress.packet, egress.interface.mac, mac)
        {
            let src = SocketAddrV4::new(egress.interface.address, egress.ports.server);
            return packet.send(
                interface,
                src_mac,
                src,
                mac,
                remap(*ip, egress.ports),
                payload,
            );
        }
    }
    match destination {
        Destination::Relay(to) | Destination::Unicast(to) => socket
            .send_to(payload, remap(*to, egress.ports))
            .map(|_| ()),
        Destination::Link { .. } | Destination::Broadcast => {
            let info = libc::in_pktinfo {
                ipi_ifindex: interface as libc::c_int,
                ipi_spec_dst: libc::in_addr { s_addr: 0 },
                ipi_addr: libc::in_addr { s_addr: 0 },
            };
            let to = SockaddrIn::from(SocketAddrV4::new(Ipv4Addr::BROADCAST, egress.ports.client));
            let cmsg = [ControlMessage::Ipv4PacketInfo(&info)];
            sendmsg(
                socket.as_raw_fd(),
                &[IoSlice::new(payload)],
                &cmsg,
                MsgFlags::empty(),
                Some(&to),
            )
            .map(|_| ())
            .map_err(Into::into)
        }
    }
}

/// Finds the DHCP datagram in a frame received on interface `interface`; the payload range is
/// relative to `frame`. The UDP checksum is not checked: frames from a local peer carry one
/// left for the NIC to fill (checksum offload); the IPv4 header checksum and every length are.
pub(crate) fn parse_frame(frame: &[u8], interface: u32) -> Result<Arrival, charrua_wire::Error> {
    use charrua_wire::frame::{Checksums, Frame, ETHERNET_HEADER_LEN, UDP_HEADER_LEN};
    let parsed = Frame::parse_with(frame, Checksums::IgnoreUdp)?;
    let ihl = usize::from(frame.get(ETHERNET_HEADER_LEN).copied().unwrap_or(0) & 0x0f) * 4;
    let start = ETHERNET_HEADER_LEN + ihl + UDP_HEADER_LEN;
    Ok(Arrival {
        payload: start..start + parsed.ip.payload.len(),
        source: parsed.ip.src,
        destination: *parsed.ip.dst.ip(),
        interface,
    })
}
