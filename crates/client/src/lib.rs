//! charrua-client: a DHCPv4 client as a pure state machine (RFC 2131 section 4.4), for daemons,
//! unikernels and embedded stacks alike.
//!
//! The [`Client`] never touches a socket, a clock or a random source: the caller feeds it what
//! arrives ([`Client::handle_packet`]) and tells it when its timer fires
//! ([`Client::handle_timeout`]), both with the current time in milliseconds of any monotonic
//! clock; it takes the messages to send ([`Client::poll_transmit`]), the time of the next timer
//! ([`Client::poll_timeout`]) and what happened ([`Client::poll_event`]: an address to apply, a
//! lease renewed, lost or released). Transaction ids and retransmission jitter come from a
//! generator seeded by the configuration, so a run is reproducible.
//!
//! The states are RFC 2131's (figure 5): INIT, SELECTING, REQUESTING, BOUND, RENEWING,
//! REBINDING and INIT-REBOOT/REBOOTING, plus RELEASED once the caller gives the lease back.
#![no_std]
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

extern crate alloc;

mod client;
mod config;
pub mod fuzzing;
mod lease;
mod messages;
mod rng;

pub use client::{Client, Destination, Event, StateKind, Transmit};
pub use config::{ClientConfig, OfferPolicy};
pub use lease::Lease;
