//! The changes time makes: offers and leases run out (the association is kept, so the client
//! gets its address back, RFC 2131 section 4.3.1), declined addresses leave probation.

use crate::config::Config;
use crate::lease::{Lease, LeaseChange, LeaseDb, LeaseState};

pub(crate) fn changes(_config: &Config, db: &LeaseDb, now: u64) -> Vec<LeaseChange> {
    db.ending_by(now)
        .map(|lease| match lease.state {
            LeaseState::Declined => LeaseChange::Remove(lease.address),
            _ => LeaseChange::Set(Lease {
                state: LeaseState::Expired,
                ..lease.clone()
            }),
        })
        .collect()
}
