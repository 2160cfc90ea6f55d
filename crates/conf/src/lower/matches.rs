//! dhcpd.conf expressions turned into the server's [`Match`] language, where it has an
//! equivalent: the class conditions real configurations write (vendor class prefixes, relay
//! agent sub-options, hardware addresses, option values and slices, `known`).

use charrua_server::config::Match;
use charrua_wire::options::lookup_name;
use charrua_wire::OptionCode;

use super::expr::Expr;

fn number(e: &Expr) -> Option<usize> {
    match e {
        Expr::Number(n) => usize::try_from(*n).ok(),
        _ => None,
    }
}

/// Relay agent sub-options by their ISC `agent.` names.
fn agent_sub_option(name: &str) -> Option<u8> {
    (1..=255u8).find(|c| {
        charrua_wire::options::relay::sub_option_name(*c)
            .is_some_and(|n| name == format!("agent.{n}"))
    })
}

fn option_code(name: &str) -> Option<OptionCode> {
    lookup_name(name.strip_prefix("dhcp.").unwrap_or(name)).map(|d| d.code)
}

/// `binary-to-ascii(BASE, 8, SEP, substring(hardware, 1, N)) = TEXT` as a match: dhcpd writes
/// each octet in BASE (16 or 10) without leading zeros, hex in lower case (common/tree.c
/// `binary-to-ascii`), so TEXT matches the hardware address whose octets it spells if it is
/// written that way, and no address at all otherwise (`"52:54:00:..."` never matches).
fn hardware_text(args: &[Expr], text: &[u8]) -> Option<Match> {
    let [base, width, Expr::Data(separator), Expr::Call(sub, inner)] = args else {
        return None;
    };
    let base = match (number(base)?, number(width)?) {
        (b @ (10 | 16), 8) => b as u32,
        _ => return None,
    };
    if sub != "substring"
        || !matches!(inner.as_slice(), [Expr::Hardware, start, _] if number(start) == Some(1))
    {
        return None;
    }
    let length = inner.get(2).and_then(number)?;
    let text = std::str::from_utf8(text).ok()?;
    let separator = std::str::from_utf8(separator).ok()?;
    let octets: Option<Vec<u8>> = if separator.is_empty() {
        None
    } else {
        text.split(separator)
            .map(|part| u8::from_str_radix(part, base).ok())
            .collect()
    };
    let spelled = octets.as_ref().map(|o| {
        o.iter()
            .map(|b| {
                if base == 16 {
                    format!("{b:x}")
                } else {
                    b.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(separator)
    });
    match octets {
        Some(prefix) if spelled.as_deref() == Some(text) && prefix.len() == length => {
            Some(Match::HardwarePrefix { htype: 1, prefix })
        }
        // Text dhcpd never writes: the class matches no client, as in dhcpd.
        _ => Some(Match::Any(Vec::new())),
    }
}

/// `left = right` where one side is a constant.
fn equality(left: &Expr, right: &Expr) -> Option<Match> {
    let (subject, value) = match (left, right) {
        (s, Expr::Data(v)) | (Expr::Data(v), s) => (s, v.clone()),
        _ => return None,
    };
    match subject {
        // `binary-to-ascii(16, 8, ":", substring(hardware, 1, 6)) = "52:54:0:12:34:20"`: a
        // hardware address (see `hardware_text`).
        Expr::Call(f, args) if f == "binary-to-ascii" => hardware_text(args, &value),
        Expr::Option(name) if name == "vendor-class-identifier" => Some(Match::VendorClass(value)),
        Expr::Option(name) if name.starts_with("agent.") => Some(Match::AgentSubOption {
            code: agent_sub_option(name)?,
            value,
        }),
        Expr::Option(name) => Some(Match::Option {
            code: option_code(name)?,
            value,
        }),
        Expr::Call(f, args) if f == "substring" => match args.as_slice() {
            [inner, start, len] if number(len) == Some(value.len()) => {
                match (inner, number(start)?) {
                    (Expr::Option(name), 0) if name == "vendor-class-identifier" => {
                        Some(Match::VendorClassPrefix(value))
                    }
                    (Expr::Option(name), 0) => Some(Match::OptionPrefix {
                        code: option_code(name)?,
                        prefix: value,
                    }),
                    (Expr::Option(name), offset) => Some(Match::OptionAt {
                        code: option_code(name)?,
                        offset,
                        value,
                    }),
                    (Expr::Hardware, 1) => Some(Match::HardwarePrefix {
                        htype: 1,
                        prefix: value,
                    }),
                    (Expr::Hardware, 0) => {
                        let (htype, prefix) = value.split_first()?;
                        Some(Match::HardwarePrefix {
                            htype: *htype,
                            prefix: prefix.to_vec(),
                        })
                    }
                    _ => None,
                }
            }
            _ => None,
        },
        _ => None,
    }
}

/// The server's [`Match`] for `expr`, or `None` when it has no equivalent yet.
pub(crate) fn to_match(expr: &Expr) -> Option<Match> {
    match expr {
        Expr::Eq(l, r) => equality(l, r),
        Expr::Ne(l, r) => equality(l, r).map(|m| Match::Not(Box::new(m))),
        Expr::Exists(name) => option_code(name).map(Match::Exists),
        Expr::And(a, b) => Some(Match::All(vec![to_match(a)?, to_match(b)?])),
        Expr::Or(a, b) => Some(Match::Any(vec![to_match(a)?, to_match(b)?])),
        Expr::Not(a) => Some(Match::Not(Box::new(to_match(a)?))),
        Expr::Known => Some(Match::Known),
        _ => None,
    }
}
