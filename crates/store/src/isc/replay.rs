//! Reading the lease file at open: the blocks dhcpd would load, or a refusal that says where
//! the file is not a dhcpd.leases. A torn last block (a crash mid-write) is told apart from
//! damage by where it is and how long it is.

use std::path::Path;

use charrua_conf::leases::{self, LeaseFile, HEADER_FIRST_LINE};
use charrua_conf::source::FileId;

use crate::journal::io;
use crate::{StoreError, MAX_TORN};

/// A read lease file and the bytes of torn tail left out of it.
pub(crate) struct Read {
    pub(crate) file: LeaseFile,
    pub(crate) torn: u64,
}

impl Read {
    /// The statements kept for the block that gave `changes[i]`.
    pub(crate) fn kept_of(&self, i: usize) -> Option<&str> {
        let kept = &self.file.kept;
        kept.binary_search_by_key(&i, |(at, _)| *at)
            .ok()
            .and_then(|k| kept.get(k))
            .map(|(_, text)| &**text)
    }
}

/// The most diagnostics a refusal shows.
const SHOWN: usize = 3;

fn not_leases(path: &Path, why: String) -> StoreError {
    StoreError::Refused {
        path: path.to_path_buf(),
        found: format!("a text file that is not a dhcpd.leases ({why})"),
        advice: "give -lf the path of a dhcpd.leases (or a new path); charruad -T -lf FILE shows every error".into(),
    }
}

/// Reads the lease file at `path`.
pub(crate) fn read(path: &Path) -> Result<Read, StoreError> {
    let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
    parse(path, bytes)
}

/// Reads `bytes`, the content of the lease file at `path`.
pub(crate) fn parse(path: &Path, bytes: Vec<u8>) -> Result<Read, StoreError> {
    let text = String::from_utf8(bytes).map_err(|e| {
        not_leases(
            path,
            format!("not text at byte {}", e.utf8_error().valid_up_to()),
        )
    })?;
    let name = path.display().to_string();
    let file = leases::read(&name, text);
    let text = file.sources.text(FileId(0));
    if !file.has_errors() {
        let statements = file.changes.len() + file.kept_top.len();
        if !text.is_empty()
            && statements == 0
            && !text.starts_with(HEADER_FIRST_LINE)
            && !text.contains("authoring-byte-order")
        {
            return Err(not_leases(path, "no lease file statement in it".into()));
        }
        return Ok(Read { file, torn: 0 });
    }
    // A torn tail: everything up to the end of the last whole statement reads cleanly, and
    // what follows is shorter than a crash can leave.
    let end = last_statement_end(text);
    let tail = (text.len() - end) as u64;
    if tail <= MAX_TORN && is_block_start(text.get(end..).unwrap_or_default()) {
        let prefix = leases::read(&name, text.get(..end).unwrap_or_default().to_string());
        if !prefix.has_errors() {
            return Ok(Read {
                file: prefix,
                torn: tail,
            });
        }
    }
    let shown: Vec<String> = file
        .diagnostics
        .iter()
        .filter(|d| d.severity == charrua_conf::Severity::Error)
        .take(SHOWN)
        .map(|d| d.render(&file.sources))
        .collect();
    Err(not_leases(path, shown.join("\n")))
}

/// Whether `tail` is what a crash leaves of an appended lease block: its start, perhaps
/// followed by zeros where the file was extended but not written.
fn is_block_start(tail: &str) -> bool {
    let written = tail.trim_end_matches('\0');
    written.starts_with("lease ") || (!written.is_empty() && "lease ".starts_with(written))
}

/// Where the last whole top-level statement of `text` ends, with the blank space after it: a
/// block's closing `}` or a one-line statement's `;`, at the start of a line, as both dhcpd
/// and charrua write them (statements inside blocks are indented).
fn last_statement_end(text: &str) -> usize {
    let mut end = 0;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        at += line.len();
        let whole = line.ends_with('\n');
        let closes = line.starts_with('}');
        let one_line = !line.starts_with([' ', '\t', '#', '\n']) && line.trim_end().ends_with(';');
        if whole && (closes || one_line) {
            end = at;
        }
    }
    let rest = text.get(end..).unwrap_or_default();
    end + rest.len() - rest.trim_start().len()
}
