//! ISC dhcpd's command line (dhcpd(8)): single-dash words like `-cf FILE`, which clap does not
//! model, so they are read here; each also has a `--long` form.

use std::path::PathBuf;

use charrua_store::LeaseFormat;

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
    /// `-d`: log debug detail (charruad always runs in the foreground and logs to stderr).
    pub(crate) debug: bool,
    /// Interfaces to serve; none means every one with an address in a declared subnet.
    pub(crate) interfaces: Vec<String>,
    /// `--commit-interval USEC`: shortest time between two syncs of the lease store.
    pub(crate) commit_interval_us: u64,
    /// `--syslog-socket PATH`: where log lines go when the configuration sets `log-facility`.
    pub(crate) syslog_socket: PathBuf,
    /// `--inject-store-faults SPEC`: for tests only, commits that stall and fail.
    pub(crate) store_faults: Option<charrua_store::faults::Faults>,
    /// `--control-socket PATH`: the Kea-style control API on a Unix socket (mode 0600).
    pub(crate) control_socket: Option<PathBuf>,
    /// `--control-http ADDR:PORT`: the control API over HTTP, on a loopback address only.
    pub(crate) control_http: Option<std::net::SocketAddr>,
    /// `--control-auth FILE`: the `user:password` lines the HTTP control API accepts.
    pub(crate) control_auth: Option<PathBuf>,
    /// `--metrics ADDR:PORT`: where Prometheus scrapes `/metrics`.
    pub(crate) metrics: Option<std::net::SocketAddr>,
}

/// Syncs at most a thousand times a second by default: under load many leases share one
/// fdatasync; a request after a quiet spell is still synced at once.
pub(crate) const DEFAULT_COMMIT_INTERVAL_US: u64 = 1000;

pub(crate) const USAGE: &str =
    "usage: charruad [-4] [-f] [-d] [-q] [-t|-T] [-cf config-file] [-lf lease-file]
                [-pf pid-file] [-user user] [-group group] [-p port] [if0 [...ifN]]

  -t, --test           check the configuration file and exit
  -T, --test-leases    check the lease file and exit
  --print              with -t: print the configuration as charruad understood it
  -cf, --config FILE   configuration (default /etc/dhcp/dhcpd.conf)
  -lf, --leases FILE   lease file (default /var/lib/dhcp/dhcpd.leases), held with FILE.lock;
                       a lease-file-name in the configuration wins, as in dhcpd
  --lease-format auto|isc|journal
                       auto (default): an ISC dhcpd.leases, an empty or a missing file is
                       served and written in ISC's format; a charrua journal stays a
                       journal. Anything else is refused and left as it is.
                       postgresql: -lf is a PostgreSQL connection string (a
                       postgresql:// URL is taken as one with any format)
  --store LOCATION     the lease store, over lease-file-name and -lf: a file, or a
                       PostgreSQL database several servers share, e.g.
                       postgresql://dhcp@db1,db2/dhcp?target_session_attrs=read-write
  --server-name NAME   the name this server writes a shared database as (default: the
                       host name)
  -pf, --pid-file FILE pid file (default /run/charruad.pid)
  -user, -group NAME   drop privileges to this user and group once the socket is open
  -p, --port PORT      server port (default 67; clients are answered on PORT + 1)
  -d, --debug          log debug detail
  -f, --foreground     accepted for dhcpd compatibility: charruad always stays in the foreground
  -4                   accepted for dhcpd compatibility: charruad serves DHCPv4
  -q, --quiet          no banner
  --commit-interval USEC
                       shortest time between two syncs of the lease store (default 1000);
                       leases acknowledged meanwhile share the next sync, 0 syncs at once
  --syslog-socket PATH where log lines also go, with the configuration's log-facility,
                       when it sets one (default /dev/log)
  --control-socket PATH
                       serve the Kea-style control API (charrua ctl) on this Unix
                       socket, mode 0600
  --control-http ADDR:PORT
                       serve the control API over HTTP too, on a loopback address;
                       needs --control-auth
  --control-auth FILE  user:password lines the HTTP control API accepts (basic
                       authentication)
  --metrics ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics
  --inject-store-faults stall=P:MIN-MAX,fail=P,seed=N
                       for tests only: lease commits stall (MIN-MAX ms) and fail (EIO)";

/// Reads `args` (without the program name).
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

pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
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
        interfaces: Vec::new(),
        commit_interval_us: DEFAULT_COMMIT_INTERVAL_US,
        store_faults: None,
        syslog_socket: PathBuf::from(crate::syslog::DEV_LOG),
        control_socket: None,
        control_http: None,
        control_auth: None,
        metrics: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "-t" | "--test" => out.test_config = true,
            "-T" | "--test-leases" => out.test_leases = true,
            "--print" => out.print = true,
            "-q" | "--quiet" => out.quiet = true,
            "-d" | "--debug" => out.debug = true,
            "-f" | "--foreground" | "-4" => {}
            "-cf" | "--config" => out.config = PathBuf::from(value(&arg)?),
            "-lf" | "--leases" => out.lease_file = Some(PathBuf::from(value(&arg)?)),
            "--lease-format" => out.lease_format = value(&arg)?.parse()?,
            "--store" => out.store = Some(PathBuf::from(value(&arg)?)),
            "--server-name" => out.server_name = Some(value(&arg)?),
            "-pf" | "--pid-file" => out.pid_file = Some(PathBuf::from(value(&arg)?)),
            "-user" | "--user" => out.user = Some(value(&arg)?),
            "-group" | "--group" => out.group = Some(value(&arg)?),
            "-p" | "--port" => {
                let v = value(&arg)?;
                out.port = v
                    .parse()
                    .ok()
                    .filter(|p| *p > 0 && *p < u16::MAX)
                    .ok_or_else(|| format!("-p: bad port {v:?}"))?;
            }
            "--commit-interval" => {
                let v = value(&arg)?;
                out.commit_interval_us =
                    v.parse()
                        .ok()
                        .filter(|us| *us <= 1_000_000)
                        .ok_or_else(|| {
                            format!("--commit-interval: {v:?} is not 0 to 1000000 (microseconds)")
                        })?;
            }
            "--inject-store-faults" => out.store_faults = Some(value(&arg)?.parse()?),
            "--syslog-socket" => out.syslog_socket = PathBuf::from(value(&arg)?),
            "--control-socket" => out.control_socket = Some(PathBuf::from(value(&arg)?)),
            "--control-http" => out.control_http = Some(local_address(&arg, &value(&arg)?)?),
            "--control-auth" => out.control_auth = Some(PathBuf::from(value(&arg)?)),
            "--metrics" => out.metrics = Some(socket_address(&arg, &value(&arg)?)?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            interface => out.interfaces.push(interface.to_string()),
        }
    }
    if out.control_http.is_some() && out.control_auth.is_none() {
        return Err("--control-http needs --control-auth: the HTTP control API is never open to anyone who can connect".into());
    }
    Ok(out)
}

/// `ADDR:PORT` of `flag`.
fn socket_address(flag: &str, value: &str) -> Result<std::net::SocketAddr, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not ADDR:PORT (e.g. 127.0.0.1:9547)"))
}

/// `ADDR:PORT` of `flag`, on a loopback address: the control API changes leases, so it is
/// never offered to the network (Kea's control agent binds 127.0.0.1 for the same reason).
fn local_address(flag: &str, value: &str) -> Result<std::net::SocketAddr, String> {
    let address = socket_address(flag, value)?;
    if address.ip().is_loopback() {
        Ok(address)
    } else {
        Err(format!(
            "{flag}: {value} is not a loopback address; the control API is served on this host only"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
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
