//! Client classes: a small typed match language over what a request carries (ISC `class` with
//! `match if`, lowered from dhcpd.conf by charrua-conf).

use std::collections::{BTreeMap, BTreeSet};

use charrua_wire::OptionCode;

use super::expr::{Datum, Expr, Request};

/// A condition on a request. Matching is on raw octets, exactly as RFC 2131 section 4.3.1 asks
/// for vendor classes ("MUST be identified by an exact match").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Vendor class identifier (option 60) equals these octets.
    VendorClass(Vec<u8>),
    /// Vendor class identifier starts with these octets (ISC `substring(option
    /// vendor-class-identifier, 0, n) = "..."`).
    VendorClassPrefix(Vec<u8>),
    /// One of the user class instances (option 77, RFC 3004) equals these octets; a user class
    /// that is not a list of instances is compared whole.
    UserClass(Vec<u8>),
    /// Relay agent sub-option `code` (option 82, RFC 3046) equals `value`. Only trusted on
    /// relayed requests (reliability rule A10).
    AgentSubOption {
        /// Sub-option code, e.g. 1 for circuit-id, 2 for remote-id.
        code: u8,
        /// Its value.
        value: Vec<u8>,
    },
    /// Hardware type equals `htype` and the hardware address starts with `prefix` (ISC
    /// `substring(hardware, 1, 3) = 00:11:22`).
    HardwarePrefix {
        /// Hardware type (1 for Ethernet).
        htype: u8,
        /// Leading octets of the address.
        prefix: Vec<u8>,
    },
    /// Option `code` is present.
    Exists(OptionCode),
    /// Option `code` starts with `prefix` (ISC `substring(option X, 0, n) = ...`).
    OptionPrefix {
        /// The option.
        code: OptionCode,
        /// Its leading octets.
        prefix: Vec<u8>,
    },
    /// Option `code` holds `value` at `offset` (ISC `substring(option X, offset, n) = ...`).
    OptionAt {
        /// The option.
        code: OptionCode,
        /// Where the octets start in it.
        offset: usize,
        /// The octets.
        value: Vec<u8>,
    },
    /// Option `code` equals `value`.
    Option {
        /// The option.
        code: OptionCode,
        /// Its raw value.
        value: Vec<u8>,
    },
    /// Every condition holds.
    All(Vec<Self>),
    /// At least one condition holds.
    Any(Vec<Self>),
    /// The condition does not hold.
    Not(Box<Self>),
    /// The client has a host declaration (ISC `known`).
    Known,
    /// The client belongs to a subclass of a class with `match DATA` or `spawn with DATA`
    /// (server/class.c `check_collection`): DATA has a value of at least one octet, and that
    /// value is one of the declared subclasses', or any value when the class spawns them.
    Subclass {
        /// The data expression whose value names the client's subclass.
        value: Box<Expr>,
        /// The values of the declared subclasses (ISC `subclass "NAME" VALUE;`).
        members: BTreeSet<Vec<u8>>,
        /// `spawn with`: a value with no declared subclass makes one of its own.
        spawning: bool,
    },
    /// Any other ISC expression, evaluated as dhcpd evaluates it (nothing is false).
    Expr(Box<Expr>),
}

/// The value naming a request's subclass: data of at least one octet (server/class.c
/// `check_collection`: `status && data.len`).
pub(crate) fn subclass_value(value: &Expr, request: &Request<'_>) -> Option<Vec<u8>> {
    match value.evaluate(request)? {
        Datum::Data(v) if !v.is_empty() => Some(v),
        _ => None,
    }
}

/// `lease limit N;` in a class (server/class.c `bill_class`): how many leases its members may
/// hold at once. A class with subclasses bills each subclass apart, each with the limit (its
/// own, where a subclass declares one); a class without bills its members together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseLimit {
    /// Leases one account may hold; 0 bills nothing (a subclass may still set its own).
    pub limit: u32,
    /// The data expression naming a member's subclass (the class's `match` or `spawn with`):
    /// each subclass is an account of its own.
    pub subclass: Option<Expr>,
    /// Subclasses that declare a limit of their own, by value.
    pub subclass_limits: BTreeMap<Vec<u8>, u32>,
}

/// The user class instances of RFC 3004 (length-prefixed), or the whole value when it is not
/// such a list.
fn user_classes(raw: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some((&len, tail)) = rest.split_first() {
        match tail.split_at_checked(usize::from(len)) {
            Some((item, tail)) if len > 0 => {
                out.push(item);
                rest = tail;
            }
            _ => return vec![raw],
        }
    }
    out
}

/// The value of relay agent sub-option `code`, if the option parses.
pub(crate) fn agent_sub_option(raw: &[u8], code: u8) -> Option<&[u8]> {
    let mut rest = raw;
    while let [sub, len, tail @ ..] = rest {
        let (value, tail) = tail.split_at_checked(usize::from(*len))?;
        if *sub == code {
            return Some(value);
        }
        rest = tail;
    }
    None
}

impl Match {
    /// Whether `request` satisfies the condition (option 82 only as far as it is trusted).
    pub fn matches(&self, request: &Request<'_>) -> bool {
        let (msg, known) = (request.msg, request.host.is_some());
        let opt = |code| msg.options.get(code);
        match self {
            Self::VendorClass(v) => opt(OptionCode::VENDOR_CLASS_IDENTIFIER) == Some(v.as_slice()),
            Self::VendorClassPrefix(p) => {
                opt(OptionCode::VENDOR_CLASS_IDENTIFIER).is_some_and(|v| v.starts_with(p))
            }
            Self::UserClass(v) => opt(OptionCode::USER_CLASS)
                .is_some_and(|raw| user_classes(raw).contains(&v.as_slice())),
            Self::AgentSubOption { code, value } => {
                request
                    .agent_options
                    .and_then(|raw| agent_sub_option(raw, *code))
                    == Some(value.as_slice())
            }
            Self::HardwarePrefix { htype, prefix } => {
                msg.htype == *htype && msg.hardware_address().starts_with(prefix)
            }
            Self::Exists(code) => opt(*code).is_some(),
            Self::OptionPrefix { code, prefix } => {
                opt(*code).is_some_and(|v| v.starts_with(prefix))
            }
            Self::OptionAt {
                code,
                offset,
                value,
            } => {
                opt(*code).and_then(|v| v.get(*offset..offset.checked_add(value.len())?))
                    == Some(value.as_slice())
            }
            Self::Option { code, value } => opt(*code) == Some(value.as_slice()),
            Self::All(all) => all.iter().all(|m| m.matches(request)),
            Self::Any(any) => any.iter().any(|m| m.matches(request)),
            Self::Not(m) => !m.matches(request),
            Self::Known => known,
            Self::Subclass {
                value,
                members,
                spawning,
            } => subclass_value(value, request).is_some_and(|v| *spawning || members.contains(&v)),
            Self::Expr(e) => e.holds(request),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use charrua_wire::Message;

    trait Test {
        fn test(&self, msg: &Message, relayed: bool, known: bool) -> bool;
    }

    impl Test for Match {
        fn test(&self, msg: &Message, relayed: bool, known: bool) -> bool {
            self.matches(&Request {
                agent_options: relayed
                    .then(|| msg.options.get(OptionCode::RELAY_AGENT_INFORMATION))
                    .flatten(),
                host: known.then_some("host"),
                ..Request::of(msg)
            })
        }
    }

    fn with(code: OptionCode, value: &[u8]) -> Message {
        let mut msg = Message::default();
        msg.options.insert(code, value);
        msg
    }

    #[test]
    fn vendor_class_matches_exactly_or_by_prefix() {
        let msg = with(OptionCode::VENDOR_CLASS_IDENTIFIER, b"PXEClient:Arch:00007");
        assert!(Match::VendorClassPrefix(b"PXEClient".to_vec()).test(&msg, false, false));
        assert!(!Match::VendorClass(b"PXEClient".to_vec()).test(&msg, false, false));
    }

    #[test]
    fn agent_sub_options_are_trusted_only_when_relayed() {
        let msg = with(
            OptionCode::RELAY_AGENT_INFORMATION,
            &[1, 2, b'p', b'1', 2, 1, 9],
        );
        let m = Match::AgentSubOption {
            code: 1,
            value: b"p1".to_vec(),
        };
        assert!(m.test(&msg, true, false));
        assert!(!m.test(&msg, false, false));
    }

    #[test]
    fn user_class_instances_are_compared_one_by_one() {
        let msg = with(
            OptionCode::USER_CLASS,
            &[3, b'a', b'b', b'c', 2, b'x', b'y'],
        );
        assert!(Match::UserClass(b"xy".to_vec()).test(&msg, false, false));
        let plain = with(OptionCode::USER_CLASS, b"voip");
        assert!(Match::UserClass(b"voip".to_vec()).test(&plain, false, false));
    }

    #[test]
    fn option_slices_and_known_clients() {
        let msg = with(OptionCode::CLIENT_IDENTIFIER, b"\0RedHat-7");
        let at = |offset| Match::OptionAt {
            code: OptionCode::CLIENT_IDENTIFIER,
            offset,
            value: b"RedHat".to_vec(),
        };
        assert!(at(1).test(&msg, false, false));
        assert!(!at(0).test(&msg, false, false));
        assert!(!at(usize::MAX).test(&msg, false, false));
        assert!(Match::Known.test(&msg, false, true));
        assert!(!Match::Known.test(&msg, false, false));
    }
}
