//! Offers waiting for their address's probe (ISC `ping-check`): an ICMP echo goes to the
//! address, and the offer leaves when the probe's time is up with no answer. An answer means
//! something uses the address: the offer is dropped and the address abandoned (server/dhcpd.c
//! `lease_pinged`, `lease_ping_timeout`).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::time::Duration;

use charrua_server::config::Effect;
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
    /// What the configuration's statements asked for the offer, carried out when it leaves.
    pub(crate) effects: Vec<Effect>,
}

impl Held {
    /// Whether `db` still holds the offer for its client (a later message may have ended it).
    pub(crate) fn still_offered(&self, db: &LeaseDb) -> bool {
        db.get(self.address)
            .is_some_and(|l| l.state == LeaseState::Offered && l.client == self.client)
    }
}

/// The offers held and the echoes to send. Found by address and by deadline without a scan:
/// a flood of DISCOVERs holds many offers at once.
#[derive(Debug, Default)]
pub(crate) struct Probes {
    held: HashMap<Ipv4Addr, Held>,
    /// Deadlines and the addresses held until them (an entry whose offer is gone is skipped).
    deadlines: BTreeSet<(Duration, Ipv4Addr)>,
    to_send: VecDeque<Ipv4Addr>,
}

impl Probes {
    /// Whether an offer of `address` waits for its probe: dhcpd answers only the first request
    /// while it probes (server/dhcp.c `ack_lease`: a lease with a state pending is skipped).
    pub(crate) fn is_probing(&self, address: Ipv4Addr) -> bool {
        self.held.contains_key(&address)
    }

    /// Holds `held` and queues its echo.
    pub(crate) fn hold(&mut self, held: Held) {
        self.to_send.push_back(held.address);
        self.deadlines.insert((held.deadline, held.address));
        self.held.insert(held.address, held);
    }

    /// The next address to send an echo to.
    pub(crate) fn next_echo(&mut self) -> Option<Ipv4Addr> {
        self.to_send.pop_front()
    }

    /// The offer of `address`, taken out, if one is held: something answered its echo.
    pub(crate) fn answered(&mut self, address: Ipv4Addr) -> Option<Held> {
        let held = self.held.remove(&address)?;
        self.deadlines.remove(&(held.deadline, address));
        Some(held)
    }

    /// The offers whose deadline has come at `now`, taken out.
    pub(crate) fn due(&mut self, now: Duration) -> Vec<Held> {
        let mut due = Vec::new();
        while let Some(&(deadline, address)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_first();
            due.extend(self.held.remove(&address));
        }
        due
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.deadlines.first().map(|(deadline, _)| *deadline)
    }
}
