//! charrua-ddns: ISC dhcpd's dynamic DNS updates as a sans-IO core.
//!
//! When ISC dhcpd acknowledges a lease it registers the client's name in DNS: an A record and
//! a guard record saying which client holds the name (a TXT in the `interim` style, an RFC
//! 4701 DHCID in the `standard` one), then the PTR; at release and expiry it removes them. Each
//! change is an RFC 2136 UPDATE, with prerequisites that keep one client from taking another's
//! name (RFC 4703), signed with TSIG (RFC 8945). This crate does the same, message for message,
//! as `docs/ddns.md` specifies it from ISC's source (`server/ddns.c`, `common/dns.c`):
//!
//! - names: [`forward_name`], [`reverse_name`] and [`DomainName`], which refuses what is not a
//!   DNS host name rather than send it; the zone for a name, [`Zones::find`];
//! - guards: [`Guard::interim`] (TXT) and [`Guard::standard`] (DHCID);
//! - messages: [`update`] (add 1 to 3, the removals, PTR add and removal);
//! - TSIG: [`Key`] (hmac-md5 to hmac-sha512), [`Request::signed`] and
//!   [`Request::check_response`], which reports BADSIG, BADKEY, BADTIME, bad or truncated MACs
//!   and clock skew as [`ResponseError`]s;
//! - the steps: a [`Transaction`] per lease, driven by its caller (`poll_transmit`,
//!   `handle_response`, `handle_transport_error`, `poll_event`), reporting ISC's log lines and
//!   the lease variables to store as [`Event`]s.
//!
//! Nothing here reads a clock, draws a random number or starts a thread: time and message ids
//! are inputs. The one piece of I/O, [`exchange`], is a small blocking UDP exchange for tests
//! and for a daemon that runs updates on a thread of its own.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod event;
pub mod exchange;
#[doc(hidden)]
pub mod fuzzing;
mod guard;
mod key;
mod name;
mod rcode;
mod registration;
mod transaction;
mod tsig;
pub mod update;
mod zone;

pub use event::{Answer, Event, Level, LogLine, TransportError};
pub use guard::{ClientIdentity, Guard, GuardError, Style};
pub use key::{Algorithm, Key};
pub use name::{forward_name, reverse_name, DomainName, NameError, DEFAULT_REV_DOMAIN};
pub use rcode::Rcode;
pub use registration::{Forward, Path, Registered, Registration};
pub use transaction::{Step, Transaction, Transmit};
pub use tsig::{Request, RequestError, ResponseError, FUDGE};
pub use update::{Conflict, MixedMode, Rules};
pub use zone::{Zone, Zones};
