//! ISC dhcpd's expressions (dhcp-eval(5)), evaluated per request as dhcpd evaluates them
//! (common/tree.c `evaluate_boolean_expression`, `evaluate_data_expression`,
//! `evaluate_numeric_expression`): each yields a value or nothing (dhcpd's NULL, an absent
//! option for instance), and nothing propagates as dhcpd propagates it.

use std::net::Ipv4Addr;

use charrua_wire::{Message, OptionCode, Options};

use super::class::agent_sub_option;
use super::fqdn::{FqdnField, FqdnSpace};

/// What an expression is evaluated against: the request and what the server knows of its
/// client.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The request.
    pub msg: &'a Message,
    /// The relay agent information (option 82) trusted for it: the request's own when it came
    /// through a relay (rule A10), or what its lease stashed when it renews without one (ISC
    /// `stash-agent-options`, server/dhcp.c).
    pub agent_options: Option<&'a [u8]>,
    /// The name of the client's host declaration (ISC `known`, `host-decl-name`).
    pub host: Option<&'a str>,
    /// The address being leased, where one is (ISC `leased-address`).
    pub address: Option<Ipv4Addr>,
    /// That address is the client's fixed address (ISC `static`).
    pub fixed: bool,
    /// Seconds the lease has left, where a lease is at hand (ISC `lease-time`: in `on`
    /// statements).
    pub lease_time: Option<u32>,
    /// The options configured for the client, where they are known whole (ISC `config-option`:
    /// in `on` statements).
    pub configured: Option<&'a Options>,
    /// The variables the configuration's `set` statements gave this request, in order (a
    /// later one of a name wins).
    pub variables: &'a [(String, Datum)],
}

impl<'a> Request<'a> {
    /// `msg` with nothing known of its client yet: not relayed, no host, no address, no
    /// variables.
    pub fn of(msg: &'a Message) -> Self {
        Self {
            msg,
            agent_options: None,
            host: None,
            address: None,
            fixed: false,
            lease_time: None,
            configured: None,
            variables: &[],
        }
    }
}

/// Arithmetic of numeric expressions (dhcp-eval(5)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arithmetic {
    /// `+`.
    Add,
    /// `-`.
    Subtract,
    /// `*`.
    Multiply,
    /// `/`.
    Divide,
    /// `%`.
    Remainder,
    /// `&`.
    And,
    /// `|`.
    Or,
    /// `^`.
    Xor,
}

/// An expression: boolean, data or numeric, as dhcpd types them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `option NAME`: the option's octets in the request.
    Option(OptionCode),
    /// `option agent.NAME`: a relay agent sub-option's octets (trusted ones only).
    AgentOption(u8),
    /// `option fqdn.NAME`: a sub-option of the client FQDN option (81) as dhcpd decodes it.
    FqdnOption(FqdnField),
    /// `hardware`: the hardware type, then the address.
    Hardware,
    /// A string, hex or IP address constant.
    Const(Vec<u8>),
    /// `substring(DATA, OFFSET, LENGTH)`: empty past the end, cut at the end.
    Substring(Box<Self>, Box<Self>, Box<Self>),
    /// `suffix(DATA, LENGTH)`: the last LENGTH octets (all of a shorter value).
    Suffix(Box<Self>, Box<Self>),
    /// `concat(A, B)`: nothing if either is nothing.
    Concat(Box<Self>, Box<Self>),
    /// `binary-to-ascii(BASE, WIDTH, SEPARATOR, DATA)`.
    BinaryToAscii(Box<Self>, Box<Self>, Box<Self>, Box<Self>),
    /// `lcase(DATA)`.
    Lcase(Box<Self>),
    /// `ucase(DATA)`.
    Ucase(Box<Self>),
    /// `pick-first-value(A, B, ...)`: the first that is something.
    PickFirst(Vec<Self>),
    /// `encode-int(NUMBER, WIDTH)`: big-endian, 8, 16 or 32 bits.
    EncodeInt(Box<Self>, u8),
    /// `host-decl-name`.
    HostDeclName,
    /// `config-option NAME`: the option's value configured for the client (nothing where the
    /// configuration is not known whole, or the option is not set).
    ConfigOption(OptionCode),
    /// `leased-address`.
    LeasedAddress,
    /// `packet(OFFSET, LENGTH)`: octets of the request as received.
    Packet(Box<Self>, Box<Self>),
    /// A number.
    Number(u32),
    /// `extract-int(DATA, WIDTH)`: big-endian, 8, 16 or 32 bits; nothing if too short.
    ExtractInt(Box<Self>, u8),
    /// Arithmetic on two numbers (nothing on division by zero).
    Arithmetic(Arithmetic, Box<Self>, Box<Self>),
    /// `A = B` (`A != B` is its negation): never nothing.
    Equal(Box<Self>, Box<Self>),
    /// `A and B`.
    And(Box<Self>, Box<Self>),
    /// `A or B`.
    Or(Box<Self>, Box<Self>),
    /// `not A`.
    Not(Box<Self>),
    /// `exists NAME`.
    Exists(OptionCode),
    /// `exists agent.NAME`.
    AgentExists(u8),
    /// `exists fqdn.NAME`.
    FqdnExists(FqdnField),
    /// `known`: the client has a host declaration.
    Known,
    /// A variable `set` for the request: nothing if not set.
    Variable(String),
    /// `reverse(WIDTH, DATA)`: the WIDTH-octet units of DATA in reverse order; nothing when
    /// DATA is not a whole number of units.
    Reverse(Box<Self>, Box<Self>),
    /// `static`: the lease is a fixed address.
    Static,
    /// `defined(NAME)` (or `variable-exists NAME`): whether the variable is set.
    Defined(String),
    /// `lease-time`: seconds left of the lease.
    LeaseTime,
    /// `null`, and what is nothing in a server (`client-state`).
    Null,
    /// `DATA ~= PATTERN` (`~~`: case-insensitive): whether DATA, up to a NUL, matches the POSIX
    /// extended regular expression PATTERN (common/tree.c `expr_regex_match`); false when
    /// either is nothing or the pattern does not compile.
    Regex(Box<Self>, Pattern),
}

/// The pattern of a regular expression match: compiled once when it is a constant.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern's expression.
    pub source: Box<Expr>,
    /// Case-insensitive (`~~`).
    pub case_insensitive: bool,
    compiled: Option<regex::bytes::Regex>,
}

impl Pattern {
    /// The pattern `source` (compiled now when it is a constant).
    pub fn new(source: Expr, case_insensitive: bool) -> Self {
        let compiled = match &source {
            Expr::Const(octets) => compile(octets, case_insensitive),
            _ => None,
        };
        Self {
            source: Box::new(source),
            case_insensitive,
            compiled,
        }
    }

    fn is_match(&self, subject: &[u8], r: &Request<'_>) -> Option<bool> {
        // regexec reads a C string: the subject up to its first NUL.
        let end = subject
            .iter()
            .position(|b| *b == 0)
            .unwrap_or(subject.len());
        let subject = subject.get(..end).unwrap_or_default();
        if let Some(re) = &self.compiled {
            return Some(re.is_match(subject));
        }
        let pattern = self.source.data(r)?;
        Some(compile(&pattern, self.case_insensitive).is_some_and(|re| re.is_match(subject)))
    }
}

/// `pattern` compiled as regcomp(3) would with REG_EXTENDED (and REG_ICASE); `None` when it
/// does not compile (or is not text).
fn compile(pattern: &[u8], case_insensitive: bool) -> Option<regex::bytes::Regex> {
    let end = pattern
        .iter()
        .position(|b| *b == 0)
        .unwrap_or(pattern.len());
    let text = std::str::from_utf8(pattern.get(..end)?).ok()?;
    regex::bytes::RegexBuilder::new(text)
        .case_insensitive(case_insensitive)
        .unicode(false)
        .build()
        .ok()
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.case_insensitive == other.case_insensitive
    }
}

impl Eq for Pattern {}

impl std::hash::Hash for Pattern {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.hash(state);
        self.case_insensitive.hash(state);
    }
}

/// A value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Datum {
    /// Octets.
    Data(Vec<u8>),
    /// A number.
    Number(u32),
    /// True or false.
    Bool(bool),
}

impl Expr {
    /// The expressions directly inside this one.
    fn inner(&self) -> Vec<&Self> {
        match self {
            Self::Substring(a, b, c) => vec![a, b, c],
            Self::BinaryToAscii(a, b, c, d) => vec![a, b, c, d],
            Self::Suffix(a, b)
            | Self::Concat(a, b)
            | Self::Packet(a, b)
            | Self::Arithmetic(_, a, b)
            | Self::Equal(a, b)
            | Self::And(a, b)
            | Self::Or(a, b)
            | Self::Reverse(a, b) => vec![a, b],
            Self::Lcase(a)
            | Self::Ucase(a)
            | Self::EncodeInt(a, _)
            | Self::ExtractInt(a, _)
            | Self::Not(a) => vec![a],
            Self::PickFirst(all) => all.iter().collect(),
            Self::Regex(a, pattern) => vec![a, &pattern.source],
            _ => Vec::new(),
        }
    }

    /// Whether this expression, or one inside it, reads `config-option`.
    pub fn reads_config_options(&self) -> bool {
        matches!(self, Self::ConfigOption(_))
            || self.inner().into_iter().any(Self::reads_config_options)
    }

    /// The value at `request`, or nothing (dhcpd's NULL).
    pub fn evaluate(&self, request: &Request<'_>) -> Option<Datum> {
        match self {
            Self::Variable(_) => self.variable(request),
            Self::Number(_) | Self::ExtractInt(..) | Self::Arithmetic(..) => {
                self.number(request).map(Datum::Number)
            }
            Self::Equal(..)
            | Self::And(..)
            | Self::Or(..)
            | Self::Not(_)
            | Self::Exists(_)
            | Self::AgentExists(_)
            | Self::FqdnExists(_)
            | Self::Known
            | Self::Static
            | Self::Defined(_)
            | Self::Regex(..) => self.boolean(request).map(Datum::Bool),
            Self::LeaseTime => request.lease_time.map(Datum::Number),
            Self::Null => None,
            _ => self.data(request).map(Datum::Data),
        }
    }

    /// As a condition: nothing is false, as dhcpd treats it in `if` (common/execute.c).
    pub fn holds(&self, request: &Request<'_>) -> bool {
        self.boolean(request) == Some(true)
    }

    fn boolean(&self, r: &Request<'_>) -> Option<bool> {
        match self {
            Self::Equal(a, b) => Some(a.evaluate(r) == b.evaluate(r)),
            // dhcpd evaluates the right side only when the left is true, and gives nothing
            // when it did not evaluate it (tree.c `expr_and`).
            Self::And(a, b) => match a.boolean(r) {
                Some(true) => b.boolean(r),
                _ => None,
            },
            Self::Or(a, b) => match a.boolean(r) {
                Some(true) => Some(true),
                Some(false) => Some(b.boolean(r) == Some(true)),
                None => b.boolean(r),
            },
            Self::Not(a) => a.boolean(r).map(|b| !b),
            Self::Exists(code) => Some(r.msg.options.get(*code).is_some()),
            Self::AgentExists(code) => Some(agent(r, *code).is_some()),
            Self::FqdnExists(field) => Some(fqdn(r, *field).is_some()),
            Self::Known => Some(r.host.is_some()),
            Self::Static => Some(r.fixed),
            Self::Defined(name) => Some(r.variables.iter().any(|(n, _)| n == name)),
            Self::Regex(subject, pattern) => Some(match subject.data(r) {
                Some(subject) => pattern.is_match(&subject, r) == Some(true),
                None => false,
            }),
            Self::Variable(_) => match self.variable(r)? {
                Datum::Bool(b) => Some(b),
                _ => None,
            },
            _ => match self.evaluate(r)? {
                Datum::Bool(b) => Some(b),
                _ => None,
            },
        }
    }

    /// The value of a variable.
    fn variable(&self, r: &Request<'_>) -> Option<Datum> {
        let Self::Variable(name) = self else {
            return None;
        };
        r.variables
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn number(&self, r: &Request<'_>) -> Option<u32> {
        match self {
            Self::Number(n) => Some(*n),
            Self::ExtractInt(data, width) => {
                let data = data.data(r)?;
                let octets = data.get(..usize::from(*width / 8))?;
                Some(octets.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)))
            }
            Self::Arithmetic(op, a, b) => {
                let (a, b) = (a.number(r)?, b.number(r)?);
                match op {
                    Arithmetic::Add => Some(a.wrapping_add(b)),
                    Arithmetic::Subtract => Some(a.wrapping_sub(b)),
                    Arithmetic::Multiply => Some(a.wrapping_mul(b)),
                    Arithmetic::Divide => a.checked_div(b),
                    Arithmetic::Remainder => a.checked_rem(b),
                    Arithmetic::And => Some(a & b),
                    Arithmetic::Or => Some(a | b),
                    Arithmetic::Xor => Some(a ^ b),
                }
            }
            _ => match self.evaluate(r)? {
                Datum::Number(n) => Some(n),
                _ => None,
            },
        }
    }

    fn data(&self, r: &Request<'_>) -> Option<Vec<u8>> {
        let number = |e: &Self| e.number(r).map(|n| n as usize);
        match self {
            Self::Option(code) => r.msg.options.get(*code).map(<[u8]>::to_vec),
            Self::AgentOption(code) => agent(r, *code).map(<[u8]>::to_vec),
            Self::FqdnOption(field) => fqdn(r, *field),
            Self::Hardware => {
                let mut out = vec![r.msg.htype];
                out.extend_from_slice(r.msg.hardware_address());
                Some(out)
            }
            Self::Const(octets) => Some(octets.clone()),
            Self::Substring(data, offset, length) => {
                let (data, offset, length) = (data.data(r)?, number(offset)?, number(length)?);
                let rest = data.get(offset..).unwrap_or_default();
                Some(rest.get(..length).unwrap_or(rest).to_vec())
            }
            Self::Suffix(data, length) => {
                let (data, length) = (data.data(r)?, number(length)?);
                Some(data.get(data.len().saturating_sub(length)..)?.to_vec())
            }
            Self::Concat(a, b) => {
                let mut out = a.data(r)?;
                out.extend(b.data(r)?);
                Some(out)
            }
            Self::BinaryToAscii(base, width, separator, data) => binary_to_ascii(
                number(base)?,
                number(width)?,
                &separator.data(r)?,
                &data.data(r)?,
            ),
            Self::Lcase(data) => Some(data.data(r)?.to_ascii_lowercase()),
            Self::Ucase(data) => Some(data.data(r)?.to_ascii_uppercase()),
            Self::PickFirst(choices) => choices.iter().find_map(|c| c.data(r)),
            Self::EncodeInt(n, width) => {
                let n = n.number(r)?;
                let octets = n.to_be_bytes();
                Some(octets.get(4 - usize::from(*width / 8)..)?.to_vec())
            }
            Self::HostDeclName => r.host.map(|h| h.as_bytes().to_vec()),
            Self::ConfigOption(code) => r.configured?.get(*code).map(<[u8]>::to_vec),
            Self::LeasedAddress => r.address.map(|a| a.octets().to_vec()),
            Self::Reverse(width, data) => {
                let (width, data) = (number(width)?, data.data(r)?);
                if width == 0 || data.len() % width != 0 {
                    return None;
                }
                Some(data.chunks(width).rev().flatten().copied().collect())
            }
            Self::Packet(offset, length) => {
                let packet = r.msg.encode();
                let (offset, length) = (number(offset)?, number(length)?);
                let rest = packet.get(offset..)?;
                Some(rest.get(..length).unwrap_or(rest).to_vec())
            }
            _ => match self.evaluate(r)? {
                Datum::Data(d) => Some(d),
                _ => None,
            },
        }
    }
}

/// A relay agent sub-option of the request's trusted relay agent information.
fn agent<'a>(r: &Request<'a>, code: u8) -> Option<&'a [u8]> {
    agent_sub_option(r.agent_options?, code)
}

/// The `fqdn` sub-option `field` of the request's option 81.
fn fqdn(r: &Request<'_>, field: FqdnField) -> Option<Vec<u8>> {
    let raw = r.msg.options.get(OptionCode::CLIENT_FQDN)?;
    FqdnSpace::decode(raw)?.get(field)
}

/// dhcpd's `binary-to-ascii` (tree.c `expr_binary_to_ascii`): each WIDTH-bit unit of `data`
/// written in BASE (2 to 16, lower case, no leading zeros), joined by the separator; nothing
/// for another base or width.
fn binary_to_ascii(base: usize, width: usize, separator: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    if !(2..=16).contains(&base) || !matches!(width, 8 | 16 | 32) {
        return None;
    }
    let mut out = Vec::new();
    for (i, unit) in data.chunks(width / 8).enumerate() {
        if unit.len() < width / 8 {
            break;
        }
        if i > 0 {
            out.extend_from_slice(separator);
        }
        let mut n = unit.iter().fold(0u64, |n, b| n << 8 | u64::from(*b));
        let mut digits = Vec::new();
        loop {
            let digit = (n % base as u64) as u8;
            digits.push(if digit < 10 {
                b'0' + digit
            } else {
                b'a' + digit - 10
            });
            n /= base as u64;
            if n == 0 {
                break;
            }
        }
        out.extend(digits.iter().rev());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(msg: &Message) -> Request<'_> {
        Request::of(msg)
    }

    fn pxe() -> Message {
        let mut msg = Message {
            htype: 1,
            hlen: 6,
            ..Message::default()
        };
        if let Some(c) = msg.chaddr.get_mut(..6) {
            c.copy_from_slice(&[0x52, 0x54, 0, 0x0a, 0xb, 0xc]);
        }
        msg.options
            .insert(OptionCode::VENDOR_CLASS_IDENTIFIER, b"PXEClient:Arch:00007");
        msg.options.insert(OptionCode(93), &[0, 7]);
        msg
    }

    fn b(e: Expr) -> Box<Expr> {
        Box::new(e)
    }

    #[test]
    fn substring_is_empty_past_the_end_and_cut_at_it() {
        let msg = pxe();
        let sub = |o, l| {
            Expr::Substring(
                b(Expr::Option(OptionCode::VENDOR_CLASS_IDENTIFIER)),
                b(Expr::Number(o)),
                b(Expr::Number(l)),
            )
            .evaluate(&request(&msg))
        };
        assert_eq!(sub(0, 9), Some(Datum::Data(b"PXEClient".to_vec())));
        assert_eq!(sub(15, 100), Some(Datum::Data(b"00007".to_vec())));
        assert_eq!(sub(100, 3), Some(Datum::Data(Vec::new())));
        let absent = Expr::Substring(
            b(Expr::Option(OptionCode::USER_CLASS)),
            b(Expr::Number(0)),
            b(Expr::Number(4)),
        );
        assert_eq!(absent.evaluate(&request(&msg)), None);
    }

    #[test]
    fn equality_of_nothing_and_the_logic_of_nothing_are_dhcpds() {
        let msg = pxe();
        let r = request(&msg);
        let absent = || b(Expr::Option(OptionCode::USER_CLASS));
        let ipxe = || b(Expr::Const(b"iPXE".to_vec()));
        assert!(!Expr::Equal(absent(), ipxe()).holds(&r));
        assert!(Expr::Equal(absent(), absent()).holds(&r));
        let arch = Expr::Equal(b(Expr::Option(OptionCode(93))), b(Expr::Const(vec![0, 7])));
        assert!(arch.holds(&r));
        // `false and X` is nothing, so `not (false and X)` is nothing too: false.
        let never = Expr::And(b(Expr::Exists(OptionCode::USER_CLASS)), b(Expr::Known));
        assert_eq!(never.boolean(&r), None);
        assert!(!Expr::Not(b(never)).holds(&r));
        let either = Expr::Or(b(Expr::Exists(OptionCode::USER_CLASS)), b(arch));
        assert!(either.holds(&r));
    }

    #[test]
    fn binary_to_ascii_spells_the_hardware_address_as_dhcpd() {
        let msg = pxe();
        let mac = Expr::BinaryToAscii(
            b(Expr::Number(16)),
            b(Expr::Number(8)),
            b(Expr::Const(b":".to_vec())),
            b(Expr::Substring(
                b(Expr::Hardware),
                b(Expr::Number(1)),
                b(Expr::Number(6)),
            )),
        );
        assert_eq!(
            mac.evaluate(&request(&msg)),
            Some(Datum::Data(b"52:54:0:a:b:c".to_vec()))
        );
        let n = Expr::ExtractInt(b(Expr::Option(OptionCode(93))), 16);
        assert_eq!(n.evaluate(&request(&msg)), Some(Datum::Number(7)));
        let encoded = Expr::EncodeInt(b(Expr::Number(0x0102)), 16);
        assert_eq!(
            encoded.evaluate(&request(&msg)),
            Some(Datum::Data(vec![1, 2]))
        );
    }

    /// `~=` and `~~` as regcomp(3) with REG_EXTENDED reads the pattern (common/tree.c
    /// `expr_regex_match`): the subject up to a NUL; false on nothing or a bad pattern.
    #[test]
    fn regular_expressions_match_as_posix_extended_ones() {
        let msg = pxe();
        let vendor = || b(Expr::Option(OptionCode(60)));
        let matches = |pattern: &[u8], icase: bool| {
            Expr::Regex(vendor(), Pattern::new(Expr::Const(pattern.to_vec()), icase))
                .evaluate(&request(&msg))
        };
        assert_eq!(
            matches(b"^PXEClient:Arch:0000[0-9]", false),
            Some(Datum::Bool(true))
        );
        assert_eq!(matches(b"^pxeclient", false), Some(Datum::Bool(false)));
        assert_eq!(matches(b"^pxeclient", true), Some(Datum::Bool(true)));
        assert_eq!(matches(b"^[[:alpha:]]+:", false), Some(Datum::Bool(true)));
        assert_eq!(matches(b"(unclosed", false), Some(Datum::Bool(false)));
        let absent = Expr::Regex(
            b(Expr::Option(OptionCode::HOST_NAME)),
            Pattern::new(Expr::Const(b".*".to_vec()), false),
        );
        assert_eq!(absent.evaluate(&request(&msg)), Some(Datum::Bool(false)));
        // A pattern computed per request is compiled then.
        let dynamic = Expr::Regex(
            vendor(),
            Pattern::new(Expr::Lcase(b(Expr::Const(b"^PXE".to_vec()))), true),
        );
        assert_eq!(dynamic.evaluate(&request(&msg)), Some(Datum::Bool(true)));
    }

    #[test]
    fn reverse_static_lease_time_and_defined() {
        let msg = pxe();
        let reverse = |width: u32, data: &[u8]| {
            Expr::Reverse(b(Expr::Number(width)), b(Expr::Const(data.to_vec())))
                .evaluate(&request(&msg))
        };
        assert_eq!(reverse(1, &[1, 2, 3]), Some(Datum::Data(vec![3, 2, 1])));
        assert_eq!(
            reverse(2, &[1, 2, 3, 4]),
            Some(Datum::Data(vec![3, 4, 1, 2]))
        );
        assert_eq!(reverse(2, &[1, 2, 3]), None);
        assert_eq!(reverse(0, &[1]), None);
        let fixed = Request {
            fixed: true,
            lease_time: Some(600),
            ..request(&msg)
        };
        assert_eq!(Expr::Static.evaluate(&fixed), Some(Datum::Bool(true)));
        assert_eq!(
            Expr::Static.evaluate(&request(&msg)),
            Some(Datum::Bool(false))
        );
        assert_eq!(Expr::LeaseTime.evaluate(&fixed), Some(Datum::Number(600)));
        assert_eq!(Expr::LeaseTime.evaluate(&request(&msg)), None);
        assert_eq!(Expr::Null.evaluate(&fixed), None);
        let set = [("a".to_string(), Datum::Bool(false))];
        let with_a = Request {
            variables: &set,
            ..request(&msg)
        };
        assert_eq!(
            Expr::Defined("a".into()).evaluate(&with_a),
            Some(Datum::Bool(true))
        );
        assert_eq!(
            Expr::Defined("b".into()).evaluate(&with_a),
            Some(Datum::Bool(false))
        );
    }
}
