//! From declarations to a validated `Config`, with ISC dhcpd's leniencies applied safely and
//! the model's validation errors placed at the declaration they name.

use std::net::Ipv4Addr;

use charrua_server::config::{Config, ConfigBuilder, ConfigError, Match, ScopeBuilder};

use super::decls::{Decls, PermitKind, PermitSpec};
use super::Lowerer;
use crate::source::{Diagnostic, Severity, Span};

impl Lowerer<'_> {
    /// What ISC dhcpd accepts but the model refuses, made acceptable the way that keeps the
    /// server safe, each with a warning: hosts with one hardware address or client identifier
    /// are merged, and a fixed address
    /// inside a dynamic range is cut out of the range so it is never leased to anyone else.
    pub(super) fn compatible(&mut self, decls: &mut Decls) {
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
    pub(super) fn build(&mut self) -> Option<Config> {
        let mut decls = std::mem::take(&mut self.decls);
        self.compatible(&mut decls);
        let mut b: ConfigBuilder = Config::builder()
            .inherit(&decls.global)
            .ddns(self.ddns.config());
        if let Some(seconds) = self.abandon_lease_time {
            b = b.decline_probation(seconds);
        }
        for class in &decls.classes {
            let condition = class.membership();
            if condition.is_none() && !class.unevaluated {
                self.warn(
                    class.span,
                    format!(
                        "class {} has no match statement; it matches no client",
                        class.name
                    ),
                );
            }
            let limit = class.lease_limit();
            b = b.class(
                &class.name,
                condition.unwrap_or(Match::Any(Vec::new())),
                |c| {
                    let c = c.inherit(&class.params);
                    match limit {
                        Some(limit) => c.lease_limit(limit),
                        None => c,
                    }
                },
            );
        }
        // A pool that denies the members of a class charruad cannot match would serve them:
        // fail closed, refuse the file.
        let unmatched: Vec<&str> = decls
            .classes
            .iter()
            .filter(|c| c.unevaluated || (c.condition.is_none() && c.submatch.is_none()))
            .map(|c| c.name.as_str())
            .collect();
        let denied: Vec<String> = decls
            .networks
            .iter()
            .flat_map(|n| &n.subnets)
            .flat_map(|s| &s.pools)
            .flat_map(|p| &p.deny)
            .filter_map(|spec| match spec {
                PermitSpec::Class(c) if unmatched.contains(&c.as_str()) => Some(c.clone()),
                _ => None,
            })
            .collect();
        for class in denied {
            let span = self.span_of(&format!("class {class}"));
            self.diagnostics.push(Diagnostic::error(
                span,
                format!("a pool denies members of class {class}, whose match charruad cannot evaluate: it would serve them"),
            ));
        }
        if self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
        {
            return None;
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
                                            (true, PermitSpec::Kind(PermitKind::All)) => {
                                                p.allow_all()
                                            }
                                            (true, PermitSpec::Kind(PermitKind::After(t))) => {
                                                p.allow_after(*t)
                                            }
                                            (false, PermitSpec::Kind(PermitKind::After(t))) => {
                                                p.deny_after(*t)
                                            }
                                            (true, PermitSpec::Kind(PermitKind::Authenticated)) => {
                                                p.allow_authenticated()
                                            }
                                            (
                                                false,
                                                PermitSpec::Kind(PermitKind::Authenticated),
                                            ) => p.deny_authenticated(),
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
                    ConfigError::FixedAddressInRange { host, .. }
                    | ConfigError::HostWithoutIdentity(host) => {
                        self.span_of(&format!("host {host}"))
                    }
                    ConfigError::DuplicateClass(name) => self.span_of(&format!("class {name}")),
                    ConfigError::UnknownClass(_) => self.first_span,
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
