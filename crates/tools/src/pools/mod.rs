//! `charrua pools`: how full the address pools are, per range, per shared network and in all,
//! as `dhcpd-pools` 2.29 (Debian's `dhcpd-pools` package) reports it, with its options, its
//! formats and its Nagios check, so that a script or a check written for dhcpd-pools works by
//! changing the command's name. The lease store may also be a charrua journal or a PostgreSQL
//! database.
//!
//! One job per file: `options` reads the option values, `config` the ranges and shared
//! networks of dhcpd.conf, `states` the lease store, `count` the numbers, `sort` their order,
//! `table` (text, CSV), `json` (JSON, XML) and `alarm` (Nagios) print them, `printf` formats
//! numbers as dhcpd-pools' C `printf` does.

mod alarm;
mod config;
mod count;
mod error;
mod json;
mod options;
mod printf;
mod sort;
mod states;
mod table;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use alarm::{Status, Thresholds};
use error::PoolsError;
use options::{Format, Limit, SortKey};

/// `charrua pools` options: dhcpd-pools' own (its man page, dhcpd-pools(1)).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The dhcpd.conf (its includes are read too, relative to the working directory).
    #[arg(
        short = 'c',
        long = "config",
        value_name = "FILE",
        default_value = "/etc/dhcp/dhcpd.conf"
    )]
    config: PathBuf,
    /// The lease store: an ISC dhcpd.leases, a charrua journal or a PostgreSQL connection
    /// string.
    #[arg(
        short = 'l',
        long = "leases",
        value_name = "FILE",
        default_value = "/var/lib/dhcp/dhcpd.leases"
    )]
    leases: PathBuf,
    /// Output format: t (text), c (comma-separated values), j (JSON), J (JSON with the active
    /// leases), x (XML, as the dhcpstatus Perl module), X (XML with the active leases).
    #[arg(
        short = 'f',
        long = "format",
        value_name = "FORMAT",
        default_value = "t"
    )]
    format: String,
    /// Sort ranges by these keys, weighed left to right: n (shared network name), i (first
    /// address), m (size), c (in use), p (percent in use), t (touched), T (touched + in use),
    /// e (percent touched or in use). By first address when not given.
    #[arg(short = 's', long = "sort", value_name = "KEYS")]
    sort: Vec<String>,
    /// Print ranges in reverse order.
    #[arg(short = 'r', long = "reverse")]
    reverse: bool,
    /// Write the report into this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// What to print, two octal digits: headers, then numbers, each the sum of 1 (ranges), 2
    /// (shared networks) and 4 (all ranges).
    #[arg(short = 'L', long = "limit", value_name = "NR", default_value = "77")]
    limit: String,
    /// Check as a Nagios plugin: warn when a range or shared network is more than PERCENT in
    /// use (80 when only --critical is given); exit 0 OK, 1 WARNING, 2 CRITICAL.
    #[arg(long, value_name = "PERCENT", allow_hyphen_values = true)]
    warning: Option<String>,
    /// Check as a Nagios plugin: critical over PERCENT in use (90 when only --warning is
    /// given).
    #[arg(long, value_name = "PERCENT", allow_hyphen_values = true)]
    critical: Option<String>,
    /// Warn only when fewer than NUMBER addresses of a range are free (of a shared network:
    /// when fewer than NUMBER are in use, as dhcpd-pools compares them).
    #[arg(long, value_name = "NUMBER", allow_hyphen_values = true)]
    warn_count: Option<String>,
    /// As --warn-count, for the critical level.
    #[arg(long, value_name = "NUMBER", allow_hyphen_values = true)]
    crit_count: Option<String>,
    /// Do not judge ranges that lie in shared networks (their shared networks are judged).
    #[arg(long)]
    snet_alarms: bool,
    /// Ignore ranges and shared networks of SIZE addresses or fewer when checking.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    minsize: Option<String>,
    /// Add Nagios performance data to the check's line.
    #[arg(short = 'p', long = "perfdata")]
    perfdata: bool,
    /// Report each subnet outside a shared network as a shared network named by its CIDR form.
    #[arg(short = 'A', long = "all-as-shared")]
    all_as_shared: bool,
}

/// What to do, once the options are read.
struct Plan {
    /// `None`: the Nagios check.
    format: Option<Format>,
    thresholds: Thresholds,
    keys: Vec<SortKey>,
    limit: Limit,
}

impl Args {
    /// Reads the option values. Any threshold turns the Nagios check on, whatever `-f` says
    /// (dhcpd-pools lets the last of `-f` and the thresholds win).
    fn plan(&self) -> Result<Plan, PoolsError> {
        let number = |v: &Option<String>| v.as_deref().map(options::number).transpose();
        let mut t = Thresholds {
            snet_alarms: self.snet_alarms,
            perfdata: self.perfdata,
            ..Thresholds::default()
        };
        let given = [
            (&self.warning, &mut t.warning),
            (&self.critical, &mut t.critical),
            (&self.warn_count, &mut t.warn_count),
            (&self.crit_count, &mut t.crit_count),
        ];
        let mut check = false;
        for (value, slot) in given {
            if let Some(n) = number(value)? {
                *slot = n;
                check = true;
            }
        }
        if let Some(n) = number(&self.minsize)? {
            t.minsize = n;
        }
        let format = Format::parse(&self.format)?;
        Ok(Plan {
            format: (!check).then_some(format),
            thresholds: t,
            keys: SortKey::parse_all(&self.sort)?,
            limit: Limit::parse(&self.limit)?,
        })
    }
}

/// Reads, counts and prints; the status the check found (OK otherwise).
fn report(args: &Args, out: &mut dyn Write) -> Result<Status, PoolsError> {
    let plan = args.plan()?;
    let layout = config::read(&args.config, args.all_as_shared)?;
    let states = states::read(&args.leases)?;
    let mut report = count::count(&layout, &states, states::opens_with_lease(&args.leases));
    sort::sort(&mut report, &plan.keys, args.reverse);
    let mut file;
    let out: &mut dyn Write = match &args.output {
        Some(path) => {
            let created = std::fs::File::create(path).map_err(|source| PoolsError::File {
                path: path.clone(),
                source,
            })?;
            file = std::io::BufWriter::new(created);
            &mut file
        }
        None => out,
    };
    let status = match plan.format {
        None => alarm::check(&report, plan.limit, &plan.thresholds, out)?,
        Some(format) => {
            match format {
                Format::Text => table::text(&report, plan.limit, out)?,
                Format::Csv => table::csv(&report, plan.limit, out)?,
                Format::Json { leases } => json::json(&report, plan.limit, leases, out)?,
                Format::Xml { leases } => json::xml(&report, plan.limit, leases, out)?,
            }
            Status::Ok
        }
    };
    out.flush()?;
    Ok(status)
}

/// Runs `charrua pools`: exit 0, or the check's 1 (WARNING) or 2 (CRITICAL); 1 after a message
/// when it could not report, as dhcpd-pools.
pub(crate) fn run(args: &Args, out: &mut dyn Write) -> ExitCode {
    match report(args, out) {
        Ok(status) => ExitCode::from(status as u8),
        Err(e) => {
            eprintln!("charrua pools: {e}");
            ExitCode::FAILURE
        }
    }
}
