//! Class lease limits (ISC `lease limit`, server/dhcp.c `ack_lease` "per-class billing",
//! server/class.c `bill_class`): a binding is billed to the first class account of the client
//! with room, and a client whose every limited class is full gets no reply.

use std::net::Ipv4Addr;

use super::context::Context;
use super::IgnoreReason;
use crate::config::subclass_value;
use crate::lease::Billing;

/// The account a binding of `addr` is billed to: `Ok(None)` when no class limits the client,
/// [`IgnoreReason::LeaseLimitReached`] when every class that limits it is full.
///
/// As dhcpd: nothing for a fixed address; a binding of the client already billed to one of
/// its accounts stays billed there; otherwise the client's classes are tried in order, each
/// class with subclasses billing the client's subclass. An offer is checked the same way but
/// bills nothing (dhcpd unbills an offer at once), so offers never fill a class.
pub(crate) fn account(ctx: &Context<'_>, addr: Ipv4Addr) -> Result<Option<Billing>, IgnoreReason> {
    if !ctx.config.has_lease_limits() || ctx.fixed_address() == Some(addr) {
        return Ok(None);
    }
    let request = ctx.request(Some(addr));
    let accounts: Vec<(Option<Billing>, u32)> = ctx
        .classes
        .iter()
        .filter_map(|id| ctx.config.class(*id))
        .filter_map(|class| {
            let limit = class.lease_limit.as_ref()?;
            let Some(value) = &limit.subclass else {
                return Some((Billing::new(&class.name, None), limit.limit));
            };
            // A member of a class with subclasses is in the subclass its value names.
            let value = subclass_value(value, &request)?;
            let own = limit.subclass_limits.get(&value).copied();
            Some((
                Billing::new(&class.name, Some(&value)),
                own.unwrap_or(limit.limit),
            ))
        })
        .filter(|(_, limit)| *limit > 0)
        .collect();
    if accounts.is_empty() {
        return Ok(None);
    }
    let current = ctx
        .db
        .get(addr)
        .filter(|l| l.is_bound_to(&ctx.client, ctx.now))
        .and_then(|l| l.billing.as_deref());
    if let Some(current) = current {
        if accounts.iter().any(|(a, _)| a.as_ref() == Some(current)) {
            return Ok(Some(current.clone()));
        }
    }
    // An account beyond what a lease record holds (a name or value over 255 octets) is never
    // billed: its members are refused rather than served beyond the limit.
    accounts
        .into_iter()
        .find_map(|(account, limit)| {
            let account = account?;
            let held = ctx.db.billed(&account, ctx.now, addr);
            (held < limit as usize).then_some(account)
        })
        .map(Some)
        .ok_or(IgnoreReason::LeaseLimitReached)
}
