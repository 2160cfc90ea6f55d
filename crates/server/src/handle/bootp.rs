//! BOOTP requests (RFC 951, RFC 1542): a fixed address, or a dynamic one from a pool that
//! allows dynamic BOOTP clients, bound for the BOOTP lease length (infinite by default).

use super::context::Context;
use super::reply::{self, Kind, Spec};
use super::{allocate, times, IgnoreReason, Outcome};
use crate::config::LeaseEvent;
use crate::lease::{Lease, LeaseChange, LeaseState};

pub(crate) fn handle(ctx: &Context<'_>) -> Result<Outcome, IgnoreReason> {
    if ctx.link.is_none() {
        return Err(IgnoreReason::NoSubnet);
    }
    let addr = allocate::choose(ctx, true).ok_or(IgnoreReason::BootpNotServed)?;
    let params = ctx.params_for(addr);
    if params.bootp == Some(false) {
        return Err(IgnoreReason::BootpNotServed);
    }
    let mut changes = ctx.end_other_leases(addr);
    // A BOOTP reply commits its lease (server/bootp.c runs `on commit`).
    let ran = ctx.on_event(addr, &params, LeaseEvent::Commit, None);
    let fixed = ctx.fixed_address() == Some(addr);
    let seconds = params.bootp_lease_time.unwrap_or(times::INFINITE);
    let variables = if fixed {
        Vec::new()
    } else {
        ctx.kept_variables(addr, &ran)
    };
    // server/bootp.c `bootp` registers BOOTP leases as `ack_lease` does DHCP ones.
    let dns = super::ddns::decide(ctx, addr, (&params, &ran), seconds, &variables, fixed);
    if !fixed {
        let lease = Lease {
            address: addr,
            state: LeaseState::Bound,
            client: ctx.client.clone(),
            starts: ctx.now,
            ends: times::ends(ctx.now, seconds),
            hostname: None,
            hardware: super::context::hardware_beside(&ctx.client, ctx.msg),
            variables,
            // dhcpd bills no BOOTP lease (server/bootp.c has no billing).
            billing: None,
            agent_options: None,
        };
        changes.push(LeaseChange::Set(lease));
    }
    let spec = Spec {
        kind: Kind::Bootp,
        yiaddr: addr,
        lease_time: None,
        params: &params,
        message: None,
        rapid_commit: false,
        fqdn: None,
    };
    let mut reply = reply::build(ctx, &spec, changes);
    // The scopes' statements run before `on commit` (server/dhcp.c `ack_lease`).
    reply.effects = ctx.scope_effects(addr);
    reply.effects.extend(ran.effects);
    reply.effects.extend(dns.effects);
    Ok(Outcome::Reply(reply))
}
