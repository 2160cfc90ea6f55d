//! ISC dhcpd's dynamic DNS statements (`docs/ddns.md` section 1), read as dhcpd reads them:
//! the server-wide ones from the top of the file only, once it is read (server/dhcpd.c
//! `postconf_initialization`, server/ddns.c `get_conflict_mask`), into the configuration's
//! [`Ddns`]; the per-client ones (`ddns-updates`, `ddns-hostname`, `client-updates`...) into
//! the [`Params`] of the scope they are written in, evaluated per client as dhcpd evaluates
//! them at each ACK (server/ddns.c `ddns_updates`); `key` and `zone` into the tables every scope
//! shares (`keys.rs`). charruad does not send updates yet: one warning says so for the whole
//! setup, at the `ddns-update-style` statement.

use std::net::{Ipv4Addr, Ipv6Addr};

use charrua_server::config::{
    ClientUpdates, ConflictRules, Ddns, DdnsStyle, Expr, Params, TsigKey, Zone,
};

use super::decls::{lease_time, Scope};
use super::server_options::{self, Kind};
use super::{conditions, Lowerer};
use crate::lexer::TokenKind;
use crate::source::{Diagnostic, Span};
use crate::syntax::Statement;

/// The DDNS statements dhcpd reads once, from the top of the file.
pub(super) const SERVER_STATEMENTS: &[&str] = &[
    "ddns-update-style",
    "update-conflict-detection",
    "ddns-guard-id-must-match",
    "ddns-dual-stack-mixed-mode",
    "ddns-other-guard-is-dynamic",
    "ddns-local-address4",
    "ddns-local-address6",
];

/// The DDNS parameters a scope may set, evaluated per client.
pub(super) const PARAMETERS: &[&str] = &[
    "ddns-updates",
    "ddns-hostname",
    "ddns-domainname",
    "ddns-rev-domainname",
    "ddns-ttl",
    "client-updates",
    "update-optimization",
    "update-static-leases",
    "do-forward-updates",
    "do-reverse-updates",
    "fqdn-reply",
];

/// What the file says of DDNS so far.
#[derive(Debug, Default)]
pub(super) struct DdnsRead {
    /// The last top-level `ddns-update-style`: dhcpd's code for it (0 none, 1 ad-hoc, 2
    /// interim, 3 standard: server/stables.c `ddns_styles_values`) and where.
    style: Option<(u8, Span)>,
    conflict_detection: Option<bool>,
    guard_id_must_match: Option<bool>,
    dual_stack_mixed_mode: Option<bool>,
    other_guard_is_dynamic: Option<bool>,
    local_address4: Option<Ipv4Addr>,
    local_address6: Option<Ipv6Addr>,
    /// The keys declared so far, the last of each name.
    keys: Vec<TsigKey>,
    /// The zones declared so far, the last of each name.
    zones: Vec<Zone>,
    /// Warnings about DDNS statements, given only if the style asks for updates: with style
    /// `none` dhcpd evaluates none of them, and nothing is lost.
    pending: Vec<Diagnostic>,
}

impl DdnsRead {
    /// The key declared as `name` (dhcpd's key table compares names without regard to case:
    /// omapip/auth.c uses `do_case_hash`).
    pub(super) fn key(&self, name: &str) -> Option<&TsigKey> {
        self.keys.iter().find(|k| k.name.eq_ignore_ascii_case(name))
    }

    /// Declares `key`, replacing one of the same name (omapip/auth.c `omapi_auth_key_enter`).
    pub(super) fn enter_key(&mut self, key: TsigKey) {
        self.keys
            .retain(|k| !k.name.eq_ignore_ascii_case(&key.name));
        self.keys.push(key);
    }

    /// Declares `zone`, replacing one of the same name (common/dns.c `enter_dns_zone`).
    pub(super) fn enter_zone(&mut self, zone: Zone) {
        self.zones
            .retain(|z| !z.name.eq_ignore_ascii_case(&zone.name));
        self.zones.push(zone);
    }

    /// The settings read, as the configuration holds them.
    pub(super) fn config(&self) -> Ddns {
        let style = match self.style.as_ref().map(|(code, ..)| *code) {
            Some(2) => DdnsStyle::Interim,
            Some(3) => DdnsStyle::Standard,
            _ => DdnsStyle::None,
        };
        // Conflict detection off turns the rest off (server/ddns.c `get_conflict_mask`).
        let defaults = ConflictRules::default();
        let conflict_detection = self
            .conflict_detection
            .unwrap_or(true)
            .then(|| ConflictRules {
                guard_id_must_match: self
                    .guard_id_must_match
                    .unwrap_or(defaults.guard_id_must_match),
                dual_stack_mixed_mode: self
                    .dual_stack_mixed_mode
                    .unwrap_or(defaults.dual_stack_mixed_mode),
                other_guard_is_dynamic: self
                    .other_guard_is_dynamic
                    .unwrap_or(defaults.other_guard_is_dynamic),
            });
        Ddns {
            style,
            conflict_detection,
            local_address4: self.local_address4,
            local_address6: self.local_address6,
            keys: self.keys.clone(),
            zones: self.zones.clone(),
        }
    }
}

/// A flag's octet as dhcpd stores it (common/parse.c `parse_option_token`, `f`): 1 for
/// true/on, 0 for false/off, 2 for ignore.
fn flag_octet(word: &str) -> u8 {
    match word.to_ascii_lowercase().as_str() {
        "true" | "on" => 1,
        "ignore" => 2,
        _ => 0,
    }
}

/// A flag's value as dhcpd evaluates one: true when its first octet is 1 (common/tree.c
/// `evaluate_boolean_option_cache`).
fn flag(octets: &[u8]) -> bool {
    octets.first() == Some(&1)
}

impl Lowerer<'_> {
    /// A warning about a DDNS statement, said once the style is known (see
    /// [`DdnsRead::pending`]).
    pub(super) fn ddns_warn(&mut self, span: Span, message: String) {
        let warning = Diagnostic::warning(span, message);
        // (Settings are read ahead of their scope, and again in it: one warning each.)
        if !self.ddns.pending.contains(&warning) {
            self.ddns.pending.push(warning);
        }
    }

    /// The value of a DDNS statement `s` as dhcpd stores it: a constant for `NAME VALUE;` (a
    /// flag's octet, a text's octets, a time's four octets), the expression of `NAME =
    /// EXPRESSION;`; `None`, warned, for an expression charruad does not evaluate yet.
    fn ddns_value(&mut self, s: &Statement) -> Result<Option<Expr>, Diagnostic> {
        let keyword = s.keyword();
        let w = &s.words;
        if w.get(1).is_some_and(|t| t.is_punct("=")) {
            let parsed = self.data_expression(w.get(2..).unwrap_or_default(), s.span)?;
            return Ok(match conditions::data(&parsed, &self.definitions) {
                Ok(e) => Some(e),
                Err(why) => {
                    self.ddns_warn(
                        s.span,
                        format!("'{keyword} = EXPRESSION' is not implemented yet: {why} is not evaluated, so {keyword} is not set here"),
                    );
                    None
                }
            });
        }
        let kind = server_options::kind(&keyword).unwrap_or(Kind::Flag);
        server_options::check(kind, w.get(1..).unwrap_or_default(), s.span)?;
        let Some(value) = w.get(1) else {
            return Ok(None);
        };
        Ok(Some(Expr::Const(match kind {
            Kind::Time => lease_time(w, s.span)?.to_be_bytes().to_vec(),
            Kind::Text if value.kind == TokenKind::String => value.bytes.clone(),
            Kind::Text => value.text.as_bytes().to_vec(),
            _ => vec![flag_octet(&value.text)],
        })))
    }

    /// A DDNS parameter of a scope ([`PARAMETERS`]), set in `params`.
    pub(super) fn ddns_parameter(
        &mut self,
        s: &Statement,
        params: &mut Params,
    ) -> Result<(), Diagnostic> {
        let keyword = s.keyword();
        let Some(value) = self.ddns_value(s)? else {
            return Ok(());
        };
        let expression = match keyword.as_str() {
            "ddns-hostname" => Some(&mut params.ddns_hostname),
            "ddns-domainname" => Some(&mut params.ddns_domainname),
            "ddns-rev-domainname" => Some(&mut params.ddns_rev_domainname),
            "ddns-ttl" => Some(&mut params.ddns_ttl),
            _ => None,
        };
        if let Some(slot) = expression {
            *slot = Some(value);
            return Ok(());
        }
        // The flags: a value computed per client is not evaluated yet.
        let Expr::Const(octets) = value else {
            self.ddns_warn(
                s.span,
                format!("'{keyword} = EXPRESSION': a flag computed per client is not implemented yet; {keyword} is not set here"),
            );
            return Ok(());
        };
        let on = Some(flag(&octets));
        match keyword.as_str() {
            "client-updates" => {
                params.client_updates = Some(ClientUpdates::from_octet(
                    octets.first().copied().unwrap_or_default(),
                ))
            }
            "ddns-updates" => params.ddns_updates = on,
            "update-optimization" => params.update_optimization = on,
            "update-static-leases" => params.update_static_leases = on,
            "do-forward-updates" => params.do_forward_updates = on,
            "do-reverse-updates" => params.do_reverse_updates = on,
            _ => params.fqdn_reply = on,
        }
        Ok(())
    }

    /// A server-wide DDNS statement ([`SERVER_STATEMENTS`]): read at the top of the file, as
    /// dhcpd reads it; anywhere else it changes nothing, in dhcpd as here.
    pub(super) fn ddns_server_statement(
        &mut self,
        s: &Statement,
        scope: Scope,
    ) -> Result<(), Diagnostic> {
        let keyword = s.keyword();
        if scope != Scope::Global {
            self.ddns_warn(
                s.span,
                format!("'{keyword}' is read at the top level only, as dhcpd reads it: here it changes nothing"),
            );
            return Ok(());
        }
        let w = &s.words;
        if keyword == "ddns-local-address4" {
            if let [_, t] = w.as_slice() {
                // dhcpd takes one address (four octets: server/dhcpd.c) and nothing else.
                let found = self.addresses(t, &keyword)?;
                self.ddns.local_address4 = match found.as_slice() {
                    [one] => Some(*one),
                    _ => None,
                };
                return Ok(());
            }
        }
        if keyword == "ddns-local-address6" {
            if let [_, t] = w.as_slice() {
                self.ddns.local_address6 = t.text.parse().ok();
                return Ok(());
            }
        }
        if keyword == "ddns-update-style" {
            if let [_, t] = w.as_slice() {
                let code = match t.text.to_ascii_lowercase().as_str() {
                    "ad-hoc" => 1,
                    "interim" => 2,
                    "standard" => 3,
                    _ => 0,
                };
                self.ddns.style = Some((code, s.span));
                return Ok(());
            }
        }
        let Some(value) = self.ddns_value(s)? else {
            return Ok(());
        };
        let Expr::Const(octets) = value else {
            self.ddns_warn(
                s.span,
                format!("'{keyword} = EXPRESSION' is not implemented yet: a value computed from the request means nothing at the top of the file, and {keyword} keeps its default here"),
            );
            return Ok(());
        };
        let on = Some(flag(&octets));
        match keyword.as_str() {
            // `ddns-update-style = DATA;`: one octet, dhcpd's code (server/dhcpd.c).
            "ddns-update-style" => match octets.as_slice() {
                [code] => self.ddns.style = Some((*code, s.span)),
                _ => return Err(Diagnostic::error(s.span, "invalid dns update type")),
            },
            "update-conflict-detection" => self.ddns.conflict_detection = on,
            "ddns-guard-id-must-match" => self.ddns.guard_id_must_match = on,
            "ddns-dual-stack-mixed-mode" => self.ddns.dual_stack_mixed_mode = on,
            "ddns-other-guard-is-dynamic" => self.ddns.other_guard_is_dynamic = on,
            // Four octets are an address; dhcpd ignores anything else (server/dhcpd.c).
            "ddns-local-address4" => {
                self.ddns.local_address4 = <[u8; 4]>::try_from(octets.as_slice())
                    .ok()
                    .map(Ipv4Addr::from)
            }
            _ => {
                self.ddns.local_address6 = <[u8; 16]>::try_from(octets.as_slice())
                    .ok()
                    .map(Ipv6Addr::from)
            }
        }
        Ok(())
    }

    /// Once the file is read: the style dhcpd refuses, and what charruad could not read of a
    /// setup that sends updates.
    pub(super) fn check_ddns(&mut self) {
        let Some((code, span)) = self.ddns.style else {
            return;
        };
        match code {
            // dhcpd refuses the style it dropped, once the file is read (server/dhcpd.c).
            1 => self.diagnostics.push(Diagnostic::error(
                span,
                "ddns-update-style ad_hoc no longer supported",
            )),
            // What could not be read of the setup is said only where updates are sent.
            2 | 3 => {
                let pending = std::mem::take(&mut self.ddns.pending);
                self.diagnostics.extend(pending);
            }
            _ => {}
        }
    }
}
