//! Assembling replies: header per RFC 2131 Table 3 (item 16), options in the order the client
//! asked for (items 21-23), within its maximum message size (item 19), and the destination
//! (items 25-30).

use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_wire::{Message, MessageType, Op, OptionCode, Value};

use super::context::Context;
use super::{times, Destination, Reply};
use crate::config::Params;
use crate::lease::LeaseChange;

/// UDP ports (RFC 2131 section 4.1).
const SERVER_PORT: u16 = 67;
const CLIENT_PORT: u16 = 68;
/// Every client accepts a 576-octet IP datagram: 548 octets of DHCP (RFC 2131 section 2).
const MIN_PAYLOAD: usize = 576 - 28;

/// What kind of reply to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Offer,
    Ack,
    Nak,
    /// The ACK to an INFORM: no lease time, no `yiaddr` (item 52).
    InformAck,
    /// A BOOTP reply: no DHCP options (RFC 1497 vendor extensions only).
    Bootp,
}

/// Whether an empty value of `code` means "set to nothing": for every option but those that
/// are empty by nature (rapid commit), as dhcpd sends no option of no length
/// (common/options.c `store_options`).
fn withheld(code: OptionCode) -> bool {
    charrua_wire::options::lookup(code).is_none_or(|d| d.format != charrua_wire::Format::Empty)
}

/// Codes that are never copied from the configuration into a reply: framing, the ones this
/// module sets itself, and the ones a server MUST NOT send (item 22).
fn reserved(code: OptionCode) -> bool {
    matches!(
        code,
        OptionCode::PAD
            | OptionCode::END
            | OptionCode::OVERLOAD
            | OptionCode::MESSAGE_TYPE
            | OptionCode::SERVER_IDENTIFIER
            | OptionCode::LEASE_TIME
            | OptionCode::RENEWAL_TIME
            | OptionCode::REBINDING_TIME
            | OptionCode::REQUESTED_ADDRESS
            | OptionCode::PARAMETER_REQUEST_LIST
            | OptionCode::MAX_MESSAGE_SIZE
            | OptionCode::CLIENT_IDENTIFIER
            | OptionCode::CLIENT_FQDN
            | OptionCode::RELAY_AGENT_INFORMATION
            | OptionCode::RAPID_COMMIT
    )
}

/// Options a server knows when they are not configured, as dhcpd: the subnet's mask
/// (server/dhcp.c; the broadcast address only when configured, as `bench/isc-diff` shows), and
/// with `use-host-decl-names` a host's declaration name as its host name, else with
/// `get-lease-hostnames` the name looked up for the address.
fn derived(ctx: &Context<'_>, params: &Params, addr: Ipv4Addr, code: OptionCode) -> Option<Value> {
    match code {
        OptionCode::SUBNET_MASK => {
            let subnet = ctx.config.subnet(ctx.subnet_on_link(addr).or(ctx.link)?)?;
            Some(Value::Ip(subnet.net.netmask()))
        }
        OptionCode::HOST_NAME => {
            let host = ctx.host.and_then(|h| ctx.config.host(h));
            match host {
                Some(host) if params.use_host_decl_names == Some(true) => {
                    Some(Value::Text(host.name.clone()))
                }
                // dhcpd sends the resolver's name with its terminating NUL (make_const_data
                // of strlen + 1 octets).
                _ if params.get_lease_hostnames == Some(true) => {
                    let name = ctx.config.lease_hostnames.get(&addr)?;
                    let mut octets = name.as_bytes().to_vec();
                    octets.push(0);
                    Some(Value::Bytes(octets))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The reply payload limit: option 57 clamped to at least 576 (RFC 2132 section 9.10, class
/// B14), less IP and UDP headers as ISC counts it, and never above the link's limit.
fn payload_limit(ctx: &Context<'_>, kind: Kind) -> usize {
    if kind == Kind::Bootp {
        return 300;
    }
    let asked = ctx
        .msg
        .options
        .max_message_size()
        .map_or(576, |m| usize::from(m).max(576));
    (asked - 28)
        .min(ctx.config.server.max_payload)
        .max(MIN_PAYLOAD)
}

/// Item 25-30: relay, NAK broadcast, ciaddr, broadcast bit, then the link-layer address.
fn destination(ctx: &Context<'_>, kind: Kind, yiaddr: Ipv4Addr, broadcast: bool) -> Destination {
    let msg = ctx.msg;
    if ctx.relayed {
        return Destination::Relay(SocketAddrV4::new(msg.giaddr, SERVER_PORT));
    }
    if kind == Kind::Nak || broadcast {
        return Destination::Broadcast;
    }
    if !msg.ciaddr.is_unspecified() {
        return Destination::Unicast(SocketAddrV4::new(msg.ciaddr, CLIENT_PORT));
    }
    if kind == Kind::InformAck {
        // Item 30: an INFORM without ciaddr is answered at its source.
        return Destination::Unicast(SocketAddrV4::new(*ctx.rx.source.ip(), CLIENT_PORT));
    }
    let hardware = msg.hardware_address();
    // A hardware address longer than chaddr cannot be addressed (class B16; dnsmasq does the same).
    let unaddressable = hardware.is_empty() || usize::from(msg.hlen) > msg.chaddr.len();
    if msg.is_broadcast() || unaddressable || yiaddr.is_unspecified() {
        return Destination::Broadcast;
    }
    Destination::Link {
        ip: SocketAddrV4::new(yiaddr, CLIENT_PORT),
        htype: msg.htype,
        hardware: hardware.to_vec(),
    }
}

/// Everything a reply is built from.
pub(crate) struct Spec<'p> {
    pub(crate) kind: Kind,
    pub(crate) yiaddr: Ipv4Addr,
    pub(crate) lease_time: Option<u32>,
    pub(crate) params: &'p Params,
    pub(crate) message: Option<&'p str>,
    pub(crate) rapid_commit: bool,
    /// Option 81 as DDNS answers it (see [`super::ddns::decide`]), under a DDNS style.
    pub(crate) fqdn: Option<&'p [u8]>,
}

fn copy_field<const N: usize>(value: Option<&Vec<u8>>) -> [u8; N] {
    let mut field = [0u8; N];
    if let Some(v) = value {
        // Keep a terminating NUL (RFC 2131 section 2: "null terminated string").
        field
            .iter_mut()
            .zip(v.iter().take(N - 1))
            .for_each(|(d, s)| *d = *s);
    }
    field
}

/// The header fields a BOOTP reply takes from its request, as server/bootp.c fills them: hops
/// and secs; the request's `file` when no file name is configured; the receiving interface's
/// address as `siaddr` when no next server is.
fn bootp_fields(ctx: &Context<'_>, params: &Params, msg: &mut Message) {
    let req = ctx.msg;
    msg.hops = req.hops;
    msg.secs = req.secs;
    if params.filename.is_none() {
        msg.file = req.file;
    }
    if params.next_server.is_none() {
        msg.siaddr = ctx.rx.interface_address;
    }
}

/// Builds the reply message, its payload and destination.
pub(crate) fn build(ctx: &Context<'_>, spec: &Spec<'_>, changes: Vec<LeaseChange>) -> Reply {
    let req = ctx.msg;
    let nak = spec.kind == Kind::Nak;
    // ISC `always-broadcast`: OFFERs and ACKs carry the broadcast bit (server/dhcp.c
    // `ack_lease`), and so are broadcast, or relayed with it.
    let always_broadcast = matches!(spec.kind, Kind::Offer | Kind::Ack | Kind::Bootp)
        && spec.params.always_broadcast == Some(true);
    let mut msg = Message {
        op: Op::BOOTREPLY,
        htype: req.htype,
        hlen: req.hlen,
        hops: 0,
        xid: req.xid,
        secs: 0,
        // Item 29: a relayed NAK MUST have the broadcast bit set.
        flags: if nak && ctx.relayed || always_broadcast {
            req.flags | Message::BROADCAST
        } else {
            req.flags
        },
        ciaddr: if matches!(spec.kind, Kind::Ack | Kind::InformAck | Kind::Bootp) {
            req.ciaddr
        } else {
            Ipv4Addr::UNSPECIFIED
        },
        yiaddr: spec.yiaddr,
        siaddr: if nak {
            Ipv4Addr::UNSPECIFIED
        } else {
            spec.params.next_server.unwrap_or(Ipv4Addr::UNSPECIFIED)
        },
        giaddr: req.giaddr,
        chaddr: req.chaddr,
        sname: if nak {
            [0; 64]
        } else {
            copy_field(spec.params.server_name.as_ref())
        },
        file: if nak {
            [0; 128]
        } else {
            copy_field(spec.params.filename.as_ref())
        },
        options: charrua_wire::Options::with_capacity(16, 256),
        vendor: None,
    };
    if spec.kind == Kind::Bootp {
        bootp_fields(ctx, spec.params, &mut msg);
    }
    let o = &mut msg.options;
    let message_type = match spec.kind {
        Kind::Offer => Some(MessageType::OFFER),
        Kind::Ack | Kind::InformAck => Some(MessageType::ACK),
        Kind::Nak => Some(MessageType::NAK),
        Kind::Bootp => None,
    };
    // Items 22, 33: 53 and 54 first.
    if let Some(t) = message_type {
        o.insert(OptionCode::MESSAGE_TYPE, &[t.0]);
        o.insert(OptionCode::SERVER_IDENTIFIER, &ctx.server_id.octets());
    }
    // The options that may be dropped to fit the size limit, in the order they were added.
    let mut optional = Vec::new();
    if nak {
        if let Some(text) = spec.message {
            o.insert(OptionCode::MESSAGE, text.as_bytes());
        }
    } else {
        if let Some(lease) = spec.lease_time {
            o.insert(OptionCode::LEASE_TIME, &lease.to_be_bytes());
            let (t1, t2) = times::renew_rebind(spec.params, lease);
            if let Some(t1) = t1 {
                o.insert(OptionCode::RENEWAL_TIME, &t1.to_be_bytes());
            }
            if let Some(t2) = t2 {
                o.insert(OptionCode::REBINDING_TIME, &t2.to_be_bytes());
            }
        }
        if spec.rapid_commit {
            o.insert(OptionCode::RAPID_COMMIT, &[]);
        }
        let addr = if spec.yiaddr.is_unspecified() {
            req.ciaddr
        } else {
            spec.yiaddr
        };
        let mut add = |code: OptionCode, o: &mut charrua_wire::Options| {
            if reserved(code) || o.contains(code) {
                return;
            }
            if let Some(raw) = super::spaces::value(spec.params, code) {
                // An option set to nothing (empty, or its host names did not resolve): not
                // sent, and no outer value either, as dhcpd.
                if raw.is_empty() && withheld(code) {
                    return;
                }
                o.insert(code, &raw);
            } else if let Some(value) = derived(ctx, spec.params, addr, code) {
                o.insert_value(code, &value);
            } else {
                return;
            }
            optional.push(code);
        };
        // The subnet mask always goes (ISC does the same), then the requested ones in the
        // client's order (RFC 2132 section 9.8), or every configured one if it asked for none.
        add(OptionCode::SUBNET_MASK, o);
        // A parameter request list in the configuration stands for the client's (dhcpd looks
        // it up in its own options first, server/dhcp.c `ack_lease`): PXELINUX sites add the
        // codes they want sent.
        let configured = spec.params.options.get(OptionCode::PARAMETER_REQUEST_LIST);
        match configured.or_else(|| req.options.parameter_request_list()) {
            Some(prl) => prl.iter().for_each(|c| add(OptionCode(*c), o)),
            None => super::spaces::codes(spec.params)
                .into_iter()
                .for_each(|c| add(c, o)),
        }
        // Under a DDNS style, option 81 is DDNS's, in acknowledgements only (server/ddns.c
        // `ddns_updates` puts it; server/dhcp.c `ack_lease` calls that for ACKs only).
        let fqdn = if ctx.config.ddns.style == crate::config::DdnsStyle::None {
            super::names::fqdn_response(req)
        } else {
            spec.fqdn.map(<[u8]>::to_vec)
        };
        if let Some(fqdn) = fqdn.filter(|_| spec.kind != Kind::Bootp) {
            o.insert(OptionCode::CLIENT_FQDN, &fqdn);
        }
    }
    // RFC 6842: the client identifier is returned unchanged, where `echo-client-id` says so
    // (dhcpd's default is not to: server/dhcp.c `echo_client_id`).
    let echo = spec.params.echo_client_id == Some(true);
    if let Some(id) = req
        .options
        .get(OptionCode::CLIENT_IDENTIFIER)
        .filter(|_| echo)
    {
        o.insert(OptionCode::CLIENT_IDENTIFIER, id);
    }
    // Item 23 (RFC 3046 section 2.2): option 82 echoed verbatim, last.
    if let Some(agent) = req.options.relay_agent_information() {
        o.insert(OptionCode::RELAY_AGENT_INFORMATION, agent);
    }
    // A BOOTP client of before RFC 1048 (no magic cookie) gets its own vendor area back and
    // no options, unless `always-reply-rfc1048` (server/bootp.c).
    if let Some(vendor) = req.vendor.as_ref().filter(|_| spec.kind == Kind::Bootp) {
        if spec.params.always_reply_rfc1048 != Some(true) {
            msg.options = charrua_wire::Options::new();
            msg.vendor = Some(vendor.clone());
            optional.clear();
        }
    }
    let limit = payload_limit(ctx, spec.kind);
    let payload = loop {
        match msg.encode_within(limit) {
            Ok(bytes) => break bytes,
            // Item 20: drop the least important optional option and try again.
            Err(_) => match optional.pop() {
                Some(code) => {
                    msg.options.remove(code);
                }
                None => break msg.encode(),
            },
        }
    };
    Reply {
        destination: destination(ctx, spec.kind, spec.yiaddr, always_broadcast),
        message: msg,
        payload,
        changes,
        probe: None,
        effects: Vec::new(),
    }
}
