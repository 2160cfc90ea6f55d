//! The relay agent information a lease keeps (ISC `stash-agent-options`), as dhcpd writes and
//! reads it: one `option agent.NAME VALUE;` per sub-option that has a value (server/db.c
//! `write_lease`), named and typed as dhcpd's agent space names them (server/stables.c
//! `agent_options`; any other code is `unknown-N`, opaque).

use std::fmt::Write;

use charrua_wire::options::text::{parse_ipv4, write_bytes};

use crate::lexer::{Token, TokenKind};
use crate::syntax::Statement;

/// How dhcpd types a sub-option's value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `X`: a string or colon-separated hex.
    Opaque,
    /// `I`: an IPv4 address.
    Address,
    /// `L`: an unsigned 32-bit number.
    Number,
}

/// dhcpd's agent space: code, name, type.
const SPACE: &[(u8, &str, Kind)] = &[
    (1, "circuit-id", Kind::Opaque),
    (2, "remote-id", Kind::Opaque),
    (3, "agent-id", Kind::Address),
    (4, "DOCSIS-device-class", Kind::Number),
    (5, "link-selection", Kind::Address),
];

/// The sub-options of `raw` (code, value), up to the first that does not parse.
fn sub_options(raw: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = raw;
    std::iter::from_fn(move || {
        let (&code, tail) = rest.split_first()?;
        let (&len, tail) = tail.split_first()?;
        let (value, tail) = tail.split_at_checked(usize::from(len))?;
        rest = tail;
        Some((code, value))
    })
}

/// Appends the lines of `raw`, option 82 as received. A value dhcpd could not read back
/// under its name's type (an `agent-id` not of 4 octets) is left out, as is an empty one.
pub(super) fn write(out: &mut String, raw: &[u8]) {
    for (code, value) in sub_options(raw).filter(|(_, v)| !v.is_empty()) {
        let known = SPACE.iter().find(|(c, _, _)| *c == code);
        let kind = known.map_or(Kind::Opaque, |(_, _, k)| *k);
        let mut line = String::from("  option agent.");
        match known {
            Some((_, name, _)) => line.push_str(name),
            None => {
                let _ = write!(line, "unknown-{code}");
            }
        }
        line.push(' ');
        match (kind, value) {
            (Kind::Opaque, _) => {
                let _ = write_bytes(&mut line, value);
            }
            (Kind::Address, [a, b, c, d]) => {
                let _ = write!(line, "{a}.{b}.{c}.{d}");
            }
            (Kind::Number, [a, b, c, d]) => {
                let _ = write!(line, "{}", u32::from_be_bytes([*a, *b, *c, *d]));
            }
            _ => continue,
        }
        line.push_str(";\n");
        out.push_str(&line);
    }
}

/// The sub-option an `option agent.NAME VALUE;` statement of a lease gives (code, value), or
/// `None` when it is not one charrua reads (kept as text then).
pub(super) fn read(st: &Statement) -> Option<(u8, Vec<u8>)> {
    let [_, name, value] = st.words.as_slice() else {
        return None;
    };
    let name = name.text.strip_prefix("agent.")?;
    let (code, kind) = match SPACE.iter().find(|(_, n, _)| n.eq_ignore_ascii_case(name)) {
        Some((code, _, kind)) => (*code, *kind),
        None => {
            let code: u8 = name.strip_prefix("unknown-")?.parse().ok()?;
            if SPACE.iter().any(|(c, _, _)| *c == code) {
                return None;
            }
            (code, Kind::Opaque)
        }
    };
    let bytes = match kind {
        Kind::Opaque => opaque(value)?,
        Kind::Address => parse_ipv4(&value.text)?.octets().to_vec(),
        Kind::Number => value.text.parse::<u32>().ok()?.to_be_bytes().to_vec(),
    };
    (bytes.len() <= usize::from(u8::MAX)).then_some((code, bytes))
}

fn opaque(t: &Token) -> Option<Vec<u8>> {
    match t.kind {
        TokenKind::String => Some(t.bytes.clone()),
        _ => crate::lower::hex_bytes(&t.text),
    }
}

/// Appends sub-option `code` with `value` to option 82's octets, if the whole still fits an
/// option (255 octets).
pub(super) fn append(raw: &mut Vec<u8>, code: u8, value: &[u8]) -> bool {
    let fits = raw.len() + 2 + value.len() <= usize::from(u8::MAX);
    if fits {
        raw.push(code);
        raw.push(value.len() as u8);
        raw.extend_from_slice(value);
    }
    fits
}
