//! The messages a client sends, per RFC 2131 section 4.4.1 and table 5 (which fields and options
//! each message in each state carries).

use alloc::vec::Vec;
use core::net::Ipv4Addr;

use charrua_wire::options::ClientFqdn;
use charrua_wire::{Message, MessageType, OptionCode, Value};

use crate::config::ClientConfig;

/// The BROADCAST bit of `flags` (RFC 2131 section 2, figure 2).
const BROADCAST: u16 = 0x8000;

/// What a message is for, with the addresses it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// DISCOVER, asking for `requested` if the client had an address.
    Discover { requested: Option<Ipv4Addr> },
    /// REQUEST in SELECTING: the offer of `address` by `server` (options 50 and 54, ciaddr 0).
    Select { address: Ipv4Addr, server: Ipv4Addr },
    /// REQUEST in INIT-REBOOT: option 50, no server identifier, ciaddr 0.
    Reboot { address: Ipv4Addr },
    /// REQUEST in RENEWING or REBINDING: ciaddr set, neither option 50 nor 54.
    Extend { address: Ipv4Addr },
    /// DECLINE of `address` offered by `server` (options 50 and 54, ciaddr 0).
    Decline { address: Ipv4Addr, server: Ipv4Addr },
    /// RELEASE of `address` to `server` (ciaddr set, option 54).
    Release { address: Ipv4Addr, server: Ipv4Addr },
}

/// Encodes the message of `kind` with transaction id `xid`, `secs` seconds into the exchange.
pub(crate) fn build(config: &ClientConfig, kind: Kind, xid: u32, secs: u16) -> Vec<u8> {
    let message_type = match kind {
        Kind::Discover { .. } => MessageType::DISCOVER,
        Kind::Select { .. } | Kind::Reboot { .. } | Kind::Extend { .. } => MessageType::REQUEST,
        Kind::Decline { .. } => MessageType::DECLINE,
        Kind::Release { .. } => MessageType::RELEASE,
    };
    let mut msg = Message {
        xid,
        ..Message::default()
    };
    if let Some(chaddr) = msg.chaddr.get_mut(..6) {
        chaddr.copy_from_slice(&config.hardware_address);
    }
    let o = &mut msg.options;
    o.insert(OptionCode::MESSAGE_TYPE, &[message_type.0]);
    // Table 5: DECLINE and RELEASE carry no secs, flags, parameters or names; the rest do.
    let negotiating = !matches!(kind, Kind::Decline { .. } | Kind::Release { .. });
    match kind {
        Kind::Discover { requested } => {
            if let Some(address) = requested {
                o.insert(OptionCode::REQUESTED_ADDRESS, &address.octets());
            }
            if config.rapid_commit {
                o.insert(OptionCode::RAPID_COMMIT, &[]);
            }
        }
        Kind::Select { address, server } | Kind::Decline { address, server } => {
            o.insert(OptionCode::REQUESTED_ADDRESS, &address.octets());
            o.insert(OptionCode::SERVER_IDENTIFIER, &server.octets());
        }
        Kind::Reboot { address } => o.insert(OptionCode::REQUESTED_ADDRESS, &address.octets()),
        Kind::Extend { address } => msg.ciaddr = address,
        Kind::Release { address, server } => {
            msg.ciaddr = address;
            o.insert(OptionCode::SERVER_IDENTIFIER, &server.octets());
        }
    }
    let o = &mut msg.options;
    o.insert(OptionCode::CLIENT_IDENTIFIER, &config.identifier());
    if negotiating {
        msg.secs = secs;
        // A client with an address (ciaddr set) can take unicast replies.
        if config.broadcast_flag && msg.ciaddr.is_unspecified() {
            msg.flags = BROADCAST;
        }
        o.insert(
            OptionCode::MAX_MESSAGE_SIZE,
            &config.max_message_size.max(576).to_be_bytes(),
        );
        if let Some(vendor) = &config.vendor_class {
            o.insert(OptionCode::VENDOR_CLASS_IDENTIFIER, vendor);
        }
        if let Some(name) = &config.hostname {
            o.insert(OptionCode::HOST_NAME, name.as_bytes());
        }
        if let Some(name) = &config.fqdn {
            // RFC 4702 section 2.1: S (the server updates the A record) and E (canonical wire
            // encoding of the name).
            o.insert_value(
                OptionCode::CLIENT_FQDN,
                &Value::Fqdn(ClientFqdn {
                    flags: ClientFqdn::FLAG_E | 0x01,
                    rcode1: 0,
                    rcode2: 0,
                    name: name.clone(),
                }),
            );
        }
        if !config.parameter_request_list.is_empty() {
            o.insert(
                OptionCode::PARAMETER_REQUEST_LIST,
                &config.parameter_request_list,
            );
        }
    }
    msg.encode()
}
