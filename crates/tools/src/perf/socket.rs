//! The generator's UDP socket: bound as a relay agent (our address, server port) or as clients
//! on a link (any address, client port, one interface, broadcast), with batched system calls.

use std::io::IoSliceMut;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{ppoll, PollFd, PollFlags};
use nix::sys::socket::{
    recvmmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, MultiHeaders, SockaddrIn,
};
use nix::sys::time::TimeSpec;
use socket2::{Domain, Protocol, Type};

/// Messages per system call.
pub(crate) const BATCH: usize = 64;

/// Bytes per receive slot (replies fit in an Ethernet frame).
const SLOT: usize = 2048;

/// The socket.
#[derive(Debug)]
pub(crate) struct Socket(UdpSocket);

/// Receive slots and headers, allocated once.
pub(crate) struct Inbox {
    buffers: Vec<u8>,
    headers: MultiHeaders<SockaddrIn>,
    lengths: Vec<usize>,
    /// When the kernel received each datagram (SO_TIMESTAMPNS), Unix nanoseconds.
    stamps: Vec<Option<u64>>,
}

impl Inbox {
    pub(crate) fn new() -> Self {
        Self {
            buffers: vec![0; SLOT * BATCH],
            headers: MultiHeaders::preallocate(BATCH, Some(nix::cmsg_space!(TimeSpec))),
            lengths: Vec::with_capacity(BATCH),
            stamps: Vec::with_capacity(BATCH),
        }
    }

    /// The datagrams the last receive got, each with the time the kernel received it (Unix
    /// nanoseconds), so that the generator's own scheduling does not count as the server's
    /// latency.
    pub(crate) fn payloads(&self) -> impl Iterator<Item = (&[u8], Option<u64>)> {
        self.buffers
            .chunks(SLOT)
            .zip(&self.lengths)
            .zip(&self.stamps)
            .map(|((slot, &len), &stamp)| (slot.get(..len).unwrap_or_default(), stamp))
    }
}

fn bound(
    to: SocketAddrV4,
    prepare: impl FnOnce(&socket2::Socket) -> std::io::Result<()>,
) -> Result<Socket, String> {
    let fail = |e: std::io::Error| format!("socket on {to}: {e}");
    let socket =
        socket2::Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(fail)?;
    socket.set_reuse_address(true).map_err(fail)?;
    socket.set_nonblocking(true).map_err(fail)?;
    prepare(&socket).map_err(fail)?;
    // Replies arrive in bursts as large as the server's batches.
    for size in [16 << 20, 4 << 20] {
        if setsockopt(&socket, sockopt::RcvBufForce, &size).is_ok() {
            break;
        }
    }
    let _ = socket.set_send_buffer_size(4 << 20);
    let _ = setsockopt(&socket, sockopt::ReceiveTimestampns, &true);
    socket.bind(&to.into()).map_err(fail)?;
    Ok(Socket(socket.into()))
}

impl Socket {
    /// A relay agent at `address`: the server answers to `address` on `port`.
    pub(crate) fn relay(address: Ipv4Addr, port: u16) -> Result<Self, String> {
        bound(SocketAddrV4::new(address, port), |_| Ok(()))
    }

    /// Clients on the link through `interface`, receiving broadcast replies on `port`.
    pub(crate) fn link(interface: &str, port: u16) -> Result<Self, String> {
        bound(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port), |s| {
            s.set_broadcast(true)?;
            s.bind_device(Some(interface.as_bytes()))
        })
    }

    /// Sends and empties `queue`; a message the kernel refuses is counted in `errors` and
    /// skipped. A full send buffer is waited out.
    pub(crate) fn send(&self, queue: &mut Vec<(Vec<u8>, SocketAddrV4)>, errors: &mut u64) {
        let mut next = 0;
        let mut stalls = 0;
        while let Some(rest) = queue.get(next..).filter(|r| !r.is_empty()) {
            let chunk = rest.get(..BATCH.min(rest.len())).unwrap_or_default();
            match charrua_socket::send_many(self.0.as_fd(), chunk) {
                Ok(sent) => next += sent.max(1),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && stalls < 1000 => {
                    stalls += 1;
                    let _ = self.wait_writable();
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => {
                    *errors += 1;
                    next += 1;
                }
            }
        }
        queue.clear();
    }

    fn wait_writable(&self) -> Result<(), Errno> {
        let mut fds = [PollFd::new(self.0.as_fd(), PollFlags::POLLOUT)];
        ppoll(
            &mut fds,
            Some(TimeSpec::from_duration(Duration::from_millis(10))),
            None,
        )
        .map(|_| ())
    }

    /// Receives what is queued, up to [`BATCH`] datagrams, without waiting.
    pub(crate) fn receive(&self, inbox: &mut Inbox) -> Result<usize, String> {
        inbox.lengths.clear();
        inbox.stamps.clear();
        let mut iov: Vec<[IoSliceMut<'_>; 1]> = inbox
            .buffers
            .chunks_mut(SLOT)
            .map(|slot| [IoSliceMut::new(slot)])
            .collect();
        match recvmmsg(
            self.0.as_raw_fd(),
            &mut inbox.headers,
            iov.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(results) => {
                for msg in results {
                    inbox.lengths.push(msg.bytes.min(SLOT));
                    let stamp = msg.cmsgs().ok().and_then(|mut c| {
                        c.find_map(|c| match c {
                            ControlMessageOwned::ScmTimestampns(t) => u64::try_from(t.tv_sec())
                                .ok()
                                .map(|s| s * 1_000_000_000 + t.tv_nsec() as u64),
                            _ => None,
                        })
                    });
                    inbox.stamps.push(stamp);
                }
                Ok(inbox.lengths.len())
            }
            Err(Errno::EAGAIN | Errno::EINTR) => Ok(0),
            Err(e) => Err(format!("receive: {e}")),
        }
    }

    /// Waits until a datagram arrives or `timeout` passes.
    pub(crate) fn wait(&self, timeout: Duration) -> Result<(), String> {
        let mut fds = [PollFd::new(self.0.as_fd(), PollFlags::POLLIN)];
        match ppoll(&mut fds, Some(TimeSpec::from_duration(timeout)), None) {
            Ok(_) | Err(Errno::EINTR) => Ok(()),
            Err(e) => Err(format!("poll: {e}")),
        }
    }
}
