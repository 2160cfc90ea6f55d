//! ISC dhcpd's option formats: the format string an option definition's type makes
//! (common/parse.c parse_option_code_definition) and the check of a value against one
//! (parse_option_data, parse_option_token), for the options charrua's option table cannot
//! represent (records, signed and IPv6 fields, options ISC knows and charrua's table lacks).
//!
//! Format letters: `I` IPv4 address or host name, `6` IPv6 address, `b`/`B`, `s`/`S`, `l`/`L`
//! signed/unsigned 8, 16, 32-bit numbers, `f` flag, `t` text, `X` string or hex, `d` domain
//! name, `D` domain list, `Z` nothing, `E` encapsulation; after them `A` repeats the whole
//! record and `a` the last field, comma-separated; `o` makes the field before it optional.

use std::collections::HashSet;

use super::server_options;
use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Span};

/// The format a definition's type words make, or dhcpd's complaint.
pub(crate) fn definition(
    words: &[Token],
    spaces: &HashSet<String>,
    span: Span,
) -> Result<String, Diagnostic> {
    let at = |i: usize| words.get(i);
    let err = |i: usize, m: String| Diagnostic::error(at(i).map_or(span, |t| t.span), m);
    let mut i = 0;
    let mut array = false;
    let mut record = false;
    if at(i).is_some_and(|t| t.is("array")) {
        if !at(i + 1).is_some_and(|t| t.is("of")) {
            return Err(err(i + 1, "expecting \"of\".".into()));
        }
        array = true;
        i += 2;
    }
    if at(i).is_some_and(|t| t.is_punct("{")) {
        record = true;
        i += 1;
    }
    let mut format = String::new();
    let mut encapsulation = false;
    let mut inner_array = false;
    loop {
        if encapsulation {
            return Err(err(i, "encapsulate must always be the last item.".into()));
        }
        if record && at(i).is_some_and(|t| t.is("array")) {
            if array {
                return Err(err(i, "no nested arrays.".into()));
            }
            if !at(i + 1).is_some_and(|t| t.is("of")) {
                return Err(err(i + 1, "expecting \"of\".".into()));
            }
            inner_array = true;
            i += 2;
        }
        let Some(t) = at(i) else {
            return Err(Diagnostic::error(span, "expecting a data type"));
        };
        let word = t.text.to_ascii_lowercase();
        let mut last_only = false;
        let (letters, used): (String, usize) = match word.as_str() {
            "integer" | "signed" | "unsigned" => {
                let (signed, bits_at) = match word.as_str() {
                    "integer" => (true, i + 1),
                    _ if at(i + 1).is_some_and(|t| t.is("integer")) => (word == "signed", i + 2),
                    _ => return Err(err(i + 1, "expecting \"integer\" keyword.".into())),
                };
                let letter = match at(bits_at).map(|t| t.text.as_str()) {
                    Some("8") => 'b',
                    Some("16") => 's',
                    Some("32") => 'l',
                    other => {
                        return Err(err(
                            bits_at,
                            format!("{} bit precision is not supported.", other.unwrap_or("?")),
                        ))
                    }
                };
                let letter = if signed {
                    letter
                } else {
                    letter.to_ascii_uppercase()
                };
                (letter.to_string(), bits_at + 1 - i)
            }
            "ip-address" => ("I".into(), 1),
            "ip6-address" => ("6".into(), 1),
            "boolean" => ("f".into(), 1),
            "text" | "string" | "domain-name" | "domain-list" => {
                if array || inner_array {
                    return Err(err(i, "arrays of text strings not yet supported.".into()));
                }
                last_only = true;
                match word.as_str() {
                    "text" => ("t".into(), 1),
                    "string" => ("X".into(), 1),
                    "domain-name" => ("d".into(), 1),
                    _ if at(i + 1).is_some_and(|t| t.is("compressed")) => ("Dc".into(), 2),
                    _ => ("D".into(), 1),
                }
            }
            "encapsulate" => match at(i + 1) {
                Some(space) if spaces.contains(&space.text.to_ascii_lowercase()) => {
                    encapsulation = true;
                    (format!("E{}.", space.text), 2)
                }
                Some(space) => {
                    return Err(err(i + 1, format!("unknown option space {}", space.text)))
                }
                None => return Err(err(i, "expecting option space identifier".into())),
            },
            "zerolen" => {
                if array || inner_array {
                    return Err(err(i, "array incompatible with zerolen.".into()));
                }
                ("Z".into(), 1)
            }
            other => return Err(err(i, format!("unknown data type {other}"))),
        };
        format.push_str(&letters);
        i += used;
        if !record {
            break;
        }
        // An array inside a record covers that one field (dhcpd resets it after the field).
        if std::mem::replace(&mut inner_array, false) {
            format.push('a');
        }
        match at(i) {
            Some(t) if t.is_punct(",") => {
                if last_only {
                    let kind = if letters == "t" { "text" } else { "string" };
                    return Err(err(i, format!("{kind} must be at end of record.")));
                }
                i += 1;
            }
            Some(t) if t.is_punct("}") => {
                i += 1;
                break;
            }
            _ => return Err(err(i, "expecting right brace.".into())),
        }
    }
    if at(i).is_some() {
        return Err(err(i, "semicolon expected.".into()));
    }
    if encapsulation && array {
        return Err(Diagnostic::error(
            span,
            "Arrays of encapsulations don't make sense.",
        ));
    }
    if array {
        format.push(if record { 'A' } else { 'a' });
    }
    Ok(format)
}

/// One field of a format: its letter, and whether it may be left out.
fn fields(format: &str) -> Vec<(char, bool)> {
    let mut out: Vec<(char, bool)> = Vec::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            'o' => {
                if let Some(last) = out.last_mut() {
                    last.1 = true;
                }
            }
            'c' | 'A' | 'a' => {}
            'E' => {
                // The space's name runs to the dot.
                for n in chars.by_ref() {
                    if n == '.' {
                        break;
                    }
                }
                out.push(('E', false));
            }
            other => out.push((other, false)),
        }
    }
    out
}

/// Checks one field's value at the start of `tokens`; returns the tokens it took.
fn field(letter: char, tokens: &[Token], span: Span) -> Result<usize, Diagnostic> {
    let Some(t) = tokens.first() else {
        return Err(Diagnostic::error(span, "expecting a value"));
    };
    let bits = match letter {
        'b' | 'B' => 8,
        's' | 'S' => 16,
        'l' | 'L' => 32,
        _ => 0,
    };
    match letter {
        _ if bits > 0 => server_options::number(t, bits).map(|_| 1),
        'f' => server_options::flag(t).map(|_| 1),
        'I' if t.kind == TokenKind::Atom && !t.is_punct(",") => Ok(1),
        'I' => Err(Diagnostic::error(
            t.span,
            "expecting IP address or hostname",
        )),
        '6' if t.text.parse::<std::net::Ipv6Addr>().is_ok() => Ok(1),
        '6' => Err(Diagnostic::error(t.span, "Invalid IPv6 address.")),
        't' if t.kind == TokenKind::String
            || (t.kind == TokenKind::Atom && !t.text.starts_with(|c: char| c.is_ascii_digit())) =>
        {
            Ok(1)
        }
        't' => Err(Diagnostic::error(t.span, "expecting string.")),
        'X' | 'E'
            if t.kind == TokenKind::String
                || super::hex_bytes(&t.text).is_some()
                || u8::from_str_radix(&t.text, 16).is_ok() =>
        {
            Ok(1)
        }
        'X' | 'E' => Err(Diagnostic::error(
            t.span,
            "expecting string or hexadecimal data.",
        )),
        'd' if t.kind == TokenKind::Atom => Ok(1),
        'd' => Err(Diagnostic::error(t.span, "not a valid domain name.")),
        'D' => {
            let mut used = 0;
            while let Some(name) = tokens.get(used) {
                if name.kind != TokenKind::String {
                    return Err(Diagnostic::error(name.span, "expecting string."));
                }
                used += 1;
                match tokens.get(used) {
                    Some(c) if c.is_punct(",") => used += 1,
                    _ => break,
                }
            }
            Ok(used)
        }
        _ => Err(Diagnostic::error(t.span, "semicolon expected.")),
    }
}

/// Checks an option's value `tokens` against the ISC `format`.
pub(crate) fn check_value(format: &str, tokens: &[Token], span: Span) -> Result<(), Diagnostic> {
    let all = fields(format);
    let repeat_all = format.ends_with('A');
    let repeat_last = format.ends_with('a');
    let mut i = 0;
    let mut round = 0;
    loop {
        let this_round: &[(char, bool)] = if round > 0 && repeat_last {
            all.get(all.len().saturating_sub(1)..).unwrap_or_default()
        } else {
            &all
        };
        for (letter, optional) in this_round {
            let rest = tokens.get(i..).unwrap_or_default();
            if *letter == 'Z' || (*optional && rest.is_empty()) {
                continue;
            }
            i += field(*letter, rest, span)?;
        }
        round += 1;
        match tokens.get(i) {
            Some(c) if c.is_punct(",") && (repeat_all || repeat_last) => i += 1,
            Some(extra) => return Err(Diagnostic::error(extra.span, "semicolon expected.")),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;
    use crate::source::FileId;

    fn def(text: &str) -> Result<String, String> {
        let tokens = lex(FileId(0), text).unwrap();
        let spaces = ["dhcp".to_string()].into_iter().collect();
        definition(&tokens, &spaces, tokens[0].span).map_err(|d| d.message)
    }

    fn value(format: &str, text: &str) -> Result<(), String> {
        let tokens = lex(FileId(0), text).unwrap();
        check_value(format, &tokens, tokens[0].span).map_err(|d| d.message)
    }

    /// Each case as `dhcpd -t` 4.4.3 judged it (testdata/conf/gen 49x-52x).
    #[test]
    fn definitions_make_dhcpds_formats() {
        assert_eq!(def("array of unsigned integer 16").unwrap(), "Sa");
        assert_eq!(def("{ ip-address, integer 8 }").unwrap(), "Ib");
        assert_eq!(
            def("array of { ip-address, unsigned integer 8 }").unwrap(),
            "IBA"
        );
        assert_eq!(def("{ boolean, text }").unwrap(), "ft");
        assert_eq!(
            def("{ text, boolean }"),
            Err("text must be at end of record.".into())
        );
        assert_eq!(
            def("{ domain-name, boolean }"),
            Err("string must be at end of record.".into())
        );
        assert_eq!(
            def("{ ip-address boolean }"),
            Err("expecting right brace.".into())
        );
        assert_eq!(
            def("array of text"),
            Err("arrays of text strings not yet supported.".into())
        );
        assert_eq!(
            def("integer 24"),
            Err("24 bit precision is not supported.".into())
        );
    }

    #[test]
    fn values_are_read_as_dhcpd_reads_them() {
        assert!(value("BBB", "1 2 1").is_ok());
        assert!(value("fIa", "true 198.18.0.5, 198.18.0.6").is_ok());
        assert!(value("fto", "true").is_ok());
        assert!(value("fto", "false \"scope\"").is_ok());
        assert_eq!(
            value("bb", "1 -200"),
            Err("-200 exceeds max (128) for precision.".into())
        );
        assert_eq!(value("Z", "67"), Err("semicolon expected.".into()));
        assert_eq!(
            value("IBA", "198.18.0.1 1, 198.18.0.2 2").map_err(|_| ()),
            Ok(())
        );
        assert_eq!(
            value("d", "\"x.example\""),
            Err("not a valid domain name.".into())
        );
    }
}
