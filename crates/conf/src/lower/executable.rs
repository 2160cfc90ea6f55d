//! dhcpd's executable statements (common/parse.c parse_executable_statement): `set`, `unset`,
//! `define`, `eval`, `log`, `execute`, `return`, `on`, and the option statement forms
//! `supersede`, `default`, `prepend`, `append`, `send`, checked as dhcpd reads them. What
//! charruad runs is lowered elsewhere (`set`, `on` and the statements of `on` bodies); the
//! caller warns of the rest.

use super::expr::{self, Kind};
use super::server_options;
use crate::lexer::{Token, TokenKind};
use crate::source::Diagnostic;
use crate::syntax::Statement;

/// The keywords this module reads.
pub(super) const KEYWORDS: &[&str] = &[
    "set",
    "unset",
    "define",
    "eval",
    "log",
    "execute",
    "return",
    "on",
    "supersede",
    "default",
    "prepend",
    "append",
    "send",
];

/// Words dhcpd's lexer reads as keywords, which cannot name a variable.
const RESERVED: &[&str] = &[
    "option", "host", "subnet", "class", "pool", "group", "set", "unset", "if", "else", "on",
    "log", "eval", "define", "return", "switch", "case", "default", "known", "static",
];

/// A variable name: a name dhcpd's lexer does not read as a number or a keyword.
fn variable(t: Option<&Token>, span: crate::Span) -> Result<(), Diagnostic> {
    let Some(t) = t else {
        return Err(Diagnostic::error(span, "expecting a variable name"));
    };
    let reserved = RESERVED.contains(&t.text.to_ascii_lowercase().as_str());
    if t.kind != TokenKind::Atom || t.text.chars().all(|c| c.is_ascii_digit()) || reserved {
        return Err(Diagnostic::error(
            t.span,
            format!("{} can't be a variable name", t.text),
        ));
    }
    Ok(())
}

/// `( ARGS )` at the start of `words`: the arguments' words, split at top-level commas.
pub(super) fn arguments(words: &[Token]) -> Option<Vec<&[Token]>> {
    let (open, rest) = words.split_first()?;
    let (close, inside) = rest.split_last()?;
    if !open.is_punct("(") || !close.is_punct(")") {
        return None;
    }
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, t) in inside.iter().enumerate() {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth = depth.saturating_sub(1);
        } else if t.is_punct(",") && depth == 0 {
            out.push(inside.get(start..i).unwrap_or_default());
            start = i + 1;
        }
    }
    out.push(inside.get(start..).unwrap_or_default());
    Some(out)
}

/// Checks one executable statement whose keyword is in [`KEYWORDS`]; `top` when it stands at
/// the top of the file, where dhcpd runs it as it reads it (a `log(fatal, ...)` there stops
/// dhcpd). Statements in `on` and `define` bodies are handed to `inner`.
pub(super) fn check(
    s: &Statement,
    top: bool,
    inner: &mut dyn FnMut(&Statement) -> Result<(), Diagnostic>,
) -> Result<(), Diagnostic> {
    let w = &s.words;
    let rest = w.get(1..).unwrap_or_default();
    match s.keyword().as_str() {
        "set" => {
            variable(w.get(1), s.span)?;
            match w.get(2) {
                Some(eq) if eq.is_punct("=") => {}
                _ => return Err(Diagnostic::error(s.span, "expecting '=' in set statement.")),
            }
            let value = w.get(3..).unwrap_or_default();
            if value.is_empty() {
                return Err(Diagnostic::error(s.end, "expecting expression."));
            }
            expr::parse(value, s.span, Kind::Any)?;
        }
        "unset" => variable(w.get(1), s.span)?,
        "define" => {
            variable(w.get(1), s.span)?;
            match (w.get(2), &s.block) {
                (Some(eq), None) if eq.is_punct("=") => {
                    expr::parse(w.get(3..).unwrap_or_default(), s.span, Kind::Any)?;
                }
                (Some(open), Some(body)) if open.is_punct("(") => {
                    let names = w.get(3..w.len().saturating_sub(1)).unwrap_or_default();
                    for (i, t) in names.iter().enumerate() {
                        let ok = if i % 2 == 0 {
                            t.kind == TokenKind::Atom && !t.text.chars().all(|c| c.is_ascii_digit())
                        } else {
                            t.is_punct(",")
                        };
                        if !ok {
                            return Err(Diagnostic::error(t.span, "expecting argument name"));
                        }
                    }
                    for st in body {
                        inner(st)?;
                    }
                }
                _ => return Err(Diagnostic::error(s.span, "expecting '=' or '('")),
            }
        }
        "eval" if rest.is_empty() => {
            return Err(Diagnostic::error(s.end, "expecting data expression."))
        }
        "eval" | "return" => {
            expr::parse(rest, s.span, Kind::Any)?;
        }
        "log" => {
            let args = arguments(rest)
                .ok_or_else(|| Diagnostic::error(s.span, "left parenthesis expected."))?;
            let priority = ["fatal", "error", "info", "debug"];
            let message = match args.as_slice() {
                [level, message]
                    if level.len() == 1
                        && level.iter().all(|t| priority.iter().any(|p| t.is(p))) =>
                {
                    if top && level.iter().any(|t| t.is("fatal")) {
                        return Err(Diagnostic::error(
                            s.span,
                            "log(fatal, ...) at the top of the file: dhcpd runs it as it reads the file, and exits",
                        ));
                    }
                    message
                }
                [message] => message,
                [_, _] => return Err(Diagnostic::error(s.span, "right parenthesis expected.")),
                _ => return Err(Diagnostic::error(s.span, "comma expected.")),
            };
            expr::parse(message, s.span, Kind::Data)?;
        }
        "execute" => {
            let args = arguments(rest)
                .ok_or_else(|| Diagnostic::error(s.span, "left parenthesis expected."))?;
            match args.first() {
                Some([program]) if program.kind == TokenKind::String => {}
                _ => return Err(Diagnostic::error(s.span, "Expecting a quoted string.")),
            }
            for arg in args.iter().skip(1) {
                expr::parse(arg, s.span, Kind::Any)?;
            }
        }
        "on" => {
            let events = ["commit", "release", "expiry", "transmission"];
            for (i, t) in rest.iter().enumerate() {
                let ok = if i % 2 == 0 {
                    events.iter().any(|e| t.is(e))
                } else {
                    t.is("or")
                };
                if !ok || rest.len() % 2 == 0 {
                    return Err(Diagnostic::error(t.span, "expecting a lease event type"));
                }
            }
            if rest.is_empty() {
                return Err(Diagnostic::error(s.span, "expecting a lease event type"));
            }
            // `on EVENT;` with no statements is taken too.
            for st in s.block.iter().flatten() {
                inner(st)?;
            }
        }
        // The option statement's other forms (common/parse.c, SUPERSEDE ... SEND).
        _ => match w.get(1) {
            Some(name) if server_options::kind(&name.text.to_ascii_lowercase()).is_some() => {}
            Some(name) if name.kind == TokenKind::Atom => {}
            _ => {
                return Err(Diagnostic::error(
                    s.span,
                    "expecting identifier after option keyword.",
                ))
            }
        },
    }
    Ok(())
}
