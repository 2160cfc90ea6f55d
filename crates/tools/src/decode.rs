//! `charrua decode`: captures or raw payloads in, JSON Lines out.

use std::io::{Read, Write};
use std::net::SocketAddrV4;
use std::path::{Path, PathBuf};

use charrua_wire::frame::{Checksums, Ipv4Udp};
use charrua_wire::{Error, Message};
use serde_json::{json, Map, Value as Json};

use crate::{capture, hex, json, link};

/// Where a payload came from, for the JSON object.
struct Origin {
    frame: u64,
    endpoints: Option<(SocketAddrV4, SocketAddrV4)>,
    /// What is wrong with the record or the frame, though its message could be read.
    warnings: Vec<&'static str>,
}

/// Decodes one DHCP payload into a JSON object (or an error object) for `origin`.
fn payload_json(payload: &[u8], origin: &Origin) -> Json {
    let mut obj = Map::new();
    obj.insert("frame".into(), json!(origin.frame));
    if let Some((src, dst)) = origin.endpoints {
        obj.insert("src".into(), json!(src.to_string()));
        obj.insert("dst".into(), json!(dst.to_string()));
    }
    if !origin.warnings.is_empty() {
        obj.insert("warning".into(), json!(origin.warnings.join("; ")));
    }
    match Message::parse(payload).and_then(|m| Ok((Message::overload_at(payload)?, m))) {
        Ok((overload, msg)) => obj.extend(json::message(&msg, overload)),
        Err(e) => {
            obj.insert("error".into(), json!(e.to_string()));
        }
    }
    Json::Object(obj)
}

/// The JSON object for one captured frame, or `None` when it is not DHCP traffic.
fn frame_json(frame: &capture::Captured) -> Option<Json> {
    let ip = link::ipv4_payload(frame.link, &frame.data)?;
    let error = |e: Error| {
        // A frame the capture cut short (its snapshot length) is reported as such.
        let kept = frame.data.len();
        let error = match u32::try_from(kept) {
            Ok(k) if k < frame.original_len => format!(
                "the capture kept {kept} of the frame's {} octets: {e}",
                frame.original_len
            ),
            _ => e.to_string(),
        };
        Some(json!({ "frame": frame.number, "error": error }))
    };
    // A checksum that does not verify is reported, not a reason to hide the message: a host's
    // own outgoing frames often carry a UDP checksum left for the NIC to fill, and tshark shows
    // frames whose checksums are wrong.
    let parsed = match Ipv4Udp::parse(ip) {
        Ok(d) => Ok((d, None)),
        Err(e @ (Error::BadUdpChecksum | Error::BadIpChecksum)) => {
            let (checksums, warning) = if e == Error::BadUdpChecksum {
                (
                    Checksums::IgnoreUdp,
                    "UDP checksum does not verify (checksum offload on the capturing host?)",
                )
            } else {
                (Checksums::Ignore, "IPv4 header checksum does not verify")
            };
            Ipv4Udp::parse_with(ip, checksums).map(|d| (d, Some(warning)))
        }
        Err(e) => Err(e),
    };
    let (datagram, warning) = match parsed {
        Ok(parsed) => parsed,
        Err(e) if link::looks_like_dhcp(ip) => return error(e),
        Err(_) => return None,
    };
    let ports = [datagram.src.port(), datagram.dst.port()];
    if !ports.iter().any(|p| matches!(p, 67 | 68)) {
        return None;
    }
    let origin = Origin {
        frame: frame.number,
        endpoints: Some((datagram.src, datagram.dst)),
        warnings: frame.warning.into_iter().chain(warning).collect(),
    };
    Some(payload_json(datagram.payload, &origin))
}

fn write_line(out: &mut impl Write, value: &Json) -> bool {
    writeln!(out, "{value}").is_ok()
}

fn decode_capture(path: &Path, out: &mut impl Write) -> Result<(), String> {
    let mut write_ok = true;
    capture::read(path, |frame| {
        if let Some(obj) = frame_json(&frame) {
            write_ok &= write_line(out, &obj);
        }
    })
    .map_err(|e| e.to_string())?;
    if write_ok {
        Ok(())
    } else {
        Err("could not write output".into())
    }
}

fn decode_raw(payload: &[u8], out: &mut impl Write) -> Result<(), String> {
    let origin = Origin {
        frame: 1,
        endpoints: None,
        warnings: Vec::new(),
    };
    if write_line(out, &payload_json(payload, &origin)) {
        Ok(())
    } else {
        Err("could not write output".into())
    }
}

/// Runs `decode`; prints one message per failed input on standard error. Returns whether every
/// input could be read.
pub(crate) fn run(hex_input: Option<&str>, files: &[PathBuf], out: &mut impl Write) -> bool {
    if let Some(text) = hex_input {
        return match hex::decode(text).and_then(|payload| decode_raw(&payload, out)) {
            Ok(()) => true,
            Err(e) => {
                eprintln!("charrua decode: --hex: {e}");
                false
            }
        };
    }
    let mut ok = true;
    for path in files {
        let result = if path.as_os_str() == "-" {
            let mut payload = Vec::new();
            std::io::stdin()
                .read_to_end(&mut payload)
                .map_err(|e| e.to_string())
                .and_then(|_| decode_raw(&payload, out))
        } else {
            decode_capture(path, out)
        };
        if let Err(e) = result {
            eprintln!("charrua decode: {}: {e}", path.display());
            ok = false;
        }
    }
    ok
}
