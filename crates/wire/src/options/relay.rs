//! Sub-options of the relay agent information option (RFC 3046 and later).

/// The name of relay agent sub-option `code`, as ISC dhcpd's `agent.` space spells it.
pub fn sub_option_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "circuit-id",          // RFC 3046 section 3.1
        2 => "remote-id",           // RFC 3046 section 3.2
        4 => "docsis-device-class", // RFC 3256
        5 => "link-selection",      // RFC 3527
        6 => "subscriber-id",       // RFC 3993
        7 => "radius-attributes",   // RFC 4014
        8 => "authentication",      // RFC 4030
        9 => "vendor-specific",     // RFC 4243
        10 => "relay-flags",        // RFC 5010
        11 => "server-id-override", // RFC 5107
        12 => "relay-id",           // RFC 6925
        151 => "vss",               // RFC 6607
        152 => "vss-control",       // RFC 6607
        _ => return None,
    })
}
