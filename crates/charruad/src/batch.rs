//! Many datagrams per system call: `recvmmsg(2)` fills up to [`BATCH`] receive slots at once and
//! `sendmmsg(2)` sends every queued reply to a relay or to a client's address at once. Under
//! load this is what keeps the cost per exchange down: one wakeup and one copy-in call for a
//! whole burst instead of one per message.

use std::io::{self, IoSliceMut};
use std::net::{SocketAddrV4, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, RawFd};

use nix::errno::Errno;
use nix::libc;
use nix::sys::socket::{
    recvmmsg, ControlMessageOwned, LinkAddr, MsgFlags, MultiHeaders, SockaddrIn,
};

use crate::net::Arrival;

/// Datagrams per system call.
pub(crate) const BATCH: usize = 64;

/// Bytes per receive slot: a jumbo frame, so no request an interface can carry is cut short.
const SLOT: usize = 9216;

/// One received datagram: where it lies in the inbox, and what the socket said of it.
#[derive(Debug, Clone)]
pub(crate) enum Received {
    /// A datagram to handle.
    Datagram(Arrival),
    /// A frame that does not carry a well-formed IPv4/UDP datagram (a fragment, say).
    Malformed(charrua_wire::Error),
}

/// Receive slots and their headers, allocated once.
pub(crate) struct Inbox {
    buffers: Vec<u8>,
    udp: MultiHeaders<SockaddrIn>,
    link: MultiHeaders<LinkAddr>,
    received: Vec<Received>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Inbox({} received)", self.received.len())
    }
}

fn slots(buffers: &mut [u8]) -> Vec<[IoSliceMut<'_>; 1]> {
    buffers
        .chunks_mut(SLOT)
        .map(|slot| [IoSliceMut::new(slot)])
        .collect()
}

impl Inbox {
    pub(crate) fn new() -> Self {
        Self {
            buffers: vec![0; SLOT * BATCH],
            udp: MultiHeaders::preallocate(BATCH, Some(nix::cmsg_space!(libc::in_pktinfo))),
            link: MultiHeaders::preallocate(BATCH, None),
            received: Vec::with_capacity(BATCH),
        }
    }

    /// The payload of a datagram received by the last call.
    pub(crate) fn payload(&self, arrival: &Arrival) -> &[u8] {
        self.buffers
            .get(arrival.payload.clone())
            .unwrap_or_default()
    }

    /// What the last call received.
    pub(crate) fn received(&self) -> &[Received] {
        &self.received
    }

    /// Receives up to [`BATCH`] datagrams already queued on the UDP socket, with `IP_PKTINFO` telling each
    /// one's interface and destination. Returns how many the kernel handed over.
    pub(crate) fn receive_udp(&mut self, socket: &UdpSocket) -> io::Result<usize> {
        self.received.clear();
        let mut iov = slots(&mut self.buffers);
        let results = match recvmmsg(
            socket.as_raw_fd(),
            &mut self.udp,
            iov.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(results) => results,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        for (index, msg) in results.enumerate() {
            let (mut destination, mut interface) = (std::net::Ipv4Addr::BROADCAST, 0);
            if let Ok(cmsgs) = msg.cmsgs() {
                for c in cmsgs {
                    if let ControlMessageOwned::Ipv4PacketInfo(info) = c {
                        destination = u32::from_be(info.ipi_addr.s_addr).into();
                        interface = info.ipi_ifindex as u32;
                    }
                }
            }
            let source = msg
                .address
                .map_or(SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, 0), |a| {
                    SocketAddrV4::new(a.ip(), a.port())
                });
            let start = index * SLOT;
            self.received.push(Received::Datagram(Arrival {
                payload: start..start + msg.bytes.min(SLOT),
                source,
                destination,
                interface,
            }));
        }
        Ok(self.received.len())
    }

    /// Receives up to [`BATCH`] frames already queued on the packet socket and finds the DHCP datagram in
    /// each; our own outgoing frames are skipped. Returns how many the kernel handed over.
    pub(crate) fn receive_frames(&mut self, fd: RawFd) -> io::Result<usize> {
        self.received.clear();
        let mut iov = slots(&mut self.buffers);
        let results = match recvmmsg(
            fd,
            &mut self.link,
            iov.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(results) => results,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let mut frames = Vec::with_capacity(BATCH);
        for (index, msg) in results.enumerate() {
            let Some(from) = msg.address else { continue };
            if from.pkttype() == charrua_socket::packet::PACKET_OUTGOING {
                continue;
            }
            frames.push((index * SLOT, msg.bytes.min(SLOT), from.ifindex() as u32));
        }
        let count = frames.len();
        for (start, len, interface) in frames {
            let frame = self.buffers.get(start..start + len).unwrap_or_default();
            self.received
                .push(match crate::net::parse_frame(frame, interface) {
                    Ok(mut arrival) => {
                        arrival.payload =
                            start + arrival.payload.start..start + arrival.payload.end;
                        Received::Datagram(arrival)
                    }
                    Err(e) => Received::Malformed(e),
                });
        }
        Ok(count)
    }
}

/// Replies queued for one `sendmmsg(2)`: each a payload and a UDP destination.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: Vec<(Vec<u8>, SocketAddrV4)>,
}

impl Outbox {
    /// Queues `payload` for `to`.
    pub(crate) fn push(&mut self, payload: Vec<u8>, to: SocketAddrV4) {
        self.queue.push((payload, to));
    }

    /// Sends everything queued, [`BATCH`] datagrams per call. A datagram the kernel refuses
    /// is reported to `failed` and skipped; the rest still go.
    pub(crate) fn flush(
        &mut self,
        socket: &UdpSocket,
        failed: &mut dyn FnMut(SocketAddrV4, io::Error),
    ) {
        let mut next = 0;
        while let Some(rest) = self.queue.get(next..).filter(|r| !r.is_empty()) {
            let chunk = rest.get(..BATCH.min(rest.len())).unwrap_or_default();
            match charrua_socket::send_many(socket.as_fd(), chunk) {
                Ok(sent) => next += sent.max(1),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // The first of the chunk failed: report it and go on with the others.
                    if let Some((_, to)) = chunk.first() {
                        failed(*to, e);
                    }
                    next += 1;
                }
            }
        }
        self.queue.clear();
    }
}
