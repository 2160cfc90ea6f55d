//! Applies a lease to the interface over rtnetlink: the address with its prefix and broadcast,
//! the routes (classless static routes when the server sent them, RFC 3442 section 3, else a
//! default route through the first router), and the MTU; and takes them away again.

use std::net::{IpAddr, Ipv4Addr};

use charrua_client::Lease;
use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_REPLACE,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// An rtnetlink socket for one interface.
pub(crate) struct Netlink {
    socket: Socket,
    index: u32,
    sequence: u32,
}

/// Prefix length of a contiguous netmask (RFC 950 masks; anything else counts its ones).
fn prefix_len(mask: Ipv4Addr) -> u8 {
    u32::from(mask).count_ones() as u8
}

/// The routes a lease asks for: (destination, prefix length, gateway; unspecified is on-link).
pub(crate) fn routes(lease: &Lease) -> Vec<(Ipv4Addr, u8, Ipv4Addr)> {
    if !lease.classless_routes.is_empty() {
        // RFC 3442 section 5: with option 121, the client ignores option 3.
        return lease
            .classless_routes
            .iter()
            .map(|r| (r.destination, r.prefix_len, r.router))
            .collect();
    }
    lease
        .routers
        .first()
        .map(|gw| vec![(Ipv4Addr::UNSPECIFIED, 0, *gw)])
        .unwrap_or_default()
}

impl Netlink {
    pub(crate) fn open(index: u32) -> Result<Self, String> {
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(|e| format!("netlink socket: {e}"))?;
        socket
            .bind_auto()
            .map_err(|e| format!("netlink bind: {e}"))?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(|e| format!("netlink connect: {e}"))?;
        Ok(Self {
            socket,
            index,
            sequence: 0,
        })
    }

    /// Sends one request and waits for the kernel's answer.
    fn request(&mut self, message: RouteNetlinkMessage, flags: u16) -> Result<(), String> {
        self.sequence += 1;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        header.sequence_number = self.sequence;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(message));
        packet.finalize();
        let mut buf = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket
            .send(&buf, 0)
            .map_err(|e| format!("netlink send: {e}"))?;
        loop {
            let mut reply = Vec::with_capacity(8192);
            self.socket
                .recv(&mut reply, 0)
                .map_err(|e| format!("netlink receive: {e}"))?;
            let answer = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&reply)
                .map_err(|e| format!("netlink answer: {e}"))?;
            if answer.header.sequence_number != self.sequence {
                continue;
            }
            return match answer.payload {
                NetlinkPayload::Error(e) => match e.code {
                    None => Ok(()),
                    Some(code) => Err(std::io::Error::from_raw_os_error(-code.get()).to_string()),
                },
                _ => Ok(()),
            };
        }
    }

    fn address_message(&self, lease: &Lease) -> AddressMessage {
        let mut msg = AddressMessage::default();
        msg.header.family = AddressFamily::Inet;
        msg.header.prefix_len = lease.subnet_mask.map_or(32, prefix_len);
        msg.header.index = self.index;
        msg.attributes
            .push(AddressAttribute::Local(IpAddr::V4(lease.address)));
        msg.attributes
            .push(AddressAttribute::Address(IpAddr::V4(lease.address)));
        if let Some(mask) = lease.subnet_mask {
            let broadcast = lease
                .broadcast
                .unwrap_or(Ipv4Addr::from(u32::from(lease.address) | !u32::from(mask)));
            msg.attributes.push(AddressAttribute::Broadcast(broadcast));
        }
        msg
    }

    fn route_message(
        &self,
        (destination, prefix, gateway): (Ipv4Addr, u8, Ipv4Addr),
        lease: &Lease,
    ) -> RouteMessage {
        let mut msg = RouteMessage::default();
        msg.header.address_family = AddressFamily::Inet;
        msg.header.destination_prefix_length = prefix;
        msg.header.table = RouteHeader::RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Dhcp;
        msg.header.kind = RouteType::Unicast;
        msg.header.scope = if gateway.is_unspecified() {
            RouteScope::Link
        } else {
            RouteScope::Universe
        };
        if prefix > 0 {
            msg.attributes
                .push(RouteAttribute::Destination(RouteAddress::Inet(destination)));
        }
        if !gateway.is_unspecified() {
            msg.attributes
                .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway)));
        }
        msg.attributes
            .push(RouteAttribute::PrefSource(RouteAddress::Inet(
                lease.address,
            )));
        msg.attributes.push(RouteAttribute::Oif(self.index));
        msg
    }

    /// Puts the lease on the interface: address, routes, MTU.
    pub(crate) fn apply(&mut self, lease: &Lease) -> Result<(), String> {
        let address = self.address_message(lease);
        self.request(
            RouteNetlinkMessage::NewAddress(address),
            NLM_F_CREATE | NLM_F_REPLACE,
        )
        .map_err(|e| format!("adding {}: {e}", lease.address))?;
        if let Some(mtu) = lease.mtu {
            let mut link = LinkMessage::default();
            link.header.index = self.index;
            link.attributes.push(LinkAttribute::Mtu(u32::from(mtu)));
            self.request(RouteNetlinkMessage::SetLink(link), 0)
                .map_err(|e| format!("setting MTU {mtu}: {e}"))?;
        }
        for route in routes(lease) {
            let msg = self.route_message(route, lease);
            self.request(
                RouteNetlinkMessage::NewRoute(msg),
                NLM_F_CREATE | NLM_F_REPLACE,
            )
            .map_err(|e| format!("adding route {}/{} via {}: {e}", route.0, route.1, route.2))?;
        }
        Ok(())
    }

    /// Takes the lease off the interface: its routes, then its address.
    pub(crate) fn remove(&mut self, lease: &Lease) -> Result<(), String> {
        for route in routes(lease) {
            let msg = self.route_message(route, lease);
            // Already gone (with the address, say) is fine.
            let _ = self.request(RouteNetlinkMessage::DelRoute(msg), 0);
        }
        let address = self.address_message(lease);
        self.request(RouteNetlinkMessage::DelAddress(address), 0)
            .map_err(|e| format!("removing {}: {e}", lease.address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_lengths_of_masks() {
        assert_eq!(prefix_len(Ipv4Addr::new(255, 255, 255, 0)), 24);
        assert_eq!(prefix_len(Ipv4Addr::new(255, 254, 0, 0)), 15);
        assert_eq!(prefix_len(Ipv4Addr::UNSPECIFIED), 0);
    }
}
