//! The client FQDN option (81) as ISC dhcpd decodes it into its `fqdn` option space
//! (common/options.c `fqdn_universe_decode`, the sub-options of common/tables.c
//! `fqdn_options`; docs/ddns.md section 3.1): what `option fqdn.NAME` and `exists fqdn.NAME`
//! read in dhcpd.conf expressions, and the client's name as the DDNS decision reads it.

/// A sub-option of ISC's `fqdn` space, by its name there (`fqdn.NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FqdnField {
    /// `no-client-update`: the O flag, or an ASCII name ending in a NUL (a flag, one octet).
    NoClientUpdate,
    /// `server-update`: the S flag (a flag).
    ServerUpdate,
    /// `encoded`: the E flag (a flag).
    Encoded,
    /// `rcode1`: the first RCODE octet.
    Rcode1,
    /// `rcode2`: the second RCODE octet.
    Rcode2,
    /// `hostname`: the name up to its first dot.
    Hostname,
    /// `domainname`: what follows the host name.
    Domainname,
    /// `fqdn`: the whole name.
    Fqdn,
}

impl FqdnField {
    /// Every sub-option with its name, in ISC's code order (1 to 8).
    const NAMES: [(&'static str, Self); 8] = [
        ("no-client-update", Self::NoClientUpdate),
        ("server-update", Self::ServerUpdate),
        ("encoded", Self::Encoded),
        ("rcode1", Self::Rcode1),
        ("rcode2", Self::Rcode2),
        ("hostname", Self::Hostname),
        ("domainname", Self::Domainname),
        ("fqdn", Self::Fqdn),
    ];

    /// The sub-option called `name` (without its `fqdn.` prefix), case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, field)| *field)
    }

    /// Its name in dhcpd.conf.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("", |(n, _)| n)
    }
}

/// The longest DNS label (RFC 1035 section 2.3.4), the longest dhcpd takes in a wire-form
/// name.
pub(crate) const MAX_LABEL: usize = 63;

/// Option 81 as dhcpd stores it: `None` for an option shorter than 3 octets, which dhcpd
/// ignores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FqdnSpace {
    /// The flags octet as sent.
    pub(crate) flags: u8,
    /// The rest, `None` when dhcpd rejected the wire-form name (a label over 63 octets, or
    /// one running past the option) after storing `encoded` alone.
    pub(crate) rest: Option<FqdnRest>,
}

/// The sub-options dhcpd stores unless it rejects the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FqdnRest {
    no_client_update: bool,
    rcode1: u8,
    rcode2: u8,
    pub(crate) hostname: Option<Vec<u8>>,
    pub(crate) domainname: Option<Vec<u8>>,
    pub(crate) fqdn: Option<Vec<u8>>,
}

impl FqdnSpace {
    /// Decodes option 81's octets as `fqdn_universe_decode` does, quirks included: an ASCII
    /// name's trailing NUL is dropped and sets `no-client-update`; a wire-form name keeps a
    /// leading dot in `domainname`, and one without its root label is all `hostname`.
    pub(crate) fn decode(raw: &[u8]) -> Option<Self> {
        let [flags, rcode1, rcode2, ..] = *raw else {
            return None;
        };
        let encoded = flags & 4 != 0;
        let mut no_client_update = flags & 2 != 0;
        let names = if encoded {
            wire_names(raw.get(3..).unwrap_or_default())
        } else {
            let mut length = raw.len();
            if raw.last() == Some(&0) {
                length -= 1;
                no_client_update = true;
            }
            Some(ascii_names(raw, length))
        };
        let rest = names.map(|(hostname, domainname, fqdn)| FqdnRest {
            no_client_update,
            rcode1,
            rcode2,
            hostname,
            domainname,
            fqdn,
        });
        Some(Self { flags, rest })
    }

    /// The value of `field`, as `option fqdn.NAME` evaluates it; flags are one octet, 0 or 1.
    pub(crate) fn get(&self, field: FqdnField) -> Option<Vec<u8>> {
        let flag = |on: bool| Some(vec![u8::from(on)]);
        // `encoded` is stored first, and stays when the name is rejected.
        let rest = match (field, &self.rest) {
            (FqdnField::Encoded, _) => return flag(self.flags & 4 != 0),
            (_, rest) => rest.as_ref()?,
        };
        match field {
            FqdnField::NoClientUpdate => flag(rest.no_client_update),
            FqdnField::ServerUpdate => flag(self.flags & 1 != 0),
            FqdnField::Rcode1 => Some(vec![rest.rcode1]),
            FqdnField::Rcode2 => Some(vec![rest.rcode2]),
            FqdnField::Hostname => rest.hostname.clone(),
            FqdnField::Domainname => rest.domainname.clone(),
            FqdnField::Encoded | FqdnField::Fqdn => rest.fqdn.clone(),
        }
    }
}

/// Host name, domain name and whole name of an ASCII name: `raw` is the whole option, its
/// name `raw[3..length]`.
type Names = (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);

fn ascii_names(raw: &[u8], length: usize) -> Names {
    let slice = |from: usize, to: usize| raw.get(from..to).map(<[u8]>::to_vec);
    // The host name runs to the first dot (common/options.c: `for (i = 3; ...)`).
    let host_len = raw
        .get(3..length)
        .unwrap_or_default()
        .iter()
        .position(|b| *b == b'.')
        .unwrap_or(length.saturating_sub(3));
    let hostname = (host_len > 0).then(|| slice(3, 3 + host_len)).flatten();
    let domainname = (length > 4 + host_len)
        .then(|| slice(4 + host_len, length))
        .flatten();
    let fqdn = (length > 3).then(|| slice(3, length)).flatten();
    (hostname, domainname, fqdn)
}

/// The names of a wire-form `name` (the option from its fourth octet), each length octet
/// made a dot; `None` when dhcpd rejects it. dhcpd checks a label against the end of the
/// option plus two octets of its zeroed buffer, which it may then read: so does this.
fn wire_names(name: &[u8]) -> Option<Names> {
    let mut dotted = name.to_vec();
    dotted.extend_from_slice(&[0, 0]);
    let (mut p, mut total, mut first) = (0usize, 0usize, 0usize);
    let mut terminated = false;
    while p < name.len() {
        let len = *dotted.get(p)?;
        if usize::from(len) > MAX_LABEL {
            return None;
        }
        if len == 0 {
            terminated = true;
            break;
        }
        let len = usize::from(len);
        if p + len > name.len() + 1 {
            return None;
        }
        if first == 0 {
            first = len;
        }
        *dotted.get_mut(p)? = b'.';
        p += len + 1;
        total += len + 1;
    }
    total = total.saturating_sub(1);
    if !terminated {
        first = total;
    }
    let slice = |from: usize, to: usize| dotted.get(from..to).map(<[u8]>::to_vec);
    let hostname = (first > 0).then(|| slice(1, 1 + first)).flatten();
    let domainname = (total > 0 && first != total)
        .then(|| slice(1 + first, 1 + total))
        .flatten();
    let fqdn = (total > 0).then(|| slice(1, 1 + total)).flatten();
    Some((hostname, domainname, fqdn))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(raw: &[u8], field: FqdnField) -> Option<Vec<u8>> {
        FqdnSpace::decode(raw).and_then(|s| s.get(field))
    }

    fn text(raw: &[u8], field: FqdnField) -> Option<String> {
        get(raw, field).map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    #[test]
    fn ascii_names_split_at_the_first_dot() {
        let raw = b"\x01\x00\x00host.example.com.";
        assert_eq!(text(raw, FqdnField::Hostname).as_deref(), Some("host"));
        assert_eq!(
            text(raw, FqdnField::Domainname).as_deref(),
            Some("example.com.")
        );
        assert_eq!(
            text(raw, FqdnField::Fqdn).as_deref(),
            Some("host.example.com.")
        );
        assert_eq!(get(raw, FqdnField::ServerUpdate), Some(vec![1]));
        assert_eq!(get(raw, FqdnField::NoClientUpdate), Some(vec![0]));
        assert_eq!(get(raw, FqdnField::Encoded), Some(vec![0]));
        // A single label has no domain; a trailing NUL is dropped and sets no-client-update.
        let raw = b"\x00\x00\x00host\x00";
        assert_eq!(text(raw, FqdnField::Hostname).as_deref(), Some("host"));
        assert_eq!(get(raw, FqdnField::Domainname), None);
        assert_eq!(text(raw, FqdnField::Fqdn).as_deref(), Some("host"));
        assert_eq!(get(raw, FqdnField::NoClientUpdate), Some(vec![1]));
        // `host.`: no domain either; `.x`: no host name.
        assert_eq!(get(b"\x00\x00\x00host.", FqdnField::Domainname), None);
        assert_eq!(get(b"\x00\x00\x00.x", FqdnField::Hostname), None);
        assert_eq!(
            text(b"\x00\x00\x00.x", FqdnField::Domainname).as_deref(),
            Some("x")
        );
    }

    #[test]
    fn wire_names_keep_a_leading_dot_in_the_domain() {
        let raw = b"\x05\x00\x00\x04host\x07example\x03com\x00";
        assert_eq!(text(raw, FqdnField::Hostname).as_deref(), Some("host"));
        assert_eq!(
            text(raw, FqdnField::Domainname).as_deref(),
            Some(".example.com")
        );
        assert_eq!(
            text(raw, FqdnField::Fqdn).as_deref(),
            Some("host.example.com")
        );
        assert_eq!(get(raw, FqdnField::Encoded), Some(vec![1]));
        // Without its root label the name is partial: all of it is the host name.
        let raw = b"\x04\x00\x00\x04host\x03lab";
        assert_eq!(text(raw, FqdnField::Hostname).as_deref(), Some("host.lab"));
        assert_eq!(get(raw, FqdnField::Domainname), None);
    }

    #[test]
    fn a_rejected_wire_name_leaves_encoded_alone() {
        for raw in [&b"\x04\x00\x00\x40aaaa"[..], b"\x04\x00\x00\x09host"] {
            let space = FqdnSpace::decode(raw).unwrap();
            assert_eq!(space.rest, None, "{raw:?}");
            assert_eq!(space.get(FqdnField::Encoded), Some(vec![1]));
            assert_eq!(space.get(FqdnField::Hostname), None);
            assert_eq!(space.get(FqdnField::ServerUpdate), None);
        }
        assert_eq!(FqdnSpace::decode(b"\x01\x00"), None);
    }

    #[test]
    fn names_are_read_case_insensitively() {
        assert_eq!(FqdnField::from_name("HostName"), Some(FqdnField::Hostname));
        assert_eq!(
            FqdnField::from_name("server-update").map(FqdnField::name),
            Some("server-update")
        );
        assert_eq!(FqdnField::from_name("nothing"), None);
    }
}
