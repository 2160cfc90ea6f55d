//! charrua-wire: the DHCPv4 wire format.
//!
//! - [`message`]: the BOOTP/DHCP message of RFC 2131 section 2, as a zero-copy checked
//!   [`Packet`] view and an owned [`Message`] that decodes ([`Message::parse`]) and encodes
//!   ([`Message::encode`], [`Message::encode_within`] with option overload).
//! - [`options`]: every option of RFC 2132 and the common later ones in one table
//!   ([`options::TABLE`]): code, ISC dhcpd name, value [`Format`]; typed [`Value`]s with their wire
//!   and text forms. Options are kept raw and in order, unknown codes included; RFC 3396 long
//!   options are concatenated on decode and split on encode.
//! - [`frame`]: Ethernet II, IPv4 and UDP for raw sockets, lengths and checksums checked.
//!
//! Every decoder returns [`Error`] on bad input and never panics, loops or allocates more than
//! its input justifies. `no_std` with `alloc`; the `std` feature adds `std::error::Error`.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
// Input must never reach a panic: library code indexes with `get` and has no unwrap.
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

extern crate alloc;

mod error;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod message;
pub mod options;

pub use error::{Area, Error};
pub use message::{Message, MessageType, Op, Overload, Packet};
pub use options::{Format, OptionCode, Options, Value};
