//! Domain names in RFC 1035 section 3.1 wire form, with the compression pointers of section 4.1.4
//! as RFC 3397 uses them inside one option value.
//!
//! Decoding is bounded: a pointer must point strictly backwards, so the walk cannot loop, and a
//! name is at most 255 octets (reliability class B12: CVE-2016-2147, CVE-2020-7461).

use alloc::string::String;
use alloc::vec::Vec;

use super::OptionCode;
use crate::Error;

/// Longest name in wire form (RFC 1035 section 3.1).
const MAX_NAME: usize = 255;
/// Longest label (RFC 1035 section 2.3.4).
const MAX_LABEL: usize = 63;
/// Largest offset a compression pointer can hold.
const MAX_POINTER: usize = 0x3fff;

/// Octets allowed in a label: printable ASCII other than the characters that would make the
/// dotted or quoted text form ambiguous.
fn label_octet_ok(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && !matches!(b, b'.' | b'"' | b'\\' | b',')
}

/// Decodes one name starting at `start` in `data`. Returns the dotted name (no trailing dot) and
/// the number of octets the name occupies at `start` (up to and including the root label or the
/// first pointer). Pointers are followed only when `compressed` is set, and only backwards.
pub(crate) fn decode_name(
    code: OptionCode,
    data: &[u8],
    start: usize,
    compressed: bool,
) -> Result<(String, usize), Error> {
    let bad = |offset: usize| Error::BadValue { code, offset };
    let mut name = String::new();
    let mut wire_len = 0usize;
    let mut pos = start;
    // Where the walk must stay strictly below after a jump; this makes loops impossible.
    let mut limit = data.len();
    let mut used: Option<usize> = None;
    loop {
        let len = usize::from(*data.get(pos).filter(|_| pos < limit).ok_or(bad(pos))?);
        if len == 0 {
            let used = used.unwrap_or_else(|| pos + 1 - start);
            return Ok((name, used));
        }
        if len & 0xc0 == 0xc0 {
            let low = usize::from(
                *data
                    .get(pos + 1)
                    .filter(|_| pos + 1 < limit)
                    .ok_or(bad(pos))?,
            );
            let target = ((len & 0x3f) << 8) | low;
            if !compressed || target >= pos {
                return Err(bad(pos));
            }
            // The name's length at `start` ends at its first pointer (later jumps go backwards,
            // below `start`, so only the first one counts).
            if used.is_none() {
                used = Some(pos + 2 - start);
            }
            limit = pos;
            pos = target;
            continue;
        }
        if len > MAX_LABEL {
            return Err(bad(pos));
        }
        let label = data
            .get(pos + 1..pos + 1 + len)
            .filter(|_| pos + 1 + len <= limit);
        let label = label.ok_or(bad(pos))?;
        if let Some(i) = label.iter().position(|&b| !label_octet_ok(b)) {
            return Err(bad(pos + 1 + i));
        }
        wire_len += 1 + len;
        if wire_len + 1 > MAX_NAME {
            return Err(bad(pos));
        }
        if !name.is_empty() {
            name.push('.');
        }
        // Every octet passed `label_octet_ok`, so it is ASCII.
        name.extend(label.iter().map(|&b| char::from(b)));
        pos += 1 + len;
    }
}

/// Decodes a list of compressed names filling all of `data` (RFC 3397 section 2).
pub(crate) fn decode_list(code: OptionCode, data: &[u8]) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let (name, used) = decode_name(code, data, pos, true)?;
        names.push(name);
        pos += used;
    }
    if names.is_empty() {
        return Err(Error::BadLength { code, len: 0 });
    }
    Ok(names)
}

/// Decodes the name of a client FQDN option in wire form (RFC 4702 section 2.3.1): labels up to
/// the root label (fully qualified, written with a trailing dot) or up to the end of the option
/// (a partial name). `base` is the offset of `data` inside the option, for error positions.
pub(crate) fn decode_fqdn(code: OptionCode, data: &[u8], base: usize) -> Result<String, Error> {
    let bad = |offset: usize| Error::BadValue {
        code,
        offset: base + offset,
    };
    let mut name = String::new();
    let mut pos = 0;
    while pos < data.len() {
        let len = usize::from(*data.get(pos).ok_or(bad(pos))?);
        if len == 0 {
            if pos + 1 != data.len() {
                return Err(bad(pos + 1));
            }
            name.push('.');
            return Ok(name);
        }
        if len > MAX_LABEL {
            return Err(bad(pos));
        }
        let label = data.get(pos + 1..pos + 1 + len).ok_or(bad(pos))?;
        if let Some(i) = label.iter().position(|&b| !label_octet_ok(b)) {
            return Err(bad(pos + 1 + i));
        }
        if !name.is_empty() {
            name.push('.');
        }
        name.extend(label.iter().map(|&b| char::from(b)));
        pos += 1 + len;
    }
    if pos + 1 > MAX_NAME {
        return Err(bad(0));
    }
    Ok(name)
}

/// Whether `name` (dotted, no trailing dot, possibly empty for the root) can be encoded: labels of
/// 1 to 63 allowed octets, at most 255 octets in wire form.
pub(crate) fn is_valid_name(name: &str) -> bool {
    if name.is_empty() {
        return true;
    }
    name.len() + 2 <= MAX_NAME
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= MAX_LABEL && l.bytes().all(label_octet_ok))
}

fn labels(name: &str) -> impl Iterator<Item = &str> {
    name.split('.').filter(|l| !l.is_empty())
}

fn push_label(label: &str, out: &mut Vec<u8>) {
    let label = label.as_bytes();
    let label = label.get(..MAX_LABEL).unwrap_or(label);
    out.push(label.len() as u8);
    out.extend_from_slice(label);
}

/// Encodes one uncompressed name with its root label.
pub(crate) fn encode_name(name: &str, out: &mut Vec<u8>) {
    labels(name).for_each(|l| push_label(l, out));
    out.push(0);
}

/// Encodes an FQDN option name in wire form: with a root label when `name` ends with a dot
/// (fully qualified), without one otherwise (partial, RFC 4702 section 2.3.1).
pub(crate) fn encode_fqdn(name: &str, out: &mut Vec<u8>) {
    labels(name).for_each(|l| push_label(l, out));
    if name.ends_with('.') {
        out.push(0);
    }
}

/// Encodes names with compression: each name's longest suffix already written becomes a pointer
/// (RFC 1035 section 4.1.4). Offsets are relative to the start of the value (RFC 3397 section 2).
pub(crate) fn encode_list(names: &[String], out: &mut Vec<u8>) {
    let base = out.len();
    // (suffix, offset) of every suffix written so far.
    let mut written: Vec<(&str, usize)> = Vec::new();
    for name in names {
        let name = name.trim_end_matches('.');
        let mut rest = name;
        loop {
            if rest.is_empty() {
                out.push(0);
                break;
            }
            if let Some(&(_, offset)) = written.iter().find(|(s, _)| *s == rest) {
                out.extend_from_slice(&(0xc000 | offset as u16).to_be_bytes());
                break;
            }
            let offset = out.len() - base;
            if offset <= MAX_POINTER {
                written.push((rest, offset));
            }
            let (label, tail) = rest.split_once('.').unwrap_or((rest, ""));
            push_label(label, out);
            rest = tail;
        }
    }
}
