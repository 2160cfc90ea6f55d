//! Byte ranges of the BOOTP/DHCP message, from the figure in RFC 2131 section 2.

use core::ops::Range;

pub(crate) const OP: usize = 0;
pub(crate) const HTYPE: usize = 1;
pub(crate) const HLEN: usize = 2;
pub(crate) const HOPS: usize = 3;
pub(crate) const XID: Range<usize> = 4..8;
pub(crate) const SECS: Range<usize> = 8..10;
pub(crate) const FLAGS: Range<usize> = 10..12;
pub(crate) const CIADDR: Range<usize> = 12..16;
pub(crate) const YIADDR: Range<usize> = 16..20;
pub(crate) const SIADDR: Range<usize> = 20..24;
pub(crate) const GIADDR: Range<usize> = 24..28;
pub(crate) const CHADDR: Range<usize> = 28..44;
pub(crate) const SNAME: Range<usize> = 44..108;
pub(crate) const FILE: Range<usize> = 108..236;
pub(crate) const COOKIE: Range<usize> = 236..240;
/// Where the `options` field starts.
pub(crate) const OPTIONS: usize = 240;

/// The magic cookie 99.130.83.99 (RFC 2131 section 3, RFC 1497).
pub const MAGIC_COOKIE: u32 = 0x6382_5363;
/// The fixed header before the cookie (RFC 2131 section 2).
pub const BOOTP_HEADER_LEN: usize = 236;
/// The header and the cookie: the smallest DHCP message this library accepts.
pub const DHCP_HEADER_LEN: usize = OPTIONS;
/// The smallest BOOTP message (RFC 951 section 3, RFC 1542 section 2.1); replies are padded to it.
pub const BOOTP_MIN_LEN: usize = 300;
