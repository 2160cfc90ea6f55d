//! DDNS at the other ends of a lease: the removal of what it registered when it is released,
//! declined or runs out (server/ddns.c `ddns_removals`, docs/ddns.md section 5.4), and what
//! the daemon reports back written into the lease (server/ddns.c `ddns_update_lease_text`).

use std::net::Ipv4Addr;

use super::Server;
use crate::config::{Config, DdnsStyle, Effect};
use crate::dns::{DnsNote, DnsRecorded, DnsWork};
use crate::lease::{ClientKey, Lease, LeaseChange, LeaseDb};

/// The work that removes `recorded` at `address`, if there is any.
fn removal(address: Ipv4Addr, client: &ClientKey, recorded: DnsRecorded) -> Option<Effect> {
    recorded.is_removable().then(|| {
        Effect::Dns(Box::new(DnsWork {
            address,
            client: client.clone(),
            remove: Some(recorded),
            add: None,
        }))
    })
}

impl Server {
    /// The DNS removal of what `lease` records as registered, when it stops being a binding
    /// (released, declined, abandoned or run out). Nothing under `ddns-update-style none`:
    /// dhcpd then acts on no stored record (server/ddns.c `ddns_removals`). The variables stay
    /// in the lease until the daemon reports the records gone ([`Server::dns_recorded`]), so a
    /// removal that failed is made again when the address is next acknowledged.
    pub fn dns_removal(config: &Config, lease: &Lease) -> Option<Effect> {
        if config.ddns.style == DdnsStyle::None {
            return None;
        }
        removal(
            lease.address,
            &lease.client,
            DnsRecorded::of(&lease.variables),
        )
    }

    /// Writes what the daemon did in DNS for `client` at `address` into the lease: the change
    /// to commit, and the work still to do. Records added while the client held the lease
    /// are written into it; records added for a client that no longer holds the lease
    /// (released or run out before its registration finished) are removed at once rather
    /// than written into another's record. Removals clear the variables of the records they
    /// name, whoever holds the address now.
    pub fn dns_recorded(
        leases: &LeaseDb,
        address: Ipv4Addr,
        client: &ClientKey,
        notes: &[DnsNote],
        now: u64,
    ) -> (Vec<LeaseChange>, Vec<Effect>) {
        let lease = leases.get(address);
        let holds = lease.is_some_and(|l| l.is_bound_to(client, now));
        let mut stale = Vec::new();
        let mut variables = lease.map(|l| l.variables.clone()).unwrap_or_default();
        for note in notes {
            if note.is_added() && !holds {
                note.write(&mut stale);
            } else {
                note.write(&mut variables);
            }
        }
        let mut changes = Vec::new();
        if let Some(lease) = lease.filter(|l| l.variables != variables) {
            changes.push(LeaseChange::Set(Lease {
                variables,
                ..lease.clone()
            }));
        }
        let effects = removal(address, client, DnsRecorded::of(&stale))
            .into_iter()
            .collect();
        (changes, effects)
    }
}
