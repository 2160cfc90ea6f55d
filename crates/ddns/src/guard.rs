//! The guard record that marks a name as registered by this DHCP server for one client:
//! the interim style's TXT and the standard style's DHCID (RFC 4701).

use hickory_proto::rr::rdata::{NULL, TXT};
use hickory_proto::rr::{RData, RecordType};
use md5::{Digest, Md5};
use sha2::Sha256;

use crate::name::DomainName;

/// The DHCID RR type (RFC 4701 section 3), which hickory-proto has no type for.
const DHCID: u16 = 49;

/// `ddns-update-style` (`server/dhcpd.c:postconf_initialization`): which guard the server
/// writes beside the A record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// ISC's pre-RFC scheme: a TXT record holding a hash of the client identifier.
    Interim,
    /// RFC 4701 and RFC 4703: a DHCID record.
    Standard,
}

/// What identifies the client: the client identifier option (61) if it sent one, otherwise
/// its hardware type and address.
#[derive(Debug, Clone, Copy)]
pub struct ClientIdentity<'a> {
    /// The value of option 61, type byte included, if the client sent it.
    pub client_id: Option<&'a [u8]>,
    /// The header's `htype`.
    pub htype: u8,
    /// The header's `chaddr`, its first `hlen` bytes.
    pub chaddr: &'a [u8],
}

/// Why no guard can be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// An RFC 4361 client identifier (type 255) too short to hold an IAID and a DUID: ISC
    /// sends no update (`common/dns.c:get_std_dhcid`).
    #[error("client identifier of type 255 too short for a DUID ({len} bytes)")]
    DuidTooShort {
        /// The option's length.
        len: usize,
    },
    /// A stored guard that no record can hold: an empty value, or a TXT value over 255 bytes
    /// (one character-string, RFC 1035 section 3.3.14).
    #[error("stored guard of {len} bytes cannot be sent")]
    BadStoredValue {
        /// The value's length.
        len: usize,
    },
}

/// A guard record's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// Interim style: the TXT record's one character-string (34 bytes when computed).
    Txt(Vec<u8>),
    /// Standard style: the DHCID RDATA (35 bytes when computed).
    Dhcid(Vec<u8>),
}

impl Guard {
    /// The guard `style` writes for `client` at `fqdn`.
    pub fn new(
        style: Style,
        client: &ClientIdentity<'_>,
        fqdn: &DomainName,
    ) -> Result<Self, GuardError> {
        match style {
            Style::Interim => Ok(Self::interim(client)),
            Style::Standard => Self::standard(client, fqdn),
        }
    }

    /// The interim TXT (`common/dns.c:get_int_dhcid`): two type characters, then the 32
    /// lowercase hex digits of MD5 over the identifier; the name is not hashed. `31` and the
    /// whole option 61 value (type byte included) when the client sent one, `31` being a
    /// historical slip for code 61 that ISC keeps; otherwise `00` and `htype || chaddr`.
    pub fn interim(client: &ClientIdentity<'_>) -> Self {
        let digest = match client.client_id {
            Some(id) => Md5::digest(id),
            None => Md5::new()
                .chain_update([client.htype])
                .chain_update(client.chaddr)
                .finalize(),
        };
        let mut text = match client.client_id {
            Some(_) => b"31".to_vec(),
            None => b"00".to_vec(),
        };
        for b in digest {
            text.extend_from_slice(format!("{b:02x}").as_bytes());
        }
        Self::Txt(text)
    }

    /// The DHCID RDATA (RFC 4701 section 3.3, `common/dns.c:get_std_dhcid`): identifier type
    /// (2 bytes), digest type 1, then SHA-256 over the identifier and `fqdn` in wire form.
    /// Identifier type 2 (RFC 4701 section 3.3 "DUID") and the DUID for an RFC 4361 client
    /// identifier (first byte 255: the bytes after type and IAID), type 1 and the whole option
    /// for any other client identifier, type 0 and `htype || chaddr` without one. The name
    /// keeps its case: ISC converts it with `MRns_name_pton`, which does not fold case (RFC 4701
    /// section 3.5 asks for the canonical form), and charrua must hash as ISC does to recognise
    /// ISC's records.
    pub fn standard(client: &ClientIdentity<'_>, fqdn: &DomainName) -> Result<Self, GuardError> {
        let (kind, identifier): (u16, Vec<u8>) = match client.client_id {
            Some(id) if id.first() == Some(&255) => match id.get(5..) {
                Some(duid) => (2, duid.to_vec()),
                None => return Err(GuardError::DuidTooShort { len: id.len() }),
            },
            Some(id) => (1, id.to_vec()),
            None => (0, [&[client.htype][..], client.chaddr].concat()),
        };
        let digest = Sha256::new()
            .chain_update(identifier)
            .chain_update(fqdn.to_wire())
            .finalize();
        let mut rdata = kind.to_be_bytes().to_vec();
        rdata.push(1);
        rdata.extend_from_slice(&digest);
        Ok(Self::Dhcid(rdata))
    }

    /// A guard read back from a lease's `ddns-txt` or `ddns-dhcid` variable (docs/ddns.md
    /// section 6); the TXT is sent as one character-string holding `value`
    /// (`common/dns.c:dhcid_fromlease`).
    pub fn stored(style: Style, value: &[u8]) -> Result<Self, GuardError> {
        let bad = GuardError::BadStoredValue { len: value.len() };
        match style {
            _ if value.is_empty() => Err(bad),
            Style::Interim if value.len() > 255 => Err(bad),
            Style::Interim => Ok(Self::Txt(value.to_vec())),
            Style::Standard if value.len() > usize::from(u16::MAX) => Err(bad),
            Style::Standard => Ok(Self::Dhcid(value.to_vec())),
        }
    }

    /// The style this guard belongs to.
    pub fn style(&self) -> Style {
        match self {
            Self::Txt(_) => Style::Interim,
            Self::Dhcid(_) => Style::Standard,
        }
    }

    /// The lease variable ISC stores the guard in (`server/ddns.c:ddns_update_lease_text`).
    pub fn lease_variable(&self) -> &'static str {
        match self {
            Self::Txt(_) => "ddns-txt",
            Self::Dhcid(_) => "ddns-dhcid",
        }
    }

    /// The value stored in the lease: the TXT text, or the DHCID RDATA bytes.
    pub fn value(&self) -> &[u8] {
        match self {
            Self::Txt(v) | Self::Dhcid(v) => v,
        }
    }

    pub(crate) fn record_type(&self) -> RecordType {
        match self {
            Self::Txt(_) => RecordType::TXT,
            Self::Dhcid(_) => RecordType::Unknown(DHCID),
        }
    }

    /// The guard type of the other style: what a server of the other protocol (or style)
    /// puts beside its address records, which dual-stack mixed mode looks for
    /// (`server/ddns.c`: `other_dhcid_class`).
    pub(crate) fn other_record_type(&self) -> RecordType {
        match self {
            Self::Txt(_) => RecordType::Unknown(DHCID),
            Self::Dhcid(_) => RecordType::TXT,
        }
    }

    pub(crate) fn rdata(&self) -> RData {
        match self {
            Self::Txt(text) => RData::TXT(TXT::from_bytes(vec![text.as_slice()])),
            Self::Dhcid(rdata) => RData::Unknown {
                code: self.record_type(),
                rdata: NULL::with(rdata.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    fn b64(rdata: &Guard) -> String {
        base64::engine::general_purpose::STANDARD.encode(rdata.value())
    }

    fn name(text: &str) -> DomainName {
        DomainName::host(text).unwrap()
    }

    #[test]
    fn dhcid_matches_rfc_4701_section_3_6_1() {
        // A DHCPv6 DUID; for DHCPv4 it arrives as an RFC 4361 client identifier: 255, IAID.
        let duid = [
            0x00, 0x01, 0x00, 0x06, 0x41, 0x2d, 0xf1, 0x66, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
        ];
        let id = [&[255, 0, 0, 0, 1][..], &duid].concat();
        let client = ClientIdentity {
            client_id: Some(&id),
            htype: 1,
            chaddr: &[0; 6],
        };
        let g = Guard::standard(&client, &name("chi6.example.com")).unwrap();
        assert_eq!(b64(&g), "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=");
    }

    #[test]
    fn dhcid_matches_rfc_4701_section_3_6_2() {
        let id = [0x01, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c];
        let client = ClientIdentity {
            client_id: Some(&id),
            htype: 1,
            chaddr: &[0; 6],
        };
        let g = Guard::standard(&client, &name("chi.example.com")).unwrap();
        assert_eq!(b64(&g), "AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No=");
    }

    #[test]
    fn dhcid_matches_rfc_4701_section_3_6_3() {
        let client = ClientIdentity {
            client_id: None,
            htype: 1,
            chaddr: &[0x01, 0x02, 0x03, 0x04, 0x05, 0x06],
        };
        let g = Guard::standard(&client, &name("client.example.com")).unwrap();
        assert_eq!(b64(&g), "AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=");
        assert_eq!(g.value().len(), 35);
        assert_eq!(g.lease_variable(), "ddns-dhcid");
    }

    #[test]
    fn dhcid_hashes_the_name_with_its_case_as_isc() {
        let id = [0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
        let client = ClientIdentity {
            client_id: Some(&id),
            htype: 1,
            chaddr: &[2, 0, 0, 0, 0, 1],
        };
        let lower = Guard::standard(&client, &name("alpha.example.test")).unwrap();
        assert_eq!(
            b64(&lower),
            "AAEBXyV315F5F9Tzm+xlOs3THq5Vg4Ejn+DsRxwq3J2ii4A="
        );
        // A trailing dot changes nothing: the wire form is absolute either way.
        let dotted = Guard::standard(&client, &name("alpha.example.test.")).unwrap();
        assert_eq!(lower, dotted);
        let mixed = Guard::standard(&client, &name("Alpha.example.test")).unwrap();
        assert_ne!(lower, mixed);
    }

    #[test]
    fn dhcid_refuses_a_short_rfc_4361_identifier() {
        let client = ClientIdentity {
            client_id: Some(&[255, 0, 0, 1]),
            htype: 1,
            chaddr: &[0; 6],
        };
        assert_eq!(
            Guard::standard(&client, &name("a.test")),
            Err(GuardError::DuidTooShort { len: 4 })
        );
    }

    /// Values computed with Python: `"31" + hashlib.md5(bytes.fromhex("01020000000001")).hexdigest()`
    /// and `"00" + hashlib.md5(bytes.fromhex("01020000000001")).hexdigest()` (docs/ddns.md
    /// section 5.1's examples), and `hashlib.md5(bytes.fromhex("ff000000010001000641")).hexdigest()`.
    #[test]
    fn interim_txt_matches_independent_md5() {
        let mac = [0x02, 0, 0, 0, 0, 0x01];
        let without = ClientIdentity {
            client_id: None,
            htype: 1,
            chaddr: &mac,
        };
        let g = Guard::interim(&without);
        assert_eq!(g.value(), b"00c4ca78f9cf3717b36cf11b2bb4fc190c");
        assert_eq!(g.lease_variable(), "ddns-txt");
        let id = [0x01, 0x02, 0, 0, 0, 0, 0x01];
        let with = ClientIdentity {
            client_id: Some(&id),
            ..without
        };
        assert_eq!(
            Guard::interim(&with).value(),
            b"31c4ca78f9cf3717b36cf11b2bb4fc190c"
        );
        let other = [0xff, 0, 0, 0, 0x01, 0x00, 0x01, 0x00, 0x06, 0x41];
        let with = ClientIdentity {
            client_id: Some(&other),
            ..without
        };
        assert_eq!(
            Guard::interim(&with).value(),
            b"31af14b5e03eddea59833430a1d470b578"
        );
    }

    #[test]
    fn reads_stored_guards() {
        let txt = Guard::stored(Style::Interim, b"31c4ca78f9cf3717b36cf11b2bb4fc190c").unwrap();
        assert_eq!(txt.style(), Style::Interim);
        assert_eq!(
            Guard::stored(Style::Interim, &[b'a'; 256]),
            Err(GuardError::BadStoredValue { len: 256 })
        );
        assert_eq!(
            Guard::stored(Style::Standard, b""),
            Err(GuardError::BadStoredValue { len: 0 })
        );
    }
}
