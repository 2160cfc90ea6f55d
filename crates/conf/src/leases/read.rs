//! Reading dhcpd.leases(5) into lease changes (the last block for an address wins, as in
//! ISC dhcpd's `enter_lease`, server/mdb.c).

use std::net::Ipv4Addr;

use charrua_server::{ClientKey, Hardware, Lease, LeaseChange, LeaseState};

use super::{write, LeaseFile};
use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Sources, Span};
use crate::syntax::{parse_each, NoIncludes, Statement};
use crate::time;

/// Longest client identifier kept: one option's worth (CVE-2021-25217 came from longer ones).
const MAX_UID: usize = 255;
/// Longest hardware address (`chaddr` is 16 octets).
const MAX_HARDWARE: usize = 16;

/// Reads a dhcpd.leases file. A malformed block is reported and skipped; where the file stops
/// parsing (an unterminated block, say) there is one error, and the blocks before it are kept.
/// A statement ISC dhcpd does not accept at the top of a lease file is an error, as it is for
/// ISC's `lease_file_subparse` ("Corrupt lease file - possible data loss!", server/confpars.c).
pub fn read(name: &str, text: String) -> LeaseFile {
    let mut sources = Sources::default();
    let mut changes = Vec::new();
    let mut kept = Vec::new();
    let mut kept_top = Vec::new();
    let mut diagnostics = Vec::new();
    // Blocks are handled one by one as the parser completes them, so a million-lease file is
    // never held as a tree.
    let parsed = parse_each(name, text, &mut sources, &mut NoIncludes, &mut |s| match s
        .keyword()
        .as_str()
    {
        "lease" => match lease(&s) {
            Ok((change, statements, warnings)) => {
                if !statements.is_empty() {
                    kept.push((changes.len(), statements.into_boxed_str()));
                }
                changes.push(change);
                diagnostics.extend(warnings);
            }
            Err(e) => diagnostics.push(e),
        },
        // Written anew at the head of every file charrua writes.
        "authoring-byte-order" => {}
        // Declarations dhcpd keeps in its lease file (OMAPI hosts, dynamic classes, failover
        // state, the DHCPv6 DUID, DHCPv6 leases): not served by charrua, kept as they are.
        "server-duid" | "failover" | "host" | "group" | "subclass" | "class" | "ia-na"
        | "ia-ta" | "ia-pd" => {
            let mut text = String::new();
            write::statement(&mut text, &s, 0);
            kept_top.push(text.into_boxed_str());
        }
        other => diagnostics.push(Diagnostic::error(
            s.span,
            format!("'{other}' is not a lease file statement (ISC dhcpd: corrupt lease file)"),
        )),
    });
    if let Err(e) = parsed {
        diagnostics.push(e);
    }
    LeaseFile {
        changes,
        kept,
        kept_top,
        diagnostics,
        sources,
    }
}

fn date(words: &[Token], span: Span) -> Result<u64, Diagnostic> {
    match words {
        [_, n] if n.is("never") => Ok(u64::MAX),
        [_, e, n] if e.is("epoch") => n
            .text
            .parse()
            .map_err(|_| Diagnostic::error(n.span, "expected seconds since the epoch")),
        [_, _weekday, d, t] => time::parse(&d.text, &t.text)
            .ok_or_else(|| Diagnostic::error(d.span, "expected a date YYYY/MM/DD HH:MM:SS")),
        _ => Err(Diagnostic::error(
            span,
            "expected W YYYY/MM/DD HH:MM:SS, epoch N or never",
        )),
    }
}

fn octets(t: Option<&Token>, span: Span, max: usize, what: &str) -> Result<Vec<u8>, Diagnostic> {
    let t = t.ok_or_else(|| Diagnostic::error(span, format!("expected a {what}")))?;
    let bytes = match t.kind {
        TokenKind::String => t.bytes.clone(),
        _ => crate::lower::hex_bytes(&t.text).ok_or_else(|| {
            Diagnostic::error(
                t.span,
                format!("expected a {what} as a string or colon-separated hex"),
            )
        })?,
    };
    if bytes.len() > max {
        return Err(Diagnostic::error(
            t.span,
            format!("{what} of {} octets is longer than {max}", bytes.len()),
        ));
    }
    Ok(bytes)
}

fn state(words: &[Token], span: Span) -> Result<LeaseState, Diagnostic> {
    let t = words
        .last()
        .ok_or_else(|| Diagnostic::error(span, "expected a binding state"))?;
    Ok(match t.text.to_ascii_lowercase().as_str() {
        "active" => LeaseState::Bound,
        "free" | "reset" | "backup" => LeaseState::Expired,
        "expired" => LeaseState::Expired,
        "released" => LeaseState::Released,
        "abandoned" => LeaseState::Declined,
        other => {
            return Err(Diagnostic::error(
                t.span,
                format!("unknown binding state {other:?}"),
            ))
        }
    })
}

/// One `lease ADDRESS { ... }` block: its change, the statements kept as text, and warnings.
fn lease(s: &Statement) -> Result<(LeaseChange, String, Vec<Diagnostic>), Diagnostic> {
    let address: Ipv4Addr = match s.words.get(1) {
        Some(t) => charrua_wire::options::text::parse_ipv4(&t.text).ok_or_else(|| {
            Diagnostic::error(
                t.span,
                format!("expected an IPv4 address, found {:?}", t.text),
            )
        })?,
        None => return Err(Diagnostic::error(s.span, "expected lease ADDRESS {")),
    };
    let block = s
        .block
        .as_deref()
        .ok_or_else(|| Diagnostic::error(s.span, "expected '{' after the lease address"))?;
    let (mut starts, mut ends) = (0u64, 0u64);
    let mut binding = None;
    let (mut hardware, mut uid, mut hostname) = (None, None, None);
    let mut warnings = Vec::new();
    let mut kept = String::new();
    for st in block {
        let w = &st.words;
        match st.keyword().as_str() {
            "starts" => starts = date(w, st.span)?,
            "ends" => ends = date(w, st.span)?,
            "tstp" | "tsfp" | "atsfp" | "cltt" => {
                date(w, st.span)?;
            }
            "binding" => binding = Some(state(w, st.span)?),
            "next" | "rewind" => {
                state(w, st.span)?;
            }
            "abandoned" => binding = Some(LeaseState::Declined),
            "hardware" => {
                let htype = w
                    .get(1)
                    .and_then(|t| crate::hardware::type_of(&t.text))
                    .ok_or_else(|| Diagnostic::error(st.span, "expected hardware TYPE ADDRESS"))?;
                hardware = Some((
                    htype,
                    octets(w.get(2), st.span, MAX_HARDWARE, "hardware address")?,
                ));
            }
            "uid" => uid = Some(octets(w.get(1), st.span, MAX_UID, "client identifier")?),
            "client-hostname" => {
                let name = octets(w.get(1), st.span, 255, "host name")?;
                hostname = Some(String::from_utf8_lossy(&name).into_owned().into_boxed_str());
            }
            // What dhcpd's `write_lease` writes beyond the binding (scope variables, agent
            // options, on-statements, flags, billing): not acted on, kept as written.
            "set"
            | "on"
            | "ddns-fwd-name"
            | "ddns-rev-name"
            | "ddns-txt"
            | "ddns-dhcid"
            | "ddns-client-fqdn"
            | "vendor-class-identifier"
            | "bootp"
            | "dynamic-bootp"
            | "reserved"
            | "dynamic"
            | "billing"
            | "option" => write::statement(&mut kept, st, 0),
            other => warnings.push(Diagnostic::warning(
                st.span,
                format!("'{other}' in a lease is not implemented; ignored"),
            )),
        }
    }
    let state = binding.unwrap_or(LeaseState::Expired);
    let (client, hardware) = match (uid, hardware) {
        (Some(id), hw) if id.len() >= 2 => (
            ClientKey::ClientId(id.into()),
            hw.and_then(|(htype, addr): (u8, Vec<u8>)| Hardware::new(htype, &addr)),
        ),
        (_, Some((htype, addr))) => (
            ClientKey::Hardware {
                htype,
                addr: addr.into(),
            },
            None,
        ),
        // A free address that names nobody is no record at all: ISC dhcpd writes one for every
        // address of a pool, and charrua writes one when a record is removed. Statements kept
        // for such a block would belong to no client, and go with it.
        _ if state == LeaseState::Expired => {
            return Ok((LeaseChange::Remove(address), kept, warnings));
        }
        // An abandoned or released lease may name nobody.
        _ if state != LeaseState::Bound => (
            ClientKey::Hardware {
                htype: 0,
                addr: Box::new([]),
            },
            None,
        ),
        _ => {
            return Err(Diagnostic::error(
                s.span,
                format!("active lease {address} has neither uid nor hardware address"),
            ))
        }
    };
    let lease = Lease {
        address,
        state,
        client,
        starts,
        ends,
        hostname,
        hardware,
    };
    Ok((LeaseChange::Set(lease), kept, warnings))
}
