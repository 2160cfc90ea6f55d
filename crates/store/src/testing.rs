//! Test support for the tests of the store, of the `charrua leases` commands and of the daemon:
//! files a lease store must never change, put where a store path points; a record of a file's
//! bytes and metadata to compare before and after; ISC `dhcpd -T` as the judge of a lease file;
//! a small tmpfs to fill.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::identify;

/// A kind of file found at a store path.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// What it is.
    pub name: &'static str,
    /// Puts it at the path.
    pub make: fn(&Path),
    /// Whether an ISC store may serve it (an ISC lease file, an empty file).
    pub is_isc: bool,
    /// What the refusal says, in part.
    pub refusal: &'static str,
}

/// A dhcpd.leases written by a real ISC dhcpd (testdata/leases).
pub const ISC_LEASES: &str = include_str!("../../../testdata/leases/isc-dhclient-udhcpc.leases");

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn write(path: &Path, bytes: &[u8]) {
    if let Err(e) = std::fs::write(path, bytes) {
        report(path, &e);
    }
}

/// Reports a fixture that could not be made; the comparison that follows then fails.
fn report(path: &Path, e: &std::io::Error) {
    eprintln!("fixture {}: {e}", path.display());
}

/// A journal whose header says format version 2.
fn future_journal(path: &Path) {
    let mut bytes = identify::header().to_vec();
    let version = 2u32.to_le_bytes();
    bytes.splice(12..16, version);
    let crc = crc32c::crc32c(bytes.get(..16).unwrap_or_default()).to_le_bytes();
    bytes.splice(16..20, crc);
    bytes.extend_from_slice(&noise(200, 7));
    write(path, &bytes);
}

/// A journal with one octet of its header flipped.
fn flipped_header(path: &Path) {
    let mut bytes = identify::header().to_vec();
    if let Some(b) = bytes.get_mut(5) {
        *b ^= 0x10;
    }
    bytes.extend_from_slice(&noise(200, 9));
    write(path, &bytes);
}

/// The kinds of file every store path is tried with.
pub const CASES: &[Case] = &[
    Case {
        name: "ISC lease file",
        make: |p| write(p, ISC_LEASES.as_bytes()),
        is_isc: true,
        refusal: "--lease-format isc",
    },
    Case {
        name: "empty file",
        make: |p| write(p, b""),
        is_isc: true,
        refusal: "an empty file",
    },
    Case {
        name: "text file",
        make: |p| {
            write(
                p,
                b"Notes for the network team.\nThe DHCP server moves on Friday.\n",
            )
        },
        is_isc: false,
        refusal: "not a dhcpd.leases",
    },
    Case {
        name: "dhcpd.conf",
        make: |p| {
            write(
                p,
                b"option domain-name \"example.org\";\nsubnet 192.0.2.0 netmask 255.255.255.0 {\n  range 192.0.2.10 192.0.2.20;\n}\n",
            )
        },
        is_isc: false,
        refusal: "not a dhcpd.leases",
    },
    Case {
        name: "random bytes",
        make: |p| write(p, &noise(4096, 42)),
        is_isc: false,
        refusal: "binary data",
    },
    Case {
        name: "JPEG",
        make: |p| {
            let mut jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01".to_vec();
            jpeg.extend_from_slice(&noise(2000, 3));
            write(p, &jpeg)
        },
        is_isc: false,
        refusal: "a JPEG image",
    },
    Case {
        name: "journal of a future format version",
        make: future_journal,
        is_isc: false,
        refusal: "format version 2",
    },
    Case {
        name: "journal with a flipped header byte",
        make: flipped_header,
        is_isc: false,
        refusal: "header is damaged",
    },
    Case {
        name: "directory",
        make: |p| {
            if let Err(e) =
                std::fs::create_dir(p).and_then(|()| std::fs::write(p.join("keep"), b"x"))
            {
                report(p, &e);
            }
        },
        is_isc: false,
        refusal: "a directory",
    },
    Case {
        name: "symlink",
        make: |p| {
            let target = p.with_extension("target");
            write(&target, ISC_LEASES.as_bytes());
            if let Err(e) = std::os::unix::fs::symlink(&target, p) {
                report(p, &e);
            }
        },
        is_isc: false,
        refusal: "a symbolic link",
    },
    Case {
        name: "file of another owner, mode 0400",
        make: |p| {
            write(p, ISC_LEASES.as_bytes());
            // Owned by nobody where this process may give it away (as root).
            let _ = std::os::unix::fs::chown(p, Some(65534), Some(65534));
            if let Err(e) =
                std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(0o400))
            {
                report(p, &e);
            }
        },
        is_isc: false,
        refusal: "read-only",
    },
];

/// A file's (or a directory's, or a link's and its target's) bytes and metadata.
#[derive(Clone, PartialEq, Eq)]
pub struct Snapshot(Vec<(PathBuf, Option<Vec<u8>>, [i64; 7])>);

impl Snapshot {
    /// The bytes of the file itself (the first path recorded), if it is a regular file.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.0.first().and_then(|(_, bytes, _)| bytes.as_deref())
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (path, bytes, meta) in &self.0 {
            let crc = bytes.as_deref().map(crc32c::crc32c);
            writeln!(
                f,
                "{}: crc32c {crc:08x?}, [len, mode, uid, gid, mtime, ns, inode] {meta:?}",
                path.display()
            )?;
        }
        Ok(())
    }
}

impl Snapshot {
    /// Records `path` and, for a directory, what is in it; for a link, its target.
    pub fn take(path: &Path) -> Self {
        let mut out = Vec::new();
        let mut paths = vec![path.to_path_buf()];
        if let Ok(entries) = std::fs::read_dir(path) {
            let mut inside: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            inside.sort();
            paths.extend(inside);
        }
        if let Ok(target) = std::fs::read_link(path) {
            paths.push(path.parent().unwrap_or(Path::new(".")).join(target));
        }
        for p in paths {
            let meta = std::fs::symlink_metadata(&p).ok().map_or([0; 7], |m| {
                [
                    m.len() as i64,
                    i64::from(m.mode()),
                    i64::from(m.uid()),
                    i64::from(m.gid()),
                    m.mtime(),
                    m.mtime_nsec(),
                    m.ino() as i64,
                ]
            });
            let bytes = std::fs::symlink_metadata(&p)
                .ok()
                .filter(|m| m.is_file())
                .and_then(|_| std::fs::read(&p).ok());
            out.push((p, bytes, meta));
        }
        Self(out)
    }
}

/// ISC `dhcpd -T` on the lease file `leases` with the configuration `conf`, as the judge of a
/// lease file: the leases dhcpd wrote out if it read every block without a complaint, what it
/// said otherwise. dhcpd exits 0 even when it finds corrupt blocks, and `-q` silences its
/// complaints, so its words are read. `None` (after saying so) where dhcpd is not installed;
/// under CI it must be.
pub fn dhcpd_test(conf: &Path, leases: &Path) -> Option<Result<usize, String>> {
    let pid = leases.with_extension("dhcpd-T.pid");
    let out = match std::process::Command::new("timeout")
        .args(["30", "dhcpd", "-T", "-4", "-cf"])
        .arg(conf)
        .arg("-lf")
        .arg(leases)
        .arg("-pf")
        .arg(&pid)
        .output()
    {
        Ok(out) if out.status.code() != Some(127) => out,
        _ => {
            assert!(std::env::var_os("CI").is_none(), "CI must install dhcpd");
            eprintln!("SKIP: ISC dhcpd is not installed; not checking with dhcpd -T");
            return None;
        }
    };
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    let wrote = said
        .split("Wrote ")
        .filter_map(|r| r.split_whitespace().next()?.parse::<usize>().ok())
        .sum();
    let clean = out.status.success()
        && said.contains("Lease file test successful")
        && !said.contains("orrupt")
        && !said.contains(" line ")
        && !said.contains("no subnet");
    Some(if clean { Ok(wrote) } else { Err(said) })
}

/// A tmpfs mounted for a test (root only), unmounted when dropped.
#[derive(Debug)]
pub struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`mount -o size=`) on a new directory under `parent`; `None`
    /// where this process may not mount.
    pub fn mount(parent: &Path, size: &str) -> Option<Self> {
        let path = parent.join("tmpfs");
        std::fs::create_dir(&path).ok()?;
        let ok = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { path })
    }

    /// Its mount point.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fills it until fewer than `leave` bytes are free; returns the filler file.
    pub fn fill(&self, leave: usize) -> PathBuf {
        let filler = self.path.join("filler");
        let chunk = vec![0u8; 1024];
        if let Ok(mut file) = std::fs::File::create(&filler) {
            use std::io::Write;
            while file
                .write_all(&chunk)
                .and_then(|()| file.sync_all())
                .is_ok()
            {}
            let len = file.metadata().map_or(0, |m| m.len());
            let _ = file.set_len(len.saturating_sub(leave as u64));
        }
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(&self.path)
            .status();
    }
}
