//! The journal's record format: every `LeaseChange` as one self-delimiting record,
//! `[length u32 LE][CRC32C of payload u32 LE][payload]`, so a torn or corrupt tail is detected
//! and never misread (durability rule D5). Client bytes are length-prefixed, never text that a
//! delimiter could break (D8). The reader checks exactly what the writer guarantees (D7).

use std::net::Ipv4Addr;

use charrua_server::config::{Datum, MAX_KEPT_VARIABLES, MAX_VARIABLE_NAME, MAX_VARIABLE_VALUE};
use charrua_server::{Billing, ClientKey, Hardware, Lease, LeaseChange, LeaseState};

/// Header: length and checksum.
pub const HEADER_LEN: usize = 8;
/// Largest payload a valid record has (client and host name at most 255 octets each; the
/// lease's variables within the core's limits).
pub const MAX_PAYLOAD: usize = 2
    + 4
    + 1
    + 8
    + 8
    + 3
    + 255
    + 1
    + 255
    + 2
    + 16
    + 1
    + MAX_KEPT_VARIABLES * (1 + MAX_VARIABLE_NAME + 1 + 1 + MAX_VARIABLE_VALUE)
    + 1
    + 1
    + Billing::MAX_PART
    + 2
    + Billing::MAX_PART
    + 2
    + 255;

const SET: u8 = 1;
const REMOVE: u8 = 2;
/// A record as first written: its trailing variables section is there only when the lease
/// has variables.
const VERSION: u8 = 1;
/// A record of a lease billed to a class or with relay agent information: the variables
/// section always there (a count of 0 allowed), then the account (0, or 1 and the account),
/// then the relay agent information (0, or 1, its length and octets).
const VERSION_EXTENDED: u8 = 2;

/// Why a record could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Fewer bytes than the header or the length says: a torn write.
    #[error("record truncated")]
    Truncated,
    /// The length is outside what a record can be.
    #[error("record length {0} is impossible")]
    BadLength(usize),
    /// The checksum does not match the payload.
    #[error("record checksum mismatch")]
    BadChecksum,
    /// The payload does not decode.
    #[error("record payload is malformed")]
    Malformed,
}

/// Why a change cannot be written: the reader would refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnwritableChange {
    /// A client identifier or hardware address over 255 octets.
    #[error("client identity longer than 255 octets")]
    ClientTooLong,
    /// A host name over 254 octets.
    #[error("host name longer than 254 octets")]
    HostnameTooLong,
    /// Variables beyond the core's limits (it keeps none beyond them).
    #[error("lease variables beyond the limits kept")]
    VariablesTooLong,
    /// A billing account beyond the core's limits (it bills none beyond them).
    #[error("billing account longer than a lease record holds")]
    BillingTooLong,
    /// Relay agent information over 255 octets (an option holds no more).
    #[error("relay agent information longer than an option")]
    AgentOptionsTooLong,
}

fn state_code(s: LeaseState) -> u8 {
    match s {
        LeaseState::Offered => 0,
        LeaseState::Bound => 1,
        LeaseState::Released => 2,
        LeaseState::Expired => 3,
        LeaseState::Declined => 4,
    }
}

fn state_of(code: u8) -> Option<LeaseState> {
    Some(match code {
        0 => LeaseState::Offered,
        1 => LeaseState::Bound,
        2 => LeaseState::Released,
        3 => LeaseState::Expired,
        4 => LeaseState::Declined,
        _ => return None,
    })
}

/// Appends the record of `change` to `out`.
pub fn encode(change: &LeaseChange, out: &mut Vec<u8>) -> Result<(), UnwritableChange> {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER_LEN]);
    let extended = match change {
        LeaseChange::Set(lease) => lease.billing.is_some() || lease.agent_options.is_some(),
        LeaseChange::Remove(_) => false,
    };
    out.push(if extended { VERSION_EXTENDED } else { VERSION });
    match change {
        LeaseChange::Remove(addr) => {
            out.push(REMOVE);
            out.extend_from_slice(&addr.octets());
        }
        LeaseChange::Set(lease) => {
            out.push(SET);
            out.extend_from_slice(&lease.address.octets());
            out.push(state_code(lease.state));
            out.extend_from_slice(&lease.starts.to_le_bytes());
            out.extend_from_slice(&lease.ends.to_le_bytes());
            let (kind, htype, bytes): (u8, u8, &[u8]) = match &lease.client {
                ClientKey::ClientId(id) => (0, 0, id),
                ClientKey::Hardware { htype, addr } => (1, *htype, addr),
            };
            let len = u8::try_from(bytes.len()).map_err(|_| UnwritableChange::ClientTooLong);
            let len = match len {
                Ok(l) => l,
                Err(e) => {
                    out.truncate(start);
                    return Err(e);
                }
            };
            out.extend_from_slice(&[kind, htype, len]);
            out.extend_from_slice(bytes);
            match &lease.hostname {
                None => out.push(0),
                Some(name) => {
                    // 0 means no name, so a name is stored with its length plus one.
                    let Ok(len) = u8::try_from(name.len() + 1) else {
                        out.truncate(start);
                        return Err(UnwritableChange::HostnameTooLong);
                    };
                    out.push(len);
                    out.extend_from_slice(name.as_bytes());
                }
            }
            // The hardware address beside a client identifier: 0, or its length plus one,
            // the type and the octets.
            match &lease.hardware {
                None => out.push(0),
                Some(hw) => {
                    out.push(hw.addr().len() as u8 + 1);
                    out.push(hw.htype());
                    out.extend_from_slice(hw.addr());
                }
            }
            let trailer = variables(&lease.variables, extended, out).and_then(|()| {
                if extended {
                    account(lease.billing.as_deref(), out)?;
                    agent_options(lease.agent_options.as_deref(), out)?;
                }
                Ok(())
            });
            if let Err(e) = trailer {
                out.truncate(start);
                return Err(e);
            }
        }
    }
    let payload_len = out.len() - start - HEADER_LEN;
    let crc = crc32c::crc32c(out.get(start + HEADER_LEN..).unwrap_or_default());
    let header = (payload_len as u32)
        .to_le_bytes()
        .into_iter()
        .chain(crc.to_le_bytes());
    out.iter_mut()
        .skip(start)
        .zip(header)
        .for_each(|(d, s)| *d = s);
    Ok(())
}

/// The lease's variables, when it has any or `always` (a record without them ends after the
/// hardware address, as records did before variables were kept): their count, then each as
/// its name's length and name, and its value: 0, a length and octets; 1 and a number (u32 LE);
/// 2 and a boolean.
fn variables(
    variables: &[(String, Datum)],
    always: bool,
    out: &mut Vec<u8>,
) -> Result<(), UnwritableChange> {
    if variables.is_empty() && !always {
        return Ok(());
    }
    if variables.len() > MAX_KEPT_VARIABLES {
        return Err(UnwritableChange::VariablesTooLong);
    }
    out.push(variables.len() as u8);
    for (name, value) in variables {
        if name.len() > MAX_VARIABLE_NAME {
            return Err(UnwritableChange::VariablesTooLong);
        }
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        match value {
            Datum::Data(bytes) => {
                let len = u8::try_from(bytes.len())
                    .ok()
                    .filter(|l| usize::from(*l) <= MAX_VARIABLE_VALUE)
                    .ok_or(UnwritableChange::VariablesTooLong)?;
                out.extend_from_slice(&[0, len]);
                out.extend_from_slice(bytes);
            }
            Datum::Number(n) => {
                out.push(1);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Datum::Bool(b) => out.extend_from_slice(&[2, u8::from(*b)]),
        }
    }
    Ok(())
}

/// The account of an extended record: 0, or 1, the class name's length and octets, then 0, or
/// 1 and the subclass value's length and octets.
fn account(billing: Option<&Billing>, out: &mut Vec<u8>) -> Result<(), UnwritableChange> {
    let Some(billing) = billing else {
        out.push(0);
        return Ok(());
    };
    let class = u8::try_from(billing.class.len()).map_err(|_| UnwritableChange::BillingTooLong)?;
    out.extend_from_slice(&[1, class]);
    out.extend_from_slice(billing.class.as_bytes());
    match &billing.subclass {
        None => out.push(0),
        Some(value) => {
            let len = u8::try_from(value.len()).map_err(|_| UnwritableChange::BillingTooLong)?;
            out.extend_from_slice(&[1, len]);
            out.extend_from_slice(value);
        }
    }
    Ok(())
}

/// The relay agent information of an extended record: 0, or 1, its length and octets.
fn agent_options(raw: Option<&[u8]>, out: &mut Vec<u8>) -> Result<(), UnwritableChange> {
    let Some(raw) = raw else {
        out.push(0);
        return Ok(());
    };
    let len = u8::try_from(raw.len()).map_err(|_| UnwritableChange::AgentOptionsTooLong)?;
    out.extend_from_slice(&[1, len]);
    out.extend_from_slice(raw);
    Ok(())
}

fn read_agent_options(r: &mut Reader<'_>) -> Result<Option<Box<[u8]>>, RecordError> {
    match r.u8()? {
        0 => Ok(None),
        1 => {
            let len = usize::from(r.u8()?);
            Ok(Some(r.take(len)?.into()))
        }
        _ => Err(RecordError::Malformed),
    }
}

fn read_account(r: &mut Reader<'_>) -> Result<Option<Billing>, RecordError> {
    match r.u8()? {
        0 => return Ok(None),
        1 => {}
        _ => return Err(RecordError::Malformed),
    }
    let len = usize::from(r.u8()?);
    let class = std::str::from_utf8(r.take(len)?).map_err(|_| RecordError::Malformed)?;
    let subclass = match r.u8()? {
        0 => None,
        1 => {
            let len = usize::from(r.u8()?);
            Some(r.take(len)?)
        }
        _ => return Err(RecordError::Malformed),
    };
    Billing::new(class, subclass)
        .map(Some)
        .ok_or(RecordError::Malformed)
}

/// The variables section; `extended`: a version 2 record, where it is always there.
fn read_variables(r: &mut Reader<'_>, extended: bool) -> Result<Vec<(String, Datum)>, RecordError> {
    if r.data.is_empty() && !extended {
        return Ok(Vec::new());
    }
    let count = usize::from(r.u8()?);
    if (count == 0 && !extended) || count > MAX_KEPT_VARIABLES {
        return Err(RecordError::Malformed);
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = usize::from(r.u8()?);
        let name = std::str::from_utf8(r.take(len)?).map_err(|_| RecordError::Malformed)?;
        let value = match r.u8()? {
            0 => {
                let len = usize::from(r.u8()?);
                Datum::Data(r.take(len)?.to_vec())
            }
            1 => Datum::Number(u32::from_le_bytes(r.array()?)),
            2 => Datum::Bool(r.u8()? != 0),
            _ => return Err(RecordError::Malformed),
        };
        out.push((name.to_string(), value));
    }
    Ok(out)
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        if self.data.len() < n {
            return Err(RecordError::Malformed);
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, RecordError> {
        self.take(1)?.first().copied().ok_or(RecordError::Malformed)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        self.take(N)?.try_into().map_err(|_| RecordError::Malformed)
    }
}

/// Reads the record at the start of `data`: the change and the bytes it took.
pub fn decode(data: &[u8]) -> Result<(LeaseChange, usize), RecordError> {
    let header: [u8; HEADER_LEN] = data
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(RecordError::Truncated)?;
    let [l0, l1, l2, l3, c0, c1, c2, c3] = header;
    let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
    if !(6..=MAX_PAYLOAD).contains(&len) {
        return Err(RecordError::BadLength(len));
    }
    let payload = data
        .get(HEADER_LEN..HEADER_LEN + len)
        .ok_or(RecordError::Truncated)?;
    if crc32c::crc32c(payload) != u32::from_le_bytes([c0, c1, c2, c3]) {
        return Err(RecordError::BadChecksum);
    }
    let mut r = Reader { data: payload };
    let extended = match r.u8()? {
        VERSION => false,
        VERSION_EXTENDED => true,
        _ => return Err(RecordError::Malformed),
    };
    let change = match r.u8()? {
        REMOVE if !extended => LeaseChange::Remove(Ipv4Addr::from(r.array::<4>()?)),
        SET => {
            let address = Ipv4Addr::from(r.array::<4>()?);
            let state = state_of(r.u8()?).ok_or(RecordError::Malformed)?;
            let starts = u64::from_le_bytes(r.array()?);
            let ends = u64::from_le_bytes(r.array()?);
            let (kind, htype, len) = (r.u8()?, r.u8()?, r.u8()?);
            let bytes: Box<[u8]> = r.take(usize::from(len))?.into();
            let client = match kind {
                0 => ClientKey::ClientId(bytes),
                1 => ClientKey::Hardware { htype, addr: bytes },
                _ => return Err(RecordError::Malformed),
            };
            let hostname = match r.u8()? {
                0 => None,
                n => {
                    let raw = r.take(usize::from(n - 1))?;
                    Some(
                        std::str::from_utf8(raw)
                            .map_err(|_| RecordError::Malformed)?
                            .into(),
                    )
                }
            };
            let hardware = match r.u8()? {
                0 => None,
                n => {
                    let htype = r.u8()?;
                    let addr = r.take(usize::from(n - 1))?;
                    Some(Hardware::new(htype, addr).ok_or(RecordError::Malformed)?)
                }
            };
            let variables = read_variables(&mut r, extended)?;
            let (billing, agent_options) = if extended {
                (
                    read_account(&mut r)?.map(Box::new),
                    read_agent_options(&mut r)?,
                )
            } else {
                (None, None)
            };
            if extended && billing.is_none() && agent_options.is_none() {
                // The writer extends a record only for one of them.
                return Err(RecordError::Malformed);
            }
            LeaseChange::Set(Lease {
                address,
                state,
                client,
                starts,
                ends,
                hostname,
                hardware,
                variables,
                billing,
                agent_options,
            })
        }
        _ => return Err(RecordError::Malformed),
    };
    if !r.data.is_empty() {
        return Err(RecordError::Malformed);
    }
    Ok((change, HEADER_LEN + len))
}
