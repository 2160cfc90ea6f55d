//! The dhcpd.conf lexer: atoms (names, numbers, addresses, colon-separated hex), strings with
//! escapes, punctuation and the expression operators, every token with its span.

use std::rc::Rc;

use crate::source::{Diagnostic, FileId, Span};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A run of letters, digits and `-_.:` (`host`, `198.18.0.1`, `02:00:00:c0:ff:ee`, `1500`).
    Atom,
    /// A double-quoted string; `text` holds it unescaped.
    String,
    /// `{ } ; , = ( ) !` or the operators `~=`, `~~`, `!=`, `+ % * & | ^` (`-` and `/` lex as
    /// atoms, since they appear inside names and paths).
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

/// dhcpd's token buffer (includes/dhcpd.h `struct parse`, 1500 octets, one for the NUL): no
/// token, string or run of white space may fill it.
const BUFFER: usize = 1499;

fn is_atom_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/')
}

/// Splits `text` into tokens lazily, one at a time, so that a large file (a lease file with a
/// million blocks) is never held as a token list. Comments (`#` to the end of the line) and
/// white space are skipped. A stray character or an unterminated string is an error with its
/// position; lexing goes on after it.
pub struct Lexer {
    file: FileId,
    text: Rc<str>,
    pos: usize,
    line: u32,
    line_start: usize,
}

impl Lexer {
    /// A lexer over `text`, which belongs to `file`.
    pub fn new(file: FileId, text: Rc<str>) -> Self {
        Self {
            file,
            text,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|r| r.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.line_start = self.pos;
        }
        Some(c)
    }

    fn span(&self, offset: usize, len: usize, line: u32, line_start: usize) -> Span {
        let col = self
            .text
            .get(line_start..offset)
            .map_or(1, |s| s.chars().count() as u32 + 1);
        Span {
            file: self.file,
            offset,
            len,
            line,
            col,
        }
    }

    fn string(&mut self) -> Result<Token, Diagnostic> {
        let (start, line, line_start) = (self.pos, self.line, self.line_start);
        self.bump();
        let mut bytes = Vec::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(Diagnostic::error(
                    self.span(start, 1, line, line_start),
                    "unterminated string",
                ));
            };
            match c {
                '"' => break,
                '\\' => {
                    let Some(e) = self.bump() else { continue };
                    // dhcpd's escapes (common/conflex.c read_string): `\x` and two hex digits,
                    // `\` and three octal digits; a digit short is an error, but for an octal
                    // zero, which ends there and swallows the character after it.
                    let escape_at = self.span(self.pos, 1, self.line, self.line_start);
                    let digits = |lexer: &mut Self, radix: u32, first: u32| {
                        let mut v = first;
                        for _ in 0..2 {
                            let next = lexer.peek();
                            match next.and_then(|d| d.to_digit(radix)) {
                                Some(d) => {
                                    v = v * radix + d;
                                    lexer.bump();
                                }
                                None => return Err((v, next)),
                            }
                        }
                        Ok((v & 0xff) as u8)
                    };
                    match e {
                        'n' => bytes.push(b'\n'),
                        't' => bytes.push(b'\t'),
                        'r' => bytes.push(b'\r'),
                        'b' => bytes.push(8),
                        'x' => match digits(self, 16, 0) {
                            Ok(b) => bytes.push(b),
                            Err((_, c)) => {
                                return Err(Diagnostic::error(
                                    escape_at,
                                    format!("invalid hex digit: {:x}", c.map_or(0, u32::from)),
                                ))
                            }
                        },
                        '0'..='7' => match digits(self, 8, e.to_digit(8).unwrap_or(0)) {
                            Ok(b) => bytes.push(b),
                            Err((0, _)) => {
                                bytes.push(0);
                                self.bump();
                            }
                            Err((_, c)) => {
                                return Err(Diagnostic::error(
                                    escape_at,
                                    format!("invalid octal digit {:x}", c.map_or(0, u32::from)),
                                ))
                            }
                        },
                        other => {
                            let mut buf = [0; 4];
                            bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                }
                other => {
                    let mut buf = [0; 4];
                    bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        let span = self.span(start, self.pos - start, line, line_start);
        if bytes.len() >= BUFFER {
            return Err(Diagnostic::error(
                span,
                "string constant larger than internal buffer",
            ));
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Token {
            kind: TokenKind::String,
            text,
            bytes,
            span,
        })
    }

    fn token(&mut self) -> Option<Result<Token, Diagnostic>> {
        loop {
            let c = self.peek()?;
            let (start, line, line_start) = (self.pos, self.line, self.line_start);
            match c {
                c if c.is_whitespace() => {
                    // dhcpd reads a run of white space into its token buffer (common/conflex.c
                    // read_whitespace) and gives up past it.
                    let mut run = 0;
                    while self.peek().is_some_and(char::is_whitespace) {
                        self.bump();
                        run += 1;
                    }
                    if run >= BUFFER {
                        return Some(Err(Diagnostic::error(
                            self.span(start, 1, line, line_start),
                            "whitespace too long, buffer overflow.",
                        )));
                    }
                }
                '#' => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                '"' => return Some(self.string()),
                c if is_atom_char(c) => {
                    while self.peek().is_some_and(is_atom_char) {
                        self.bump();
                    }
                    let text = self
                        .text
                        .get(start..self.pos)
                        .unwrap_or_default()
                        .to_string();
                    let span = self.span(start, self.pos - start, line, line_start);
                    if text.len() >= BUFFER {
                        return Some(Err(Diagnostic::error(
                            span,
                            "token larger than internal buffer",
                        )));
                    }
                    return Some(Ok(Token {
                        kind: TokenKind::Atom,
                        text,
                        bytes: Vec::new(),
                        span,
                    }));
                }
                '{' | '}' | ';' | ',' | '=' | '(' | ')' | '!' | '~' | '+' | '%' | '*' | '&'
                | '|' | '^' => {
                    self.bump();
                    let two = match (c, self.peek()) {
                        ('~', Some('=')) | ('~', Some('~')) | ('!', Some('=')) => self.bump(),
                        _ => None,
                    };
                    let punct: String = std::iter::once(c).chain(two).collect();
                    let span = self.span(start, punct.len(), line, line_start);
                    if punct == "~" {
                        return Some(Err(Diagnostic::error(span, "expected ~= or ~~")));
                    }
                    return Some(Ok(Token {
                        kind: TokenKind::Punct,
                        text: punct,
                        bytes: Vec::new(),
                        span,
                    }));
                }
                other => {
                    self.bump();
                    let span = self.span(start, other.len_utf8(), line, line_start);
                    return Some(Err(Diagnostic::error(
                        span,
                        format!("unexpected character {other:?}"),
                    )));
                }
            }
        }
    }
}

impl Iterator for Lexer {
    type Item = Result<Token, Diagnostic>;

    /// The next token; after an error (the offending text is consumed), the tokens that
    /// follow it.
    fn next(&mut self) -> Option<Self::Item> {
        self.token()
    }
}

/// Every token of `text` at once (for small inputs and tests).
pub fn lex(file: FileId, text: &str) -> Result<Vec<Token>, Diagnostic> {
    Lexer::new(file, Rc::from(text)).collect()
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
