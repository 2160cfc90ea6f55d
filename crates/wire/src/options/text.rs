//! The text forms of option values, as ISC dhcpd writes them in `dhcpd.conf` and `dhcpd.leases`:
//! dotted quads, comma-separated lists, quoted strings with octal escapes, colon-separated hex.
//!
//! `Display` for [`Value`] writes this form and [`Value::parse_text`] reads it back, so the config
//! parser and the lease file share one implementation.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::net::{Ipv4Addr, Ipv6Addr};

use super::{domain, ClientFqdn, Format, Route, SixRd, Value};

/// A value's text did not parse: what was expected, at which byte offset of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} at offset {offset}")]
pub struct TextError {
    /// Byte offset into the text.
    pub offset: usize,
    /// What the parser was looking for.
    pub expected: &'static str,
}

/// `name` without its final dot, if it is a valid domain name.
fn valid_name(name: &str, offset: usize) -> Result<String, TextError> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    if domain::is_valid_name(bare) {
        Ok(String::from(bare))
    } else {
        Err(TextError {
            offset,
            expected: "a domain name",
        })
    }
}

/// Why [`parse_isc_number`] refused a number, in dhcpd's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// A character that is no digit ("Bogus number").
    Bogus,
    /// A digit beyond the base ("digit D not in base B").
    NotInBase {
        /// The digit's value.
        digit: u32,
        /// The base the number is in.
        base: u32,
    },
    /// More than the width holds ("exceeds max (M) for precision").
    TooBig {
        /// The largest magnitude allowed.
        max: u32,
    },
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bogus => f.write_str("bogus number"),
            Self::NotInBase { digit, base } => write!(f, "digit {digit} not in base {base}"),
            Self::TooBig { max } => write!(f, "exceeds max ({max}) for precision"),
        }
    }
}

/// A number of `bits` (8, 16 or 32) as ISC dhcpd reads one (common/parse.c `convert_num`): an
/// optional `-`, then hex after `0x`, octal after a leading `0`, else decimal; at 8 and 16 bits
/// a magnitude above the width is refused (a negative one may reach 2^(bits-1)), at 32 it
/// wraps. A negative number is returned in two's complement, cut to `bits`.
pub fn parse_isc_number(text: &str, bits: u32) -> Result<u32, NumberError> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (base, digits) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.as_bytes().get(1).is_some_and(u8::is_ascii_digit)
    {
        (8, digits.get(1..).unwrap_or_default())
    } else {
        (10, digits)
    };
    if digits.is_empty() {
        return Err(NumberError::Bogus);
    }
    let mut value: u32 = 0;
    for c in digits.chars() {
        let digit = c.to_digit(36).ok_or(NumberError::Bogus)?;
        if digit >= base {
            return Err(NumberError::NotInBase { digit, base });
        }
        value = value.wrapping_mul(base).wrapping_add(digit);
    }
    // At 32 bits only a negative number has a limit (dhcpd's int arithmetic).
    let half = 1u32 << (bits - 1);
    let max = if negative { half } else { half + (half - 1) };
    if value > max && (bits < 32 || negative) {
        return Err(NumberError::TooBig { max });
    }
    let value = if negative {
        value.wrapping_neg()
    } else {
        value
    };
    Ok(if bits < 32 {
        value & ((1 << bits) - 1)
    } else {
        value
    })
}

/// An IPv4 address as ISC dhcpd reads one: four decimal numbers up to 255 joined by dots,
/// leading zeros allowed (`10.0.0.001` is 10.0.0.1), as common/parse.c `parse_numeric_aggregate`
/// converts each part in base 10; unlike `Ipv4Addr::from_str`, which refuses them.
pub fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

/// Writes `bytes` as a double-quoted string; `"` and `\` are escaped with a backslash and any
/// octet outside printable ASCII as a three-digit octal escape (ISC dhcpd's form).
pub fn write_quoted(f: &mut impl Write, bytes: &[u8]) -> fmt::Result {
    f.write_char('"')?;
    for &b in bytes {
        match b {
            b'"' | b'\\' => write!(f, "\\{}", char::from(b))?,
            0x20..=0x7e => f.write_char(char::from(b))?,
            _ => write!(f, "\\{b:03o}")?,
        }
    }
    f.write_char('"')
}

/// Writes `bytes` as colon-separated hex pairs (`01:ab:ff`).
pub fn write_hex(f: &mut impl Write, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            f.write_char(':')?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// ISC's rule for opaque data: a quoted string when every octet is printable (so empty data is
/// `""`), else hex.
pub fn write_bytes(f: &mut impl Write, bytes: &[u8]) -> fmt::Result {
    if bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        write_quoted(f, bytes)
    } else {
        write_hex(f, bytes)
    }
}

fn write_list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    mut each: impl FnMut(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        each(f, item)?;
    }
    Ok(())
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => Ok(()),
            Self::Ip(ip) => write!(f, "{ip}"),
            Self::IpList(ips) => write_list(f, ips, |f, ip| write!(f, "{ip}")),
            Self::IpPairs(pairs) => write_list(f, pairs, |f, (a, b)| write!(f, "{a} {b}")),
            Self::U8(v) => write!(f, "{v}"),
            Self::U16(v) => write!(f, "{v}"),
            Self::U32(v) => write!(f, "{v}"),
            Self::I32(v) => write!(f, "{v}"),
            Self::Bool(v) => f.write_str(if *v { "true" } else { "false" }),
            Self::U8List(v) => write_list(f, v, |f, x| write!(f, "{x}")),
            Self::U16List(v) => write_list(f, v, |f, x| write!(f, "{x}")),
            Self::Text(s) => write_quoted(f, s.as_bytes()),
            Self::DomainName(s) => f.write_str(s),
            Self::Bytes(b) => write_bytes(f, b),
            Self::DomainList(names) => write_list(f, names, |f, n| write_quoted(f, n.as_bytes())),
            Self::Routes(routes) => write_list(f, routes, |f, r| {
                write!(f, "{}/{} {}", r.destination, r.prefix_len, r.router)
            }),
            Self::Fqdn(q) => {
                write!(f, "{}, {}, {}, ", q.flags, q.rcode1, q.rcode2)?;
                write_quoted(f, q.name.as_bytes())
            }
            Self::SubOptions(subs) => write_list(f, subs, |f, (code, data)| {
                write!(f, "{code}=")?;
                write_bytes(f, data)
            }),
            Self::Vendors(blocks) => write_list(f, blocks, |f, (enterprise, data)| {
                write!(f, "{enterprise}=")?;
                write_bytes(f, data)
            }),
            Self::Blobs(blobs) => write_list(f, blobs, |f, b| write_bytes(f, b)),
            Self::Tagged(tag, data) => {
                write!(f, "{tag}, ")?;
                write_bytes(f, data)
            }
            Self::Status(status, message) => {
                write!(f, "{status}, ")?;
                write_quoted(f, message.as_bytes())
            }
            Self::SixRd(s) => {
                write!(f, "{}, {}, {}", s.ipv4_mask_len, s.prefix_len, s.prefix)?;
                s.border_relays
                    .iter()
                    .try_for_each(|ip| write!(f, ", {ip}"))
            }
        }
    }
}

/// A cursor over value text.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or_default()
    }
    fn err(&self, expected: &'static str) -> TextError {
        TextError {
            offset: self.pos,
            expected,
        }
    }
    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }
    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.rest().is_empty()
    }
    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn require(&mut self, c: char, expected: &'static str) -> Result<(), TextError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(expected))
        }
    }
    /// A run of characters that are not separators.
    fn word(&mut self, expected: &'static str) -> Result<&'a str, TextError> {
        self.skip_ws();
        let rest = self.rest();
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | '='))
            .unwrap_or(rest.len());
        if end == 0 {
            return Err(self.err(expected));
        }
        self.pos += end;
        Ok(rest.get(..end).unwrap_or_default())
    }
    fn parse<T: core::str::FromStr>(&mut self, expected: &'static str) -> Result<T, TextError> {
        let start = self.pos;
        let word = self.word(expected)?;
        word.parse().map_err(|_| TextError {
            offset: start,
            expected,
        })
    }
    /// A number as dhcpd reads one (see [`parse_isc_number`]).
    fn isc_number(&mut self, bits: u32, expected: &'static str) -> Result<u32, TextError> {
        let start = self.pos;
        let word = self.word(expected)?;
        parse_isc_number(word, bits).map_err(|_| TextError {
            offset: start,
            expected,
        })
    }
    fn ip(&mut self) -> Result<Ipv4Addr, TextError> {
        let start = self.pos;
        let word = self.word("an IPv4 address")?;
        parse_ipv4(word).ok_or(TextError {
            offset: start,
            expected: "an IPv4 address",
        })
    }
    fn boolean(&mut self) -> Result<bool, TextError> {
        let start = self.pos;
        match self.word("true or false")? {
            w if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("on") => Ok(true),
            w if w.eq_ignore_ascii_case("false") || w.eq_ignore_ascii_case("off") => Ok(false),
            _ => Err(TextError {
                offset: start,
                expected: "true or false",
            }),
        }
    }
    /// A double-quoted string with `\"`, `\\`, `\n`, `\t`, `\r`, octal `\ooo` and `\xHH` escapes.
    fn quoted(&mut self) -> Result<Vec<u8>, TextError> {
        self.require('"', "a quoted string")?;
        let mut out = Vec::new();
        let bytes = self.text.as_bytes();
        loop {
            let b = *bytes.get(self.pos).ok_or(self.err("a closing quote"))?;
            self.pos += 1;
            match b {
                b'"' => return Ok(out),
                b'\\' => out.push(self.escape()?),
                _ => out.push(b),
            }
        }
    }
    fn escape(&mut self) -> Result<u8, TextError> {
        let bytes = self.text.as_bytes();
        let b = *bytes.get(self.pos).ok_or(self.err("an escape"))?;
        let digits = |radix: u32, max: usize, pos: usize| {
            let run = bytes.get(pos..).unwrap_or_default();
            let n = run
                .iter()
                .take(max)
                .take_while(|c| char::from(**c).is_digit(radix))
                .count();
            let s = core::str::from_utf8(run.get(..n).unwrap_or_default()).unwrap_or_default();
            (u8::from_str_radix(s, radix).ok(), n)
        };
        let (value, used) = match b {
            b'0'..=b'7' => digits(8, 3, self.pos),
            b'x' => {
                let (v, n) = digits(16, 2, self.pos + 1);
                (v, n + 1)
            }
            b'n' => (Some(b'\n'), 1),
            b't' => (Some(b'\t'), 1),
            b'r' => (Some(b'\r'), 1),
            other => (Some(other), 1),
        };
        let value = value.ok_or(self.err("a valid escape"))?;
        self.pos += used;
        Ok(value)
    }
    fn utf8(&mut self) -> Result<String, TextError> {
        let start = self.pos;
        String::from_utf8(self.quoted()?).map_err(|_| TextError {
            offset: start,
            expected: "UTF-8 text",
        })
    }
    /// Opaque data: a quoted string or colon-separated hex octets (`1:a:ff`).
    fn bytes(&mut self) -> Result<Vec<u8>, TextError> {
        self.skip_ws();
        if self.rest().starts_with('"') {
            return self.quoted();
        }
        let start = self.pos;
        let word = self.word("a quoted string or colon-separated hex")?;
        word.split(':')
            .map(|h| match h.len() {
                1 | 2 => u8::from_str_radix(h, 16).ok(),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or(TextError {
                offset: start,
                expected: "colon-separated hex octets",
            })
    }
    /// A quoted domain name, as each name of a domain list.
    fn name(&mut self) -> Result<String, TextError> {
        let start = self.pos;
        let name = self.utf8()?;
        valid_name(&name, start)
    }
    /// A domain name unquoted, as dhcpd reads and writes the `d` format (common/parse.c
    /// `parse_domain_name`: a string is "not a valid domain name").
    fn bare_name(&mut self) -> Result<String, TextError> {
        let start = self.pos;
        let name = self.word("a domain name")?;
        valid_name(name, start)
    }
    fn route(&mut self) -> Result<Route, TextError> {
        let start = self.pos;
        let bad = TextError {
            offset: start,
            expected: "a route: destination/prefix router",
        };
        let (dest, len) = self.word("a route")?.split_once('/').ok_or(bad)?;
        let destination = parse_ipv4(dest).ok_or(bad)?;
        let prefix_len: u8 = len.parse().ok().filter(|l| *l <= 32).ok_or(bad)?;
        let mask = u32::MAX
            .checked_shl(32 - u32::from(prefix_len))
            .unwrap_or(0);
        if u32::from(destination) & !mask != 0 {
            return Err(bad);
        }
        Ok(Route {
            destination,
            prefix_len,
            router: self.ip()?,
        })
    }
    /// One or more items separated by commas, to the end of the text.
    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, TextError>,
    ) -> Result<Vec<T>, TextError> {
        let mut items = alloc::vec![item(self)?];
        while self.eat(',') {
            items.push(item(self)?);
        }
        Ok(items)
    }
}

impl Value {
    /// Parses the text form of a value of `format` (what `Display` writes, and what ISC dhcpd
    /// accepts in `option` statements). The whole text must be consumed.
    pub fn parse_text(format: Format, text: &str) -> Result<Self, TextError> {
        let mut c = Cursor { text, pos: 0 };
        let value = match format {
            Format::Empty => Self::Empty,
            Format::Ip => Self::Ip(c.ip()?),
            Format::IpList => Self::IpList(c.list(Cursor::ip)?),
            Format::IpPairs => Self::IpPairs(c.list(|c| Ok((c.ip()?, c.ip()?)))?),
            Format::U8 => Self::U8(c.isc_number(8, "an integer 0-255")? as u8),
            Format::U16 => Self::U16(c.isc_number(16, "an integer 0-65535")? as u16),
            Format::U32 => Self::U32(c.isc_number(32, "an integer 0-4294967295")?),
            Format::I32 => Self::I32(c.isc_number(32, "a signed 32-bit integer")? as i32),
            Format::Bool => Self::Bool(c.boolean()?),
            Format::U8List => {
                Self::U8List(c.list(|c| Ok(c.isc_number(8, "an integer 0-255")? as u8))?)
            }
            Format::U16List => {
                Self::U16List(c.list(|c| Ok(c.isc_number(16, "an integer 0-65535")? as u16))?)
            }
            Format::Text => {
                let s = c.utf8()?;
                if s.is_empty() || s.ends_with('\0') {
                    return Err(TextError {
                        offset: 0,
                        expected: "non-empty text",
                    });
                }
                Self::Text(s)
            }
            Format::Bytes => Self::Bytes(c.bytes()?),
            Format::DomainName => Self::DomainName(c.bare_name()?),
            Format::DomainList => Self::DomainList(c.list(Cursor::name)?),
            Format::Routes => Self::Routes(c.list(Cursor::route)?),
            Format::Fqdn => {
                let flags = c.parse("FQDN flags")?;
                c.require(',', "a comma")?;
                let rcode1 = c.parse("RCODE1")?;
                c.require(',', "a comma")?;
                let rcode2 = c.parse("RCODE2")?;
                c.require(',', "a comma")?;
                let start = c.pos;
                let name = c.utf8()?;
                let bare = name.strip_suffix('.').unwrap_or(&name);
                if flags & ClientFqdn::FLAG_E != 0 && !domain::is_valid_name(bare) {
                    return Err(TextError {
                        offset: start,
                        expected: "a domain name",
                    });
                }
                Self::Fqdn(ClientFqdn {
                    flags,
                    rcode1,
                    rcode2,
                    name,
                })
            }
            Format::SubOptions => Self::SubOptions(c.list(|c| {
                let code = c.parse("a sub-option code")?;
                c.require('=', "=")?;
                Ok((code, short(c, Cursor::bytes)?))
            })?),
            Format::Vendors => Self::Vendors(c.list(|c| {
                let enterprise = c.parse("an enterprise number")?;
                c.require('=', "=")?;
                Ok((enterprise, short(c, Cursor::bytes)?))
            })?),
            Format::Blobs => Self::Blobs(c.list(|c| {
                let start = c.pos;
                let blob = short(c, Cursor::bytes)?;
                if blob.is_empty() {
                    return Err(TextError {
                        offset: start,
                        expected: "a non-empty instance",
                    });
                }
                Ok(blob)
            })?),
            Format::Tagged => {
                let tag = c.parse("a type octet")?;
                c.require(',', "a comma")?;
                Self::Tagged(tag, c.bytes()?)
            }
            Format::Status => {
                let status = c.parse("a status code")?;
                c.require(',', "a comma")?;
                Self::Status(status, c.utf8()?)
            }
            Format::SixRd => {
                let ipv4_mask_len = c.parse("an IPv4 mask length").and_then(|v: u8| {
                    if v <= 32 {
                        Ok(v)
                    } else {
                        Err(TextError {
                            offset: 0,
                            expected: "0-32",
                        })
                    }
                })?;
                c.require(',', "a comma")?;
                let prefix_len = c.parse("a prefix length").and_then(|v: u8| {
                    if v <= 128 {
                        Ok(v)
                    } else {
                        Err(TextError {
                            offset: 0,
                            expected: "0-128",
                        })
                    }
                })?;
                c.require(',', "a comma")?;
                let prefix: Ipv6Addr = c.parse("an IPv6 prefix")?;
                c.require(',', "a comma")?;
                let border_relays = c.list(Cursor::ip)?;
                Self::SixRd(SixRd {
                    ipv4_mask_len,
                    prefix_len,
                    prefix,
                    border_relays,
                })
            }
        };
        if !c.at_end() {
            return Err(c.err("end of value"));
        }
        Ok(value)
    }
}

/// Items inside a length-prefixed container hold at most 255 octets.
fn short<'a>(
    c: &mut Cursor<'a>,
    item: impl FnOnce(&mut Cursor<'a>) -> Result<Vec<u8>, TextError>,
) -> Result<Vec<u8>, TextError> {
    let start = c.pos;
    let data = item(c)?;
    if data.len() > 255 {
        return Err(TextError {
            offset: start,
            expected: "at most 255 octets",
        });
    }
    Ok(data)
}
