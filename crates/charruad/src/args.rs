//! ISC dhcpd's command line (dhcpd(8)): single-dash words like `-cf FILE`, which clap does not
//! model, so they are read here; each also has a `--long` form.
//!
//! One table, [`FLAGS`], holds every flag: its spellings, the value it takes, its help and what
//! it sets. The parser accepts only what the table lists, and the usage text and the man page
//! (`charruad --man`, [`crate::man`]) are written from it.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use charrua_store::LeaseFormat;

mod flags;

pub(crate) use flags::{synopsis_flags, usage, Flag, Takes, FLAGS};

/// Debian's ISC dhcpd paths, so charruad can replace it in place.
pub(crate) const DEFAULT_CONFIG: &str = "/etc/dhcp/dhcpd.conf";
pub(crate) const DEFAULT_LEASES: &str = "/var/lib/dhcp/dhcpd.leases";
pub(crate) const DEFAULT_PID: &str = "/run/charruad.pid";

/// The parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Args {
    /// `-t`: check the configuration file and exit.
    pub(crate) test_config: bool,
    /// `-T`: check the lease file and exit.
    pub(crate) test_leases: bool,
    /// `--print` (with `-t`): print the configuration as understood.
    pub(crate) print: bool,
    /// `-cf FILE`.
    pub(crate) config: PathBuf,
    /// `-lf FILE`: the lease store, unless the configuration names one with
    /// `lease-file-name` (see [`Args::leases`]).
    pub(crate) lease_file: Option<PathBuf>,
    /// `--lease-format`: how the lease store is written.
    pub(crate) lease_format: LeaseFormat,
    /// `--store LOCATION`: the lease store, over `lease-file-name` and `-lf` (a database's
    /// connection string, or a file).
    pub(crate) store: Option<PathBuf>,
    /// `--server-name NAME`: the name this server writes a shared lease database as.
    pub(crate) server_name: Option<String>,
    /// `-pf FILE`, unless the configuration names one with `pid-file-name` (see [`Args::pid`]).
    pub(crate) pid_file: Option<PathBuf>,
    /// `-user NAME`: drop to this user once the socket is open.
    pub(crate) user: Option<String>,
    /// `-group NAME`.
    pub(crate) group: Option<String>,
    /// `-p PORT`: the server port (67).
    pub(crate) port: u16,
    /// `-q`: no banner.
    pub(crate) quiet: bool,
    /// `-d`: log debug detail, to standard error (as `-f`).
    pub(crate) debug: bool,
    /// `-f`: log to standard error, not to syslog (dhcpd's "foreground": charruad never forks).
    pub(crate) foreground: bool,
    /// Interfaces to serve; none means every one with an address in a declared subnet.
    pub(crate) interfaces: Vec<String>,
    /// `--commit-interval USEC`: shortest time between two syncs of the lease store.
    pub(crate) commit_interval_us: u64,
    /// `--syslog-socket PATH`: the syslog socket the log goes to (see [`crate::log::Output`]).
    pub(crate) syslog_socket: PathBuf,
    /// `--inject-store-faults SPEC`: for tests only, commits that stall and fail.
    pub(crate) store_faults: Option<charrua_store::faults::Faults>,
    /// `--control-socket PATH`: the Kea-style control API on a Unix socket (mode 0600).
    pub(crate) control_socket: Option<PathBuf>,
    /// `--control-http ADDR:PORT`: the control API over HTTP, on a loopback address only.
    pub(crate) control_http: Option<SocketAddr>,
    /// `--control-auth FILE`: the `user:password` lines the HTTP control API accepts.
    pub(crate) control_auth: Option<PathBuf>,
    /// `--metrics ADDR:PORT`: where Prometheus scrapes `/metrics`.
    pub(crate) metrics: Option<SocketAddr>,
    /// `--reservations FILE`: where reservations made through the control API are kept.
    pub(crate) reservations: Option<PathBuf>,
    /// `--man` (hidden): print the man page, charruad(8), and exit.
    pub(crate) man: bool,
}

/// Syncs at most a thousand times a second by default: under load many leases share one
/// fdatasync; a request after a quiet spell is still synced at once.
pub(crate) const DEFAULT_COMMIT_INTERVAL_US: u64 = 1000;

/// What is wrong with a command line. Each message is followed by the usage text where the
/// flag itself was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgsError {
    /// `-h` or `--help`: the usage text is the answer.
    Help,
    /// A word starting with `-` that no flag of [`FLAGS`] spells.
    Unknown(String),
    /// A flag given last, without the value it takes.
    MissingValue(String),
    /// `-p` without a port of 1 to 65534.
    BadPort(String),
    /// `--commit-interval` outside 0 to 1000000 microseconds.
    BadCommitInterval(String),
    /// A flag's value is not `ADDR:PORT`.
    BadSocketAddress {
        /// The flag.
        flag: &'static str,
        /// What was given.
        value: String,
    },
    /// The control API's HTTP address is not a loopback one.
    NotLoopback {
        /// The flag.
        flag: &'static str,
        /// The address given.
        value: String,
    },
    /// A `--lease-format` or `--inject-store-faults` the store refused, in its words.
    Store(String),
    /// `--control-http` without `--control-auth`.
    HttpWithoutAuth,
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Help => f.write_str(&usage()),
            Self::Unknown(flag) => write!(f, "unknown option {flag}\n{}", usage()),
            Self::MissingValue(flag) => write!(f, "{flag} needs a value\n{}", usage()),
            Self::BadPort(value) => write!(f, "-p: bad port {value:?}"),
            Self::BadCommitInterval(value) => write!(
                f,
                "--commit-interval: {value:?} is not 0 to 1000000 (microseconds)"
            ),
            Self::BadSocketAddress { flag, value } => write!(
                f,
                "{flag}: {value:?} is not ADDR:PORT (e.g. 127.0.0.1:9547)"
            ),
            Self::NotLoopback { flag, value } => write!(
                f,
                "{flag}: {value} is not a loopback address; the control API is served on this host only"
            ),
            Self::Store(message) => f.write_str(message),
            Self::HttpWithoutAuth => f.write_str(
                "--control-http needs --control-auth: the HTTP control API is never open to anyone who can connect",
            ),
        }
    }
}

impl std::error::Error for ArgsError {}

impl Args {
    /// The lease store: `--store`, else the configuration's `lease-file-name`, else `-lf`, else the default.
    /// dhcpd 4.4 reads the file's setting after the command line and takes it over `-lf`
    /// (server/dhcpd.c `postconf_initialization`; `dhcpd -T -lf A` with `lease-file-name "B"`
    /// reads B), so a site switching servers keeps the file it has. `--store`, charrua's own,
    /// wins over both.
    pub(crate) fn leases(&self, from_config: Option<&str>) -> PathBuf {
        self.store
            .clone()
            .or_else(|| from_config.map(PathBuf::from))
            .or_else(|| self.lease_file.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_LEASES))
    }

    /// The pid file: the configuration's `pid-file-name`, else `-pf`, else the default (the
    /// same order as for the lease file).
    pub(crate) fn pid(&self, from_config: Option<&str>) -> PathBuf {
        from_config
            .map(PathBuf::from)
            .or_else(|| self.pid_file.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PID))
    }
}

/// Reads `args` (without the program name): each word a flag of [`FLAGS`] (and its value),
/// or an interface.
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, ArgsError> {
    let mut out = Args {
        test_config: false,
        test_leases: false,
        print: false,
        config: PathBuf::from(DEFAULT_CONFIG),
        lease_file: None,
        lease_format: LeaseFormat::Auto,
        store: None,
        server_name: None,
        pid_file: None,
        user: None,
        group: None,
        port: 67,
        quiet: false,
        debug: false,
        foreground: false,
        interfaces: Vec::new(),
        commit_interval_us: DEFAULT_COMMIT_INTERVAL_US,
        store_faults: None,
        syslog_socket: PathBuf::from(crate::syslog::DEV_LOG),
        control_socket: None,
        control_http: None,
        control_auth: None,
        metrics: None,
        reservations: None,
        man: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if !arg.starts_with('-') {
            out.interfaces.push(arg);
            continue;
        }
        let flag = FLAGS
            .iter()
            .find(|f| f.names.contains(&arg.as_str()))
            .ok_or_else(|| ArgsError::Unknown(arg.clone()))?;
        match flag.takes {
            Takes::Nothing(set) => set(&mut out),
            Takes::Value(_, set) => {
                set(&mut out, args.next().ok_or(ArgsError::MissingValue(arg))?)?
            }
            Takes::Help => return Err(ArgsError::Help),
        }
    }
    if out.control_http.is_some() && out.control_auth.is_none() {
        return Err(ArgsError::HttpWithoutAuth);
    }
    Ok(out)
}

/// `ADDR:PORT` of `flag`.
fn socket_address(flag: &'static str, value: String) -> Result<SocketAddr, ArgsError> {
    value
        .parse()
        .map_err(|_| ArgsError::BadSocketAddress { flag, value })
}

/// `ADDR:PORT` of `flag`, on a loopback address: the control API changes leases, so it is
/// never offered to the network (Kea's control agent binds 127.0.0.1 for the same reason).
fn local_address(flag: &'static str, value: String) -> Result<SocketAddr, ArgsError> {
    let address = socket_address(flag, value.clone())?;
    if address.ip().is_loopback() {
        Ok(address)
    } else {
        Err(ArgsError::NotLoopback { flag, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, ArgsError> {
        parse(s.split_whitespace().map(String::from))
    }

    #[test]
    fn reads_isc_style_flags() {
        let a = args("-4 -f -t -q -cf /tmp/x.conf -lf /tmp/l -pf /tmp/p -user nobody -group nogroup -p 6767 eth0").unwrap();
        assert!(a.test_config && a.quiet && !a.test_leases);
        assert_eq!(a.config, PathBuf::from("/tmp/x.conf"));
        assert_eq!(a.leases(None), PathBuf::from("/tmp/l"));
        assert_eq!(a.pid(None), PathBuf::from("/tmp/p"));
        // The configuration's names win over -lf and -pf, as in dhcpd 4.4.
        assert_eq!(a.leases(Some("/x")), PathBuf::from("/x"));
        assert_eq!(a.pid(Some("/x")), PathBuf::from("/x"));
        let plain = args("").unwrap();
        assert_eq!(plain.leases(Some("/x")), PathBuf::from("/x"));
        assert_eq!(plain.leases(None), PathBuf::from(DEFAULT_LEASES));
        assert_eq!(plain.pid(None), PathBuf::from(DEFAULT_PID));
        assert_eq!(
            (a.user.as_deref(), a.group.as_deref(), a.port),
            (Some("nobody"), Some("nogroup"), 6767)
        );
        assert_eq!(a.interfaces, ["eth0"]);
        assert_eq!(args("").unwrap().config, PathBuf::from(DEFAULT_CONFIG));
    }

    #[test]
    fn long_forms_match_short_ones() {
        assert_eq!(
            args("--config a --leases b --port 99 --test").unwrap(),
            args("-cf a -lf b -p 99 -t").unwrap()
        );
    }

    #[test]
    fn rejects_unknown_flags_missing_values_and_bad_ports() {
        assert!(args("-x").is_err());
        assert!(args("-cf").is_err());
        assert!(args("-p 0").is_err());
        assert!(args("-p http").is_err());
        assert!(args("--commit-interval 2000000").is_err());
        assert!(args("--lease-format sqlite").is_err());
        assert!(args("-t --print").unwrap().print);
        assert_eq!(
            args("--lease-format journal").unwrap().lease_format,
            LeaseFormat::Journal
        );
        assert_eq!(args("--commit-interval 0").unwrap().commit_interval_us, 0);
    }

    #[test]
    fn control_api_over_http_is_local_and_authenticated() {
        assert!(args("--control-http 127.0.0.1:8004").is_err());
        assert!(args("--control-http 198.18.0.1:8004 --control-auth /x").is_err());
        assert!(args("--control-http localhost --control-auth /x").is_err());
        let a =
            args("--control-http 127.0.0.1:8004 --control-auth /x --metrics 0.0.0.0:9547").unwrap();
        assert_eq!(a.control_http, Some("127.0.0.1:8004".parse().unwrap()));
        assert_eq!(a.metrics, Some("0.0.0.0:9547".parse().unwrap()));
        assert!(args("--metrics 9547").is_err());
    }
}
