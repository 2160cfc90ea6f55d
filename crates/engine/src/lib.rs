//! charrua-engine: the daemon's logic as a sans-IO state machine.
//!
//! The server core ([`charrua_server::Server`]) decides what to answer; the [`Engine`] around
//! it owns everything else the daemon decides: the configuration and the lease database, rate
//! limits, counters, log lines, expiry, and the **commit pipeline** that makes a reply wait
//! for the store commit holding its leases (RFC 2131 section 3.1 step 4: the server commits
//! the binding before it sends the DHCPACK; durability rule D1).
//!
//! It touches no socket, clock, file or thread, as quinn-proto's `Endpoint`: the caller feeds
//! it what happened (`handle_datagram`, `handle_tick`, `handle_committed`,
//! `handle_changes_by_others`, `handle_reload`, `handle_echo_reply`), each with the time
//! ([`Now`]), and polls what to do (`poll_transmit`, `poll_commit`, `poll_probe`,
//! `poll_timeout`, `drain_log`). A [`Commit`] carries the
//! replies that wait for it: whoever runs the commit sends them the instant it is durable. So the same engine runs in
//! charruad, driven by system calls, and in `charrua-sim`, driven in virtual time; with the
//! same inputs it gives the same outputs.
//!
//! The pipeline: one commit at a time is in flight (the caller runs it on a thread of its own,
//! with [`charrua_store::commit_batch`]). Meanwhile the engine keeps handling requests: replies
//! that change no durable lease (OFFER, NAK, INFORM's ACK) leave at once; replies that do wait,
//! with their changes, for the next commit. When a commit fails, every change made since it
//! started is undone in memory, so the database always holds what a replay of the store gives,
//! offers aside.
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

mod counters;
#[cfg(feature = "defects")]
mod defects;
mod engine;
mod limit;
mod log;
mod pipeline;
mod probes;
mod stats;

pub use counters::Counters;
#[cfg(feature = "defects")]
pub use defects::Defects;
pub use engine::{Arrival, Engine, EngineOptions, Now, Transmit};
pub use log::LogLevel;
pub use pipeline::{agrees_with_store, rebuilt, Commit};
pub use stats::{PoolEvents, PoolStats, Snapshot, Statistics, SubnetStats, PACKET_STATISTICS};
