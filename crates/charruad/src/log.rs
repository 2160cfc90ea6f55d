//! How charruad prints a configuration diagnostic, and where its log goes.

/// A configuration diagnostic as charruad prints it: rendered with its line and caret, and for
/// a warning given `count` times in its file, how many.
pub(crate) fn diagnostic(
    d: &charrua_conf::Diagnostic,
    count: usize,
    sources: &charrua_conf::Sources,
) -> String {
    let rendered = d.render(sources);
    if count > 1 {
        format!(
            "{rendered}\n  (given {count} times in {})",
            sources.name(d.span.file)
        )
    } else {
        rendered
    }
}

/// Where the log goes, chosen once at start: as ISC dhcpd chooses (server/dhcpd.c: syslog
/// when it runs as a daemon, standard error when `-d` or `-f` keeps it in the foreground),
/// and the journal when systemd started charruad with its standard error on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    /// `-d` or `-f`: standard error, `TIME LEVEL message`; syslog too when the configuration
    /// sets `log-facility`.
    Stderr,
    /// Standard error is the journal: `<N>message` lines there (sd-daemon(3)), journald files
    /// each at priority N; nothing to the syslog socket, which journald also reads.
    Journal,
    /// syslog, at the configuration's `log-facility` or `daemon`; nothing on standard error.
    Syslog,
}

impl Output {
    /// Where the log goes with `-d`/`-f` (`foreground`) or without, and whether standard
    /// error is the journal ([`stderr_is_journal`]).
    pub(crate) fn choose(foreground: bool, journal: bool) -> Self {
        if foreground {
            Self::Stderr
        } else if journal {
            Self::Journal
        } else {
            Self::Syslog
        }
    }
}

/// Whether standard error is connected to the journal: systemd sets `JOURNAL_STREAM` to the
/// device and inode numbers of that stream (`DEV:INODE`, systemd.exec(5)), and a process
/// whose standard error is still that file may use the journal's conventions on it.
pub(crate) fn stderr_is_journal() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Some(value) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let stderr = std::io::stderr();
    let Ok(fd) = stderr.as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|m| value.to_str().is_some_and(|v| names(v, m.dev(), m.ino())))
}

/// Whether `JOURNAL_STREAM`'s `value` names the file with `dev` and `ino`.
fn names(value: &str, dev: u64, ino: u64) -> bool {
    let parsed = value
        .split_once(':')
        .and_then(|(d, i)| Some((d.parse::<u64>().ok()?, i.parse::<u64>().ok()?)));
    parsed == Some((dev, ino))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreground_flags_keep_the_log_on_standard_error() {
        assert_eq!(Output::choose(true, true), Output::Stderr);
        assert_eq!(Output::choose(true, false), Output::Stderr);
        assert_eq!(Output::choose(false, true), Output::Journal);
        assert_eq!(Output::choose(false, false), Output::Syslog);
    }

    #[test]
    fn journal_stream_must_name_the_file_of_standard_error() {
        assert!(names("64768:1234", 64768, 1234));
        assert!(!names("64768:1234", 64768, 1235));
        assert!(!names("64768:1234", 64769, 1234));
        for bad in [
            "",
            "64768",
            "64768:",
            ":1234",
            "64768:1234:5",
            "x:1234",
            "-1:1234",
        ] {
            assert!(!names(bad, 64768, 1234), "{bad:?}");
        }
    }
}
