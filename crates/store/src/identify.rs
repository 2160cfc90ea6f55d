//! What a file at a lease store path is, found before anything is written to it: charrua never
//! truncates, rewrites, renames or deletes a file it cannot prove it wrote. Journal files prove
//! it with a magic and a format version in their first bytes; an ISC dhcpd.leases is taken over
//! as ISC dhcpd would take it (see [`crate::isc`]); anything else is refused, untouched, with
//! what it looks like.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The first bytes of every journal file: a non-ASCII octet so no text file starts so, then the
/// name, then CR LF, SUB, LF so that a transfer that rewrites line ends shows (as PNG does).
pub const MAGIC: [u8; 12] = *b"\x89CHARRUA\r\n\x1a\n";
/// The journal format this build writes and reads.
pub const VERSION: u32 = 1;
/// Magic, version (u32 LE) and a CRC32C of both (u32 LE).
pub const HEADER_LEN: usize = 20;

/// The header that starts every journal file.
pub fn header() -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    let (head, crc) = out.split_at_mut(16);
    let (magic, version) = head.split_at_mut(12);
    magic.copy_from_slice(&MAGIC);
    version.copy_from_slice(&VERSION.to_le_bytes());
    crc.copy_from_slice(&crc32c::crc32c(head).to_le_bytes());
    out
}

/// Whether `bytes` (a whole file) is what a crash can leave of a file charrua was creating:
/// nothing, or the beginning of the header. Only such a file may be removed as a leftover.
pub fn is_header_prefix(bytes: &[u8]) -> bool {
    bytes.len() <= HEADER_LEN && header().starts_with(bytes)
}

/// What was found at a store path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Nothing there.
    Missing,
    /// A regular file of zero bytes.
    Empty,
    /// A charrua journal of the version this build reads.
    Journal,
    /// A charrua journal of another format version.
    JournalVersion(u32),
    /// The start of a journal header that does not verify.
    DamagedJournalHeader,
    /// Text, perhaps an ISC dhcpd.leases (the ISC reader decides).
    Text,
    /// A directory.
    Directory,
    /// A symbolic link (to its target).
    Symlink(PathBuf),
    /// A device, socket or pipe.
    Special,
    /// Bytes of a known kind that is not a lease file ("a JPEG image").
    Kind(&'static str),
    /// Bytes that are neither text nor a known kind.
    Binary,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("no such file"),
            Self::Empty => f.write_str("an empty file"),
            Self::Journal => write!(f, "a charrua journal (format version {VERSION})"),
            Self::JournalVersion(v) => write!(
                f,
                "a charrua journal of format version {v}, which this charrua (version {VERSION}) cannot read; use the charrua that wrote it"
            ),
            Self::DamagedJournalHeader => {
                f.write_str("a charrua journal whose header is damaged (its checksum does not match)")
            }
            Self::Text => f.write_str("a text file that is not a dhcpd.leases"),
            Self::Directory => f.write_str("a directory"),
            Self::Symlink(to) => write!(
                f,
                "a symbolic link to {}; give the real path",
                to.display()
            ),
            Self::Special => f.write_str("a device, socket or pipe, not a regular file"),
            Self::Kind(kind) => f.write_str(kind),
            Self::Binary => f.write_str("binary data that is neither a charrua journal nor a dhcpd.leases"),
        }
    }
}

/// Known kinds of file, by their first bytes.
const KINDS: &[(&[u8], &str)] = &[
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ", "an xz-compressed file"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x7fELF", "an ELF executable"),
    (b"SQLite format 3\0", "an SQLite database"),
];

/// Looks at `path` without following a symbolic link and without changing anything.
pub fn identify(path: &Path) -> Result<Found, std::io::Error> {
    if path.file_name().is_none() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not the path of a file",
        ));
    }
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return Ok(Found::Symlink(std::fs::read_link(path)?));
    }
    if meta.is_dir() {
        return Ok(Found::Directory);
    }
    if !meta.is_file() {
        return Ok(Found::Special);
    }
    if meta.len() == 0 {
        return Ok(Found::Empty);
    }
    let mut head = Vec::with_capacity(4096);
    File::open(path)?.take(4096).read_to_end(&mut head)?;
    Ok(classify(&head))
}

/// What the first bytes of a non-empty file say it is.
pub fn classify(head: &[u8]) -> Found {
    let expected = header();
    if let Some(found) = head.get(..HEADER_LEN) {
        if found == expected {
            return Found::Journal;
        }
        let (magic, rest) = found.split_at(12);
        let (version, crc) = rest.split_at(4);
        let same = magic.iter().zip(MAGIC).filter(|(a, b)| **a == *b).count();
        if magic == MAGIC
            && crc32c::crc32c(found.get(..16).unwrap_or_default()).to_le_bytes() == crc
        {
            let v = u32::from_le_bytes(version.try_into().unwrap_or_default());
            return Found::JournalVersion(v);
        }
        // One or two damaged octets in the magic still say whose file it is.
        if same >= 10 {
            return Found::DamagedJournalHeader;
        }
    }
    if let Some((_, kind)) = KINDS.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Found::Kind(kind);
    }
    // A cut in the middle of a multi-byte character at the end of the sample is still text.
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    if text && !head.contains(&0) {
        Found::Text
    } else {
        Found::Binary
    }
}

/// Refuses a regular file its owner may not write (mode without `u+w`): the operator made it
/// read-only, and charrua does not override that even as root.
pub fn check_writable(path: &Path) -> Result<(), crate::StoreError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.mode() & 0o200 == 0 => Err(crate::StoreError::Refused {
            path: path.to_path_buf(),
            found: format!(
                "a read-only file (mode {:04o}, owner uid {})",
                meta.mode() & 0o7777,
                meta.uid()
            ),
            advice: "make it writable by its owner, or give -lf another path".into(),
        }),
        _ => Ok(()),
    }
}
