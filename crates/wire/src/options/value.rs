//! `Value`: a typed option value, decoded from and encoded to the wire form its [`Format`] gives.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use super::{domain, Format, OptionCode};
use crate::Error;

/// A typed option value. Each variant belongs to one [`Format`] ([`Value::format`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// [`Format::Empty`].
    Empty,
    /// [`Format::Ip`].
    Ip(Ipv4Addr),
    /// [`Format::IpList`].
    IpList(Vec<Ipv4Addr>),
    /// [`Format::IpPairs`].
    IpPairs(Vec<(Ipv4Addr, Ipv4Addr)>),
    /// [`Format::U8`].
    U8(u8),
    /// [`Format::U16`].
    U16(u16),
    /// [`Format::U32`].
    U32(u32),
    /// [`Format::I32`].
    I32(i32),
    /// [`Format::Bool`].
    Bool(bool),
    /// [`Format::U8List`].
    U8List(Vec<u8>),
    /// [`Format::U16List`].
    U16List(Vec<u16>),
    /// [`Format::Text`].
    Text(String),
    /// [`Format::Bytes`].
    Bytes(Vec<u8>),
    /// [`Format::DomainName`]: dotted, without the trailing dot.
    DomainName(String),
    /// [`Format::DomainList`]: dotted names, without trailing dots.
    DomainList(Vec<String>),
    /// [`Format::Routes`].
    Routes(Vec<Route>),
    /// [`Format::Fqdn`].
    Fqdn(ClientFqdn),
    /// [`Format::SubOptions`]: (code, data) in wire order.
    SubOptions(Vec<(u8, Vec<u8>)>),
    /// [`Format::Vendors`]: (enterprise number, data) in wire order.
    Vendors(Vec<(u32, Vec<u8>)>),
    /// [`Format::Blobs`].
    Blobs(Vec<Vec<u8>>),
    /// [`Format::Tagged`]: a type octet and its data.
    Tagged(u8, Vec<u8>),
    /// [`Format::Status`]: a status code and a message.
    Status(u8, String),
    /// [`Format::SixRd`].
    SixRd(SixRd),
}

/// One classless static route (RFC 3442 section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// Destination network; bits past `prefix_len` are zero.
    pub destination: Ipv4Addr,
    /// Prefix length, 0 to 32.
    pub prefix_len: u8,
    /// Router for the destination.
    pub router: Ipv4Addr,
}

/// Client FQDN option contents (RFC 4702 section 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientFqdn {
    /// Flags octet: S (0x01), O (0x02), E (0x04, name in wire form), N (0x08).
    pub flags: u8,
    /// RCODE1, deprecated, sent as 0 (RFC 4702 section 2.2).
    pub rcode1: u8,
    /// RCODE2, deprecated, sent as 0 (RFC 4702 section 2.2).
    pub rcode2: u8,
    /// The name, dotted. With E set it is in RFC 1035 wire form on the wire; a trailing dot here
    /// means a fully qualified name (the wire form ends with the root label).
    pub name: String,
}

impl ClientFqdn {
    /// The E flag: the name is in canonical wire format (RFC 4702 section 2.1).
    pub const FLAG_E: u8 = 0x04;
}

/// 6rd parameters (RFC 5969 section 7.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SixRd {
    /// Number of high-order IPv4 bits common to all CEs.
    pub ipv4_mask_len: u8,
    /// Length of the 6rd IPv6 prefix.
    pub prefix_len: u8,
    /// The 6rd IPv6 prefix.
    pub prefix: Ipv6Addr,
    /// Border relay addresses, at least one.
    pub border_relays: Vec<Ipv4Addr>,
}

/// A bounds-checked reader over an option value; every read reports the offset it failed at.
struct Reader<'a> {
    code: OptionCode,
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(code: OptionCode, data: &'a [u8]) -> Self {
        Self { code, data, pos: 0 }
    }
    fn bad(&self) -> Error {
        Error::BadValue {
            code: self.code,
            offset: self.pos,
        }
    }
    fn is_done(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.bad())?;
        let out = self.data.get(self.pos..end).ok_or_else(|| self.bad())?;
        self.pos = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn rest(&mut self) -> &'a [u8] {
        let out = self.data.get(self.pos..).unwrap_or_default();
        self.pos = self.data.len();
        out
    }
}

/// Splits `data` into chunks of exactly `N` octets; any other length is [`Error::BadLength`]
/// (never a partial read: reliability class B5). `min` is the least number of chunks.
fn exact_chunks<const N: usize>(
    code: OptionCode,
    data: &[u8],
    min: usize,
) -> Result<impl Iterator<Item = [u8; N]> + '_, Error> {
    let chunks = data.chunks_exact(N);
    if !chunks.remainder().is_empty() || chunks.len() < min {
        return Err(Error::BadLength {
            code,
            len: data.len(),
        });
    }
    Ok(chunks.map(|c| {
        let mut out = [0; N];
        out.copy_from_slice(c);
        out
    }))
}

fn fixed<const N: usize>(code: OptionCode, data: &[u8]) -> Result<[u8; N], Error> {
    <[u8; N]>::try_from(data).map_err(|_| Error::BadLength {
        code,
        len: data.len(),
    })
}

/// NVT ASCII text: trailing NULs dropped (RFC 2132 section 2), the rest must be UTF-8.
fn text(code: OptionCode, data: &[u8]) -> Result<String, Error> {
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let trimmed = data.get(..end).unwrap_or_default();
    core::str::from_utf8(trimmed)
        .map(String::from)
        .map_err(|e| Error::BadValue {
            code,
            offset: e.valid_up_to(),
        })
}

impl Value {
    /// The format this value belongs to.
    pub fn format(&self) -> Format {
        match self {
            Self::Empty => Format::Empty,
            Self::Ip(_) => Format::Ip,
            Self::IpList(_) => Format::IpList,
            Self::IpPairs(_) => Format::IpPairs,
            Self::U8(_) => Format::U8,
            Self::U16(_) => Format::U16,
            Self::U32(_) => Format::U32,
            Self::I32(_) => Format::I32,
            Self::Bool(_) => Format::Bool,
            Self::U8List(_) => Format::U8List,
            Self::U16List(_) => Format::U16List,
            Self::Text(_) => Format::Text,
            Self::Bytes(_) => Format::Bytes,
            Self::DomainName(_) => Format::DomainName,
            Self::DomainList(_) => Format::DomainList,
            Self::Routes(_) => Format::Routes,
            Self::Fqdn(_) => Format::Fqdn,
            Self::SubOptions(_) => Format::SubOptions,
            Self::Vendors(_) => Format::Vendors,
            Self::Blobs(_) => Format::Blobs,
            Self::Tagged(..) => Format::Tagged,
            Self::Status(..) => Format::Status,
            Self::SixRd(_) => Format::SixRd,
        }
    }

    /// Decodes the (RFC 3396 concatenated) value of option `code` as `format`. Every length is
    /// checked; a value that does not fit its format is an error, never a partial read.
    pub fn decode(format: Format, code: OptionCode, data: &[u8]) -> Result<Self, Error> {
        let bad_len = || Error::BadLength {
            code,
            len: data.len(),
        };
        let mut r = Reader::new(code, data);
        let value = match format {
            Format::Empty if data.is_empty() => Self::Empty,
            Format::Empty => return Err(bad_len()),
            Format::Ip => Self::Ip(fixed::<4>(code, data)?.into()),
            Format::IpList => Self::IpList(
                exact_chunks::<4>(code, data, 1)?
                    .map(Ipv4Addr::from)
                    .collect(),
            ),
            Format::IpPairs => Self::IpPairs(
                exact_chunks::<8>(code, data, 1)?
                    .map(|c| {
                        let [a, b, c, d, e, f, g, h] = c;
                        (Ipv4Addr::new(a, b, c, d), Ipv4Addr::new(e, f, g, h))
                    })
                    .collect(),
            ),
            Format::U8 => Self::U8(fixed::<1>(code, data)?[0]),
            Format::U16 => Self::U16(u16::from_be_bytes(fixed(code, data)?)),
            Format::U32 => Self::U32(u32::from_be_bytes(fixed(code, data)?)),
            Format::I32 => Self::I32(i32::from_be_bytes(fixed(code, data)?)),
            Format::Bool => match fixed::<1>(code, data)? {
                [0] => Self::Bool(false),
                [1] => Self::Bool(true),
                _ => return Err(r.bad()),
            },
            Format::U8List if data.is_empty() => return Err(bad_len()),
            Format::U8List => Self::U8List(data.to_vec()),
            Format::U16List => Self::U16List(
                exact_chunks::<2>(code, data, 1)?
                    .map(u16::from_be_bytes)
                    .collect(),
            ),
            // Only NULs is no text at all (RFC 2132 section 2: trailing NULs are not content).
            Format::Text => match text(code, data)? {
                t if t.is_empty() => return Err(bad_len()),
                t => Self::Text(t),
            },
            Format::Bytes => Self::Bytes(data.to_vec()),
            Format::DomainName => {
                let (name, used) = domain::decode_name(code, data, 0, false)?;
                if used != data.len() {
                    return Err(Error::BadValue { code, offset: used });
                }
                Self::DomainName(name)
            }
            Format::DomainList => Self::DomainList(domain::decode_list(code, data)?),
            Format::Routes => Self::Routes(super::routes::decode(code, data)?),
            Format::Fqdn => {
                let flags = r.u8()?;
                let rcode1 = r.u8()?;
                let rcode2 = r.u8()?;
                let name = if flags & ClientFqdn::FLAG_E != 0 {
                    domain::decode_fqdn(code, r.rest(), 3)?
                } else {
                    let rest = r.rest();
                    if rest.is_empty() {
                        String::new()
                    } else {
                        text(code, rest)?
                    }
                };
                Self::Fqdn(ClientFqdn {
                    flags,
                    rcode1,
                    rcode2,
                    name,
                })
            }
            Format::SubOptions => {
                let mut subs = Vec::new();
                while !r.is_done() {
                    let sub = r.u8()?;
                    let len = usize::from(r.u8()?);
                    subs.push((sub, r.take(len)?.to_vec()));
                }
                if subs.is_empty() {
                    return Err(bad_len());
                }
                Self::SubOptions(subs)
            }
            Format::Vendors => {
                let mut blocks = Vec::new();
                while !r.is_done() {
                    let enterprise = r.u32()?;
                    let len = usize::from(r.u8()?);
                    blocks.push((enterprise, r.take(len)?.to_vec()));
                }
                if blocks.is_empty() {
                    return Err(bad_len());
                }
                Self::Vendors(blocks)
            }
            Format::Blobs => {
                let mut blobs = Vec::new();
                while !r.is_done() {
                    let len = usize::from(r.u8()?);
                    if len == 0 {
                        return Err(r.bad());
                    }
                    blobs.push(r.take(len)?.to_vec());
                }
                if blobs.is_empty() {
                    return Err(bad_len());
                }
                Self::Blobs(blobs)
            }
            Format::Tagged => {
                let tag = r.u8()?;
                Self::Tagged(tag, r.rest().to_vec())
            }
            Format::Status => {
                let status = r.u8()?;
                let rest = r.rest();
                let message = if rest.is_empty() {
                    String::new()
                } else {
                    text(code, rest)?
                };
                Self::Status(status, message)
            }
            Format::SixRd => {
                let ipv4_mask_len = r.u8()?;
                let prefix_len = r.u8()?;
                let prefix = Ipv6Addr::from(r.array::<16>()?);
                let relays = r.rest();
                let border_relays = exact_chunks::<4>(code, relays, 1)?
                    .map(Ipv4Addr::from)
                    .collect();
                if ipv4_mask_len > 32 || prefix_len > 128 {
                    return Err(Error::BadValue { code, offset: 0 });
                }
                Self::SixRd(SixRd {
                    ipv4_mask_len,
                    prefix_len,
                    prefix,
                    border_relays,
                })
            }
        };
        Ok(value)
    }

    /// Appends the wire form of this value (without code and length octets) to `out`.
    /// RFC 3396 splitting into 255-octet instances happens when the option is encoded.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Empty => {}
            Self::Ip(ip) => out.extend_from_slice(&ip.octets()),
            Self::IpList(ips) => ips
                .iter()
                .for_each(|ip| out.extend_from_slice(&ip.octets())),
            Self::IpPairs(pairs) => pairs.iter().for_each(|(a, b)| {
                out.extend_from_slice(&a.octets());
                out.extend_from_slice(&b.octets());
            }),
            Self::U8(v) => out.push(*v),
            Self::U16(v) => out.extend_from_slice(&v.to_be_bytes()),
            Self::U32(v) => out.extend_from_slice(&v.to_be_bytes()),
            Self::I32(v) => out.extend_from_slice(&v.to_be_bytes()),
            Self::Bool(v) => out.push(u8::from(*v)),
            Self::U8List(v) | Self::Bytes(v) => out.extend_from_slice(v),
            Self::U16List(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
            Self::Text(s) => out.extend_from_slice(s.as_bytes()),
            Self::DomainName(name) => domain::encode_name(name, out),
            Self::DomainList(names) => domain::encode_list(names, out),
            Self::Routes(routes) => super::routes::encode(routes, out),
            Self::Fqdn(fqdn) => {
                out.extend_from_slice(&[fqdn.flags, fqdn.rcode1, fqdn.rcode2]);
                if fqdn.flags & ClientFqdn::FLAG_E != 0 {
                    domain::encode_fqdn(&fqdn.name, out);
                } else {
                    out.extend_from_slice(fqdn.name.as_bytes());
                }
            }
            Self::SubOptions(subs) => subs.iter().for_each(|(code, data)| {
                // Sub-option values are at most 255 octets; longer ones are cut by the builder
                // that made them (they cannot be represented).
                let data = data.get(..255).unwrap_or(data);
                out.push(*code);
                out.push(data.len() as u8);
                out.extend_from_slice(data);
            }),
            Self::Vendors(blocks) => blocks.iter().for_each(|(enterprise, data)| {
                let data = data.get(..255).unwrap_or(data);
                out.extend_from_slice(&enterprise.to_be_bytes());
                out.push(data.len() as u8);
                out.extend_from_slice(data);
            }),
            Self::Blobs(blobs) => blobs.iter().for_each(|blob| {
                let blob = blob.get(..255).unwrap_or(blob);
                out.push(blob.len() as u8);
                out.extend_from_slice(blob);
            }),
            Self::Tagged(tag, data) => {
                out.push(*tag);
                out.extend_from_slice(data);
            }
            Self::Status(status, message) => {
                out.push(*status);
                out.extend_from_slice(message.as_bytes());
            }
            Self::SixRd(six) => {
                out.extend_from_slice(&[six.ipv4_mask_len, six.prefix_len]);
                out.extend_from_slice(&six.prefix.octets());
                six.border_relays
                    .iter()
                    .for_each(|ip| out.extend_from_slice(&ip.octets()));
            }
        }
    }

    /// The wire form of this value as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}
