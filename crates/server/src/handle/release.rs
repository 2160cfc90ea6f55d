//! DHCPDECLINE and DHCPRELEASE (RFC 2131 sections 4.3.3, 4.3.4; items 50-51, rules A5-A6).

use super::context::Context;
use super::{times, IgnoreReason, Outcome};
use crate::lease::{Lease, LeaseChange, LeaseState};

/// A server identifier, when present, must be ours.
fn addressed_to_us(ctx: &Context<'_>) -> bool {
    ctx.msg
        .options
        .server_identifier()
        .is_none_or(|s| ctx.is_ours(s))
}

/// Marks the address unavailable for the probation time, if the client holds it.
pub(crate) fn decline(ctx: &Context<'_>) -> Result<Outcome, IgnoreReason> {
    if !addressed_to_us(ctx) {
        return Err(IgnoreReason::OtherServer);
    }
    let addr = ctx
        .msg
        .options
        .requested_address()
        .ok_or(IgnoreReason::NoRequestedAddress)?;
    let lease = ctx.db.get(addr).filter(|l| {
        l.client == ctx.client
            && matches!(l.state, LeaseState::Offered | LeaseState::Bound)
            && l.ends > ctx.now
    });
    let lease = lease.ok_or(IgnoreReason::NotOwner)?;
    let ends = times::ends(ctx.now, ctx.config.server.decline_probation);
    let declined = Lease {
        starts: ctx.now,
        hostname: None,
        ..lease.unbound(LeaseState::Declined, ends)
    };
    Ok(Outcome::Commit(vec![LeaseChange::Set(declined)]))
}

/// Frees the client's address at ciaddr, keeping the association for its next DISCOVER.
pub(crate) fn release(ctx: &Context<'_>) -> Result<Outcome, IgnoreReason> {
    if !addressed_to_us(ctx) {
        return Err(IgnoreReason::OtherServer);
    }
    let ciaddr = ctx.msg.ciaddr;
    let lease = ctx
        .db
        .get(ciaddr)
        .filter(|l| l.is_bound_to(&ctx.client, ctx.now))
        .ok_or(IgnoreReason::NotOwner)?;
    #[cfg(feature = "defects")]
    if ctx.config.defects.release_kept {
        return Ok(Outcome::Commit(Vec::new()));
    }
    let released = lease.unbound(LeaseState::Released, ctx.now);
    Ok(Outcome::Commit(vec![LeaseChange::Set(released)]))
}
