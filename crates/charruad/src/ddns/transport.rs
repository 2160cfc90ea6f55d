//! One UPDATE exchange over UDP, as BIND's libdns client makes it for ISC dhcpd (docs/ddns.md
//! section 7; `bind:request.c:req_timeout`, `bind:client.c` `DEF_UPDATE_UDPTIMEOUT 3`,
//! `DEF_UPDATE_UDPRETRIES 3`): the same bytes sent up to [`Retransmit::sends`] times,
//! [`Retransmit::interval`] apart, then `timed out`. The tokio counterpart of
//! `charrua_ddns::exchange::exchange`, so that hundreds wait at once on one thread.

use std::io;
use std::net::SocketAddr;

use charrua_ddns::exchange::Retransmit;
use charrua_ddns::{Transmit, TransportError};
use tokio::net::UdpSocket;
use tokio::time::{timeout_at, Instant};

/// The largest datagram read. An answer to an UPDATE echoes its header and zone and carries
/// a TSIG record: a few hundred bytes, and at most 512 without EDNS (RFC 1035 section 4.2.1),
/// which updates do not use; a longer datagram is cut, and fails its checks.
const MAX_DATAGRAM: usize = 4096;

/// Sends `transmit` from a fresh socket bound to `local` (a new source port for every
/// message, RFC 5452 section 9.2) and offers each datagram from its server to `accept` until
/// it takes one; resends the same bytes per `policy`. A socket error, an ICMP error reported
/// on the connected socket among them (`connection refused` when nothing listens), ends the
/// exchange at once.
pub(super) async fn exchange(
    local: SocketAddr,
    transmit: &Transmit,
    policy: Retransmit,
    mut accept: impl FnMut(&[u8]) -> bool,
) -> Result<(), TransportError> {
    let io = |e: io::Error| TransportError::from_io(&e);
    let socket = UdpSocket::bind(local).await.map_err(io)?;
    // Connected: the kernel drops datagrams from elsewhere and reports ICMP unreachables.
    socket.connect(transmit.server).await.map_err(io)?;
    let mut buf = vec![0; MAX_DATAGRAM];
    for _ in 0..policy.sends {
        socket.send(&transmit.wire).await.map_err(io)?;
        let deadline = Instant::now() + policy.interval;
        loop {
            match timeout_at(deadline, socket.recv(&mut buf)).await {
                Err(_elapsed) => break,
                Ok(Ok(len)) => {
                    if accept(buf.get(..len).unwrap_or_default()) {
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
        let result = runtime().block_on(exchange(local, &t, policy(3), |_| false));
        assert_eq!(result, Err(TransportError::TimedOut));
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
        let result = runtime().block_on(exchange(local, &t, policy(4), |d| {
            seen.push(d.to_vec());
            d == b"answer"
        }));
        answering.join().unwrap();
        assert_eq!(result, Ok(()));
        assert_eq!(seen, vec![b"stray".to_vec(), b"answer".to_vec()]);
    }

    #[test]
    fn nothing_listening_is_connection_refused() {
        // A port just freed: nothing listens there, and loopback answers with ICMP.
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let local = "127.0.0.1:0".parse().unwrap();
        let result = runtime().block_on(exchange(local, &transmit(port), policy(4), |_| false));
        assert_eq!(result, Err(TransportError::ConnectionRefused));
    }
}
