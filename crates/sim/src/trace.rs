//! The last steps of a run, kept cheaply (no text until a violation asks for it), to print a
//! short trace of how a failing seed got there.

use std::collections::VecDeque;
use std::fmt;
use std::net::Ipv4Addr;

/// Steps kept.
const KEPT: usize = 60;

/// One step.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    /// A client sent a message of this DHCP type.
    ClientSent { client: usize, kind: u8 },
    /// A client got a message of this type, for this address.
    ClientGot {
        client: usize,
        kind: u8,
        address: Ipv4Addr,
    },
    /// An engine sent a reply of this type, for this address.
    EngineSent {
        engine: usize,
        kind: u8,
        address: Ipv4Addr,
    },
    /// A commit started, with this many changes.
    CommitStarted { engine: usize, changes: usize },
    /// A commit ended, with this many changes refused by a shared store.
    CommitEnded {
        engine: usize,
        ok: bool,
        rejected: usize,
    },
    /// A shared store's feed gave an engine the changes of others (or, on a resync, every
    /// record).
    Fed {
        engine: usize,
        changes: usize,
        resync: bool,
    },
    /// An engine was cut off from the shared store; back.
    StoreDown { engine: usize },
    /// See `StoreDown`.
    StoreUp { engine: usize },
    /// An engine crashed; restarted.
    Crashed { engine: usize },
    /// See `Crashed`.
    Restarted { engine: usize, leases: usize },
    /// A client did something of its own (reboot, move, release, decline).
    Action { client: usize, what: &'static str },
}

fn kind(k: u8) -> &'static str {
    charrua_wire::MessageType(k).name().unwrap_or("BOOTP")
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ClientSent { client, kind: k } => write!(f, "client {client} sends {}", kind(k)),
            Self::ClientGot {
                client,
                kind: k,
                address,
            } => write!(f, "client {client} gets {} {address}", kind(k)),
            Self::EngineSent {
                engine,
                kind: k,
                address,
            } => write!(f, "engine {engine} sends {} {address}", kind(k)),
            Self::CommitStarted { engine, changes } => {
                write!(f, "engine {engine} starts a commit of {changes} change(s)")
            }
            Self::CommitEnded {
                engine,
                ok,
                rejected,
            } => {
                write!(
                    f,
                    "engine {engine}: commit {}",
                    if ok { "durable" } else { "FAILED" }
                )?;
                if rejected > 0 {
                    write!(f, ", {rejected} change(s) refused by the shared store")?;
                }
                Ok(())
            }
            Self::Fed {
                engine,
                changes,
                resync: false,
            } => write!(f, "engine {engine} gets {changes} change(s) by others"),
            Self::Fed {
                engine,
                changes,
                resync: true,
            } => write!(f, "engine {engine} resyncs: {changes} record(s)"),
            Self::StoreDown { engine } => write!(f, "engine {engine} CUT OFF from the store"),
            Self::StoreUp { engine } => write!(f, "engine {engine} reaches the store again"),
            Self::Crashed { engine } => write!(f, "engine {engine} CRASHES"),
            Self::Restarted { engine, leases } => {
                write!(f, "engine {engine} restarts, {leases} record(s) replayed")
            }
            Self::Action { client, what } => write!(f, "client {client} {what}"),
        }
    }
}

/// The last [`KEPT`] steps with their virtual times.
#[derive(Debug, Default)]
pub(crate) struct Trace(VecDeque<(u64, Step)>);

impl Trace {
    pub(crate) fn push(&mut self, at_us: u64, step: Step) {
        if self.0.len() == KEPT {
            self.0.pop_front();
        }
        self.0.push_back((at_us, step));
    }

    /// The steps, one a line.
    pub(crate) fn render(&self) -> String {
        use fmt::Write;
        let mut out = String::new();
        for (at, step) in &self.0 {
            let _ = writeln!(out, "  {:>10.6} s  {step}", *at as f64 / 1e6);
        }
        out
    }
}
