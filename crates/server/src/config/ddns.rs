//! Dynamic DNS (RFC 2136 updates signed with TSIG, RFC 8945) as ISC dhcpd configures it: the
//! server-wide settings dhcpd reads once from the top of its file ([`Ddns`]: the update style,
//! conflict detection, the `key` and `zone` declarations), and the per-client ones each scope
//! may set (in [`super::Params`]: `ddns-updates`, `ddns-hostname`, `client-updates`...).
//! The specification is ISC dhcpd 4.4's behaviour, described with its sources in
//! `docs/ddns.md`; this module only holds what was read.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// How leases are registered in DNS (ISC `ddns-update-style`, read once from the top of the
/// file: server/dhcpd.c `postconf_initialization`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DdnsStyle {
    /// `none`, dhcpd's default: no update is sent, and DDNS variables stored on leases are
    /// never acted on, not even on release (server/ddns.c `ddns_removals`).
    #[default]
    None,
    /// `interim`: the forward name is guarded by a TXT record holding an MD5 of the client's
    /// identity (common/dns.c `get_int_dhcid`).
    Interim,
    /// `standard`: the guard is a DHCID record (RFC 4701) and conflicts are resolved as
    /// RFC 4703 asks (common/dns.c `get_std_dhcid`).
    Standard,
}

impl DdnsStyle {
    /// The word dhcpd.conf writes it with.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Interim => "interim",
            Self::Standard => "standard",
        }
    }
}

/// What RFC 4703's conflict detection checks before a name is taken over, when it is on (ISC
/// `update-conflict-detection`, on by default; server/ddns.c `get_conflict_mask`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConflictRules {
    /// A name may be updated only when its guard record holds this client's identity, not
    /// merely when it has one (ISC `ddns-guard-id-must-match`, on by default).
    pub guard_id_must_match: bool,
    /// A name may hold an address of each family, each registered by its own server (ISC
    /// `ddns-dual-stack-mixed-mode`, off by default).
    pub dual_stack_mixed_mode: bool,
    /// Under dual-stack mixed mode, a guard of the other style counts as dynamic, so its
    /// addresses may be replaced (ISC `ddns-other-guard-is-dynamic`, off by default).
    pub other_guard_is_dynamic: bool,
}

impl Default for ConflictRules {
    fn default() -> Self {
        Self {
            guard_id_must_match: true,
            dual_stack_mixed_mode: false,
            other_guard_is_dynamic: false,
        }
    }
}

/// The server-wide DDNS settings, with ISC dhcpd's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ddns {
    /// `ddns-update-style`.
    pub style: DdnsStyle,
    /// `update-conflict-detection` and the rules that refine it; `None` when it is off, which
    /// turns the refinements off whatever they say (server/ddns.c `get_conflict_mask`).
    pub conflict_detection: Option<ConflictRules>,
    /// `ddns-local-address4`: the source address of updates sent over IPv4 (any address when
    /// unset; server/dhcpd.c `postconf_initialization`).
    pub local_address4: Option<Ipv4Addr>,
    /// `ddns-local-address6`: the same over IPv6, towards `primary6` and `secondary6` servers.
    pub local_address6: Option<Ipv6Addr>,
    /// The `key` declarations, in the order last declared; a key declared again under the same
    /// name (compared without regard to case, as dhcpd's key table does: omapip/auth.c
    /// `omapi_auth_key_enter`) replaces the earlier one.
    pub keys: Vec<TsigKey>,
    /// The `zone` declarations, wherever they were written (dhcpd keeps one table for the whole
    /// server: common/dns.c `enter_dns_zone`); a zone declared again under the same name
    /// replaces the earlier one.
    pub zones: Vec<Zone>,
}

impl Default for Ddns {
    fn default() -> Self {
        Self {
            style: DdnsStyle::None,
            conflict_detection: Some(ConflictRules::default()),
            local_address4: None,
            local_address6: None,
            keys: Vec::new(),
            zones: Vec::new(),
        }
    }
}

/// A TSIG algorithm ISC dhcpd signs with (omapip/isclib.c `isclib_make_dst_key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hmac {
    /// HMAC-MD5 (RFC 8945 section 6, `hmac-md5.sig-alg.reg.int.`).
    Md5,
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-SHA224.
    Sha224,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA384.
    Sha384,
    /// HMAC-SHA512.
    Sha512,
}

/// A `key NAME { algorithm ALGORITHM; secret SECRET; }` declaration (common/parse.c
/// `parse_key`). Its `Debug` form leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct TsigKey {
    /// The name, as written (dhcpd signs with it made absolute).
    pub name: String,
    /// The algorithm, as written (see [`TsigKey::hmac`]).
    pub algorithm: String,
    /// The secret, base64-decoded as dhcpd decodes it (common/parse.c `parse_base64`).
    pub secret: Vec<u8>,
}

impl TsigKey {
    /// The algorithm dhcpd signs with: `ALGORITHM` completed as common/parse.c `parse_key`
    /// completes it (`.SIG-ALG.REG.INT.` after a name without a dot, a final dot after a
    /// dotted one) and compared without regard to case with the six names dhcpd knows
    /// (omapip/isclib.c `isclib_make_dst_key`). `None` for any other: dhcpd then logs "Unable
    /// to create tsec structure" and sends the updates of zones using the key unsigned.
    pub fn hmac(&self) -> Option<Hmac> {
        let written = self.algorithm.as_str();
        let full = match written.rfind('.') {
            None => format!("{written}.SIG-ALG.REG.INT."),
            Some(dot) if dot + 1 < written.len() => format!("{written}."),
            Some(_) => written.to_string(),
        };
        [
            ("HMAC-MD5.SIG-ALG.REG.INT.", Hmac::Md5),
            ("HMAC-SHA1.SIG-ALG.REG.INT.", Hmac::Sha1),
            ("HMAC-SHA224.SIG-ALG.REG.INT.", Hmac::Sha224),
            ("HMAC-SHA256.SIG-ALG.REG.INT.", Hmac::Sha256),
            ("HMAC-SHA384.SIG-ALG.REG.INT.", Hmac::Sha384),
            ("HMAC-SHA512.SIG-ALG.REG.INT.", Hmac::Sha512),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&full))
        .map(|(_, hmac)| hmac)
    }
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A `zone NAME { primary ...; secondary ...; primary6 ...; secondary6 ...; key NAME; }`
/// declaration (common/parse.c `parse_zone`): where updates of names in the zone go, and the
/// key that signs them. dhcpd sends to at most three of its servers, primaries first, IPv4
/// before IPv6 (common/dns.c `find_cached_zone`, `DHCP_MAXNS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// The zone's name, ending in a dot (dhcpd adds one: common/parse.c
    /// `parse_executable_statement`).
    pub name: String,
    /// `primary`: the IPv4 addresses (host names looked up when the configuration loads).
    pub primary: Vec<Ipv4Addr>,
    /// `secondary`: the same, tried after the primaries.
    pub secondary: Vec<Ipv4Addr>,
    /// `primary6`.
    pub primary6: Vec<Ipv6Addr>,
    /// `secondary6`.
    pub secondary6: Vec<Ipv6Addr>,
    /// `key`: the key declared under that name when the zone was read (a key declared again
    /// later does not change it, as dhcpd's zone keeps the key it found).
    pub key: Option<TsigKey>,
}

/// Whether a client may update its own A record (ISC `allow`, `deny` or `ignore
/// client-updates`; server/confpars.c `parse_allow_deny` stores 1, 0 and 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientUpdates {
    /// `allow` (also dhcpd's behaviour when nothing is said): a client that sends option 81
    /// (RFC 4702) with the S bit clear and a qualified name updates its A record itself; the
    /// server updates the PTR record only (server/ddns.c `ddns_updates`).
    Allow,
    /// `deny`: the server updates both, and tells the client so in option 81.
    Deny,
    /// `ignore`: the server updates both, and tells the client it did not (server/ddns.c
    /// `ddns_updates`).
    Ignore,
}

impl ClientUpdates {
    /// The value of dhcpd's `client-updates` flag: 1 allows, 2 ignores, anything else denies
    /// (common/tree.c `evaluate_boolean_option_cache`).
    pub fn from_octet(octet: u8) -> Self {
        match octet {
            1 => Self::Allow,
            2 => Self::Ignore,
            _ => Self::Deny,
        }
    }

    /// The word of the `allow`, `deny` or `ignore` statement.
    pub fn name(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::Ignore => "ignore",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(algorithm: &str) -> TsigKey {
        TsigKey {
            name: "k".into(),
            algorithm: algorithm.into(),
            secret: b"secret".to_vec(),
        }
    }

    /// As dhcpd 4.4.3 completes and matches them: `hmac-sha256.` (a final dot, no other) and
    /// unknown names give no algorithm ("Unable to create tsec structure" under `dhcpd -t`).
    #[test]
    fn algorithms_are_completed_and_matched_as_dhcpd_matches_them() {
        assert_eq!(key("hmac-md5").hmac(), Some(Hmac::Md5));
        assert_eq!(key("HMAC-MD5.SIG-ALG.REG.INT").hmac(), Some(Hmac::Md5));
        assert_eq!(key("hmac-md5.sig-alg.reg.int.").hmac(), Some(Hmac::Md5));
        assert_eq!(key("hmac-sha1").hmac(), Some(Hmac::Sha1));
        assert_eq!(key("hmac-sha224").hmac(), Some(Hmac::Sha224));
        assert_eq!(key("HMAC-SHA256").hmac(), Some(Hmac::Sha256));
        assert_eq!(key("hmac-sha384").hmac(), Some(Hmac::Sha384));
        assert_eq!(key("hmac-sha512").hmac(), Some(Hmac::Sha512));
        assert_eq!(key("hmac-sha256.").hmac(), None);
        assert_eq!(key("rot13").hmac(), None);
        assert_eq!(key("aes-gmac.dreams").hmac(), None);
    }

    #[test]
    fn a_keys_debug_form_hides_its_secret() {
        let shown = format!("{:?}", key("hmac-md5"));
        assert!(!shown.contains("115"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn defaults_are_dhcpds() {
        let ddns = Ddns::default();
        assert_eq!(ddns.style, DdnsStyle::None);
        assert_eq!(
            ddns.conflict_detection,
            Some(ConflictRules {
                guard_id_must_match: true,
                dual_stack_mixed_mode: false,
                other_guard_is_dynamic: false,
            })
        );
        assert_eq!(ClientUpdates::from_octet(1), ClientUpdates::Allow);
        assert_eq!(ClientUpdates::from_octet(0), ClientUpdates::Deny);
        assert_eq!(ClientUpdates::from_octet(2), ClientUpdates::Ignore);
    }
}
