//! The configured zones (`zone NAME { primary ...; key ...; }`) and the choice of the zone an
//! update goes to.

use std::net::SocketAddr;

use crate::key::Key;
use crate::name::DomainName;

/// One `zone` statement (`common/parse.c:parse_zone`): where updates for names inside it go
/// and the key that signs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// The zone's name; it is also the zone section of every update (RFC 2136 section 2.3).
    pub name: DomainName,
    /// The servers in ISC's order (primary, primary6, secondary, secondary6), at most 3, port
    /// 53 (`common/dns.c:find_cached_zone`). Each step goes to the first and moves to the next
    /// on any result but NOERROR; the last one's result counts (`bind:client.c:update_done`).
    pub servers: Vec<SocketAddr>,
    /// The TSIG key; without one, updates go out unsigned as ISC sends them.
    pub key: Option<Key>,
}

/// Every configured zone: ISC keeps them in one global table, whatever scope they were
/// written in (`common/dns.c:enter_dns_zone`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zones(Vec<Zone>);

impl Zones {
    /// The table of `zones`.
    pub fn new(zones: Vec<Zone>) -> Self {
        Self(zones)
    }

    /// These zones and `more` (zones found in DNS for names none of these covers).
    pub fn with(&self, more: Vec<Zone>) -> Self {
        let mut all = self.0.clone();
        all.extend(more);
        Self(all)
    }

    /// The zone for `name`: the longest configured zone that `name` is in, compared ignoring
    /// case, as ISC finds it by dropping a label at a time from the left until a zone matches
    /// (`common/dns.c:find_cached_zone`, `dns_zone_lookup`). `None` when no zone matches: ISC
    /// then sends nothing (docs/ddns.md section 1.3).
    pub fn find(&self, name: &DomainName) -> Option<&Zone> {
        self.0
            .iter()
            .filter(|zone| name.is_within(&zone.name))
            .max_by_key(|zone| zone.name.label_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Zone {
        Zone {
            name: DomainName::other(name).unwrap(),
            servers: vec!["127.0.0.1:53".parse().unwrap()],
            key: None,
        }
    }

    #[test]
    fn picks_the_longest_matching_zone() {
        let zones = Zones::new(vec![
            zone("example.test."),
            zone("sub.example.test"),
            zone("18.198.in-addr.arpa."),
        ]);
        let find = |n: &str| {
            zones
                .find(&DomainName::other(n).unwrap())
                .map(|z| z.name.to_string())
        };
        assert_eq!(
            find("a.sub.example.test").as_deref(),
            Some("sub.example.test")
        );
        assert_eq!(
            find("A.SUB.Example.Test.").as_deref(),
            Some("sub.example.test")
        );
        assert_eq!(find("a.example.test").as_deref(), Some("example.test."));
        assert_eq!(find("example.test").as_deref(), Some("example.test."));
        assert_eq!(
            find("100.0.18.198.in-addr.arpa.").as_deref(),
            Some("18.198.in-addr.arpa.")
        );
        assert_eq!(find("a.other.test"), None);
        assert_eq!(find("test"), None);
    }
}
