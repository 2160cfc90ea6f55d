//! TSIG keys (`key NAME { algorithm ALG; secret SECRET; }`) and their HMACs (RFC 8945
//! section 6), computed with RustCrypto's `hmac`: hickory-proto signs only with SHA-256 and
//! longer, and most ISC configurations use hmac-md5.

use std::fmt;

use hickory_proto::rr::Name;
use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512};

use crate::name::{DomainName, NameError};

/// A TSIG algorithm ISC dhcpd accepts (`omapip/isclib.c:isclib_make_dst_key`; reading its
/// dhcpd.conf spelling is charrua-conf's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC-MD5 (RFC 8945 section 6: "MUST NOT" be used, yet the most common in dhcpd.conf).
    HmacMd5,
    /// HMAC-SHA1.
    HmacSha1,
    /// HMAC-SHA224.
    HmacSha224,
    /// HMAC-SHA256, RFC 8945's recommended algorithm.
    HmacSha256,
    /// HMAC-SHA384.
    HmacSha384,
    /// HMAC-SHA512.
    HmacSha512,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Self; 6] = [
        Self::HmacMd5,
        Self::HmacSha1,
        Self::HmacSha224,
        Self::HmacSha256,
        Self::HmacSha384,
        Self::HmacSha512,
    ];

    /// The algorithm name in the TSIG RDATA, spelled as BIND (and so ISC dhcpd) sends it
    /// (RFC 8945 section 6).
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::HmacMd5 => "hmac-md5.sig-alg.reg.int.",
            Self::HmacSha1 => "hmac-sha1.",
            Self::HmacSha224 => "hmac-sha224.",
            Self::HmacSha256 => "hmac-sha256.",
            Self::HmacSha384 => "hmac-sha384.",
            Self::HmacSha512 => "hmac-sha512.",
        }
    }

    /// Whether a received algorithm name is this one (names compare ignoring case, RFC 4343).
    pub(crate) fn is_named(self, name: &Name) -> bool {
        Name::from_ascii(self.wire_name()).is_ok_and(|ours| ours.eq_ignore_root(name))
    }

    /// The length of the untruncated MAC, the hash's output length.
    pub fn mac_len(self) -> usize {
        match self {
            Self::HmacMd5 => 16,
            Self::HmacSha1 => 20,
            Self::HmacSha224 => 28,
            Self::HmacSha256 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }

    /// The HMAC of `data` under `secret` (RFC 2104).
    pub(crate) fn mac(self, secret: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(secret: &[u8], data: &[u8]) -> Vec<u8> {
            // HMAC takes keys of any length, so `new_from_slice` does not fail.
            keyed::<M>(secret, data)
                .map(|m| m.finalize().into_bytes().to_vec())
                .unwrap_or_default()
        }
        match self {
            Self::HmacMd5 => run::<Hmac<Md5>>(secret, data),
            Self::HmacSha1 => run::<Hmac<Sha1>>(secret, data),
            Self::HmacSha224 => run::<Hmac<Sha224>>(secret, data),
            Self::HmacSha256 => run::<Hmac<Sha256>>(secret, data),
            Self::HmacSha384 => run::<Hmac<Sha384>>(secret, data),
            Self::HmacSha512 => run::<Hmac<Sha512>>(secret, data),
        }
    }

    /// Whether `tag` is the full HMAC of `data` under `secret`, compared in constant time.
    pub(crate) fn verify(self, secret: &[u8], data: &[u8], tag: &[u8]) -> bool {
        fn run<M: Mac + KeyInit>(secret: &[u8], data: &[u8], tag: &[u8]) -> bool {
            keyed::<M>(secret, data).is_some_and(|m| m.verify_slice(tag).is_ok())
        }
        match self {
            Self::HmacMd5 => run::<Hmac<Md5>>(secret, data, tag),
            Self::HmacSha1 => run::<Hmac<Sha1>>(secret, data, tag),
            Self::HmacSha224 => run::<Hmac<Sha224>>(secret, data, tag),
            Self::HmacSha256 => run::<Hmac<Sha256>>(secret, data, tag),
            Self::HmacSha384 => run::<Hmac<Sha384>>(secret, data, tag),
            Self::HmacSha512 => run::<Hmac<Sha512>>(secret, data, tag),
        }
    }
}

fn keyed<M: Mac + KeyInit>(secret: &[u8], data: &[u8]) -> Option<M> {
    let mut mac = <M as KeyInit>::new_from_slice(secret).ok()?;
    mac.update(data);
    Some(mac)
}

/// The name dhcpd.conf and named.conf write: `hmac-md5` ... `hmac-sha512`.
impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.wire_name();
        f.write_str(name.split('.').next().unwrap_or(name))
    }
}

/// A TSIG key: its name, algorithm and secret (already base64-decoded, as
/// `common/parse.c:parse_base64` decodes it). `Debug` does not show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    name: DomainName,
    algorithm: Algorithm,
    secret: Vec<u8>,
}

impl Key {
    /// A key named `name` (made absolute on the wire, as ISC sends it).
    pub fn new(name: &str, algorithm: Algorithm, secret: Vec<u8>) -> Result<Self, NameError> {
        Ok(Self {
            name: DomainName::other(name)?,
            algorithm,
            secret,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &DomainName {
        &self.name
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &format_args!("<{} bytes>", self.secret.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_configuration_names() {
        let names: Vec<_> = Algorithm::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "hmac-md5",
                "hmac-sha1",
                "hmac-sha224",
                "hmac-sha256",
                "hmac-sha384",
                "hmac-sha512"
            ]
        );
    }

    #[test]
    fn matches_received_algorithm_names_ignoring_case() {
        let upper = Name::from_ascii("HMAC-MD5.SIG-ALG.REG.INT").unwrap();
        assert!(Algorithm::HmacMd5.is_named(&upper));
        assert!(!Algorithm::HmacSha1.is_named(&upper));
        let sha = Name::from_ascii("hmac-sha256.").unwrap();
        assert!(Algorithm::HmacSha256.is_named(&sha));
    }

    #[test]
    fn computes_rfc_2202_and_4231_test_vectors() {
        // RFC 2202 test case 2 (MD5, SHA-1) and RFC 4231 test case 2 (SHA-2): key "Jefe".
        let data = b"what do ya want for nothing?";
        let hex = |v: Vec<u8>| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(Algorithm::HmacMd5.mac(b"Jefe", data)),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        assert_eq!(
            hex(Algorithm::HmacSha1.mac(b"Jefe", data)),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            hex(Algorithm::HmacSha256.mac(b"Jefe", data)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        for a in Algorithm::ALL {
            let mac = a.mac(b"Jefe", data);
            assert_eq!(mac.len(), a.mac_len());
            assert!(a.verify(b"Jefe", data, &mac));
            assert!(!a.verify(b"Jeff", data, &mac));
            assert!(
                !a.verify(b"Jefe", data, &mac[..10]),
                "truncated MACs are refused"
            );
        }
    }

    #[test]
    fn hides_the_secret_from_debug() {
        let key = Key::new("ddns-key", Algorithm::HmacMd5, b"s3cret".to_vec()).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("ddns-key") && shown.contains("<6 bytes>"));
        assert!(!shown.contains("s3cret"));
    }
}
