//! Lowering the syntax tree to the server's configuration model, scope by scope.

mod expr;
mod known;
mod options;

use std::net::Ipv4Addr;

use charrua_server::config::{Config, ConfigBuilder, ConfigError, Match, Params, ScopeBuilder};
use charrua_server::Ipv4Net;
use charrua_wire::OptionCode;

use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Severity, Sources, Span};
use crate::syntax::Statement;
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
}

impl Lowered {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Which scope a statement appears in; decides what it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Global,
    Group,
    SharedNetwork,
    Subnet,
    Pool,
    Host,
    Class,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PermitKind {
    Known,
    Unknown,
    DynamicBootp,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PermitSpec {
    Kind(PermitKind),
    Class(String),
}

#[derive(Debug, Default)]
struct PoolDecl {
    params: Params,
    ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    allow: Vec<PermitSpec>,
    deny: Vec<PermitSpec>,
}

#[derive(Debug)]
struct SubnetDecl {
    net: Ipv4Net,
    params: Params,
    ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    pools: Vec<PoolDecl>,
}

#[derive(Debug)]
struct NetworkDecl {
    /// `None` for a subnet declared outside any shared-network.
    name: Option<String>,
    params: Params,
    subnets: Vec<SubnetDecl>,
}

#[derive(Debug, Default)]
struct HostDecl {
    name: String,
    hardware: Option<(u8, Vec<u8>)>,
    client_id: Option<Vec<u8>>,
    fixed: Vec<Ipv4Addr>,
    params: Params,
}

#[derive(Debug)]
struct ClassDecl {
    name: String,
    condition: Option<Match>,
    /// `match option NAME;`: subclasses add values of this option.
    spawn_option: Option<OptionCode>,
    params: Params,
    span: Span,
}

/// Everything the file declares, before it becomes a `Config`.
#[derive(Debug, Default)]
struct Decls {
    global: Params,
    networks: Vec<NetworkDecl>,
    hosts: Vec<HostDecl>,
    classes: Vec<ClassDecl>,
}

/// What one scope's block holds.
#[derive(Debug, Default)]
struct Body {
    params: Params,
    ranges: Vec<(Ipv4Addr, Ipv4Addr, bool)>,
    pools: Vec<PoolDecl>,
    subnets: Vec<SubnetDecl>,
    allow: Vec<PermitSpec>,
    deny: Vec<PermitSpec>,
}

struct Lowerer<'a> {
    sources: &'a Sources,
    diagnostics: Vec<Diagnostic>,
    definitions: Definitions,
    decls: Decls,
    /// Where declarations are, to place the model's own validation errors.
    spans: Vec<(String, Span)>,
    first_span: Span,
}

/// Lowers parsed statements; the configuration is built only when no error was found.
pub(crate) fn lower(statements: &[Statement], sources: Sources) -> Lowered {
    let first_span = statements.first().map(|s| s.span).unwrap_or(Span {
        file: crate::source::FileId(0),
        offset: 0,
        len: 0,
        line: 1,
        col: 1,
    });
    let mut l = Lowerer {
        sources: &sources,
        diagnostics: Vec::new(),
        definitions: Definitions::default(),
        decls: Decls::default(),
        spans: Vec::new(),
        first_span,
    };
    let body = l.body(statements, Scope::Global, &Params::default());
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
    let diagnostics = l.diagnostics;
    Lowered {
        config,
        diagnostics,
        sources,
    }
}

fn word(words: &[Token], i: usize) -> Option<&Token> {
    words.get(i)
}

/// One value word: an address.
fn address(t: Option<&Token>, span: Span) -> Result<Ipv4Addr, Diagnostic> {
    let t = t.ok_or_else(|| Diagnostic::error(span, "expected an IPv4 address"))?;
    t.text.parse().map_err(|_| {
        Diagnostic::error(
            t.span,
            format!("expected an IPv4 address, found {:?}", t.text),
        )
    })
}

/// A string or colon-separated hex, as `uid` and `dhcp-client-identifier` take.
fn data(t: Option<&Token>, span: Span) -> Result<Vec<u8>, Diagnostic> {
    let t = t.ok_or_else(|| Diagnostic::error(span, "expected a string or colon-separated hex"))?;
    match t.kind {
        TokenKind::String => Ok(t.bytes.clone()),
        _ => hex_bytes(&t.text).ok_or_else(|| {
            Diagnostic::error(
                t.span,
                format!(
                    "expected a string or colon-separated hex, found {:?}",
                    t.text
                ),
            )
        }),
    }
}

fn number(words: &[Token], span: Span) -> Result<u32, Diagnostic> {
    match words {
        [_, t] => t.text.parse().map_err(|_| {
            Diagnostic::error(t.span, format!("expected a number, found {:?}", t.text))
        }),
        _ => Err(Diagnostic::error(span, "expected one number")),
    }
}

fn string(words: &[Token], span: Span) -> Result<Vec<u8>, Diagnostic> {
    match words {
        [_, t] if t.kind == TokenKind::String => Ok(t.bytes.clone()),
        _ => Err(Diagnostic::error(span, "expected one quoted string")),
    }
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Global => "the global scope",
        Scope::Group => "a group",
        Scope::SharedNetwork => "a shared-network",
        Scope::Subnet => "a subnet",
        Scope::Pool => "a pool",
        Scope::Host => "a host",
        Scope::Class => "a class",
    }
}

impl Lowerer<'_> {
    fn warn(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::warning(span, message));
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

    /// A parameter statement: sets `params` and returns true; false when `s` is not one.
    fn parameter(
        &mut self,
        s: &Statement,
        scope: Scope,
        params: &mut Params,
    ) -> Result<bool, Diagnostic> {
        let w = &s.words;
        let keyword = s.keyword();
        match keyword.as_str() {
            "option" => {
                if scope == Scope::Host && w.get(1).is_some_and(|t| t.is("dhcp-client-identifier"))
                {
                    return Ok(false);
                }
                match self.definitions.statement(w, s.span, self.sources)? {
                    OptionStatement::Value(code, value) => params.set_option(code, &value),
                    OptionStatement::Defined => {}
                    OptionStatement::Warned(d) => self.diagnostics.push(d),
                }
            }
            "default-lease-time" => params.default_lease_time = Some(number(w, s.span)?),
            "max-lease-time" => params.max_lease_time = Some(number(w, s.span)?),
            "min-lease-time" => params.min_lease_time = Some(number(w, s.span)?),
            "dynamic-bootp-lease-length" => params.bootp_lease_time = Some(number(w, s.span)?),
            "authoritative" if w.len() == 1 => params.authoritative = Some(true),
            "not" if w.len() == 2 && w.get(1).is_some_and(|t| t.is("authoritative")) => {
                params.authoritative = Some(false)
            }
            "server-identifier" => params.server_identifier = Some(address(word(w, 1), s.span)?),
            "next-server" => params.next_server = Some(address(word(w, 1), s.span)?),
            "server-name" => params.server_name = Some(string(w, s.span)?),
            "filename" => params.filename = Some(string(w, s.span)?),
            "allow" | "deny" | "ignore"
                if w.len() == 2 && w.get(1).is_some_and(|t| t.is("bootp")) =>
            {
                params.bootp = Some(keyword == "allow");
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
                let block = s.block.as_deref().ok_or_else(|| {
                    Diagnostic::error(s.span, "expected '{' after the shared-network name")
                })?;
                let inner = self.body(block, Scope::SharedNetwork, groups);
                if !inner.ranges.is_empty() || !inner.pools.is_empty() {
                    self.warn(s.span, "ranges and pools directly in a shared-network are not implemented yet; put them in its subnets");
                }
                if inner.subnets.is_empty() {
                    return Err(Diagnostic::error(
                        s.span,
                        format!("shared-network {name} has no subnet"),
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
                if matches!(scope, Scope::Pool | Scope::Host | Scope::Class) {
                    return Err(misplaced("group"));
                }
                let block = s
                    .block
                    .as_deref()
                    .ok_or_else(|| Diagnostic::error(s.span, "expected '{' after group"))?;
                let mut merged = self.own_params(block, Scope::Group);
                merged.inherit(groups);
                let inner = self.body(block, Scope::Group, &merged);
                body.subnets.extend(inner.subnets);
                body.ranges.extend(inner.ranges);
                body.pools.extend(inner.pools);
            }
            "host" => {
                if matches!(scope, Scope::Pool | Scope::Host | Scope::Class) {
                    return Err(misplaced("host"));
                }
                self.host(s, groups)?;
            }
            "pool" => {
                if scope != Scope::Subnet && scope != Scope::SharedNetwork {
                    return Err(misplaced("pool"));
                }
                let block = s
                    .block
                    .as_deref()
                    .ok_or_else(|| Diagnostic::error(s.span, "expected '{' after pool"))?;
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
                    self.warn(s.span, "pool without a range");
                }
                body.pools.push(pool);
            }
            "range" => {
                if !matches!(scope, Scope::Subnet | Scope::Pool | Scope::SharedNetwork) {
                    return Err(misplaced("range"));
                }
                let bootp = word(w, 1).is_some_and(|t| t.is("dynamic-bootp"));
                let args = w.get(if bootp { 2 } else { 1 }..).unwrap_or_default();
                let (start, end) = match args {
                    [a] => (address(Some(a), s.span)?, address(Some(a), s.span)?),
                    [a, b] => (address(Some(a), s.span)?, address(Some(b), s.span)?),
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
            "class" => {
                if !matches!(scope, Scope::Global | Scope::Group) {
                    return Err(misplaced("class"));
                }
                self.class(s, groups)?;
            }
            "subclass" => self.subclass(s)?,
            "if" | "elsif" | "else" => {
                let condition = w.get(1..).unwrap_or_default();
                if keyword != "else" {
                    expr::parse(condition, s.span)?;
                }
                if s.block.is_none() {
                    return Err(Diagnostic::error(
                        s.span,
                        format!("expected '{{' after {keyword}"),
                    ));
                }
                self.warn(s.span, format!("'{keyword}' is parsed but conditional statements are not implemented yet; the statements inside are ignored"));
            }
            "hardware" | "fixed-address" | "uid" | "host-identifier" => {
                return Err(misplaced(&keyword))
            }
            "match" | "spawn" => return Err(misplaced(&keyword)),
            k if known::WARNED.contains(&k)
                || (k == "failover" && word(w, 1).is_some_and(|t| t.is("peer"))) =>
            {
                self.warn(
                    s.span,
                    format!(
                        "'{}' is parsed but not implemented yet",
                        w.iter()
                            .take(2)
                            .map(|t| t.text.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                );
            }
            "" => {}
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

    /// `host NAME { ... }`
    fn host(&mut self, s: &Statement, groups: &Params) -> Result<(), Diagnostic> {
        let name = word(&s.words, 1)
            .map(|t| t.text.clone())
            .ok_or_else(|| Diagnostic::error(s.span, "expected a host name"))?;
        let block = s
            .block
            .as_deref()
            .ok_or_else(|| Diagnostic::error(s.span, "expected '{' after the host name"))?;
        let mut host = HostDecl {
            name: name.clone(),
            ..HostDecl::default()
        };
        for st in block {
            let w = &st.words;
            let result = match st.keyword().as_str() {
                "hardware" => match w.as_slice() {
                    [_, kind, addr] => {
                        let htype = match kind.text.to_ascii_lowercase().as_str() {
                            "ethernet" => 1,
                            "token-ring" => 6,
                            "fddi" => 8,
                            "infiniband" => 32,
                            _ => {
                                return Err(Diagnostic::error(
                                    kind.span,
                                    format!("unknown hardware type {:?}", kind.text),
                                ))
                            }
                        };
                        data(Some(addr), st.span).map(|bytes| host.hardware = Some((htype, bytes)))
                    }
                    _ => Err(Diagnostic::error(
                        st.span,
                        "expected hardware TYPE ADDRESS;",
                    )),
                },
                "fixed-address" => {
                    for t in w.iter().skip(1).filter(|t| !t.is_punct(",")) {
                        match t.text.parse() {
                            Ok(addr) => host.fixed.push(addr),
                            Err(_) => self.warn(t.span, format!("fixed-address {:?} is a host name; only literal addresses are used", t.text)),
                        }
                    }
                    Ok(())
                }
                "uid" => data(word(w, 1), st.span).map(|id| host.client_id = Some(id)),
                "option" if w.get(1).is_some_and(|t| t.is("dhcp-client-identifier")) => {
                    data(word(w, 2), st.span).map(|id| host.client_id = Some(id))
                }
                "host-identifier" => match w.as_slice() {
                    [_, o, n, v] if o.is("option") && n.is("dhcp-client-identifier") => {
                        data(Some(v), st.span).map(|id| host.client_id = Some(id))
                    }
                    _ => {
                        self.warn(
                            st.span,
                            "host-identifier with this option is not implemented yet",
                        );
                        Ok(())
                    }
                },
                _ => match self.parameter(st, Scope::Host, &mut host.params) {
                    Ok(true) => Ok(()),
                    Ok(false) => {
                        let mut ignored = Body::default();
                        self.declaration(st, Scope::Host, groups, &mut ignored)
                    }
                    Err(d) => Err(d),
                },
            };
            if let Err(d) = result {
                self.diagnostics.push(d);
            }
        }
        if host.hardware.is_none() && host.client_id.is_none() {
            self.warn(s.span, format!("host {name} has no hardware address or client identifier; it matches no client"));
            return Ok(());
        }
        host.params.inherit(groups);
        self.spans.push((format!("host {name}"), s.span));
        self.decls.hosts.push(host);
        Ok(())
    }

    /// `allow`/`deny`/`ignore` with a permit.
    fn permit(&mut self, s: &Statement, scope: Scope, body: &mut Body) -> Result<(), Diagnostic> {
        let w: Vec<String> = s
            .words
            .iter()
            .map(|t| t.text.to_ascii_lowercase())
            .collect();
        let allow = w.first().is_some_and(|k| k == "allow");
        let rest: Vec<&str> = w.iter().skip(1).map(String::as_str).collect();
        let spec = match rest.as_slice() {
            ["known-clients"] | ["known", "clients"] => Some(PermitSpec::Kind(PermitKind::Known)),
            ["unknown-clients"] | ["unknown", "clients"] => {
                Some(PermitSpec::Kind(PermitKind::Unknown))
            }
            ["dynamic", "bootp", "clients"] => Some(PermitSpec::Kind(PermitKind::DynamicBootp)),
            ["all", "clients"] => Some(PermitSpec::Kind(PermitKind::All)),
            ["members", "of", _] => s.words.get(3).map(|t| PermitSpec::Class(t.text.clone())),
            ["booting" | "duplicates" | "declines" | "client-updates" | "leasequery"
            | "authenticated" | "unauthenticated"]
            | ["authenticated" | "unauthenticated", "clients"]
            | ["after", ..] => None,
            _ => {
                return Err(Diagnostic::error(
                    s.span,
                    format!("unknown permit: {}", rest.join(" ")),
                ))
            }
        };
        match (scope, spec) {
            (Scope::Pool, Some(spec)) => {
                if allow {
                    body.allow.push(spec)
                } else {
                    body.deny.push(spec)
                }
            }
            (_, Some(PermitSpec::Kind(PermitKind::Unknown))) if !allow => self.warn(
                s.span,
                "deny unknown-clients outside a pool is not implemented yet; put it in the pools",
            ),
            _ => self.warn(
                s.span,
                format!("'{}' is parsed but not implemented yet here", w.join(" ")),
            ),
        }
        Ok(())
    }

    /// `class "NAME" { match if EXPR; ... }`
    fn class(&mut self, s: &Statement, groups: &Params) -> Result<(), Diagnostic> {
        let name = match word(&s.words, 1) {
            Some(t) => t.text.clone(),
            None => return Err(Diagnostic::error(s.span, "expected a class name")),
        };
        let block = s
            .block
            .as_deref()
            .ok_or_else(|| Diagnostic::error(s.span, "expected '{' after the class name"))?;
        let mut class = ClassDecl {
            name: name.clone(),
            condition: None,
            spawn_option: None,
            params: Params::default(),
            span: s.span,
        };
        for st in block {
            let w = &st.words;
            let result = match st.keyword().as_str() {
                "match" if w.get(1).is_some_and(|t| t.is("if")) => {
                    let e = expr::parse(w.get(2..).unwrap_or_default(), st.span)?;
                    match expr::to_match(&e) {
                        Some(m) => class.condition = Some(m),
                        None => self.warn(st.span, format!("class {name}: this match expression is not implemented yet; the class matches no client")),
                    }
                    Ok(())
                }
                "match" => {
                    match w.as_slice() {
                        [_, o, n] if o.is("option") => match self.definitions.code(&n.text) {
                            Some(code) => {
                                class.spawn_option = Some(code);
                                Ok(())
                            }
                            None => Err(Diagnostic::error(
                                n.span,
                                format!("unknown option {:?}", n.text),
                            )),
                        },
                        _ => {
                            let e = expr::parse(w.get(1..).unwrap_or_default(), st.span)?;
                            let _ = e;
                            self.warn(st.span, format!("class {name}: matching on this expression is not implemented yet"));
                            Ok(())
                        }
                    }
                }
                "spawn" | "lease" => {
                    self.warn(
                        st.span,
                        format!(
                            "class {name}: '{}' is parsed but not implemented yet",
                            w.iter()
                                .take(2)
                                .map(|t| t.text.as_str())
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    );
                    Ok(())
                }
                _ => match self.parameter(st, Scope::Class, &mut class.params) {
                    Ok(true) => Ok(()),
                    Ok(false) => {
                        let mut ignored = Body::default();
                        self.declaration(st, Scope::Class, groups, &mut ignored)
                    }
                    Err(d) => Err(d),
                },
            };
            if let Err(d) = result {
                self.diagnostics.push(d);
            }
        }
        if self.decls.classes.iter().any(|c| c.name == name) {
            return Err(Diagnostic::error(
                s.span,
                format!("class {name:?} is declared twice"),
            ));
        }
        class.params.inherit(groups);
        self.spans.push((format!("class {name}"), s.span));
        self.decls.classes.push(class);
        Ok(())
    }

    /// `subclass "NAME" VALUE [{ ... }];`
    fn subclass(&mut self, s: &Statement) -> Result<(), Diagnostic> {
        let (name, value) = match s.words.as_slice() {
            [_, n, v] => (n.text.clone(), data(Some(v), s.span)?),
            _ => {
                return Err(Diagnostic::error(
                    s.span,
                    "expected subclass \"CLASS\" VALUE;",
                ))
            }
        };
        let class = self.decls.classes.iter_mut().find(|c| c.name == name);
        let class = class.ok_or_else(|| {
            Diagnostic::error(s.span, format!("subclass of unknown class {name:?}"))
        })?;
        let Some(code) = class.spawn_option else {
            self.warn(
                s.span,
                format!("subclass of {name:?}, whose match is not implemented yet, is ignored"),
            );
            return Ok(());
        };
        let member = Match::Option { code, value };
        class.condition = Some(match class.condition.take() {
            Some(Match::Any(mut members)) => {
                members.push(member);
                Match::Any(members)
            }
            _ => Match::Any(vec![member]),
        });
        if s.block.is_some() {
            self.warn(
                s.span,
                "settings in a subclass block are not implemented yet",
            );
        }
        Ok(())
    }

    /// What ISC dhcpd accepts but the model refuses, made acceptable the way that keeps the
    /// server safe, each with a warning: minimum lease times above the maximum are dropped,
    /// hosts with one hardware address or client identifier are merged, and a fixed address
    /// inside a dynamic range is cut out of the range so it is never leased to anyone else.
    fn compatible(&mut self, decls: &mut Decls) {
        let first = self.first_span;
        let mut all_params: Vec<&mut Params> = vec![&mut decls.global];
        for n in &mut decls.networks {
            all_params.push(&mut n.params);
            for sub in &mut n.subnets {
                all_params.push(&mut sub.params);
                all_params.extend(sub.pools.iter_mut().map(|p| &mut p.params));
            }
        }
        all_params.extend(decls.hosts.iter_mut().map(|h| &mut h.params));
        all_params.extend(decls.classes.iter_mut().map(|c| &mut c.params));
        let mut dropped = 0;
        for params in all_params {
            if let (Some(min), Some(max)) = (params.min_lease_time, params.max_lease_time) {
                if min > max {
                    params.min_lease_time = None;
                    dropped += 1;
                }
            }
        }
        if dropped > 0 {
            self.warn(first, "min-lease-time above max-lease-time is ignored; such a scope has no minimum (an ordering of the two is not implemented)");
        }
        // Merge hosts that share an identity (ISC allows one host per network with one MAC).
        let mut merged: Vec<HostDecl> = Vec::new();
        for host in std::mem::take(&mut decls.hosts) {
            let same = merged.iter_mut().find(|m| {
                (m.hardware.is_some() && m.hardware == host.hardware)
                    || (m.client_id.is_some() && m.client_id == host.client_id)
            });
            match same {
                Some(m) => {
                    let span = self.span_of(&format!("host {}", host.name));
                    self.warn(span, format!("host {} has the identity of host {}; their fixed addresses are merged (separate settings per declaration are not implemented)", host.name, m.name));
                    m.fixed.extend(host.fixed);
                }
                None => merged.push(host),
            }
        }
        decls.hosts = merged;
        // Cut fixed addresses out of dynamic ranges.
        let fixed: Vec<(String, Ipv4Addr)> = decls
            .hosts
            .iter()
            .flat_map(|h| h.fixed.iter().map(move |a| (h.name.clone(), *a)))
            .collect();
        let mut warnings = Vec::new();
        for (host, addr) in fixed {
            for n in &mut decls.networks {
                for sub in &mut n.subnets {
                    let lists = std::iter::once(&mut sub.ranges)
                        .chain(sub.pools.iter_mut().map(|p| &mut p.ranges));
                    for ranges in lists {
                        if cut(ranges, addr) {
                            warnings.push((host.clone(), addr));
                        }
                    }
                }
            }
        }
        for (host, addr) in warnings {
            let span = self.span_of(&format!("host {host}"));
            self.warn(span, format!("fixed address {addr} of host {host} lies in a dynamic range; it is taken out of the range (leasing it dynamically is not implemented)"));
        }
    }

    fn span_of(&self, key: &str) -> Span {
        self.spans
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map_or(self.first_span, |(_, s)| *s)
    }

    /// Builds the model; its validation errors are placed at the declaration they name.
    fn build(&mut self) -> Option<Config> {
        let mut decls = std::mem::take(&mut self.decls);
        self.compatible(&mut decls);
        let mut b: ConfigBuilder = Config::builder().inherit(&decls.global);
        for class in &decls.classes {
            let condition = class.condition.clone().unwrap_or(Match::Any(Vec::new()));
            if class.condition.is_none() && class.spawn_option.is_none() {
                self.warn(
                    class.span,
                    format!(
                        "class {} has no match statement; it matches no client",
                        class.name
                    ),
                );
            }
            b = b.class(&class.name, condition, |c| c.inherit(&class.params));
        }
        for network in decls.networks {
            let implicit_name = network
                .subnets
                .first()
                .map(|s| s.net.to_string())
                .unwrap_or_default();
            let subnets = network.subnets;
            let add_subnets = |mut n: charrua_server::config::NetworkBuilder| {
                for subnet in subnets {
                    n = n.subnet(subnet.net, |mut sb| {
                        sb = sb.inherit(&subnet.params);
                        for (a, z) in &subnet.ranges {
                            sb = sb.range(*a, *z);
                        }
                        for pool in &subnet.pools {
                            sb = sb.pool(|mut p| {
                                p = p.inherit(&pool.params);
                                for (a, z) in &pool.ranges {
                                    p = p.range(*a, *z);
                                }
                                for (allow, specs) in [(true, &pool.allow), (false, &pool.deny)] {
                                    for spec in specs {
                                        p = match (allow, spec) {
                                            (true, PermitSpec::Kind(PermitKind::Known)) => {
                                                p.allow_known_clients()
                                            }
                                            (false, PermitSpec::Kind(PermitKind::Known)) => {
                                                p.deny_known_clients()
                                            }
                                            (true, PermitSpec::Kind(PermitKind::Unknown)) => {
                                                p.allow_unknown_clients()
                                            }
                                            (false, PermitSpec::Kind(PermitKind::Unknown)) => {
                                                p.deny_unknown_clients()
                                            }
                                            (true, PermitSpec::Kind(PermitKind::DynamicBootp)) => {
                                                p.allow_dynamic_bootp()
                                            }
                                            (false, PermitSpec::Kind(PermitKind::DynamicBootp)) => {
                                                p.deny_dynamic_bootp()
                                            }
                                            (true, PermitSpec::Kind(PermitKind::All)) => p,
                                            (false, PermitSpec::Kind(PermitKind::All)) => {
                                                p.deny_all()
                                            }
                                            (true, PermitSpec::Class(c)) => p.allow_class(c),
                                            (false, PermitSpec::Class(c)) => p.deny_class(c),
                                        };
                                    }
                                }
                                p
                            });
                        }
                        sb
                    });
                }
                n
            };
            b = match network.name {
                Some(name) => b.shared_network(&name, |n| add_subnets(n.inherit(&network.params))),
                None => b.shared_network(&implicit_name, add_subnets),
            };
        }
        for host in &decls.hosts {
            b = b.host(&host.name, |mut h| {
                if let Some((htype, addr)) = &host.hardware {
                    h = h.hardware(*htype, addr);
                }
                if let Some(id) = &host.client_id {
                    h = h.client_id(id);
                }
                for a in &host.fixed {
                    h = h.fixed_address(*a);
                }
                h.inherit(&host.params)
            });
        }
        match b.build() {
            Ok(config) => Some(config),
            Err(e) => {
                let span = match &e {
                    ConfigError::RangeReversed { start, .. }
                    | ConfigError::RangeOutsideSubnet { start, .. } => {
                        self.span_of(&format!("range {start}"))
                    }
                    ConfigError::OverlappingRanges(_, (start, _)) => {
                        self.span_of(&format!("range {start}"))
                    }
                    ConfigError::OverlappingSubnets(_, net) => {
                        self.span_of(&format!("subnet {net}"))
                    }
                    ConfigError::FixedAddressInRange { host, .. }
                    | ConfigError::HostWithoutIdentity(host) => {
                        self.span_of(&format!("host {host}"))
                    }
                    ConfigError::DuplicateHostKey { second, .. } => {
                        self.span_of(&format!("host {second}"))
                    }
                    ConfigError::DuplicateClass(name) => self.span_of(&format!("class {name}")),
                    ConfigError::UnknownClass(_) | ConfigError::LeaseTimes { .. } => {
                        self.first_span
                    }
                };
                self.diagnostics
                    .push(Diagnostic::error(span, e.to_string()));
                None
            }
        }
    }
}

/// Removes `addr` from whichever range holds it, splitting the range; returns whether it did.
fn cut(ranges: &mut Vec<(Ipv4Addr, Ipv4Addr)>, addr: Ipv4Addr) -> bool {
    let a = u32::from(addr);
    let Some(i) = ranges
        .iter()
        .position(|(s, e)| (u32::from(*s)..=u32::from(*e)).contains(&a))
    else {
        return false;
    };
    let (s, e) = ranges.remove(i);
    let (s, e) = (u32::from(s), u32::from(e));
    if s < a {
        ranges.push((Ipv4Addr::from(s), Ipv4Addr::from(a - 1)));
    }
    if a < e {
        ranges.push((Ipv4Addr::from(a + 1), Ipv4Addr::from(e)));
    }
    true
}
