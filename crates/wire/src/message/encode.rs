//! Encoding: header, options split into 255-octet instances (RFC 3396), and option overload into
//! `file` and `sname` when a size limit asks for it (RFC 2131 section 4.1, RFC 2132 section 9.3).

use alloc::vec::Vec;

use super::field::{BOOTP_HEADER_LEN, BOOTP_MIN_LEN, DHCP_HEADER_LEN, MAGIC_COOKIE};
use super::{Message, Overload};
use crate::error::{Area, Error};
use crate::options::{table, Format, OptionCode};

/// Largest value one option instance can carry.
const MAX_INSTANCE: usize = 255;

/// How to cut a long value of `code` into instances: at most `max` octets each, and a multiple of
/// `unit` so that a list of addresses or integers splits between elements. RFC 3396 allows any
/// cut, but receivers that do not concatenate (tshark among them) then still read every
/// instance as a valid list.
#[derive(Clone, Copy)]
struct Cut {
    max: usize,
    unit: usize,
}

fn cut_for(code: OptionCode) -> Cut {
    let unit = match table::lookup(code).map(|def| def.format) {
        Some(Format::IpList) => 4,
        Some(Format::IpPairs) => 8,
        Some(Format::U16List) => 2,
        _ => 1,
    };
    Cut {
        max: MAX_INSTANCE - MAX_INSTANCE % unit,
        unit,
    }
}

/// Codes that are framing, never content: they are not written from the option list.
fn is_framing(code: OptionCode) -> bool {
    matches!(
        code,
        OptionCode::PAD | OptionCode::END | OptionCode::OVERLOAD
    )
}

/// Octets `value` takes on the wire as instances cut by `cut` (an empty value is one instance of
/// length 0).
fn wire_len(value: &[u8], cut: Cut) -> usize {
    value.len() + 2 * value.len().div_ceil(cut.max).max(1)
}

/// Writes `value` as consecutive instances of `code` of at most `cut.max` octets each (RFC 3396
/// section 6: splitting MUST be used for values over 255 octets).
fn write_option(out: &mut Vec<u8>, code: OptionCode, value: &[u8], cut: Cut) {
    if value.is_empty() {
        out.extend_from_slice(&[code.0, 0]);
        return;
    }
    for part in value.chunks(cut.max.clamp(1, MAX_INSTANCE)) {
        out.push(code.0);
        out.push(part.len() as u8);
        out.extend_from_slice(part);
    }
}

/// One field that receives options during overload, with the octets it can take before its END.
struct Field {
    area: Area,
    data: Vec<u8>,
    capacity: usize,
}

impl Field {
    fn room(&self) -> usize {
        self.capacity.saturating_sub(self.data.len())
    }
}

impl Message {
    fn options_wire_len(&self) -> usize {
        self.options
            .iter()
            .filter(|(c, _)| !is_framing(*c))
            .map(|(c, v)| wire_len(v, cut_for(c)))
            .sum()
    }

    /// Length of [`Message::encode`]'s output: header, cookie, options, END (or header and
    /// [`Message::vendor`]), padded to 300 octets.
    pub fn encoded_len(&self) -> usize {
        match &self.vendor {
            Some(vendor) => BOOTP_HEADER_LEN + vendor.len(),
            None => DHCP_HEADER_LEN + self.options_wire_len() + 1,
        }
        .max(BOOTP_MIN_LEN)
    }

    fn encode_header(&self, out: &mut Vec<u8>, file: &[u8; 128], sname: &[u8; 64]) {
        out.extend_from_slice(&[self.op.0, self.htype, self.hlen, self.hops]);
        out.extend_from_slice(&self.xid.to_be_bytes());
        out.extend_from_slice(&self.secs.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        for addr in [self.ciaddr, self.yiaddr, self.siaddr, self.giaddr] {
            out.extend_from_slice(&addr.octets());
        }
        out.extend_from_slice(&self.chaddr);
        out.extend_from_slice(sname);
        out.extend_from_slice(file);
        if self.vendor.is_none() {
            out.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        }
    }

    /// Encodes into a fresh buffer (never a reused one: reliability class B21). Options are
    /// written in order, each split into instances of at most 255 octets (RFC 3396); the message
    /// ends with END and is padded to 300 octets (RFC 1542 section 2.1). Cannot fail.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_header(&mut out, &self.file, &self.sname);
        if let Some(vendor) = &self.vendor {
            // RFC 951: the vendor area as it is, no cookie, no options.
            out.extend_from_slice(vendor);
            out.resize(out.len().max(BOOTP_MIN_LEN), 0);
            return out;
        }
        for (code, value) in self.options.iter().filter(|(c, _)| !is_framing(*c)) {
            write_option(&mut out, code, value, cut_for(code));
        }
        out.push(OptionCode::END.0);
        out.resize(out.len().max(BOOTP_MIN_LEN), 0);
        out
    }

    /// Encodes within `max_len` octets of DHCP payload (for example 548 for the 576-octet IP
    /// datagram every client accepts, RFC 2131 section 2; or option 57 less 28 octets of IP and
    /// UDP headers). When the options do not fit, they spill into `file` and then `sname`, those
    /// of the two that are empty, with option 52 in the `options` field (RFC 2131 section 4.1,
    /// RFC 2132 section 9.3); each overloaded field ends with END and is padded. An option that
    /// fits one instance is moved whole to the next field rather than split; longer ones are
    /// split across fields (RFC 3396). Padding to 300 octets stops at `max_len`.
    pub fn encode_within(&self, max_len: usize) -> Result<Vec<u8>, Error> {
        if self.vendor.is_some() {
            let out = self.encode();
            let need = out.len();
            return if need <= max_len.max(BOOTP_MIN_LEN) {
                Ok(out)
            } else {
                Err(Error::TooLarge {
                    need,
                    limit: max_len,
                })
            };
        }
        let need = DHCP_HEADER_LEN + self.options_wire_len() + 1;
        if need <= max_len {
            let mut out = self.encode();
            out.truncate(need.max(BOOTP_MIN_LEN.min(max_len)));
            return Ok(out);
        }
        let too_large = Error::TooLarge {
            need,
            limit: max_len,
        };
        // The options field keeps 3 octets for option 52 and 1 for END; file and sname 1 for END.
        let main_capacity = max_len
            .checked_sub(DHCP_HEADER_LEN + 3 + 1)
            .ok_or(too_large)?;
        // Fill order: options, then file, then sname (the order RFC 2131 section 4.1 reads them),
        // using only a field that holds no name.
        let mut fields = Vec::with_capacity(3);
        fields.push(Field {
            area: Area::Options,
            data: Vec::new(),
            capacity: main_capacity,
        });
        if self.file.iter().all(|&b| b == 0) {
            fields.push(Field {
                area: Area::File,
                data: Vec::new(),
                capacity: self.file.len() - 1,
            });
        }
        if self.sname.iter().all(|&b| b == 0) {
            fields.push(Field {
                area: Area::Sname,
                data: Vec::new(),
                capacity: self.sname.len() - 1,
            });
        }
        let mut current = 0;
        for (code, value) in self.options.iter().filter(|(c, _)| !is_framing(*c)) {
            let cut = cut_for(code);
            let mut rest = value;
            loop {
                let field = fields.get_mut(current).ok_or(too_large)?;
                let whole = wire_len(rest, cut);
                let single = rest.len() <= cut.max;
                if single && whole <= field.room() {
                    write_option(&mut field.data, code, rest, cut);
                    break;
                }
                let next_fits = fields.get(current + 1).is_some_and(|f| whole <= f.room());
                let field = fields.get_mut(current).ok_or(too_large)?;
                // The largest whole number of elements that fits here.
                let room = field.room().saturating_sub(2).min(cut.max);
                let take = (room - room % cut.unit).min(rest.len());
                if single && next_fits || take == 0 {
                    current += 1;
                    continue;
                }
                let (head, tail) = rest.split_at(take);
                write_option(&mut field.data, code, head, cut);
                rest = tail;
                if rest.is_empty() {
                    break;
                }
            }
        }
        let spilled = |area: Area| fields.iter().find(|f| f.area == area && !f.data.is_empty());
        let (file_data, sname_data) = (spilled(Area::File), spilled(Area::Sname));
        let overload = match (file_data.is_some(), sname_data.is_some()) {
            (true, true) => Overload::Both,
            (true, false) => Overload::File,
            (false, true) => Overload::Sname,
            // Cannot happen: options that fit the options field fit without overload.
            (false, false) => return Err(too_large),
        };
        let mut file = self.file;
        let mut sname = self.sname;
        if let Some(field) = file_data {
            fill_field(&mut file, &field.data);
        }
        if let Some(field) = sname_data {
            fill_field(&mut sname, &field.data);
        }
        let main = fields
            .first()
            .map(|f| f.data.as_slice())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(max_len);
        self.encode_header(&mut out, &file, &sname);
        out.extend_from_slice(main);
        out.extend_from_slice(&[
            OptionCode::OVERLOAD.0,
            1,
            overload.value(),
            OptionCode::END.0,
        ]);
        out.resize(out.len().max(BOOTP_MIN_LEN.min(max_len)), 0);
        Ok(out)
    }
}

/// Writes spilled options at the start of a field, then END; the rest stays zero (pad).
fn fill_field<const N: usize>(field: &mut [u8; N], data: &[u8]) {
    *field = [0; N];
    for (dst, src) in field
        .iter_mut()
        .zip(data.iter().chain([&OptionCode::END.0]))
    {
        *dst = *src;
    }
}
