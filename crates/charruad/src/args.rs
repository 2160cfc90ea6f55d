//! ISC dhcpd's command line (dhcpd(8)): single-dash words like `-cf FILE`, which clap does not
//! model, so they are read here.

use std::path::PathBuf;

/// Where ISC dhcpd looks by default (Debian's paths).
pub(crate) const DEFAULT_CONFIG: &str = "/etc/dhcp/dhcpd.conf";
pub(crate) const DEFAULT_LEASES: &str = "/var/lib/dhcp/dhcpd.leases";

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Args {
    /// `-t`: check the configuration file and exit.
    pub(crate) test_config: bool,
    /// `-T`: check the lease file and exit.
    pub(crate) test_leases: bool,
    /// `-cf FILE`.
    pub(crate) config: PathBuf,
    /// `-lf FILE`.
    pub(crate) leases: PathBuf,
    /// `-q`: no banner.
    pub(crate) quiet: bool,
    /// Interfaces to serve.
    pub(crate) interfaces: Vec<String>,
}

pub(crate) const USAGE: &str =
    "usage: charruad [-t|-T] [-q] [-cf config-file] [-lf lease-file] [if0 [...ifN]]";

/// Reads `args` (without the program name).
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        test_config: false,
        test_leases: false,
        config: PathBuf::from(DEFAULT_CONFIG),
        leases: PathBuf::from(DEFAULT_LEASES),
        quiet: false,
        interfaces: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("{flag} needs a file name"))
        };
        match arg.as_str() {
            "-t" => out.test_config = true,
            "-T" => out.test_leases = true,
            "-q" => out.quiet = true,
            "-cf" => out.config = PathBuf::from(value("-cf")?),
            "-lf" => out.leases = PathBuf::from(value("-lf")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            interface => out.interfaces.push(interface.to_string()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
        parse(s.split_whitespace().map(String::from))
    }

    #[test]
    fn reads_isc_style_flags() {
        let a = args("-t -q -cf /tmp/x.conf -lf /tmp/l eth0").unwrap();
        assert!(a.test_config && a.quiet && !a.test_leases);
        assert_eq!(a.config, PathBuf::from("/tmp/x.conf"));
        assert_eq!(a.leases, PathBuf::from("/tmp/l"));
        assert_eq!(a.interfaces, ["eth0"]);
        assert_eq!(args("").unwrap().config, PathBuf::from(DEFAULT_CONFIG));
    }

    #[test]
    fn rejects_unknown_flags_and_missing_values() {
        assert!(args("-x").is_err());
        assert!(args("-cf").is_err());
    }
}
