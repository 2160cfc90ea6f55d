//! Parameter statements: the settings a scope carries (lease times, server identity, boot
//! file, options and their `NAME = EXPRESSION` forms, who is answered), as dhcpd reads them.

use charrua_server::config::{ClientUpdates, Params, SiteSpace};
use charrua_wire::{Format, Value};

use super::decls::{lease_time, string, Scope};
use super::options::OptionStatement;
use super::{ddns, expr, names, server_options, Lowerer};
use crate::lexer::{Token, TokenKind};
use crate::source::Diagnostic;
use crate::syntax::Statement;

/// The parameters [`Lowerer::parameter`] sets that dhcpd also takes as `NAME = EXPRESSION;`.
const PARAMETERS: &[&str] = &[
    "default-lease-time",
    "max-lease-time",
    "min-lease-time",
    "dynamic-bootp-lease-length",
    "server-identifier",
    "next-server",
    "server-name",
    "filename",
    "boot-unknown-clients",
];

impl Lowerer<'_> {
    /// An `option` of an address type whose value names hosts: its addresses looked up; `None`
    /// when the option is something else (the option table reads it).
    pub(super) fn option_with_host_names(
        &mut self,
        w: &[Token],
    ) -> Result<Option<OptionStatement>, Diagnostic> {
        let (Some(name), Some(values)) = (w.get(1), w.get(2..)) else {
            return Ok(None);
        };
        if values.first().is_some_and(|t| t.is("code")) {
            return Ok(None);
        }
        let format = self.definitions.format(&name.text);
        if !matches!(format, Some(Format::Ip | Format::IpList))
            || !values.iter().any(|t| names::is_host_name(&t.text))
        {
            return Ok(None);
        }
        let Some(code) = self.definitions.code(&name.text) else {
            return Ok(None);
        };
        let what = format!("option {}", name.text);
        let mut addresses = Vec::new();
        // ADDRESS [, ADDRESS ...], as ISC's parse_option_token reads a list: a comma must be
        // followed by another address; an `ip-address` option takes one.
        let one = format == Some(Format::Ip);
        let mut expect_value = true;
        for t in values {
            match (expect_value, t.is_punct(",")) {
                (true, false) => addresses.extend(self.addresses(t, &what)?),
                (false, true) if !one => {}
                _ => {
                    return Err(Diagnostic::error(
                        t.span,
                        format!(
                            "{what}: expected {}",
                            if expect_value { "an address" } else { "';'" }
                        ),
                    ))
                }
            }
            expect_value = !expect_value;
        }
        if expect_value {
            let at = values.last().map_or(name.span, |t| t.span);
            return Err(Diagnostic::error(
                at,
                format!("{what}: expected an address after ','"),
            ));
        }
        if values.iter().any(|t| self.names.failed(&t.text)) {
            return Ok(Some(OptionStatement::Withheld(code)));
        }
        Ok(Some(match (format, addresses.as_slice()) {
            (_, []) => OptionStatement::Defined,
            (Some(Format::Ip), [first, ..]) => OptionStatement::Value(code, Value::Ip(*first)),
            _ => OptionStatement::Value(code, Value::IpList(addresses)),
        }))
    }

    /// `NAME = EXPRESSION;` for a parameter: dhcpd takes every server option in this form
    /// (common/parse.c parse_option_statement, `EQUAL`). A constant is the value, as if written
    /// plainly; a value computed per client is not computed yet, and the parameter is left
    /// unset.
    pub(super) fn computed_parameter(
        &mut self,
        s: &Statement,
        scope: Scope,
        params: &mut Params,
    ) -> Result<bool, Diagnostic> {
        let keyword = s.keyword();
        let value = s.words.get(2..).unwrap_or_default();
        let four_octets = matches!(
            server_options::kind(&keyword),
            Some(server_options::Kind::Time | server_options::Kind::Number(32))
        );
        match (self.data_expression(value, s.span)?, value) {
            // A string is the text itself.
            (expr::Expr::Data(_), [constant]) if constant.kind == TokenKind::String => {
                let plain = Statement {
                    words: s.words.iter().take(1).chain([constant]).cloned().collect(),
                    block: None,
                    span: s.span,
                    end: s.end,
                };
                self.parameter(&plain, scope, params)
            }
            // Four octets of hex are a 32-bit value, as dhcpd reads the option's data.
            (expr::Expr::Data(octets), [constant])
                if four_octets && <[u8; 4]>::try_from(octets.as_slice()).is_ok() =>
            {
                let number =
                    u32::from_be_bytes(<[u8; 4]>::try_from(octets.as_slice()).unwrap_or_default());
                let mut word = constant.clone();
                word.text = number.to_string();
                let plain = Statement {
                    words: s.words.iter().take(1).cloned().chain([word]).collect(),
                    block: None,
                    span: s.span,
                    end: s.end,
                };
                self.parameter(&plain, scope, params)
            }
            _ => {
                self.warn(
                    s.span,
                    format!("{keyword} = EXPRESSION: values computed per client are not implemented yet; {keyword} is not set here"),
                );
                Ok(true)
            }
        }
    }

    /// A parameter statement: sets `params` and returns true; false when `s` is not one.
    pub(super) fn parameter(
        &mut self,
        s: &Statement,
        scope: Scope,
        params: &mut Params,
    ) -> Result<bool, Diagnostic> {
        let w = &s.words;
        let keyword = s.keyword();
        if PARAMETERS.contains(&keyword.as_str()) && w.get(1).is_some_and(|t| t.is_punct("=")) {
            return self.computed_parameter(s, scope, params);
        }
        match keyword.as_str() {
            "option" => {
                if scope == Scope::Host && w.get(1).is_some_and(|t| t.is("dhcp-client-identifier"))
                {
                    return Ok(false);
                }
                if w.get(2).is_some_and(|t| t.is_punct("=")) {
                    self.data_expression(w.get(3..).unwrap_or_default(), s.span)?;
                }
                let statement = match self.option_with_host_names(w)? {
                    Some(statement) => statement,
                    None => self.definitions.statement(
                        w,
                        s.span,
                        self.sources,
                        scope == Scope::Global,
                    )?,
                };
                match statement {
                    OptionStatement::Value(code, value) => params.set_option(code, &value),
                    OptionStatement::Withheld(code) => params.options.insert(code, &[]),
                    OptionStatement::SpaceValue(space, code, value) => {
                        params.space_mut(&space).insert_value(code, &value);
                    }
                    OptionStatement::Computed(code, e) => {
                        params
                            .statements
                            .push(charrua_server::config::Statement::Option(code, e));
                    }
                    OptionStatement::Defined => {}
                    OptionStatement::Warned(d) => self.diagnostics.push(d),
                }
            }
            "default-lease-time" => params.default_lease_time = Some(lease_time(w, s.span)?),
            "max-lease-time" => params.max_lease_time = Some(lease_time(w, s.span)?),
            "min-lease-time" => params.min_lease_time = Some(lease_time(w, s.span)?),
            "dynamic-bootp-lease-length" => params.bootp_lease_time = Some(lease_time(w, s.span)?),
            // dhcpd takes a value below 100 and uses its default for any other, whatever an
            // outer scope says (server/dhcp.c `reuse_lease`).
            "dhcp-cache-threshold" => {
                let value = match w.as_slice() {
                    [_, t] => server_options::number(t, 8)?,
                    _ => return Err(Diagnostic::error(s.span, "expecting number.")),
                };
                params.cache_threshold = Some(
                    u8::try_from(value)
                        .ok()
                        .filter(|v| *v < 100)
                        .unwrap_or(Params::DEFAULT_CACHE_THRESHOLD),
                );
            }
            "authoritative" | "not" if scope == Scope::Host => {
                return Err(Diagnostic::error(s.span, "authority makes no sense here."))
            }
            "authoritative" if w.len() == 1 => params.authoritative = Some(true),
            "authoritative" => {
                return Err(Diagnostic::error(
                    w.get(1).map_or(s.span, |t| t.span),
                    "semicolon expected.",
                ))
            }
            "not" if w.len() == 2 && w.get(1).is_some_and(|t| t.is("authoritative")) => {
                params.authoritative = Some(false)
            }
            "server-identifier" | "next-server" => {
                let t = match w.as_slice() {
                    [_, t] if t.kind == TokenKind::Atom => t,
                    [_, t] => {
                        return Err(Diagnostic::error(
                            t.span,
                            format!("{} (262): expecting IP address or hostname", t.text),
                        ))
                    }
                    [_, _, extra, ..] => {
                        return Err(Diagnostic::error(extra.span, "semicolon expected."))
                    }
                    _ => {
                        return Err(Diagnostic::error(
                            s.span,
                            format!("{keyword}: expected an address"),
                        ))
                    }
                };
                let first = self.addresses(t, &keyword)?.first().copied();
                if keyword == "next-server" {
                    params.next_server = first.or(params.next_server);
                } else {
                    params.server_identifier = first.or(params.server_identifier);
                }
            }
            "server-name" => params.server_name = Some(string(w, s.span)?),
            // Where options of the file's spaces go (server/dhcp.c, common/options.c
            // `cons_options`): site options as DHCP options from the space's lowest code,
            // vendor options encapsulated in option 43.
            "site-option-space" | "vendor-option-space" if w.len() == 2 => {
                let kind = server_options::kind(&keyword).unwrap_or(server_options::Kind::Text);
                server_options::check(kind, w.get(1..).unwrap_or_default(), s.span)?;
                let space = w
                    .get(1)
                    .map(|t| t.text.to_ascii_lowercase())
                    .unwrap_or_default();
                if keyword == "site-option-space" {
                    let code_min = self.definitions.site_code_min(&space);
                    params.site_option_space = Some(SiteSpace {
                        name: space,
                        code_min,
                    });
                } else {
                    params.vendor_option_space = Some(space);
                }
            }
            "filename" => params.filename = Some(string(w, s.span)?),
            // In a pool, `allow` and `deny` take permits only (server/confpars.c
            // parse_pool_statement, get_permit: "expecting permit type"); `ignore` stays a flag.
            "allow" | "deny" | "ignore" if scope == Scope::Pool => return Ok(false),
            "allow" | "deny" | "ignore"
                if w.len() == 2 && w.get(1).is_some_and(|t| t.is("bootp")) =>
            {
                params.bootp = Some(keyword == "allow");
            }
            // Whether a client updates its own A record (server/confpars.c parse_allow_deny).
            "allow" | "deny" | "ignore"
                if w.len() == 2 && w.get(1).is_some_and(|t| t.is("client-updates")) =>
            {
                params.client_updates = Some(match keyword.as_str() {
                    "allow" => ClientUpdates::Allow,
                    "deny" => ClientUpdates::Deny,
                    _ => ClientUpdates::Ignore,
                });
            }
            // DDNS settings, evaluated per client (server/ddns.c `ddns_updates`).
            k if ddns::PARAMETERS.contains(&k) => self.ddns_parameter(s, params)?,
            // Who is answered at all: enforced wherever they stand, since leaving either out
            // would serve clients the operator shut out.
            "allow" | "deny" | "ignore"
                if w.len() == 2 && w.get(1).is_some_and(|t| t.is("booting")) =>
            {
                params.booting = Some(keyword == "allow");
            }
            "allow" | "deny" | "ignore"
                if scope != Scope::Pool
                    && w.len() == 2
                    && w.get(1).is_some_and(|t| t.is("unknown-clients")) =>
            {
                params.boot_unknown_clients = Some(keyword == "allow");
            }
            // The flag forms of allow/deny (server/stables.c); `ignore` denies.
            "boot-unknown-clients"
            | "allow-bootp"
            | "allow-booting"
            | "echo-client-id"
            | "use-host-decl-names"
            | "ping-check"
            | "always-broadcast"
            | "one-lease-per-client"
            | "stash-agent-options"
            | "always-reply-rfc1048"
            | "get-lease-hostnames" => {
                let kind = server_options::kind(&keyword).unwrap_or(server_options::Kind::Flag);
                server_options::check(kind, w.get(1..).unwrap_or_default(), s.span)?;
                let value = w.get(1).map(server_options::flag).transpose()?;
                match keyword.as_str() {
                    "allow-bootp" => params.bootp = value,
                    "allow-booting" => params.booting = value,
                    "echo-client-id" => params.echo_client_id = value,
                    "use-host-decl-names" => params.use_host_decl_names = value,
                    "ping-check" => params.ping_check = value,
                    "always-broadcast" => params.always_broadcast = value,
                    "get-lease-hostnames" => params.get_lease_hostnames = value,
                    "one-lease-per-client" => params.one_lease_per_client = value,
                    "stash-agent-options" => params.stash_agent_options = value,
                    "always-reply-rfc1048" => params.always_reply_rfc1048 = value,
                    _ => params.boot_unknown_clients = value,
                }
            }
            // Times, as dhcpd reads them (server/stables.c: format `T`).
            "ping-timeout" | "ping-timeout-ms" | "ping-cltt-secs" => {
                let value = lease_time(w, s.span)?;
                match keyword.as_str() {
                    "ping-timeout" => params.ping_timeout = Some(value),
                    "ping-timeout-ms" => params.ping_timeout_ms = Some(value),
                    _ => params.ping_cltt_secs = Some(value),
                }
            }
            _ => return Ok(false),
        }
        if s.block.is_some() {
            return Err(Diagnostic::error(
                s.span,
                format!("{keyword} takes no block"),
            ));
        }
        Ok(true)
    }
}
