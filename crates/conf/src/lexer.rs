//! The dhcpd.conf lexer: atoms (names, numbers, addresses, colon-separated hex), strings with
//! escapes, punctuation and the expression operators, every token with its span.

use crate::source::{Diagnostic, FileId, Span};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A run of letters, digits and `-_.:` (`host`, `198.18.0.1`, `02:00:00:c0:ff:ee`, `1500`).
    Atom,
    /// A double-quoted string; `text` holds it unescaped.
    String,
    /// `{ } ; , = ( ) !` or the operators `~=`, `~~`, `!=`, `+`.
    Punct,
}

/// A token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Its kind.
    pub kind: TokenKind,
    /// Its text (unescaped for strings, as raw bytes mapped one to one to chars for octets
    /// above 0x7f written as escapes).
    pub text: String,
    /// The raw bytes of a string (escapes resolved); empty for other kinds.
    pub bytes: Vec<u8>,
    /// Where it is.
    pub span: Span,
}

impl Token {
    /// Whether this is the atom `word` (ASCII case-insensitive, as ISC reads keywords).
    pub fn is(&self, word: &str) -> bool {
        self.kind == TokenKind::Atom && self.text.eq_ignore_ascii_case(word)
    }

    /// Whether this is the punctuation `p`.
    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == TokenKind::Punct && self.text == p
    }
}

fn is_atom_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/')
}

/// Splits `text` into tokens. Comments (`#` to the end of the line) and white space are
/// skipped. A stray character or an unterminated string is an error with its position.
pub fn lex(file: FileId, text: &str) -> Result<Vec<Token>, Diagnostic> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    let (mut line, mut line_start) = (1u32, 0usize);
    let span_at = |offset: usize, len: usize, line: u32, line_start: usize| Span {
        file,
        offset,
        len,
        line,
        col: text
            .get(line_start..offset)
            .map_or(1, |s| s.chars().count() as u32 + 1),
    };
    while let Some(&(start, c)) = chars.peek() {
        match c {
            '\n' => {
                chars.next();
                line += 1;
                line_start = start + 1;
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                while chars.peek().is_some_and(|(_, c)| *c != '\n') {
                    chars.next();
                }
            }
            '"' => {
                let (token_line, token_line_start) = (line, line_start);
                chars.next();
                let mut bytes = Vec::new();
                let end = loop {
                    let Some((i, c)) = chars.next() else {
                        let span = span_at(start, 1, token_line, token_line_start);
                        return Err(Diagnostic::error(span, "unterminated string"));
                    };
                    match c {
                        '"' => break i + 1,
                        '\\' => {
                            let Some((_, e)) = chars.next() else { continue };
                            match e {
                                'n' => bytes.push(b'\n'),
                                't' => bytes.push(b'\t'),
                                'r' => bytes.push(b'\r'),
                                'b' => bytes.push(8),
                                'x' => {
                                    let mut v = 0u32;
                                    for _ in 0..2 {
                                        match chars.peek().and_then(|(_, d)| d.to_digit(16)) {
                                            Some(d) => {
                                                v = v * 16 + d;
                                                chars.next();
                                            }
                                            None => break,
                                        }
                                    }
                                    bytes.push(v as u8);
                                }
                                '0'..='7' => {
                                    let mut v = e.to_digit(8).unwrap_or(0);
                                    for _ in 0..2 {
                                        match chars.peek().and_then(|(_, d)| d.to_digit(8)) {
                                            Some(d) => {
                                                v = v * 8 + d;
                                                chars.next();
                                            }
                                            None => break,
                                        }
                                    }
                                    bytes.push((v & 0xff) as u8);
                                }
                                other => {
                                    let mut buf = [0; 4];
                                    bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                                }
                            }
                        }
                        '\n' => {
                            line += 1;
                            line_start = i + 1;
                            bytes.push(b'\n');
                        }
                        other => {
                            let mut buf = [0; 4];
                            bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                };
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let span = span_at(start, end - start, token_line, token_line_start);
                tokens.push(Token {
                    kind: TokenKind::String,
                    text,
                    bytes,
                    span,
                });
            }
            c if is_atom_char(c) => {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if !is_atom_char(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                let text = text.get(start..end).unwrap_or_default().to_string();
                let span = span_at(start, end - start, line, line_start);
                tokens.push(Token {
                    kind: TokenKind::Atom,
                    text,
                    bytes: Vec::new(),
                    span,
                });
            }
            '{' | '}' | ';' | ',' | '=' | '(' | ')' | '!' | '~' | '+' => {
                chars.next();
                let two = match (c, chars.peek().map(|(_, n)| *n)) {
                    ('~', Some('=')) | ('~', Some('~')) | ('!', Some('=')) => {
                        chars.next().map(|(_, n)| n)
                    }
                    _ => None,
                };
                let punct: String = std::iter::once(c).chain(two).collect();
                if punct == "~" {
                    return Err(Diagnostic::error(
                        span_at(start, 1, line, line_start),
                        "expected ~= or ~~",
                    ));
                }
                let span = span_at(start, punct.len(), line, line_start);
                tokens.push(Token {
                    kind: TokenKind::Punct,
                    text: punct,
                    bytes: Vec::new(),
                    span,
                });
            }
            other => {
                let span = span_at(start, other.len_utf8(), line, line_start);
                return Err(Diagnostic::error(
                    span,
                    format!("unexpected character {other:?}"),
                ));
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        lex(FileId(0), src)
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn lexes_statements_comments_and_hex() {
        let src = "host a { # comment\n  hardware ethernet 02:00:00:c0:ff:ee; fixed-address 198.18.0.9; }";
        assert_eq!(
            texts(src),
            [
                "host",
                "a",
                "{",
                "hardware",
                "ethernet",
                "02:00:00:c0:ff:ee",
                ";",
                "fixed-address",
                "198.18.0.9",
                ";",
                "}"
            ]
        );
    }

    #[test]
    fn strings_resolve_escapes_and_keep_positions() {
        let tokens = lex(FileId(0), "x\n  \"a\\\"b\\101\\x42\\n\" ;").unwrap();
        assert_eq!(tokens[1].bytes, b"a\"bAB\n");
        assert_eq!((tokens[1].span.line, tokens[1].span.col), (2, 3));
        assert_eq!((tokens[2].span.line, tokens[2].span.col), (2, 20));
    }

    #[test]
    fn operators_are_single_tokens() {
        assert_eq!(
            texts("a ~= b ~~ c != d = e"),
            ["a", "~=", "b", "~~", "c", "!=", "d", "=", "e"]
        );
    }

    #[test]
    fn unterminated_strings_and_stray_characters_are_errors() {
        let err = lex(FileId(0), "option x \"abc").unwrap_err();
        assert_eq!((err.span.line, err.span.col), (1, 10));
        assert!(lex(FileId(0), "a @ b").is_err());
    }
}
