//! DHCPDISCOVER -> DHCPOFFER (RFC 2131 section 4.3.1; items 36-42), or straight to DHCPACK with
//! rapid commit (RFC 4039).

use charrua_wire::OptionCode;

use super::context::Context;
use super::reply::{self, Kind, Spec};
use super::{allocate, billing, names, ping, times, IgnoreReason, Outcome};
use crate::config::{LeaseEvent, Ran};
use crate::lease::{Lease, LeaseChange, LeaseState};

pub(crate) fn handle(ctx: &Context<'_>) -> Result<Outcome, IgnoreReason> {
    // Item 36: a server identifier in a DISCOVER (which a client MUST NOT send) is ignored.
    if ctx.link.is_none() {
        return Err(IgnoreReason::NoSubnet);
    }
    let addr = allocate::choose(ctx, false).ok_or(IgnoreReason::NoFreeAddress)?;
    let params = ctx.params_for(addr);
    // A class whose lease limit is reached gets no offer (server/dhcp.c `ack_lease` checks the
    // billing for an offer too).
    let billing = billing::account(ctx, addr)?;
    let fixed = ctx.fixed_address() == Some(addr);
    let current = ctx
        .db
        .get(addr)
        .filter(|l| l.is_bound_to(&ctx.client, ctx.now));
    // Item 38: no lease time asked for and a binding exists: what is left of it.
    let remaining = current.map(|l| times::remaining(l.ends, ctx.now));
    let lease_time = times::lease_time(&params, ctx.msg.options.lease_time(), remaining);
    let rapid =
        ctx.msg.options.contains(OptionCode::RAPID_COMMIT) && params.rapid_commit == Some(true);
    let hostname = names::client_hostname(ctx.msg);
    let mut changes = if rapid {
        ctx.end_other_leases(addr)
    } else {
        Vec::new()
    };
    // Rapid commit commits the lease: `on commit` runs.
    let ran = if rapid {
        ctx.on_event(addr, &params, LeaseEvent::Commit, Some(lease_time))
    } else {
        Ran::default()
    };
    let variables = if fixed {
        Vec::new()
    } else {
        ctx.kept_variables(addr, &ran)
    };
    // A rapid commit is an acknowledgement: DDNS registers it (RFC 4039 section 4).
    let dns = if rapid {
        super::ddns::decide(ctx, addr, (&params, &ran), lease_time, &variables, fixed)
    } else {
        super::ddns::Decision::default()
    };
    if !fixed {
        let (state, ends) = if rapid {
            (LeaseState::Bound, times::ends(ctx.now, lease_time))
        } else {
            (
                LeaseState::Offered,
                times::ends(ctx.now, ctx.config.server.offer_hold),
            )
        };
        // Item 39: hold the address for the client; a binding it already has stays as it is.
        if rapid || current.is_none() {
            let lease = Lease {
                address: addr,
                state,
                client: ctx.client.clone(),
                starts: ctx.now,
                ends,
                hostname,
                hardware: super::context::hardware_beside(&ctx.client, ctx.msg),
                variables,
                // An offer bills nothing (dhcpd unbills it at once); a rapid commit binds.
                billing: if rapid { billing.map(Box::new) } else { None },
                agent_options: ctx.stash_agent_options(addr, &params),
            };
            changes.push(LeaseChange::Set(lease));
        }
    }
    let kind = if rapid { Kind::Ack } else { Kind::Offer };
    let spec = Spec {
        kind,
        yiaddr: addr,
        lease_time: Some(lease_time),
        params: &params,
        message: None,
        rapid_commit: rapid,
        fqdn: dns.fqdn_option.as_deref(),
    };
    let mut reply = reply::build(ctx, &spec, changes);
    // The scopes' statements run for an OFFER as for an ACK, before `on commit`.
    reply.effects = ctx.scope_effects(addr);
    reply.effects.extend(ran.effects);
    reply.effects.extend(dns.effects);
    if !rapid {
        reply.probe = ping::probe(ctx, &params, addr, fixed);
    }
    Ok(Outcome::Reply(reply))
}
