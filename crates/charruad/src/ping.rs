//! The ICMP socket behind ISC's `ping-check`: echoes to the addresses the engine asks to probe
//! before offering them, and the echo replies read back (common/icmp.c in ISC dhcpd). A raw
//! socket, as dhcpd's: it needs CAP_NET_RAW, which a DHCP server has for its packet sockets.

use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, BorrowedFd};

use charrua_wire::frame::icmp::Echo;
use socket2::{Domain, Protocol, Socket, Type};

/// A nonblocking raw ICMP socket and the identifier of this server's echoes.
#[derive(Debug)]
pub(crate) struct Pinger {
    socket: Socket,
    id: u16,
    seq: u16,
}

impl Pinger {
    /// Opens the socket; fails without CAP_NET_RAW.
    pub(crate) fn open() -> io::Result<Self> {
        let socket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?;
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket,
            // The process id tells our echoes' replies from those of other programs on the
            // host, as ping(8) does.
            id: std::process::id() as u16,
            seq: 0,
        })
    }

    /// Sends an echo request to `address`.
    pub(crate) fn send(&mut self, address: Ipv4Addr) -> io::Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let echo = Echo {
            id: self.id,
            seq: self.seq,
        };
        let to = SocketAddrV4::new(address, 0);
        self.socket.send_to(&echo.request(), &to.into())?;
        Ok(())
    }

    /// Hands the source of every echo reply to our echoes queued on the socket to `each`.
    pub(crate) fn receive(&self, each: &mut dyn FnMut(Ipv4Addr)) {
        let mut buffer = [0u8; 1500];
        // Bounded: a flood of ICMP cannot hold the loop.
        for _ in 0..256 {
            let Ok(len) = (&self.socket).read(&mut buffer) else {
                return;
            };
            let datagram = buffer.get(..len).unwrap_or_default();
            if let Some((from, echo)) = Echo::parse_reply(datagram) {
                if echo.id == self.id {
                    each(from);
                }
            }
        }
    }
}

impl AsFd for Pinger {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}
