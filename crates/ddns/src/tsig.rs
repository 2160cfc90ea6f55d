//! RFC 8945 TSIG: signing an update and checking the answer.
//!
//! hickory-proto encodes the TSIG record and the TSIG variables; the MAC is ours
//! ([`crate::key`]), so that hmac-md5 and hmac-sha1 work as they do in ISC dhcpd.

use hickory_proto::op::Query;
use hickory_proto::rr::rdata::tsig::{make_tsig_record, TsigAlgorithm};
use hickory_proto::rr::rdata::TSIG;
use hickory_proto::rr::{RData, Record};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable, BinEncoder};

use crate::key::Key;
use crate::rcode::Rcode;

/// The fudge ISC sends, BIND's `DNS_TSIG_FUDGE` (`bind:tsig.h`), as RFC 8945 section 10
/// recommends.
pub const FUDGE: u16 = 300;

/// The DNS header's length (RFC 1035 section 4.1.1).
const HEADER_LEN: usize = 12;
/// The UPDATE opcode (RFC 2136 section 1.3).
const OPCODE_UPDATE: u8 = 5;

/// Why an update could not be encoded or signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The bytes are shorter than a DNS header.
    #[error("not a DNS message")]
    NotAMessage,
    /// The additional section is full (65535 records).
    #[error("no room for a TSIG record")]
    NoRoom,
    /// The time does not fit TSIG's 48 bits (RFC 8945 section 4.2).
    #[error("time {0} does not fit in 48 bits")]
    Time(u64),
    /// hickory-proto could not encode the message or the TSIG record.
    #[error("not encodable")]
    Encode,
}

/// Why a datagram is not an accepted answer. The first four kinds mean it does not answer the
/// request at all ([`ResponseError::is_stray`]): a receiver drops it and goes on waiting. The
/// others end the request. `Display` gives the text BIND gives ISC dhcpd for its log
/// (`bind:result.c`, docs/ddns.md section 8); `Debug` shows the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// Shorter than a DNS header.
    #[error("unexpected end of input")]
    Short {
        /// Its length.
        len: usize,
    },
    /// Another message's id.
    #[error("unexpected message id")]
    WrongId {
        /// The request's id.
        expected: u16,
        /// The datagram's id.
        got: u16,
    },
    /// A query, not a response (QR clear).
    #[error("not a response")]
    NotAResponse,
    /// Another opcode than UPDATE.
    #[error("unexpected opcode")]
    WrongOpcode {
        /// The opcode received.
        opcode: u8,
    },
    /// The records after the header do not parse, or bytes follow the last one.
    #[error("unexpected end of input")]
    Malformed,
    /// No TSIG record in the answer to a signed request (RFC 8945 section 5.3.2).
    #[error("expected a TSIG or SIG(0)")]
    Unsigned {
        /// The answer's RCODE, which cannot be trusted.
        rcode: Rcode,
    },
    /// A TSIG record by another key or algorithm than the request's (RFC 8945 section 5.3).
    #[error("tsig verify failure")]
    WrongKey,
    /// The server could not verify our MAC (TSIG error BADSIG, RCODE NOTAUTH; RFC 8945
    /// section 5.2.2): wrong secret, usually.
    #[error("tsig indicates error")]
    BadSig,
    /// The server does not know our key or algorithm (TSIG error BADKEY; RFC 8945 section
    /// 5.2.1).
    #[error("tsig indicates error")]
    BadKey,
    /// The server refused a truncated MAC (TSIG error BADTRUNC; RFC 8945 section 5.2.2.1).
    #[error("tsig indicates error")]
    BadTrunc,
    /// Another TSIG error code.
    #[error("tsig indicates error")]
    TsigError(u16),
    /// Our clock and the server's differ by more than the fudge (TSIG error BADTIME, signed;
    /// RFC 8945 section 5.2.3).
    #[error("clocks are unsynchronized")]
    BadTime {
        /// The server's time, from the Other Data field, if it sent 6 bytes there.
        server_time: Option<u64>,
    },
    /// The answer's MAC is shorter than the algorithm's output. RFC 8945 section 5.2.2.1 lets
    /// a peer accept truncated MACs by policy; charrua's policy is to refuse them.
    #[error("tsig verify failure")]
    TruncatedMac {
        /// The MAC's length.
        len: usize,
        /// The algorithm's output length.
        full: usize,
    },
    /// The answer's MAC does not verify (RFC 8945 section 5.3): it was changed on the way, or
    /// signed with another secret.
    #[error("tsig verify failure")]
    BadMac,
    /// The answer was signed outside `now ± fudge` (RFC 8945 section 5.4.2).
    #[error("clocks are unsynchronized")]
    ClockSkew {
        /// The answer's Time Signed.
        signed: u64,
        /// Our time.
        now: u64,
        /// The answer's fudge.
        fudge: u16,
    },
}

impl ResponseError {
    /// Whether the datagram is no answer to the request at all (wrong id, a query, another
    /// opcode, shorter than a header), to be ignored while waiting for the real one.
    pub fn is_stray(&self) -> bool {
        matches!(
            self,
            Self::Short { .. }
                | Self::WrongId { .. }
                | Self::NotAResponse
                | Self::WrongOpcode { .. }
        )
    }
}

/// An update ready to send, with what checking its answer takes.
#[derive(Debug, Clone)]
pub struct Request {
    wire: Vec<u8>,
    id: u16,
    signer: Option<Signer>,
}

#[derive(Debug, Clone)]
struct Signer {
    key: Key,
    mac: Vec<u8>,
}

impl Request {
    /// An unsigned request (a zone without a key, as ISC sends it): its answer's RCODE is
    /// taken as it comes.
    pub fn unsigned(wire: Vec<u8>) -> Result<Self, RequestError> {
        let id = id_of(&wire).ok_or(RequestError::NotAMessage)?;
        Ok(Self {
            wire,
            id,
            signer: None,
        })
    }

    /// Signs `wire` with `key` at `now` (Unix seconds), as BIND signs for ISC dhcpd
    /// (`bind:tsig.c:dns_tsig_sign`): the MAC covers the message as it is, then the TSIG
    /// variables (RFC 8945 section 4.3.3: key name and algorithm in canonical, lower-case
    /// form, class ANY, TTL 0, time signed, fudge 300, error 0, no other data); the TSIG
    /// record (original id = the message id, RFC 8945 section 4.2) is appended last in the
    /// additional section, names uncompressed.
    pub fn signed(mut wire: Vec<u8>, key: &Key, now: u64) -> Result<Self, RequestError> {
        let id = id_of(&wire).ok_or(RequestError::NotAMessage)?;
        if now >> 48 != 0 {
            return Err(RequestError::Time(now));
        }
        let algorithm = hickory_algorithm(key)?;
        let tsig = TSIG::new(algorithm, now, FUDGE, Vec::new(), id, None, Vec::new());
        let mut data = wire.clone();
        data.extend(tsig_variables(&tsig, key)?);
        let mac = key.algorithm().mac(key.secret(), &data);

        let record = make_tsig_record(key.name().name().clone(), tsig.set_mac(mac.clone()));
        let mut rr = Vec::new();
        record
            .emit(&mut BinEncoder::new(&mut rr))
            .map_err(|_| RequestError::Encode)?;
        let arcount = count(&wire, 10).ok_or(RequestError::NotAMessage)?;
        let arcount = arcount.checked_add(1).ok_or(RequestError::NoRoom)?;
        if let Some(field) = wire.get_mut(10..HEADER_LEN) {
            field.copy_from_slice(&arcount.to_be_bytes());
        }
        wire.extend(rr);
        Ok(Self {
            wire,
            id,
            signer: Some(Signer {
                key: key.clone(),
                mac,
            }),
        })
    }

    /// The bytes to send.
    pub fn wire(&self) -> &[u8] {
        &self.wire
    }

    /// The message id.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The request's MAC, which the answer's MAC covers (RFC 8945 section 4.3.1).
    pub fn mac(&self) -> Option<&[u8]> {
        self.signer.as_ref().map(|s| s.mac.as_slice())
    }

    /// Checks `response` (one datagram) at `now` and returns its RCODE: the header must
    /// answer this request; for a signed request the answer must end with a TSIG record by
    /// the same key whose full-length MAC verifies over the request MAC, the answer with its
    /// original id and one additional record less, and the TSIG variables (RFC 8945 sections
    /// 4.3 and 5.3), signed within its fudge of `now` (section 5.4.2). The server's TSIG
    /// errors come back as [`ResponseError::BadSig`], [`ResponseError::BadKey`],
    /// [`ResponseError::BadTime`] ... as BIND reports them to ISC
    /// (`bind:tsig.c:dns_tsig_verify`).
    pub fn check_response(&self, response: &[u8], now: u64) -> Result<Rcode, ResponseError> {
        let header = response.get(..HEADER_LEN).ok_or(ResponseError::Short {
            len: response.len(),
        })?;
        let got = id_of(header).unwrap_or_default();
        let flags = header.get(2..4).unwrap_or_default();
        let (qr_opcode, rcode) = match flags {
            [a, b] => (*a, Rcode(b & 0x0f)),
            _ => (0, Rcode::NOERROR),
        };
        if got != self.id {
            return Err(ResponseError::WrongId {
                expected: self.id,
                got,
            });
        }
        if qr_opcode & 0x80 == 0 {
            return Err(ResponseError::NotAResponse);
        }
        let opcode = (qr_opcode >> 3) & 0x0f;
        if opcode != OPCODE_UPDATE {
            return Err(ResponseError::WrongOpcode { opcode });
        }
        match &self.signer {
            None => Ok(rcode),
            Some(signer) => signer.check(response, rcode, now),
        }
    }
}

impl Signer {
    fn check(&self, response: &[u8], rcode: Rcode, now: u64) -> Result<Rcode, ResponseError> {
        let counts = [4, 6, 8, 10].map(|at| count(response, at).unwrap_or_default());
        let [queries, answers, authorities, additionals] = counts;
        if additionals == 0 {
            return Err(ResponseError::Unsigned { rcode });
        }
        let mut decoder = BinDecoder::new(response);
        decoder
            .read_slice(HEADER_LEN)
            .map_err(|_| ResponseError::Malformed)?;
        for _ in 0..queries {
            Query::read(&mut decoder).map_err(|_| ResponseError::Malformed)?;
        }
        let before_tsig =
            usize::from(answers) + usize::from(authorities) + usize::from(additionals) - 1;
        for _ in 0..before_tsig {
            Record::<RData>::read(&mut decoder).map_err(|_| ResponseError::Malformed)?;
        }
        let tsig_start = decoder.index();
        let record = Record::<RData>::read(&mut decoder).map_err(|_| ResponseError::Malformed)?;
        if !decoder.is_empty() {
            return Err(ResponseError::Malformed);
        }
        let RData::TSIG(tsig) = &record.data else {
            return Err(ResponseError::Unsigned { rcode });
        };
        let key = &self.key;
        if record.name != *key.name().name() || !key.algorithm().is_named(&tsig.algorithm.to_name())
        {
            return Err(ResponseError::WrongKey);
        }
        if tsig.mac.is_empty() {
            // RFC 8945 section 5.3.2: BADSIG and BADKEY answers are unsigned.
            return Err(tsig_error(tsig).unwrap_or(ResponseError::TruncatedMac {
                len: 0,
                full: key.algorithm().mac_len(),
            }));
        }
        let full = key.algorithm().mac_len();
        if tsig.mac.len() < full {
            return Err(ResponseError::TruncatedMac {
                len: tsig.mac.len(),
                full,
            });
        }
        let mut data = Vec::with_capacity(response.len() + self.mac.len() + 2);
        data.extend_from_slice(
            &u16::try_from(self.mac.len())
                .unwrap_or_default()
                .to_be_bytes(),
        );
        data.extend_from_slice(&self.mac);
        data.extend_from_slice(&tsig.oid.to_be_bytes());
        data.extend_from_slice(response.get(2..10).ok_or(ResponseError::Malformed)?);
        data.extend_from_slice(&(additionals - 1).to_be_bytes());
        data.extend_from_slice(
            response
                .get(HEADER_LEN..tsig_start)
                .ok_or(ResponseError::Malformed)?,
        );
        data.extend(tsig_variables(tsig, key).map_err(|_| ResponseError::Malformed)?);
        if !key.algorithm().verify(key.secret(), &data, &tsig.mac) {
            return Err(ResponseError::BadMac);
        }
        if let Some(error) = tsig_error(tsig) {
            return Err(error);
        }
        if now.abs_diff(tsig.time) > u64::from(tsig.fudge) {
            return Err(ResponseError::ClockSkew {
                signed: tsig.time,
                now,
                fudge: tsig.fudge,
            });
        }
        Ok(rcode)
    }
}

/// The typed error for a TSIG record's error field, `None` for 0 (RFC 8945 section 4.2).
fn tsig_error(tsig: &TSIG) -> Option<ResponseError> {
    let code = u16::from(tsig.error?);
    Some(match code {
        16 => ResponseError::BadSig,
        17 => ResponseError::BadKey,
        18 => ResponseError::BadTime {
            server_time: <[u8; 6]>::try_from(tsig.other.as_slice())
                .ok()
                .map(|b| b.iter().fold(0, |t, &b| (t << 8) | u64::from(b))),
        },
        22 => ResponseError::BadTrunc,
        other => ResponseError::TsigError(other),
    })
}

/// The TSIG variables of RFC 8945 section 4.3.3, in canonical form.
fn tsig_variables(tsig: &TSIG, key: &Key) -> Result<Vec<u8>, RequestError> {
    let mut out = Vec::new();
    tsig.emit_tsig_for_mac(&mut BinEncoder::new(&mut out), key.name().name())
        .map_err(|_| RequestError::Encode)?;
    Ok(out)
}

/// The algorithm as hickory-proto encodes it, spelled as BIND sends it.
fn hickory_algorithm(key: &Key) -> Result<TsigAlgorithm, RequestError> {
    hickory_proto::rr::Name::from_ascii(key.algorithm().wire_name())
        .map(TsigAlgorithm::from_name)
        .map_err(|_| RequestError::Encode)
}

fn id_of(wire: &[u8]) -> Option<u16> {
    count(wire, 0).filter(|_| wire.len() >= HEADER_LEN)
}

/// The big-endian 16-bit field at `at`.
fn count(wire: &[u8], at: usize) -> Option<u16> {
    match wire.get(at..at + 2)? {
        &[a, b] => Some(u16::from_be_bytes([a, b])),
        _ => None,
    }
}
