//! Writing dhcpd.leases(5) as ISC dhcpd's `new_lease_file` and `write_lease` (server/db.c) do:
//! the same header, the same fields in the same order, two-space indentation, dates in UTC.

use std::fmt::Write;

use charrua_server::config::Datum;
use charrua_server::{Billing, ClientKey, Lease, LeaseChange, LeaseState};

use crate::lexer::TokenKind;
use crate::syntax::Statement;
use crate::time;

/// The first line of every lease file dhcpd writes, and of every one charrua writes.
pub const HEADER_FIRST_LINE: &str =
    "# The format of this file is documented in the dhcpd.leases(5) manual page.";

/// The second line of a lease file charrua wrote (dhcpd writes its own version there).
const WRITTEN_BY: &str = "# This lease file was written by charrua";

/// Appends the head of a new lease file, as dhcpd's `new_lease_file` writes it.
pub fn header(out: &mut String) {
    let _ = write!(
        out,
        "{HEADER_FIRST_LINE}\n{WRITTEN_BY} {}\n\n\
         # authoring-byte-order entry is generated, DO NOT DELETE\n\
         authoring-byte-order little-endian;\n\n",
        env!("CARGO_PKG_VERSION")
    );
}

/// Whether `text` starts with the header charrua writes (see [`header`]).
pub fn is_written_by_charrua(text: &str) -> bool {
    let mut lines = text.lines();
    lines.next() == Some(HEADER_FIRST_LINE)
        && lines
            .next()
            .is_some_and(|l| l.starts_with(WRITTEN_BY) && l.len() > WRITTEN_BY.len())
}

fn date(out: &mut String, field: &str, secs: u64) {
    out.push_str("  ");
    out.push_str(field);
    match secs {
        u64::MAX => out.push_str(" never;\n"),
        s if s > time::LAST_DATE => {
            let _ = writeln!(out, " epoch {s};");
        }
        s => {
            out.push(' ');
            time::write(out, s);
            out.push_str(";\n");
        }
    }
}

fn hardware(out: &mut String, htype: u8, addr: &[u8]) {
    let _ = write!(out, "  hardware {} ", crate::hardware::name_of(htype));
    let _ = charrua_wire::options::text::write_hex(out, addr);
    out.push_str(";\n");
}

/// The account a lease is billed to, as server/db.c `write_billing_class` writes it: a
/// subclass's value quoted when every octet is printable ASCII, else colon-separated hex
/// (`print_hash_string`).
fn billing(out: &mut String, account: &Billing) {
    out.push_str(match account.subclass {
        None => "  billing class ",
        Some(_) => "  billing subclass ",
    });
    quoted(out, account.class.as_bytes());
    if let Some(value) = &account.subclass {
        out.push(' ');
        let _ = charrua_wire::options::text::write_bytes(out, value);
    }
    out.push_str(";\n");
}

fn quoted(out: &mut String, bytes: &[u8]) {
    let _ = charrua_wire::options::text::write_quoted(out, bytes);
}

/// Binding states of dhcpd's that charrua's model folds into others: `backup` and `reset` are
/// free addresses (of a failover pair), `bootp` and `reserved` held ones. A block read with one
/// keeps it, and is written back with it while its state is still the folded one.
pub const FOLDED_STATES: &[&str] = &["backup", "reset", "bootp", "reserved"];

/// The state charrua's model gives dhcpd's binding state `word` (server/confpars.c
/// parse_lease_declaration).
fn folded(word: &str) -> Option<LeaseState> {
    match word {
        "backup" | "reset" => Some(LeaseState::Expired),
        "bootp" | "reserved" => Some(LeaseState::Bound),
        _ => None,
    }
}

/// The folded binding state kept for a block (its `binding state WORD;` line), if any.
fn kept_state(kept: Option<&str>) -> Option<&str> {
    kept?.lines().find_map(|l| {
        l.strip_prefix("binding state ")?
            .strip_suffix(';')
            .filter(|w| FOLDED_STATES.contains(w))
    })
}

/// Appends the block of `lease` (nothing for an offer, which is never durable), with `kept`,
/// the statements read from an earlier block that charrua keeps (one per line, unindented).
pub fn block(out: &mut String, lease: &Lease, kept: Option<&str>) {
    let state = match lease.state {
        LeaseState::Offered => return,
        LeaseState::Bound => "active",
        LeaseState::Released => "released",
        LeaseState::Expired => "free",
        LeaseState::Declined => "abandoned",
    };
    // The state as read, while charrua has not changed it.
    let state = kept_state(kept)
        .filter(|w| folded(w) == Some(lease.state))
        .unwrap_or(state);
    let _ = writeln!(out, "lease {} {{", lease.address);
    if lease.starts != 0 {
        date(out, "starts", lease.starts);
    }
    date(out, "ends", lease.ends);
    if lease.state != LeaseState::Bound {
        // dhcpd's time of the state change: when the lease ended.
        date(out, "tstp", lease.ends);
    }
    if lease.starts != 0 {
        date(out, "cltt", lease.starts);
    }
    let _ = writeln!(out, "  binding state {state};");
    if lease.state == LeaseState::Bound {
        out.push_str("  next binding state free;\n  rewind binding state free;\n");
    }
    if let Some(account) = lease
        .billing
        .as_deref()
        .filter(|_| lease.state == LeaseState::Bound)
    {
        billing(out, account);
    }
    match &lease.client {
        ClientKey::Hardware { htype, addr } if !addr.is_empty() => hardware(out, *htype, addr),
        ClientKey::Hardware { .. } => {}
        ClientKey::ClientId(id) => {
            if let Some(hw) = &lease.hardware {
                hardware(out, hw.htype(), hw.addr());
            }
            out.push_str("  uid ");
            quoted(out, id);
            out.push_str(";\n");
        }
    }
    // The lease's variables, as server/db.c `write_binding_scope` writes them.
    for (name, value) in &lease.variables {
        let _ = write!(out, "  set {name} = ");
        match value {
            Datum::Data(bytes) => quoted(out, bytes),
            Datum::Number(n) => {
                let _ = write!(out, "%{n}");
            }
            Datum::Bool(b) => {
                let _ = write!(out, "{b}");
            }
        }
        out.push_str(";\n");
    }
    // Only a binding has them (dhcpd drops them when a lease ends, server/mdb.c).
    if let Some(raw) = lease
        .agent_options
        .as_deref()
        .filter(|_| lease.state == LeaseState::Bound)
    {
        super::agent::write(out, raw);
    }
    // What an earlier block said of an account or relay agent information, kept while the
    // lease was not a binding, gives way to the binding's own.
    let bound = lease.state == LeaseState::Bound;
    let superseded = |l: &str| {
        bound && lease.billing.is_some() && l.starts_with("billing ")
            || bound && lease.agent_options.is_some() && l.starts_with("option agent.")
    };
    for line in kept
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with("binding state ") && !superseded(l))
    {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(name) = &lease.hostname {
        out.push_str("  client-hostname ");
        quoted(out, name.as_bytes());
        out.push_str(";\n");
    }
    out.push_str("}\n");
}

/// Appends the block of `change`: a removed record is a free address that names nobody, which
/// reads back as no record (see `read`).
pub fn change(out: &mut String, change: &LeaseChange, kept: Option<&str>) {
    match change {
        LeaseChange::Set(lease) => block(out, lease, kept),
        LeaseChange::Remove(address) => {
            let state = kept_state(kept)
                .filter(|w| folded(w) == Some(LeaseState::Expired))
                .unwrap_or("free");
            let _ = writeln!(out, "lease {address} {{\n  binding state {state};\n}}");
        }
    }
}

/// A whole lease file: the header and one block per lease (offers are never written).
pub fn write<'a>(leases: impl IntoIterator<Item = &'a Lease>) -> String {
    let mut out = String::new();
    header(&mut out);
    for lease in leases {
        block(&mut out, lease, None);
    }
    out
}

/// Appends `st` as text on lines of their own, indented by `indent` spaces: words separated
/// by a space, strings quoted as dhcpd quotes them, blocks in braces.
pub(crate) fn statement(out: &mut String, st: &Statement, indent: usize) {
    let _ = write!(out, "{:indent$}", "");
    for (i, word) in st.words.iter().enumerate() {
        if i > 0 && !word.is_punct(",") {
            out.push(' ');
        }
        match word.kind {
            TokenKind::String => quoted(out, &word.bytes),
            TokenKind::Atom | TokenKind::Punct => out.push_str(&word.text),
        }
    }
    match &st.block {
        None => out.push_str(";\n"),
        Some(block) => {
            out.push_str(" {\n");
            for inner in block {
                statement(out, inner, indent + 2);
            }
            let _ = writeln!(out, "{:indent$}}}", "");
        }
    }
}
