//! Lowering the syntax tree to the server's configuration model, scope by scope: `mod.rs`
//! walks blocks and parameters, `declarations.rs` reads hosts, classes and permits, `decls.rs`
//! holds what was declared, `build.rs` turns it into a validated `Config`.

mod build;
mod declarations;
mod decls;
mod executable;
mod expr;
mod failover;
mod isc_format;
mod keys;
mod known;
mod names;
mod options;
mod server_options;

use charrua_server::config::{Config, Params};
use charrua_server::Ipv4Net;

use charrua_wire::{Format, Value};

use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Severity, Sources, Span};
use crate::syntax::{Loader, Statement};
use decls::{
    address, lease_time, scope_name, string, word, Body, Decls, NetworkDecl, PermitKind,
    PermitSpec, PoolDecl, Scope, SubnetDecl,
};
pub(crate) use expr::hex_bytes;
use options::{Definitions, OptionStatement};

/// The result of reading a configuration.
#[derive(Debug)]
pub struct Lowered {
    /// The configuration, when there was no error.
    pub config: Option<Config>,
    /// Errors and warnings, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read, for rendering diagnostics.
    pub sources: Sources,
    /// The names of the failover peers it declares (not acted on yet; a lease file may name
    /// only these).
    pub failover_peers: Vec<String>,
    /// `lease-file-name`: the lease file when the command line names none.
    pub lease_file_name: Option<String>,
    /// `pid-file-name`: the pid file when the command line names none.
    pub pid_file_name: Option<String>,
}

impl Lowered {
    /// The diagnostics as an operator reads them: every error, and each warning once per file
    /// with the number of times it was given there (in the order first given).
    pub fn summary(&self) -> Vec<(&Diagnostic, usize)> {
        let mut out: Vec<(&Diagnostic, usize)> = Vec::new();
        for d in &self.diagnostics {
            let same = |(seen, _): &&mut (&Diagnostic, usize)| {
                seen.severity == Severity::Warning
                    && seen.span.file == d.span.file
                    && seen.message == d.message
            };
            match out.iter_mut().find(same) {
                Some((_, count)) if d.severity == Severity::Warning => *count += 1,
                _ => out.push((d, 1)),
            }
        }
        out
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

struct Lowerer<'a> {
    sources: &'a Sources,
    /// Where host names are looked up.
    loader: &'a mut dyn Loader,
    names: names::Names,
    diagnostics: Vec<Diagnostic>,
    definitions: Definitions,
    /// The names of the `key` declarations read so far (a `zone` names one of them).
    keys: Vec<String>,
    /// The names of the failover peers declared, and where.
    failover_peers: Vec<String>,
    failover_spans: Vec<Span>,
    /// The peers pools name (dhcpd wants each declared peer in a pool).
    failover_in_pools: Vec<String>,
    /// Named groups' settings, with those of the scopes around them.
    named_groups: std::collections::HashMap<String, Params>,
    /// Host names declared so far (they share one namespace in dhcpd).
    host_names: std::collections::HashSet<String>,
    lease_file_name: Option<String>,
    pid_file_name: Option<String>,
    decls: Decls,
    /// Where declarations are, to place the model's own validation errors.
    spans: Vec<(String, Span)>,
    first_span: Span,
}

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

/// Lowers parsed statements; the configuration is built only when no error was found.
pub(crate) fn lower(
    statements: &[Statement],
    sources: Sources,
    loader: &mut dyn Loader,
) -> Lowered {
    let first_span = statements.first().map(|s| s.span).unwrap_or(Span {
        file: crate::source::FileId(0),
        offset: 0,
        len: 0,
        line: 1,
        col: 1,
    });
    let mut l = Lowerer {
        sources: &sources,
        loader,
        names: names::Names::default(),
        diagnostics: Vec::new(),
        definitions: Definitions::default(),
        keys: Vec::new(),
        failover_peers: Vec::new(),
        failover_spans: Vec::new(),
        failover_in_pools: Vec::new(),
        named_groups: std::collections::HashMap::new(),
        host_names: std::collections::HashSet::new(),
        lease_file_name: None,
        pid_file_name: None,
        decls: Decls::default(),
        spans: Vec::new(),
        first_span,
    };
    let body = l.body(statements, Scope::Global, &Params::default());
    // dhcpd's failover sanity check (server/failover.c): every peer serves some pool.
    for (peer, span) in l.failover_peers.iter().zip(&l.failover_spans) {
        if !l.failover_in_pools.contains(peer) {
            l.diagnostics.push(Diagnostic::error(
                *span,
                format!("Failover peer, {peer}, has no referring pools. You must refer to each peer in at least one pool declaration."),
            ));
        }
    }
    l.decls.global = body.params;
    for subnet in body.subnets {
        l.decls.networks.push(NetworkDecl {
            name: None,
            params: Params::default(),
            subnets: vec![subnet],
        });
    }
    let config = if l.diagnostics.iter().any(|d| d.severity == Severity::Error) {
        None
    } else {
        l.build()
    };
    Lowered {
        config,
        diagnostics: l.diagnostics,
        failover_peers: l.failover_peers,
        lease_file_name: l.lease_file_name,
        pid_file_name: l.pid_file_name,
        sources,
    }
}

impl Lowerer<'_> {
    fn warn(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::warning(span, message));
    }

    /// The addresses `t` stands for (see [`names`]).
    fn addresses(&mut self, t: &Token, what: &str) -> Result<Vec<std::net::Ipv4Addr>, Diagnostic> {
        self.names
            .addresses(t, what, &mut *self.loader, &mut self.diagnostics)
    }

    /// An `option` of an address type whose value names hosts: its addresses looked up; `None`
    /// when the option is something else (the option table reads it).
    fn option_with_host_names(
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
        Ok(Some(match (format, addresses.as_slice()) {
            (_, []) => OptionStatement::Defined,
            (Some(Format::Ip), [first, ..]) => OptionStatement::Value(code, Value::Ip(*first)),
            _ => OptionStatement::Value(code, Value::IpList(addresses)),
        }))
    }

    /// The settings a block sets itself, read ahead so that declarations inside it inherit
    /// them wherever they stand (ISC applies a scope's parameters to the whole scope).
    fn own_params(&mut self, statements: &[Statement], scope: Scope) -> Params {
        let saved = self.diagnostics.len();
        let mut params = Params::default();
        for s in statements {
            let _ = self.parameter(s, scope, &mut params);
        }
        self.diagnostics.truncate(saved);
        params
    }

    /// Lowers one block. `groups` holds the settings of enclosing groups.
    fn body(&mut self, statements: &[Statement], scope: Scope, groups: &Params) -> Body {
        let mut body = Body::default();
        for s in statements {
            match self.parameter(s, scope, &mut body.params) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(d) => {
                    self.diagnostics.push(d);
                    continue;
                }
            }
            if let Err(d) = self.declaration(s, scope, groups, &mut body) {
                self.diagnostics.push(d);
            }
        }
        body
    }

    /// `NAME = EXPRESSION;` for a parameter: dhcpd takes every server option in this form
    /// (common/parse.c parse_option_statement, `EQUAL`). A constant is the value, as if written
    /// plainly; a value computed per client is not computed yet, and the parameter is left
    /// unset.
    fn computed_parameter(
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

    /// One statement of a `switch` block: `case VALUE: STATEMENT` and `default: STATEMENT`
    /// read as one statement by the syntax (the colon is a word), split here; the statement
    /// after the colon is returned to be checked (an empty one when there is none).
    fn switch_branch(&self, st: &Statement) -> Result<Statement, Diagnostic> {
        // The lexer keeps a colon in a word (`default:`, `5:`): split it off.
        let mut w: Vec<Token> = Vec::with_capacity(st.words.len() + 1);
        for t in &st.words {
            match t.text.strip_suffix(':') {
                Some(label)
                    if t.kind == TokenKind::Atom
                        && !label.is_empty()
                        && !w.iter().any(|x| x.is(":")) =>
                {
                    let mut head = t.clone();
                    head.text = label.to_string();
                    let mut colon = t.clone();
                    colon.text = ":".into();
                    w.extend([head, colon]);
                }
                _ => w.push(t.clone()),
            }
        }
        let colon = w.iter().position(|t| t.is(":"));
        let after = match (st.keyword().as_str(), colon) {
            ("case", Some(at)) => {
                expr::parse(w.get(1..at).unwrap_or_default(), st.span, expr::Kind::Any)?;
                at + 1
            }
            ("default", Some(1)) => 2,
            ("case" | "default", _) => return Err(Diagnostic::error(st.span, "colon expected.")),
            _ => 0,
        };
        let words: Vec<_> = w.get(after..).unwrap_or_default().to_vec();
        let span = words.first().map_or(st.span, |t| t.span);
        Ok(Statement {
            words,
            block: st.block.clone(),
            span,
            end: st.end,
        })
    }

    /// An expression of the kind `want`, whose options are ones dhcpd knows (common/parse.c
    /// parse_option_name: "no option named N in space dhcp").
    fn expression(
        &self,
        tokens: &[Token],
        span: Span,
        want: expr::Kind,
    ) -> Result<expr::Expr, Diagnostic> {
        let e = expr::parse(tokens, span, want)?;
        let names = expr::option_names(&e);
        let classes = expr::checked_classes(&e);
        // ("default" is dhcpd's own collection.)
        if classes
            .iter()
            .any(|c| c != "default" && !self.decls.classes.iter().any(|d| d.name == *c))
        {
            return Err(Diagnostic::error(span, "unknown collection."));
        }
        if let Some(unknown) = names.iter().find(|n| !self.definitions.known(n)) {
            return Err(Diagnostic::error(
                span,
                match unknown.split_once('.') {
                    None => format!("no option named {unknown} in space dhcp"),
                    Some(_) => format!("unknown option {unknown}"),
                },
            ));
        }
        Ok(e)
    }

    /// The value of `NAME = EXPRESSION;` for an option or parameter: a data expression, where
    /// a number stands for one octet in hex (common/parse.c parse_cshl: `600` exceeds it).
    fn data_expression(&self, tokens: &[Token], span: Span) -> Result<expr::Expr, Diagnostic> {
        if let [t] = tokens {
            if t.kind == TokenKind::Atom
                && t.text.chars().all(|c| c.is_ascii_digit())
                && u8::from_str_radix(&t.text, 16).is_err()
            {
                return Err(Diagnostic::error(
                    t.span,
                    format!("{} exceeds max (255) for precision.", t.text),
                ));
            }
        }
        self.expression(tokens, span, expr::Kind::Data)
    }

    /// A statement in an `on` or `define` body: executable statements and parameters only
    /// (common/parse.c parse_executable_statements); checked, not kept.
    fn executable_body(&mut self, st: &Statement, groups: &Params) -> Result<(), Diagnostic> {
        let keyword = st.keyword();
        let executable = executable::KEYWORDS.contains(&keyword.as_str())
            || matches!(
                keyword.as_str(),
                "if" | "elsif" | "else" | "switch" | "add" | "break"
            )
            || keyword == "option"
            || server_options::kind(&keyword).is_some();
        if !executable {
            return Err(Diagnostic::error(st.span, "right brace expected."));
        }
        // (Read as in a group: not the top of the file, where some statements run at once.)
        let mut scratch = Body::default();
        if !self.parameter(st, Scope::Group, &mut scratch.params)? {
            self.declaration(st, Scope::Group, groups, &mut scratch)?;
        }
        Ok(())
    }

    /// A parameter statement: sets `params` and returns true; false when `s` is not one.
    fn parameter(
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
                if let Some(statement) = self.option_with_host_names(w)? {
                    if let OptionStatement::Value(code, value) = statement {
                        params.set_option(code, &value);
                    }
                    return Ok(true);
                }
                match self
                    .definitions
                    .statement(w, s.span, self.sources, scope == Scope::Global)?
                {
                    OptionStatement::Value(code, value) => params.set_option(code, &value),
                    OptionStatement::Defined => {}
                    OptionStatement::Warned(d) => self.diagnostics.push(d),
                }
            }
            "default-lease-time" => params.default_lease_time = Some(lease_time(w, s.span)?),
            "max-lease-time" => params.max_lease_time = Some(lease_time(w, s.span)?),
            "min-lease-time" => params.min_lease_time = Some(lease_time(w, s.span)?),
            "dynamic-bootp-lease-length" => params.bootp_lease_time = Some(lease_time(w, s.span)?),
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
            "filename" => params.filename = Some(string(w, s.span)?),
            // In a pool, `allow` and `deny` take permits only (server/confpars.c
            // parse_pool_statement, get_permit: "expecting permit type"); `ignore` stays a flag.
            "allow" | "deny" | "ignore" if scope == Scope::Pool => return Ok(false),
            "allow" | "deny" | "ignore"
                if w.len() == 2 && w.get(1).is_some_and(|t| t.is("bootp")) =>
            {
                params.bootp = Some(keyword == "allow");
            }
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
            "boot-unknown-clients" | "allow-bootp" | "allow-booting" => {
                let kind = server_options::kind(&keyword).unwrap_or(server_options::Kind::Flag);
                server_options::check(kind, w.get(1..).unwrap_or_default(), s.span)?;
                let value = w.get(1).map(server_options::flag).transpose()?;
                match keyword.as_str() {
                    "allow-bootp" => params.bootp = value,
                    "allow-booting" => params.booting = value,
                    _ => params.boot_unknown_clients = value,
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

    /// A declaration or another statement that is not a parameter.
    fn declaration(
        &mut self,
        s: &Statement,
        scope: Scope,
        groups: &Params,
        body: &mut Body,
    ) -> Result<(), Diagnostic> {
        let w = &s.words;
        let keyword = s.keyword();
        let misplaced = |what: &str| {
            Diagnostic::error(
                s.span,
                format!("{what} is not allowed in {}", scope_name(scope)),
            )
        };
        // A server parameter's value is read as dhcpd reads it, whether or not charruad acts
        // on the parameter.
        if let Some(kind) = server_options::kind(&keyword) {
            if w.get(1).is_some_and(|t| t.is_punct("=")) {
                let value = self.data_expression(w.get(2..).unwrap_or_default(), s.span)?;
                // dhcpd checks these two as it starts (server/dhcpd.c).
                let wanted = match keyword.as_str() {
                    "local-port" => Some((2, "invalid local port data length")),
                    "local-address" => Some((4, "invalid local address data length")),
                    _ => None,
                };
                if let (Some((length, message)), expr::Expr::Data(octets)) = (wanted, &value) {
                    if octets.len() != length {
                        return Err(Diagnostic::error(s.span, message));
                    }
                }
            } else {
                server_options::check(kind, w.get(1..).unwrap_or_default(), s.span)?;
            }
        }
        match keyword.as_str() {
            "subnet" => {
                if !matches!(scope, Scope::Global | Scope::Group | Scope::SharedNetwork) {
                    return Err(misplaced("subnet"));
                }
                let subnet = self.subnet(s, groups)?;
                body.subnets.push(subnet);
            }
            "shared-network" => {
                if !matches!(scope, Scope::Global | Scope::Group) {
                    return Err(misplaced("shared-network"));
                }
                let name = word(w, 1)
                    .map(|t| t.text.clone())
                    .ok_or_else(|| Diagnostic::error(s.span, "expected a shared-network name"))?;
                if name.is_empty() {
                    return Err(Diagnostic::error(s.span, "zero-length shared network name"));
                }
                let block = decls::block_after(s, 2)?;
                let inner = self.body(block, Scope::SharedNetwork, groups);
                if !inner.ranges.is_empty() || !inner.pools.is_empty() {
                    self.warn(s.span, "pools directly in a shared-network are not implemented yet: their addresses are not served (put them in its subnets)");
                }
                if inner.subnets.is_empty() {
                    return Err(Diagnostic::error(
                        s.end,
                        format!("shared-network {name} has no subnet (an empty shared-network declaration)"),
                    ));
                }
                let mut params = inner.params;
                params.inherit(groups);
                self.decls.networks.push(NetworkDecl {
                    name: Some(name),
                    params,
                    subnets: inner.subnets,
                });
            }
            "group" => {
                if matches!(scope, Scope::Host | Scope::Class) {
                    return Err(misplaced("group"));
                }
                let block = decls::block_after(s, w.len().min(2))?;
                let mut merged = self.own_params(block, Scope::Group);
                merged.inherit(groups);
                // A named group may be given to hosts by name (`group NAME;` in a host).
                if let Some(name) = word(w, 1) {
                    self.named_groups.insert(name.text.clone(), merged.clone());
                }
                let inner = self.body(block, Scope::Group, &merged);
                // Subnets in a group in a shared network are networks of their own, not the
                // shared network's (server/confpars.c: the group's subnets get no `share`).
                if scope == Scope::SharedNetwork {
                    for subnet in inner.subnets {
                        self.decls.networks.push(NetworkDecl {
                            name: None,
                            params: Params::default(),
                            subnets: vec![subnet],
                        });
                    }
                } else {
                    body.subnets.extend(inner.subnets);
                }
                body.ranges.extend(inner.ranges);
                body.pools.extend(inner.pools);
            }
            "host" => {
                if matches!(scope, Scope::Host | Scope::Class) {
                    return Err(misplaced("host"));
                }
                self.host(s, groups)?;
            }
            "pool" => {
                if scope != Scope::Subnet && scope != Scope::SharedNetwork {
                    return Err(misplaced("pool"));
                }
                let block = decls::block_after(s, 1)?;
                let inner = self.body(block, Scope::Pool, groups);
                let mut pool = PoolDecl {
                    params: inner.params,
                    ranges: Vec::new(),
                    allow: inner.allow,
                    deny: inner.deny,
                };
                for (a, b, bootp) in inner.ranges {
                    pool.ranges.push((a, b));
                    if bootp
                        && !pool
                            .allow
                            .contains(&PermitSpec::Kind(PermitKind::DynamicBootp))
                    {
                        pool.allow.push(PermitSpec::Kind(PermitKind::DynamicBootp));
                    }
                }
                if pool.ranges.is_empty() {
                    return Err(Diagnostic::error(
                        s.end,
                        "Pool declaration with no address range.",
                    ));
                }
                // Failover does not share BOOTP leases (server/confpars.c parse_pool_statement).
                let failover = block.iter().any(|st| st.keyword() == "failover");
                if failover && pool.allow.contains(&PermitSpec::Kind(PermitKind::DynamicBootp)) {
                    return Err(Diagnostic::error(
                        s.span,
                        "dynamic-bootp flag is not permitted for address range in a pool with a failover peer",
                    ));
                }
                // In a shared network, a pool's addresses are in a subnet declared before it
                // (server/confpars.c parse_pool_statement: "address range not on network").
                if scope == Scope::SharedNetwork {
                    let on_network = |a: std::net::Ipv4Addr| body.subnets.iter().any(|n| n.net.contains(a));
                    if let Some((a, b)) = pool.ranges.iter().find(|(a, b)| !on_network(*a) || !on_network(*b)) {
                        return Err(Diagnostic::error(
                            s.span,
                            format!("address range {a} - {b} not on network: no subnet of the shared-network declared before the pool holds it"),
                        ));
                    }
                }
                body.pools.push(pool);
            }
            "range" => {
                if !matches!(scope, Scope::Subnet | Scope::Pool) {
                    return Err(Diagnostic::error(s.span, "range declaration not allowed here."));
                }
                let bootp = word(w, 1).is_some_and(|t| t.is("dynamic-bootp"));
                let args = w.get(if bootp { 2 } else { 1 }..).unwrap_or_default();
                let (start, end) = match args {
                    [a] => (address(Some(a), s.span)?, address(Some(a), s.span)?),
                    [a, b] => (address(Some(a), s.span)?, address(Some(b), s.span)?),
                    // dhcpd wants its semicolon after the last address.
                    [_, _, extra, ..] => {
                        return Err(Diagnostic::error(extra.span, "semicolon expected."))
                    }
                    _ => {
                        return Err(Diagnostic::error(
                            s.span,
                            "expected range [dynamic-bootp] FIRST [LAST];",
                        ))
                    }
                };
                // ISC dhcpd reads a range written high to low as low to high.
                let (start, end) = if u32::from(start) > u32::from(end) {
                    self.warn(s.span, "range written high to low is read low to high; writing it the other way round is not implemented as a separate meaning");
                    (end, start)
                } else {
                    (start, end)
                };
                self.spans.push((format!("range {start}"), s.span));
                body.ranges.push((start, end, bootp));
            }
            "allow" | "deny" | "ignore" => self.permit(s, scope, body)?,
            // dhcpd takes a class declaration in any scope but a class (server/confpars.c
            // parse_statement); its members are found everywhere.
            "class" => {
                if scope == Scope::Class {
                    return Err(misplaced("class"));
                }
                self.class(s, groups)?;
            }
            "subclass" => self.subclass(s)?,
            // The old `vendor-class "NAME" { ... }` and `user-class` forms say more of a class
            // declared before (server/confpars.c parse_class_declaration).
            "vendor-class" | "user-class" => match word(w, 1) {
                Some(t) if self.decls.classes.iter().any(|c| c.name == t.text) => {
                    let mut words = w.clone();
                    if let Some(first) = words.first_mut() {
                        first.text = "class".into();
                    }
                    let as_class = Statement { words, ..s.clone() };
                    self.class(&as_class, groups)?;
                }
                Some(t) => {
                    return Err(Diagnostic::error(
                        t.span,
                        format!("no class named {}", t.text),
                    ))
                }
                None => return Err(Diagnostic::error(s.span, "Expecting class name")),
            },
            // `switch (EXPR) { case VALUE: ... default: ... }` (common/parse.c
            // parse_switch_statement): checked as dhcpd reads it, not acted on yet.
            // `switch (EXPRESSION) { ... }`: the parentheses are required.
            "switch" if !w.get(1).is_some_and(|t| t.is_punct("(")) => {
                return Err(Diagnostic::error(s.span, "expecting left brace."))
            }
            "switch" => {
                self.expression(w.get(1..).unwrap_or_default(), s.span, expr::Kind::Any)?;
                let Some(block) = &s.block else {
                    return Err(Diagnostic::error(s.span, "left brace expected."));
                };
                for st in block {
                    let branch = self.switch_branch(st)?;
                    let _ = self.body(std::slice::from_ref(&branch), scope, groups);
                    refuse_restrictions_in(std::slice::from_ref(&branch), "switch")?;
                }
                self.warn(s.span, "'switch' is parsed but conditional statements are not implemented yet; the statements inside are ignored");
            }
            // `add "CLASS";` names a class declared before it (common/parse.c, TOKEN_ADD).
            "add" => match w.as_slice() {
                [_, class] if class.kind == TokenKind::String => {
                    if !self.decls.classes.iter().any(|c| c.name == class.text) {
                        return Err(Diagnostic::error(
                            class.span,
                            format!("class {}: not found", class.text),
                        ));
                    }
                    self.warn(s.span, "'add' is parsed but not implemented yet: no client is added to the class by it");
                }
                _ => return Err(Diagnostic::error(s.span, "expecting class name.")),
            },
            "break" if w.len() == 1 => {}
            "if" | "elsif" | "else" => {
                let condition = w.get(1..).unwrap_or_default();
                if keyword != "else" {
                    self.expression(condition, s.span, expr::Kind::Boolean)?;
                }
                let Some(block) = &s.block else {
                    return Err(Diagnostic::error(
                        s.span,
                        format!("expected '{{' after {keyword}"),
                    ));
                };
                // dhcpd checks what the branches say as it reads them (common/execute.c
                // statements in server/confpars.c parse_statement): so does charruad, though it
                // does not act on them yet.
                let _ = self.body(block, scope, groups);
                refuse_restrictions_in(block, &keyword)?;
                self.warn(s.span, format!("'{keyword}' is parsed but conditional statements are not implemented yet; the statements inside are ignored"));
            }
            "hardware" | "fixed-address" | "uid" | "host-identifier" => {
                return Err(misplaced(&keyword))
            }
            "match" | "spawn" => return Err(misplaced(&keyword)),
            // `% ...;` is skipped to its semicolon: dhcpd's parse_statement keeps it for its
            // migration assistant and ignores it (server/confpars.c, case PERCENT).
            "%" => {}
            // `no failover peer` in a pool: dhcpd reads no semicolon after it (server/confpars.c
            // parse_pool_statement), so what follows is the pool's next statement, and a
            // semicolon right after it is an error.
            "no" if scope == Scope::Pool
                && w.get(1).is_some_and(|t| t.is("failover"))
                && w.get(2).is_some_and(|t| t.is("peer")) =>
            {
                let rest = w.get(3..).unwrap_or_default();
                let Some(first) = rest.first() else {
                    return Err(Diagnostic::error(
                        s.end,
                        "expecting a parameter or declaration: dhcpd takes no ';' after 'no failover peer'",
                    ));
                };
                let next = Statement {
                    words: rest.to_vec(),
                    block: s.block.clone(),
                    span: first.span,
                    end: s.end,
                };
                if !self.parameter(&next, scope, &mut body.params)? {
                    self.declaration(&next, scope, groups, body)?;
                }
            }
            // dhcpd refuses the style it dropped, once the file is read (server/dhcpd.c).
            "ddns-update-style" if word(w, 1).is_some_and(|t| t.is("ad-hoc")) => {
                return Err(Diagnostic::error(
                    s.span,
                    "ddns-update-style ad_hoc no longer supported",
                ))
            }
            // No DNS updates is what charrua does: nothing to say.
            "ddns-update-style" if word(w, 1).is_some_and(|t| t.is("none")) => {}
            "ddns-updates" if word(w, 1).is_some_and(|t| t.is("off") || t.is("false")) => {}
            "ddns-update-style" | "ddns-updates" => self.warn(
                s.span,
                format!(
                    "'{}': charrua does not update DNS yet; leases are not registered in DNS",
                    w.iter()
                        .map(|t| t.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ),
            "key" => {
                let name = keys::key(s)?;
                self.keys.push(name);
                self.warn(s.span, "'key': charrua takes no OMAPI connections and does not update DNS yet; keys are not used");
            }
            "zone" => {
                keys::zone(s, &self.keys)?;
                self.warn(s.span, "'zone': charrua does not update DNS yet; leases are not registered in DNS");
            }
            // Where the lease and pid files are when the command line does not say (dhcpd's
            // -lf and -pf take precedence, as here).
            "lease-file-name" | "pid-file-name" if scope == Scope::Global => {
                let name = String::from_utf8_lossy(&string(w, s.span)?).into_owned();
                if keyword == "lease-file-name" {
                    self.lease_file_name = Some(name);
                } else {
                    self.pid_file_name = Some(name);
                }
            }
            "fixed-address6" | "fixed-prefix6" if scope == Scope::Host => self.warn(
                s.span,
                format!("'{keyword}' is DHCPv6: charruad serves DHCPv4, and this address is not given"),
            ),
            // Any other parameter of dhcpd's: read, not acted on.
            k if server_options::kind(k).is_some() && known::loss(k).is_none() => self.warn(
                s.span,
                format!("'{k}' is not implemented yet: dhcpd's {k} setting has no effect here"),
            ),
            "lease-file-name" | "pid-file-name" => self.warn(
                s.span,
                format!("'{keyword}' is read at the top level only; here it changes nothing"),
            ),
            // `supersede NAME VALUE;` is the option statement (what `option` does in a server).
            "supersede" => {
                let mut words = w.clone();
                if let Some(first) = words.first_mut() {
                    first.text = "option".into();
                }
                let statement = Statement {
                    words,
                    block: None,
                    span: s.span,
                    end: s.end,
                };
                if !self.parameter(&statement, scope, &mut body.params)? {
                    return Err(Diagnostic::error(s.span, "expecting an option name"));
                }
            }
            "db-time-format" if !matches!(w.as_slice(), [_, v] if v.is("local") || v.is("default")) => {
                return Err(Diagnostic::error(s.span, "Expecting 'local' or 'default'."))
            }
            // server/confpars.c parse_lease_id_format.
            "lease-id-format" => match w.as_slice() {
                [_, v] if v.is("octal") => {}
                [_, v] if v.is("hex") => self.warn(s.span, "'lease-id-format hex' is not implemented yet: client identifiers are written in the lease file in dhcpd's default (octal) form"),
                _ => return Err(Diagnostic::error(s.span, "lease-id-format is invalid: expecting octal or hex")),
            },
            k if executable::KEYWORDS.contains(&k) => {
                executable::check(s, scope == Scope::Global, &mut |st| {
                    self.executable_body(st, groups)
                })?;
                let loss = known::loss(k).unwrap_or_default();
                self.warn(s.span, format!("'{k}' is not implemented yet: {loss}"));
            }
            "failover" if scope == Scope::Pool => {
                let peer = failover::pool_reference(s, &self.failover_peers)?;
                self.failover_in_pools.push(peer);
            }
            "failover" if !matches!(scope, Scope::Global | Scope::SharedNetwork) => {
                return Err(Diagnostic::error(
                    s.span,
                    "failover peers may only be defined in shared-network declarations and the outer scope.",
                ))
            }
            "failover" => {
                let done =
                    failover::statement(s, scope == Scope::SharedNetwork, &self.failover_peers)?;
                if let failover::Failover::Declared(name) = done {
                    self.failover_peers.push(name);
                    self.failover_spans.push(s.span);
                    let loss = known::loss("failover").unwrap_or_default();
                    self.warn(
                        s.span,
                        format!("'failover peer' is not implemented yet: {loss}"),
                    );
                }
            }
            k if known::loss(k).is_some() => {
                // One message per keyword, so that repeats are summarized together.
                let loss = known::loss(k).unwrap_or_default();
                self.warn(s.span, format!("'{k}' is not implemented yet: {loss}"));
            }
            "" => {}
            // `interface NAME;` ties a shared network to an interface; charruad serves the
            // interfaces with an address in a declared subnet (or those named on its command
            // line), which is the same link.
            // dhcpd reads `interface` in a shared-network or subnet only (server/confpars.c
            // parse_shared_net_declaration, parse_subnet_declaration).
            "interface" if !matches!(scope, Scope::Subnet | Scope::SharedNetwork) => {
                return Err(Diagnostic::error(
                    s.span,
                    "expecting a parameter or declaration: 'interface' belongs in a subnet or shared-network",
                ))
            }
            "interface" if w.len() == 2 && s.block.is_none() => {
                if std::mem::replace(&mut body.interface, true) {
                    return Err(Diagnostic::error(
                        s.span,
                        "a subnet or shared network can't be connected to two interfaces",
                    ));
                }
            }
            // A bare name, or `NAME = value`, is an expression statement to dhcpd (it evaluates
            // the variable or sets it, and does nothing else): often a typo.
            // (A number is no name: `42;` is an error to dhcpd.)
            _ if s.block.is_none()
                && word(w, 0).is_some_and(|t| {
                    t.kind == TokenKind::Atom && !t.text.starts_with(|c: char| c.is_ascii_digit())
                })
                && (w.len() == 1
                    || w.get(1).is_some_and(|t| t.is_punct("=") || t.is_punct("("))) =>
            {
                self.warn(
                    s.span,
                    format!(
                        "'{keyword}' is no dhcpd.conf statement: dhcpd reads it as an expression and does nothing with it (a typo?); neither does charruad"
                    ),
                );
            }
            _ => {
                let t = word(w, 0).map_or(s.span, |t| t.span);
                return Err(Diagnostic::error(
                    t,
                    format!(
                        "unknown statement {:?}",
                        w.first().map(|t| t.text.as_str()).unwrap_or("")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `subnet A netmask M { ... }`
    fn subnet(&mut self, s: &Statement, groups: &Params) -> Result<SubnetDecl, Diagnostic> {
        let w = &s.words;
        if !(w.len() == 4 && w.get(2).is_some_and(|t| t.is("netmask"))) {
            return Err(Diagnostic::error(
                s.span,
                "expected subnet ADDRESS netmask MASK {",
            ));
        }
        let network = address(word(w, 1), s.span)?;
        let mask = address(word(w, 3), s.span)?;
        let net = Ipv4Net::with_netmask(network, mask)
            .map_err(|e| Diagnostic::error(s.span, e.to_string()))?;
        let block = s
            .block
            .as_deref()
            .ok_or_else(|| Diagnostic::error(s.span, "expected '{' after the netmask"))?;
        self.spans.push((format!("subnet {net}"), s.span));
        let inner = self.body(block, Scope::Subnet, groups);
        let mut params = inner.params;
        params.inherit(groups);
        let mut ranges = Vec::new();
        let mut pools = inner.pools;
        for (a, b, bootp) in inner.ranges {
            if bootp {
                pools.push(PoolDecl {
                    ranges: vec![(a, b)],
                    allow: vec![PermitSpec::Kind(PermitKind::DynamicBootp)],
                    ..PoolDecl::default()
                });
            } else {
                ranges.push((a, b));
            }
        }
        Ok(SubnetDecl {
            net,
            params,
            ranges,
            pools,
        })
    }
}

/// Whether `st` restricts who is answered or given an address (`deny`/`ignore` of booting,
/// BOOTP or unknown clients, their flag forms set false): leaving such a statement out would
/// serve clients the operator shut out.
pub(super) fn restricts_access(st: &Statement) -> bool {
    let w = &st.words;
    let keyword = st.keyword();
    let subject = |t: Option<&Token>| {
        t.is_some_and(|t| t.is("booting") || t.is("bootp") || t.is("unknown-clients"))
    };
    let off = |t: Option<&Token>| t.is_some_and(|t| t.is("false") || t.is("off") || t.is("ignore"));
    match keyword.as_str() {
        "deny" | "ignore" => subject(w.get(1)),
        "allow-booting" | "allow-bootp" | "boot-unknown-clients" => off(w.get(1)),
        _ => st.block.iter().flatten().any(restricts_access),
    }
}

/// Fail closed: charruad does not evaluate conditional statements yet, so one that restricts
/// access inside a conditional is refused rather than ignored.
fn refuse_restrictions_in(block: &[Statement], keyword: &str) -> Result<(), Diagnostic> {
    match block.iter().find(|st| restricts_access(st)) {
        Some(st) => Err(Diagnostic::error(
            st.span,
            format!("this restricts who is served inside '{keyword}', which charruad does not evaluate yet: the configuration is refused rather than serve clients it shuts out"),
        )),
        None => Ok(()),
    }
}
