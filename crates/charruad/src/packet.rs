//! AF_PACKET: replies as whole Ethernet frames, for a client that has no IP address yet and so
//! cannot answer ARP (RFC 2131 section 4.1: "unicast ... to the client's hardware address and
//! 'yiaddr' address"). The frame is built by the wire crate's frame emitter, checksums filled.
//!
//! This is the one place charrua uses `unsafe`: two system calls (socket, sendto) that std and
//! nix do not offer for AF_PACKET. Each call's arguments are checked below.
#![allow(unsafe_code)]

use std::io;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use charrua_wire::frame::{Frame, Ipv4Udp};
use nix::libc;

/// EtherType of IPv4, in network order for `sll_protocol`.
const ETH_P_IP: u16 = 0x0800;

/// A send-only AF_PACKET socket (protocol 0: the kernel delivers no frames to it).
#[derive(Debug)]
pub(crate) struct PacketSocket {
    fd: OwnedFd,
}

impl PacketSocket {
    /// Opens the socket; needs CAP_NET_RAW, so it is opened before privileges are dropped.
    pub(crate) fn open() -> io::Result<Self> {
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
    pub(crate) fn send(
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
        let mut addr = [0u8; 8];
        addr[..6].copy_from_slice(&mac);
        let sll = libc::sockaddr_ll {
            sll_family: libc::AF_PACKET as u16,
            sll_protocol: ETH_P_IP.to_be(),
            sll_ifindex: i32::try_from(ifindex)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index"))?,
            sll_hatype: 0,
            sll_pkttype: 0,
            sll_halen: 6,
            sll_addr: addr,
        };
        // SAFETY: `bytes` is a live buffer of `bytes.len()` octets; `sll` is a fully initialised
        // sockaddr_ll whose exact size is passed; the descriptor is open for the call's duration.
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
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
