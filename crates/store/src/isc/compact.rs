//! Writing the lease file anew, as dhcpd's `new_lease_file` (server/db.c) does: the live
//! leases to a new file, synced; the old file linked to `PATH~`; the new one renamed over
//! `PATH`; then, beyond dhcpd, the directory synced. A crash at any step leaves a complete
//! lease file at `PATH`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use charrua_conf::leases::{write, LeaseFile, HEADER_FIRST_LINE};
use charrua_server::LeaseChange;

use super::replay;
use crate::journal::{io, sibling, sync_dir};
use crate::StoreError;

/// Where a new lease file is written before it is renamed over `path`.
pub(crate) fn new_path(path: &Path) -> PathBuf {
    sibling(path, ".charrua-new")
}

/// Removes `new` if it is what charrua leaves there: nothing, or a file that starts with the
/// header charrua writes (or a part of its first line); refuses anything else.
pub(crate) fn remove_leftover(new: &Path) -> Result<(), StoreError> {
    let mut head = Vec::new();
    match File::open(new) {
        Ok(f) => f
            .take(4096)
            .read_to_end(&mut head)
            .map_err(|e| io(new, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(new, e)),
    };
    let text = String::from_utf8_lossy(&head);
    let ours = write::is_written_by_charrua(&text) || HEADER_FIRST_LINE.starts_with(&*text);
    if !ours || !std::fs::symlink_metadata(new).is_ok_and(|m| m.is_file()) {
        return Err(StoreError::Refused {
            path: new.to_path_buf(),
            found: "a file charrua did not write, where it writes a new lease file".into(),
            advice: "move it away".into(),
        });
    }
    std::fs::remove_file(new).map_err(|e| io(new, e))
}

/// The live leases of `file` as a whole lease file: the header, the declarations kept, and one
/// block per address (the last one read), in address order.
pub(crate) fn render(file: &LeaseFile) -> String {
    let mut last = BTreeMap::new();
    for (i, change) in file.changes.iter().enumerate() {
        match change {
            LeaseChange::Set(lease) => {
                last.insert(lease.address, i);
            }
            LeaseChange::Remove(address) => {
                last.remove(address);
            }
        }
    }
    let mut out = String::with_capacity(last.len() * 256 + 256);
    write::header(&mut out);
    for declaration in &file.kept_top {
        out.push_str(declaration);
    }
    let kept: BTreeMap<usize, &str> = file.kept.iter().map(|(i, t)| (*i, &**t)).collect();
    for i in last.into_values() {
        if let Some(change) = file.changes.get(i) {
            write::change(&mut out, change, kept.get(&i).copied());
        }
    }
    out
}

/// Creates `new` (it must not exist) with the mode and owner of `path`, or 0644 as dhcpd's
/// files are under the usual umask.
fn create(path: &Path, new: &Path) -> Result<File, StoreError> {
    let like = std::fs::metadata(path).ok();
    let mode = like.as_ref().map_or(0o644, |m| m.mode() & 0o666);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(new)
        .map_err(|e| io(new, e))?;
    if let Some(m) = like {
        // The umask may have taken bits away; the owner is kept where this process may set it.
        let _ = file.set_permissions(std::fs::Permissions::from_mode(mode));
        let _ = std::os::unix::fs::fchown(&file, Some(m.uid()), Some(m.gid()));
    }
    Ok(file)
}

/// Links `path` to `PATH~` and renames `new` over `path`, then syncs the directory. The backup
/// rotates as dhcpd rotates it: an older `PATH~` is replaced only if it is a lease file (it
/// starts with the line every dhcpd.leases starts with) its owner may write; anything else
/// there is left alone, and no backup is made.
fn install_file(path: &Path, new: &Path, backup_required: bool) -> Result<(), StoreError> {
    if path.exists() {
        let backup = sibling(path, "~");
        let mut head = Vec::new();
        let replaceable = match std::fs::symlink_metadata(&backup) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Ok(m) if m.is_file() && m.mode() & 0o200 != 0 => File::open(&backup)
                .and_then(|f| {
                    f.take(HEADER_FIRST_LINE.len() as u64)
                        .read_to_end(&mut head)
                })
                .is_ok_and(|_| head == HEADER_FIRST_LINE.as_bytes()),
            _ => false,
        };
        // Something other than a lease file at PATH~ stays, and no backup is made.
        if !replaceable && backup_required {
            return Err(StoreError::Refused {
                path: backup,
                found: "not a lease file charrua may replace with the backup it must make".into(),
                advice: "move it away".into(),
            });
        }
        if replaceable {
            match std::fs::remove_file(&backup) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&backup, e)),
                _ => {}
            }
            std::fs::hard_link(path, &backup).map_err(|e| io(&backup, e))?;
        }
    }
    std::fs::rename(new, path).map_err(|e| io(path, e))?;
    sync_dir(path)
}

/// Writes `bytes` as the new lease file at `path` (through `new`), durably; the old file, if
/// any, is kept as `PATH~`, or nothing is installed.
pub(crate) fn install(path: &Path, new: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = create(path, new)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io(new, e))?;
    install_file(path, new, true).inspect_err(|_| {
        let _ = std::fs::remove_file(new);
    })
}

/// The compaction thread: the first `covered` bytes of the lease file (read through `reader`)
/// written anew to `PATH.charrua-new`, synced. Returns the new file, not yet installed.
pub(crate) fn write_new(path: &Path, reader: &File, covered: u64) -> Result<File, StoreError> {
    let len = usize::try_from(covered).map_err(|_| StoreError::Io {
        path: path.to_path_buf(),
        message: "lease file too large for this machine".into(),
    })?;
    let mut bytes = vec![0; len];
    reader
        .read_exact_at(&mut bytes, 0)
        .map_err(|e| io(path, e))?;
    let text = render(&replay::parse(path, bytes)?.file);
    let new = new_path(path);
    let mut file = create(path, &new)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io(&new, e))?;
    Ok(file)
}

/// Copies the blocks appended to `old` since the compaction covered `covered` bytes onto the
/// end of `new_file`, syncs it and installs it. Returns the new file and its length.
pub(crate) fn finish(
    path: &Path,
    new: &Path,
    old: &File,
    new_file: File,
    covered: u64,
    durable: u64,
) -> Result<(File, u64), StoreError> {
    let len = usize::try_from(durable.saturating_sub(covered)).unwrap_or(0);
    let mut tail = vec![0; len];
    old.read_exact_at(&mut tail, covered)
        .map_err(|e| io(path, e))?;
    let start = new_file.metadata().map_err(|e| io(new, e))?.len();
    new_file
        .write_all_at(&tail, start)
        .and_then(|()| new_file.sync_all())
        .map_err(|e| io(new, e))?;
    install_file(path, new, false)?;
    Ok((new_file, start + tail.len() as u64))
}
