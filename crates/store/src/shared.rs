//! The rule of a lease store several servers share: which change a server may write over the
//! record another server (or it) wrote last. Each server decides from its own copy of the
//! leases, which may be behind; the store decides, atomically per address, whether the change
//! still makes sense against the record it holds, and refuses it otherwise
//! ([`Committed::rejected`](crate::Committed)). The PostgreSQL store runs the same rule in SQL
//! (see `postgres/sql.rs`); the simulator's shared store runs this function.
//!
//! - An address whose record is *live* (a binding or a decline that has not run out by the
//!   store's clock) belongs to the client of that record: another client's change is refused.
//!   This is what keeps two servers from binding one address to two clients.
//! - The same client's binding, release or decline is its own request, taken whichever server
//!   handled it (a renewal may reach any server).
//! - A change that ends a binding without the client asking (an expiry, the client's other
//!   binding ended by a new one) is taken only if the writer saw the record's latest binding:
//!   its `starts` is not older than the record's. Otherwise another server renewed the lease
//!   meanwhile, and ending it would take the address from a client that was just acknowledged.

use charrua_server::{Lease, LeaseChange, LeaseState};

/// Whether `record` is a binding or a decline that has not run out at `now`.
pub fn is_live(record: &Lease, now: u64) -> bool {
    matches!(record.state, LeaseState::Bound | LeaseState::Declined) && record.ends > now
}

/// Whether a shared store holding `record` for the change's address (`None`: no record) takes
/// `change` at `now` (the store's clock, Unix seconds).
pub fn may_write(record: Option<&Lease>, change: &LeaseChange, now: u64) -> bool {
    let Some(record) = record else {
        return true;
    };
    match change {
        LeaseChange::Remove(_) => !is_live(record, now),
        LeaseChange::Set(new) if new.client != record.client => !is_live(record, now),
        LeaseChange::Set(new) => match new.state {
            LeaseState::Bound | LeaseState::Released | LeaseState::Declined => true,
            LeaseState::Offered | LeaseState::Expired => {
                record.starts <= new.starts || !is_live(record, now)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use charrua_server::ClientKey;

    use super::*;

    fn lease(client: u8, state: LeaseState, starts: u64, ends: u64) -> Lease {
        Lease {
            address: Ipv4Addr::new(198, 18, 0, 10),
            state,
            client: ClientKey::Hardware {
                htype: 1,
                addr: Box::new([0, 0, 0, 0, 0, client]),
            },
            starts,
            ends,
            hostname: None,
            hardware: None,
            variables: Vec::new(),
            billing: None,
            agent_options: None,
        }
    }

    fn set(l: Lease) -> LeaseChange {
        LeaseChange::Set(l)
    }

    #[test]
    fn another_clients_live_binding_refuses_everything_but_its_end() {
        let held = lease(1, LeaseState::Bound, 100, 200);
        assert!(!may_write(
            Some(&held),
            &set(lease(2, LeaseState::Bound, 150, 250)),
            150
        ));
        assert!(!may_write(
            Some(&held),
            &LeaseChange::Remove(held.address),
            150
        ));
        // Once it has run out, the address is anyone's.
        assert!(may_write(
            Some(&held),
            &set(lease(2, LeaseState::Bound, 200, 300)),
            200
        ));
        assert!(may_write(
            None,
            &set(lease(2, LeaseState::Bound, 150, 250)),
            150
        ));
    }

    #[test]
    fn the_clients_own_requests_are_taken_from_any_server() {
        let held = lease(1, LeaseState::Bound, 100, 200);
        for state in [
            LeaseState::Bound,
            LeaseState::Released,
            LeaseState::Declined,
        ] {
            assert!(may_write(Some(&held), &set(lease(1, state, 90, 300)), 150));
        }
    }

    #[test]
    fn an_expiry_written_from_a_stale_copy_is_refused() {
        // Server A bound it at 100; server B renewed it at 150 until 250.
        let renewed = lease(1, LeaseState::Bound, 150, 250);
        // A, not having seen the renewal, expires the binding of 100 at 200.
        let stale = lease(1, LeaseState::Expired, 100, 200);
        assert!(!may_write(Some(&renewed), &set(stale), 200));
        // The expiry of the latest binding is taken.
        let current = lease(1, LeaseState::Expired, 150, 250);
        assert!(may_write(Some(&renewed), &set(current), 250));
    }
}
