//! `sendmmsg(2)` for plain UDP datagrams, each to its own IPv4 address, for the daemon's
//! replies and the load generator's requests.
//!
//! nix offers `sendmmsg`, but counting what it sent means iterating its results, which reads
//! receive-side address slots that a send never initialises; this wrapper builds the headers
//! itself: one system call, its arguments checked below.
#![allow(unsafe_code)]

use std::io;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, BorrowedFd};

fn sockaddr(to: SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: to.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*to.ip()).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// Sends each `(payload, destination)` of `batch` as one datagram with one system call;
/// returns how many the kernel took (from the front of `batch`).
pub fn send_many(fd: BorrowedFd<'_>, batch: &[(Vec<u8>, SocketAddrV4)]) -> io::Result<usize> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut addrs: Vec<libc::sockaddr_in> = batch.iter().map(|(_, to)| sockaddr(*to)).collect();
    let mut iovs: Vec<libc::iovec> = batch
        .iter()
        .map(|(payload, _)| libc::iovec {
            iov_base: payload.as_ptr().cast_mut().cast(),
            iov_len: payload.len(),
        })
        .collect();
    let mut headers: Vec<libc::mmsghdr> = addrs
        .iter_mut()
        .zip(iovs.iter_mut())
        .map(|(addr, iov)| {
            // SAFETY: msghdr is plain data for which all-zero is a valid value (no control
            // data, no flags); the fields that matter are set below.
            let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
            hdr.msg_name = std::ptr::from_mut(addr).cast();
            hdr.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            hdr.msg_iov = std::ptr::from_mut(iov);
            hdr.msg_iovlen = 1;
            libc::mmsghdr {
                msg_hdr: hdr,
                msg_len: 0,
            }
        })
        .collect();
    let count = libc::c_uint::try_from(headers.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "batch too large"))?;
    // SAFETY: `headers` holds `count` initialised mmsghdr whose name and iovec pointers point
    // into `addrs` and `iovs`, and whose iovecs point at the payloads of `batch`; all of them
    // are live and unmoved for the duration of the call, and the kernel only reads them (and
    // writes each header's `msg_len`).
    let sent = unsafe { libc::sendmmsg(fd.as_raw_fd(), headers.as_mut_ptr(), count, 0) };
    usize::try_from(sent).map_err(|_| io::Error::last_os_error())
}
