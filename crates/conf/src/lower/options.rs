//! `option NAME VALUE;` with ISC's value syntax (read by the wire crate's option table), and
//! `option NAME code N = TYPE;` definitions.

use std::collections::HashMap;

use charrua_wire::options::lookup_name;
use charrua_wire::{Format, OptionCode, Value};

use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Sources, Span};

/// Options defined in the file (`option NAME code N = TYPE;`).
#[derive(Debug, Default)]
pub(crate) struct Definitions {
    /// name -> (code, format; `None` for a record type, whose values are not read yet).
    by_name: HashMap<String, (OptionCode, Option<Format>)>,
}

/// What an `option` statement turned into.
pub(crate) enum OptionStatement {
    /// A value for the DHCP option space.
    Value(OptionCode, Value),
    /// A definition, recorded.
    Defined,
    /// Parsed, not implemented: the warning says why.
    Warned(Diagnostic),
}

/// ISC type words to a format (dhcp-options(5) "DEFINING NEW OPTIONS").
fn format_of(words: &[Token]) -> Option<Format> {
    let text: Vec<String> = words.iter().map(|t| t.text.to_ascii_lowercase()).collect();
    let text: Vec<&str> = text.iter().map(String::as_str).collect();
    Some(match text.as_slice() {
        ["ip-address"] => Format::Ip,
        ["array", "of", "ip-address"] => Format::IpList,
        ["unsigned", "integer", "8"] | ["integer", "8"] => Format::U8,
        ["unsigned", "integer", "16"] | ["integer", "16"] => Format::U16,
        ["unsigned", "integer", "32"] => Format::U32,
        ["integer", "32"] | ["signed", "integer", "32"] => Format::I32,
        ["array", "of", "unsigned", "integer", "8"] | ["array", "of", "integer", "8"] => {
            Format::U8List
        }
        ["array", "of", "unsigned", "integer", "16"] | ["array", "of", "integer", "16"] => {
            Format::U16List
        }
        ["text"] => Format::Text,
        ["string"] => Format::Bytes,
        ["boolean"] | ["flag"] => Format::Bool,
        ["domain-name"] => Format::DomainName,
        ["domain-list"] | ["domain-list", "compressed"] => Format::DomainList,
        _ => return None,
    })
}

/// Whether `words` are a type dhcpd's option definitions take (server/confpars.c
/// parse_option_code_definition): an atomic type, `array of` one, a `{ ... }` record of them,
/// `encapsulate SPACE` or `zerolen`.
fn is_isc_type(words: &[Token]) -> bool {
    let text: Vec<String> = words.iter().map(|t| t.text.to_ascii_lowercase()).collect();
    let text: Vec<&str> = text.iter().map(String::as_str).collect();
    let atomic = |w: &[&str]| {
        matches!(
            w,
            [
                "ip-address"
                    | "ip6-address"
                    | "text"
                    | "string"
                    | "boolean"
                    | "flag"
                    | "domain-name"
            ] | ["domain-list"]
                | ["domain-list", "compressed"]
                | ["signed" | "unsigned", "integer", "8" | "16" | "32"]
                | ["integer", "8" | "16" | "32"]
        )
    };
    match text.as_slice() {
        ["zerolen"] | ["encapsulate", _] => true,
        ["array", "of", rest @ ..] => atomic(rest) || rest.first() == Some(&"{"),
        ["{", .., "}"] => true,
        other => atomic(other),
    }
}

impl Definitions {
    /// A definition in the file first (dhcpd lets a file define a standard option anew, e.g.
    /// `option www-server code 72 = ip-address;`), then the option table.
    fn lookup(&self, name: &str) -> Option<(OptionCode, Option<Format>)> {
        if let Some(defined) = self.by_name.get(&name.to_ascii_lowercase()) {
            return Some(*defined);
        }
        lookup_name(name).map(|def| (def.code, Some(def.format)))
    }

    /// The value format of option `name`, standard or defined here (`None` when unknown or of
    /// a record type).
    pub(crate) fn format(&self, name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        self.lookup(lower.strip_prefix("dhcp.").unwrap_or(&lower))
            .and_then(|(_, f)| f)
    }

    /// The code of option `name`, standard or defined here.
    pub(crate) fn code(&self, name: &str) -> Option<OptionCode> {
        self.lookup(name).map(|(c, _)| c)
    }

    /// Lowers one `option ...;` statement (`words` includes the leading `option`).
    pub(crate) fn statement(
        &mut self,
        words: &[Token],
        span: Span,
        sources: &Sources,
    ) -> Result<OptionStatement, Diagnostic> {
        let name = match words.get(1) {
            Some(t) if t.kind == TokenKind::Atom => t,
            _ => {
                return Err(Diagnostic::error(
                    span,
                    "expected an option name after 'option'",
                ))
            }
        };
        let rest = words.get(2..).unwrap_or_default();
        // `option space NAME ...;`: another option space.
        if name.is("space") {
            return Ok(OptionStatement::Warned(Diagnostic::warning(
                span,
                "option spaces are parsed but not implemented yet",
            )));
        }
        if rest.first().is_some_and(|t| t.is("code")) {
            return self.define(name, rest, span);
        }
        let lower = name.text.to_ascii_lowercase();
        let local = lower.strip_prefix("dhcp.").unwrap_or(&lower);
        if local.contains('.') {
            return Ok(OptionStatement::Warned(Diagnostic::warning(
                name.span,
                format!(
                    "option {} is in another option space; option spaces are not implemented yet",
                    name.text
                ),
            )));
        }
        let Some((code, format)) = self.lookup(local) else {
            return Err(Diagnostic::error(
                name.span,
                format!("unknown option {:?}", name.text),
            ));
        };
        let Some(format) = format else {
            return Ok(OptionStatement::Warned(Diagnostic::warning(
                name.span,
                format!(
                    "option {} has a record type; its values are not read yet",
                    name.text
                ),
            )));
        };
        if let [only] = rest {
            if only.kind == TokenKind::String && only.bytes.is_empty() && format == Format::Text {
                let message = format!("option {} has an empty value; it is not sent", name.text);
                return Ok(OptionStatement::Warned(Diagnostic::warning(
                    only.span, message,
                )));
            }
        }
        // `option NAME = EXPRESSION;` computes the value for each reply: a constant is the
        // value itself; anything else is not evaluated yet, and the option is not sent.
        let rest = match rest {
            [eq, value] if eq.is_punct("=") => std::slice::from_ref(value),
            [eq, ..] if eq.is_punct("=") => {
                return Ok(OptionStatement::Warned(Diagnostic::warning(
                    name.span,
                    format!(
                        "option {} = EXPRESSION: computed option values are not implemented yet; the option is not sent",
                        name.text
                    ),
                )))
            }
            other => other,
        };
        // A text value written as a bare name (`option domain-name localdomain;`): dhcpd's
        // parse_option_token takes a name where text goes.
        if let [word] = rest {
            // (A dot ends a name in dhcpd's lexer: `example.com` unquoted is refused.)
            if word.kind == TokenKind::Atom
                && !word.text.contains('.')
                && matches!(format, Format::Text | Format::DomainName)
            {
                let quoted = format!("\"{}\"", word.text);
                if let Ok(value) = Value::parse_text(format, &quoted) {
                    return Ok(OptionStatement::Value(code, value));
                }
            }
        }
        let value = match (rest.first(), rest.last()) {
            (Some(first), Some(last)) => {
                let start = first.span.offset;
                let end = last.span.offset + last.span.len;
                let text = sources
                    .text(first.span.file)
                    .get(start..end)
                    .unwrap_or_default();
                Value::parse_text(format, text).map_err(|e| {
                    let at = rest
                        .iter()
                        .rev()
                        .find(|t| t.span.offset - start <= e.offset)
                        .map_or(first.span, |t| t.span);
                    Diagnostic::error(at, format!("option {}: expected {}", name.text, e.expected))
                })?
            }
            _ if format == Format::Empty => Value::Empty,
            _ => {
                return Err(Diagnostic::error(
                    name.span,
                    format!("option {} needs a value", name.text),
                ))
            }
        };
        Ok(OptionStatement::Value(code, value))
    }

    /// `option NAME code N = TYPE;`
    fn define(
        &mut self,
        name: &Token,
        rest: &[Token],
        span: Span,
    ) -> Result<OptionStatement, Diagnostic> {
        let lower = name.text.to_ascii_lowercase();
        let other_space = lower.contains('.') && !lower.starts_with("dhcp.");
        if other_space {
            // Another option space: its codes go as wide as the space's `code width` (up to
            // 32 bits), and its values are not sent yet.
            let code_ok = rest.get(1).is_some_and(|t| t.text.parse::<u32>().is_ok());
            let type_words = rest.get(3..).unwrap_or_default();
            if !code_ok || !rest.get(2).is_some_and(|t| t.is_punct("=")) || !is_isc_type(type_words)
            {
                return Err(Diagnostic::error(
                    rest.get(1).map_or(span, |t| t.span),
                    "expected code N = TYPE",
                ));
            }
            return Ok(OptionStatement::Warned(Diagnostic::warning(
                name.span,
                format!(
                    "option {} is in another option space; option spaces are not implemented yet",
                    name.text
                ),
            )));
        }
        let code = match rest.get(1).map(|t| t.text.parse::<u8>()) {
            Some(Ok(c)) if (1..=254).contains(&c) => OptionCode(c),
            _ => {
                return Err(Diagnostic::error(
                    rest.get(1).map_or(span, |t| t.span),
                    "expected an option code from 1 to 254",
                ))
            }
        };
        if !rest.get(2).is_some_and(|t| t.is_punct("=")) {
            return Err(Diagnostic::error(
                rest.get(2).map_or(span, |t| t.span),
                "expected '=' and a type",
            ));
        }
        let type_words = rest.get(3..).unwrap_or_default();
        if type_words.is_empty() {
            return Err(Diagnostic::error(span, "expected a type after '='"));
        }
        let format = format_of(type_words);
        if format.is_none() && !is_isc_type(type_words) {
            let t = type_words.first().map_or(span, |t| t.span);
            return Err(Diagnostic::error(t, "unknown option type"));
        }
        self.by_name
            .insert(name.text.to_ascii_lowercase(), (code, format));
        match format {
            Some(_) => Ok(OptionStatement::Defined),
            None => Ok(OptionStatement::Warned(Diagnostic::warning(
                span,
                format!("option {} has a record or encapsulated type; reading its values is not implemented yet", name.text),
            ))),
        }
    }
}
