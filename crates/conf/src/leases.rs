//! ISC dhcpd.leases(5): read into lease changes (the last block for an address wins, as in
//! dhcpd), and written back, so a site can move to charrua and back.

use std::fmt::Write;
use std::net::Ipv4Addr;

use charrua_server::{ClientKey, Lease, LeaseChange, LeaseState};

use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Severity, Sources, Span};
use crate::syntax::{parse_each, NoIncludes, Statement};
use crate::time;

/// Longest client identifier kept: one option's worth (CVE-2021-25217 came from longer ones).
const MAX_UID: usize = 255;
/// Longest hardware address (`chaddr` is 16 octets).
const MAX_HARDWARE: usize = 16;

/// A read lease file.
#[derive(Debug)]
pub struct LeaseFile {
    /// One change per valid lease block, in file order: applying them in order gives the
    /// state dhcpd would load.
    pub changes: Vec<LeaseChange>,
    /// Errors (the block was skipped) and warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// The file, for rendering diagnostics.
    pub sources: Sources,
}

impl LeaseFile {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Reads a dhcpd.leases file. A malformed block is reported and skipped; where the file stops
/// parsing (an unterminated block, say) there is one error, and the blocks before it are kept.
pub fn read(name: &str, text: String) -> LeaseFile {
    let mut sources = Sources::default();
    let mut changes = Vec::new();
    let mut diagnostics = Vec::new();
    // Blocks are handled one by one as the parser completes them, so a million-lease file is
    // never held as a tree.
    let parsed = parse_each(name, text, &mut sources, &mut NoIncludes, &mut |s| match s
        .keyword()
        .as_str()
    {
        "lease" => match lease(&s) {
            Ok((change, warnings)) => {
                changes.push(change);
                diagnostics.extend(warnings);
            }
            Err(e) => diagnostics.push(e),
        },
        "authoring-byte-order"
        | "server-duid"
        | "failover"
        | "host"
        | "group"
        | "subclass"
        | "class" => {}
        other => diagnostics.push(Diagnostic::warning(
            s.span,
            format!("'{other}' in a lease file is not implemented; skipped"),
        )),
    });
    if let Err(e) = parsed {
        diagnostics.push(e);
    }
    LeaseFile {
        changes,
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

/// One `lease ADDRESS { ... }` block.
fn lease(s: &Statement) -> Result<(LeaseChange, Vec<Diagnostic>), Diagnostic> {
    let address: Ipv4Addr = match s.words.get(1) {
        Some(t) => t.text.parse().map_err(|_| {
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
                let htype = match w.get(1).map(|t| t.text.to_ascii_lowercase()) {
                    Some(t) if t == "ethernet" => 1,
                    Some(t) if t == "token-ring" => 6,
                    Some(t) if t == "fddi" => 8,
                    Some(t) if t == "infiniband" => 32,
                    Some(t) if t.starts_with("unknown-") => {
                        match t.trim_start_matches("unknown-").parse() {
                            Ok(n) => n,
                            Err(_) => {
                                return Err(Diagnostic::error(
                                    st.span,
                                    "expected hardware TYPE ADDRESS",
                                ))
                            }
                        }
                    }
                    _ => return Err(Diagnostic::error(st.span, "expected hardware TYPE ADDRESS")),
                };
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
            // Set and on statements, DDNS state and failover fields: read, not kept.
            "set"
            | "on"
            | "ddns-fwd-name"
            | "ddns-rev-name"
            | "ddns-txt"
            | "ddns-dhcid"
            | "vendor-class-identifier"
            | "bootp"
            | "reserved"
            | "dynamic"
            | "option" => {}
            other => warnings.push(Diagnostic::warning(
                st.span,
                format!("'{other}' in a lease is not implemented; ignored"),
            )),
        }
    }
    let state = binding.unwrap_or(LeaseState::Expired);
    let client = match (uid, hardware) {
        (Some(id), _) if id.len() >= 2 => ClientKey::ClientId(id.into()),
        (_, Some((htype, addr))) => ClientKey::Hardware {
            htype,
            addr: addr.into(),
        },
        // An abandoned or free lease may name nobody.
        _ if state != LeaseState::Bound => ClientKey::Hardware {
            htype: 0,
            addr: Box::new([]),
        },
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
    };
    Ok((LeaseChange::Set(lease), warnings))
}

/// A string in dhcpd.leases form: printable ASCII as is, `"` and `\` escaped, the rest octal.
fn quoted(out: &mut String, bytes: &[u8]) {
    let _ = charrua_wire::options::text::write_quoted(out, bytes);
}

/// Writes leases in dhcpd.leases(5) form (offers are never written: they are not durable).
pub fn write<'a>(leases: impl IntoIterator<Item = &'a Lease>) -> String {
    let mut out = String::from("# The format of this file is documented in the dhcpd.leases(5) manual page.\n# This lease file was written by charrua.\n\nauthoring-byte-order little-endian;\n\n");
    for lease in leases {
        let state = match lease.state {
            LeaseState::Offered => continue,
            LeaseState::Bound => "active",
            LeaseState::Released => "released",
            LeaseState::Expired => "free",
            LeaseState::Declined => "abandoned",
        };
        let date = |secs: u64| match secs {
            u64::MAX => "never".to_string(),
            s if s > time::LAST_DATE => format!("epoch {s}"),
            s => time::format(s),
        };
        let _ = writeln!(out, "lease {} {{", lease.address);
        let _ = writeln!(out, "  starts {};", date(lease.starts));
        let _ = writeln!(out, "  ends {};", date(lease.ends));
        let _ = writeln!(out, "  binding state {state};");
        match &lease.client {
            ClientKey::Hardware { htype, addr } if !addr.is_empty() => {
                let kind = match htype {
                    1 => "ethernet".to_string(),
                    6 => "token-ring".to_string(),
                    8 => "fddi".to_string(),
                    32 => "infiniband".to_string(),
                    other => format!("unknown-{other}"),
                };
                let hex: Vec<String> = addr.iter().map(|b| format!("{b:02x}")).collect();
                let _ = writeln!(out, "  hardware {kind} {};", hex.join(":"));
            }
            ClientKey::Hardware { .. } => {}
            ClientKey::ClientId(id) => {
                out.push_str("  uid ");
                quoted(&mut out, id);
                out.push_str(";\n");
            }
        }
        if let Some(name) = &lease.hostname {
            out.push_str("  client-hostname ");
            quoted(&mut out, name.as_bytes());
            out.push_str(";\n");
        }
        out.push_str("}\n");
    }
    out
}
