//! AF_PACKET: replies as whole Ethernet frames, for a client that has no IP address yet and so
//! cannot answer ARP (RFC 2131 section 4.1: "unicast ... to the client's hardware address and
//! 'yiaddr' address"). The frame is built by the wire crate's frame emitter, checksums filled.
//!
//! The system calls std and nix do not offer for AF_PACKET (socket, bind, sendto, and the
//! filter's setsockopt) are here, each call's arguments checked.
#![allow(unsafe_code)]

use std::io;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use charrua_wire::frame::{Frame, Ipv4Udp};
use nix::libc;

/// EtherType of IPv4, in network order for `sll_protocol`.
const ETH_P_IP: u16 = 0x0800;

/// EtherType of ARP.
pub const ETH_P_ARP: u16 = 0x0806;

/// A send-only AF_PACKET socket (protocol 0: the kernel delivers no frames to it).
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
}

impl PacketSocket {
    /// Opens the socket; needs CAP_NET_RAW, so it is opened before privileges are dropped.
    pub fn open() -> io::Result<Self> {
        // SAFETY: socket(2) with constant arguments; it returns a new descriptor or -1.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by socket(2) and is owned by nothing else.
        Ok(Self {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Sends `payload` from `src` (our address and port, MAC `src_mac`) to `dst` (the client's
    /// new address and port) at hardware address `mac` on interface `ifindex`, as an Ethernet II /
    /// IPv4 / UDP frame.
    pub fn send(
        &self,
        ifindex: u32,
        src_mac: [u8; 6],
        src: SocketAddrV4,
        mac: [u8; 6],
        dst: SocketAddrV4,
        payload: &[u8],
    ) -> io::Result<()> {
        let frame = Frame {
            dst_mac: mac,
            src_mac,
            ip: Ipv4Udp {
                src,
                dst,
                ttl: 64,
                payload,
            },
        };
        let bytes = frame
            .emit()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        self.send_frame(ifindex, mac, ETH_P_IP, &bytes)
    }

    /// Sends `frame`, a whole Ethernet frame of EtherType `protocol` addressed to `mac`, out of
    /// interface `ifindex`.
    pub fn send_frame(
        &self,
        ifindex: u32,
        mac: [u8; 6],
        protocol: u16,
        frame: &[u8],
    ) -> io::Result<()> {
        let mut addr = [0u8; 8];
        addr[..6].copy_from_slice(&mac);
        let sll = libc::sockaddr_ll {
            sll_family: libc::AF_PACKET as u16,
            sll_protocol: protocol.to_be(),
            sll_ifindex: i32::try_from(ifindex)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index"))?,
            sll_hatype: 0,
            sll_pkttype: 0,
            sll_halen: 6,
            sll_addr: addr,
        };
        // SAFETY: `frame` is a live buffer of `frame.len()` octets; `sll` is a fully initialised
        // sockaddr_ll whose exact size is passed; the descriptor is open for the call's duration.
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                0,
                std::ptr::from_ref(&sll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Where `PACKET_OUTGOING` frames (our own) come from (see packet(7)).
pub const PACKET_OUTGOING: u8 = 4;

/// Room for bursts (a power failure brings every client back at once, and requests queue while
/// a batch of leases is synced): 8 MiB, beyond `net.core.rmem_max` when we may (CAP_NET_ADMIN).
pub fn grow_receive_buffer(socket: &impl std::os::fd::AsFd) {
    use nix::sys::socket::{setsockopt, sockopt};
    const SIZE: usize = 8 << 20;
    if setsockopt(socket, sockopt::RcvBufForce, &SIZE).is_err() {
        let _ = setsockopt(socket, sockopt::RcvBuf, &SIZE);
    }
}

/// `PACKET_IGNORE_OUTGOING` (Linux 4.20): the kernel does not copy our own outgoing frames to
/// the socket (replies to relays go to the server port and would match the filter).
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;

/// The classic BPF program of `udp dst port PORT` on Ethernet II frames carrying IPv4 (what
/// `tcpdump -dd` prints for it), so only DHCP traffic to that port is copied to the socket.
fn port_filter(port: u16) -> [libc::sock_filter; 11] {
    let op = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    [
        op(0x28, 0, 0, 12),              // ldh [12]: EtherType
        op(0x15, 0, 8, 0x0800),          // IPv4, else drop
        op(0x30, 0, 0, 23),              // ldb [23]: IP protocol
        op(0x15, 0, 6, 17),              // UDP, else drop
        op(0x28, 0, 0, 20),              // ldh [20]: flags and fragment offset
        op(0x45, 4, 0, 0x1fff),          // a fragment: drop
        op(0xb1, 0, 0, 14),              // x = IP header length
        op(0x48, 0, 0, 16),              // ldh [x + 16]: UDP destination port
        op(0x15, 0, 1, u32::from(port)), // the server port, else drop
        op(0x06, 0, 0, 0x0004_0000),     // accept the whole frame
        op(0x06, 0, 0, 0),               // drop
    ]
}

/// An AF_PACKET socket receiving the IPv4 frames sent to one UDP port, on every interface or on
/// one, filtered in the kernel by BPF. Frames keep their link-layer facts: the interface they
/// came in on, and whether they are our own outgoing ones (skipped).
#[derive(Debug)]
pub struct PacketReceiver {
    fd: OwnedFd,
}

impl PacketReceiver {
    /// Opens the receiver for UDP port `port`, on interface `interface` only when given; needs
    /// CAP_NET_RAW.
    pub fn open(port: u16, interface: Option<u32>) -> io::Result<Self> {
        let receiver = Self::open_protocol(ETH_P_IP, Some(&port_filter(port)), interface)?;
        grow_receive_buffer(&receiver.fd);
        Ok(receiver)
    }

    /// Opens a receiver of ARP frames on interface `interface` (for probing an address before
    /// using it, RFC 5227); needs CAP_NET_RAW.
    pub fn open_arp(interface: u32) -> io::Result<Self> {
        Self::open_protocol(ETH_P_ARP, None, Some(interface))
    }

    fn open_protocol(
        ethertype: u16,
        filter: Option<&[libc::sock_filter]>,
        interface: Option<u32>,
    ) -> io::Result<Self> {
        let protocol = i32::from(ethertype.to_be());
        // SAFETY: socket(2) with constant arguments; it returns a new descriptor or -1.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                protocol,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by socket(2) and is owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        if let Some(filter) = filter {
            let program = libc::sock_fprog {
                len: u16::try_from(filter.len())
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "filter too long"))?,
                filter: filter.as_ptr().cast_mut(),
            };
            // SAFETY: `program` points at `filter`, which outlives the call; the kernel copies
            // the program during setsockopt(2); the size passed is that of the struct passed.
            let set = unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_ATTACH_FILTER,
                    std::ptr::from_ref(&program).cast(),
                    size_of::<libc::sock_fprog>() as libc::socklen_t,
                )
            };
            if set < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        let on: libc::c_int = 1;
        // SAFETY: an int option, passed by pointer with its exact size. Older kernels refuse it;
        // the receive path skips outgoing frames itself then.
        let _ = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_PACKET,
                PACKET_IGNORE_OUTGOING,
                std::ptr::from_ref(&on).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if let Some(index) = interface {
            let sll = libc::sockaddr_ll {
                sll_family: libc::AF_PACKET as u16,
                sll_protocol: ethertype.to_be(),
                sll_ifindex: i32::try_from(index)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index"))?,
                sll_hatype: 0,
                sll_pkttype: 0,
                sll_halen: 0,
                sll_addr: [0; 8],
            };
            // SAFETY: `sll` is a fully initialised sockaddr_ll whose exact size is passed; the
            // descriptor is open.
            let bound = unsafe {
                libc::bind(
                    fd.as_raw_fd(),
                    std::ptr::from_ref(&sll).cast(),
                    size_of::<libc::sockaddr_ll>() as libc::socklen_t,
                )
            };
            if bound < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        let timeout = nix::sys::time::TimeVal::new(0, 250_000);
        nix::sys::socket::setsockopt(&fd, nix::sys::socket::sockopt::ReceiveTimeout, &timeout)?;
        Ok(Self { fd })
    }
}

impl PacketReceiver {
    /// Takes one queued frame into `buf` without waiting: its length and interface index;
    /// `None` when nothing is queued or the frame is one of ours.
    pub fn receive_now(&self, buf: &mut [u8]) -> io::Result<Option<(usize, u32)>> {
        use nix::sys::socket::{recvmsg, LinkAddr, MsgFlags};
        let mut iov = [io::IoSliceMut::new(buf)];
        match recvmsg::<LinkAddr>(self.fd.as_raw_fd(), &mut iov, None, MsgFlags::MSG_DONTWAIT) {
            Ok(msg) => Ok(msg
                .address
                .filter(|from| from.pkttype() != PACKET_OUTGOING)
                .map(|from| (msg.bytes, from.ifindex() as u32))),
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl std::os::fd::AsFd for PacketReceiver {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for PacketReceiver {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}
