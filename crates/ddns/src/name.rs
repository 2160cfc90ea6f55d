//! Domain names: the forward name built from a host name and a domain, the reverse name of an
//! address, and the checks that keep a name that is not a valid DNS name out of every message.
//!
//! ISC dhcpd checks lengths only (`server/ddns.c:ddns_updates`): bytes outside the host name
//! alphabet reach the update as they are, and BIND's `check-names` (on by default for primary
//! zones) then refuses them (docs/ddns.md section 3.2). Charrua refuses such names itself, before
//! anything is sent: the only names it treats differently are names ISC cannot register either.

use std::fmt;
use std::net::Ipv4Addr;

use hickory_proto::rr::Name;

/// The longest name on the wire, root label included (RFC 1035 section 2.3.4).
const MAX_WIRE_LEN: usize = 255;
/// The longest label (RFC 1035 section 2.3.4).
const MAX_LABEL_LEN: usize = 63;
/// ISC's limit on `host + domain` (`server/ddns.c:ddns_updates`): the name with its joining dot
/// and without a trailing one then fits in 255 bytes of wire form.
const MAX_HOST_DOMAIN_LEN: usize = 253;

/// ISC's `ddns-rev-domainname` default (`server/ddns.c:ddns_updates`).
pub const DEFAULT_REV_DOMAIN: &str = "in-addr.arpa.";

/// Why a name cannot be sent. `Display` gives ISC's log text where ISC has a check of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// No label at all (an empty text or a lone `.`).
    #[error("empty name")]
    Empty,
    /// Two dots in a row, or a leading dot (RFC 1035 section 3.1: only the root label is empty).
    #[error("empty label {label}")]
    EmptyLabel {
        /// Index of the label, 0 for the leftmost.
        label: usize,
    },
    /// A label longer than 63 bytes (RFC 1035 section 2.3.4).
    #[error("label {label} too long ({len} bytes, at most 63)")]
    LabelTooLong {
        /// Index of the label, 0 for the leftmost.
        label: usize,
        /// Its length.
        len: usize,
    },
    /// Longer than 255 bytes in wire form (RFC 1035 section 2.3.4).
    #[error("name too long ({len} bytes in wire form, at most 255)")]
    TooLong {
        /// The wire length, root label included.
        len: usize,
    },
    /// A byte a host name may not hold (RFC 952, RFC 1123 section 2.1: letters, digits and `-`),
    /// or, in other names, a byte outside printable ASCII or a `\` (escapes are not read).
    #[error("byte 0x{byte:02x} not allowed in label {label}")]
    BadByte {
        /// The byte.
        byte: u8,
        /// Index of the label, 0 for the leftmost.
        label: usize,
    },
    /// A host name label that starts or ends with `-` (RFC 952, RFC 1123 section 2.1).
    #[error("label {label} starts or ends with '-'")]
    HyphenAtEdge {
        /// Index of the label, 0 for the leftmost.
        label: usize,
    },
    /// `host` and `domain` together over 253 bytes (`server/ddns.c:ddns_updates`).
    #[error("ddns_update: host.domain name too long")]
    HostDomainTooLong,
    /// The reverse name over 255 bytes (`server/ddns.c:ddns_updates`).
    #[error("ddns_update: Calculated rev domain name too long.")]
    ReverseTooLong,
}

/// Which bytes a label may hold.
#[derive(Clone, Copy)]
enum Alphabet {
    /// RFC 952 as relaxed by RFC 1123 section 2.1: `[A-Za-z0-9-]`, no `-` at either end. BIND
    /// requires this of the owners of A records and of PTR targets (`check-names`).
    Host,
    /// Printable ASCII but `\`: zone, key and reverse names, written by the operator.
    Printable,
}

/// A checked, absolute domain name, its case and its text kept as given.
///
/// ISC logs and stores names as they were built: a trailing dot only when the configured
/// domain had one (docs/ddns.md section 5.3), so [`fmt::Display`] prints the text as given; on
/// the wire every name is absolute.
#[derive(Clone, PartialEq, Eq)]
pub struct DomainName {
    text: String,
    name: Name,
}

impl DomainName {
    /// Parses a host's fully qualified name: every label a host name label (RFC 1123
    /// section 2.1), as BIND's `check-names` requires of the owner of an A record.
    pub fn host(text: &str) -> Result<Self, NameError> {
        Self::parse(text, Alphabet::Host)
    }

    /// Parses an operator-written name (zone, key, reverse domain): labels of printable ASCII
    /// other than `\` (escapes are not interpreted), so `_`-prefixed names are accepted.
    pub fn other(text: &str) -> Result<Self, NameError> {
        Self::parse(text, Alphabet::Printable)
    }

    fn parse(text: &str, alphabet: Alphabet) -> Result<Self, NameError> {
        let body = text.strip_suffix('.').unwrap_or(text);
        if body.is_empty() {
            return Err(NameError::Empty);
        }
        let mut wire_len = 1;
        for (label, bytes) in body.split('.').map(str::as_bytes).enumerate() {
            check_label(label, bytes, alphabet)?;
            wire_len += 1 + bytes.len();
        }
        if wire_len > MAX_WIRE_LEN {
            return Err(NameError::TooLong { len: wire_len });
        }
        let name = Name::from_labels(body.split('.').map(str::as_bytes))
            .map_err(|_| NameError::TooLong { len: wire_len })?;
        Ok(Self {
            text: text.to_owned(),
            name,
        })
    }

    /// The labels, leftmost first, without the root label.
    pub fn labels(&self) -> impl Iterator<Item = &[u8]> {
        self.name.iter()
    }

    /// The wire form (RFC 1035 section 3.1), uncompressed, case kept, root label included: what
    /// ISC hashes into the DHCID (`common/ns_name.c:MRns_name_pton`).
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len() + 2);
        for label in self.labels() {
            // A label holds at most 63 bytes (checked in `parse`).
            out.push(u8::try_from(label.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(label);
        }
        out.push(0);
        out
    }

    /// Whether `self` is `zone` or a name inside it, ignoring ASCII case.
    pub fn is_within(&self, zone: &Self) -> bool {
        let (ours, theirs) = (self.name.num_labels(), zone.name.num_labels());
        ours >= theirs
            && self
                .labels()
                .skip(usize::from(ours - theirs))
                .zip(zone.labels())
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// The number of labels, root label not counted.
    pub fn label_count(&self) -> usize {
        usize::from(self.name.num_labels())
    }

    /// The text as given (a trailing dot only if it had one).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The name as hickory-proto holds it (for its encoder, and a resolver's lookups).
    pub fn name(&self) -> &Name {
        &self.name
    }
}

fn check_label(label: usize, bytes: &[u8], alphabet: Alphabet) -> Result<(), NameError> {
    if bytes.is_empty() {
        return Err(NameError::EmptyLabel { label });
    }
    if bytes.len() > MAX_LABEL_LEN {
        return Err(NameError::LabelTooLong {
            label,
            len: bytes.len(),
        });
    }
    let allowed = |b: u8| match alphabet {
        Alphabet::Host => b.is_ascii_alphanumeric() || b == b'-',
        Alphabet::Printable => b.is_ascii_graphic() && b != b'\\',
    };
    if let Some(&byte) = bytes.iter().find(|&&b| !allowed(b)) {
        return Err(NameError::BadByte { byte, label });
    }
    if matches!(alphabet, Alphabet::Host) && (bytes.starts_with(b"-") || bytes.ends_with(b"-")) {
        return Err(NameError::HyphenAtEdge { label });
    }
    Ok(())
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

/// The forward name `host + "." + domain`, as ISC builds it (`server/ddns.c:ddns_updates`,
/// docs/ddns.md section 3.2 step 5): a trailing dot in `domain` is kept, `host` may hold dots
/// (a client's host-name `a.b` gives `a.b.domain`). Refused when `host` and `domain` add up to
/// over 253 bytes (ISC's own check and log text), or when the result is not a host name.
pub fn forward_name(host: &str, domain: &str) -> Result<DomainName, NameError> {
    if host.len() + domain.len() > MAX_HOST_DOMAIN_LEN {
        return Err(NameError::HostDomainTooLong);
    }
    DomainName::host(&format!("{host}.{domain}"))
}

/// The reverse name of `address`: its octets reversed in decimal, each followed by a dot, then
/// `rev_domain` byte for byte (`server/ddns.c:ddns_updates`; `ddns-rev-domainname`, default
/// [`DEFAULT_REV_DOMAIN`]): `198.18.0.100` gives `100.0.18.198.in-addr.arpa.`.
pub fn reverse_name(address: Ipv4Addr, rev_domain: &str) -> Result<DomainName, NameError> {
    let [a, b, c, d] = address.octets();
    let text = format!("{d}.{c}.{b}.{a}.{rev_domain}");
    if text.len() > MAX_WIRE_LEN {
        return Err(NameError::ReverseTooLong);
    }
    DomainName::other(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_forward_names_as_isc() {
        let n = forward_name("alpha", "example.test").unwrap();
        assert_eq!(n.to_string(), "alpha.example.test");
        let n = forward_name("a.b", "example.test.").unwrap();
        assert_eq!(n.to_string(), "a.b.example.test.");
        assert_eq!(n.label_count(), 4);
        assert_eq!(n.to_wire(), b"\x01a\x01b\x07example\x04test\x00".to_vec());
    }

    #[test]
    fn keeps_case_on_the_wire() {
        let n = forward_name("Alpha", "Example.test").unwrap();
        assert_eq!(n.to_wire(), b"\x05Alpha\x07Example\x04test\x00".to_vec());
    }

    #[test]
    fn refuses_names_that_are_not_host_names() {
        assert_eq!(
            forward_name("ESP_12AB", "example.test"),
            Err(NameError::BadByte {
                byte: b'_',
                label: 0
            })
        );
        assert_eq!(
            forward_name("a b", "example.test"),
            Err(NameError::BadByte {
                byte: b' ',
                label: 0
            })
        );
        assert_eq!(
            forward_name("x\\.y", "t"),
            Err(NameError::BadByte {
                byte: b'\\',
                label: 0
            })
        );
        assert_eq!(
            forward_name("caf\u{e9}", "t"),
            Err(NameError::BadByte {
                byte: 0xc3,
                label: 0
            })
        );
        assert_eq!(
            forward_name("-a", "t"),
            Err(NameError::HyphenAtEdge { label: 0 })
        );
        assert_eq!(
            forward_name("a", "b-.t"),
            Err(NameError::HyphenAtEdge { label: 1 })
        );
        assert_eq!(
            forward_name("", "t"),
            Err(NameError::EmptyLabel { label: 0 })
        );
        assert_eq!(
            forward_name("a..b", "t"),
            Err(NameError::EmptyLabel { label: 1 })
        );
        assert_eq!(DomainName::host("."), Err(NameError::Empty));
        assert!(
            forward_name("0abc", "t").is_ok(),
            "RFC 1123 allows a leading digit"
        );
    }

    #[test]
    fn enforces_rfc_1035_lengths() {
        let l64 = "a".repeat(64);
        assert_eq!(
            forward_name(&l64, "t"),
            Err(NameError::LabelTooLong { label: 0, len: 64 })
        );
        assert!(forward_name(&"a".repeat(63), "t").is_ok());
        // Four 63-byte labels: 4 * 64 + 1 = 257 bytes of wire form, 255 of text.
        let l63 = "a".repeat(63);
        let long = [l63.as_str(); 4].join(".");
        assert_eq!(
            DomainName::host(&long),
            Err(NameError::TooLong { len: 257 })
        );
        // 253 bytes of text without a trailing dot is 255 on the wire: the longest name.
        let max = format!("{l63}.{l63}.{l63}.{}", "a".repeat(61));
        assert_eq!(max.len(), 253);
        assert_eq!(DomainName::host(&max).unwrap().to_wire().len(), 255);
    }

    #[test]
    fn applies_isc_host_domain_limit_first() {
        let host = "a".repeat(200);
        assert_eq!(
            forward_name(&host, &"b".repeat(54)),
            Err(NameError::HostDomainTooLong)
        );
        assert_eq!(
            NameError::HostDomainTooLong.to_string(),
            "ddns_update: host.domain name too long"
        );
    }

    #[test]
    fn builds_reverse_names() {
        let n = reverse_name(Ipv4Addr::new(198, 18, 0, 100), DEFAULT_REV_DOMAIN).unwrap();
        assert_eq!(n.to_string(), "100.0.18.198.in-addr.arpa.");
        let n = reverse_name(Ipv4Addr::new(10, 1, 2, 3), "rev.example").unwrap();
        assert_eq!(n.to_string(), "3.2.1.10.rev.example");
        assert_eq!(
            reverse_name(Ipv4Addr::new(1, 2, 3, 4), &"a.".repeat(125)),
            Err(NameError::ReverseTooLong)
        );
    }

    #[test]
    fn accepts_operator_names_with_underscores() {
        let n = DomainName::other("DHCP_UPDATER").unwrap();
        assert_eq!(n.to_wire(), b"\x0cDHCP_UPDATER\x00".to_vec());
        assert!(DomainName::other("a\\b").is_err());
    }

    #[test]
    fn compares_zones_ignoring_case() {
        let zone = DomainName::other("Example.TEST.").unwrap();
        assert!(forward_name("a", "example.test").unwrap().is_within(&zone));
        assert!(DomainName::other("example.test").unwrap().is_within(&zone));
        assert!(!DomainName::other("test").unwrap().is_within(&zone));
        assert!(!forward_name("a", "xexample.test").unwrap().is_within(&zone));
    }
}
