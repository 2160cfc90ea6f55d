//! Offers waiting for their address's probe (ISC `ping-check`): an ICMP echo goes to the
//! address, and the offer leaves when the probe's time is up with no answer. An answer means
//! something uses the address: the offer is dropped and the address abandoned (server/dhcpd.c
//! `lease_pinged`, `lease_ping_timeout`).

use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::time::Duration;

use charrua_server::{ClientKey, LeaseDb, LeaseState};

use crate::engine::Transmit;

/// An offer held until its probe's deadline.
#[derive(Debug)]
pub(crate) struct Held {
    pub(crate) address: Ipv4Addr,
    /// The client it is offered to.
    pub(crate) client: ClientKey,
    pub(crate) deadline: Duration,
    pub(crate) transmit: Transmit,
    pub(crate) line: Option<String>,
}

impl Held {
    /// Whether `db` still holds the offer for its client (a later message may have ended it).
    pub(crate) fn still_offered(&self, db: &LeaseDb) -> bool {
        db.get(self.address)
            .is_some_and(|l| l.state == LeaseState::Offered && l.client == self.client)
    }
}

/// The offers held and the echoes to send.
#[derive(Debug, Default)]
pub(crate) struct Probes {
    held: Vec<Held>,
    to_send: VecDeque<Ipv4Addr>,
}

impl Probes {
    /// Whether an offer of `address` waits for its probe: dhcpd answers only the first request
    /// while it probes (server/dhcp.c `ack_lease`: a lease with a state pending is skipped).
    pub(crate) fn is_probing(&self, address: Ipv4Addr) -> bool {
        self.held.iter().any(|h| h.address == address)
    }

    /// Holds `held` and queues its echo.
    pub(crate) fn hold(&mut self, held: Held) {
        self.to_send.push_back(held.address);
        self.held.push(held);
    }

    /// The next address to send an echo to.
    pub(crate) fn next_echo(&mut self) -> Option<Ipv4Addr> {
        self.to_send.pop_front()
    }

    /// The offer of `address`, taken out, if one is held: something answered its echo.
    pub(crate) fn answered(&mut self, address: Ipv4Addr) -> Option<Held> {
        let position = self.held.iter().position(|h| h.address == address)?;
        Some(self.held.swap_remove(position))
    }

    /// The offers whose deadline has come at `now`, taken out.
    pub(crate) fn due(&mut self, now: Duration) -> Vec<Held> {
        let (due, waiting) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.deadline <= now);
        self.held = waiting;
        due
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.held.iter().map(|h| h.deadline).min()
    }
}
