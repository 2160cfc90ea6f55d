//! Log lines sent to syslog, as ISC dhcpd logs: it opens syslog with the facility `daemon`
//! (`DHCPD_LOG_FACILITY`, includes/dhcpd.h) and reopens it with the configuration's
//! `log-facility` (server/dhcpd.c, `postconf_initialization`), each line at its own priority
//! (`log_error` at LOG_ERR, `log_info` at LOG_INFO, `log_debug` at LOG_DEBUG,
//! omapip/errwarn.c). Sites route it with their syslog daemon (`local7.* /var/log/dhcpd.log`)
//! and read that file with their tools.
//!
//! One datagram a line to the syslog socket, `<PRI>charruad[PID]: message` (RFC 3164 section
//! 4.1: PRI is facility * 8 + severity; without a TIMESTAMP the syslog daemon stamps the time
//! of receipt, section 4.3.3). The datagrams are sent by a thread of their own that waits for
//! the socket as syslog(3) does, so the serving loop never waits for syslog: it hands over a
//! whole batch of lines; batches that a stalled syslog daemon leaves queued beyond a bound are
//! dropped, counted, and said so once the daemon takes lines again.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// The syslog socket of the system.
pub(crate) const DEV_LOG: &str = "/dev/log";

/// The program name syslog files show (RFC 3164 section 4.1.3, the TAG).
const TAG: &str = "charruad";

/// Batches waiting for the syslog thread at most: at one batch per 100 ms under load, a few
/// seconds of a stalled syslog daemon before lines are dropped.
const QUEUED_BATCHES: usize = 32;

/// How long one datagram may wait for room in the syslog daemon's socket before the rest of
/// its batch is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// How long [`Syslog::close`] waits for the queued lines to be sent.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A syslog facility (RFC 5424 section 6.2.1, table 1; the names of syslog(3) that
/// dhcpd.conf's `log-facility` takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Facility(u8);

impl Facility {
    /// `daemon`: ISC dhcpd's facility unless `log-facility` names another
    /// (`DHCPD_LOG_FACILITY`, includes/dhcpd.h).
    pub(crate) const DAEMON: Self = Self(3);

    /// The facility named `name`, if syslog(3) has it.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        const NAMES: &[(&str, u8)] = &[
            ("kern", 0),
            ("user", 1),
            ("mail", 2),
            ("daemon", 3),
            ("auth", 4),
            ("syslog", 5),
            ("lpr", 6),
            ("news", 7),
            ("uucp", 8),
            ("cron", 9),
            ("authpriv", 10),
            ("ftp", 11),
            ("local0", 16),
            ("local1", 17),
            ("local2", 18),
            ("local3", 19),
            ("local4", 20),
            ("local5", 21),
            ("local6", 22),
            ("local7", 23),
        ];
        NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, code)| Self(*code))
    }
}

/// A syslog severity (RFC 5424 section 6.2.1, table 2; syslog(3)'s LOG_ERR...): what a log
/// line's level becomes in syslog, and in the `<N>` prefix journald reads (sd-daemon(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Severity(u8);

impl Severity {
    /// LOG_ERR.
    pub(crate) const ERR: Self = Self(3);
    /// LOG_WARNING.
    pub(crate) const WARNING: Self = Self(4);
    /// LOG_INFO.
    pub(crate) const INFO: Self = Self(6);
    /// LOG_DEBUG.
    pub(crate) const DEBUG: Self = Self(7);

    /// The severity of a log level: error, warning, info, debug (trace is debug too).
    pub(crate) fn of(level: tracing::Level) -> Self {
        match level {
            tracing::Level::ERROR => Self::ERR,
            tracing::Level::WARN => Self::WARNING,
            tracing::Level::INFO => Self::INFO,
            _ => Self::DEBUG,
        }
    }

    /// The `<N>` prefix of sd-daemon(3) (`SD_ERR` is `"<3>"`...): journald takes it off a
    /// line on standard error and files the line at that priority.
    pub(crate) fn prefix(self) -> [u8; 3] {
        [b'<', b'0' + self.0, b'>']
    }

    /// The severity of a line that starts with a [`Severity::prefix`], and the rest of it.
    pub(crate) fn strip(line: &[u8]) -> Option<(Self, &[u8])> {
        match line {
            [b'<', digit @ b'0'..=b'7', b'>', rest @ ..] => Some((Self(digit - b'0'), rest)),
            _ => None,
        }
    }
}

/// Lines on their way to a syslog socket, through a thread of their own.
#[derive(Debug)]
pub(crate) struct Syslog {
    batches: SyncSender<Vec<u8>>,
    /// Lines dropped and not yet reported (shared with the thread).
    dropped: Arc<AtomicU64>,
    /// Closed by the thread once it has sent everything.
    done: Receiver<()>,
}

impl Syslog {
    /// Connects to the socket at `path` (so that a missing one is known at once) to log
    /// with `facility`.
    pub(crate) fn open(path: &Path, facility: Facility) -> io::Result<Self> {
        let mut writer = Writer {
            socket: connect(path)?,
            path: path.to_path_buf(),
            facility,
            pid: std::process::id(),
            datagram: Vec::new(),
            dropped: Arc::new(AtomicU64::new(0)),
        };
        let dropped = Arc::clone(&writer.dropped);
        let (batches, queued) = mpsc::sync_channel::<Vec<u8>>(QUEUED_BATCHES);
        let (finished, done) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("syslog".into())
            .spawn(move || {
                for batch in queued {
                    writer.send(&batch);
                }
                drop(finished);
            })?;
        Ok(Self {
            batches,
            dropped,
            done,
        })
    }

    /// Hands `lines` (each `<N>message\n`, N its [`Severity`]) to the thread; drops them
    /// (counted) if it is that far behind.
    pub(crate) fn send(&self, lines: Vec<u8>) {
        if let Err(TrySendError::Full(lines) | TrySendError::Disconnected(lines)) =
            self.batches.try_send(lines)
        {
            self.dropped
                .fetch_add(count_lines(&lines), Ordering::Relaxed);
        }
    }

    /// Lets the thread send what is queued, waiting for it a little at most.
    pub(crate) fn close(self) {
        drop(self.batches);
        let _ = self.done.recv_timeout(CLOSE_TIMEOUT);
    }
}

/// A socket connected to the syslog socket at `path`, its sends waiting [`SEND_TIMEOUT`].
fn connect(path: &Path) -> io::Result<UnixDatagram> {
    let socket = UnixDatagram::unbound()?;
    socket.connect(path)?;
    socket.set_write_timeout(Some(SEND_TIMEOUT))?;
    Ok(socket)
}

/// Whether a send failed because the syslog daemon's socket is gone (the daemon restarted).
fn is_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::NotConnected | io::ErrorKind::NotFound
    )
}

/// How many lines `lines` holds.
fn count_lines(lines: &[u8]) -> u64 {
    lines.iter().filter(|b| **b == b'\n').count() as u64
}

/// The syslog thread's end: the socket, and the datagram being put together.
struct Writer {
    socket: UnixDatagram,
    path: PathBuf,
    facility: Facility,
    pid: u32,
    datagram: Vec<u8>,
    dropped: Arc<AtomicU64>,
}

impl Writer {
    /// Sends each line of `batch` as a datagram. A syslog daemon that restarted (the socket
    /// refuses, or is gone) is connected to again once per batch, as syslog(3) reconnects;
    /// lines the daemon cannot take within [`SEND_TIMEOUT`] are dropped with the rest of
    /// their batch, and counted.
    fn send(&mut self, batch: &[u8]) {
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let note = format!(
                "{dropped} log line(s) dropped: the syslog daemon did not take them in time"
            );
            if self.datagram(Severity::WARNING, note.as_bytes()).is_err() {
                self.dropped.fetch_add(dropped, Ordering::Relaxed);
            }
        }
        let mut reconnected = false;
        let mut rest = batch;
        while let Some((line, after)) = split_line(rest) {
            let (severity, text) = Severity::strip(line).unwrap_or((Severity::INFO, line));
            let mut sent = self.datagram(severity, text);
            if !reconnected && sent.as_ref().is_err_and(is_gone) {
                reconnected = true;
                if let Ok(socket) = connect(&self.path) {
                    self.socket = socket;
                    sent = self.datagram(severity, text);
                }
            }
            match sent {
                Ok(()) => rest = after,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock || is_gone(&e) => {
                    self.dropped.fetch_add(count_lines(rest), Ordering::Relaxed);
                    return;
                }
                Err(_) => {
                    // This line only (too long for the socket, say).
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    rest = after;
                }
            }
        }
    }

    /// Sends one datagram, `<PRI>charruad[PID]: text`.
    fn datagram(&mut self, severity: Severity, text: &[u8]) -> io::Result<()> {
        use std::io::Write as _;
        let priority = u16::from(self.facility.0) * 8 + u16::from(severity.0);
        self.datagram.clear();
        write!(self.datagram, "<{priority}>{TAG}[{}]: ", self.pid)?;
        self.datagram.extend_from_slice(text);
        loop {
            match self.socket.send(&self.datagram) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other.map(drop),
            }
        }
    }
}

/// The first line of `text` (without its newline) and what follows it.
fn split_line(text: &[u8]) -> Option<(&[u8], &[u8])> {
    if text.is_empty() {
        return None;
    }
    Some(match text.iter().position(|b| *b == b'\n') {
        Some(at) => (text.get(..at)?, text.get(at + 1..)?),
        None => (text, &[]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receiver(dir: &Path) -> (PathBuf, UnixDatagram) {
        let path = dir.join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        (path, server)
    }

    fn recv(server: &UnixDatagram) -> String {
        let mut buf = [0u8; 512];
        let n = server.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn levels_map_to_syslog_severities_and_sd_daemon_prefixes() {
        use tracing::Level;
        let of = |level| Severity::of(level).prefix();
        assert_eq!(of(Level::ERROR), *b"<3>");
        assert_eq!(of(Level::WARN), *b"<4>");
        assert_eq!(of(Level::INFO), *b"<6>");
        assert_eq!(of(Level::DEBUG), *b"<7>");
        assert_eq!(of(Level::TRACE), *b"<7>");
        assert_eq!(
            Severity::strip(b"<4>careful"),
            Some((Severity::WARNING, &b"careful"[..]))
        );
        assert_eq!(Severity::strip(b"<8>x"), None);
        assert_eq!(Severity::strip(b"<3"), None);
        assert_eq!(Facility::from_name("daemon"), Some(Facility::DAEMON));
        assert_eq!(Facility::from_name("local7"), Some(Facility(23)));
        assert_eq!(Facility::from_name("local8"), None);
    }

    #[test]
    fn lines_go_with_the_facility_and_their_severity_as_dhcpd_sends_them() {
        let dir = tempfile::tempdir().unwrap();
        let (path, server) = receiver(dir.path());
        let local7 = Facility::from_name("local7").unwrap();
        let syslog = Syslog::open(&path, local7).unwrap();
        syslog.send(
            b"<6>DHCPACK on 198.18.0.10 to 02:00:00:00:00:01 via eth0\n\
              <3>lease store: No space left on device\n\
              <4>a warning\n<7>a detail\nno prefix\n"
                .to_vec(),
        );
        syslog.close();
        let pid = std::process::id();
        for want in [
            format!("<190>charruad[{pid}]: DHCPACK on 198.18.0.10 to 02:00:00:00:00:01 via eth0"),
            format!("<187>charruad[{pid}]: lease store: No space left on device"),
            format!("<188>charruad[{pid}]: a warning"),
            format!("<191>charruad[{pid}]: a detail"),
            format!("<190>charruad[{pid}]: no prefix"),
        ] {
            assert_eq!(recv(&server), want);
        }
        let daemon = Syslog::open(&path, Facility::DAEMON).unwrap();
        daemon.send(b"<6>x\n".to_vec());
        daemon.close();
        assert_eq!(recv(&server), format!("<30>charruad[{pid}]: x"));
        assert!(Syslog::open(&dir.path().join("none"), Facility::DAEMON).is_err());
    }

    #[test]
    fn a_restarted_syslog_daemon_is_connected_to_again() {
        let dir = tempfile::tempdir().unwrap();
        let (path, first) = receiver(dir.path());
        let syslog = Syslog::open(&path, Facility::DAEMON).unwrap();
        syslog.send(b"<6>before\n".to_vec());
        // The daemon restarts: its socket is made anew at the same path.
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        std::fs::remove_file(&path).unwrap();
        let (_, second) = receiver(dir.path());
        syslog.send(b"<6>after\n".to_vec());
        syslog.close();
        assert!(recv(&second).ends_with("]: after"));
    }

    #[test]
    fn lines_a_full_socket_refuses_are_counted_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (path, server) = receiver(dir.path());
        let syslog = Syslog::open(&path, Facility::DAEMON).unwrap();
        // More datagrams than an unread socket queues (net.unix.max_dgram_qlen): the thread
        // waits SEND_TIMEOUT, then drops the rest of the batch.
        let many: Vec<u8> = (0..2000)
            .flat_map(|i| format!("<6>line {i}\n").into_bytes())
            .collect();
        syslog.send(many);
        std::thread::sleep(SEND_TIMEOUT + Duration::from_secs(1));
        syslog.send(b"<6>later\n".to_vec());
        let (mut lines, mut dropped) = (0, None);
        loop {
            let got = recv(&server);
            if got.ends_with("]: later") {
                break;
            }
            if let Some(note) = got.strip_prefix("<28>charruad[") {
                let (_, text) = note.split_once("]: ").unwrap();
                let (n, rest) = text.split_once(' ').unwrap();
                assert_eq!(
                    rest,
                    "log line(s) dropped: the syslog daemon did not take them in time"
                );
                dropped = Some(n.parse::<usize>().unwrap());
            } else {
                assert!(got.contains("]: line "), "{got}");
                lines += 1;
            }
        }
        syslog.close();
        let dropped = dropped.expect("a note of the dropped lines");
        assert!(
            dropped > 0 && lines + dropped == 2000,
            "{lines} + {dropped}"
        );
    }
}
