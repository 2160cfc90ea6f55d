//! The configuration's DDNS declarations as charrua-ddns takes them: `zone` statements with
//! their servers and keys (docs/ddns.md sections 1.2, 1.3 and 8), the conflict rules (section
//! 5) and the source addresses of updates (section 7).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use charrua_ddns::{Algorithm, DomainName, Key, Rules, Zone, Zones};
use charrua_server::config::{Ddns, Hmac, TsigKey};
use tracing::error;

/// ISC's limit on the servers of one zone an update is sent to, `DHCP_MAXNS`
/// (includes/omapip/isclib.h; common/dns.c `find_cached_zone`).
const MAX_SERVERS: usize = 3;

/// What the updates of one configuration go by.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// Every usable `zone` statement.
    pub(super) zones: Zones,
    /// `update-conflict-detection`, `ddns-guard-id-must-match`, `ddns-dual-stack-mixed-mode`
    /// and `ddns-other-guard-is-dynamic` (server/ddns.c `get_conflict_mask`).
    pub(super) rules: Rules,
    /// The zones whose key cannot sign, by zone name as configured, with the key's name:
    /// their updates go out unsigned, each after ISC's `No tsec for use with key NAME`
    /// (common/dns.c `ddns_modify_fwd`; docs/ddns.md section 1.2).
    unsigned: Vec<(String, String)>,
    /// `ddns-local-address4`, or any address (server/dhcpd.c `postconf_initialization`).
    local4: Ipv4Addr,
    /// `ddns-local-address6`, or any address, towards `primary6` and `secondary6` servers.
    local6: Ipv6Addr,
}

impl Settings {
    /// The settings `config` gives, every zone server at `port` (53 but in tests). Logs, as
    /// ISC does when it reads them, the keys it cannot sign with (`Unable to create tsec
    /// structure for NAME`, omapip/auth.c `omapi_auth_key_enter`) and the zones it cannot use.
    pub(super) fn new(config: &Ddns, port: u16) -> Self {
        let mut zones = Vec::new();
        let mut unsigned = Vec::new();
        let mut reported_keys: Vec<&str> = Vec::new();
        for declared in &config.zones {
            let name = match DomainName::other(&declared.name) {
                Ok(name) => name,
                Err(e) => {
                    error!("DDNS: zone {}: {e}; zone not used", declared.name);
                    continue;
                }
            };
            let key = match &declared.key {
                Some(declared_key) => match key(declared_key) {
                    Some(key) => Some(key),
                    None => {
                        if !reported_keys
                            .iter()
                            .any(|k| k.eq_ignore_ascii_case(&declared_key.name))
                        {
                            error!("Unable to create tsec structure for {}", declared_key.name);
                            reported_keys.push(&declared_key.name);
                        }
                        unsigned.push((name.as_str().to_owned(), declared_key.name.clone()));
                        None
                    }
                },
                None => None,
            };
            zones.push(Zone {
                name,
                servers: servers(declared, port),
                key,
            });
        }
        let detection = config.conflict_detection;
        let rules = Rules::from_isc(
            detection.is_some(),
            detection.is_some_and(|r| r.guard_id_must_match),
            detection.is_some_and(|r| r.dual_stack_mixed_mode),
            detection.is_some_and(|r| r.other_guard_is_dynamic),
        );
        Self {
            zones: Zones::new(zones),
            rules,
            unsigned,
            local4: config.local_address4.unwrap_or(Ipv4Addr::UNSPECIFIED),
            local6: config.local_address6.unwrap_or(Ipv6Addr::UNSPECIFIED),
        }
    }

    /// The address to send to `server` from: `ddns-local-address4` or `6` per the server's
    /// family, any port.
    pub(super) fn local_for(&self, server: SocketAddr) -> SocketAddr {
        match server {
            SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(self.local4), 0),
            SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(self.local6), 0),
        }
    }

    /// The key that should sign updates of `name` and cannot: the name of the key of the zone
    /// `name` is in, when that key is unusable.
    pub(super) fn missing_key(&self, name: &DomainName) -> Option<&str> {
        let zone = self.zones.find(name)?;
        self.unsigned
            .iter()
            .find(|(z, _)| *z == zone.name.as_str())
            .map(|(_, key)| key.as_str())
    }
}

/// The servers of `zone` in ISC's order, primary, primary6, secondary, secondary6, at most
/// [`MAX_SERVERS`] (common/dns.c `find_cached_zone`).
fn servers(zone: &charrua_server::config::Zone, port: u16) -> Vec<SocketAddr> {
    let v4 = |a: &Ipv4Addr| SocketAddr::new(IpAddr::V4(*a), port);
    let v6 = |a: &Ipv6Addr| SocketAddr::new(IpAddr::V6(*a), port);
    zone.primary
        .iter()
        .map(v4)
        .chain(zone.primary6.iter().map(v6))
        .chain(zone.secondary.iter().map(v4))
        .chain(zone.secondary6.iter().map(v6))
        .take(MAX_SERVERS)
        .collect()
}

/// The signing key of a `key` declaration; `None` when dhcpd could not sign with it (an
/// algorithm it does not know, omapip/isclib.c `isclib_make_dst_key`, or a name that is no
/// domain name).
fn key(declared: &TsigKey) -> Option<Key> {
    let algorithm = match declared.hmac()? {
        Hmac::Md5 => Algorithm::HmacMd5,
        Hmac::Sha1 => Algorithm::HmacSha1,
        Hmac::Sha224 => Algorithm::HmacSha224,
        Hmac::Sha256 => Algorithm::HmacSha256,
        Hmac::Sha384 => Algorithm::HmacSha384,
        Hmac::Sha512 => Algorithm::HmacSha512,
    };
    Key::new(&declared.name, algorithm, declared.secret.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use charrua_ddns::{Conflict, MixedMode};
    use charrua_server::config::{ConflictRules, Zone as ConfigZone};

    fn zone(name: &str, key: Option<TsigKey>) -> ConfigZone {
        ConfigZone {
            name: name.into(),
            primary: vec![Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2)],
            secondary: vec![Ipv4Addr::new(192, 0, 2, 3)],
            primary6: vec!["2001:db8::1".parse().unwrap()],
            secondary6: vec!["2001:db8::2".parse().unwrap()],
            key,
        }
    }

    fn tsig(name: &str, algorithm: &str) -> TsigKey {
        TsigKey {
            name: name.into(),
            algorithm: algorithm.into(),
            secret: b"secret".to_vec(),
        }
    }

    fn name(text: &str) -> DomainName {
        DomainName::other(text).unwrap()
    }

    #[test]
    fn servers_go_in_isc_order_at_most_three_on_port_53() {
        let config = Ddns {
            zones: vec![zone("example.test.", None)],
            ..Ddns::default()
        };
        let settings = Settings::new(&config, 53);
        let found = settings.zones.find(&name("a.example.test")).unwrap();
        let expected: Vec<SocketAddr> = vec![
            "192.0.2.1:53".parse().unwrap(),
            "192.0.2.2:53".parse().unwrap(),
            "[2001:db8::1]:53".parse().unwrap(),
        ];
        assert_eq!(found.servers, expected);
        assert!(found.key.is_none());
    }

    #[test]
    fn keys_become_signing_keys_and_unknown_algorithms_leave_zones_unsigned() {
        let config = Ddns {
            zones: vec![
                zone("example.test.", Some(tsig("ddns-key", "hmac-sha256"))),
                zone("18.198.in-addr.arpa.", Some(tsig("bad-key", "rot13"))),
            ],
            ..Ddns::default()
        };
        let settings = Settings::new(&config, 53);
        let forward = settings.zones.find(&name("a.example.test")).unwrap();
        let key = forward.key.as_ref().unwrap();
        assert_eq!(key.algorithm(), Algorithm::HmacSha256);
        assert_eq!(key.name().as_str(), "ddns-key");
        assert_eq!(settings.missing_key(&name("a.example.test")), None);
        let reverse = name("100.0.18.198.in-addr.arpa.");
        assert!(settings.zones.find(&reverse).unwrap().key.is_none());
        assert_eq!(settings.missing_key(&reverse), Some("bad-key"));
        assert_eq!(settings.missing_key(&name("a.other.test")), None);
    }

    #[test]
    fn conflict_rules_and_source_addresses() {
        let mut config = Ddns::default();
        let settings = Settings::new(&config, 53);
        assert_eq!(settings.rules, Rules::default());
        let v4: SocketAddr = "192.0.2.1:53".parse().unwrap();
        let v6: SocketAddr = "[2001:db8::1]:53".parse().unwrap();
        assert_eq!(settings.local_for(v4), "0.0.0.0:0".parse().unwrap());
        assert_eq!(settings.local_for(v6), "[::]:0".parse().unwrap());
        config.conflict_detection = Some(ConflictRules {
            guard_id_must_match: false,
            ..ConflictRules::default()
        });
        config.local_address4 = Some(Ipv4Addr::new(198, 18, 0, 1));
        let settings = Settings::new(&config, 53);
        assert_eq!(settings.rules.conflict, Conflict::GuardExists);
        assert_eq!(settings.rules.mixed, MixedMode::Off);
        assert_eq!(settings.local_for(v4), "198.18.0.1:0".parse().unwrap());
        config.conflict_detection = Some(ConflictRules {
            dual_stack_mixed_mode: true,
            other_guard_is_dynamic: true,
            ..ConflictRules::default()
        });
        let rules = Settings::new(&config, 53).rules;
        assert_eq!(rules.conflict, Conflict::GuardMatches);
        assert_eq!(rules.mixed, MixedMode::OtherGuardIsDynamic);
        config.conflict_detection = None;
        assert_eq!(Settings::new(&config, 53).rules, Rules::from(Conflict::Off));
    }

    #[test]
    fn a_zone_that_is_no_domain_name_is_left_out() {
        let config = Ddns {
            zones: vec![zone("bad\\name.", None), zone("example.test.", None)],
            ..Ddns::default()
        };
        let settings = Settings::new(&config, 53);
        assert!(settings.zones.find(&name("a.example.test")).is_some());
    }
}
