//! One log line per DHCP message, in the words of ISC dhcpd's log (so existing log parsers keep
//! working): `DHCPDISCOVER from MAC via IFACE`, `DHCPOFFER on IP to MAC via IFACE`, ...

use charrua_server::Outcome;
use charrua_wire::{Message, MessageType};

fn mac(msg: &Message) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(msg.hardware_address().len() * 3);
    for (i, b) in msg.hardware_address().iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

fn name(msg: &Message) -> String {
    match msg.options.host_name().map(String::from_utf8_lossy) {
        Some(n) => format!(
            " ({})",
            n.chars()
                .filter(|c| c.is_ascii_graphic())
                .collect::<String>()
        ),
        None => String::new(),
    }
}

/// The line for a received request.
pub(crate) fn request(msg: &Message, via: &str) -> String {
    let kind = msg
        .message_type()
        .and_then(|t| t.name())
        .unwrap_or("BOOTREQUEST");
    let via = if msg.giaddr.is_unspecified() {
        via.to_string()
    } else {
        msg.giaddr.to_string()
    };
    match msg.message_type() {
        Some(MessageType::REQUEST) => {
            let addr = msg.options.requested_address().unwrap_or(msg.ciaddr);
            let server = msg
                .options
                .server_identifier()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            format!(
                "{kind} for {addr}{server} from {}{} via {via}",
                mac(msg),
                name(msg)
            )
        }
        Some(MessageType::RELEASE | MessageType::INFORM) => format!(
            "{kind} of {} from {}{} via {via}",
            msg.ciaddr,
            mac(msg),
            name(msg)
        ),
        Some(MessageType::DECLINE) => {
            let addr = msg.options.requested_address().unwrap_or(msg.ciaddr);
            format!("{kind} of {addr} from {}{} via {via}", mac(msg), name(msg))
        }
        _ => format!("{kind} from {}{} via {via}", mac(msg), name(msg)),
    }
}

/// The line for what the server did about it.
pub(crate) fn outcome(request: &Message, outcome: &Outcome, via: &str) -> String {
    let via = if request.giaddr.is_unspecified() {
        via.to_string()
    } else {
        request.giaddr.to_string()
    };
    match outcome {
        Outcome::Reply(r) => {
            let kind = r
                .message
                .message_type()
                .and_then(|t| t.name())
                .unwrap_or("BOOTREPLY");
            let addr = if r.message.yiaddr.is_unspecified() {
                r.message.ciaddr
            } else {
                r.message.yiaddr
            };
            format!("{kind} on {addr} to {} via {via}", mac(request))
        }
        Outcome::Commit(changes) => {
            format!("committed {} change(s) for {}", changes.len(), mac(request))
        }
        Outcome::Ignore(reason) => format!("no reply to {}: {reason:?}", mac(request)),
    }
}
