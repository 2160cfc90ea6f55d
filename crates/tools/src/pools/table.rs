//! The text (`-f t`) and comma-separated (`-f c`) tables, byte for byte as dhcpd-pools 2.29
//! prints them (src/output.c `output_txt`, `output_csv`): "Ranges:", "Shared networks:" and
//! "Sum of all ranges:", each a header and its numbers as `-L` selects, and the backup columns
//! only when the lease file had a `backup` lease.

use std::io::Write;

use super::count::{Report, Usage, ALL_NETWORKS};
use super::options::{Limit, Part};
use super::printf::{fixed3, g, left, percent, right, NAN};

/// The header of the ranges table, `%-20s%-*s   %-*s %5s %5s %10s  %5s %5s %9s`.
fn ranges_header(ip: usize) -> String {
    format!(
        "{}{}   {} {:>5} {:>5} {:>10}  {:>5} {:>5} {:>9}",
        left("shared net name", 20),
        left("first ip", ip),
        left("last ip", ip),
        "max",
        "cur",
        "percent",
        "touch",
        "t+c",
        "t+c perc"
    )
}

/// The header of the shared networks and sum tables.
const NETWORKS_HEADER: &str =
    "name                   max   cur     percent  touch    t+c  t+c perc";
/// The backup columns' header.
const BACKUP_HEADER: &str = "     bu  bu perc";

/// The counts and shares of one shared network or of all ranges, as dhcpd-pools prints them
/// where the addresses may number zero: `NAN` for the shares it guards, and for the sum of
/// all ranges the backups themselves (src/output.c).
struct Row {
    size: f64,
    used: f64,
    touched: f64,
    used_share: f64,
    touched_share: f64,
}

impl Row {
    fn of(u: &Usage) -> Self {
        let size = u.size as f64;
        let guarded = |part: u64| {
            if u.size == 0 {
                NAN
            } else {
                percent(part as f64, size)
            }
        };
        Self {
            size,
            used: u.used as f64,
            touched: u.touched as f64,
            used_share: guarded(u.used),
            touched_share: guarded(u.touched_or_used()),
        }
    }
}

/// Writes the text tables.
pub(super) fn text(report: &Report, limit: Limit, out: &mut dyn Write) -> std::io::Result<()> {
    // The width of an address (src/output.c `max_ipaddr_length`).
    let ip = if report.ipv6 { 39 } else { 16 };
    let bu = report.backups_found;
    if limit.header(Part::Ranges) {
        writeln!(out, "Ranges:")?;
        writeln!(out, "{}{}", ranges_header(ip), backup_header(bu))?;
    }
    if limit.numbers(Part::Ranges) {
        for r in &report.ranges {
            let u = &r.usage;
            let size = u.size as f64;
            write!(
                out,
                "{}{} - {} {:>5} {:>5} {:>10}  {:>5} {:>5} {:>9}",
                left(report.network_name(r), 20),
                left(&r.first.to_string(), ip),
                left(&r.last.to_string(), ip),
                g(size),
                g(u.used as f64),
                fixed3(percent(u.used as f64, size)),
                g(u.touched as f64),
                g(u.touched_or_used() as f64),
                fixed3(percent(u.touched_or_used() as f64, size)),
            )?;
            if bu {
                let b = u.backups as f64;
                write!(out, "{}", backup_columns(g(b), percent(b, size)))?;
            }
            writeln!(out)?;
        }
    }
    if limit.numbers(Part::Ranges) && limit.header(Part::Networks) {
        writeln!(out)?;
    }
    if limit.header(Part::Networks) {
        writeln!(
            out,
            "Shared networks:\n{NETWORKS_HEADER}{}",
            backup_header(bu)
        )?;
    }
    if limit.numbers(Part::Networks) {
        for n in &report.networks {
            network_row(out, &n.name, &n.usage, bu, false)?;
        }
    }
    if limit.numbers(Part::Networks) && limit.header(Part::All) {
        writeln!(out)?;
    }
    if limit.header(Part::All) {
        writeln!(
            out,
            "Sum of all ranges:\n{NETWORKS_HEADER}{}",
            backup_header(bu)
        )?;
    }
    if limit.numbers(Part::All) {
        network_row(out, ALL_NETWORKS, &report.all, bu, true)?;
    }
    Ok(())
}

fn backup_header(shown: bool) -> &'static str {
    if shown {
        BACKUP_HEADER
    } else {
        ""
    }
}

/// `%7g %8.3f`.
fn backup_columns(count: String, share: f64) -> String {
    format!("{} {}", right(&count, 7), right(&fixed3(share), 8))
}

/// A shared network's line, or (`all`) the sum of all ranges, `%-20s %5g %5g %10.3f %7g %6g
/// %9.3f`.
fn network_row(
    out: &mut dyn Write,
    name: &str,
    u: &Usage,
    bu: bool,
    all: bool,
) -> std::io::Result<()> {
    let row = Row::of(u);
    write!(
        out,
        "{} {:>5} {:>5} {:>10} {:>7} {:>6} {:>9}",
        left(name, 20),
        g(row.size),
        g(row.used),
        fixed3(row.used_share),
        g(row.touched),
        g(row.touched + row.used),
        fixed3(row.touched_share),
    )?;
    if bu {
        let b = u.backups as f64;
        // The sum prints its backups as NAN when there is no address at all.
        let count = if all && u.size == 0 { NAN } else { b };
        write!(out, "{}", backup_columns(g(count), percent(b, row.size)))?;
    }
    writeln!(out)
}

/// Writes the comma-separated tables.
pub(super) fn csv(report: &Report, limit: Limit, out: &mut dyn Write) -> std::io::Result<()> {
    let bu = report.backups_found;
    let bu_header = if bu { ",\"bu\",\"bu perc\"" } else { "" };
    let header = "\"name\",\"max\",\"cur\",\"percent\",\"touch\",\"t+c\",\"t+c perc\"";
    if limit.header(Part::Ranges) {
        writeln!(
            out,
            "\"Ranges:\"\n\"shared net name\",\"first ip\",\"last ip\",\"max\",\"cur\",\"percent\",\"touch\",\"t+c\",\"t+c perc\"{bu_header}"
        )?;
    }
    if limit.numbers(Part::Ranges) {
        for r in &report.ranges {
            let u = &r.usage;
            let size = u.size as f64;
            write!(
                out,
                "\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\"",
                report.network_name(r),
                r.first,
                r.last,
                g(size),
                g(u.used as f64),
                fixed3(percent(u.used as f64, size)),
                g(u.touched as f64),
                g(u.touched_or_used() as f64),
                fixed3(percent(u.touched_or_used() as f64, size)),
            )?;
            if bu {
                let b = u.backups as f64;
                write!(out, ",\"{}\",\"{}\"", g(b), fixed3(percent(b, size)))?;
            }
            writeln!(out)?;
        }
        writeln!(out)?;
    }
    if limit.header(Part::Networks) {
        writeln!(out, "\"Shared networks:\"\n{header}{bu_header}")?;
    }
    if limit.numbers(Part::Networks) {
        for n in &report.networks {
            csv_network_row(out, &n.name, &n.usage)?;
            if bu {
                let b = n.usage.backups as f64;
                let share = if n.usage.size == 0 {
                    NAN
                } else {
                    percent(b, n.usage.size as f64)
                };
                write!(out, ",\"{}\",\"{}\"", g(b), fixed3(share))?;
            }
            writeln!(out)?;
        }
        writeln!(out)?;
    }
    if limit.header(Part::All) {
        writeln!(out, "\"Sum of all ranges:\"\n{header}{bu_header}")?;
    }
    if limit.numbers(Part::All) {
        csv_network_row(out, ALL_NETWORKS, &report.all)?;
        if bu {
            // dhcpd-pools prints the sum's backup columns as in the text table, unquoted.
            let b = report.all.backups as f64;
            let share = if report.all.size == 0 {
                NAN
            } else {
                percent(b, report.all.size as f64)
            };
            write!(out, "{}", backup_columns(g(b), share))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A shared network's (or the sum's) seven quoted fields, without the line's end.
fn csv_network_row(out: &mut dyn Write, name: &str, u: &Usage) -> std::io::Result<()> {
    let row = Row::of(u);
    write!(
        out,
        "\"{name}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\"",
        g(row.size),
        g(row.used),
        fixed3(row.used_share),
        g(row.touched),
        g(row.touched + row.used),
        fixed3(row.touched_share),
    )
}

#[cfg(test)]
mod tests {
    use super::super::count::{NetworkUsage, RangeUsage};
    use super::*;

    fn report(backups_found: bool) -> Report {
        let usage = Usage {
            size: 10,
            used: 1,
            touched: 4,
            backups: 1,
        };
        Report {
            ranges: vec![RangeUsage {
                first: [10, 0, 0, 10].into(),
                last: [10, 0, 0, 19].into(),
                network: None,
                usage,
            }],
            networks: vec![NetworkUsage {
                name: "empty".into(),
                usage: Usage::default(),
            }],
            all: Usage {
                backups: 2,
                ..usage
            },
            backups_found,
            active: Vec::new(),
            ipv6: false,
        }
    }

    fn printed(f: fn(&Report, Limit, &mut dyn Write) -> std::io::Result<()>, r: &Report) -> String {
        let mut out = Vec::new();
        f(r, Limit::parse("77").unwrap(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_matches_dhcpd_pools_byte_for_byte() {
        // What dhcpd-pools 2.29 printed for the same numbers.
        let want = "\
Ranges:
shared net name     first ip           last ip            max   cur    percent  touch   t+c  t+c perc     bu  bu perc
All networks        10.0.0.10        - 10.0.0.19           10     1     10.000      4     5    50.000      1   10.000

Shared networks:
name                   max   cur     percent  touch    t+c  t+c perc     bu  bu perc
empty                    0     0        nan       0      0       nan      0     -nan

Sum of all ranges:
name                   max   cur     percent  touch    t+c  t+c perc     bu  bu perc
All networks            10     1     10.000       4      5    50.000      2   20.000
";
        assert_eq!(printed(text, &report(true)), want);
    }

    #[test]
    fn csv_matches_dhcpd_pools_byte_for_byte() {
        let want = "\
\"Ranges:\"
\"shared net name\",\"first ip\",\"last ip\",\"max\",\"cur\",\"percent\",\"touch\",\"t+c\",\"t+c perc\",\"bu\",\"bu perc\"
\"All networks\",\"10.0.0.10\",\"10.0.0.19\",\"10\",\"1\",\"10.000\",\"4\",\"5\",\"50.000\",\"1\",\"10.000\"

\"Shared networks:\"
\"name\",\"max\",\"cur\",\"percent\",\"touch\",\"t+c\",\"t+c perc\",\"bu\",\"bu perc\"
\"empty\",\"0\",\"0\",\"nan\",\"0\",\"0\",\"nan\",\"0\",\"nan\"

\"Sum of all ranges:\"
\"name\",\"max\",\"cur\",\"percent\",\"touch\",\"t+c\",\"t+c perc\",\"bu\",\"bu perc\"
\"All networks\",\"10\",\"1\",\"10.000\",\"4\",\"5\",\"50.000\"      2   20.000
";
        assert_eq!(printed(csv, &report(true)), want);
    }

    #[test]
    fn without_backups_there_are_no_backup_columns_and_ipv6_pads_wider() {
        let mut r = report(false);
        r.ipv6 = true;
        let t = printed(text, &r);
        assert!(!t.contains("bu"), "{t}");
        assert!(t.contains(&format!("{}last ip", left("first ip", 39) + "   ")));
    }
}
