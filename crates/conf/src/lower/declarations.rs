//! Hosts, permits, classes and subclasses.

use charrua_server::config::{Match, Params};

use super::decls::{data, word, Body, ClassDecl, HostDecl, PermitKind, PermitSpec, Scope};
use super::expr::{self, Expr, Kind};
use super::Lowerer;
use crate::source::Diagnostic;
use crate::syntax::Statement;

impl Lowerer<'_> {
    /// `host NAME { ... }`
    pub(super) fn host(&mut self, s: &Statement, groups: &Params) -> Result<(), Diagnostic> {
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
                        let Some(htype) = crate::hardware::type_of(&kind.text) else {
                            return Err(Diagnostic::error(
                                kind.span,
                                format!("unknown hardware type {:?}", kind.text),
                            ));
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
                        let addresses = self.addresses(t, "fixed-address")?;
                        host.fixed.extend(addresses);
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
            ["booting" | "duplicates" | "declines" | "client-updates" | "leasequery"] => None,
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
                    "client-updates" => "leases are not registered in DNS (charrua does not update DNS yet)",
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
        let (mut matched_once, mut submatched_once) = (false, false);
        for st in block {
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
                        let e =
                            expr::parse(w.get(2..).unwrap_or_default(), st.span, Kind::Boolean)?;
                        match expr::to_match(&e) {
                            Some(m) => class.condition = Some(m),
                            None => self.warn(st.span, format!("class {name}: this match expression is not implemented yet; the class matches no client")),
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
                    let skip = if st.keyword() == "spawn" { 2 } else { 1 };
                    let e = expr::parse(w.get(skip..).unwrap_or_default(), st.span, Kind::Data)?;
                    match (st.keyword().as_str(), &e) {
                        ("match", Expr::Option(n)) => match self.definitions.code(n) {
                            Some(code) => {
                                class.spawn_option = Some(code);
                                Ok(())
                            }
                            None => {
                                Err(Diagnostic::error(st.span, format!("unknown option {n:?}")))
                            }
                        },
                        _ => {
                            self.warn(st.span, format!("class {name}: '{}' on this expression is not implemented yet; its subclasses match no client", st.keyword()));
                            Ok(())
                        }
                    }
                }
                "lease" => {
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
}
