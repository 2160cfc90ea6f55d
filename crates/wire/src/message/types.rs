//! Small newtypes of the message header: `Op` and `MessageType`.

use core::fmt;

/// The `op` field (RFC 2131 section 2). Other values are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Op(pub u8);

impl Op {
    /// A message from a client to a server.
    pub const BOOTREQUEST: Self = Self(1);
    /// A message from a server to a client.
    pub const BOOTREPLY: Self = Self(2);

    /// `"BOOTREQUEST"`, `"BOOTREPLY"`, or `None` for other values.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Self::BOOTREQUEST => Some("BOOTREQUEST"),
            Self::BOOTREPLY => Some("BOOTREPLY"),
            _ => None,
        }
    }
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Op({})", self.0),
        }
    }
}

/// The DHCP message type, option 53 (RFC 2132 section 9.6 and later RFCs).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType(pub u8);

impl MessageType {
    /// DHCPDISCOVER (RFC 2132 section 9.6).
    pub const DISCOVER: Self = Self(1);
    /// DHCPOFFER (RFC 2132 section 9.6).
    pub const OFFER: Self = Self(2);
    /// DHCPREQUEST (RFC 2132 section 9.6).
    pub const REQUEST: Self = Self(3);
    /// DHCPDECLINE (RFC 2132 section 9.6).
    pub const DECLINE: Self = Self(4);
    /// DHCPACK (RFC 2132 section 9.6).
    pub const ACK: Self = Self(5);
    /// DHCPNAK (RFC 2132 section 9.6).
    pub const NAK: Self = Self(6);
    /// DHCPRELEASE (RFC 2132 section 9.6).
    pub const RELEASE: Self = Self(7);
    /// DHCPINFORM (RFC 2132 section 9.6).
    pub const INFORM: Self = Self(8);
    /// DHCPFORCERENEW (RFC 3203).
    pub const FORCERENEW: Self = Self(9);
    /// DHCPLEASEQUERY (RFC 4388).
    pub const LEASEQUERY: Self = Self(10);
    /// DHCPLEASEUNASSIGNED (RFC 4388).
    pub const LEASEUNASSIGNED: Self = Self(11);
    /// DHCPLEASEUNKNOWN (RFC 4388).
    pub const LEASEUNKNOWN: Self = Self(12);
    /// DHCPLEASEACTIVE (RFC 4388).
    pub const LEASEACTIVE: Self = Self(13);

    /// The name as RFC 2132 and later RFCs spell it (`"DHCPDISCOVER"`), or `None` when unknown.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "DHCPDISCOVER",
            2 => "DHCPOFFER",
            3 => "DHCPREQUEST",
            4 => "DHCPDECLINE",
            5 => "DHCPACK",
            6 => "DHCPNAK",
            7 => "DHCPRELEASE",
            8 => "DHCPINFORM",
            9 => "DHCPFORCERENEW",
            10 => "DHCPLEASEQUERY",
            11 => "DHCPLEASEUNASSIGNED",
            12 => "DHCPLEASEUNKNOWN",
            13 => "DHCPLEASEACTIVE",
            14 => "DHCPBULKLEASEQUERY",
            15 => "DHCPLEASEQUERYDONE",
            16 => "DHCPACTIVELEASEQUERY",
            17 => "DHCPLEASEQUERYSTATUS",
            18 => "DHCPTLS",
            _ => return None,
        })
    }
}

impl fmt::Debug for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "MessageType({})", self.0),
        }
    }
}
