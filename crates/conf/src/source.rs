//! Source files and positions, and diagnostics rendered the way a good compiler shows them:
//! file, line, column, the offending line and a caret.

use std::fmt;
use std::rc::Rc;

/// Index of a file in a [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A position in a source file: byte offset, 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// Byte offset of the start.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// The files read for one configuration (the main file and its includes).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<(String, Rc<str>)>,
}

impl Sources {
    /// Adds a file's name and text.
    pub fn add(&mut self, name: &str, text: String) -> FileId {
        self.files.push((name.to_string(), Rc::from(text)));
        FileId((self.files.len() - 1) as u32)
    }

    /// A shared handle on a file's text, for the lexer.
    pub(crate) fn shared(&self, file: FileId) -> Rc<str> {
        self.files
            .get(file.0 as usize)
            .map_or_else(|| Rc::from(""), |(_, t)| Rc::clone(t))
    }

    /// A file's name.
    pub fn name(&self, file: FileId) -> &str {
        self.files
            .get(file.0 as usize)
            .map(|(n, _)| n.as_str())
            .unwrap_or("?")
    }

    /// A file's text.
    pub fn text(&self, file: FileId) -> &str {
        self.files
            .get(file.0 as usize)
            .map(|(_, t)| &**t)
            .unwrap_or_default()
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.text(span.file)
            .get(span.offset..span.offset + span.len)
            .unwrap_or_default()
    }

    /// The whole line a span starts on.
    pub fn line_of(&self, span: Span) -> &str {
        self.text(span.file)
            .lines()
            .nth(span.line.saturating_sub(1) as usize)
            .unwrap_or_default()
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The file is refused.
    Error,
    /// Accepted; something is parsed but not acted upon, or is suspicious.
    Warning,
}

/// One finding about a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where.
    pub span: Span,
    /// What.
    pub message: String,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            span,
            message: message.into(),
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            span,
            message: message.into(),
        }
    }

    /// Renders as `file:line:col: error: message`, the line, and a caret under the span.
    pub fn render(&self, sources: &Sources) -> String {
        Rendered {
            diagnostic: self,
            sources,
        }
        .to_string()
    }
}

struct Rendered<'a> {
    diagnostic: &'a Diagnostic,
    sources: &'a Sources,
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diagnostic;
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let s = d.span;
        writeln!(
            f,
            "{}:{}:{}: {level}: {}",
            self.sources.name(s.file),
            s.line,
            s.col,
            d.message
        )?;
        let line = self.sources.line_of(s);
        let number = s.line.to_string();
        writeln!(f, "{} |", " ".repeat(number.len()))?;
        writeln!(f, "{number} | {line}")?;
        let pad: String = line
            .chars()
            .take(s.col.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = self.sources.slice(s).chars().count().clamp(
            1,
            line.chars()
                .count()
                .saturating_sub(pad.chars().count())
                .max(1),
        );
        write!(
            f,
            "{} | {pad}{}",
            " ".repeat(number.len()),
            "^".repeat(width)
        )
    }
}
