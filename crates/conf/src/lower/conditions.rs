//! dhcpd.conf expressions lowered to the server's [`Expr`], which evaluates them per request as
//! dhcpd does (dhcp-eval(5)); what has no equivalent yet is named in the error, and the caller
//! warns that the statement is not acted on.

use charrua_server::config::{Arithmetic, Expr, FqdnField, Pattern};
use charrua_wire::OptionCode;

use super::expr::{Expr as Parsed, Kind};
use super::options::Definitions;

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// The code of an `agent.` or `fqdn.` sub-option, or of an option of the DHCP space.
fn option(name: &str, definitions: &Definitions) -> Result<Code, String> {
    let name = name.to_ascii_lowercase();
    if let Some(sub) = name.strip_prefix("fqdn.") {
        return FqdnField::from_name(sub)
            .map(Code::Fqdn)
            .ok_or_else(|| format!("client FQDN sub-option {sub}"));
    }
    if let Some(sub) = name.strip_prefix("agent.") {
        return (1..=255u8)
            .find(|c| charrua_wire::options::relay::sub_option_name(*c) == Some(sub))
            .map(Code::Agent)
            .ok_or_else(|| format!("relay agent sub-option {sub}"));
    }
    let local = name.strip_prefix("dhcp.").unwrap_or(&name);
    if let Some(n) = local.strip_prefix("unknown-") {
        return n
            .parse::<u8>()
            .map(|c| Code::Dhcp(OptionCode(c)))
            .map_err(|_| format!("option {local}"));
    }
    if local.contains('.') {
        return Err(format!("option {local} of another option space"));
    }
    definitions
        .code(local)
        .map(Code::Dhcp)
        .ok_or_else(|| format!("option {local}"))
}

enum Code {
    Dhcp(OptionCode),
    Agent(u8),
    Fqdn(FqdnField),
}

/// A number where dhcpd reads data: one octet (common/parse.c `parse_cshl` reads it in hex, so
/// only a single digit means the same in both readings).
pub(super) fn data(e: &Parsed, definitions: &Definitions) -> Result<Expr, String> {
    match e {
        Parsed::Number(n @ 0..=9) => Ok(Expr::Const(vec![*n as u8])),
        Parsed::Number(n) => Err(format!("the number {n} read as data")),
        // A word of one or two hex digits is an octet where data goes (`d0`, `ff`); any other
        // word is a variable (dhcpd's lexer reads it as a name).
        Parsed::Variable(word) if word.len() <= 2 => match u8::from_str_radix(word, 16) {
            Ok(octet) => Ok(Expr::Const(vec![octet])),
            Err(_) => lower(e, definitions),
        },
        _ => lower(e, definitions),
    }
}

fn width(e: Option<&Parsed>) -> Result<u8, String> {
    match e {
        Some(Parsed::Number(n @ (8 | 16 | 32))) => Ok(*n as u8),
        _ => Err("an integer width other than 8, 16 or 32".into()),
    }
}

/// `e` as the server evaluates it, or what in it has no equivalent.
pub(super) fn lower(e: &Parsed, definitions: &Definitions) -> Result<Expr, String> {
    let go = |e: &Parsed| lower(e, definitions);
    let data = |e: &Parsed| data(e, definitions);
    Ok(match e {
        Parsed::Option(name) => match option(name, definitions)? {
            Code::Dhcp(code) => Expr::Option(code),
            Code::Agent(code) => Expr::AgentOption(code),
            Code::Fqdn(field) => Expr::FqdnOption(field),
        },
        Parsed::Exists(name) => match option(name, definitions)? {
            Code::Dhcp(code) => Expr::Exists(code),
            Code::Agent(code) => Expr::AgentExists(code),
            Code::Fqdn(field) => Expr::FqdnExists(field),
        },
        Parsed::Hardware => Expr::Hardware,
        Parsed::Known => Expr::Known,
        Parsed::Data(octets) => Expr::Const(octets.clone()),
        Parsed::Number(n) => {
            Expr::Number(u32::try_from(*n).map_err(|_| format!("the number {n}"))?)
        }
        Parsed::Variable(name) => Expr::Variable(name.clone()),
        Parsed::Eq(a, b) | Parsed::Ne(a, b) => {
            // A constant number takes the kind of the other side (common/parse.c).
            let (a, b) = match (a.kind(), b.kind()) {
                (Kind::Constant, Kind::Data) => (data(a)?, go(b)?),
                (Kind::Data, Kind::Constant) => (go(a)?, data(b)?),
                _ => (go(a)?, go(b)?),
            };
            let equal = Expr::Equal(boxed(a), boxed(b));
            if matches!(e, Parsed::Ne(..)) {
                Expr::Not(boxed(equal))
            } else {
                equal
            }
        }
        Parsed::And(a, b) => Expr::And(boxed(go(a)?), boxed(go(b)?)),
        Parsed::Or(a, b) => Expr::Or(boxed(go(a)?), boxed(go(b)?)),
        Parsed::Not(a) => Expr::Not(boxed(go(a)?)),
        Parsed::Regex(a, b) => Expr::Regex(boxed(data(a)?), Pattern::new(data(b)?, false)),
        Parsed::IRegex(a, b) => Expr::Regex(boxed(data(a)?), Pattern::new(data(b)?, true)),
        Parsed::Arithmetic(op, a, b) => {
            let op = match *op {
                "+" => Arithmetic::Add,
                "-" => Arithmetic::Subtract,
                "*" => Arithmetic::Multiply,
                "/" => Arithmetic::Divide,
                "%" => Arithmetic::Remainder,
                "&" => Arithmetic::And,
                "|" => Arithmetic::Or,
                "^" => Arithmetic::Xor,
                other => return Err(format!("the operator {other}")),
            };
            Expr::Arithmetic(op, boxed(go(a)?), boxed(go(b)?))
        }
        Parsed::Call(name, args) => call(name, args, definitions)?,
    })
}

fn call(name: &str, args: &[Parsed], definitions: &Definitions) -> Result<Expr, String> {
    let go = |e: &Parsed| lower(e, definitions).map(boxed);
    let data = |e: &Parsed| data(e, definitions).map(boxed);
    let arg = |i: usize| {
        args.get(i)
            .ok_or_else(|| format!("{name}: missing argument"))
    };
    Ok(match name {
        "substring" => Expr::Substring(data(arg(0)?)?, go(arg(1)?)?, go(arg(2)?)?),
        "suffix" => Expr::Suffix(data(arg(0)?)?, go(arg(1)?)?),
        "concat" => {
            let mut parts = args.iter().map(&data);
            let first = parts.next().ok_or("concat: no arguments")??;
            parts.try_fold(*first, |acc, part| {
                Ok::<_, String>(Expr::Concat(boxed(acc), part?))
            })?
        }
        "binary-to-ascii" => {
            Expr::BinaryToAscii(go(arg(0)?)?, go(arg(1)?)?, data(arg(2)?)?, data(arg(3)?)?)
        }
        "lcase" => Expr::Lcase(data(arg(0)?)?),
        "ucase" => Expr::Ucase(data(arg(0)?)?),
        "pick-first-value" => Expr::PickFirst(
            args.iter()
                .map(|a| data(a).map(|e| *e))
                .collect::<Result<_, _>>()?,
        ),
        "extract-int" => Expr::ExtractInt(data(arg(0)?)?, width(args.get(1))?),
        "encode-int" => Expr::EncodeInt(go(arg(0)?)?, width(args.get(1))?),
        "packet" => Expr::Packet(go(arg(0)?)?, go(arg(1)?)?),
        "leased-address" => Expr::LeasedAddress,
        "reverse" => Expr::Reverse(go(arg(0)?)?, data(arg(1)?)?),
        "static" => Expr::Static,
        "defined" | "variable-exists" => match args {
            [Parsed::Variable(name)] => Expr::Defined(name.clone()),
            _ => return Err(format!("{name}: not a variable name")),
        },
        "lease-time" => Expr::LeaseTime,
        // A client's state is nothing in a server (common/tree.c: no client state).
        "client-state" | "null" => Expr::Null,
        "host-decl-name" => Expr::HostDeclName,
        "config-option" => match args {
            [Parsed::Option(option_name)] => match option(option_name, definitions)? {
                Code::Dhcp(code) => Expr::ConfigOption(code),
                Code::Agent(_) | Code::Fqdn(_) => {
                    return Err(format!("config-option {option_name}"))
                }
            },
            _ => return Err("config-option: not an option name".into()),
        },
        other => return Err(format!("{other}()")),
    })
}

/// `e`, a condition, lowered; for the caller's warning, what stops it.
pub(super) fn condition(e: &Parsed, definitions: &Definitions) -> Result<Expr, String> {
    if e.kind() != Kind::Boolean && e.kind() != Kind::Any {
        return Err("a condition that is not boolean".into());
    }
    lower(e, definitions)
}
