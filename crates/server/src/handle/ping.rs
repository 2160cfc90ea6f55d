//! ISC's `ping-check`: an ICMP echo to an address before it is offered, and the address
//! abandoned when something answers (server/dhcp.c `do_ping_check`, server/dhcpd.c
//! `lease_pinged`). The core decides whether to probe and what an answer changes; the daemon
//! sends the echo and waits.

use std::net::Ipv4Addr;

use super::context::Context;
use super::{times, Probe};
use crate::config::{Config, Params};
use crate::lease::{Lease, LeaseChange, LeaseDb, LeaseState};

/// dhcpd's defaults (includes/dhcpd.h `DEFAULT_PING_TIMEOUT`, `DEFAULT_PING_CLTT_SECS`).
const DEFAULT_TIMEOUT_SECS: u32 = 1;
const DEFAULT_CLTT_SECS: u32 = 60;

/// The probe to send before offering `addr`, if any. As dhcpd, none when ping checks are off,
/// for a fixed address, for an address the client is bound to, and when the address goes back
/// to the client that last had it within `ping-cltt-secs` of its last transaction (an address
/// declined or abandoned since is probed whatever its age).
pub(crate) fn probe(
    ctx: &Context<'_>,
    params: &Params,
    addr: Ipv4Addr,
    fixed: bool,
) -> Option<Probe> {
    if fixed || params.ping_check == Some(false) {
        return None;
    }
    if let Some(lease) = ctx.db.get(addr).filter(|l| l.client == ctx.client) {
        if lease.is_bound_to(&ctx.client, ctx.now) {
            return None;
        }
        // The client's last transaction: when it released the address, else when its last
        // offer or binding began.
        let cltt = match lease.state {
            LeaseState::Released => lease.ends,
            _ => lease.starts,
        };
        let threshold = u64::from(params.ping_cltt_secs.unwrap_or(DEFAULT_CLTT_SECS));
        if lease.state != LeaseState::Declined && ctx.now.saturating_sub(cltt) < threshold {
            return None;
        }
    }
    // server/dhcp.c: `ping-timeout-ms` above 0 overrides `ping-timeout`.
    let timeout_ms = match params.ping_timeout_ms {
        Some(ms) if ms > 0 => ms,
        _ => params
            .ping_timeout
            .unwrap_or(DEFAULT_TIMEOUT_SECS)
            .saturating_mul(1000),
    };
    Some(Probe {
        address: addr,
        timeout_ms,
    })
}

/// `address` abandoned at `now` for the global `abandon-lease-time` (server/mdb.c
/// `abandon_lease`): unavailable to every client until then, as a declined address is. Nothing
/// when the address has no record (the offer is gone).
pub(crate) fn abandon(
    config: &Config,
    db: &LeaseDb,
    address: Ipv4Addr,
    now: u64,
) -> Vec<LeaseChange> {
    let Some(lease) = db.get(address) else {
        return Vec::new();
    };
    let ends = times::ends(now, config.server.decline_probation);
    vec![LeaseChange::Set(Lease {
        starts: now,
        hostname: None,
        ..lease.unbound(LeaseState::Declined, ends)
    })]
}
