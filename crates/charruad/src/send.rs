//! Where replies leave: the UDP socket (to relays and clients' addresses, many per
//! `sendmmsg`), and the packet socket (frames to clients without an address). Shared by the
//! serving loop (OFFERs, NAKs, INFORMs) and the commit thread (the ACKs it releases the instant
//! their commit is durable); both sockets may be written from two threads at once.

use std::net::UdpSocket;

use charrua_engine::Transmit;
use charrua_server::Destination;
use tracing::error;

use crate::batch::Outbox;
use crate::net::{self, Interface};

/// The sockets and interfaces replies leave by.
#[derive(Debug)]
pub(crate) struct Sender {
    pub(crate) socket: UdpSocket,
    pub(crate) packet: Option<charrua_socket::packet::PacketSocket>,
    pub(crate) interfaces: Vec<Interface>,
    /// The ports served on and answered to.
    pub(crate) ports: net::Ports,
    /// Where request-to-reply latency is recorded, when metrics are served; with the origin
    /// of the engine's monotonic clock, which [`Transmit::received`] is measured from.
    pub(crate) measures: Option<(crate::metrics::Measures, std::time::Instant)>,
}

impl Sender {
    /// Sends `reply`: to a relay or a client's address through `outbox` (sent by
    /// [`Sender::flush`]), otherwise at once.
    pub(crate) fn send(&self, outbox: &mut Outbox, reply: Transmit) {
        if let Some((measures, origin)) = &self.measures {
            let took = origin.elapsed().saturating_sub(reply.received);
            measures.reply(reply.kind, took);
        }
        if let Destination::Relay(to) | Destination::Unicast(to) = reply.destination {
            outbox.push(reply.payload, net::remap(to, self.ports));
            return;
        }
        let Some(interface) = self.interfaces.get(reply.interface) else {
            return;
        };
        let egress = net::Egress {
            socket: &self.socket,
            packet: self.packet.as_ref(),
            interface,
            ports: self.ports,
        };
        if let Err(e) = net::send(&egress, &reply.payload, &reply.destination) {
            error!("sending to {:?}: {e}", reply.destination);
        }
    }

    /// Sends what `outbox` holds.
    pub(crate) fn flush(&self, outbox: &mut Outbox) {
        outbox.flush(&self.socket, &mut |to, e| error!("sending to {to}: {e}"));
    }
}
