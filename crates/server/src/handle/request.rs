//! DHCPREQUEST in each client state, told apart per RFC 2131 Table 4 (items 43-49).

use std::net::Ipv4Addr;

use super::context::Context;
use super::reply::{self, Kind, Spec};
use super::{billing, ddns, names, times, IgnoreReason, Outcome};
use crate::config::{LeaseEvent, Params};
use crate::lease::{Lease, LeaseChange, LeaseState};

/// The client states a REQUEST can come from (RFC 2131 section 4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Answering an offer: server identifier and requested address, no ciaddr.
    Selecting {
        server: Ipv4Addr,
        requested: Ipv4Addr,
    },
    /// Rebooting with a remembered address: requested address, no server identifier or ciaddr.
    InitReboot { requested: Ipv4Addr },
    /// Extending a lease: ciaddr, sent to us (RENEWING) or broadcast (REBINDING).
    Renewing { ciaddr: Ipv4Addr },
}

/// Item 43: classify by (server identifier, requested address, ciaddr).
fn classify(ctx: &Context<'_>) -> Result<State, IgnoreReason> {
    let msg = ctx.msg;
    let server = msg.options.server_identifier();
    let requested = msg.options.requested_address();
    let ciaddr = (!msg.ciaddr.is_unspecified()).then_some(msg.ciaddr);
    match (server, requested, ciaddr) {
        (Some(server), Some(requested), None) => Ok(State::Selecting { server, requested }),
        (None, Some(requested), None) => Ok(State::InitReboot { requested }),
        (None, None, Some(ciaddr)) => Ok(State::Renewing { ciaddr }),
        // Liberal where clients are known to differ, and only when consistent: a renewal that
        // repeats its address in option 50, or names this server.
        (None, Some(r), Some(ciaddr)) if r == ciaddr => Ok(State::Renewing { ciaddr }),
        (Some(server), None | Some(_), Some(ciaddr)) if ctx.is_ours(server) => {
            Ok(State::Renewing { ciaddr })
        }
        (Some(_), _, Some(_)) => Err(IgnoreReason::OtherServer),
        _ => Err(IgnoreReason::MalformedRequest),
    }
}

pub(crate) fn handle(ctx: &Context<'_>) -> Result<Outcome, IgnoreReason> {
    match classify(ctx)? {
        State::Selecting { server, requested } if ctx.is_ours(server) => selecting(ctx, requested),
        State::Selecting { .. } => other_server(ctx),
        State::InitReboot { requested } => init_reboot(ctx, requested),
        // RENEWING is unicast to us, REBINDING broadcast (RFC 2131 section 4.3.2).
        State::Renewing { ciaddr } => renewing(ctx, ciaddr, ctx.rx.destination.is_broadcast()),
    }
}

/// Item 35: the client took another server's offer; the address we held for it is free again.
fn other_server(ctx: &Context<'_>) -> Result<Outcome, IgnoreReason> {
    let changes: Vec<_> = ctx
        .db
        .by_client(&ctx.client)
        .filter(|l| l.state == LeaseState::Offered)
        .map(|l| LeaseChange::Set(l.unbound(LeaseState::Expired, ctx.now)))
        .collect();
    if changes.is_empty() {
        Err(IgnoreReason::OtherServer)
    } else {
        Ok(Outcome::Commit(changes))
    }
}

/// Item 44: commit the binding, then ACK; NAK if the address went to someone else.
fn selecting(ctx: &Context<'_>, requested: Ipv4Addr) -> Result<Outcome, IgnoreReason> {
    if ctx.link.is_none() {
        return Err(IgnoreReason::NoSubnet);
    }
    if ctx.fixed_address() == Some(requested) || ctx.available(requested, false) {
        ack(ctx, requested)
    } else {
        Ok(nak(ctx, "requested address not available"))
    }
}

/// Item 45: NAK a wrong network or an address that is not the client's; ACK what is; stay
/// silent about clients without a record unless authoritative.
fn init_reboot(ctx: &Context<'_>, requested: Ipv4Addr) -> Result<Outcome, IgnoreReason> {
    if ctx.link.is_none() {
        return Err(IgnoreReason::NoSubnet);
    }
    if ctx.subnet_on_link(requested).is_none() {
        return if ctx.authoritative() {
            Ok(nak(ctx, "wrong network"))
        } else {
            Err(IgnoreReason::WrongNetwork)
        };
    }
    if let Some(fixed) = ctx.fixed_address() {
        return if fixed == requested {
            ack(ctx, requested)
        } else {
            Ok(nak(ctx, "not your fixed address"))
        };
    }
    let on_link = |a: Ipv4Addr| ctx.subnet_on_link(a).is_some();
    let mine: Vec<_> = ctx
        .db
        .by_client(&ctx.client)
        .filter(|l| on_link(l.address))
        .collect();
    let holds_requested = mine.iter().any(|l| l.address == requested);
    let holds_other = mine
        .iter()
        .any(|l| l.address != requested && l.is_bound_to(&ctx.client, ctx.now));
    if holds_requested && ctx.available(requested, false) {
        return ack(ctx, requested);
    }
    if holds_requested || holds_other {
        return Ok(nak(ctx, "address not yours"));
    }
    if !ctx.authoritative() {
        return Err(IgnoreReason::UnknownClient);
    }
    // Authoritative and no record (state lost, D13): a free address the client may have is
    // confirmed, anything else refused.
    if ctx.available(requested, false) {
        ack(ctx, requested)
    } else {
        Ok(nak(ctx, "address not available"))
    }
}

/// Items 46-47: extend the client's own lease at ciaddr; NAK an address someone else holds;
/// silence for an unknown client.
///
/// For a lease this server has no record of, an authoritative server NAKs a RENEWING client
/// (it unicast to us, believing we granted the lease) so that it starts over, but stays silent
/// to a REBINDING one, whose lease may belong to another server (item 47).
fn renewing(ctx: &Context<'_>, ciaddr: Ipv4Addr, rebinding: bool) -> Result<Outcome, IgnoreReason> {
    if ctx.fixed_address() == Some(ciaddr) {
        return ack(ctx, ciaddr);
    }
    match ctx.db.get(ciaddr) {
        Some(lease) if lease.client == ctx.client => {
            if ctx.available(ciaddr, false) {
                ack(ctx, ciaddr)
            } else {
                Ok(nak(ctx, "lease no longer available"))
            }
        }
        Some(lease) if lease.occupies(ctx.now) => Ok(nak(ctx, "address not yours")),
        _ if !rebinding && ctx.authoritative() && ctx.subnet_on_link(ciaddr).is_some() => {
            Ok(nak(ctx, "lease unknown"))
        }
        _ => Err(IgnoreReason::UnknownClient),
    }
}

/// Binds `addr` to the client (no record for a fixed address) and ACKs (item 49). A binding
/// young enough is given back as it stands (see [`reused`]); none is made where the client's
/// classes have no lease left for it (see [`billing::account`]).
pub(crate) fn ack(ctx: &Context<'_>, addr: Ipv4Addr) -> Result<Outcome, IgnoreReason> {
    let params = ctx.params_for(addr);
    let billing = billing::account(ctx, addr)?;
    // A binding billed elsewhere is written anew (server/dhcp.c: a billing change negates reuse).
    let reuse = reused(ctx, addr, &params)
        .filter(|_| ctx.db.get(addr).and_then(|l| l.billing.as_deref()) == billing.as_ref());
    let lease_time =
        reuse.unwrap_or_else(|| times::lease_time(&params, ctx.msg.options.lease_time(), None));
    let mut changes = if params.one_lease_per_client == Some(true) {
        ctx.release_other_leases(addr)
    } else {
        ctx.end_other_leases(addr)
    };
    let ran = ctx.on_event(addr, &params, LeaseEvent::Commit, Some(lease_time));
    let fixed = ctx.fixed_address() == Some(addr);
    let variables = if fixed {
        Vec::new()
    } else {
        ctx.kept_variables(addr, &ran)
    };
    let dns = ddns::decide(ctx, addr, (&params, &ran), lease_time, &variables, fixed);
    if !fixed && reuse.is_none() {
        let lease = Lease {
            address: addr,
            state: LeaseState::Bound,
            client: ctx.client.clone(),
            starts: ctx.now,
            ends: times::ends(ctx.now, lease_time),
            hostname: names::client_hostname(ctx.msg),
            hardware: super::context::hardware_beside(&ctx.client, ctx.msg),
            variables,
            billing: billing.map(Box::new),
            agent_options: ctx.stash_agent_options(addr, &params),
        };
        changes.push(LeaseChange::Set(lease));
    }
    let spec = Spec {
        kind: Kind::Ack,
        yiaddr: addr,
        lease_time: Some(lease_time),
        params: &params,
        message: None,
        rapid_commit: false,
        fqdn: dns.fqdn_option.as_deref(),
    };
    let mut reply = reply::build(ctx, &spec, changes);
    // The scopes' statements run before `on commit`, and DDNS after it (server/dhcp.c
    // `ack_lease`).
    reply.effects = ctx.scope_effects(addr);
    reply.effects.extend(ran.effects);
    reply.effects.extend(dns.effects);
    Ok(Outcome::Reply(reply))
}

/// What is left of the client's binding of `addr`, when the binding is young enough to be
/// given back unchanged: ISC dhcpd's `dhcp-cache-threshold` (server/dhcp.c `reuse_lease`). A
/// binding of the same client (identity and hardware address) whose age is at most the
/// threshold's share of its length (25% unless configured; 0 never) is acknowledged with its
/// own end, and nothing is written: a client renewing early, or a DISCOVER and REQUEST played
/// again, costs no write.
///
/// Never when the lease store is shared ([`Config::shared_store`]): another server may have
/// changed the lease since this one heard of it, so an ACK must be a write the store checks.
///
/// [`Config::shared_store`]: crate::Config::shared_store
fn reused(ctx: &Context<'_>, addr: Ipv4Addr, params: &Params) -> Option<u32> {
    if ctx.config.shared_store {
        return None;
    }
    let threshold = u64::from(
        params
            .cache_threshold
            .unwrap_or(Params::DEFAULT_CACHE_THRESHOLD),
    );
    let lease = ctx.db.get(addr).filter(|l| {
        l.is_bound_to(&ctx.client, ctx.now)
            && l.hardware == super::context::hardware_beside(&ctx.client, ctx.msg)
    })?;
    let length = lease.ends.saturating_sub(lease.starts);
    let age = ctx.now.saturating_sub(lease.starts);
    (threshold > 0 && age <= length.saturating_mul(threshold) / 100)
        .then(|| times::remaining(lease.ends, ctx.now))
}

pub(crate) fn nak(ctx: &Context<'_>, why: &str) -> Outcome {
    let params = ctx
        .link
        .map(|s| {
            ctx.config
                .params_for(s, None, &[], None, &ctx.request(None))
        })
        .unwrap_or_default();
    let spec = Spec {
        kind: Kind::Nak,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        lease_time: None,
        params: &params,
        message: Some(why),
        rapid_commit: false,
        fqdn: None,
    };
    Outcome::Reply(reply::build(ctx, &spec, Vec::new()))
}
