//! What dhcpd-pools reads of a dhcpd.conf: every `range` (a "pool" in its words) and the
//! `shared-network` it is written in, in file order, included files spliced where their
//! `include` stands.
//!
//! dhcpd-pools 2.29 scans the text for three words (src/getdata.c `parse_config`): `range`,
//! `shared-network` and `include`. A range belongs to the shared network whose braces enclose
//! it, however deep (in a subnet, a pool, or a group inside the shared network), or to "All
//! networks" when none does; every shared network is listed, in file order, ranges or none.
//! charrua reads the same structure from charrua-conf's syntax tree, so a file must parse
//! (every syntax error is reported at its line); the lowered configuration is not used because
//! it gives a subnet outside a shared network a network of its own and attributes a group's
//! subnets differently, where dhcpd-pools does neither.

use std::net::Ipv4Addr;
use std::path::Path;

use charrua_conf::lexer::{Token, TokenKind};
use charrua_conf::syntax::{parse_all, Statement};
use charrua_conf::{Diagnostic, Sources};
use charrua_server::Ipv4Net;
use charrua_wire::options::text::parse_ipv4;

use super::error::PoolsError;

/// One `range` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Range {
    /// The lowest address (a range written high to low is read low to high).
    pub(super) first: Ipv4Addr,
    /// The highest address.
    pub(super) last: Ipv4Addr,
    /// The index of its shared network in [`Layout::networks`]; `None`: "All networks".
    pub(super) network: Option<usize>,
}

/// The ranges of a dhcpd.conf and the shared networks they are in.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Layout {
    /// Shared network names, in file order.
    pub(super) networks: Vec<String>,
    /// Ranges, in file order.
    pub(super) ranges: Vec<Range>,
}

/// Reads the dhcpd.conf at `path` (and its includes, relative to the working directory, as
/// dhcpd and dhcpd-pools read them). With `all_as_shared` (`-A`), a subnet outside every
/// shared network is a shared network of its own, named by its CIDR form.
pub(super) fn read(path: &Path, all_as_shared: bool) -> Result<Layout, PoolsError> {
    let text = std::fs::read_to_string(path).map_err(|source| PoolsError::File {
        path: path.to_path_buf(),
        source,
    })?;
    let mut sources = Sources::default();
    let (statements, mut errors) = parse_all(
        &path.display().to_string(),
        text,
        &mut sources,
        &mut crate::leases::Files,
    );
    let mut layout = Layout::default();
    if let Err(e) = walk(&statements, None, all_as_shared, &mut layout) {
        errors.push(e);
    }
    if errors.is_empty() {
        return Ok(layout);
    }
    for e in &errors {
        eprintln!("{}\n", e.render(&sources));
    }
    Err(PoolsError::Config {
        path: path.to_path_buf(),
        count: errors.len(),
    })
}

/// Adds the ranges and shared networks of `statements`, which lie in `network`.
fn walk(
    statements: &[Statement],
    network: Option<usize>,
    all_as_shared: bool,
    layout: &mut Layout,
) -> Result<(), Diagnostic> {
    for s in statements {
        let inner = match s.keyword().as_str() {
            "shared-network" => Some(named(name(s)?, layout)),
            "subnet" if all_as_shared && network.is_none() => Some(named(cidr(s)?, layout)),
            "range" => {
                layout.ranges.push(range(s, network)?);
                None
            }
            _ => None,
        };
        if let Some(block) = &s.block {
            walk(block, inner.or(network), all_as_shared, layout)?;
        }
    }
    Ok(())
}

/// Adds the shared network `name`; its index.
fn named(name: String, layout: &mut Layout) -> usize {
    layout.networks.push(name);
    layout.networks.len() - 1
}

/// The name of `shared-network NAME {` (a word or a quoted string, printed without quotes).
fn name(s: &Statement) -> Result<String, Diagnostic> {
    match s.words.get(1) {
        Some(t) if matches!(t.kind, TokenKind::Atom | TokenKind::String) => Ok(t.text.clone()),
        _ => Err(Diagnostic::error(s.span, "expected a shared-network name")),
    }
}

/// `subnet ADDRESS netmask MASK`, named as dhcpd-pools' `-A` names it (`10.8.0.0/24`).
fn cidr(s: &Statement) -> Result<String, Diagnostic> {
    let net = match s.words.as_slice() {
        [_, a, n, m, ..] if n.is("netmask") => address(a)
            .zip(address(m))
            .and_then(|(a, m)| Ipv4Net::with_netmask(a, m).ok()),
        _ => None,
    };
    net.map(|n| n.to_string())
        .ok_or_else(|| Diagnostic::error(s.span, "expected subnet ADDRESS netmask MASK"))
}

/// `range [dynamic-bootp] FIRST [LAST];` in `network`.
fn range(s: &Statement, network: Option<usize>) -> Result<Range, Diagnostic> {
    let args = match s.words.get(1..) {
        Some([bootp, rest @ ..]) if bootp.is("dynamic-bootp") => rest,
        Some(rest) => rest,
        None => &[],
    };
    let (a, b) = match args {
        [a] => (address(a), address(a)),
        [a, b] => (address(a), address(b)),
        _ => (None, None),
    };
    let (Some(a), Some(b)) = (a, b) else {
        return Err(Diagnostic::error(
            s.span,
            "expected range [dynamic-bootp] FIRST [LAST];",
        ));
    };
    Ok(Range {
        first: a.min(b),
        last: a.max(b),
        network,
    })
}

fn address(t: &Token) -> Option<Ipv4Addr> {
    (t.kind == TokenKind::Atom)
        .then(|| parse_ipv4(&t.text))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(text: &str, all_as_shared: bool) -> Result<Layout, Diagnostic> {
        let mut sources = Sources::default();
        let statements = charrua_conf::syntax::parse(
            "test.conf",
            text.into(),
            &mut sources,
            &mut charrua_conf::NoIncludes,
        )?;
        let mut layout = Layout::default();
        walk(&statements, None, all_as_shared, &mut layout)?;
        Ok(layout)
    }

    fn r(first: [u8; 4], last: [u8; 4], network: Option<usize>) -> Range {
        Range {
            first: first.into(),
            last: last.into(),
            network,
        }
    }

    #[test]
    fn ranges_belong_to_the_shared_network_around_them() {
        let got = layout(
            r#"
            subnet 10.0.0.0 netmask 255.255.255.0 {
              range 10.0.0.10 10.0.0.19;
              pool { range 10.0.0.30 10.0.0.39; range dynamic-bootp 10.0.0.50; }
            }
            shared-network "office net" {
              subnet 10.1.0.0 netmask 255.255.255.0 { range 10.1.0.29 10.1.0.10; }
              group { subnet 10.1.1.0 netmask 255.255.255.0 { pool { range 10.1.1.10 10.1.1.29; } } }
            }
            shared-network empty { subnet 10.9.0.0 netmask 255.255.255.0 { } }
            "#,
            false,
        )
        .unwrap();
        assert_eq!(got.networks, ["office net", "empty"]);
        assert_eq!(
            got.ranges,
            [
                r([10, 0, 0, 10], [10, 0, 0, 19], None),
                r([10, 0, 0, 30], [10, 0, 0, 39], None),
                r([10, 0, 0, 50], [10, 0, 0, 50], None),
                // Written high to low, read low to high.
                r([10, 1, 0, 10], [10, 1, 0, 29], Some(0)),
                // A group's subnet inside a shared network is counted in it.
                r([10, 1, 1, 10], [10, 1, 1, 29], Some(0)),
            ]
        );
    }

    #[test]
    fn all_as_shared_names_lone_subnets_by_their_cidr() {
        let got = layout(
            "subnet 10.2.0.0 netmask 255.255.0.0 { }
             shared-network s { subnet 10.4.0.0 netmask 255.255.255.0 { range 10.4.0.1 10.4.0.9; } }
             group { subnet 10.3.0.0 netmask 255.255.255.128 { range 10.3.0.1 10.3.0.5; } }",
            true,
        )
        .unwrap();
        assert_eq!(got.networks, ["10.2.0.0/16", "s", "10.3.0.0/25"]);
        assert_eq!(got.ranges[0].network, Some(1));
        assert_eq!(got.ranges[1].network, Some(2));
    }

    #[test]
    fn a_range_without_addresses_is_an_error() {
        let e = layout(
            "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 ten; }",
            false,
        )
        .unwrap_err();
        assert!(e.message.contains("expected range"), "{e:?}");
    }
}
