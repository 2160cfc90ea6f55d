//! One log line per DHCP message, in the words of ISC dhcpd's log (so existing log parsers keep
//! working): `DHCPDISCOVER from MAC via IFACE`, `DHCPOFFER on IP to MAC via IFACE`, ...
//!
//! The lines are written straight into a buffer (no intermediate strings): under load they are
//! a measurable share of the server's time.

use std::fmt::{self, Write};

use charrua_server::Outcome;
use charrua_wire::{Message, MessageType};

/// The client's hardware address as `aa:bb:cc:dd:ee:ff`.
struct Mac<'a>(&'a [u8]);

impl fmt::Display for Mac<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        charrua_wire::options::text::write_hex(f, self.0)
    }
}

/// ` (hostname)` when the client sent one, printable characters only.
struct Name<'a>(&'a Message);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(name) = self.0.options.host_name() else {
            return Ok(());
        };
        f.write_str(" (")?;
        for c in String::from_utf8_lossy(name).chars() {
            if c.is_ascii_graphic() {
                f.write_char(c)?;
            }
        }
        f.write_char(')')
    }
}

/// The relay's address when relayed, else the interface name.
struct Via<'a>(&'a Message, &'a str);

impl fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.giaddr.is_unspecified() {
            f.write_str(self.1)
        } else {
            write!(f, "{}", self.0.giaddr)
        }
    }
}

/// Writes the line for a received request.
pub(crate) fn request(out: &mut dyn Write, msg: &Message, via: &str) -> fmt::Result {
    let kind = msg
        .message_type()
        .and_then(|t| t.name())
        .unwrap_or("BOOTREQUEST");
    let (mac, name, via) = (Mac(msg.hardware_address()), Name(msg), Via(msg, via));
    match msg.message_type() {
        Some(MessageType::REQUEST) => {
            let addr = msg.options.requested_address().unwrap_or(msg.ciaddr);
            write!(out, "{kind} for {addr}")?;
            if let Some(server) = msg.options.server_identifier() {
                write!(out, " ({server})")?;
            }
            write!(out, " from {mac}{name} via {via}")
        }
        Some(MessageType::RELEASE | MessageType::INFORM) => {
            write!(out, "{kind} of {} from {mac}{name} via {via}", msg.ciaddr)
        }
        Some(MessageType::DECLINE) => {
            let addr = msg.options.requested_address().unwrap_or(msg.ciaddr);
            write!(out, "{kind} of {addr} from {mac}{name} via {via}")
        }
        _ => write!(out, "{kind} from {mac}{name} via {via}"),
    }
}

/// Writes the line for what the server did about it.
pub(crate) fn outcome(
    out: &mut dyn Write,
    request: &Message,
    outcome: &Outcome,
    via: &str,
) -> fmt::Result {
    let (mac, via) = (Mac(request.hardware_address()), Via(request, via));
    match outcome {
        Outcome::Reply(r) => {
            let kind = r
                .message
                .message_type()
                .and_then(|t| t.name())
                .unwrap_or("BOOTREPLY");
            let addr = if r.message.yiaddr.is_unspecified() {
                r.message.ciaddr
            } else {
                r.message.yiaddr
            };
            write!(out, "{kind} on {addr} to {mac} via {via}")
        }
        Outcome::Commit(changes) => {
            write!(out, "committed {} change(s) for {mac}", changes.len())
        }
        Outcome::Ignore(reason) => write!(out, "no reply to {mac}: {reason:?}"),
    }
}

/// A line as a string (for lines logged later, once their reply leaves).
pub(crate) fn to_string(write: impl FnOnce(&mut String) -> fmt::Result) -> String {
    let mut line = String::with_capacity(96);
    let _ = write(&mut line);
    line
}

/// How much the engine logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Nothing (the simulator).
    Off,
    /// Errors only: a failed commit, a change the store cannot write.
    Error,
    /// Errors and warnings.
    Warn,
    /// A line per message received and per reply, as dhcpd logs them.
    Info,
    /// And a line per message ignored, with why.
    Debug,
}

/// The log lines the engine produced since the caller last took them: one text buffer, so a
/// line costs no allocation of its own.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    text: String,
    /// Each line's level and end in `text`.
    ends: Vec<(LogLevel, usize)>,
}

impl Lines {
    /// Appends a line.
    pub(crate) fn push(&mut self, level: LogLevel, write: impl FnOnce(&mut String) -> fmt::Result) {
        let _ = write(&mut self.text);
        self.ends.push((level, self.text.len()));
    }

    /// Hands every line to `each`, oldest first, and forgets them.
    pub(crate) fn drain(&mut self, each: &mut dyn FnMut(LogLevel, &str)) {
        let mut start = 0;
        for &(level, end) in &self.ends {
            each(level, self.text.get(start..end).unwrap_or_default());
            start = end;
        }
        self.text.clear();
        self.ends.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use charrua_wire::OptionCode;

    #[test]
    fn lines_read_like_dhcpd() {
        let mut msg = Message {
            xid: 1,
            ..Message::default()
        };
        msg.chaddr[..6].copy_from_slice(&[2, 0, 0, 0xab, 0, 1]);
        msg.options
            .insert(OptionCode::MESSAGE_TYPE, &[MessageType::DISCOVER.0]);
        msg.options.insert(OptionCode::HOST_NAME, b"pc 1\n");
        assert_eq!(
            to_string(|w| request(w, &msg, "eth0")),
            "DHCPDISCOVER from 02:00:00:ab:00:01 (pc1) via eth0"
        );
        msg.giaddr = std::net::Ipv4Addr::new(198, 18, 0, 2);
        msg.options
            .insert(OptionCode::MESSAGE_TYPE, &[MessageType::REQUEST.0]);
        msg.options
            .insert(OptionCode::REQUESTED_ADDRESS, &[198, 19, 0, 5]);
        msg.options
            .insert(OptionCode::SERVER_IDENTIFIER, &[198, 18, 0, 1]);
        assert_eq!(
            to_string(|w| request(w, &msg, "eth0")),
            "DHCPREQUEST for 198.19.0.5 (198.18.0.1) from 02:00:00:ab:00:01 (pc1) via 198.18.0.2"
        );
    }
}
