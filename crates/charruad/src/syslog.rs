//! Log lines sent to syslog with the configuration's `log-facility`, as ISC dhcpd logs (it
//! opens syslog with that facility, server/dhcpd.c): sites route it with their syslog daemon
//! (`local7.* /var/log/dhcpd.log`) and read that file with their tools. One datagram a line to
//! the syslog socket, never waiting: a line the socket cannot take now is dropped (standard
//! error still has it), so a slow syslog daemon never holds up the server.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::Path;

/// The syslog socket of the system.
pub(crate) const DEV_LOG: &str = "/dev/log";

/// syslog(3)'s facilities, by the names dhcpd.conf takes.
const FACILITIES: &[(&str, u8)] = &[
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

/// A connection to a syslog socket with a facility.
#[derive(Debug)]
pub(crate) struct Syslog {
    socket: UnixDatagram,
    facility: u8,
    pid: u32,
}

impl Syslog {
    /// Connects to the socket at `path` to log with `facility` (a name dhcpd.conf takes).
    pub(crate) fn open(path: &Path, facility: &str) -> io::Result<Self> {
        let facility = FACILITIES
            .iter()
            .find(|(name, _)| *name == facility)
            .map(|(_, code)| *code)
            .ok_or_else(|| io::Error::other(format!("unknown syslog facility {facility}")))?;
        let socket = UnixDatagram::unbound()?;
        socket.connect(path)?;
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket,
            facility,
            pid: std::process::id(),
        })
    }

    /// Sends the log lines in `text` (as the log writes them: `TIMESTAMP LEVEL message`), each
    /// as `<PRI>charruad[PID]: message` (RFC 3164; the syslog daemon stamps the time).
    pub(crate) fn send(&self, text: &[u8]) {
        for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let line = String::from_utf8_lossy(line);
            let line = line.trim_start();
            // The time stamp, then the level (right-aligned), then the message.
            let after_stamp = line
                .split_once(' ')
                .map_or("", |(_, rest)| rest)
                .trim_start();
            let (level, message) = after_stamp.split_once(' ').unwrap_or((after_stamp, ""));
            let severity = match level {
                "ERROR" => 3,
                "WARN" => 4,
                "INFO" => 6,
                _ => 7,
            };
            let priority = u16::from(self.facility) * 8 + severity;
            let datagram = format!("<{priority}>charruad[{}]: {message}", self.pid);
            // A full socket buffer drops the line: the server never waits for syslog.
            let _ = self.socket.send(datagram.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_go_with_the_facility_and_their_level_as_dhcpd_sends_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let syslog = Syslog::open(&path, "local7").unwrap();
        syslog.send(
            b"2026-12-02T08:00:00.000001Z  INFO DHCPACK on 198.18.0.10 to 02:00:00:00:00:01 via eth0\n\
              2026-12-02T08:00:00.000002Z ERROR lease store: No space left on device\n",
        );
        let mut buf = [0u8; 512];
        let n = server.recv(&mut buf).unwrap();
        let pid = std::process::id();
        assert_eq!(
            String::from_utf8_lossy(&buf[..n]),
            format!("<190>charruad[{pid}]: DHCPACK on 198.18.0.10 to 02:00:00:00:00:01 via eth0")
        );
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&buf[..n]),
            format!("<187>charruad[{pid}]: lease store: No space left on device")
        );
        assert!(Syslog::open(&path, "local8").is_err());
    }
}
