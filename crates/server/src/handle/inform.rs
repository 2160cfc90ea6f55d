//! DHCPINFORM -> DHCPACK without a lease (RFC 2131 sections 3.4, 4.3.5; item 52, rule A7).

use std::net::Ipv4Addr;

use super::context::Context;
use super::reply::{self, Kind, Spec};
use super::{IgnoreReason, Outcome};

pub(crate) fn handle(ctx: &Context<'_>) -> Result<Outcome, IgnoreReason> {
    let msg = ctx.msg;
    // Rule A7: the client's address, or the relay's link, must be one of our subnets.
    let addr = if msg.ciaddr.is_unspecified() {
        if !ctx.relayed && ctx.rx.source.ip().is_unspecified() {
            return Err(IgnoreReason::InformFromUnknownNetwork);
        }
        *ctx.rx.source.ip()
    } else {
        msg.ciaddr
    };
    let link = ctx.link.ok_or(IgnoreReason::InformFromUnknownNetwork)?;
    if !ctx.relayed
        && !ctx
            .config
            .subnet(link)
            .is_some_and(|s| s.net.contains(addr))
    {
        return Err(IgnoreReason::InformFromUnknownNetwork);
    }
    // "MUST NOT check for an existing lease": parameters come from the configuration only.
    let params = ctx.config.params_for(
        link,
        None,
        &ctx.classes,
        ctx.host,
        &ctx.request(Some(ctx.msg.ciaddr)),
    );
    let spec = Spec {
        kind: Kind::InformAck,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        lease_time: None,
        params: &params,
        message: None,
        rapid_commit: false,
        fqdn: None,
    };
    let mut reply = reply::build(ctx, &spec, Vec::new());
    reply.effects = ctx.scope_effects(addr);
    Ok(Outcome::Reply(reply))
}
