//! dhcpd.conf expressions (`match if`, `if`): parsed in full, with bounded nesting, and turned
//! into the server's [`Match`] language where it has an equivalent.

use charrua_server::config::Match;
use charrua_wire::options::lookup_name;
use charrua_wire::OptionCode;

use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Span};

/// Deepest expression nesting accepted.
const MAX_DEPTH: usize = 64;

/// Functions of dhcp-eval(5) that take parenthesized arguments.
const FUNCTIONS: &[&str] = &[
    "substring",
    "suffix",
    "binary-to-ascii",
    "concat",
    "pick-first-value",
    "lcase",
    "ucase",
    "extract-int",
    "encode-int",
    "reverse",
    "gethostbyname",
    "packet",
    "leased-address",
    "host-decl-name",
    "lease-time",
    "client-state",
    "filename",
    "server-name",
    "null",
    "static",
    "v6relay",
    "v6relay-option",
    "execute",
    "ddns-fwd-name",
    "ddns-rev-name",
    "zerolen",
];

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// `option NAME` (NAME may be space-qualified, e.g. `agent.circuit-id`).
    Option(String),
    /// `hardware`: the hardware type octet followed by the address.
    Hardware,
    /// `known`: the client has a host declaration.
    Known,
    /// `exists NAME`.
    Exists(String),
    /// A string or colon-separated hex constant.
    Data(Vec<u8>),
    /// A number.
    Number(u64),
    /// A function call.
    Call(String, Vec<Self>),
    /// `a = b`.
    Eq(Box<Self>, Box<Self>),
    /// `a != b`.
    Ne(Box<Self>, Box<Self>),
    /// `a ~= b` (regex) or `a ~~ b` (case-insensitive regex).
    Regex(Box<Self>, Box<Self>),
    /// `a and b`.
    And(Box<Self>, Box<Self>),
    /// `a or b`.
    Or(Box<Self>, Box<Self>),
    /// `not a`.
    Not(Box<Self>),
}

/// Parses colon-separated hex such as `00:11:22`; `None` when the atom is not hex.
pub(crate) fn hex_bytes(atom: &str) -> Option<Vec<u8>> {
    if !atom.contains(':') {
        return None;
    }
    atom.split(':')
        .map(|h| {
            if h.len() <= 2 && !h.is_empty() {
                u8::from_str_radix(h, 16).ok()
            } else {
                None
            }
        })
        .collect()
}

struct ExprParser<'t> {
    tokens: &'t [Token],
    pos: usize,
    end: Span,
}

impl ExprParser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }
    fn next(&mut self) -> Result<&Token, Diagnostic> {
        let t = self
            .tokens
            .get(self.pos)
            .ok_or_else(|| Diagnostic::error(self.end, "expression ends too early"))?;
        self.pos += 1;
        Ok(t)
    }
    fn require(&mut self, p: &str) -> Result<(), Diagnostic> {
        let t = self.next()?;
        if t.is_punct(p) {
            Ok(())
        } else {
            Err(Diagnostic::error(t.span, format!("expected '{p}'")))
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, Diagnostic> {
        let mut left = self.and(depth)?;
        while self.peek().is_some_and(|t| t.is("or")) {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and(depth)?));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, Diagnostic> {
        let mut left = self.not(depth)?;
        while self.peek().is_some_and(|t| t.is("and")) {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.not(depth)?));
        }
        Ok(left)
    }

    fn not(&mut self, depth: usize) -> Result<Expr, Diagnostic> {
        if self.peek().is_some_and(|t| t.is("not") || t.is_punct("!")) {
            let span = self.next()?.span;
            if depth >= MAX_DEPTH {
                return Err(Diagnostic::error(span, "expression nested too deep"));
            }
            return Ok(Expr::Not(Box::new(self.not(depth + 1)?)));
        }
        self.comparison(depth)
    }

    fn comparison(&mut self, depth: usize) -> Result<Expr, Diagnostic> {
        let left = self.term(depth)?;
        let op = match self.peek() {
            Some(t)
                if t.kind == TokenKind::Punct
                    && matches!(t.text.as_str(), "=" | "!=" | "~=" | "~~") =>
            {
                t.text.clone()
            }
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = Box::new(self.term(depth)?);
        let left = Box::new(left);
        Ok(match op.as_str() {
            "=" => Expr::Eq(left, right),
            "!=" => Expr::Ne(left, right),
            _ => Expr::Regex(left, right),
        })
    }

    fn term(&mut self, depth: usize) -> Result<Expr, Diagnostic> {
        let t = self.next()?.clone();
        if depth >= MAX_DEPTH {
            return Err(Diagnostic::error(t.span, "expression nested too deep"));
        }
        if t.is_punct("(") {
            let e = self.or(depth + 1)?;
            self.require(")")?;
            return Ok(e);
        }
        if t.kind == TokenKind::String {
            return Ok(Expr::Data(t.bytes.clone()));
        }
        if t.kind != TokenKind::Atom {
            return Err(Diagnostic::error(
                t.span,
                format!("unexpected '{}' in expression", t.text),
            ));
        }
        let word = t.text.to_ascii_lowercase();
        match word.as_str() {
            "option" | "exists" | "config-option" => {
                let name = self.next()?;
                if name.kind != TokenKind::Atom {
                    return Err(Diagnostic::error(name.span, "expected an option name"));
                }
                let name = name.text.to_ascii_lowercase();
                Ok(match word.as_str() {
                    "option" => Expr::Option(name),
                    "exists" => Expr::Exists(name),
                    _ => Expr::Call(word, vec![Expr::Option(name)]),
                })
            }
            "hardware" => Ok(Expr::Hardware),
            "known" => Ok(Expr::Known),
            f if FUNCTIONS.contains(&f) => {
                let mut args = Vec::new();
                if self.peek().is_some_and(|t| t.is_punct("(")) {
                    self.pos += 1;
                    if !self.peek().is_some_and(|t| t.is_punct(")")) {
                        args.push(self.or(depth + 1)?);
                        while self.peek().is_some_and(|t| t.is_punct(",")) {
                            self.pos += 1;
                            args.push(self.or(depth + 1)?);
                        }
                    }
                    self.require(")")?;
                }
                Ok(Expr::Call(word, args))
            }
            _ => {
                if let Some(bytes) = hex_bytes(&t.text) {
                    return Ok(Expr::Data(bytes));
                }
                t.text.parse().map(Expr::Number).map_err(|_| {
                    Diagnostic::error(t.span, format!("unknown expression '{}'", t.text))
                })
            }
        }
    }
}

/// Parses all of `tokens` as one expression.
pub(crate) fn parse(tokens: &[Token], end: Span) -> Result<Expr, Diagnostic> {
    let mut p = ExprParser {
        tokens,
        pos: 0,
        end,
    };
    let e = p.or(0)?;
    match p.peek() {
        None => Ok(e),
        Some(t) => Err(Diagnostic::error(
            t.span,
            format!("unexpected '{}' after the expression", t.text),
        )),
    }
}

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

/// `left = right` where one side is a constant.
fn equality(left: &Expr, right: &Expr) -> Option<Match> {
    let (subject, value) = match (left, right) {
        (s, Expr::Data(v)) | (Expr::Data(v), s) => (s, v.clone()),
        _ => return None,
    };
    match subject {
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
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;
    use crate::source::FileId;

    fn m(src: &str) -> Option<Match> {
        let tokens = lex(FileId(0), src).unwrap();
        let end = tokens.last().unwrap().span;
        to_match(&parse(&tokens, end).unwrap())
    }

    #[test]
    fn common_class_expressions_lower_to_matches() {
        assert_eq!(
            m("substring (option vendor-class-identifier, 0, 9) = \"PXEClient\""),
            Some(Match::VendorClassPrefix(b"PXEClient".to_vec()))
        );
        assert_eq!(
            m("option vendor-class-identifier = \"MSFT 5.0\""),
            Some(Match::VendorClass(b"MSFT 5.0".to_vec()))
        );
        assert_eq!(
            m("substring(hardware, 1, 3) = 00:11:22"),
            Some(Match::HardwarePrefix {
                htype: 1,
                prefix: vec![0, 0x11, 0x22]
            })
        );
        assert_eq!(
            m("option agent.circuit-id = \"port1\""),
            Some(Match::AgentSubOption {
                code: 1,
                value: b"port1".to_vec()
            })
        );
        assert_eq!(
            m("exists host-name and not option user-class = \"x\""),
            Some(Match::All(vec![
                Match::Exists(OptionCode::HOST_NAME),
                Match::Not(Box::new(Match::Option {
                    code: OptionCode::USER_CLASS,
                    value: b"x".to_vec()
                }))
            ]))
        );
    }

    #[test]
    fn expressions_without_an_equivalent_parse_but_do_not_lower() {
        assert_eq!(
            m("binary-to-ascii(16, 8, \":\", substring(hardware, 1, 6)) = \"0:11:22:33:44:55\""),
            None
        );
        assert_eq!(m("known"), None);
    }

    #[test]
    fn malformed_and_deep_expressions_are_errors() {
        let tokens = lex(FileId(0), "substring(option x, 0").unwrap();
        assert!(parse(&tokens, tokens[0].span).is_err());
        let deep = format!("{}known{}", "(".repeat(200), ")".repeat(200));
        let tokens = lex(FileId(0), &deep).unwrap();
        assert!(parse(&tokens, tokens[0].span).is_err());
    }
}
