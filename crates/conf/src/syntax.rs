//! The faithful syntax tree of dhcpd.conf: every statement is its words up to `;`, or its words
//! and a `{ }` block. Includes are spliced in where they stand. Nesting is bounded (the
//! CVE-2026-3608 class of stack exhaustion).

use crate::lexer::{Lexer, Token, TokenKind};
use crate::source::{Diagnostic, Sources, Span};

/// Deepest block nesting accepted; real configurations use a handful of levels.
pub const MAX_DEPTH: usize = 64;
/// Most include levels.
const MAX_INCLUDE_DEPTH: usize = 16;

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Its words up to `;` or `{` (for an option record definition, the braces are words too).
    pub words: Vec<Token>,
    /// Its block, if it has one.
    pub block: Option<Vec<Self>>,
    /// Where it starts.
    pub span: Span,
    /// The `;` or `}` that ends it (dhcpd names this line for what it finds wrong only once
    /// the statement is read, such as an empty shared-network).
    pub end: Span,
}

impl Statement {
    /// The first word, lower-cased for keyword matching.
    pub fn keyword(&self) -> String {
        self.words
            .first()
            .map(|t| t.text.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// What the configuration needs from outside: included files and host names. The caller
/// supplies it, so the crate does no IO.
pub trait Loader {
    /// The text of the file named `name` (as written in the include statement).
    fn load(&mut self, name: &str) -> Result<String, String>;

    /// The IPv4 addresses of the host `name`, where the configuration gives a host name for an
    /// address. `None`: names are not looked up here (checking a file, as `dhcpd -t` does not
    /// look them up either); the default.
    fn resolve(&mut self, name: &str) -> Option<Result<Vec<std::net::Ipv4Addr>, String>> {
        let _ = name;
        None
    }
}

/// A loader for configurations without includes: every include is an error.
#[derive(Debug, Default)]
pub struct NoIncludes;

impl Loader for NoIncludes {
    fn load(&mut self, name: &str) -> Result<String, String> {
        Err(format!("include {name:?}: includes are not available here"))
    }
}

struct Parser<'a> {
    lexer: Lexer,
    peeked: Option<Token>,
    end: Span,
    sources: &'a mut Sources,
    loader: &'a mut dyn Loader,
    include_depth: usize,
    /// Every error found: after one, the parser skips to the end of the statement (or block)
    /// and goes on, as dhcpd's `skip_to_semi` does, so one run reports them all.
    errors: Vec<Diagnostic>,
}

/// A statement that could not be read: the error, and whether the rest of it was skipped
/// already.
struct Failed {
    error: Diagnostic,
    skipped: bool,
}

impl From<Diagnostic> for Failed {
    fn from(error: Diagnostic) -> Self {
        Self {
            error,
            skipped: false,
        }
    }
}

/// Where parsed statements go: a vector for blocks, a callback at the top of a file.
type Sink<'s> = dyn FnMut(Statement) + 's;

/// Parses the file `name` with `text` (registered in `sources`) into statements; the first
/// error, if there is one (see [`parse_all`] for every error).
pub fn parse(
    name: &str,
    text: String,
    sources: &mut Sources,
    loader: &mut dyn Loader,
) -> Result<Vec<Statement>, Diagnostic> {
    let (statements, errors) = parse_all(name, text, sources, loader);
    match errors.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(statements),
    }
}

/// Parses the file `name` into the statements that read cleanly, and every error found.
pub fn parse_all(
    name: &str,
    text: String,
    sources: &mut Sources,
    loader: &mut dyn Loader,
) -> (Vec<Statement>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let errors = parse_each(name, text, sources, loader, &mut |s| out.push(s));
    (out, errors)
}

/// Parses like [`parse_all`], handing each top-level statement to `each` as soon as it is
/// complete, so a large file is never held as a tree; returns the errors.
pub fn parse_each(
    name: &str,
    text: String,
    sources: &mut Sources,
    loader: &mut dyn Loader,
    each: &mut Sink<'_>,
) -> Vec<Diagnostic> {
    parse_file(name, text, sources, loader, 0, each)
}

fn parse_file(
    name: &str,
    text: String,
    sources: &mut Sources,
    loader: &mut dyn Loader,
    include_depth: usize,
    each: &mut Sink<'_>,
) -> Vec<Diagnostic> {
    let file = sources.add(name, text);
    let text = sources.shared(file);
    let end_line = text.lines().count().max(1) as u32;
    let end_col = text
        .lines()
        .last()
        .map_or(1, |l| l.chars().count() as u32 + 1);
    let end = Span {
        file,
        offset: text.len(),
        len: 0,
        line: end_line,
        col: end_col,
    };
    let mut parser = Parser {
        lexer: Lexer::new(file, text),
        peeked: None,
        end,
        sources,
        loader,
        include_depth,
        errors: Vec::new(),
    };
    parser.statements(0, None, each);
    parser.errors
}

impl Parser<'_> {
    fn peek(&mut self) -> Result<Option<&Token>, Diagnostic> {
        if self.peeked.is_none() {
            self.peeked = self.lexer.next().transpose()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn next(&mut self) -> Result<Option<Token>, Diagnostic> {
        self.peek()?;
        Ok(self.peeked.take())
    }

    /// Statements until the end of input (`open` is None) or the `}` closing `open`; returns
    /// where they end. Errors are recorded and skipped past.
    fn statements(&mut self, depth: usize, open: Option<Span>, each: &mut Sink<'_>) -> Span {
        let mut after_key = false;
        loop {
            let t = match self.peek() {
                Ok(Some(t)) => t,
                Ok(None) => {
                    if let Some(span) = open {
                        self.errors.push(Diagnostic::error(
                            self.end,
                            format!(
                                "expected '}}' to close the block opened at line {}:{}",
                                span.line, span.col
                            ),
                        ));
                    }
                    return self.end;
                }
                Err(e) => {
                    self.errors.push(e);
                    self.skip_statement();
                    continue;
                }
            };
            if t.is_punct("}") {
                let span = t.span;
                self.peeked = None;
                match open {
                    Some(_) => return span,
                    None => {
                        self.errors
                            .push(Diagnostic::error(span, "'}' without a matching '{'"));
                        continue;
                    }
                }
            }
            if t.is_punct(";") {
                // dhcpd takes a semicolon after a `key { ... }` block (BIND's syntax), and no
                // other stray one (server/confpars.c parse_key, parse_statement).
                let span = t.span;
                self.peeked = None;
                if !std::mem::take(&mut after_key) {
                    self.errors.push(Diagnostic::error(
                        span,
                        "expecting a parameter or declaration: a stray ';'",
                    ));
                }
                continue;
            }
            after_key = false;
            match self.statement(depth) {
                Ok(statement) if statement.keyword() == "include" => {
                    if let Err(e) = self.include(&statement, each) {
                        self.errors.push(e);
                    }
                }
                Ok(statement) => {
                    after_key = statement.keyword() == "key" && statement.block.is_some();
                    each(statement)
                }
                Err(failed) => {
                    self.errors.push(failed.error);
                    if !failed.skipped {
                        self.skip_statement();
                    }
                }
            }
        }
    }

    /// After an error: skips to the end of the statement (its `;`, or its block), leaving a `}`
    /// that closes the enclosing block for it to see.
    fn skip_statement(&mut self) {
        loop {
            match self.peek() {
                Ok(None) => return,
                Ok(Some(t)) if t.is_punct("}") => return,
                Ok(Some(t)) if t.is_punct(";") => {
                    self.peeked = None;
                    return;
                }
                Ok(Some(t)) if t.is_punct("{") => {
                    self.peeked = None;
                    self.skip_block();
                    return;
                }
                Ok(Some(_)) => self.peeked = None,
                Err(e) => self.errors.push(e),
            }
        }
    }

    /// After an error at a `{` already read: skips to its matching `}`.
    fn skip_block(&mut self) {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next() {
                Ok(None) => return,
                Ok(Some(t)) if t.is_punct("{") => depth += 1,
                Ok(Some(t)) if t.is_punct("}") => depth -= 1,
                Ok(Some(_)) => {}
                Err(e) => self.errors.push(e),
            }
        }
    }

    fn statement(&mut self, depth: usize) -> Result<Statement, Failed> {
        let mut words: Vec<Token> = Vec::new();
        loop {
            let Some(token) = self.next()? else {
                let last = words.last().map_or(self.end, |t| t.span);
                return Err(Diagnostic::error(last, "expected ';' or '{' after this").into());
            };
            if token.is_punct(";") {
                let span = words.first().map_or(token.span, |t| t.span);
                return Ok(Statement {
                    words,
                    block: None,
                    span,
                    end: token.span,
                });
            }
            // dhcpd reports a missing semicolon where it finds the token instead of it.
            // The `}` is left for the block it closes. Words run over several lines without a
            // `;` are statements run together: dhcpd finds the missing semicolon where the
            // next line's word stands.
            if token.is_punct("}") {
                let first_line = words.first().map(|t| t.span.line);
                let at = words
                    .iter()
                    .find(|t| Some(t.span.line) > first_line)
                    .map_or(token.span, |t| t.span);
                self.peeked = Some(token);
                return Err(Diagnostic::error(at, "expected ';' or '{' before this").into());
            }
            if token.is_punct("{") {
                // `option NAME code N = { type, ... };` is a record type, not a block.
                if is_record_definition(&words) {
                    words.push(token);
                    loop {
                        let t = self.next()?.ok_or_else(|| {
                            Diagnostic::error(self.end, "expected '}' to close the record type")
                        })?;
                        let close = t.is_punct("}");
                        words.push(t);
                        if close {
                            break;
                        }
                    }
                    continue;
                }
                let refused = if depth + 1 > MAX_DEPTH {
                    Some(format!("blocks nested deeper than {MAX_DEPTH}"))
                } else if words.is_empty() {
                    Some("a block needs a statement before '{'".to_string())
                } else {
                    None
                };
                if let Some(message) = refused {
                    self.skip_block();
                    return Err(Failed {
                        error: Diagnostic::error(token.span, message),
                        skipped: true,
                    });
                }
                let span = words.first().map_or(token.span, |t| t.span);
                let mut block = Vec::new();
                let end = self.statements(depth + 1, Some(token.span), &mut |s| block.push(s));
                return Ok(Statement {
                    words,
                    block: Some(block),
                    span,
                    end,
                });
            }
            words.push(token);
        }
    }

    fn include(&mut self, statement: &Statement, each: &mut Sink<'_>) -> Result<(), Diagnostic> {
        let name = match statement.words.get(1..) {
            Some([t]) if t.kind == TokenKind::String => t.text.clone(),
            _ => {
                return Err(Diagnostic::error(
                    statement.span,
                    "expected include \"FILE\";",
                ))
            }
        };
        if self.include_depth + 1 > MAX_INCLUDE_DEPTH {
            return Err(Diagnostic::error(
                statement.span,
                "includes nested too deep (an include loop?)",
            ));
        }
        let text = self
            .loader
            .load(&name)
            .map_err(|e| Diagnostic::error(statement.span, e))?;
        let errors = parse_file(
            &name,
            text,
            self.sources,
            self.loader,
            self.include_depth + 1,
            each,
        );
        self.errors.extend(errors);
        Ok(())
    }
}

/// `option NAME code N = [array of] {`: a record type, not a block.
fn is_record_definition(words: &[Token]) -> bool {
    match words {
        [o, _, c, _, eq, rest @ ..] if o.is("option") && c.is("code") && eq.is_punct("=") => {
            matches!(rest, [] | [_, _]) && rest.first().is_none_or(|a| a.is("array"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Vec<Statement>, Diagnostic> {
        parse(
            "test.conf",
            text.to_string(),
            &mut Sources::default(),
            &mut NoIncludes,
        )
    }

    #[test]
    fn nests_blocks_and_keeps_words() {
        let tree =
            parse_str("subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.10 198.18.0.20; }")
                .unwrap();
        assert_eq!(tree.len(), 1);
        assert_eq!(tree[0].keyword(), "subnet");
        let block = tree[0].block.as_ref().unwrap();
        assert_eq!(block[0].words.len(), 3);
    }

    #[test]
    fn record_types_are_words_not_blocks() {
        let tree = parse_str("option foo code 250 = { ip-address, integer 8 };").unwrap();
        assert!(tree[0].block.is_none());
        assert_eq!(tree[0].words.len(), 11);
    }

    #[test]
    fn errors_are_skipped_past_and_all_reported() {
        let (statements, errors) = parse_all(
            "test.conf",
            "}\na @ 1;\ngroup { b 2 }\n{ c; }\nd 4;\n".to_string(),
            &mut Sources::default(),
            &mut NoIncludes,
        );
        let lines: Vec<u32> = errors.iter().map(|e| e.span.line).collect();
        assert_eq!(lines, [1, 2, 3, 4], "{errors:?}");
        let kept: Vec<String> = statements.iter().map(Statement::keyword).collect();
        assert_eq!(kept, ["group", "d"]);
    }

    #[test]
    fn missing_semicolons_and_braces_point_at_the_place() {
        let err = parse_str("option routers 198.18.0.1\n").unwrap_err();
        assert_eq!((err.span.line, err.span.col), (1, 16));
        let err = parse_str("group {\n host a { }\n").unwrap_err();
        assert!(
            err.message.contains("opened at line 1:7"),
            "{}",
            err.message
        );
        assert!(parse_str("}").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_without_exhausting_the_stack() {
        let text = "group { ".repeat(10_000);
        let err = parse_str(&text).unwrap_err();
        assert!(err.message.contains("nested deeper"));
    }

    struct Files;
    impl Loader for Files {
        fn load(&mut self, name: &str) -> Result<String, String> {
            match name {
                "hosts.conf" => Ok("host a { hardware ethernet 02:00:00:00:00:01; }".into()),
                "loop.conf" => Ok("include \"loop.conf\";".into()),
                _ => Err(format!("{name}: no such file")),
            }
        }
    }

    #[test]
    fn includes_are_spliced_and_loops_stopped() {
        let mut sources = Sources::default();
        let tree = parse(
            "main.conf",
            "include \"hosts.conf\"; default-lease-time 60;".into(),
            &mut sources,
            &mut Files,
        )
        .unwrap();
        assert_eq!(
            tree.iter().map(Statement::keyword).collect::<Vec<_>>(),
            ["host", "default-lease-time"]
        );
        assert_eq!(sources.name(tree[0].span.file), "hosts.conf");
        let err = parse(
            "main.conf",
            "include \"loop.conf\";".into(),
            &mut Sources::default(),
            &mut Files,
        )
        .unwrap_err();
        assert!(err.message.contains("too deep"));
        let err = parse(
            "main.conf",
            "include \"nope.conf\";".into(),
            &mut Sources::default(),
            &mut Files,
        )
        .unwrap_err();
        assert!(err.message.contains("no such file"));
    }
}
