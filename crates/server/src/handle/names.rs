//! Host names from clients: sanitized before they are stored or echoed (rule A11, class B8),
//! and the client FQDN option answered per RFC 4702.

use charrua_wire::options::ClientFqdn;
use charrua_wire::{Format, OptionCode, Value};

use crate::config::MAX_LABEL;

/// Longest name kept (RFC 1123 section 2.1 via DNS); labels are cut at [`MAX_LABEL`].
const MAX_NAME: usize = 253;

/// A host name reduced to RFC 1123 labels: letters, digits and inner hyphens; other octets are
/// dropped, labels cut to 63, the name to 253; `None` when nothing is left.
pub(crate) fn sanitize(raw: &[u8]) -> Option<Box<str>> {
    let mut out = String::new();
    for label in raw.split(|&b| b == b'.') {
        let kept: String = label
            .iter()
            .filter(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .map(|&b| char::from(b))
            .take(MAX_LABEL)
            .collect();
        let kept = kept.trim_matches('-');
        if kept.is_empty() {
            continue;
        }
        if out.len() + 1 + kept.len() > MAX_NAME {
            break;
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(kept);
    }
    (!out.is_empty()).then(|| out.into_boxed_str())
}

/// The client's name from option 81 (RFC 4702) or option 12, sanitized.
pub(crate) fn client_hostname(msg: &charrua_wire::Message) -> Option<Box<str>> {
    let fqdn = msg.options.get(OptionCode::CLIENT_FQDN).and_then(|raw| {
        match Value::decode(Format::Fqdn, OptionCode::CLIENT_FQDN, raw) {
            Ok(Value::Fqdn(f)) => sanitize(f.name.as_bytes()),
            _ => None,
        }
    });
    fqdn.or_else(|| msg.options.host_name().and_then(sanitize))
}

/// The server's option 81 (RFC 4702 section 4): this server does no DNS updates yet, so it
/// sets N, clears S, sets O when the client asked for S, keeps the client's E, puts 255 in the
/// RCODEs (section 2.2) and returns the sanitized name. `None` when the client sent no valid 81.
pub(crate) fn fqdn_response(msg: &charrua_wire::Message) -> Option<Vec<u8>> {
    let raw = msg.options.get(OptionCode::CLIENT_FQDN)?;
    let Ok(Value::Fqdn(request)) = Value::decode(Format::Fqdn, OptionCode::CLIENT_FQDN, raw) else {
        return None;
    };
    const S: u8 = 0x01;
    const O: u8 = 0x02;
    const N: u8 = 0x08;
    let e = request.flags & ClientFqdn::FLAG_E;
    let o = if request.flags & S != 0 { O } else { 0 };
    let qualified = request.name.ends_with('.');
    let mut name = sanitize(request.name.as_bytes())
        .map(String::from)
        .unwrap_or_default();
    if qualified && !name.is_empty() {
        name.push('.');
    }
    let response = ClientFqdn {
        flags: N | o | e,
        rcode1: 255,
        rcode2: 255,
        name,
    };
    Some(Value::Fqdn(response).to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizing_keeps_rfc_1123_labels_only() {
        assert_eq!(sanitize(b"my host;rm -rf").as_deref(), Some("myhostrm-rf"));
        assert_eq!(sanitize(b"-lead.trail-.").as_deref(), Some("lead.trail"));
        assert_eq!(sanitize(b"\0\0"), None);
        assert_eq!(sanitize(&[0xff, b'.', b'!']), None);
        let long = [b'a'; 300];
        assert_eq!(sanitize(&long).map(|s| s.len()), Some(63));
    }

    #[test]
    fn fqdn_response_sets_n_and_o_and_keeps_e() {
        let mut msg = charrua_wire::Message::default();
        let request = ClientFqdn {
            flags: 0x05,
            rcode1: 0,
            rcode2: 0,
            name: "laptop.example.test.".into(),
        };
        msg.options
            .insert_value(OptionCode::CLIENT_FQDN, &Value::Fqdn(request));
        let response = fqdn_response(&msg).unwrap();
        let Ok(Value::Fqdn(f)) = Value::decode(Format::Fqdn, OptionCode::CLIENT_FQDN, &response)
        else {
            panic!()
        };
        assert_eq!(f.flags, 0x08 | 0x02 | 0x04);
        assert_eq!((f.rcode1, f.rcode2), (255, 255));
        assert_eq!(f.name, "laptop.example.test.");
    }
}
