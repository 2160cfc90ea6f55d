//! Host names where ISC dhcpd takes an address (`option domain-name-servers ns1.example.org;`,
//! `fixed-address pc.example.org;`, `next-server`, `server-identifier`): ISC's
//! `parse_ip_addr_or_hostname` (common/parse.c) accepts a name and looks it up when the value is
//! used. charrua looks names up through the [`crate::Loader`] when the configuration loads and on
//! every reload; a name that does not resolve leaves its address out, with a warning, as ISC
//! leaves the value out when its lookup fails. Checking a file (`-t`) resolves nothing, as
//! `dhcpd -t` does not.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::lexer::{Token, TokenKind};
use crate::source::Diagnostic;
use crate::syntax::Loader;

/// Whether `text` is a host name as ISC's lexer and `parse_host_name` read one: labels of
/// letters, digits and hyphens (underscores too, as ISC's lexer keeps them in names) separated
/// by dots, not all digits.
pub(super) fn is_host_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && label.bytes().any(|b| b.is_ascii_alphanumeric())
        })
        && !looks_like_an_address(text)
}

/// Whether `text` starts as an address does (`NUMBER . NUMBER`): dhcpd then reads an address
/// and nothing else (common/parse.c parse_ip_addr_or_hostname); any other name, all digits
/// included, is a host name.
fn looks_like_an_address(text: &str) -> bool {
    let mut parts = text.split('.');
    let numeric =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric(parts.next()) && numeric(parts.next())
}

/// Names looked up while lowering one configuration, each once.
#[derive(Default)]
pub(super) struct Names {
    looked_up: HashMap<String, Option<Result<Vec<Ipv4Addr>, String>>>,
}

impl Names {
    /// The addresses `t` stands for: the address itself, or those of the host name (none when
    /// names are not resolved here, or when it does not resolve: then `warnings` says so).
    pub(super) fn addresses(
        &mut self,
        t: &Token,
        what: &str,
        loader: &mut dyn Loader,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<Vec<Ipv4Addr>, Diagnostic> {
        if let Some(addr) = charrua_wire::options::text::parse_ipv4(&t.text) {
            return Ok(vec![addr]);
        }
        if t.kind != TokenKind::Atom || !is_host_name(&t.text) {
            return Err(Diagnostic::error(
                t.span,
                format!(
                    "{what}: expected an IPv4 address or a host name, found {:?}",
                    t.text
                ),
            ));
        }
        let name = t.text.to_ascii_lowercase();
        let found = self
            .looked_up
            .entry(name.clone())
            .or_insert_with(|| loader.resolve(&name));
        match found {
            None => Ok(Vec::new()),
            Some(Ok(addresses)) if !addresses.is_empty() => Ok(addresses.clone()),
            Some(result) => {
                let why = match result {
                    Err(e) => e.clone(),
                    Ok(_) => "no IPv4 address".into(),
                };
                warnings.push(Diagnostic::warning(
                    t.span,
                    format!("{what}: host name {name} does not resolve ({why}); left out until it does (on reload), and an option naming it is not sent, as in dhcpd"),
                ));
                Ok(Vec::new())
            }
        }
    }
}

impl Names {
    /// Whether host name `name` was looked up and gave no IPv4 address.
    pub(super) fn failed(&self, name: &str) -> bool {
        matches!(
            self.looked_up.get(&name.to_ascii_lowercase()),
            Some(Some(Err(_))) | Some(Some(Ok(_))) if !self.resolved(name)
        )
    }

    fn resolved(&self, name: &str) -> bool {
        matches!(self.looked_up.get(&name.to_ascii_lowercase()), Some(Some(Ok(a))) if !a.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::is_host_name;

    #[test]
    fn host_names_as_isc_reads_them() {
        for name in [
            "ns1.example.org",
            "fantasia.example.com",
            "router",
            "a-b_c.d1",
            // dhcpd takes an all-digit name where an address goes as a host name.
            "1234",
        ] {
            assert!(is_host_name(name), "{name}");
        }
        for not in ["", "10.0.0", "a..b", "-", "a b", "x.y/z"] {
            assert!(!is_host_name(not), "{not}");
        }
    }
}
