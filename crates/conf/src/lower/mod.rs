//! Lowering the syntax tree to the server's configuration model, scope by scope: `mod.rs`
//! walks blocks and parameters, `declarations.rs` reads hosts, classes and permits, `decls.rs`
//! holds what was declared, `build.rs` turns it into a validated `Config`.

mod build;
mod conditions;
mod ddns;
mod declarations;
mod decls;
mod executable;
mod expr;
mod failover;
mod hooks;
mod isc_format;
mod keys;
mod known;
mod matches;
mod names;
mod networks;
mod options;
mod parameters;
mod server_options;
mod statements;

use charrua_server::config::{Config, Params};

use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Severity, Sources, Span};
use crate::syntax::{Loader, Statement};
use decls::{misplaced, string, word, Body, Decls, NetworkDecl, Scope};
pub(crate) use expr::hex_bytes;
use options::Definitions;

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
    /// `lease-file-name`: the lease file (over the command line's, as in dhcpd 4.4).
    pub lease_file_name: Option<String>,
    /// `pid-file-name`: the pid file (over the command line's, as in dhcpd 4.4).
    pub pid_file_name: Option<String>,
    /// `log-facility`: the syslog facility to log to (a name of syslog(3)'s, lower case).
    pub log_facility: Option<String>,
    /// `local-port`: the port to serve on, over the command line's (server/dhcpd.c
    /// `postconf_initialization` reads it after the command line).
    pub local_port: Option<u16>,
    /// `remote-port`: the port clients are answered on.
    pub remote_port: Option<u16>,
    /// `local-address`: the address the server's UDP socket is bound to.
    pub local_address: Option<std::net::Ipv4Addr>,
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
    /// The DDNS statements read so far: server-wide settings, keys and zones.
    ddns: ddns::DdnsRead,
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
    log_facility: Option<String>,
    /// The global `abandon-lease-time` (server/dhcpd.c reads it from the global scope only).
    abandon_lease_time: Option<u32>,
    local_port: Option<u16>,
    remote_port: Option<u16>,
    local_address: Option<std::net::Ipv4Addr>,
    decls: Decls,
    /// Where declarations are, to place the model's own validation errors.
    spans: Vec<(String, Span)>,
    first_span: Span,
}

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
        ddns: ddns::DdnsRead::default(),
        failover_peers: Vec::new(),
        failover_spans: Vec::new(),
        failover_in_pools: Vec::new(),
        named_groups: std::collections::HashMap::new(),
        host_names: std::collections::HashSet::new(),
        lease_file_name: None,
        log_facility: None,
        abandon_lease_time: None,
        local_port: None,
        remote_port: None,
        local_address: None,
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
    l.check_ddns();
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
        log_facility: l.log_facility,
        local_port: l.local_port,
        remote_port: l.remote_port,
        local_address: l.local_address,
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

    /// The settings a block sets itself, its conditional statements with them, read ahead so
    /// that declarations inside it inherit them wherever they stand (ISC applies a scope's
    /// parameters to the whole scope).
    fn own_params(&mut self, statements: &[Statement], scope: Scope) -> Params {
        let saved = self.diagnostics.len();
        let mut own = Body::default();
        for s in statements {
            own.before(s);
            if matches!(s.keyword().as_str(), "if" | "elsif" | "else") {
                let _ = self.declaration(s, scope, &Params::default(), &mut own);
            } else {
                let _ = self.parameter(s, scope, &mut own.params);
            }
        }
        self.diagnostics.truncate(saved);
        own.params
    }

    /// Lowers one block. `groups` holds the settings of enclosing groups.
    fn body(&mut self, statements: &[Statement], scope: Scope, groups: &Params) -> Body {
        let mut body = Body::default();
        for s in statements {
            body.before(s);
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
        let misplaced = |what: &str| misplaced(s, scope, what);
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
            "subnet" | "shared-network" | "group" | "pool" | "range" => {
                self.network_declaration(s, scope, groups, body)?
            }
            "host" => {
                if matches!(scope, Scope::Host | Scope::Class) {
                    return Err(misplaced("host"));
                }
                self.host(s, groups)?;
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
                let subject =
                    self.expression(w.get(1..).unwrap_or_default(), s.span, expr::Kind::Any)?;
                let Some(block) = &s.block else {
                    return Err(Diagnostic::error(s.span, "left brace expected."));
                };
                let mut items = Vec::with_capacity(block.len());
                for st in block {
                    let (label, branch) = self.switch_branch(st)?;
                    let _ = self.body(std::slice::from_ref(&branch), scope, groups);
                    statements::refuse_restrictions_in(std::slice::from_ref(&branch), "switch")?;
                    items.push((label, branch));
                }
                self.switch(s, &subject, &items, scope, groups, body);
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
                // `else if` is `elsif` (common/parse.c `parse_if_statement`).
                let (keyword, skip) = match w.get(1) {
                    Some(t) if keyword == "else" && t.is("if") => ("elsif".to_string(), 2),
                    _ => (keyword, 1),
                };
                let condition = w.get(skip..).unwrap_or_default();
                let condition = (keyword != "else")
                    .then(|| self.expression(condition, s.span, expr::Kind::Boolean))
                    .transpose()?;
                let Some(block) = &s.block else {
                    return Err(Diagnostic::error(
                        s.span,
                        format!("expected '{{' after {keyword}"),
                    ));
                };
                // dhcpd checks what the branches say as it reads them (common/execute.c
                // statements in server/confpars.c parse_statement).
                let branch = self.body(block, scope, groups);
                statements::refuse_restrictions_in(block, &keyword)?;
                let lowered = condition
                    .as_ref()
                    .map(|c| conditions::condition(c, &self.definitions))
                    .transpose();
                self.conditional(s, &keyword, lowered, branch.params, body);
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
            // Read once from the top of the file (server/dhcpd.c `postconf_initialization`).
            k if ddns::SERVER_STATEMENTS.contains(&k) => self.ddns_server_statement(s, scope)?,
            // Keys and zones are the whole server's, wherever they are declared.
            "key" => {
                let key = keys::key(s)?;
                if key.hmac().is_none() {
                    self.ddns_warn(
                        s.span,
                        format!(
                            "key {}: dhcpd knows no algorithm {} (hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512): it logs \"Unable to create tsec structure for {}\" and sends the updates of zones using this key unsigned, as charruad does",
                            key.name, key.algorithm, key.name
                        ),
                    );
                }
                self.ddns.enter_key(key);
            }
            "zone" => {
                let zone = self.zone(s)?;
                self.ddns.enter_zone(zone);
            }
            // Where the lease and pid files are when the command line does not say (dhcpd's
            // -lf and -pf take precedence, as here).
            // Read from the top of the file when dhcpd starts (server/dhcpd.c
            // `postconf_initialization`); its value was checked against syslog's names above.
            "log-facility" if scope == Scope::Global && w.len() == 2 => {
                self.log_facility = w.get(1).map(|t| t.text.to_ascii_lowercase());
            }
            "lease-file-name" | "pid-file-name" if scope == Scope::Global => {
                let name = String::from_utf8_lossy(&string(w, s.span)?).into_owned();
                if keyword == "lease-file-name" {
                    self.lease_file_name = Some(name);
                } else {
                    self.pid_file_name = Some(name);
                }
            }
            // How long a declined or abandoned address stays out of use.
            "abandon-lease-time" if scope == Scope::Global => {
                self.abandon_lease_time = Some(decls::lease_time(w, s.span)?);
            }
            // The ports, read from the top of the file as dhcpd reads them.
            "local-port" | "remote-port" if scope == Scope::Global && w.len() == 2 => {
                let port = w.get(1).map(|t| server_options::number(t, 16)).transpose()?;
                let port = port.map(|p| p as u16);
                if keyword == "local-port" {
                    self.local_port = port;
                } else {
                    self.remote_port = port;
                }
            }
            // server/dhcpd.c binds its UDP socket to it (common/socket.c).
            "local-address" if scope == Scope::Global && w.len() == 2 => {
                if let Some(t) = w.get(1) {
                    self.local_address = self.addresses(t, &keyword)?.first().copied();
                }
            }
            "local-port" | "remote-port" | "local-address" => self.warn(
                s.span,
                format!("'{keyword}' is read at the top level only (as dhcpd reads it); here it changes nothing"),
            ),
            "abandon-lease-time" => self.warn(
                s.span,
                "'abandon-lease-time' is read at the top level only (as dhcpd reads it); here it changes nothing",
            ),
            "fixed-address6" | "fixed-prefix6" if scope == Scope::Host => self.warn(
                s.span,
                format!("'{keyword}' is DHCPv6: charruad serves DHCPv4, and this address is not given"),
            ),
            // Any other parameter of dhcpd's: read, not acted on.
            k if server_options::kind(k).is_some() && known::loss(k).is_none() => self.warn(
                s.span,
                format!("'{k}' is not implemented yet: dhcpd's {k} setting has no effect here"),
            ),
            "lease-file-name" | "pid-file-name" | "log-facility" => self.warn(
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
            // `set NAME = EXPRESSION;`: a variable for the request, which conditions read.
            "set" => {
                executable::check(s, scope == Scope::Global, &mut |st| {
                    self.executable_body(st, groups)
                })?;
                let name = w.get(1).map(|t| t.text.clone()).unwrap_or_default();
                let parsed = expr::parse(w.get(3..).unwrap_or_default(), s.span, expr::Kind::Any)?;
                match conditions::lower(&parsed, &self.definitions) {
                    Ok(e) => body
                        .params
                        .statements
                        .push(charrua_server::config::Statement::Variable(name, e)),
                    Err(why) => self.warn(
                        s.span,
                        format!("'set {name}' is not acted on: {why} is not evaluated yet"),
                    ),
                }
            }
            // `on commit|release|expiry { ... }`: run when a lease is acknowledged, released
            // or runs out.
            "on" => {
                // Checked as dhcpd checks it; what the body's statements would warn of as
                // scope statements is said by `on_statement` for the body.
                let said = self.diagnostics.len();
                executable::check(s, scope == Scope::Global, &mut |st| {
                    self.executable_body(st, groups)
                })?;
                let mut index = 0;
                self.diagnostics.retain(|d| {
                    index += 1;
                    index <= said || d.severity == Severity::Error
                });
                self.on_statement(s, &mut body.params);
            }
            // `log` and `execute` in a scope: run with its other statements, for each reply.
            "log" | "execute" => {
                executable::check(s, scope == Scope::Global, &mut |st| {
                    self.executable_body(st, groups)
                })?;
                match self.action(s, &keyword, &[]) {
                    Ok(Some(action)) => body
                        .params
                        .statements
                        .push(charrua_server::config::Statement::Effect(action)),
                    Ok(None) => {}
                    Err(why) => self.warn(
                        s.span,
                        format!("'{keyword}' does not run: {why} is not evaluated yet"),
                    ),
                }
            }
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
}
