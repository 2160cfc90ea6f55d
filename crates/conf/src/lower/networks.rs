//! The declarations of the network's shape: `subnet`, `shared-network`, `group`, `pool` and
//! `range`, where dhcpd allows each (server/confpars.c parse_statement and the parse_*_declaration
//! functions).

use charrua_server::config::Params;
use charrua_server::Ipv4Net;

use super::decls::{
    self, address, misplaced, word, Body, NetworkDecl, PermitKind, PermitSpec, PoolDecl, Scope,
    SubnetDecl,
};
use super::Lowerer;
use crate::source::Diagnostic;
use crate::syntax::Statement;

impl Lowerer<'_> {
    /// One of the network declarations, in `scope`, into `body`.
    pub(super) fn network_declaration(
        &mut self,
        s: &Statement,
        scope: Scope,
        groups: &Params,
        body: &mut Body,
    ) -> Result<(), Diagnostic> {
        let w = &s.words;
        let keyword = s.keyword();
        let misplaced = |what: &str| misplaced(s, scope, what);
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
                let mut inner = self.body(block, Scope::SharedNetwork, groups);
                // A pool of the shared network serves its addresses on the network, each from
                // the subnet that holds it (dhcpd gives a lease the subnet of its address); its
                // ranges were checked to lie in the network's subnets.
                for pool in std::mem::take(&mut inner.pools) {
                    for subnet in inner.subnets.iter_mut() {
                        let ranges: Vec<_> = pool
                            .ranges
                            .iter()
                            .copied()
                            .filter(|(a, _)| subnet.net.contains(*a))
                            .collect();
                        if !ranges.is_empty() {
                            subnet.pools.push(PoolDecl {
                                ranges,
                                ..pool.clone()
                            });
                        }
                    }
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
                if failover
                    && pool
                        .allow
                        .contains(&PermitSpec::Kind(PermitKind::DynamicBootp))
                {
                    return Err(Diagnostic::error(
                        s.span,
                        "dynamic-bootp flag is not permitted for address range in a pool with a failover peer",
                    ));
                }
                // In a shared network, a pool's addresses are in a subnet declared before it
                // (server/confpars.c parse_pool_statement: "address range not on network").
                if scope == Scope::SharedNetwork {
                    let on_network =
                        |a: std::net::Ipv4Addr| body.subnets.iter().any(|n| n.net.contains(a));
                    if let Some((a, b)) = pool
                        .ranges
                        .iter()
                        .find(|(a, b)| !on_network(*a) || !on_network(*b))
                    {
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
                    return Err(Diagnostic::error(
                        s.span,
                        "range declaration not allowed here.",
                    ));
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
            // (Called for the keywords above only.)
            _ => {}
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
