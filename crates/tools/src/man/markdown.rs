//! Markdown to a man page: the events of pulldown-cmark written as roff, for
//! `docs/dhcpd-conf.md` made charruad-dhcpd.conf(5).
//!
//! Headings become sections, paragraphs `.PP`, list items `.IP`, code blocks `.nf`; a table's
//! rows become tagged paragraphs (`.TP`), the first cell the tag and each other one a line
//! under it named by its column's header, which reads better in a terminal than columns of
//! long text. Code spans are bold, emphasis italic.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use roff::{bold, italic, roman, Inline, Roff};

/// The page's `.TH` line and NAME section.
pub(crate) struct Title<'a> {
    /// The page's name, `charruad-dhcpd.conf`.
    pub(crate) name: &'a str,
    /// Its section, `5`.
    pub(crate) section: &'a str,
    /// What it is about, for the NAME line and whatis(1).
    pub(crate) summary: &'a str,
    /// The footer's source, `charrua 0.1.0`.
    pub(crate) source: &'a str,
    /// The manual it belongs to, `File Formats Manual`.
    pub(crate) manual: &'a str,
}

/// `markdown` as a man page. Its level-one heading gives way to DESCRIPTION: the title is
/// `title`'s.
pub(crate) fn render(title: &Title<'_>, markdown: &str) -> String {
    let mut page = Roff::new();
    page.control(
        "TH",
        [
            title.name.to_uppercase().as_str(),
            title.section,
            // No date: the page is the same whenever it is built.
            "\"\"",
            title.source,
            title.manual,
        ],
    )
    .control("nh", [])
    .control("ad", ["l"])
    .control("SH", ["NAME"])
    .text([roman(format!("{} - {}", title.name, title.summary))]);
    let mut writer = Writer::default();
    let markdown = escape_pipes_in_code(markdown);
    for event in Parser::new_ext(&markdown, Options::ENABLE_TABLES) {
        writer.event(&mut page, event);
    }
    page.render()
}

/// A table's header and the row being read.
#[derive(Default)]
struct Table {
    /// The header's cells, as text.
    header: Vec<String>,
    /// The cells of the current row.
    row: Vec<Vec<Inline>>,
    /// Whether the header is being read.
    in_head: bool,
}

/// What the writer is inside of.
#[derive(Default)]
struct Writer {
    /// The text of the current block.
    line: Vec<Inline>,
    /// Depth of `**strong**`.
    strong: usize,
    /// Depth of `*emphasis*`.
    emphasis: usize,
    /// The table being read.
    table: Option<Table>,
    /// Depth of list items: their paragraphs stay in the item.
    items: usize,
    /// Whether a code block is being read: its text is written line by line.
    code_block: bool,
}

impl Writer {
    fn event(&mut self, page: &mut Roff, event: Event<'_>) {
        match event {
            Event::Start(Tag::Paragraph) if self.items == 0 => {
                page.control("PP", []);
            }
            Event::Start(Tag::Item) => {
                self.items += 1;
                page.control("IP", [r"\(bu", "2"]);
            }
            Event::End(TagEnd::Item) => {
                self.items = self.items.saturating_sub(1);
                self.flush(page);
            }
            Event::Start(Tag::CodeBlock(_)) => {
                self.code_block = true;
                page.control("PP", [])
                    .control("RS", ["4"])
                    .control("nf", []);
            }
            Event::End(TagEnd::CodeBlock) => {
                self.code_block = false;
                page.control("fi", []).control("RE", []);
            }
            Event::Text(text) if self.code_block => {
                page.text([roman(text.trim_end_matches('\n'))]);
            }
            Event::End(TagEnd::Heading(level)) => {
                let macro_name = if level <= HeadingLevel::H2 {
                    "SH"
                } else {
                    "SS"
                };
                if level == HeadingLevel::H1 {
                    self.line = vec![roman("DESCRIPTION")];
                }
                page.control(macro_name, []);
                self.flush(page);
            }
            Event::End(TagEnd::Paragraph) => self.flush(page),
            Event::Start(Tag::Table(_)) => self.table = Some(Table::default()),
            Event::End(TagEnd::Table) => self.table = None,
            Event::Start(Tag::TableHead) => self.table_mut().in_head = true,
            Event::End(TagEnd::TableHead) => {
                let table = self.table_mut();
                table.in_head = false;
                table.header = table.row.drain(..).map(plain).collect();
            }
            Event::End(TagEnd::TableCell) => {
                let cell = std::mem::take(&mut self.line);
                self.table_mut().row.push(cell);
            }
            Event::End(TagEnd::TableRow) => self.row(page),
            Event::Start(Tag::Strong) => self.strong += 1,
            Event::End(TagEnd::Strong) => self.strong = self.strong.saturating_sub(1),
            Event::Start(Tag::Emphasis) => self.emphasis += 1,
            Event::End(TagEnd::Emphasis) => self.emphasis = self.emphasis.saturating_sub(1),
            Event::Text(text) => {
                let inline = if self.strong > 0 {
                    bold(text.as_ref())
                } else if self.emphasis > 0 {
                    italic(text.as_ref())
                } else {
                    roman(text.as_ref())
                };
                self.line.push(inline);
            }
            Event::Code(code) => self.line.push(bold(code.as_ref())),
            Event::SoftBreak => self.line.push(roman(" ")),
            Event::HardBreak => self.line.push(Inline::LineBreak),
            // Headings, lists, links and the rest carry their text in the events above.
            _ => {}
        }
    }

    fn table_mut(&mut self) -> &mut Table {
        self.table.get_or_insert_with(Table::default)
    }

    /// Writes the current block's text, if any.
    fn flush(&mut self, page: &mut Roff) {
        if !self.line.is_empty() {
            page.text(std::mem::take(&mut self.line));
        }
    }

    /// A table row as a tagged paragraph: the first cell the tag, each other one a line named
    /// by its column.
    fn row(&mut self, page: &mut Roff) {
        let Some(table) = self.table.as_mut().filter(|t| !t.in_head) else {
            return;
        };
        let mut cells = table.row.drain(..);
        page.control("TP", [])
            .text(cells.next().unwrap_or_default());
        let mut body = Vec::new();
        for (cell, name) in cells.zip(table.header.iter().skip(1)) {
            if !body.is_empty() {
                body.push(Inline::LineBreak);
            }
            body.push(italic(format!("{name}:")));
            body.push(roman(" "));
            body.extend(cell);
        }
        if !body.is_empty() {
            page.text(body);
        }
    }
}

/// A cell's text without its styles.
fn plain(cell: Vec<Inline>) -> String {
    cell.into_iter()
        .map(|inline| match inline {
            Inline::Roman(s) | Inline::Bold(s) | Inline::Italic(s) => s,
            Inline::LineBreak => " ".into(),
        })
        .collect()
}

/// In table rows, `|` inside a code span escaped as `\|`: GFM ends a cell at every unescaped
/// `|`, even in code, and the doc writes `allow|deny` in code meaning one cell.
fn escape_pipes_in_code(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let mut in_code = false;
        let mut escaped = false;
        for c in line.chars() {
            if line.starts_with('|') && in_code && c == '|' && !escaped {
                out.push('\\');
            }
            in_code ^= c == '`';
            escaped = c == '\\';
            out.push(c);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(markdown: &str) -> String {
        let title = Title {
            name: "x.conf",
            section: "5",
            summary: "what x reads",
            source: "x 1",
            manual: "File Formats Manual",
        };
        render(&title, markdown)
    }

    #[test]
    fn headings_become_sections_and_the_title_description() {
        let roff = page("# Title\n\nSome `code` and **strong** text.\n\n## Next\n\n### Sub\n");
        assert!(roff.contains(".TH X.CONF 5 \"\" \"x 1\" \"File Formats Manual\"\n"));
        assert!(roff.contains(".SH NAME\nx.conf \\- what x reads\n"));
        assert!(
            roff.contains(".SH\nDESCRIPTION\n.PP\nSome \\fBcode\\fR and \\fBstrong\\fR text.\n")
        );
        assert!(roff.contains(".SH\nNext\n.SS\nSub\n"));
        assert!(!roff.contains("Title"));
    }

    #[test]
    fn table_rows_become_tagged_paragraphs_one_cell_per_pipe_outside_code() {
        let roff = page("| construct | status |\n|---|---|\n| `allow|deny` x | supported |\n");
        assert!(
            roff.contains(".TP\n\\fBallow|deny\\fR x\n\\fIstatus:\\fR supported\n"),
            "{roff}"
        );
    }

    #[test]
    fn lists_and_code_blocks_keep_their_shape() {
        let roff = page("- one\n- two\n\n```\nsubnet 10.0.0.0 {\n.x\n```\n");
        assert!(
            roff.contains(".IP \\(bu 2\none\n.IP \\(bu 2\ntwo\n"),
            "{roff}"
        );
        assert!(
            roff.contains(".nf\nsubnet 10.0.0.0 {\n\\&.x\n.fi\n"),
            "{roff}"
        );
    }
}
