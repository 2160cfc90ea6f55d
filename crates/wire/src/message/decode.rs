//! Decoding: option fields to fragments, RFC 3396 concatenation, option overload.

use alloc::vec::Vec;

use super::{Message, Op, Packet, MAGIC_COOKIE};
use crate::error::{Area, Error};
use crate::options::{OptionCode, Options};

/// Which fields an option overload (RFC 2132 section 9.3) says carry options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Overload {
    /// Value 1: the `file` field.
    File,
    /// Value 2: the `sname` field.
    Sname,
    /// Value 3: both.
    Both,
}

impl Overload {
    /// The option 52 value.
    pub fn value(self) -> u8 {
        match self {
            Self::File => 1,
            Self::Sname => 2,
            Self::Both => 3,
        }
    }
    fn from_value(len: usize, value: u8) -> Result<Self, Error> {
        match (len, value) {
            (1, 1) => Ok(Self::File),
            (1, 2) => Ok(Self::Sname),
            (1, 3) => Ok(Self::Both),
            _ => Err(Error::BadOverload { len, value }),
        }
    }
    /// Whether the `file` field carries options.
    pub fn file(self) -> bool {
        matches!(self, Self::File | Self::Both)
    }
    /// Whether the `sname` field carries options.
    pub fn sname(self) -> bool {
        matches!(self, Self::Sname | Self::Both)
    }
}

/// One option instance as found on the wire.
type Fragment<'a> = (OptionCode, &'a [u8]);

/// Scans one field for options (RFC 2132 section 2): pads are skipped, END stops the scan and
/// whatever follows it is ignored; with no END the options must run exactly to the end of the
/// field. Every option must lie wholly inside the field (RFC 2131 section 4.1).
fn scan<'a>(field: &'a [u8], area: Area, out: &mut Vec<Fragment<'a>>) -> Result<(), Error> {
    let mut rest = field;
    while let Some((&code, tail)) = rest.split_first() {
        let code = OptionCode(code);
        match code {
            OptionCode::PAD => rest = tail,
            OptionCode::END => return Ok(()),
            _ => {
                let (&len, tail) = tail
                    .split_first()
                    .ok_or(Error::OptionWithoutLength { code, area })?;
                let len = usize::from(len);
                if tail.len() < len {
                    return Err(Error::OptionOverrun {
                        code,
                        area,
                        len,
                        available: tail.len(),
                    });
                }
                let (value, tail) = tail.split_at(len);
                out.push((code, value));
                rest = tail;
            }
        }
    }
    Ok(())
}

/// The overload the `options` field asks for: option 52 concatenated over its instances there
/// (RFC 3396), which must be one octet of 1, 2 or 3.
fn overload_of(fragments: &[Fragment<'_>]) -> Result<Option<Overload>, Error> {
    let mut instances = fragments
        .iter()
        .filter(|(c, _)| *c == OptionCode::OVERLOAD)
        .peekable();
    if instances.peek().is_none() {
        return Ok(None);
    }
    let (len, first) = instances.fold((0, None), |(len, first), (_, value)| {
        (len + value.len(), first.or(value.first().copied()))
    });
    Overload::from_value(len, first.unwrap_or(0)).map(Some)
}

/// The per-code slot of a 256-entry table; a `u8` index cannot be out of bounds.
#[allow(clippy::indexing_slicing)]
fn slot<T>(table: &mut [T; 256], code: OptionCode) -> &mut T {
    &mut table[usize::from(code.0)]
}

/// Concatenates fragments per code in aggregate order (RFC 3396 section 5), in linear time: one
/// pass sums lengths per code, one copies every fragment to its code's place in one buffer.
fn assemble(fragments: &[Fragment<'_>]) -> Options {
    let mut seen = [false; 256];
    let mut total = [0usize; 256];
    let mut order: Vec<OptionCode> = Vec::new();
    for &(code, value) in fragments {
        if !core::mem::replace(slot(&mut seen, code), true) {
            order.push(code);
        }
        *slot(&mut total, code) += value.len();
    }
    let mut start = [0usize; 256];
    let mut size = 0;
    for &code in &order {
        *slot(&mut start, code) = size;
        size += *slot(&mut total, code);
    }
    let mut buf = alloc::vec![0u8; size];
    let mut cursor = start;
    for &(code, value) in fragments {
        let at = slot(&mut cursor, code);
        if let Some(dst) = buf.get_mut(*at..*at + value.len()) {
            dst.copy_from_slice(value);
        }
        *at += value.len();
    }
    let entries = order
        .into_iter()
        .map(|code| (code, *slot(&mut start, code), *slot(&mut total, code)));
    Options::from_parts(buf, entries)
}

/// The common case in one pass: no code appears twice and there is no overload, so values are
/// copied straight into place. `Ok(None)` sends the caller to the general path.
fn assemble_simple(field: &[u8]) -> Result<Option<Options>, Error> {
    let mut seen = [0u64; 4];
    let mut buf = Vec::with_capacity(field.len());
    let mut entries = Vec::with_capacity(16);
    let mut rest = field;
    while let Some((&code, tail)) = rest.split_first() {
        let code = OptionCode(code);
        match code {
            OptionCode::PAD => rest = tail,
            OptionCode::END => break,
            _ => {
                let (&len, tail) = tail.split_first().ok_or(Error::OptionWithoutLength {
                    code,
                    area: Area::Options,
                })?;
                let len = usize::from(len);
                if tail.len() < len {
                    let available = tail.len();
                    return Err(Error::OptionOverrun {
                        code,
                        area: Area::Options,
                        len,
                        available,
                    });
                }
                let bit = 1u64 << (code.0 % 64);
                let word = slot4(&mut seen, code);
                if code == OptionCode::OVERLOAD || *word & bit != 0 {
                    return Ok(None);
                }
                *word |= bit;
                let (value, tail) = tail.split_at(len);
                entries.push((code, buf.len(), len));
                buf.extend_from_slice(value);
                rest = tail;
            }
        }
    }
    Ok(Some(Options::from_parts(buf, entries.into_iter())))
}

/// The word of a 256-bit set that holds `code`'s bit; `code / 64` is below 4.
#[allow(clippy::indexing_slicing)]
fn slot4(set: &mut [u64; 4], code: OptionCode) -> &mut u64 {
    &mut set[usize::from(code.0 / 64)]
}

impl Message {
    /// Decodes a DHCP message from a UDP payload.
    ///
    /// Checks the header and cookie, reads the `options` field, then `file` and `sname` when
    /// option 52 says so, in that order (RFC 2131 section 4.1); option 52 inside `file` or
    /// `sname` is ignored. Instances of one code are concatenated in that order (RFC 3396).
    /// Option 52 itself is consumed: see [`Message::overload`] for how a buffer was laid out.
    /// Values are kept raw; typed accessors check their lengths.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let packet = Packet::new_checked(data)?;
        if let Some(options) = assemble_simple(packet.options())? {
            return Ok(Self::with_options(
                &packet,
                packet.sname(),
                packet.file(),
                options,
            ));
        }
        let mut fragments = Vec::with_capacity(24);
        scan(packet.options(), Area::Options, &mut fragments)?;
        let overload = overload_of(&fragments)?;
        if let Some(overload) = overload {
            if overload.file() {
                scan(packet.file(), Area::File, &mut fragments)?;
            }
            if overload.sname() {
                scan(packet.sname(), Area::Sname, &mut fragments)?;
            }
            // Option 52 counts only in the options field (RFC 2131 section 4.1) and is framing,
            // not content: no instance of it is kept, and instances in file or sname are ignored.
            fragments.retain(|(code, _)| *code != OptionCode::OVERLOAD);
        }
        // A field that carried options is not a name: it reads as empty.
        let sname = if overload.is_some_and(Overload::sname) {
            &[][..]
        } else {
            packet.sname()
        };
        let file = if overload.is_some_and(Overload::file) {
            &[][..]
        } else {
            packet.file()
        };
        Ok(Self::with_options(
            &packet,
            sname,
            file,
            assemble(&fragments),
        ))
    }

    /// As [`Message::parse`], but a BOOTREQUEST whose vendor area does not start with the magic
    /// cookie is a BOOTP request of before RFC 1048 rather than an error: its header, no
    /// options, and its vendor area in [`Message::vendor`] (ISC dhcpd serves such a client as
    /// BOOTP, common/options.c `parse_options` leaving `options_valid` unset). Anything else
    /// without the cookie is still [`Error::BadCookie`].
    pub fn parse_bootp(data: &[u8]) -> Result<Self, Error> {
        let packet = Packet::new_bootp_checked(data)?;
        let cookie = packet.vendor().get(..4) == Some(&MAGIC_COOKIE.to_be_bytes()[..]);
        if cookie || packet.op() != Op::BOOTREQUEST {
            return Self::parse(data);
        }
        let mut msg = Self::with_options(&packet, packet.sname(), packet.file(), Options::new());
        msg.vendor = Some(packet.vendor().to_vec());
        Ok(msg)
    }

    /// The message with `packet`'s header, the given `sname` and `file` contents (zero-padded)
    /// and `options`.
    fn with_options(packet: &Packet<&[u8]>, sname: &[u8], file: &[u8], options: Options) -> Self {
        let mut msg = Self {
            op: packet.op(),
            htype: packet.htype(),
            hlen: packet.hlen(),
            hops: packet.hops(),
            xid: packet.xid(),
            secs: packet.secs(),
            flags: packet.flags(),
            ciaddr: packet.ciaddr(),
            yiaddr: packet.yiaddr(),
            siaddr: packet.siaddr(),
            giaddr: packet.giaddr(),
            chaddr: packet.chaddr(),
            sname: [0; 64],
            file: [0; 128],
            options,
            vendor: None,
        };
        msg.sname.iter_mut().zip(sname).for_each(|(d, s)| *d = *s);
        msg.file.iter_mut().zip(file).for_each(|(d, s)| *d = *s);
        msg
    }

    /// How the options of `data` were laid out: the option overload its `options` field
    /// declares, if any. Errors as [`Message::parse`] would for the `options` field.
    pub fn overload(data: &[u8]) -> Result<Option<Overload>, Error> {
        Ok(Self::overload_at(data)?.map(|(overload, _)| overload))
    }

    /// [`Message::overload`] and where option 52 stood on the wire: how many other codes
    /// first appear before it, which is its place among the parsed options (RFC 3396 section
    /// 5 orders them by first appearance, the `options` field first), so that a listing of the
    /// options as they were sent can show it where it was.
    pub fn overload_at(data: &[u8]) -> Result<Option<(Overload, usize)>, Error> {
        let packet = Packet::new_checked(data)?;
        let mut fragments = Vec::new();
        scan(packet.options(), Area::Options, &mut fragments)?;
        let Some(overload) = overload_of(&fragments)? else {
            return Ok(None);
        };
        let mut before = Vec::new();
        for (code, _) in fragments
            .iter()
            .take_while(|(c, _)| *c != OptionCode::OVERLOAD)
        {
            if !before.contains(code) {
                before.push(*code);
            }
        }
        Ok(Some((overload, before.len())))
    }
}
