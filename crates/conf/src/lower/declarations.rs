//! Hosts, permits, classes and subclasses.

use charrua_server::config::{Match, Params};

use std::collections::{BTreeMap, BTreeSet};

use super::decls::{
    data, word, Body, ClassDecl, HostDecl, PermitKind, PermitSpec, Scope, Submatch,
};
use super::expr::Kind;
use super::Lowerer;
use crate::source::Diagnostic;
use crate::syntax::Statement;

impl Lowerer<'_> {
    /// `host NAME { ... }`
    pub(super) fn host(&mut self, s: &Statement, groups: &Params) -> Result<(), Diagnostic> {
        // server/confpars.c parse_host_declaration: a name, not a string.
        let name = match word(&s.words, 1) {
            Some(t) if t.kind == crate::lexer::TokenKind::Atom => t.text.clone(),
            _ => {
                return Err(Diagnostic::error(
                    s.span,
                    "expecting a name for host declaration.",
                ))
            }
        };
        let block = super::decls::block_after(s, 2)?;
        // `deleted;` removes the host of that name (server/confpars.c parse_host_declaration,
        // as OMAPI writes it).
        if block.iter().any(|st| st.keyword() == "deleted") {
            self.host_names.remove(&name);
            self.decls.hosts.retain(|h| h.name != name);
            return Ok(());
        }
        // server/mdb.c enter_host: one host of a name.
        // (dhcpd finds it once the declaration is read, at its closing brace.)
        if !self.host_names.insert(name.clone()) {
            return Err(Diagnostic::error(
                s.end,
                format!("host {name}: already exists"),
            ));
        }
        let mut host = HostDecl {
            name: name.clone(),
            ..HostDecl::default()
        };
        let mut groups = groups.clone();
        let (mut uid_given, mut fixed_given, mut identifier_given) = (false, false, false);
        // What the host's other statements make: its conditional statements.
        let mut rest = Body::default();
        for st in block {
            rest.before(st);
            let w = &st.words;
            let result = match st.keyword().as_str() {
                "hardware" if host.hardware.is_some() => Err(Diagnostic::error(
                    st.span,
                    format!("Host {name} hardware address already configured."),
                )),
                "hardware" => self.hardware(st).map(|hw| host.hardware = hw),
                "fixed-address" if std::mem::replace(&mut fixed_given, true) => Err(
                    Diagnostic::error(st.span, "Only one fixed address declaration per host."),
                ),
                "fixed-address" => self.fixed_addresses(st).map(|a| host.fixed.extend(a)),
                "uid" if std::mem::replace(&mut uid_given, true) => Err(Diagnostic::error(
                    st.span,
                    format!("Host '{name}' already has a uid"),
                )),
                "uid" => data(word(w, 1), st.span).map(|id| host.client_id = Some(id)),
                "option" if w.get(1).is_some_and(|t| t.is("dhcp-client-identifier")) => {
                    data(word(w, 2), st.span).map(|id| host.client_id = Some(id))
                }
                "host-identifier" if std::mem::replace(&mut identifier_given, true) => Err(
                    Diagnostic::error(st.span, "only one host-identifier allowed per host"),
                ),
                "host-identifier" => self.host_identifier(st, &mut host),
                // Marks a host made over OMAPI; nothing to act on.
                "dynamic" if w.len() == 1 => Ok(()),
                // `group NAME;`: the host takes a named group's settings (server/confpars.c).
                "group" if st.block.is_none() => match w.as_slice() {
                    [_, g] => match self.named_groups.get(&g.text) {
                        Some(params) => {
                            groups = params.clone();
                            Ok(())
                        }
                        None => Err(Diagnostic::error(
                            g.span,
                            format!("unknown group {} in host {name}", g.text),
                        )),
                    },
                    _ => Err(Diagnostic::error(
                        st.span,
                        "expecting string or identifier.",
                    )),
                },
                _ => match self.parameter(st, Scope::Host, &mut host.params) {
                    Ok(true) => Ok(()),
                    Ok(false) => self.declaration(st, Scope::Host, &groups, &mut rest),
                    Err(d) => Err(d),
                },
            };
            if let Err(d) = result {
                self.diagnostics.push(d);
            }
        }
        host.params.statements.append(&mut rest.params.statements);
        let groups = &groups;
        if host.hardware.is_none() && host.client_id.is_none() {
            self.warn(s.span, format!("host {name} has no hardware address or client identifier; it matches no client"));
            return Ok(());
        }
        host.params.inherit(groups);
        self.spans.push((format!("host {name}"), s.span));
        self.decls.hosts.push(host);
        Ok(())
    }

    /// `hardware TYPE [ADDRESS];` (server/confpars.c parse_hardware_param: at most 20 octets;
    /// dhcpd takes a type without an address, which matches no client).
    fn hardware(&mut self, st: &Statement) -> Result<Option<(u8, Vec<u8>)>, Diagnostic> {
        let w = &st.words;
        let Some(kind) = w.get(1) else {
            return Err(Diagnostic::error(
                st.span,
                "expected hardware TYPE ADDRESS;",
            ));
        };
        let Some(htype) = crate::hardware::type_of(&kind.text) else {
            return Err(Diagnostic::error(
                kind.span,
                format!("unknown hardware type {:?}", kind.text),
            ));
        };
        match w.get(2..).unwrap_or_default() {
            [] => Ok(None),
            [addr] => {
                let bytes = data(Some(addr), st.span)?;
                if bytes.len() > 20 {
                    return Err(Diagnostic::error(addr.span, "hardware address too long"));
                }
                Ok(Some((htype, bytes)))
            }
            [_, extra, ..] => Err(Diagnostic::error(extra.span, "semicolon expected.")),
        }
    }

    /// `fixed-address A[, B...];`: addresses or host names, separated by commas.
    fn fixed_addresses(&mut self, st: &Statement) -> Result<Vec<std::net::Ipv4Addr>, Diagnostic> {
        let values = st.words.get(1..).unwrap_or_default();
        let mut out = Vec::new();
        for (i, t) in values.iter().enumerate() {
            let want_address = i % 2 == 0;
            match (want_address, t.is_punct(",")) {
                (true, false) => out.extend(self.addresses(t, "fixed-address")?),
                (false, true) => {}
                (true, true) | (false, false) => {
                    return Err(Diagnostic::error(
                        t.span,
                        "expecting IP address or hostname",
                    ))
                }
            }
        }
        if values.is_empty() || values.len() % 2 == 0 {
            return Err(Diagnostic::error(
                st.end,
                "; (59): expecting IP address or hostname",
            ));
        }
        Ok(out)
    }

    /// `host-identifier option NAME VALUE;` or `host-identifier v6relopt N NAME VALUE;`
    /// (server/confpars.c parse_host_declaration).
    fn host_identifier(&mut self, st: &Statement, host: &mut HostDecl) -> Result<(), Diagnostic> {
        let w = &st.words;
        let rest = match w.get(1) {
            Some(t) if t.is("option") => w.get(2..).unwrap_or_default(),
            Some(t) if t.is("v6relopt") => match w.get(2) {
                Some(n) if n.text.parse::<i64>().is_ok_and(|n| n < 0) => {
                    return Err(Diagnostic::error(
                        n.span,
                        "host-identifier v6relopt must have a number >= 0",
                    ))
                }
                Some(n) if n.text.parse::<u32>().is_ok() => w.get(3..).unwrap_or_default(),
                _ => {
                    return Err(Diagnostic::error(
                        st.span,
                        "host-identifier v6relopt must have a number",
                    ))
                }
            },
            _ => {
                return Err(Diagnostic::error(
                    st.span,
                    "host-identifier must be an option or v6relopt",
                ))
            }
        };
        if w.get(1).is_some_and(|t| t.is("option"))
            && rest.first().is_some_and(|n| n.is("dhcp-client-identifier"))
        {
            host.client_id = Some(data(rest.get(1), st.span)?);
            return Ok(());
        }
        // A DHCPv4 option's value is checked as the option's own: its words are an option
        // statement (`host-identifier option` is the keyword `option`).
        if let Some(option) = w.get(1).filter(|t| t.is("option")) {
            let statement = Statement {
                words: std::iter::once(option).chain(rest).cloned().collect(),
                block: None,
                span: st.span,
                end: st.end,
            };
            let mut scratch = Params::default();
            self.parameter(&statement, Scope::Global, &mut scratch)?;
        }
        self.warn(
            st.span,
            "host-identifier with this option is not implemented yet: the host matches no client by it",
        );
        Ok(())
    }

    /// `allow`/`deny`/`ignore` with a permit.
    pub(super) fn permit(
        &mut self,
        s: &Statement,
        scope: Scope,
        body: &mut Body,
    ) -> Result<(), Diagnostic> {
        let w: Vec<String> = s
            .words
            .iter()
            .map(|t| t.text.to_ascii_lowercase())
            .collect();
        let allow = w.first().is_some_and(|k| k == "allow");
        // In a pool, `ignore` takes the flags only, not the permits (server/confpars.c
        // parse_pool_statement); what it ignores the pool serves no address to (failing
        // closed: dhcpd answers them nothing when this pool's address would be theirs).
        if scope == Scope::Pool && w.first().is_some_and(|k| k == "ignore") {
            let rest: Vec<&str> = w.iter().skip(1).map(String::as_str).collect();
            let denied = match rest.as_slice() {
                ["unknown-clients"] => PermitSpec::Kind(PermitKind::Unknown),
                ["bootp"] => PermitSpec::Kind(PermitKind::DynamicBootp),
                ["booting"] => PermitSpec::Kind(PermitKind::All),
                // What the pool's clients may update in DNS (server/confpars.c
                // parse_pool_statement: the flag, set in the pool's scope).
                ["client-updates"] => {
                    body.params.client_updates =
                        Some(charrua_server::config::ClientUpdates::Ignore);
                    return Ok(());
                }
                ["duplicates" | "declines" | "leasequery" | "dynamic-bootp"] => {
                    self.warn(s.span, format!("'ignore {}' in a pool is not implemented yet: dhcpd's behaviour for it is not followed", rest.join(" ")));
                    return Ok(());
                }
                _ => return Err(Diagnostic::error(s.span, "expecting allow/deny key")),
            };
            body.deny.push(denied);
            return Ok(());
        }
        let rest: Vec<&str> = w.iter().skip(1).map(String::as_str).collect();
        let spec = match rest.as_slice() {
            ["known-clients"] | ["known", "clients"] => Some(PermitSpec::Kind(PermitKind::Known)),
            ["unknown-clients"] | ["unknown", "clients"] => {
                Some(PermitSpec::Kind(PermitKind::Unknown))
            }
            ["dynamic", "bootp", "clients"] => Some(PermitSpec::Kind(PermitKind::DynamicBootp)),
            ["all", "clients"] => Some(PermitSpec::Kind(PermitKind::All)),
            // The class must be declared before (server/confpars.c parse_allow_deny:
            // "no such class").
            ["members", "of", _] => match s.words.get(3) {
                Some(t) if t.kind != crate::lexer::TokenKind::String => {
                    return Err(Diagnostic::error(t.span, "expecting class name."))
                }
                Some(t) if self.decls.classes.iter().any(|c| c.name == t.text) => {
                    Some(PermitSpec::Class(t.text.clone()))
                }
                Some(t) => {
                    return Err(Diagnostic::error(
                        t.span,
                        format!("no such class: {}", t.text),
                    ))
                }
                None => None,
            },
            // dhcpd 4.4 authenticates no client (server/dhcp.c permitted: `packet->authenticated`
            // is never set): `unauthenticated clients` is everyone.
            ["authenticated", "clients"] => Some(PermitSpec::Kind(PermitKind::Authenticated)),
            ["unauthenticated", "clients"] => Some(PermitSpec::Kind(PermitKind::All)),
            // One `after` per pool (server/confpars.c parse_allow_deny).
            ["after", ..]
                if body
                    .allow
                    .iter()
                    .chain(&body.deny)
                    .any(|p| matches!(p, PermitSpec::Kind(PermitKind::After(_)))) =>
            {
                return Err(Diagnostic::error(s.span, "duplicate \"after\" clause."))
            }
            ["after", ..] => Some(PermitSpec::Kind(PermitKind::After(
                crate::leases::read::date(s.words.get(1..).unwrap_or_default(), s.span)?,
            ))),
            _ if scope == Scope::Pool => {
                return Err(Diagnostic::error(
                    s.span,
                    format!(
                        "expecting permit type: '{}' is no pool permit",
                        rest.join(" ")
                    ),
                ))
            }
            ["booting" | "duplicates" | "declines" | "client-updates" | "leasequery"
            | "dynamic-bootp"] => None,
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
            // dhcpd reads these permits in pools only (confpars.c parse_allow_deny: "expecting
            // allow/deny key" elsewhere).
            (_, Some(_)) => {
                return Err(Diagnostic::error(
                    s.span,
                    format!(
                        "expecting allow/deny key: '{}' is a pool permit",
                        rest.join(" ")
                    ),
                ))
            }
            _ => {
                let loss = match rest.first().copied().unwrap_or_default() {
                    "declines" => "DHCPDECLINE messages are still acted on",
                    "duplicates" => "a client's older leases are kept when it comes back with another client identifier",
                    "leasequery" => "leasequery messages are not answered",
                    _ => "dhcpd's behaviour for it is not followed",
                };
                self.warn(
                    s.span,
                    format!("'{}' is not implemented yet: {loss}", w.join(" ")),
                )
            }
        }
        Ok(())
    }

    /// `class "NAME" { match if EXPR; ... }`
    pub(super) fn class(&mut self, s: &Statement, groups: &Params) -> Result<(), Diagnostic> {
        // server/confpars.c parse_class_declaration: the name is a string.
        let name = match word(&s.words, 1) {
            Some(t) if t.kind == crate::lexer::TokenKind::String => t.text.clone(),
            _ => return Err(Diagnostic::error(s.span, "Expecting class name")),
        };
        // `deleted;` removes a class of that name (as OMAPI writes it).
        if s.block.iter().flatten().any(|st| st.keyword() == "deleted") {
            self.decls.classes.retain(|c| c.name != name);
            return Ok(());
        }
        let block = s
            .block
            .as_deref()
            .ok_or_else(|| Diagnostic::error(s.span, "expected '{' after the class name"))?;
        let mut class = ClassDecl {
            name: name.clone(),
            condition: None,
            submatch: None,
            lease_limit: None,
            unevaluated: false,
            params: Params::default(),
            span: s.span,
        };
        let (mut matched_once, mut submatched_once) = (false, false);
        // What the class's other statements make: its conditional statements.
        let mut rest = Body::default();
        for st in block {
            rest.before(st);
            let w = &st.words;
            let result = match st.keyword().as_str() {
                // One `match if` and one `match`/`spawn with` per class (server/confpars.c
                // parse_class_declaration: "A class may only have one 'match if' clause",
                // "can't override existing submatch/spawn").
                "match" if w.get(1).is_some_and(|t| t.is("if")) => {
                    if matched_once {
                        Err(Diagnostic::error(
                            st.span,
                            "A class may only have one 'match if' clause.",
                        ))
                    } else {
                        matched_once = true;
                        let e = self.expression(
                            w.get(2..).unwrap_or_default(),
                            st.span,
                            Kind::Boolean,
                        )?;
                        let lowered = super::matches::to_match(&e).map(Ok).unwrap_or_else(|| {
                            super::conditions::condition(&e, &self.definitions)
                                .map(|e| Match::Expr(Box::new(e)))
                        });
                        match lowered {
                            Ok(m) => class.condition = Some(m),
                            Err(why) => {
                                class.unevaluated = true;
                                self.warn(st.span, format!("class {name}: {why} is not evaluated yet; the class matches no client"));
                            }
                        }
                        Ok(())
                    }
                }
                "match" | "spawn" if submatched_once => Err(Diagnostic::error(
                    st.span,
                    "can't override existing submatch/spawn.",
                )),
                "spawn" if !w.get(1).is_some_and(|t| t.is("with")) => {
                    Err(Diagnostic::error(st.span, "expecting with after spawn"))
                }
                "match" | "spawn" => {
                    submatched_once = true;
                    let spawning = st.keyword() == "spawn";
                    let skip = if spawning { 2 } else { 1 };
                    let e =
                        self.expression(w.get(skip..).unwrap_or_default(), st.span, Kind::Data)?;
                    match super::conditions::data(&e, &self.definitions) {
                        Ok(value) => {
                            class.submatch = Some(Submatch {
                                value,
                                spawning,
                                members: BTreeSet::new(),
                                limits: BTreeMap::new(),
                            });
                        }
                        Err(why) => {
                            class.unevaluated = true;
                            self.warn(st.span, format!("class {name}: {why} is not evaluated yet; the class and its subclasses match no client"));
                        }
                    }
                    Ok(())
                }
                "lease" => lease_limit(st).map(|n| class.lease_limit = Some(n)),
                "dynamic" if w.len() == 1 => Ok(()),
                _ => match self.parameter(st, Scope::Class, &mut class.params) {
                    Ok(true) => Ok(()),
                    Ok(false) => self.declaration(st, Scope::Class, groups, &mut rest),
                    Err(d) => Err(d),
                },
            };
            if let Err(d) = result {
                self.diagnostics.push(d);
            }
        }
        class.params.statements.append(&mut rest.params.statements);
        // Fail closed: a class whose members charruad cannot tell (a match it does not
        // evaluate) may neither restrict who is served nor limit their leases, or its members
        // would be served.
        if class.unevaluated || (class.condition.is_none() && class.submatch.is_none()) {
            if let Some(st) = block.iter().find(|st| {
                super::statements::restricts_access(st)
                    || (class.unevaluated && st.keyword() == "lease")
            }) {
                return Err(Diagnostic::error(
                    st.span,
                    format!("class {name} restricts who is served, but charruad cannot evaluate its match yet: the configuration is refused rather than serve its members"),
                ));
            }
        }
        // A class declared again is the same class with more said of it (dhcpd finds it by
        // name and goes on filling it in).
        if let Some(earlier) = self.decls.classes.iter_mut().find(|c| c.name == name) {
            class.params.inherit(&earlier.params);
            earlier.params = class.params;
            earlier.condition = class.condition.or(earlier.condition.take());
            earlier.submatch = class.submatch.or(earlier.submatch.take());
            earlier.lease_limit = class.lease_limit.or(earlier.lease_limit);
            earlier.unevaluated |= class.unevaluated;
            return Ok(());
        }
        class.params.inherit(groups);
        self.spans.push((format!("class {name}"), s.span));
        self.decls.classes.push(class);
        Ok(())
    }

    /// `subclass "NAME" VALUE [{ ... }];`
    pub(super) fn subclass(&mut self, s: &Statement) -> Result<(), Diagnostic> {
        let (name, value) = match s.words.as_slice() {
            [_, n, v] => (n.text.clone(), data(Some(v), s.span)?),
            _ => {
                return Err(Diagnostic::error(
                    s.span,
                    "expected subclass \"CLASS\" VALUE;",
                ))
            }
        };
        let mut own_limit = None;
        for st in s.block.iter().flatten() {
            match st.keyword().as_str() {
                "match" => return Err(Diagnostic::error(st.span, "invalid match in subclass.")),
                "spawn" => return Err(Diagnostic::error(st.span, "invalid spawn in subclass.")),
                "lease" => own_limit = Some(lease_limit(st)?),
                _ => {}
            }
        }
        let class = self.decls.classes.iter_mut().find(|c| c.name == name);
        let class = class.ok_or_else(|| {
            Diagnostic::error(s.span, format!("subclass of unknown class {name:?}"))
        })?;
        let parent_limit = class.lease_limit;
        let Some(submatch) = class.submatch.as_mut() else {
            // Its members cannot be told: refuse a subclass that would restrict them or limit
            // their leases.
            if let Some(st) = s
                .block
                .iter()
                .flatten()
                .find(|st| super::statements::restricts_access(st) || st.keyword() == "lease")
            {
                return Err(Diagnostic::error(
                    st.span,
                    format!("subclass of {name:?}, whose match charruad does not evaluate, restricts who is served: the configuration is refused rather than serve its members"),
                ));
            }
            self.warn(
                s.span,
                format!("subclass of {name:?}, whose match is not evaluated, is ignored"),
            );
            return Ok(());
        };
        submatch.members.insert(value.clone());
        if let Some(limit) = own_limit.or(parent_limit) {
            submatch.limits.insert(value.clone(), limit);
        }
        let value_expr = submatch.value.clone();
        let (parent, condition) = (class.params.clone(), class.condition.clone());
        let Some(block) = &s.block else {
            return Ok(());
        };
        // A subclass with settings is a class of its own whose scope is inside its class's
        // (server/confpars.c parse_class_declaration: its group's parent is the class's), and
        // whose settings win over the class's: it goes first among the classes. Its members
        // are its class's whose value is its own.
        // (`lease limit` is the subclass's limit, taken above.)
        let settings: Vec<Statement> = block
            .iter()
            .filter(|st| st.keyword() != "lease")
            .cloned()
            .collect();
        let mut own = self
            .body(&settings, Scope::Class, &Params::default())
            .params;
        own.inherit(&parent);
        let member = Match::Subclass {
            value: Box::new(value_expr),
            members: BTreeSet::from([value]),
            spawning: false,
        };
        let at = self.decls.classes.iter().position(|c| c.name == name);
        let subclass = ClassDecl {
            name: format!("{name} (subclass {})", written_value(&s.words)),
            condition: Some(match condition {
                Some(c) => Match::All(vec![c, member]),
                None => member,
            }),
            submatch: None,
            lease_limit: None,
            unevaluated: false,
            params: own,
            span: s.span,
        };
        self.decls.classes.insert(at.unwrap_or_default(), subclass);
        Ok(())
    }
}

/// A subclass's value as written (its third word), to name it.
fn written_value(words: &[crate::lexer::Token]) -> String {
    words.get(2).map(|t| t.text.clone()).unwrap_or_default()
}

/// `lease limit N;` in a class or subclass (server/confpars.c parse_class_declaration).
fn lease_limit(st: &Statement) -> Result<u32, Diagnostic> {
    let w = &st.words;
    if !w.get(1).is_some_and(|t| t.is("limit")) {
        return Err(Diagnostic::error(st.span, "expecting \"limit\""));
    }
    match w.get(2).map(|n| n.text.parse::<u32>()) {
        Some(Ok(n)) if w.len() == 3 => Ok(n),
        _ => Err(Diagnostic::error(st.span, "expecting a number")),
    }
}
