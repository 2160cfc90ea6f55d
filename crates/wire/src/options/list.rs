//! `Options`: the options of one message, raw and in order, with typed accessors.

use alloc::vec::Vec;
use core::fmt;
use core::net::Ipv4Addr;

use super::{table, OptionCode, Value};
use crate::message::MessageType;
use crate::Error;

/// One option's position in the shared buffer.
#[derive(Clone, Copy)]
struct Entry {
    code: OptionCode,
    start: usize,
    len: usize,
}

/// The options of a message: each code once, its value raw (RFC 3396 fragments already
/// concatenated), in the order the codes first appeared. Unknown codes are kept as they are.
///
/// All values live in one buffer, so a decoded message costs two allocations whatever its number
/// of options.
#[derive(Clone, Default)]
pub struct Options {
    buf: Vec<u8>,
    entries: Vec<Entry>,
}

impl Options {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `options` options with `bytes` octets of values in all.
    pub fn with_capacity(options: usize, bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes),
            entries: Vec::with_capacity(options),
        }
    }

    /// Number of distinct options.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn value_of(&self, entry: &Entry) -> &[u8] {
        self.buf
            .get(entry.start..entry.start + entry.len)
            .unwrap_or_default()
    }

    /// The options in order, as (code, raw value).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (OptionCode, &[u8])> + '_ {
        self.entries.iter().map(move |e| (e.code, self.value_of(e)))
    }

    /// The raw value of `code`.
    pub fn get(&self, code: OptionCode) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|e| e.code == code)
            .map(|e| self.value_of(e))
    }

    /// Whether `code` is present.
    pub fn contains(&self, code: OptionCode) -> bool {
        self.entries.iter().any(|e| e.code == code)
    }

    /// Sets the raw value of `code`: in place when present (keeping its position), else last.
    /// Values of any length are allowed; encoding splits them (RFC 3396).
    pub fn insert(&mut self, code: OptionCode, value: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(value);
        let entry = Entry {
            code,
            start,
            len: value.len(),
        };
        match self.entries.iter_mut().find(|e| e.code == code) {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
    }

    /// Sets `code` to the wire form of `value`.
    pub fn insert_value(&mut self, code: OptionCode, value: &Value) {
        let start = self.buf.len();
        value.encode(&mut self.buf);
        let entry = Entry {
            code,
            start,
            len: self.buf.len() - start,
        };
        match self.entries.iter_mut().find(|e| e.code == code) {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
    }

    /// Builds options from a buffer and (code, range) entries the decoder laid out in it.
    pub(crate) fn from_parts(
        buf: Vec<u8>,
        entries: impl Iterator<Item = (OptionCode, usize, usize)>,
    ) -> Self {
        let entries = entries
            .map(|(code, start, len)| Entry { code, start, len })
            .collect();
        Self { buf, entries }
    }

    /// Removes `code`, returning whether it was present.
    pub fn remove(&mut self, code: OptionCode) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.code != code);
        before != self.entries.len()
    }

    /// Decodes the value of `code` with the format the option table gives it. `None` when absent
    /// or not in the table.
    pub fn value(&self, code: OptionCode) -> Option<Result<Value, Error>> {
        let def = table::lookup(code)?;
        let raw = self.get(code)?;
        Some(Value::decode(def.format, code, raw))
    }

    fn fixed<const N: usize>(&self, code: OptionCode) -> Option<[u8; N]> {
        <[u8; N]>::try_from(self.get(code)?).ok()
    }

    fn ip(&self, code: OptionCode) -> Option<Ipv4Addr> {
        self.fixed::<4>(code).map(Ipv4Addr::from)
    }

    fn u32(&self, code: OptionCode) -> Option<u32> {
        self.fixed::<4>(code).map(u32::from_be_bytes)
    }

    /// Option 53, when present with exactly one octet (RFC 2132 section 9.6). Conflicting
    /// instances concatenate to a longer value, which gives `None` (reliability class B18).
    pub fn message_type(&self) -> Option<MessageType> {
        self.fixed::<1>(OptionCode::MESSAGE_TYPE)
            .map(|[t]| MessageType(t))
    }

    /// Option 50, when exactly 4 octets (RFC 2132 section 9.1).
    pub fn requested_address(&self) -> Option<Ipv4Addr> {
        self.ip(OptionCode::REQUESTED_ADDRESS)
    }

    /// Option 54, when exactly 4 octets (RFC 2132 section 9.7).
    pub fn server_identifier(&self) -> Option<Ipv4Addr> {
        self.ip(OptionCode::SERVER_IDENTIFIER)
    }

    /// Option 51 in seconds, when exactly 4 octets (RFC 2132 section 9.2).
    pub fn lease_time(&self) -> Option<u32> {
        self.u32(OptionCode::LEASE_TIME)
    }

    /// Option 58 in seconds (RFC 2132 section 9.11).
    pub fn renewal_time(&self) -> Option<u32> {
        self.u32(OptionCode::RENEWAL_TIME)
    }

    /// Option 59 in seconds (RFC 2132 section 9.12).
    pub fn rebinding_time(&self) -> Option<u32> {
        self.u32(OptionCode::REBINDING_TIME)
    }

    /// Option 55, when at least one octet (RFC 2132 section 9.8).
    pub fn parameter_request_list(&self) -> Option<&[u8]> {
        self.get(OptionCode::PARAMETER_REQUEST_LIST)
            .filter(|v| !v.is_empty())
    }

    /// Option 57, when exactly 2 octets (RFC 2132 section 9.10). The value is as sent; callers
    /// clamp it to at least 576 (reliability class B14).
    pub fn max_message_size(&self) -> Option<u16> {
        self.fixed::<2>(OptionCode::MAX_MESSAGE_SIZE)
            .map(u16::from_be_bytes)
    }

    /// Option 61, when at least 2 octets (RFC 2132 section 9.14: "the minimum length is 2").
    pub fn client_identifier(&self) -> Option<&[u8]> {
        self.get(OptionCode::CLIENT_IDENTIFIER)
            .filter(|v| v.len() >= 2)
    }

    /// Option 12 with trailing NULs dropped, when non-empty (RFC 2132 sections 2 and 3.14).
    pub fn host_name(&self) -> Option<&[u8]> {
        let raw = self.get(OptionCode::HOST_NAME)?;
        let end = raw.iter().rposition(|&b| b != 0)? + 1;
        raw.get(..end)
    }

    /// Option 82, raw (RFC 3046).
    pub fn relay_agent_information(&self) -> Option<&[u8]> {
        self.get(OptionCode::RELAY_AGENT_INFORMATION)
    }
}

impl PartialEq for Options {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Options {}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> FromIterator<(OptionCode, &'a [u8])> for Options {
    fn from_iter<I: IntoIterator<Item = (OptionCode, &'a [u8])>>(iter: I) -> Self {
        let mut options = Self::new();
        iter.into_iter()
            .for_each(|(code, value)| options.insert(code, value));
        options
    }
}
