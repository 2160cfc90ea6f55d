//! `failover peer` declarations, references and states, checked as dhcpd checks them
//! (server/confpars.c parse_failover_peer, parse_failover_state_declaration, the pool's
//! `failover peer`, and dhcpd's sanity check that every peer serves a pool). charruad does
//! not speak the failover protocol: a declared peer is reported as not implemented.

use crate::lexer::TokenKind;
use crate::source::Diagnostic;
use crate::syntax::Statement;

/// The failover states dhcpd knows (server/confpars.c parse_failover_state).
const STATES: &[&str] = &[
    "unknown-state",
    "partner-down",
    "normal",
    "communications-interrupted",
    "conflict-done",
    "resolution-interrupted",
    "potential-conflict",
    "recover",
    "recover-done",
    "recover-wait",
    "shutdown",
    "paused",
    "startup",
];

/// What a `failover` statement did.
pub(super) enum Failover {
    /// Declared a peer of this name.
    Declared(String),
    /// Referred to a declared peer (a shared-network's).
    Referred,
    /// Gave a declared peer's state.
    State,
}

/// The peer's name: a name or a string (`failover peer NAME`).
fn name(s: &Statement) -> Result<String, Diagnostic> {
    let w = &s.words;
    if !w.get(1).is_some_and(|t| t.is("peer")) {
        return Err(Diagnostic::error(s.span, "expecting \"peer\""));
    }
    match w.get(2) {
        Some(t) if matches!(t.kind, TokenKind::Atom | TokenKind::String) => Ok(t.text.clone()),
        _ => Err(Diagnostic::error(s.span, "expecting failover peer name.")),
    }
}

/// A `failover ...` statement outside a pool, at the top (`in_shared_network` false) or in a
/// shared network, with the peers declared so far.
pub(super) fn statement(
    s: &Statement,
    in_shared_network: bool,
    declared: &[String],
) -> Result<Failover, Diagnostic> {
    let name = name(s)?;
    let known = declared.contains(&name);
    let rest = s.words.get(3..).unwrap_or_default();
    match (rest, &s.block) {
        ([], None) if !in_shared_network => Err(Diagnostic::error(
            s.span,
            "failover peer reference not in shared-network declaration",
        )),
        ([], None) if !known => Err(Diagnostic::error(
            s.span,
            format!("reference to unknown failover peer {name}"),
        )),
        ([], None) => Ok(Failover::Referred),
        ([state], Some(block)) if state.is("state") => {
            if !known {
                return Err(Diagnostic::error(
                    s.span,
                    format!("state declaration for unknown failover peer {name}"),
                ));
            }
            for st in block {
                let w = &st.words;
                let given = match st.keyword().as_str() {
                    "my" | "partner" if w.get(1).is_some_and(|t| t.is("state")) => w.get(2),
                    "my" | "partner" => {
                        return Err(Diagnostic::error(st.span, "expecting 'state'"))
                    }
                    "mclt" => continue,
                    _ => return Err(Diagnostic::error(st.span, "expecting state setting.")),
                };
                if !given.is_some_and(|t| STATES.contains(&t.text.to_ascii_lowercase().as_str())) {
                    return Err(Diagnostic::error(st.span, "unknown failover state"));
                }
            }
            Ok(Failover::State)
        }
        ([], Some(_)) if known => Err(Diagnostic::error(
            s.span,
            format!("redeclaration of failover peer {name}"),
        )),
        ([], Some(block)) => {
            peer(s, block)?;
            Ok(Failover::Declared(name))
        }
        _ => Err(Diagnostic::error(s.span, "expecting left brace")),
    }
}

/// A number dhcpd's lexer reads as one.
fn number(st: &Statement, i: usize, message: &str) -> Result<u32, Diagnostic> {
    st.words
        .get(i)
        .and_then(|t| t.text.parse().ok())
        .ok_or_else(|| Diagnostic::error(st.span, message.to_string()))
}

/// The block of a peer declaration (server/confpars.c parse_failover_peer).
fn peer(s: &Statement, block: &[Statement]) -> Result<(), Diagnostic> {
    let (mut primary, mut secondary) = (false, false);
    let (mut partner_address, mut balance, mut mclt) = (false, false, false);
    for st in block {
        let w = &st.words;
        let on_partner = st.keyword() == "peer";
        let setting = if on_partner {
            w.get(1)
                .map(|t| t.text.to_ascii_lowercase())
                .unwrap_or_default()
        } else {
            st.keyword()
        };
        let at = usize::from(on_partner) + 1;
        let load_balance = |st: &Statement| -> Result<(), Diagnostic> {
            if secondary {
                return Err(Diagnostic::error(
                    st.span,
                    "secondary may not define load balance settings.",
                ));
            }
            Ok(())
        };
        match setting.as_str() {
            "primary" => primary = true,
            "secondary" if balance => {
                return Err(Diagnostic::error(
                    st.span,
                    "secondary may not define load balance settings.",
                ))
            }
            "secondary" => secondary = true,
            "address" => {
                if w.get(at).is_none() {
                    return Err(Diagnostic::error(
                        st.span,
                        "expecting IP address or hostname",
                    ));
                }
                partner_address |= on_partner;
            }
            "port" => {
                number(st, at, "expecting number")?;
            }
            "max-lease-misbalance"
            | "max-lease-ownership"
            | "max-balance"
            | "min-balance"
            | "auto-partner-down"
            | "max-response-delay"
            | "max-unacked-updates" => {
                number(st, at, "expecting number.")?;
            }
            "mclt" => {
                number(st, at, "expecting number.")?;
                mclt = true;
            }
            "hba" => {
                load_balance(st)?;
                // The octets may run over several lines (a word per line).
                let text: String = w
                    .get(at..)
                    .unwrap_or_default()
                    .iter()
                    .map(|t| t.text.as_str())
                    .collect();
                let octets = super::hex_bytes(&text)
                    .ok_or_else(|| Diagnostic::error(st.span, "expecting hexadecimal number."))?;
                if octets.len() < 32 {
                    return Err(Diagnostic::error(st.span, "too few numbers."));
                }
                if octets.len() > 32 {
                    return Err(Diagnostic::error(st.span, "too many numbers."));
                }
                balance = true;
            }
            "split" => {
                load_balance(st)?;
                if number(st, at, "expecting number")? > 256 {
                    return Err(Diagnostic::error(
                        st.span,
                        "split must be between 0 and 256, inclusive",
                    ));
                }
                balance = true;
            }
            "load" => {
                let expect = |i: usize, word: &str| -> Result<(), Diagnostic> {
                    if w.get(i).is_some_and(|t| t.is(word)) {
                        Ok(())
                    } else {
                        Err(Diagnostic::error(st.span, format!("expecting '{word}'")))
                    }
                };
                expect(1, "balance")?;
                expect(2, "max")?;
                expect(3, "seconds").map_err(|_| Diagnostic::error(st.span, "expecting 'secs'"))?;
                number(st, 4, "expecting number")?;
            }
            _ => {
                return Err(Diagnostic::error(
                    st.span,
                    "invalid statement in peer declaration",
                ))
            }
        }
    }
    if !partner_address {
        return Err(Diagnostic::error(s.end, "peer address may not be omitted"));
    }
    if primary && !balance {
        return Err(Diagnostic::error(
            s.end,
            "primary failover server must have hba or split.",
        ));
    }
    if primary && !mclt {
        return Err(Diagnostic::error(
            s.end,
            "primary failover server must have mclt.",
        ));
    }
    Ok(())
}

/// `failover peer "NAME";` in a pool (server/confpars.c parse_pool_statement).
pub(super) fn pool_reference(s: &Statement, declared: &[String]) -> Result<String, Diagnostic> {
    let w = &s.words;
    if !w.get(1).is_some_and(|t| t.is("peer")) {
        return Err(Diagnostic::error(s.span, "expecting 'peer'."));
    }
    let name = match w.get(2) {
        Some(t) if t.kind == TokenKind::String => t.text.clone(),
        _ => return Err(Diagnostic::error(s.span, "expecting string.")),
    };
    if !declared.contains(&name) {
        return Err(Diagnostic::error(
            s.span,
            format!("failover peer {name}: not found"),
        ));
    }
    Ok(name)
}
