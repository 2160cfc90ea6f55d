//! A small blocking UDP driver: sends a [`Transaction`]'s datagrams and feeds back the
//! answers. For tests, and for a daemon that runs updates on a thread of its own; the
//! transaction itself does no I/O.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::event::{Event, TransportError};
use crate::transaction::{Transaction, Transmit};

/// How often to send one message before giving up on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retransmit {
    /// The wait after each send.
    pub interval: Duration,
    /// How many sends in all.
    pub sends: u32,
}

impl Default for Retransmit {
    /// ISC's: 4 sends 3 s apart, `timed out` after 12 s (`bind:client.c`
    /// `DEF_UPDATE_UDPTIMEOUT`, `DEF_UPDATE_UDPRETRIES`; docs/ddns.md section 7).
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(3),
            sends: 4,
        }
    }
}

/// Sends `transmit` from a fresh socket bound to `local` (a new source port per message, RFC
/// 5452 section 9.2) and offers every datagram from its server to `accept` until it takes
/// one. Resends the same bytes per `policy`.
pub fn exchange(
    local: SocketAddr,
    transmit: &Transmit,
    policy: Retransmit,
    mut accept: impl FnMut(&[u8]) -> bool,
) -> Result<(), TransportError> {
    let io = |e: io::Error| TransportError::from_io(&e);
    let socket = UdpSocket::bind(local).map_err(io)?;
    // Connected: the kernel drops datagrams from elsewhere and reports ICMP unreachables.
    socket.connect(transmit.server).map_err(io)?;
    let mut buf = vec![0; 65535];
    for _ in 0..policy.sends {
        socket.send(&transmit.wire).map_err(io)?;
        // Waiting on the socket is this module's job, so it reads the clock.
        #[allow(clippy::disallowed_methods)]
        let deadline = Instant::now() + policy.interval;
        loop {
            #[allow(clippy::disallowed_methods)]
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            socket.set_read_timeout(Some(left)).map_err(io)?;
            match socket.recv(&mut buf) {
                Ok(len) => {
                    if accept(buf.get(..len).unwrap_or_default()) {
                        return Ok(());
                    }
                }
                Err(e) if TransportError::from_io(&e) == TransportError::TimedOut => break,
                Err(e) => return Err(io(e)),
            }
        }
    }
    Err(TransportError::TimedOut)
}

/// Runs `transaction` to its end, sending from `local` with `policy`, taking the time (Unix
/// seconds) from `now` and message ids from `id` (random ones, in a daemon); returns its
/// events.
pub fn run(
    transaction: &mut Transaction,
    local: SocketAddr,
    policy: Retransmit,
    mut now: impl FnMut() -> u64,
    mut id: impl FnMut() -> u16,
) -> Vec<Event> {
    while let Some(transmit) = transaction.poll_transmit(id(), now()) {
        let answered = exchange(local, &transmit, policy, |datagram| {
            transaction.handle_response(datagram, now())
        });
        if let Err(error) = answered {
            transaction.handle_transport_error(error);
        }
    }
    std::iter::from_fn(|| transaction.poll_event()).collect()
}
