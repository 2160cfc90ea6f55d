//! ISC dhcpd's DDNS decision at an acknowledgement (server/ddns.c `ddns_updates`, docs/ddns.md
//! sections 3 and 4): the name to register, whether the server or the client updates the A
//! record, what the lease records and must be removed first, and the reply's option 81.

use std::net::Ipv4Addr;

use charrua_wire::options::ClientFqdn;
use charrua_wire::{OptionCode, Value};

use super::context::Context;
use super::times;
use crate::config::{
    ClientUpdates, Datum, DdnsStyle, Effect, FqdnSpace, LogPriority, Params, Ran, Request,
    MAX_LABEL,
};
use crate::dns::{DnsAdd, DnsIdentity, DnsRecorded, DnsWork};

/// Option 81's S flag: the server updates the A record (RFC 4702 section 2.1).
const S: u8 = 0x01;
/// The O flag: the server overrode the client's S.
const O: u8 = 0x02;
/// Longest host and domain together (server/ddns.c `ddns_updates`).
const MAX_HOST_DOMAIN: usize = 253;
/// Longest name (RFC 1035 section 2.3.4).
const MAX_NAME: usize = 255;
/// ISC's cap on the default TTL (`MAX_DEFAULT_DDNS_TTL`, includes/dhcpd.h).
const MAX_DEFAULT_TTL: u32 = 3600;
/// The reverse domain when `ddns-rev-domainname` is not set.
const DEFAULT_REV_DOMAIN: &str = "in-addr.arpa.";

/// What an acknowledgement asks of DNS.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// The reply's option 81, encoded.
    pub(crate) fqdn_option: Option<Vec<u8>>,
    /// The DNS work, to be done once the binding is durable.
    pub(crate) effects: Vec<Effect>,
}

/// The client's option 81 as dhcpd decodes it ([`FqdnSpace`]).
struct Requested {
    flags: u8,
    /// The name as sent (`fqdn.fqdn`): a trailing dot kept in text form, none in wire form.
    fqdn: String,
    /// Its first label (`fqdn.hostname`), or the whole of a partial wire-form name; empty
    /// when dhcpd stores none.
    hostname: String,
    /// Whether a domain follows the host name (`fqdn.domainname` is set).
    has_domain: bool,
}

fn requested(msg: &charrua_wire::Message) -> Option<Requested> {
    let space = FqdnSpace::decode(msg.options.get(OptionCode::CLIENT_FQDN)?)?;
    let rest = space.rest.as_ref()?;
    // Names that are not text are not taken (nor echoed in the reply).
    let text = |value: &Option<Vec<u8>>| match value {
        Some(octets) => std::str::from_utf8(octets).ok().map(str::to_owned),
        None => Some(String::new()),
    };
    Some(Requested {
        flags: space.flags,
        fqdn: text(&rest.fqdn)?,
        hostname: text(&rest.hostname)?,
        has_domain: rest.domainname.is_some(),
    })
}

/// A value as text: octets up to the first NUL (dhcpd evaluates these as C strings).
fn text(value: Option<Datum>) -> Option<String> {
    match value? {
        Datum::Data(bytes) => {
            let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
            let text = String::from_utf8_lossy(bytes.get(..end)?).into_owned();
            (!text.is_empty()).then_some(text)
        }
        _ => None,
    }
}

/// Whether `name` can be put in wire form: labels of 1 to 63 octets, 255 in all.
fn wire_ready(name: &str) -> bool {
    let bare = name.strip_suffix('.').unwrap_or(name);
    !bare.is_empty()
        && name.len() < MAX_NAME
        && bare
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= MAX_LABEL)
}

/// A client's name made a DNS host name (RFC 4702 section 5: the server may adjust names;
/// ISC sends them as they are and BIND refuses them, docs/ddns.md section 3.2): labels of
/// letters, digits and inner hyphens, and a final dot kept.
fn sanitized(name: &str) -> Option<String> {
    let mut clean = super::names::sanitize(name.as_bytes())?.into_string();
    if name.ends_with('.') {
        clean.push('.');
    }
    Some(clean)
}

fn log(effects: &mut Vec<Effect>, text: &str) {
    effects.push(Effect::Log(LogPriority::Error, text.to_string()));
}

/// What acknowledging `addr` to the client, for `lease_time` seconds, with the lease keeping
/// `variables` (its `on commit` ones included), asks of DNS: `params` are the client's
/// settings, `ran` what its `on commit` statements did (their settings hold over the
/// scopes', section 3.4). `fixed`: the address is the client's host declaration's.
pub(crate) fn decide(
    ctx: &Context<'_>,
    addr: Ipv4Addr,
    (params, ran): (&Params, &Ran),
    lease_time: u32,
    variables: &[(String, Datum)],
    fixed: bool,
) -> Decision {
    let style = ctx.config.ddns.style;
    let mut decision = Decision::default();
    // Nothing under `ddns-update-style none` (the reply's option 81 is then
    // [`super::names::fqdn_response`]'s), checked before any work: every ACK comes here.
    if style == DdnsStyle::None {
        return decision;
    }
    let merged;
    let params = if ran.settings == Params::default() {
        params
    } else {
        merged = {
            let mut merged = ran.settings.clone();
            merged.inherit(params);
            merged
        };
        &merged
    };
    // server/dhcp.c `ack_lease` calls `ddns_updates` only where `ddns-updates` is on.
    if params.ddns_updates == Some(false) {
        return decision;
    }
    let request = Request {
        lease_time: Some(lease_time),
        configured: Some(&params.options),
        ..ctx.request(Some(addr))
    };
    let client = requested(ctx.msg);
    let client_updates = params.client_updates.unwrap_or(ClientUpdates::Allow);
    // Step 2: the client updates its own A record.
    let client_path = client_updates == ClientUpdates::Allow
        && client
            .as_ref()
            .is_some_and(|c| c.flags & S == 0 && c.has_domain && !c.fqdn.is_empty());
    let fqdn = if client_path {
        client
            .as_ref()
            .and_then(|c| sanitized(&c.fqdn))
            .unwrap_or_default()
    } else {
        // Steps 3 and 4.
        if params.do_forward_updates == Some(false)
            || fixed && params.update_static_leases != Some(true)
        {
            return decision;
        }
        let Some(name) = server_name(ctx, params, &request, client.as_ref()) else {
            log(
                &mut decision.effects,
                "ddns_update: host.domain name too long",
            );
            return decision;
        };
        name
    };
    let stored = DnsRecorded::of(variables);
    let optimize = params.update_optimization != Some(false);
    // Step 6: what the lease records decides what to remove and whether to add.
    // The records of a lease that was released or ran out may still be being removed: they
    // are removed (again) and added afresh, never taken as registered (dhcpd has dropped the
    // variables of such a lease by then, server/mdb.c).
    let renewal = ctx
        .db
        .get(addr)
        .is_some_and(|l| l.is_bound_to(&ctx.client, ctx.now));
    let mut remove = None;
    let mut add = true;
    match &stored.fwd_name {
        Some(old) if *old != fqdn || !renewal => remove = Some(stored.clone()),
        Some(_) if other_style(style, &stored) => remove = Some(stored.clone()),
        Some(_) => add = !optimize,
        None if optimize && renewal && stored.client_fqdn.as_deref() == Some(fqdn.as_str()) => {
            add = false
        }
        None if !renewal => remove = Some(stored.clone()),
        None => {}
    }
    // Step 7.
    if fqdn.is_empty() || fqdn.len() > MAX_NAME || !wire_ready(&fqdn) {
        if !fqdn.is_empty() {
            log(&mut decision.effects, "client provided fqdn: too long");
        }
        push_work(ctx, addr, &mut decision, remove, None);
        return decision;
    }
    if add {
        let reverse = reverse_name(params, &request, addr, &mut decision.effects);
        let identity = DnsIdentity {
            client_id: ctx.msg.options.client_identifier().map(Into::into),
            htype: ctx.msg.htype,
            chaddr: ctx.msg.hardware_address().into(),
        };
        let dns_add = DnsAdd {
            fqdn: fqdn.clone(),
            ttl: ttl(params, &request, lease_time),
            reverse,
            forward: !client_path,
            style,
            identity,
        };
        push_work(ctx, addr, &mut decision, remove, Some(dns_add));
    } else {
        push_work(ctx, addr, &mut decision, remove, None);
    }
    // Section 3.3: the reply's option 81.
    if let Some(client) = client.filter(|_| params.fqdn_reply != Some(false)) {
        let e = client.flags & ClientFqdn::FLAG_E;
        let (flags, name) =
            if client_updates == ClientUpdates::Ignore && client.flags & S == 0 || client_path {
                (e, client.fqdn)
            } else {
                (S | O | e, fqdn)
            };
        let name = if e != 0 && !name.ends_with('.') {
            format!("{name}.")
        } else {
            name
        };
        let option = ClientFqdn {
            flags,
            rcode1: 255,
            rcode2: 255,
            name,
        };
        decision.fqdn_option = Some(Value::Fqdn(option).to_bytes());
    }
    decision
}

fn push_work(
    ctx: &Context<'_>,
    address: Ipv4Addr,
    decision: &mut Decision,
    remove: Option<DnsRecorded>,
    add: Option<DnsAdd>,
) {
    let remove = remove.filter(DnsRecorded::is_removable);
    if remove.is_none() && add.is_none() {
        return;
    }
    decision.effects.push(Effect::Dns(Box::new(DnsWork {
        address,
        client: ctx.client.clone(),
        remove,
        add,
    })));
}

/// Whether the lease's guard is of the other style only, so the name is removed and added
/// again in this style (`DDNS_UPDATE_SLOW_TRANSITION`, includes/site.h).
fn other_style(style: DdnsStyle, stored: &DnsRecorded) -> bool {
    match style {
        DdnsStyle::Standard => stored.dhcid.is_none() && stored.txt.is_some(),
        DdnsStyle::Interim => stored.txt.is_none() && stored.dhcid.is_some(),
        DdnsStyle::None => false,
    }
}

/// The server's forward name (docs/ddns.md section 3.2 step 5): the host part of
/// `ddns-hostname` (by default the client's option 81 host name, else its option 12, else the
/// `host-name` configured for it; server/dhcpd.c `std_nsupdate`), else the host declaration's
/// name with `use-host-decl-names`, then `.` and `ddns-domainname` (by default the configured
/// `domain-name`). An empty name when either part is missing; `None` when they are too long.
fn server_name(
    ctx: &Context<'_>,
    params: &Params,
    request: &Request<'_>,
    client: Option<&Requested>,
) -> Option<String> {
    let configured = |code| {
        params
            .options
            .get(code)
            .and_then(|v| text(Some(Datum::Data(v.to_vec()))))
    };
    let host = match &params.ddns_hostname {
        Some(expr) => text(expr.evaluate(request)),
        None => client
            .map(|c| c.hostname.clone())
            .filter(|h| !h.is_empty())
            .or_else(|| {
                ctx.msg
                    .options
                    .host_name()
                    .and_then(|h| text(Some(Datum::Data(h.to_vec()))))
            })
            .or_else(|| configured(OptionCode::HOST_NAME)),
    };
    let host = host.or_else(|| {
        ctx.host
            .and_then(|h| ctx.config.host(h))
            .filter(|_| params.use_host_decl_names == Some(true))
            .map(|h| h.name.clone())
    });
    let domain = match &params.ddns_domainname {
        Some(expr) => text(expr.evaluate(request)),
        None => configured(OptionCode::DOMAIN_NAME),
    };
    let (Some(host), Some(domain)) = (host.and_then(|h| sanitized(&h)), domain) else {
        return Some(String::new());
    };
    let host = host.trim_end_matches('.');
    (host.len() + domain.len() <= MAX_HOST_DOMAIN).then(|| format!("{host}.{domain}"))
}

/// The TTL (docs/ddns.md section 4.1): `ddns-ttl` when it gives four octets, else half the
/// lease time, at most 3600 s (an infinite lease: 3600).
fn ttl(params: &Params, request: &Request<'_>, lease_time: u32) -> u32 {
    let configured = params
        .ddns_ttl
        .as_ref()
        .and_then(|e| e.evaluate(request))
        .and_then(|v| match v {
            Datum::Data(bytes) => <[u8; 4]>::try_from(bytes.as_slice())
                .ok()
                .map(u32::from_be_bytes),
            Datum::Number(n) => Some(n),
            Datum::Bool(_) => None,
        });
    configured.unwrap_or(if lease_time == times::INFINITE {
        MAX_DEFAULT_TTL
    } else {
        (lease_time / 2).min(MAX_DEFAULT_TTL)
    })
}

/// The reverse name (docs/ddns.md section 4.2): the address's octets reversed, each followed
/// by a dot, then `ddns-rev-domainname` as written; none with `do-reverse-updates off` or
/// when too long.
fn reverse_name(
    params: &Params,
    request: &Request<'_>,
    addr: Ipv4Addr,
    effects: &mut Vec<Effect>,
) -> Option<String> {
    if params.do_reverse_updates == Some(false) {
        return None;
    }
    let domain = params
        .ddns_rev_domainname
        .as_ref()
        .and_then(|e| text(e.evaluate(request)))
        .unwrap_or_else(|| DEFAULT_REV_DOMAIN.to_string());
    let [a, b, c, d] = addr.octets();
    let name = format!("{d}.{c}.{b}.{a}.{domain}");
    if name.len() > MAX_NAME || !wire_ready(&name) {
        log(effects, "ddns_update: Calculated rev domain name too long.");
        return None;
    }
    Some(name)
}
