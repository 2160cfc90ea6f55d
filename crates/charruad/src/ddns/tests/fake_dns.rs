//! A DNS server on 127.0.0.1 that answers each UPDATE as a test chooses (an RCODE, late,
//! garbage, or not at all) and keeps what it received.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use charrua_ddns::Rcode;

/// What the fake server sends back for a request: datagrams, each after a delay.
pub(super) type Replies = Vec<(Duration, Vec<u8>)>;

/// A DNS server on 127.0.0.1 answering every datagram with what `answer` returns for it and
/// its index; it keeps every datagram received.
pub(super) struct FakeDns {
    pub(super) port: u16,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeDns {
    pub(super) fn start(answer: impl Fn(&[u8], usize) -> Replies + Send + 'static) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(10)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, stopped) = (Arc::clone(&seen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 65535];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((len, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let request = buf[..len].to_vec();
                let index = {
                    let mut seen = kept.lock().unwrap();
                    seen.push(request.clone());
                    seen.len() - 1
                };
                for (delay, reply) in answer(&request, index) {
                    if delay.is_zero() {
                        let _ = socket.send_to(&reply, from);
                    } else {
                        let late = socket.try_clone().unwrap();
                        std::thread::spawn(move || {
                            std::thread::sleep(delay);
                            let _ = late.send_to(&reply, from);
                        });
                    }
                }
            }
        });
        Self {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// Answers every request with `rcode` at once.
    pub(super) fn answering(rcode: Rcode) -> Self {
        Self::start(move |request, _| now(reply(request, rcode)))
    }

    /// Never answers.
    pub(super) fn silent() -> Self {
        Self::start(|_, _| Vec::new())
    }

    pub(super) fn seen(&self) -> Vec<Vec<u8>> {
        self.seen.lock().unwrap().clone()
    }

    /// How many datagrams received name `label`.
    pub(super) fn count(&self, label: &str) -> usize {
        self.seen().iter().filter(|d| holds(d, label)).count()
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The answer a server gives to `request`: its header with QR and `rcode`, no records.
pub(super) fn reply(request: &[u8], rcode: Rcode) -> Vec<u8> {
    let mut wire = request[..12].to_vec();
    wire[2] |= 0x80;
    wire[3] = (wire[3] & 0xf0) | rcode.0;
    wire[4..12].fill(0);
    wire
}

pub(super) fn now(datagram: Vec<u8>) -> Replies {
    vec![(Duration::ZERO, datagram)]
}

/// Whether `datagram` holds the label `label` in wire form.
pub(super) fn holds(datagram: &[u8], label: &str) -> bool {
    let mut wire = vec![label.len() as u8];
    wire.extend_from_slice(label.as_bytes());
    datagram.windows(wire.len()).any(|w| w == wire)
}
