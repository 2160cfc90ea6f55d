//! The RCODE of a response (RFC 1035 section 4.1.1, RFC 2136 section 2.2).

use std::fmt;

/// A response code (the header's 4 bits). Unknown codes survive; `Display` gives BIND's text,
/// which ISC dhcpd logs (`bind:result.c`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rcode(pub u8);

impl Rcode {
    /// No error; the update was applied.
    pub const NOERROR: Self = Self(0);
    /// The server could not read the message.
    pub const FORMERR: Self = Self(1);
    /// The server failed.
    pub const SERVFAIL: Self = Self(2);
    /// A name that should exist does not (RFC 2136 section 2.4.4 failed).
    pub const NXDOMAIN: Self = Self(3);
    /// The server does not do updates.
    pub const NOTIMP: Self = Self(4);
    /// The server refused (policy, `allow-update`, `check-names`).
    pub const REFUSED: Self = Self(5);
    /// A name that should not exist does (RFC 2136 section 2.4.5 failed).
    pub const YXDOMAIN: Self = Self(6);
    /// An RRset that should not exist does (RFC 2136 section 2.4.3 failed).
    pub const YXRRSET: Self = Self(7);
    /// An RRset that should exist does not (RFC 2136 sections 2.4.1 and 2.4.2 failed).
    pub const NXRRSET: Self = Self(8);
    /// The server is not authoritative for the zone, or a TSIG failed (RFC 8945 section 5.2).
    pub const NOTAUTH: Self = Self(9);
    /// A name is outside the zone section's zone.
    pub const NOTZONE: Self = Self(10);

    fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::NOERROR => "NOERROR",
            Self::FORMERR => "FORMERR",
            Self::SERVFAIL => "SERVFAIL",
            Self::NXDOMAIN => "NXDOMAIN",
            Self::NOTIMP => "NOTIMP",
            Self::REFUSED => "REFUSED",
            Self::YXDOMAIN => "YXDOMAIN",
            Self::YXRRSET => "YXRRSET",
            Self::NXRRSET => "NXRRSET",
            Self::NOTAUTH => "NOTAUTH",
            Self::NOTZONE => "NOTZONE",
            _ => return None,
        })
    }
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "<rcode {}>", self.0),
        }
    }
}

impl fmt::Debug for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_bind_result_text() {
        assert_eq!(Rcode::YXDOMAIN.to_string(), "YXDOMAIN");
        assert_eq!(Rcode::REFUSED.to_string(), "REFUSED");
        assert_eq!(format!("{:?}", Rcode(12)), "<rcode 12>");
    }
}
