//! Reading dhcpd.leases(5) into lease changes (the last block for an address wins, as in
//! ISC dhcpd's `enter_lease`, server/mdb.c).

use std::net::Ipv4Addr;

use charrua_server::config::{keepable, Datum, MAX_KEPT_VARIABLES};
use charrua_server::{Billing, ClientKey, Hardware, Lease, LeaseChange, LeaseState};

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
    let mut failover_peers = Vec::new();
    // Host names declared and not deleted so far (server/mdb.c enter_host: a second
    // declaration of a live name "already exists").
    let mut hosts = std::collections::HashSet::new();
    // Blocks are handled one by one as the parser completes them, so a million-lease file is
    // never held as a tree.
    let parsed = parse_each(name, text, &mut sources, &mut NoIncludes, &mut |s| match s
        .keyword()
        .as_str()
    {
        "lease" => match lease(&s) {
            Ok((change, statements)) => {
                if !statements.is_empty() {
                    kept.push((changes.len(), statements.into_boxed_str()));
                }
                changes.push(change);
            }
            Err(e) => diagnostics.push(e),
        },
        // Written anew at the head of every file charrua writes; dhcpd takes it only before
        // the first lease (server/confpars.c lease_file_subparse).
        "authoring-byte-order" if !changes.is_empty() => diagnostics.push(Diagnostic::error(
            s.span,
            "authoring-byte-order specified too late: it must occur before the first lease in file",
        )),
        "authoring-byte-order" => {}
        "ia-na" | "ia-ta" | "ia-pd" => diagnostics.push(Diagnostic::error(
            s.span,
            format!(
                "{} is only supported in DHCPv6 mode (a DHCPv6 lease in a DHCPv4 lease file)",
                s.keyword().to_ascii_uppercase().replace('-', "_")
            ),
        )),
        // Declarations dhcpd keeps in its lease file (OMAPI hosts, dynamic classes, failover
        // state, the DHCPv6 DUID): kept as they are; hosts are served (see
        // `host_declarations`).
        "server-duid" | "failover" | "host" | "group" | "subclass" | "class" => {
            match top_declaration(&s, &mut hosts) {
                Ok(peer) => failover_peers.extend(peer),
                Err(e) => diagnostics.push(e),
            }
            let mut text = String::new();
            write::statement(&mut text, &s, 0);
            kept_top.push(text.into_boxed_str());
        }
        other => diagnostics.push(Diagnostic::error(
            s.span,
            format!("'{other}' is not a lease file statement (ISC dhcpd: corrupt lease file)"),
        )),
    });
    diagnostics.extend(parsed);
    LeaseFile {
        changes,
        kept,
        kept_top,
        failover_peers,
        diagnostics,
        sources,
    }
}

/// Checks a top-level declaration other than a lease as dhcpd reads it from a lease file;
/// returns the failover peer a `failover peer NAME state { ... }` names, with where.
fn top_declaration(
    s: &Statement,
    hosts: &mut std::collections::HashSet<String>,
) -> Result<Option<(String, Span)>, Diagnostic> {
    let w = &s.words;
    match s.keyword().as_str() {
        // server/confpars.c parse_server_duid: a string or hex, no `=`.
        "server-duid" => match w.as_slice() {
            [_, v] if v.kind == TokenKind::String || crate::lower::hex_bytes(&v.text).is_some() => {
                Ok(None)
            }
            _ => Err(Diagnostic::error(
                w.get(1).map_or(s.span, |t| t.span),
                "expecting string or hexadecimal data",
            )),
        },
        "failover" => match w.as_slice() {
            [_, peer, name, state] if peer.is("peer") && state.is("state") => {
                Ok(Some((name.text.clone(), name.span)))
            }
            _ => Err(Diagnostic::error(s.span, "expecting \"peer\"")),
        },
        // server/confpars.c parse_host_declaration, server/mdb.c enter_host.
        "host" => {
            let name = match w.get(1) {
                Some(t) if t.kind == TokenKind::Atom => t.text.clone(),
                _ => {
                    return Err(Diagnostic::error(
                        s.span,
                        "expecting a name for host declaration.",
                    ))
                }
            };
            let deleted = s
                .block
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|st| st.keyword() == "deleted");
            if deleted {
                hosts.remove(&name);
            } else if !hosts.insert(name.clone()) {
                return Err(Diagnostic::error(
                    s.span,
                    format!("host {name}: already exists"),
                ));
            }
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// A date as dhcpd writes it after a keyword (`starts`, `after`...): `W YYYY/MM/DD HH:MM:SS`,
/// `epoch N` or `never`.
pub(crate) fn date(words: &[Token], span: Span) -> Result<u64, Diagnostic> {
    match words {
        [_, n] if n.is("never") => Ok(u64::MAX),
        [_, e, n] if e.is("epoch") => n
            .text
            .parse()
            .map_err(|_| Diagnostic::error(n.span, "expected seconds since the epoch")),
        [_, _weekday, d, t] => time::parse(&d.text, &t.text)
            .ok_or_else(|| Diagnostic::error(d.span, "expected a date YYYY/MM/DD HH:MM:SS")),
        // A time zone offset in seconds may follow (common/parse.c parse_date_core).
        [_, _weekday, d, t, offset] => {
            let at = time::parse(&d.text, &t.text)
                .ok_or_else(|| Diagnostic::error(d.span, "expected a date YYYY/MM/DD HH:MM:SS"))?;
            let offset: i64 = offset.text.parse().map_err(|_| {
                Diagnostic::error(offset.span, "Time zone offset or semicolon expected.")
            })?;
            Ok(at.saturating_add_signed(offset))
        }
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
        // A BOOTP lease and a reserved one are held for their client (server/confpars.c:
        // FTS_BOOTP, FTS_RESERVED).
        "active" | "bootp" | "reserved" => LeaseState::Bound,
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

/// `set NAME = VALUE;` in a lease: the value is a string, `true`/`false`, `%N` or
/// colon-separated hex whose first octet dhcpd's lexer reads as hex, not as a decimal number
/// (server/confpars.c parse_binding_value: "expecting a constant value"). The variable and its
/// value, or `None` for a number beyond what charrua keeps (32 bits), kept as text instead.
fn set_value(st: &Statement) -> Result<Option<(String, Datum)>, Diagnostic> {
    let (name, value) = match st.words.as_slice() {
        [_, name, eq, rest @ ..] if eq.is_punct("=") => (name.text.clone(), rest),
        _ => {
            return Err(Diagnostic::error(
                st.span,
                "expecting '=' in set statement.",
            ))
        }
    };
    let datum = match value {
        [v] if v.kind == TokenKind::String => Some(Some(Datum::Data(v.bytes.clone()))),
        [p, n] if p.is_punct("%") => n
            .text
            .parse::<i64>()
            .ok()
            .map(|n| u32::try_from(n).ok().map(Datum::Number)),
        [v] if v.is("true") || v.is("false") => Some(Some(Datum::Bool(v.is("true")))),
        [v] => {
            let first = v.text.split(':').next().unwrap_or_default();
            crate::lower::hex_bytes(&v.text)
                .filter(|_| !first.bytes().all(|b| b.is_ascii_digit()))
                .map(|bytes| Some(Datum::Data(bytes)))
        }
        _ => None,
    };
    match datum {
        Some(datum) => Ok(datum.map(|d| (name, d))),
        None => Err(Diagnostic::error(
            value.first().map_or(st.span, |t| t.span),
            "expecting a constant value.",
        )),
    }
}

/// `billing class "NAME";` or `billing subclass "NAME" VALUE;` in a lease (server/confpars.c
/// parse_lease_declaration; the value a string or colon-separated hex, as
/// parse_class_declaration reads a subclass's): the account, or `None` for one beyond what a
/// lease record holds.
fn billing_account(st: &Statement) -> Result<Option<Billing>, Diagnostic> {
    let name = |t: &Token| (t.kind == TokenKind::String).then(|| t.text.clone());
    match st.words.as_slice() {
        [_, kind, class] if kind.is("class") => {
            let class =
                name(class).ok_or_else(|| Diagnostic::error(class.span, "expecting string"))?;
            Ok(Billing::new(&class, None))
        }
        [_, kind, class, value] if kind.is("subclass") => {
            let class =
                name(class).ok_or_else(|| Diagnostic::error(class.span, "Expecting class name"))?;
            let value = octets(Some(value), value.span, usize::MAX, "subclass value")?;
            Ok(Billing::new(&class, Some(&value)))
        }
        [_, kind, ..] if kind.is("class") || kind.is("subclass") => Err(Diagnostic::error(
            st.span,
            "expecting billing class NAME or billing subclass NAME VALUE",
        )),
        _ => Err(Diagnostic::error(st.span, "expecting \"class\"")),
    }
}

/// One `lease ADDRESS { ... }` block: its change and the statements kept as text.
fn lease(s: &Statement) -> Result<(LeaseChange, String), Diagnostic> {
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
    let mut variables: Vec<(String, Datum)> = Vec::new();
    let mut billing = None;
    let mut agent_options: Vec<u8> = Vec::new();
    // Their statements as written, kept as text if the lease is not a binding.
    let mut binding_only = String::new();
    let mut kept = String::new();
    for st in block {
        let w = &st.words;
        match st.keyword().as_str() {
            "starts" => starts = date(w, st.span)?,
            "ends" => ends = date(w, st.span)?,
            "tstp" | "tsfp" | "atsfp" | "cltt" => {
                date(w, st.span)?;
            }
            "binding" => {
                binding = Some(state(w, st.span)?);
                // A state charrua's model folds into another (failover's `backup`, `reset`;
                // `bootp`, `reserved`) is kept, so that the file is written back with it.
                if w.last()
                    .is_some_and(|t| write::FOLDED_STATES.iter().any(|s| t.is(s)))
                {
                    write::statement(&mut kept, st, 0);
                }
            }
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
            "timestamp" => {
                date(w, st.span)?;
            }
            // A variable set again replaces its value, as dhcpd reads it; one beyond what a
            // lease keeps (the core's limits) stays as text, written back as read.
            "set" => match set_value(st)? {
                Some((name, value)) => {
                    let full = variables.len() >= MAX_KEPT_VARIABLES;
                    match variables.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = value,
                        None if keepable(&name, &value) && !full => variables.push((name, value)),
                        None => write::statement(&mut kept, st, 0),
                    }
                }
                None => write::statement(&mut kept, st, 0),
            },
            // The class account the lease is billed to; one charrua cannot hold (a name or
            // value over 255 octets) stays as text.
            "billing" => match billing_account(st)? {
                Some(account) => {
                    billing = Some(account);
                    write::statement(&mut binding_only, st, 0);
                }
                None => write::statement(&mut kept, st, 0),
            },
            // The relay agent information stashed with the lease; a line charrua does not read
            // (another space, a value beyond an option) stays as text.
            "option" => match super::agent::read(st) {
                Some((code, value)) if super::agent::append(&mut agent_options, code, &value) => {
                    write::statement(&mut binding_only, st, 0);
                }
                _ => write::statement(&mut kept, st, 0),
            },
            // What else dhcpd reads in a lease (server/confpars.c parse_lease_declaration):
            // on-statements, DNS names, flags; not acted on, kept as written.
            // The old forms of two DDNS variables, `ddns-fwd-name "NAME";` (server/confpars.c
            // parse_lease_declaration makes them the variables `set` makes): read as those,
            // and written back in the `set` form.
            "ddns-fwd-name" | "ddns-rev-name" => match st.words.as_slice() {
                [keyword, v] if v.kind == TokenKind::String => {
                    let name = keyword.text.to_ascii_lowercase();
                    variables.retain(|(n, _)| *n != name);
                    if variables.len() < MAX_KEPT_VARIABLES {
                        variables.push((name, Datum::Data(v.bytes.clone())));
                    } else {
                        write::statement(&mut kept, st, 0);
                    }
                }
                _ => write::statement(&mut kept, st, 0),
            },
            "on" | "dynamic-bootp" | "reserved" | "supersede" => write::statement(&mut kept, st, 0),
            _ => {
                return Err(Diagnostic::error(
                    st.span,
                    "Unexpected configuration directive (dhcpd: possibly corrupt lease file)",
                ))
            }
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
        // address of a pool, and charrua writes one when a record is removed. Of the statements
        // kept for such a block, only a folded binding state stays with it (`write::change`).
        _ if state == LeaseState::Expired => {
            return Ok((LeaseChange::Remove(address), kept));
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
    // A lease that is not a binding has no account nor relay agent information of its own
    // (dhcpd drops them when a lease ends, server/mdb.c); what such a block says of them is
    // written back as read.
    if state != LeaseState::Bound {
        kept.push_str(&binding_only);
    }
    let lease = Lease {
        address,
        state,
        client,
        starts,
        ends,
        hostname,
        hardware,
        variables,
        billing: billing.filter(|_| state == LeaseState::Bound).map(Box::new),
        agent_options: (state == LeaseState::Bound && !agent_options.is_empty())
            .then(|| agent_options.into_boxed_slice()),
    };
    Ok((LeaseChange::Set(lease), kept))
}
