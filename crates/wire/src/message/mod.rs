//! The BOOTP/DHCP message (RFC 2131 section 2): a zero-copy [`Packet`] view and an owned
//! [`Message`] that decodes and encodes.

mod decode;
mod encode;
pub(crate) mod field;
mod packet;
mod types;

use alloc::vec::Vec;
use core::net::Ipv4Addr;

pub use decode::Overload;
pub use field::{BOOTP_HEADER_LEN, BOOTP_MIN_LEN, DHCP_HEADER_LEN, MAGIC_COOKIE};
pub use packet::Packet;
pub use types::{MessageType, Op};

use crate::options::Options;

/// An owned DHCP message. Header fields are kept exactly as received; `sname` and `file` hold the
/// raw fields (zero when they carried overloaded options); `options` holds every option but pad,
/// end and overload, raw and in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Request or reply.
    pub op: Op,
    /// Hardware address type (1 is Ethernet, RFC 1700).
    pub htype: u8,
    /// Hardware address length, as sent.
    pub hlen: u8,
    /// Relay hops.
    pub hops: u8,
    /// Transaction id chosen by the client.
    pub xid: u32,
    /// Seconds since the client began acquisition or renewal.
    pub secs: u16,
    /// Flags; [`Message::BROADCAST`] is the only defined bit.
    pub flags: u16,
    /// Client address (when bound, renewing or rebinding).
    pub ciaddr: Ipv4Addr,
    /// Address the server gives the client.
    pub yiaddr: Ipv4Addr,
    /// Next server in bootstrap.
    pub siaddr: Ipv4Addr,
    /// Relay agent address.
    pub giaddr: Ipv4Addr,
    /// Client hardware address, all 16 octets.
    pub chaddr: [u8; 16],
    /// Server host name field, NUL-terminated when not overloaded.
    pub sname: [u8; 64],
    /// Boot file name field, NUL-terminated when not overloaded.
    pub file: [u8; 128],
    /// Options, RFC 3396 fragments concatenated.
    pub options: Options,
    /// The vendor area (RFC 951 `vend`) of a BOOTP message that does not start with the RFC
    /// 1048 magic cookie, as received: such a message has no options (see
    /// [`Message::parse_bootp`]). When set, [`Message::encode`] writes it after the header in
    /// place of the cookie and the options.
    pub vendor: Option<Vec<u8>>,
}

impl Default for Message {
    fn default() -> Self {
        Self {
            op: Op::BOOTREQUEST,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid: 0,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr: [0; 16],
            sname: [0; 64],
            file: [0; 128],
            options: Options::new(),
            vendor: None,
        }
    }
}

/// The bytes of a NUL-terminated field up to its first NUL (RFC 2131 section 2).
fn until_nul(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or_default()
}

impl Message {
    /// The broadcast bit of `flags` (RFC 2131 section 2, figure 2). Other bits must be ignored.
    pub const BROADCAST: u16 = 0x8000;

    /// Whether the client asked for broadcast replies.
    pub fn is_broadcast(&self) -> bool {
        self.flags & Self::BROADCAST != 0
    }

    /// The message type (option 53), if present and well-formed. `None` is plain BOOTP or a
    /// malformed option 53.
    pub fn message_type(&self) -> Option<MessageType> {
        self.options.message_type()
    }

    /// The first `hlen` octets of `chaddr`, never more than its 16 (reliability class B16).
    pub fn hardware_address(&self) -> &[u8] {
        let len = usize::from(self.hlen).min(self.chaddr.len());
        self.chaddr.get(..len).unwrap_or_default()
    }

    /// `sname` up to its first NUL.
    pub fn server_name(&self) -> &[u8] {
        until_nul(&self.sname)
    }

    /// `file` up to its first NUL.
    pub fn boot_file(&self) -> &[u8] {
        until_nul(&self.file)
    }
}
