//! The JSON (`-f j`, `-f J`) and XML (`-f x`, `-f X`) reports, as dhcpd-pools 2.29 writes them
//! (src/output.c `output_json`, `output_xml`): the same records in both, "subnets" (one per
//! range) and "shared-networks" as `-L`'s second digit selects, "summary" as its first digit
//! selects, and with `J` or `X` the active leases first. Names are written as they are, as
//! dhcpd-pools writes them.

use std::io::Write;

use super::count::{Report, Usage, ALL_NETWORKS};
use super::options::{Limit, Part};
use super::printf::g;

/// A hardware address as the lease file writes it (`02:00:00:c0:ff:01`), or nothing.
fn mac_text(mac: Option<[u8; 6]>) -> String {
    mac.map(|m| {
        m.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    })
    .unwrap_or_default()
}

/// The counts of a record, `"defined":%g, "used":%g, "touched":%g, "free":%g`.
fn counts(u: &Usage, separator: &str) -> String {
    format!(
        "\"defined\":{}, \"used\":{}, \"touched\":{}, \"free\":{}{separator}",
        g(u.size as f64),
        g(u.used as f64),
        g(u.touched as f64),
        g(u.free() as f64)
    )
}

/// Writes the JSON report; `leases` (`J`) adds the active leases.
pub(super) fn json(
    report: &Report,
    limit: Limit,
    leases: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "{{")?;
    let mut sections = 0;
    let mut next_section = |out: &mut dyn Write| -> std::io::Result<()> {
        sections += 1;
        if sections > 1 {
            writeln!(out, ",")?;
        }
        Ok(())
    };
    if leases {
        next_section(out)?;
        write!(out, "   \"active_leases\": [")?;
        for (i, (address, mac)) in report.active.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            write!(
                out,
                "{comma}\n         {{ \"ip\":\"{address}\", \"macaddress\":\"{}\" }}",
                mac_text(*mac)
            )?;
        }
        write!(out, "\n   ]")?;
    }
    if limit.numbers(Part::Ranges) {
        next_section(out)?;
        writeln!(out, "   \"subnets\": [")?;
        for (i, r) in report.ranges.iter().enumerate() {
            let end = if i + 1 < report.ranges.len() {
                "},"
            } else {
                "}"
            };
            writeln!(
                out,
                "         {{ \"location\":\"{}\", \"range\":\"{} - {}\", {}{end}",
                report.network_name(r),
                r.first,
                r.last,
                counts(&r.usage, " ")
            )?;
        }
        write!(out, "   ]")?;
    }
    if limit.numbers(Part::Networks) {
        next_section(out)?;
        writeln!(out, "   \"shared-networks\": [")?;
        for (i, n) in report.networks.iter().enumerate() {
            let end = if i + 1 < report.networks.len() {
                "},"
            } else {
                "}"
            };
            writeln!(
                out,
                "         {{ \"location\":\"{}\", {}{end}",
                n.name,
                counts(&n.usage, " ")
            )?;
        }
        write!(out, "   ]")?;
    }
    if limit.header(Part::All) {
        next_section(out)?;
        let u = &report.all;
        write!(
            out,
            "   \"summary\": {{\n         \"location\":\"{ALL_NETWORKS}\",\n         \"defined\":{},\n         \"used\":{},\n         \"touched\":{},\n         \"free\":{}\n   }}",
            g(u.size as f64),
            g(u.used as f64),
            g(u.touched as f64),
            g(u.free() as f64)
        )?;
    }
    writeln!(out, "\n}}")
}

/// One XML record's counts.
fn xml_counts(out: &mut dyn Write, u: &Usage) -> std::io::Result<()> {
    write!(
        out,
        "\t<defined>{}</defined>\n\t<used>{}</used>\n\t<touched>{}</touched>\n\t<free>{}</free>\n",
        g(u.size as f64),
        g(u.used as f64),
        g(u.touched as f64),
        g(u.free() as f64)
    )
}

/// Writes the XML report (the dhcpstatus Perl module's shape); `leases` (`X`) adds the active
/// leases.
pub(super) fn xml(
    report: &Report,
    limit: Limit,
    leases: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "<dhcpstatus>")?;
    if leases {
        for (address, mac) in &report.active {
            write!(
                out,
                "<active_lease>\n\t<ip>{address}</ip>\n\t<macaddress>{}</macaddress>\n</active_lease>\n",
                mac_text(*mac)
            )?;
        }
    }
    if limit.numbers(Part::Ranges) {
        for r in &report.ranges {
            write!(
                out,
                "<subnet>\n\t<location>{}</location>\n\t<range>{} - {}</range>\n",
                report.network_name(r),
                r.first,
                r.last
            )?;
            xml_counts(out, &r.usage)?;
            writeln!(out, "</subnet>")?;
        }
    }
    if limit.numbers(Part::Networks) {
        for n in &report.networks {
            write!(out, "<shared-network>\n\t<location>{}</location>\n", n.name)?;
            xml_counts(out, &n.usage)?;
            writeln!(out, "</shared-network>")?;
        }
    }
    if limit.header(Part::All) {
        write!(out, "<summary>\n\t<location>{ALL_NETWORKS}</location>\n")?;
        xml_counts(out, &report.all)?;
        writeln!(out, "</summary>")?;
    }
    writeln!(out, "</dhcpstatus>")
}

#[cfg(test)]
mod tests {
    use super::super::count::{NetworkUsage, RangeUsage};
    use super::*;

    fn report() -> Report {
        let usage = Usage {
            size: 10,
            used: 1,
            touched: 4,
            backups: 0,
        };
        Report {
            ranges: vec![RangeUsage {
                first: [10, 0, 0, 10].into(),
                last: [10, 0, 0, 19].into(),
                network: Some(0),
                usage,
            }],
            networks: vec![NetworkUsage {
                name: "office".into(),
                usage,
            }],
            all: usage,
            backups_found: false,
            active: vec![
                ([10, 0, 0, 10].into(), Some([2, 0, 0, 0xc0, 0xff, 1])),
                ([10, 5, 0, 1].into(), None),
            ],
            ipv6: false,
        }
    }

    #[test]
    fn json_with_leases_matches_dhcpd_pools() {
        let mut out = Vec::new();
        json(&report(), Limit::parse("77").unwrap(), true, &mut out).unwrap();
        let want = r#"{
   "active_leases": [
         { "ip":"10.0.0.10", "macaddress":"02:00:00:c0:ff:01" },
         { "ip":"10.5.0.1", "macaddress":"" }
   ],
   "subnets": [
         { "location":"office", "range":"10.0.0.10 - 10.0.0.19", "defined":10, "used":1, "touched":4, "free":9 }
   ],
   "shared-networks": [
         { "location":"office", "defined":10, "used":1, "touched":4, "free":9 }
   ],
   "summary": {
         "location":"All networks",
         "defined":10,
         "used":1,
         "touched":4,
         "free":9
   }
}
"#;
        assert_eq!(String::from_utf8(out).unwrap(), want);
        let parsed: serde_json::Value = serde_json::from_str(want).unwrap();
        assert_eq!(parsed["summary"]["free"], 9);
    }

    #[test]
    fn json_with_nothing_selected_is_an_empty_object() {
        let mut out = Vec::new();
        json(&report(), Limit::parse("00").unwrap(), false, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\n\n}\n");
    }

    #[test]
    fn xml_matches_dhcpd_pools() {
        let mut out = Vec::new();
        xml(&report(), Limit::parse("01").unwrap(), false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<dhcpstatus>\n<subnet>\n\t<location>office</location>\n\t<range>10.0.0.10 - 10.0.0.19</range>\n\t<defined>10</defined>\n\t<used>1</used>\n\t<touched>4</touched>\n\t<free>9</free>\n</subnet>\n</dhcpstatus>\n"
        );
    }
}
