//! What the daemon did in DNS, written into the leases: the same commit path as DHCP traffic's
//! changes, with no reply waiting on it (dhcpd rewrites the lease after each DDNS step,
//! server/ddns.c `ddns_update_lease_text`).

use std::net::Ipv4Addr;

use charrua_server::dns::DnsNote;
use charrua_server::{ClientKey, Server};

use super::{Engine, Now};

impl Engine {
    /// The records the daemon added or removed for `client` at `address`: written into the
    /// lease by the next commit; records that no longer belong to the lease's binding are
    /// removed (see [`Server::dns_recorded`]), through [`Engine::poll_effect`].
    pub fn handle_dns(
        &mut self,
        address: Ipv4Addr,
        client: &ClientKey,
        notes: &[DnsNote],
        now: Now,
    ) {
        let (changes, effects) = Server::dns_recorded(&self.db, address, client, notes, now.unix);
        self.pending.record(&mut self.db, &changes);
        self.effects.extend(effects);
    }
}
