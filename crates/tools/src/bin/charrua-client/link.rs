//! The interface: a packet socket while the client has no address (frames to and from
//! 0.0.0.0, as RFC 2131 section 4.1 requires before a client can answer ARP), a UDP socket once
//! its address is on the interface (renewals are unicast to and from it).

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::AsFd;
use std::time::Duration;

use charrua_client::{Destination, Transmit};
use charrua_socket::packet::{PacketReceiver, PacketSocket};
use charrua_wire::frame::{Checksums, Frame};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

const BROADCAST_MAC: [u8; 6] = [0xff; 6];

/// One interface's sockets.
pub(crate) struct Link {
    pub(crate) name: String,
    pub(crate) index: u32,
    mac: [u8; 6],
    server_port: u16,
    frames_out: PacketSocket,
    frames_in: PacketReceiver,
    arp_in: PacketReceiver,
    udp: Option<UdpSocket>,
}

fn mac_of(name: &str) -> Option<[u8; 6]> {
    nix::ifaddrs::getifaddrs().ok()?.find_map(|i| {
        (i.interface_name == name)
            .then(|| i.address.as_ref()?.as_link_addr()?.addr())
            .flatten()
    })
}

impl Link {
    /// Opens `name` for a client on `server_port + 1` (needs CAP_NET_RAW).
    pub(crate) fn open(name: &str, server_port: u16) -> Result<Self, String> {
        let index = nix::net::if_::if_nametoindex(name).map_err(|e| format!("{name}: {e}"))?;
        let mac = mac_of(name).ok_or_else(|| format!("{name}: no Ethernet address"))?;
        let frames_out = PacketSocket::open().map_err(|e| format!("packet socket: {e}"))?;
        let frames_in = PacketReceiver::open(server_port.wrapping_add(1), Some(index))
            .map_err(|e| format!("packet socket on {name}: {e}"))?;
        let arp_in =
            PacketReceiver::open_arp(index).map_err(|e| format!("ARP socket on {name}: {e}"))?;
        Ok(Self {
            name: name.to_string(),
            index,
            mac,
            server_port,
            frames_out,
            frames_in,
            arp_in,
            udp: None,
        })
    }

    /// The interface's hardware address.
    pub(crate) fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// Switches to the UDP socket (the address is on the interface) or back to frames.
    pub(crate) fn use_udp(&mut self, on: bool) -> Result<(), String> {
        if !on {
            self.udp = None;
            return Ok(());
        }
        if self.udp.is_some() {
            return Ok(());
        }
        let port = self.server_port.wrapping_add(1);
        let fail = |e: std::io::Error| format!("UDP socket on port {port}: {e}");
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)
            .map_err(fail)?;
        s.set_reuse_address(true).map_err(fail)?;
        s.set_broadcast(true).map_err(fail)?;
        s.bind_device(Some(self.name.as_bytes())).map_err(fail)?;
        s.bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port).into())
            .map_err(fail)?;
        self.udp = Some(s.into());
        Ok(())
    }

    /// Sends a message where the client said.
    pub(crate) fn send(&self, t: &Transmit) -> std::io::Result<()> {
        let to = match t.destination {
            Destination::Broadcast => Ipv4Addr::BROADCAST,
            Destination::Server(server) => server,
        };
        let to = SocketAddrV4::new(to, self.server_port);
        if let Some(udp) = &self.udp {
            return udp.send_to(&t.payload, to).map(|_| ());
        }
        // No address yet: a frame to every station, from 0.0.0.0 (or the address being given
        // up), which the server's stack accepts whatever its IP destination.
        let from = SocketAddrV4::new(t.source, self.server_port.wrapping_add(1));
        self.frames_out
            .send(self.index, self.mac, from, BROADCAST_MAC, to, &t.payload)
    }

    /// Sends an ARP frame (built whole) to every station.
    pub(crate) fn send_arp(&self, frame: &[u8]) -> std::io::Result<()> {
        self.frames_out.send_frame(
            self.index,
            BROADCAST_MAC,
            charrua_socket::packet::ETH_P_ARP,
            frame,
        )
    }

    /// Discards the ARP frames queued so far.
    pub(crate) fn drain_arp(&self) {
        let mut buf = [0u8; 128];
        while let Ok(Some(_)) = self.arp_in.receive_now(&mut buf) {}
    }

    /// Waits up to `timeout` for ARP frames; returns them.
    pub(crate) fn arp_frames(&self, timeout: Duration) -> Vec<Vec<u8>> {
        let mut fds = [PollFd::new(self.arp_in.as_fd(), PollFlags::POLLIN)];
        let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        if poll(&mut fds, PollTimeout::from(ms)).unwrap_or(0) <= 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut buf = [0u8; 128];
        while let Ok(Some((len, _))) = self.arp_in.receive_now(&mut buf) {
            out.push(buf.get(..len).unwrap_or_default().to_vec());
        }
        out
    }

    /// Waits up to `timeout` for datagrams to the client port; returns their payloads.
    pub(crate) fn receive(&self, timeout: Duration) -> Vec<Vec<u8>> {
        let mut fds = vec![PollFd::new(self.frames_in.as_fd(), PollFlags::POLLIN)];
        if let Some(udp) = &self.udp {
            fds.push(PollFd::new(udp.as_fd(), PollFlags::POLLIN));
        }
        let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        if poll(&mut fds, PollTimeout::from(ms)).unwrap_or(0) <= 0 {
            return Vec::new();
        }
        let frames_ready = fds
            .first()
            .and_then(PollFd::revents)
            .is_some_and(|r| r.contains(PollFlags::POLLIN));
        let udp_ready = fds
            .get(1)
            .and_then(PollFd::revents)
            .is_some_and(|r| r.contains(PollFlags::POLLIN));
        let mut out = Vec::new();
        let mut buf = vec![0u8; 9216];
        if frames_ready {
            while let Ok(Some((len, _))) = self.frames_in.receive_now(&mut buf) {
                // With the UDP socket in use, frames are read only to keep their queue empty.
                if self.udp.is_some() {
                    continue;
                }
                let Some(frame) = buf.get(..len) else {
                    continue;
                };
                // Checksums of frames from local peers are left to offload; lengths and the
                // IPv4 header checksum are checked.
                if let Ok(f) = Frame::parse_with(frame, Checksums::IgnoreUdp) {
                    if f.ip.dst.port() == self.server_port.wrapping_add(1) {
                        out.push(f.ip.payload.to_vec());
                    }
                }
            }
        }
        if let (true, Some(udp)) = (udp_ready, &self.udp) {
            let _ = udp.set_nonblocking(true);
            while let Ok((len, _)) = udp.recv_from(&mut buf) {
                out.push(buf.get(..len).unwrap_or_default().to_vec());
            }
        }
        out
    }
}
