//! dhcpd.conf expressions (`match if`, `if`): parsed in full, with bounded nesting, and turned
//! into the server's [`Match`] language where it has an equivalent.

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
    "gethostname",
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
    /// A bare name: a variable set by `set` (or a name dhcpd treats as one, such as `true`).
    Variable(String),
    /// A function call.
    Call(String, Vec<Self>),
    /// `a = b`.
    Eq(Box<Self>, Box<Self>),
    /// `a != b`.
    Ne(Box<Self>, Box<Self>),
    /// `a ~= b`: a regular expression match.
    Regex(Box<Self>, Box<Self>),
    /// `a ~~ b`: a case-insensitive one.
    IRegex(Box<Self>, Box<Self>),
    /// `a and b`.
    And(Box<Self>, Box<Self>),
    /// `a or b`.
    Or(Box<Self>, Box<Self>),
    /// `not a`.
    Not(Box<Self>),
    /// `a + b`, `a - b`, `a * b`, `a / b`, `a % b`, `a & b`, `a | b`, `a ^ b`.
    Arithmetic(&'static str, Box<Self>, Box<Self>),
}

/// What an expression yields, as dhcpd types it (common/tree.c `is_boolean_expression`,
/// `is_data_expression`, `is_numeric_expression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// True or false.
    Boolean,
    /// Bytes.
    Data,
    /// A number.
    Numeric,
    /// A constant number: dhcpd reads it as data or as a number, as its context asks.
    Constant,
    /// A variable or a function call: known only when evaluated.
    Any,
}

/// The kind of what the built-in function `name` returns (common/parse.c `parse_non_binary`).
fn function_kind(name: &str) -> Kind {
    match name {
        "extract-int" | "lease-time" | "client-state" => Kind::Numeric,
        "static" | "check" | "defined" | "variable-exists" => Kind::Boolean,
        "execute" | "ddns-fwd-name" | "ddns-rev-name" | "zerolen" => Kind::Any,
        _ => Kind::Data,
    }
}

impl Expr {
    /// What it yields.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Self::Option(_) | Self::Hardware | Self::Data(_) => Kind::Data,
            Self::Known
            | Self::Exists(_)
            | Self::Eq(..)
            | Self::Ne(..)
            | Self::Regex(..)
            | Self::IRegex(..)
            | Self::And(..)
            | Self::Or(..)
            | Self::Not(_) => Kind::Boolean,
            Self::Number(_) => Kind::Constant,
            Self::Variable(_) => Kind::Any,
            Self::Arithmetic(..) => Kind::Numeric,
            Self::Call(name, _) if FUNCTIONS.contains(&name.as_str()) => function_kind(name),
            Self::Call(..) => Kind::Any,
        }
    }
}

/// A binary operator and how tightly it binds: dhcpd's precedences (common/tree.c `op_val`),
/// where `=` binds tighter than `and`, and `+` tighter than `*`.
fn binary_operator(t: &Token) -> Option<(&'static str, u8)> {
    let op = match (&t.kind, t.text.to_ascii_lowercase().as_str()) {
        (TokenKind::Punct, "=") => ("=", 4),
        (TokenKind::Punct, "!=") => ("!=", 4),
        (TokenKind::Punct, "~=") => ("~=", 4),
        (TokenKind::Punct, "~~") => ("~~", 4),
        (TokenKind::Atom, "and") => ("and", 3),
        (TokenKind::Atom, "or") => ("or", 3),
        (TokenKind::Punct, "+") => ("+", 2),
        (TokenKind::Atom, "-") => ("-", 2),
        (TokenKind::Punct, "*") => ("*", 1),
        (TokenKind::Atom, "/") => ("/", 1),
        (TokenKind::Punct, "%") => ("%", 1),
        (TokenKind::Punct, "&") => ("&", 5),
        (TokenKind::Punct, "|") => ("|", 5),
        (TokenKind::Punct, "^") => ("^", 5),
        _ => return None,
    };
    Some(op)
}

/// Whether `kind` may stand where `want` is asked (a variable or function call may stand
/// anywhere; a constant number for data or a number).
fn fits(kind: Kind, want: Kind) -> bool {
    kind == want
        || kind == Kind::Any
        || (kind == Kind::Constant && matches!(want, Kind::Data | Kind::Numeric))
}

/// Combines `left op right`, with dhcpd's checks (common/parse.c `parse_expression`).
fn combine(op: &'static str, left: Expr, right: Expr, span: Span) -> Result<Expr, Diagnostic> {
    let (l, r) = (left.kind(), right.kind());
    // A constant number takes the kind of the other side, but is never a boolean.
    let related = l == r
        || [l, r].contains(&Kind::Any)
        || (l == Kind::Constant && r != Kind::Boolean)
        || (r == Kind::Constant && l != Kind::Boolean);
    if !related {
        return Err(Diagnostic::error(
            span,
            "illegal expression relating different types",
        ));
    }
    let (left, right) = (Box::new(left), Box::new(right));
    let rhs_fits = |want: &[Kind]| r == Kind::Any || want.contains(&r);
    let expr = match op {
        "=" | "!=" if rhs_fits(&[Kind::Data, Kind::Numeric, Kind::Constant]) => {
            if op == "=" {
                Expr::Eq(left, right)
            } else {
                Expr::Ne(left, right)
            }
        }
        "=" | "!=" => return Err(Diagnostic::error(span, "expecting data/numeric expression")),
        "~=" if rhs_fits(&[Kind::Data, Kind::Constant]) => Expr::Regex(left, right),
        "~~" if rhs_fits(&[Kind::Data, Kind::Constant]) => Expr::IRegex(left, right),
        "~=" | "~~" => return Err(Diagnostic::error(span, "expecting data expression")),
        "and" | "or" if rhs_fits(&[Kind::Boolean]) => {
            if op == "and" {
                Expr::And(left, right)
            } else {
                Expr::Or(left, right)
            }
        }
        "and" | "or" => return Err(Diagnostic::error(span, "expecting boolean expressions")),
        _ if rhs_fits(&[Kind::Numeric, Kind::Constant]) => Expr::Arithmetic(op, left, right),
        _ => return Err(Diagnostic::error(span, "expecting numeric expressions")),
    };
    Ok(expr)
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

    /// An expression whose binary operators bind at least as tightly as `min`.
    fn binary(&mut self, min: u8, depth: usize) -> Result<Expr, Diagnostic> {
        let mut left = self.unary(depth)?;
        while let Some((op, precedence, span)) = self
            .peek()
            .and_then(|t| binary_operator(t).map(|(op, p)| (op, p, t.span)))
        {
            if precedence < min {
                break;
            }
            self.pos += 1;
            let right = self.binary(precedence + 1, depth)?;
            left = combine(op, left, right, span)?;
        }
        Ok(left)
    }

    /// `not` takes one operand without binary operators, which must be a boolean
    /// (common/parse.c, `TOKEN_NOT`): `not (a = b)`, not `not a = b`.
    fn unary(&mut self, depth: usize) -> Result<Expr, Diagnostic> {
        if self.peek().is_some_and(|t| t.is("not") || t.is_punct("!")) {
            let span = self.next()?.span;
            if depth >= MAX_DEPTH {
                return Err(Diagnostic::error(span, "expression nested too deep"));
            }
            let operand = self.unary(depth + 1)?;
            if operand.kind() != Kind::Boolean {
                return Err(Diagnostic::error(span, "boolean expression expected"));
            }
            return Ok(Expr::Not(Box::new(operand)));
        }
        self.term(depth)
    }

    /// A call's arguments after its `(`, up to and with the `)`: expressions separated by
    /// commas, perhaps none.
    fn arguments(&mut self, depth: usize) -> Result<Vec<Expr>, Diagnostic> {
        let mut args = Vec::new();
        if !self.peek().is_some_and(|t| t.is_punct(")")) {
            args.push(self.binary(0, depth + 1)?);
            while self.peek().is_some_and(|t| t.is_punct(",")) {
                self.pos += 1;
                args.push(self.binary(0, depth + 1)?);
            }
        }
        self.require(")")?;
        Ok(args)
    }

    fn term(&mut self, depth: usize) -> Result<Expr, Diagnostic> {
        let t = self.next()?.clone();
        if depth >= MAX_DEPTH {
            return Err(Diagnostic::error(t.span, "expression nested too deep"));
        }
        if t.is_punct("(") {
            let e = self.binary(0, depth + 1)?;
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
            // `check "CLASS"`: whether the client is in the class.
            "check" => match self.next()? {
                t if t.kind == TokenKind::String => {
                    Ok(Expr::Call(word, vec![Expr::Data(t.bytes.clone())]))
                }
                t => Err(Diagnostic::error(t.span, "string expected.")),
            },
            // `gethostbyname("NAME")` takes a quoted name only.
            "gethostbyname" => {
                self.require("(")?;
                let name = self.next()?.clone();
                if name.kind != TokenKind::String {
                    return Err(Diagnostic::error(
                        name.span,
                        format!("Expecting quoted literal: \"{}\"", name.text),
                    ));
                }
                self.require(")")?;
                Ok(Expr::Call(word, vec![Expr::Data(name.bytes)]))
            }
            // `defined(VARIABLE)`.
            "defined" => {
                self.require("(")?;
                let name = self.next()?.clone();
                if name.kind != TokenKind::Atom || name.text.parse::<u64>().is_ok() {
                    return Err(Diagnostic::error(
                        name.span,
                        format!("{} can't be a variable name", name.text),
                    ));
                }
                self.require(")")?;
                Ok(Expr::Call(word, vec![Expr::Variable(name.text)]))
            }
            f if FUNCTIONS.contains(&f) => {
                let args = if self.peek().is_some_and(|t| t.is_punct("(")) {
                    self.pos += 1;
                    self.arguments(depth)?
                } else {
                    Vec::new()
                };
                check_call(&word, &args, t.span)?;
                Ok(Expr::Call(word, args))
            }
            "and" | "or" | "-" | "/" => Err(Diagnostic::error(
                t.span,
                format!("unexpected '{}' in expression", t.text),
            )),
            _ => {
                if let Some(bytes) = hex_bytes(&t.text) {
                    return Ok(Expr::Data(bytes));
                }
                if let Ok(n) = t.text.parse() {
                    return Ok(Expr::Number(n));
                }
                // Any other name is a variable, or a function the configuration defines
                // (common/parse.c, the default case of `parse_non_binary`).
                // Variable names keep their case, as dhcpd's lexer keeps a name's text.
                if !self.peek().is_some_and(|t| t.is_punct("(")) {
                    return Ok(Expr::Variable(t.text.clone()));
                }
                self.pos += 1;
                Ok(Expr::Call(word, self.arguments(depth)?))
            }
        }
    }
}

/// Checks the arguments of a built-in function, as common/parse.c `parse_non_binary` reads
/// each: their number and kinds, and the literal integer sizes of `extract-int` and
/// `encode-int`.
fn check_call(name: &str, args: &[Expr], span: Span) -> Result<(), Diagnostic> {
    use Kind::{Data, Numeric};
    let want: &[Kind] = match name {
        "substring" => &[Data, Numeric, Numeric],
        "suffix" => &[Data, Numeric],
        "lcase" | "ucase" => &[Data],
        "binary-to-ascii" => &[Numeric, Numeric, Data, Data],
        "reverse" => &[Numeric, Data],
        "packet" => &[Numeric, Numeric],
        "v6relay" => &[Numeric, Data],
        "concat" | "pick-first-value" => {
            for arg in args {
                if !fits(arg.kind(), Data) {
                    return Err(Diagnostic::error(span, "Expecting a data expression."));
                }
            }
            return Ok(());
        }
        "extract-int" | "encode-int" => {
            let first = if name == "extract-int" { Data } else { Numeric };
            if args.first().is_some_and(|a| !fits(a.kind(), first)) {
                return Err(Diagnostic::error(
                    span,
                    if first == Data {
                        "Expecting a data expression."
                    } else {
                        "Expecting a numeric expression."
                    },
                ));
            }
            return match args.get(1) {
                Some(Expr::Number(8 | 16 | 32)) => Ok(()),
                Some(Expr::Number(n)) => Err(Diagnostic::error(
                    span,
                    format!("unsupported integer size {n}"),
                )),
                _ => Err(Diagnostic::error(span, "number expected.")),
            };
        }
        _ => return Ok(()),
    };
    if args.len() != want.len() {
        return Err(Diagnostic::error(
            span,
            format!("{name} takes {} argument(s)", want.len()),
        ));
    }
    for (arg, kind) in args.iter().zip(want) {
        if !fits(arg.kind(), *kind) {
            return Err(Diagnostic::error(
                span,
                if *kind == Data {
                    "Expecting a data expression."
                } else {
                    "Expecting a numeric expression."
                },
            ));
        }
    }
    Ok(())
}

/// Calls `f` on `e` and on every expression inside it.
fn visit(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Call(_, args) => args.iter().for_each(|a| visit(a, f)),
        Expr::Eq(a, b)
        | Expr::Ne(a, b)
        | Expr::Regex(a, b)
        | Expr::IRegex(a, b)
        | Expr::And(a, b)
        | Expr::Or(a, b)
        | Expr::Arithmetic(_, a, b) => {
            visit(a, f);
            visit(b, f);
        }
        Expr::Not(a) => visit(a, f),
        _ => {}
    }
}

/// The classes an expression's `check "CLASS"` terms name.
pub(crate) fn checked_classes(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    visit(e, &mut |e| {
        if let Expr::Call(f, args) = e {
            if let (true, Some(Expr::Data(name))) = (f == "check", args.first()) {
                out.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    });
    out
}

/// The option names an expression reads (`option NAME`, `exists NAME`, `config-option NAME`).
pub(crate) fn option_names(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    visit(e, &mut |e| {
        if let Expr::Option(n) | Expr::Exists(n) = e {
            out.push(n.clone());
        }
    });
    out
}

/// Parses all of `tokens` as one expression of the kind `want` (`Kind::Any`: any kind), with
/// dhcpd's words when it is of another (common/parse.c `parse_boolean_expression`,
/// `parse_data_expression`, `parse_numeric_expression`).
pub(crate) fn parse(tokens: &[Token], end: Span, want: Kind) -> Result<Expr, Diagnostic> {
    let mut p = ExprParser {
        tokens,
        pos: 0,
        end,
    };
    let e = p.binary(0, 0)?;
    if let Some(t) = p.peek() {
        return Err(Diagnostic::error(
            t.span,
            format!("unexpected '{}' after the expression", t.text),
        ));
    }
    let at = tokens.last().map_or(end, |t| t.span);
    match want {
        Kind::Boolean if !(e.kind() == Kind::Boolean || e.kind() == Kind::Any) => {
            Err(Diagnostic::error(at, "Expecting a boolean expression."))
        }
        Kind::Data if !fits(e.kind(), Kind::Data) => {
            Err(Diagnostic::error(at, "Expecting a data expression."))
        }
        Kind::Numeric if !fits(e.kind(), Kind::Numeric) => {
            Err(Diagnostic::error(at, "Expecting a numeric expression."))
        }
        _ => Ok(e),
    }
}

#[cfg(test)]
mod tests {
    use super::super::matches::to_match;
    use super::*;
    use crate::lexer::lex;
    use crate::source::FileId;
    use charrua_server::config::Match;
    use charrua_wire::OptionCode;

    fn m(src: &str) -> Option<Match> {
        let tokens = lex(FileId(0), src).unwrap();
        let end = tokens.last().unwrap().span;
        to_match(&parse(&tokens, end, Kind::Boolean).unwrap())
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
            m("exists host-name and not (option user-class = \"x\")"),
            Some(Match::All(vec![
                Match::Exists(OptionCode::HOST_NAME),
                Match::Not(Box::new(Match::Option {
                    code: OptionCode::USER_CLASS,
                    value: b"x".to_vec()
                }))
            ]))
        );
    }

    /// The MAC-address idiom and option slices (testdata/conf/world: NetworkManager's dracut
    /// test configuration).
    #[test]
    fn hardware_text_and_option_slices_lower_to_matches() {
        assert_eq!(
            m("binary-to-ascii (16, 8, \":\", substring(hardware, 1, 6)) = \"52:54:0:12:34:20\""),
            Some(Match::HardwarePrefix {
                htype: 1,
                prefix: vec![0x52, 0x54, 0, 0x12, 0x34, 0x20]
            })
        );
        // dhcpd writes no leading zero: this text never matches.
        assert_eq!(
            m("binary-to-ascii (16, 8, \":\", substring(hardware, 1, 6)) = \"52:54:00:12:34:20\""),
            Some(Match::Any(Vec::new()))
        );
        assert_eq!(
            m("substring (option dhcp-client-identifier, 1, 6) = \"RedHat\""),
            Some(Match::OptionAt {
                code: OptionCode::CLIENT_IDENTIFIER,
                offset: 1,
                value: b"RedHat".to_vec()
            })
        );
    }

    #[test]
    fn expressions_without_an_equivalent_parse_but_do_not_lower() {
        assert_eq!(
            m("binary-to-ascii(16, 8, \":\", substring(hardware, 2, 5)) = \"11:22:33:44:55\""),
            None
        );
        assert_eq!(m("known"), Some(Match::Known));
    }

    /// Each case as `dhcpd -t` 4.4.3 judged `class "c" { match if EXPR; }`.
    #[test]
    fn expressions_are_typed_as_dhcpd_types_them() {
        let verdict = |src: &str| {
            let tokens = lex(FileId(0), src).unwrap();
            parse(&tokens, tokens[0].span, Kind::Boolean).map_err(|d| d.message)
        };
        for ok in [
            "not (option user-class = \"x\")",
            "option host-name = 1",
            "true",
            "foo(1)",
            "option host-name ~= 1",
            "(extract-int(option host-name, 8) % 2) = 1",
        ] {
            assert!(verdict(ok).is_ok(), "{ok}: {:?}", verdict(ok));
        }
        for (bad, said) in [
            (
                "exists host-name and not option user-class = \"x\"",
                "boolean expression expected",
            ),
            (
                "option user-class and option host-name",
                "expecting boolean expressions",
            ),
            (
                "extract-int(option host-name, 8) = 1 + 2 * 3",
                "illegal expression relating different types",
            ),
            (
                "option host-name = (1 = 2)",
                "illegal expression relating different types",
            ),
            // `=` binds tighter than `%` in dhcpd: this is `extract-int(...) % (2 = 1)`.
            (
                "extract-int(option host-name, 8) % 2 = 1",
                "illegal expression relating different types",
            ),
            ("1", "Expecting a boolean expression."),
            (
                "known = \"x\"",
                "illegal expression relating different types",
            ),
            (
                "option host-name = \"a\" or option host-name",
                "illegal expression relating different types",
            ),
        ] {
            assert_eq!(verdict(bad), Err(said.to_string()), "{bad}");
        }
    }

    #[test]
    fn malformed_and_deep_expressions_are_errors() {
        let tokens = lex(FileId(0), "substring(option x, 0").unwrap();
        assert!(parse(&tokens, tokens[0].span, Kind::Any).is_err());
        let deep = format!("{}known{}", "(".repeat(200), ")".repeat(200));
        let tokens = lex(FileId(0), &deep).unwrap();
        assert!(parse(&tokens, tokens[0].span, Kind::Any).is_err());
    }
}
