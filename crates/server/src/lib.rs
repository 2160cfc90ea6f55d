//! charrua-server: the DHCPv4 server as a pure function.
//!
//! [`Server::handle`] takes the [`Config`], the [`LeaseDb`], a [`Received`] message with where it
//! came from, and the time, and returns an [`Outcome`]: the reply with its [`Destination`] and
//! the [`LeaseChange`]s to commit first, a commit alone (RELEASE, DECLINE), or an `Ignore` with a
//! typed reason. Nothing here reads a clock, a socket, a file or a random source; the daemon does
//! that and applies the changes with [`LeaseDb::apply`], the same function replay uses.
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

pub mod config;
pub mod dns;
#[doc(hidden)]
pub mod fuzzing;
mod handle;
pub mod lease;
pub mod net;

pub use config::Config;
#[cfg(feature = "defects")]
pub use config::Defects;
pub use handle::{Destination, IgnoreReason, Outcome, Probe, Received, Reply, Server};
pub use lease::{Billing, ClientKey, Hardware, Lease, LeaseChange, LeaseDb, LeaseState};
pub use net::Ipv4Net;
