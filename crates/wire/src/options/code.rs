//! `OptionCode`: the one-octet tag of a DHCP option (RFC 2132 section 2).

use core::fmt;

/// A DHCP option code. Unknown codes are kept as they are; named constants for every code in the
/// option table are generated beside the table (see [`crate::options::table`]).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OptionCode(pub u8);

impl OptionCode {
    /// Pad (RFC 2132 section 3.1): one octet, no length, skipped.
    pub const PAD: Self = Self(0);
    /// End (RFC 2132 section 3.2): one octet, ends the field.
    pub const END: Self = Self(255);

    /// The ISC dhcpd name of this code, or `None` when it is not in the table.
    pub fn name(self) -> Option<&'static str> {
        super::table::lookup(self).map(|def| def.name)
    }
}

impl From<u8> for OptionCode {
    fn from(code: u8) -> Self {
        Self(code)
    }
}

impl fmt::Debug for OptionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{}({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for OptionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
