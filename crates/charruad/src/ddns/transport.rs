//! One UPDATE exchange over UDP, as BIND's libdns client makes it for ISC dhcpd (docs/ddns.md
//! section 7; `bind:request.c:req_timeout`, `bind:client.c` `DEF_UPDATE_UDPTIMEOUT 3`,
//! `DEF_UPDATE_UDPRETRIES 3`): the same bytes sent up to [`Retransmit::sends`] times,
//! [`Retransmit::interval`] apart, then `timed out`. The tokio counterpart of
//! `charrua_ddns::exchange::exchange`, so that hundreds wait at once on one thread.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use charrua_ddns::exchange::Retransmit;
use charrua_ddns::{Transmit, TransportError};
use tokio::net::UdpSocket;
use tokio::time::{timeout_at, Instant};

/// The largest datagram read. An answer to an UPDATE echoes its header and zone and carries
/// a TSIG record: a few hundred bytes, and at most 512 without EDNS (RFC 1035 section 4.2.1),
/// which updates do not use; a longer datagram is cut, and fails its checks.
const MAX_DATAGRAM: usize = 4096;

/// How long an exchange waits before it calls its `on_silence` (see [`exchange`]): longer
/// than a DNS server on the same network takes to answer an update.
const QUIET: std::time::Duration = std::time::Duration::from_millis(50);

/// The most idle sockets kept for one source and server: as many as exchanges may run at
/// once (`Tuning::in_flight`'s default).
const MAX_IDLE: usize = 256;

/// Connected UDP sockets kept between exchanges, by source and server: making, connecting,
/// registering and closing a socket for every message was a fifth of the update thread's
/// time (bench/results/2026-12-03-ddns.md). A socket goes back only after its server
/// answered on it, so one that saw a timeout or an error (an ICMP unreachable waiting on it
/// among them) is closed; a late duplicate answer it may still receive carries another id
/// and is ignored as a stray. Every message still has a fresh random id, and a signed one
/// its MAC (RFC 8945), which is what an answer is checked against.
#[derive(Debug, Clone, Default)]
pub(super) struct Sockets(Arc<Mutex<HashMap<Pair, Vec<UdpSocket>>>>);

/// A socket's source and server.
type Pair = (SocketAddr, SocketAddr);

impl Sockets {
    fn take(&self, pair: Pair) -> Option<UdpSocket> {
        let mut idle = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        idle.get_mut(&pair).and_then(Vec::pop)
    }

    fn give_back(&self, pair: Pair, socket: UdpSocket) {
        let mut idle = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = idle.entry(pair).or_default();
        if kept.len() < MAX_IDLE {
            kept.push(socket);
        }
    }
}

/// Sends `transmit` from a socket bound to `local` and connected to the server (an idle one
/// of `sockets`, or a new one with a new source port) and offers each datagram from the
/// server to `accept` until it takes one; resends the same bytes per `policy`. A socket
/// error, an ICMP error reported on the connected socket among them (`connection refused`
/// when nothing listens), ends the exchange at once. `on_silence` is called once if no answer
/// came within [`QUIET`] of the first send.
pub(super) async fn exchange(
    sockets: &Sockets,
    local: SocketAddr,
    transmit: &Transmit,
    policy: Retransmit,
    mut accept: impl FnMut(&[u8]) -> bool,
    on_silence: impl FnOnce(),
) -> Result<(), TransportError> {
    let io = |e: io::Error| TransportError::from_io(&e);
    let pair = (local, transmit.server);
    let socket = match sockets.take(pair) {
        Some(socket) => socket,
        None => {
            let socket = UdpSocket::bind(local).await.map_err(io)?;
            // Connected: the kernel drops datagrams from elsewhere and reports ICMP
            // unreachables.
            socket.connect(transmit.server).await.map_err(io)?;
            socket
        }
    };
    let mut buf = vec![0; MAX_DATAGRAM];
    let mut on_silence = Some(on_silence);
    let quiet_until = Instant::now() + QUIET;
    for _ in 0..policy.sends {
        socket.send(&transmit.wire).await.map_err(io)?;
        let deadline = Instant::now() + policy.interval;
        loop {
            let wake = match on_silence {
                Some(_) => deadline.min(quiet_until),
                None => deadline,
            };
            match timeout_at(wake, socket.recv(&mut buf)).await {
                Err(_elapsed) if wake < deadline => {
                    if let Some(call) = on_silence.take() {
                        call();
                    }
                }
                Err(_elapsed) => break,
                Ok(Ok(len)) => {
                    if accept(buf.get(..len).unwrap_or_default()) {
                        sockets.give_back(pair, socket);
                        return Ok(());
                    }
                }
                Ok(Err(e)) => return Err(io(e)),
            }
        }
    }
    Err(TransportError::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn transmit(server: SocketAddr) -> Transmit {
        Transmit {
            server,
            id: 7,
            step: charrua_ddns::Step::Add1,
            wire: vec![0, 7, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        }
    }

    fn policy(sends: u32) -> Retransmit {
        Retransmit {
            interval: Duration::from_millis(40),
            sends,
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn resends_the_same_bytes_then_times_out() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let t = transmit(server.local_addr().unwrap());
        let local = "127.0.0.1:0".parse().unwrap();
        let mut silences = 0;
        let result = runtime().block_on(exchange(
            &Sockets::default(),
            local,
            &t,
            policy(3),
            |_| false,
            || silences += 1,
        ));
        assert_eq!(result, Err(TransportError::TimedOut));
        assert_eq!(silences, 1, "told once of the silence");
        let mut buf = [0; 64];
        for _ in 0..3 {
            let (len, _) = server.recv_from(&mut buf).unwrap();
            assert_eq!(&buf[..len], &t.wire[..]);
        }
    }

    #[test]
    fn ignores_what_is_not_accepted_and_takes_the_answer() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let t = transmit(server.local_addr().unwrap());
        let answering = std::thread::spawn(move || {
            let mut buf = [0; 64];
            let (_, from) = server.recv_from(&mut buf).unwrap();
            server.send_to(b"stray", from).unwrap();
            server.send_to(b"answer", from).unwrap();
        });
        let local = "127.0.0.1:0".parse().unwrap();
        let mut seen = Vec::new();
        let sockets = Sockets::default();
        let result = runtime().block_on(exchange(
            &sockets,
            local,
            &t,
            policy(4),
            |d| {
                seen.push(d.to_vec());
                d == b"answer"
            },
            || panic!("the answer came at once"),
        ));
        answering.join().unwrap();
        assert_eq!(result, Ok(()));
        assert_eq!(seen, vec![b"stray".to_vec(), b"answer".to_vec()]);
    }

    #[test]
    fn a_socket_is_kept_once_answered_and_closed_after_silence() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let t = transmit(server.local_addr().unwrap());
        let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let sockets = Sockets::default();
        let rt = runtime();
        let mut sources = Vec::new();
        // Answered twice, then silent: the second exchange reuses the first's socket, the
        // third's times out and its socket is not kept, so the fourth has a new one.
        for answer in [true, true, false, true] {
            let answering = {
                let server = server.try_clone().unwrap();
                std::thread::spawn(move || {
                    let mut buf = [0; 64];
                    let (_, from) = server.recv_from(&mut buf).unwrap();
                    if answer {
                        server.send_to(b"answer", from).unwrap();
                    }
                    from
                })
            };
            let result = rt.block_on(exchange(
                &sockets,
                local,
                &t,
                policy(1),
                |d| d == b"answer",
                || {},
            ));
            sources.push(answering.join().unwrap());
            assert_eq!(result.is_ok(), answer);
        }
        assert_eq!(sources[0], sources[1]);
        assert_eq!(sources[1], sources[2]);
        assert_ne!(sources[2], sources[3]);
    }

    #[test]
    fn nothing_listening_is_connection_refused() {
        // A port just freed: nothing listens there, and loopback answers with ICMP.
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let local = "127.0.0.1:0".parse().unwrap();
        let result = runtime().block_on(exchange(
            &Sockets::default(),
            local,
            &transmit(port),
            policy(4),
            |_| false,
            || {},
        ));
        assert_eq!(result, Err(TransportError::ConnectionRefused));
    }
}
