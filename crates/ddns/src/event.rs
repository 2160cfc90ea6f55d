//! What a transaction reports: ISC's log lines, the lease variables to set or unset, and how
//! each step ended.

use std::fmt;
use std::io;

use crate::name::DomainName;
use crate::rcode::Rcode;
use crate::registration::Forward;
use crate::tsig::{RequestError, ResponseError};

/// Something the daemon acts on, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A line ISC dhcpd logs, in its words (docs/ddns.md section 5).
    Log(LogLine),
    /// The forward name is registered: set `ddns-fwd-name` and the guard's variable
    /// ([`crate::Guard::lease_variable`]) on the lease and write it
    /// (`server/ddns.c:ddns_update_lease_text`).
    ForwardAdded(Forward),
    /// The PTR is registered: set `ddns-rev-name`, and `ddns-client-fqdn` on the client path.
    ReverseAdded {
        /// The reverse name.
        reverse: DomainName,
        /// The client's own name, on the client path.
        client_fqdn: Option<DomainName>,
    },
    /// The forward records are gone (or were never ours): unset `ddns-fwd-name`, `ddns-txt`
    /// and `ddns-dhcid`.
    ForwardRemoved,
    /// The PTR is gone: unset `ddns-rev-name` and `ddns-client-fqdn`.
    ReverseRemoved,
    /// No configured zone holds this name, so its step was skipped. ISC does the same
    /// silently (docs/ddns.md section 1.3); the daemon logs it, once per name.
    NoZone(DomainName),
    /// The transaction is over. `success`: every step it tried succeeded; after a removal,
    /// this is ISC's condition for running an add chained behind it (docs/ddns.md section 5.4).
    Finished {
        /// Whether every step succeeded.
        success: bool,
    },
}

/// A log line's syslog level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `LOG_INFO`.
    Info,
    /// `LOG_ERR`.
    Error,
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Its level.
    pub level: Level,
    /// Its text, without syslog prefix.
    pub text: String,
}

/// Why no answer came from a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No answer within the retransmissions (ISC: 4 sends, 3 s apart; docs/ddns.md section 7).
    #[error("timed out")]
    TimedOut,
    /// ICMP port unreachable: no server listens.
    #[error("connection refused")]
    ConnectionRefused,
    /// No route to the server's network.
    #[error("network unreachable")]
    NetworkUnreachable,
    /// No route to the server.
    #[error("host unreachable")]
    HostUnreachable,
    /// Any other socket error.
    #[error("failure")]
    Other,
}

impl TransportError {
    /// The transport error an I/O error stands for.
    pub fn from_io(error: &io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Self::TimedOut,
            io::ErrorKind::ConnectionRefused => Self::ConnectionRefused,
            io::ErrorKind::NetworkUnreachable => Self::NetworkUnreachable,
            io::ErrorKind::HostUnreachable => Self::HostUnreachable,
            _ => Self::Other,
        }
    }
}

/// How one step ended: a server's RCODE or a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A verified answer's RCODE.
    Rcode(Rcode),
    /// The answer failed its checks (TSIG errors among them).
    Response(ResponseError),
    /// No answer.
    Transport(TransportError),
    /// The request could not be built or signed.
    Request(RequestError),
    /// The zone names no server.
    NoServer,
}

impl Answer {
    /// The RCODE, for an answer that has one.
    pub fn rcode(&self) -> Option<Rcode> {
        match self {
            Self::Rcode(rcode) => Some(*rcode),
            _ => None,
        }
    }
}

/// The result text ISC puts after the colon of its error lines (`bind:result.c`).
impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rcode(rcode) => rcode.fmt(f),
            Self::Response(error) => error.fmt(f),
            Self::Transport(error) => error.fmt(f),
            Self::Request(_) => f.write_str("failure"),
            Self::NoServer => f.write_str("no servers to try"),
        }
    }
}
