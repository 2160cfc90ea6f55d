//! A DHCP message as a JSON object, options in wire order with typed values.

use charrua_wire::options::{lookup, relay, text};
use charrua_wire::{Message, OptionCode, Overload, Value};
use serde_json::{json, Map, Value as Json};

use crate::hex;

/// Opaque data the way ISC dhcpd shows it: text when every octet is printable, else hex pairs.
fn bytes(data: &[u8]) -> Json {
    if data.iter().all(|b| (0x20..=0x7e).contains(b)) {
        Json::String(String::from_utf8_lossy(data).into_owned())
    } else {
        Json::String(hex::colons(data))
    }
}

fn strings<T: ToString>(items: &[T]) -> Json {
    Json::Array(items.iter().map(|i| Json::String(i.to_string())).collect())
}

/// The JSON form of a typed value.
pub(crate) fn value(value: &Value) -> Json {
    match value {
        Value::Empty => Json::Bool(true),
        Value::Ip(ip) => json!(ip.to_string()),
        Value::IpList(ips) => strings(ips),
        Value::IpPairs(pairs) => pairs
            .iter()
            .map(|(a, b)| json!([a.to_string(), b.to_string()]))
            .collect(),
        Value::U8(v) => json!(v),
        Value::U16(v) => json!(v),
        Value::U32(v) => json!(v),
        Value::I32(v) => json!(v),
        Value::Bool(v) => json!(v),
        Value::U8List(v) => json!(v),
        Value::U16List(v) => json!(v),
        Value::Text(s) | Value::DomainName(s) => json!(s),
        Value::Bytes(b) => bytes(b),
        Value::DomainList(names) => json!(names),
        Value::Routes(routes) => routes
            .iter()
            .map(|r| {
                json!({
                    "destination": format!("{}/{}", r.destination, r.prefix_len),
                    "router": r.router.to_string(),
                })
            })
            .collect(),
        Value::Fqdn(q) => {
            json!({ "flags": q.flags, "rcode1": q.rcode1, "rcode2": q.rcode2, "name": q.name })
        }
        Value::SubOptions(subs) => subs
            .iter()
            .map(|(code, data)| {
                json!({
                    "code": code,
                    "name": relay::sub_option_name(*code),
                    "value": bytes(data),
                    "hex": hex::encode(data),
                })
            })
            .collect(),
        Value::Vendors(blocks) => blocks
            .iter()
            .map(|(enterprise, data)| json!({ "enterprise": enterprise, "hex": hex::encode(data) }))
            .collect(),
        Value::Blobs(blobs) => blobs.iter().map(|b| bytes(b)).collect(),
        Value::Tagged(tag, data) => json!({ "type": tag, "hex": hex::encode(data) }),
        Value::Status(code, message) => json!({ "code": code, "message": message }),
        Value::SixRd(s) => json!({
            "ipv4_mask_len": s.ipv4_mask_len,
            "prefix_len": s.prefix_len,
            "prefix": s.prefix.to_string(),
            "border_relays": strings(&s.border_relays),
        }),
    }
}

/// One option: code, table name, typed value (null when unknown or malformed), raw hex, and the
/// ISC text form when the value decoded.
fn option(code: OptionCode, raw: &[u8]) -> Json {
    let mut obj = Map::new();
    obj.insert("code".into(), json!(code.0));
    obj.insert("name".into(), json!(code.name()));
    match lookup(code).map(|def| Value::decode(def.format, code, raw)) {
        Some(Ok(v)) => {
            obj.insert("value".into(), value(&v));
            obj.insert("text".into(), json!(v.to_string()));
        }
        Some(Err(e)) => {
            obj.insert("value".into(), Json::Null);
            obj.insert("invalid".into(), json!(e.to_string()));
        }
        None => {
            obj.insert("value".into(), Json::Null);
        }
    }
    obj.insert("hex".into(), json!(hex::encode(raw)));
    Json::Object(obj)
}

/// A NUL-terminated header field as text (lossy where it is not UTF-8), with C-style escapes
/// for control characters left to JSON.
fn field_text(field: &[u8]) -> String {
    let mut out = String::new();
    let _ = text::write_quoted(&mut out, field);
    // Drop the quotes write_quoted adds; keep its escaping of non-printable octets.
    out.get(1..out.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string()
}

/// The whole message; `overload` is the option overload and where option 52 stood among the
/// options, listed there as tshark lists it.
pub(crate) fn message(msg: &Message, overload: Option<(Overload, usize)>) -> Map<String, Json> {
    let mut obj = Map::new();
    obj.insert(
        "op".into(),
        msg.op.name().map_or_else(|| json!(msg.op.0), |n| json!(n)),
    );
    obj.insert("htype".into(), json!(msg.htype));
    obj.insert("hlen".into(), json!(msg.hlen));
    obj.insert("hops".into(), json!(msg.hops));
    obj.insert("xid".into(), json!(format!("{:#010x}", msg.xid)));
    obj.insert("secs".into(), json!(msg.secs));
    obj.insert("flags".into(), json!(msg.flags));
    obj.insert("broadcast".into(), json!(msg.is_broadcast()));
    obj.insert("ciaddr".into(), json!(msg.ciaddr.to_string()));
    obj.insert("yiaddr".into(), json!(msg.yiaddr.to_string()));
    obj.insert("siaddr".into(), json!(msg.siaddr.to_string()));
    obj.insert("giaddr".into(), json!(msg.giaddr.to_string()));
    obj.insert("chaddr".into(), json!(hex::colons(msg.hardware_address())));
    obj.insert("sname".into(), json!(field_text(msg.server_name())));
    obj.insert("file".into(), json!(field_text(msg.boot_file())));
    let message_type = msg
        .message_type()
        .map(|t| t.name().map_or_else(|| json!(t.0), |n| json!(n)));
    obj.insert("message_type".into(), message_type.unwrap_or(Json::Null));
    let name = overload.map(|(o, _)| match o {
        Overload::File => "file",
        Overload::Sname => "sname",
        Overload::Both => "both",
    });
    obj.insert("overload".into(), json!(name));
    let mut options: Vec<Json> = msg
        .options
        .iter()
        .map(|(code, raw)| option(code, raw))
        .collect();
    if let Some((o, at)) = overload {
        let entry = option(OptionCode::OVERLOAD, &[o.value()]);
        options.insert(at.min(options.len()), entry);
    }
    obj.insert("options".into(), Json::Array(options));
    obj
}
