//! The Nagios check (`--warning`, `--critical`, `--warn-count`, `--crit-count`): one status
//! line and the exit status Nagios reads, 0 OK, 1 WARNING, 2 CRITICAL, as dhcpd-pools 2.29
//! judges and prints them (src/output.c `output_alarming`; the man page).
//!
//! A range is critical when more than `--critical` percent of it is in use and fewer than
//! `--crit-count` of its addresses are free; else warning by `--warning` and `--warn-count`;
//! else OK. A shared network is judged the same way, except that dhcpd-pools compares its
//! addresses *in use*, not its free ones, with the counts. Ranges and shared networks of
//! `--minsize` addresses or fewer are ignored (as is a shared network without addresses). `-L`
//! chooses what is judged (second digit) and said (first digit): without the sum's bit, an OK
//! check prints nothing. With `--snet-alarms`, ranges in shared networks are not judged; as in
//! dhcpd-pools, the judging of ranges stops at the first range (in printing order) that is in a
//! shared network. The status line names dhcpd-pools, the check this one stands in for, so that
//! what matches its output keeps matching.

use std::io::Write;

use super::count::{Report, Usage};
use super::options::{Limit, Part};
use super::printf::{g, percent};

/// The name in the status line.
const PROGRAM: &str = "dhcpd-pools";

/// The thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Thresholds {
    /// `--warning`: percent in use (80 by default).
    pub(super) warning: f64,
    /// `--critical`: percent in use (90 by default).
    pub(super) critical: f64,
    /// `--warn-count`: free addresses (2^32, no limit, by default).
    pub(super) warn_count: f64,
    /// `--crit-count`.
    pub(super) crit_count: f64,
    /// `--minsize`: ranges and shared networks this small or smaller are ignored (0).
    pub(super) minsize: f64,
    /// `--snet-alarms`.
    pub(super) snet_alarms: bool,
    /// `--perfdata`: Nagios performance data after the counts.
    pub(super) perfdata: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            warning: 80.0,
            critical: 90.0,
            warn_count: 4_294_967_296.0,
            crit_count: 4_294_967_296.0,
            minsize: 0.0,
            snet_alarms: false,
            perfdata: false,
        }
    }
}

/// The status Nagios reads from the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Status {
    /// 0.
    Ok = 0,
    /// 1.
    Warning = 1,
    /// 2.
    Critical = 2,
}

/// How many were critical, warning, OK and ignored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    critical: u32,
    warning: u32,
    ok: u32,
    ignored: u32,
}

impl Tally {
    /// Judges one range or shared network of `size` addresses, `used` in use and `counted`
    /// compared with the counts.
    fn judge(&mut self, t: &Thresholds, size: f64, used: f64, counted: f64) {
        // As dhcpd-pools compares: a size that is not over `--minsize` (or a `--minsize` that
        // is not a number) is ignored.
        if !matches!(t.minsize.partial_cmp(&size), Some(std::cmp::Ordering::Less)) {
            self.ignored += 1;
            return;
        }
        // dhcpd-pools keeps the share in a `float`.
        #[allow(clippy::cast_possible_truncation)]
        let share = f64::from(if size == 0.0 {
            100.0
        } else {
            percent(used, size) as f32
        });
        if t.critical < share && counted < t.crit_count {
            self.critical += 1;
        } else if t.warning < share && counted < t.warn_count {
            self.warning += 1;
        } else {
            self.ok += 1;
        }
    }

    /// `crit: N warn: N ok: N[ ignored: N]; | PREFIX_crit=N PREFIX_warn=N PREFIX_ok=N[
    /// PREFIX_ignored=N]`.
    fn said(&self, prefix: &str) -> String {
        let mut s = format!(
            "crit: {} warn: {} ok: {}",
            self.critical, self.warning, self.ok
        );
        if self.ignored != 0 {
            s.push_str(&format!(" ignored: {}", self.ignored));
        }
        s.push_str(&format!(
            "; | {prefix}_crit={} {prefix}_warn={} {prefix}_ok={}",
            self.critical, self.warning, self.ok
        ));
        if self.ignored != 0 {
            s.push_str(&format!(" {prefix}_ignored={}", self.ignored));
        }
        s
    }
}

/// Nagios performance data of a range (`tag` `r`, labelled by its first address) or a shared
/// network (`s`, labelled by its name, quoted): ` LABEL_r=cur;warn;crit;0;max LABEL_rt=touched`
/// and, when the lease file had backups, ` LABEL_rbu=backups`.
fn perfdata(label: &str, tag: char, u: &Usage, t: &Thresholds, backups: bool) -> String {
    let quote = if tag == 's' { "'" } else { "" };
    let name = |suffix: &str| format!("{quote}{label}_{tag}{suffix}{quote}");
    let size = u.size as f64;
    let mut s = format!(
        " {}={};{};{};0;{} {}={}",
        name(""),
        g(u.used as f64),
        g(size * t.warning / 100.0),
        g(size * t.critical / 100.0),
        g(size),
        name("t"),
        g(u.touched as f64),
    );
    if backups {
        s.push_str(&format!(" {}={}", name("bu"), g(u.backups as f64)));
    }
    s
}

/// Judges `report` and writes the status line; the status to exit with.
pub(super) fn check(
    report: &Report,
    limit: Limit,
    t: &Thresholds,
    out: &mut dyn Write,
) -> std::io::Result<Status> {
    let mut ranges = Tally::default();
    if limit.numbers(Part::Ranges) {
        for r in &report.ranges {
            if t.snet_alarms && r.network.is_some() {
                break;
            }
            let u = &r.usage;
            ranges.judge(t, u.size as f64, u.used as f64, u.free() as f64);
        }
    }
    let mut networks = Tally::default();
    if limit.numbers(Part::Networks) {
        for n in &report.networks {
            let u = &n.usage;
            networks.judge(t, u.size as f64, u.used as f64, u.used as f64);
        }
    }
    let status = if ranges.critical > 0 || networks.critical > 0 {
        Status::Critical
    } else if ranges.warning > 0 || networks.warning > 0 {
        Status::Warning
    } else {
        Status::Ok
    };
    match status {
        Status::Critical => write!(out, "CRITICAL: {PROGRAM}:")?,
        Status::Warning => write!(out, "WARNING: {PROGRAM}:")?,
        Status::Ok if limit.numbers(Part::All) => write!(out, "OK:")?,
        Status::Ok => return Ok(status),
    }
    if limit.header(Part::Ranges) {
        write!(out, " Ranges - {}", ranges.said("range"))?;
        if t.perfdata && limit.numbers(Part::Ranges) {
            for r in report.ranges.iter().rev() {
                if t.minsize < r.usage.size as f64 {
                    let label = r.first.to_string();
                    let data = perfdata(&label, 'r', &r.usage, t, report.backups_found);
                    write!(out, "{data}")?;
                }
            }
        }
        writeln!(out)?;
    } else {
        write!(out, " ")?;
    }
    if limit.header(Part::Networks) {
        write!(out, "Shared nets - {}", networks.said("snet"))?;
        // dhcpd-pools prints the shared networks' data when the ranges' header is printed.
        if t.perfdata && limit.header(Part::Ranges) && limit.numbers(Part::Networks) {
            for n in report.networks.iter().rev() {
                if t.minsize < n.usage.size as f64 {
                    let data = perfdata(&n.name, 's', &n.usage, t, report.backups_found);
                    write!(out, "{data}")?;
                }
            }
            writeln!(out)?;
        }
    }
    writeln!(out)?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::super::count::{NetworkUsage, RangeUsage};
    use super::*;

    fn usage(size: u64, used: u64) -> Usage {
        Usage {
            size,
            used,
            touched: 0,
            backups: 0,
        }
    }

    fn report() -> Report {
        let range = |first: [u8; 4], network, size, used| RangeUsage {
            first: first.into(),
            last: first.into(),
            network,
            usage: usage(size, used),
        };
        Report {
            ranges: vec![
                range([10, 0, 0, 10], None, 10, 1),
                range([10, 0, 0, 30], None, 10, 9),
                range([10, 1, 0, 10], Some(0), 20, 1),
            ],
            networks: vec![
                NetworkUsage {
                    name: "office".into(),
                    usage: usage(20, 1),
                },
                NetworkUsage {
                    name: "empty".into(),
                    usage: usage(0, 0),
                },
            ],
            all: usage(40, 11),
            backups_found: false,
            active: Vec::new(),
            ipv6: false,
        }
    }

    fn run(limit: &str, t: Thresholds) -> (String, Status) {
        let mut out = Vec::new();
        let status = check(&report(), Limit::parse(limit).unwrap(), &t, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), status)
    }

    #[test]
    fn warns_over_the_warning_share_and_ignores_empty_networks() {
        let (said, status) = run("77", Thresholds::default());
        assert_eq!(status, Status::Warning);
        assert_eq!(
            said,
            "WARNING: dhcpd-pools: Ranges - crit: 0 warn: 1 ok: 2; | range_crit=0 range_warn=1 range_ok=2\n\
             Shared nets - crit: 0 warn: 0 ok: 1 ignored: 1; | snet_crit=0 snet_warn=0 snet_ok=1 snet_ignored=1\n"
        );
        let t = Thresholds {
            critical: 85.0,
            ..Thresholds::default()
        };
        let (said, status) = run("77", t);
        assert_eq!(status, Status::Critical);
        assert!(
            said.starts_with("CRITICAL: dhcpd-pools: Ranges - crit: 1 warn: 0 ok: 2;"),
            "{said}"
        );
    }

    #[test]
    fn counts_must_be_undercut_too_and_networks_count_their_used_addresses() {
        let t = Thresholds {
            warning: 4.0,
            critical: 95.0,
            warn_count: 5.0,
            ..Thresholds::default()
        };
        // Ranges: 10% with 9 free, 90% with 1 free, 5% with 19 free: only the second is under
        // the count. The shared network compares its 1 address in use with it: under.
        let (said, status) = run("77", t);
        assert_eq!(status, Status::Warning);
        assert!(
            said.starts_with("WARNING: dhcpd-pools: Ranges - crit: 0 warn: 1 ok: 2;"),
            "{said}"
        );
        assert!(
            said.contains("Shared nets - crit: 0 warn: 1 ok: 0 ignored: 1;"),
            "{said}"
        );
    }

    #[test]
    fn an_ok_check_without_the_sum_bit_says_nothing() {
        let t = Thresholds {
            warning: 95.0,
            critical: 99.0,
            ..Thresholds::default()
        };
        assert_eq!(run("77", t).1, Status::Ok);
        assert_eq!(run("70", t), (String::new(), Status::Ok));
        assert_eq!(run("04", t), ("OK: \n".to_string(), Status::Ok));
    }

    #[test]
    fn snet_alarms_stop_at_the_first_range_in_a_shared_network() {
        let t = Thresholds {
            snet_alarms: true,
            ..Thresholds::default()
        };
        assert_eq!(
            run("11", t),
            (
                "WARNING: dhcpd-pools: Ranges - crit: 0 warn: 1 ok: 1; | range_crit=0 range_warn=1 range_ok=1\n\n".to_string(),
                Status::Warning
            )
        );
    }

    #[test]
    fn perfdata_lists_ranges_and_networks_last_first() {
        let t = Thresholds {
            warning: 4.0,
            perfdata: true,
            minsize: 10.0,
            ..Thresholds::default()
        };
        assert_eq!(
            run("33", t).0,
            "WARNING: dhcpd-pools: Ranges - crit: 0 warn: 1 ok: 0 ignored: 2; | range_crit=0 range_warn=1 range_ok=0 range_ignored=2 \
             10.1.0.10_r=1;0.8;18;0;20 10.1.0.10_rt=0\n\
             Shared nets - crit: 0 warn: 1 ok: 0 ignored: 1; | snet_crit=0 snet_warn=1 snet_ok=0 snet_ignored=1 \
             'office_s'=1;0.8;18;0;20 'office_st'=0\n\n"
        );
    }
}
