//! The table of charruad's flags ([`FLAGS`]), and the usage text written from it.

use std::path::PathBuf;

use super::{local_address, socket_address, Args, ArgsError};

/// What a flag takes, and how it sets [`Args`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Takes {
    /// A switch: no value.
    Nothing(fn(&mut Args)),
    /// A value, named for the usage text (`FILE`), and how it is read.
    Value(&'static str, fn(&mut Args, String) -> Result<(), ArgsError>),
    /// `-h`: the answer is the usage text; nothing is served.
    Help,
}

/// One flag of charruad's command line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flag {
    /// Every spelling the parser accepts: dhcpd's single-dash word first, where it has one.
    pub(crate) names: &'static [&'static str],
    /// What it takes and sets.
    pub(crate) takes: Takes,
    /// What it does, for the usage text and the man page: paragraphs separated by `\n`.
    pub(crate) help: &'static str,
    /// Left out of the usage text and the man page (`--man`, the page's own generator).
    pub(crate) hidden: bool,
}

impl Flag {
    /// The name of the value it takes (`FILE`), if any.
    pub(crate) fn value_name(&self) -> Option<&'static str> {
        match self.takes {
            Takes::Value(name, _) => Some(name),
            Takes::Nothing(_) | Takes::Help => None,
        }
    }
}

/// A visible flag.
const fn flag(names: &'static [&'static str], takes: Takes, help: &'static str) -> Flag {
    Flag {
        names,
        takes,
        help,
        hidden: false,
    }
}

/// Every flag charruad takes, in the order the usage text lists them.
pub(crate) const FLAGS: &[Flag] = &[
    flag(
        &["-t", "--test"],
        Takes::Nothing(|a| a.test_config = true),
        "check the configuration file and exit",
    ),
    flag(
        &["-T", "--test-leases"],
        Takes::Nothing(|a| a.test_leases = true),
        "check the lease file and exit",
    ),
    flag(
        &["--print"],
        Takes::Nothing(|a| a.print = true),
        "with -t: print the configuration as charruad understood it",
    ),
    flag(
        &["-cf", "--config"],
        Takes::Value("FILE", |a, v| {
            a.config = PathBuf::from(v);
            Ok(())
        }),
        "configuration (default /etc/dhcp/dhcpd.conf)",
    ),
    flag(
        &["-lf", "--leases"],
        Takes::Value("FILE", |a, v| {
            a.lease_file = Some(PathBuf::from(v));
            Ok(())
        }),
        "lease file (default /var/lib/dhcp/dhcpd.leases), held with FILE.lock; a \
         lease-file-name in the configuration wins, as in dhcpd",
    ),
    flag(
        &["--lease-format"],
        Takes::Value("auto|isc|journal", |a, v| {
            a.lease_format = v.parse().map_err(ArgsError::Store)?;
            Ok(())
        }),
        "auto (default): an ISC dhcpd.leases, an empty or a missing file is served and written \
         in ISC's format; a charrua journal stays a journal. Anything else is refused and left \
         as it is.\npostgresql: -lf is a PostgreSQL connection string (a postgresql:// URL is \
         taken as one with any format)",
    ),
    flag(
        &["--store"],
        Takes::Value("LOCATION", |a, v| {
            a.store = Some(PathBuf::from(v));
            Ok(())
        }),
        "the lease store, over lease-file-name and -lf: a file, or a PostgreSQL database \
         several servers share, e.g. \
         postgresql://dhcp@db1,db2/dhcp?target_session_attrs=read-write",
    ),
    flag(
        &["--server-name"],
        Takes::Value("NAME", |a, v| {
            a.server_name = Some(v);
            Ok(())
        }),
        "the name this server writes a shared database as (default: the host name)",
    ),
    flag(
        &["-pf", "--pid-file"],
        Takes::Value("FILE", |a, v| {
            a.pid_file = Some(PathBuf::from(v));
            Ok(())
        }),
        "pid file (default /run/charruad.pid); a pid-file-name in the configuration wins",
    ),
    flag(
        &["-user", "--user"],
        Takes::Value("NAME", |a, v| {
            a.user = Some(v);
            Ok(())
        }),
        "drop privileges to this user once the socket is open",
    ),
    flag(
        &["-group", "--group"],
        Takes::Value("NAME", |a, v| {
            a.group = Some(v);
            Ok(())
        }),
        "drop privileges to this group once the socket is open (default: the user's group)",
    ),
    flag(
        &["-p", "--port"],
        Takes::Value("PORT", |a, v| {
            a.port = v
                .parse()
                .ok()
                .filter(|p| *p > 0 && *p < u16::MAX)
                .ok_or(ArgsError::BadPort(v))?;
            Ok(())
        }),
        "server port (default 67; clients are answered on PORT + 1)",
    ),
    flag(
        &["-d", "--debug"],
        Takes::Nothing(|a| a.debug = true),
        "log debug detail, to standard error (as -f)",
    ),
    flag(
        &["-f", "--foreground"],
        Takes::Nothing(|a| a.foreground = true),
        "log to standard error instead of syslog (charruad never forks: it always stays in \
         the foreground)",
    ),
    flag(
        &["-4"],
        Takes::Nothing(|_| {}),
        "accepted for dhcpd compatibility: charruad serves DHCPv4",
    ),
    flag(
        &["-q", "--quiet"],
        Takes::Nothing(|a| a.quiet = true),
        "no banner",
    ),
    flag(
        &["--commit-interval"],
        Takes::Value("USEC", |a, v| {
            a.commit_interval_us = v
                .parse()
                .ok()
                .filter(|us| *us <= 1_000_000)
                .ok_or(ArgsError::BadCommitInterval(v))?;
            Ok(())
        }),
        "shortest time between two syncs of the lease store (default 1000); leases \
         acknowledged meanwhile share the next sync, 0 syncs at once",
    ),
    flag(
        &["--syslog-socket"],
        Takes::Value("PATH", |a, v| {
            a.syslog_socket = PathBuf::from(v);
            Ok(())
        }),
        "the syslog socket (default /dev/log): without -d and -f the log goes there, with the \
         configuration's log-facility (default daemon), unless standard error is the journal; \
         with -d or -f, also there when the configuration sets log-facility",
    ),
    flag(
        &["--control-socket"],
        Takes::Value("PATH", |a, v| {
            a.control_socket = Some(PathBuf::from(v));
            Ok(())
        }),
        "serve the Kea-style control API (charrua ctl) on this Unix socket, mode 0600",
    ),
    flag(
        &["--control-http"],
        Takes::Value("ADDR:PORT", |a, v| {
            a.control_http = Some(local_address("--control-http", v)?);
            Ok(())
        }),
        "serve the control API over HTTP too, on a loopback address; needs --control-auth",
    ),
    flag(
        &["--control-auth"],
        Takes::Value("FILE", |a, v| {
            a.control_auth = Some(PathBuf::from(v));
            Ok(())
        }),
        "user:password lines the HTTP control API accepts (basic authentication)",
    ),
    flag(
        &["--metrics"],
        Takes::Value("ADDR:PORT", |a, v| {
            a.metrics = Some(socket_address("--metrics", v)?);
            Ok(())
        }),
        "serve Prometheus metrics on http://ADDR:PORT/metrics",
    ),
    flag(
        &["--reservations"],
        Takes::Value("FILE", |a, v| {
            a.reservations = Some(PathBuf::from(v));
            Ok(())
        }),
        "where reservations made through the control API are kept (default: \
         charruad-reservations.json beside the lease file; required for them with a database)",
    ),
    flag(
        &["--inject-store-faults"],
        Takes::Value("stall=P:MIN-MAX,fail=P,seed=N", |a, v| {
            a.store_faults = Some(v.parse().map_err(ArgsError::Store)?);
            Ok(())
        }),
        "for tests only: lease commits stall (MIN-MAX ms) and fail (EIO)",
    ),
    flag(&["-h", "--help"], Takes::Help, "print this usage and exit"),
    Flag {
        names: &["--man"],
        takes: Takes::Nothing(|a| a.man = true),
        help: "print the man page, charruad(8), and exit",
        hidden: true,
    },
];

/// The flags the synopsis names one by one: dhcpd's own (single-dash) ones; the rest are
/// `[--OPTION...]`.
pub(crate) fn synopsis_flags() -> impl Iterator<Item = &'static Flag> {
    FLAGS
        .iter()
        .filter(|f| !f.hidden && f.names.first().is_some_and(|n| !n.starts_with("--")))
}

/// Where the usage text's help column starts, and how wide it wraps.
const HELP_COLUMN: usize = 23;
const WIDTH: usize = 90;

/// The usage text: a dhcpd-style synopsis, then every visible flag of [`FLAGS`].
pub(crate) fn usage() -> String {
    let mut words: Vec<String> = synopsis_flags()
        .map(|f| match f.value_name() {
            Some(value) => format!("[{} {value}]", f.names[0]),
            None => format!("[{}]", f.names[0]),
        })
        .collect();
    words.extend(["[--OPTION...]".into(), "[if0 [...ifN]]".into()]);
    let mut out = String::new();
    wrap(
        &mut out,
        "usage: charruad ",
        words.iter().map(String::as_str),
        16,
    );
    out.push('\n');
    for flag in FLAGS.iter().filter(|f| !f.hidden) {
        let mut left = format!("  {}", flag.names.join(", "));
        if let Some(value) = flag.value_name() {
            left = format!("{left} {value}");
        }
        let mut paragraphs = flag.help.split('\n');
        if left.len() < HELP_COLUMN {
            let first = paragraphs.next().unwrap_or_default();
            let left = format!("{left:HELP_COLUMN$}");
            wrap(&mut out, &left, first.split_whitespace(), HELP_COLUMN);
        } else {
            out.push_str(&left);
            out.push('\n');
        }
        for paragraph in paragraphs {
            let indent = " ".repeat(HELP_COLUMN);
            wrap(&mut out, &indent, paragraph.split_whitespace(), HELP_COLUMN);
        }
    }
    out.pop();
    out
}

/// Appends `words` after `first` (`indent` wide), wrapped at [`WIDTH`], each following line
/// indented by `indent`.
fn wrap<'a>(out: &mut String, first: &str, words: impl Iterator<Item = &'a str>, indent: usize) {
    let mut line = first.to_string();
    let mut empty = true;
    for word in words {
        if !empty && line.len() + 1 + word.len() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::parse;

    fn args(s: &str) -> Result<Args, ArgsError> {
        parse(s.split_whitespace().map(String::from))
    }

    /// A value each kind of flag accepts.
    fn example(value: &str) -> &'static str {
        match value {
            "PORT" => "6767",
            "USEC" => "10",
            "ADDR:PORT" => "127.0.0.1:8004",
            "auto|isc|journal" => "journal",
            "stall=P:MIN-MAX,fail=P,seed=N" => "stall=0.5:10-20,fail=0.1,seed=7",
            _ => "/x",
        }
    }

    #[test]
    fn every_flag_of_the_table_parses_by_every_name() {
        let default = args("").unwrap();
        for flag in FLAGS {
            let mut by_name = flag.names.iter().map(|name| {
                let mut words = vec![name.to_string()];
                words.extend(flag.value_name().map(|v| example(v).to_string()));
                // --control-http is refused without --control-auth.
                words.extend(["--control-auth".to_string(), "/x".to_string()]);
                parse(words)
            });
            let first = by_name.next().unwrap();
            assert!(by_name.all(|other| other == first), "{:?}", flag.names);
            match (flag.takes, first) {
                (Takes::Help, Err(ArgsError::Help)) => {}
                (Takes::Nothing(_) | Takes::Value(..), Ok(a)) => {
                    let with_auth_only = args("--control-auth /x").unwrap();
                    // -4 is accepted and changes nothing, as in dhcpd.
                    let compatibility = ["-4", "--control-auth"].contains(&flag.names[0]);
                    assert_eq!(a == with_auth_only, compatibility, "{:?}", flag.names);
                    assert_ne!(a, default, "{:?}", flag.names);
                }
                (_, other) => panic!("{:?}: {other:?}", flag.names),
            }
        }
    }

    #[test]
    fn the_parser_takes_only_the_flags_of_the_table() {
        let names: Vec<&str> = FLAGS.iter().flat_map(|f| f.names.iter().copied()).collect();
        for (i, name) in names.iter().enumerate() {
            assert!(name.starts_with('-') && name.len() > 1, "{name}");
            assert!(
                !names[i + 1..].contains(name),
                "{name} is in the table twice"
            );
        }
        // Every flag dhcpd(8) and earlier charruad took is in the table; near misses are not.
        for flag in [
            "-4", "-f", "-d", "-q", "-t", "-T", "-cf", "-lf", "-pf", "-user", "-group", "-p", "-h",
        ] {
            assert!(names.contains(&flag), "{flag}");
        }
        for word in [
            "-",
            "--",
            "-c",
            "--conf",
            "-cff",
            "--TEST",
            "-test",
            "--man-page",
        ] {
            assert_eq!(args(word), Err(ArgsError::Unknown(word.into())));
        }
        assert!(args("--man").unwrap().man);
    }

    #[test]
    fn usage_lists_every_visible_flag_within_its_width() {
        let text = usage();
        assert!(
            text.starts_with("usage: charruad [-t] [-T] [-cf FILE]"),
            "{text}"
        );
        for flag in FLAGS {
            let line = format!("  {}", flag.names.join(", "));
            assert_eq!(text.contains(&line), !flag.hidden, "{line}");
        }
        assert!(text.lines().all(|l| l.len() <= WIDTH), "{text}");
        assert_eq!(
            args("-cf").unwrap_err().to_string(),
            format!("-cf needs a value\n{text}")
        );
    }
}
