//! charruad(8), the man page, written from the flag table ([`crate::args::FLAGS`]) so the page
//! and the parser cannot disagree: `charruad --man > charruad.8`.

use roff::{bold, italic, roman, Inline, Roff};

use crate::args::{synopsis_flags, Flag, FLAGS};

/// What the page says besides the flags: a section's title and its paragraphs.
const DESCRIPTION: &[&str] = &[
    "charruad serves DHCPv4 from an ISC dhcpd configuration, dhcpd.conf(5), and keeps its \
     leases in ISC's dhcpd.leases(5) format, so it takes the place of dhcpd(8) on the same \
     files, and dhcpd can take its place again. What it reads of dhcpd.conf is in \
     charruad-dhcpd.conf(5). A charrua journal, or a PostgreSQL database that several servers \
     share, can hold the leases instead (--lease-format, --store).",
    "It serves the interfaces named on the command line, or every interface with an address \
     in a declared subnet. Each lease is written to the lease store and synced before its \
     acknowledgement is sent. It opens its sockets and lease file as root, then drops to \
     -user and -group. It never forks. It logs as dhcpd does, to syslog, or to standard error \
     with -d or -f; started by systemd, to the journal.",
    "With -t or -T it checks the configuration or the lease file, as dhcpd -t and -T do, and \
     exits.",
];

/// Signals and what charruad does on each.
const SIGNALS: &[(&str, &str)] = &[
    (
        "SIGTERM, SIGINT",
        "finish the lease commits in flight, then exit",
    ),
    (
        "SIGHUP",
        "read the configuration again, keeping every lease; a configuration with errors is \
         logged and the previous one goes on serving",
    ),
    ("SIGUSR1", "log the counters of what was served and dropped"),
];

/// Files it reads and writes by default.
const FILES: &[(&str, &str)] = &[
    (
        crate::args::DEFAULT_CONFIG,
        "the configuration, in ISC dhcpd's language (-cf)",
    ),
    (
        crate::args::DEFAULT_LEASES,
        "the lease file, in ISC dhcpd's format (-lf, or lease-file-name in the configuration)",
    ),
    (crate::args::DEFAULT_PID, "the pid file (-pf)"),
    (
        "/etc/default/charruad",
        "with the Debian package: the interfaces and options charruad.service starts it with",
    ),
];

/// The page, in roff.
pub(crate) fn render() -> String {
    let mut page = Roff::new();
    let version = format!("charruad {}", env!("CARGO_PKG_VERSION"));
    page.control(
        "TH",
        // No date (`""`): the page is the same whenever it is built.
        ["CHARRUAD", "8", "\"\"", &version, "System Manager's Manual"],
    )
    .control("nh", [])
    .control("ad", ["l"])
    .control("SH", ["NAME"])
    .text([roman(
        "charruad - DHCPv4 server, a drop-in replacement for ISC dhcpd",
    )])
    .control("SH", ["SYNOPSIS"]);
    let mut synopsis = vec![bold("charruad")];
    for flag in synopsis_flags() {
        synopsis.push(roman(" ["));
        synopsis.extend(spelling(flag, &flag.names[..1]));
        synopsis.push(roman("]"));
    }
    synopsis.extend([
        roman(" ["),
        italic("OPTION"),
        roman("...] ["),
        italic("INTERFACE"),
        roman("...]"),
    ]);
    page.text(synopsis).control("SH", ["DESCRIPTION"]);
    for paragraph in DESCRIPTION {
        page.control("PP", []).text([roman(*paragraph)]);
    }
    page.control("SH", ["OPTIONS"]);
    for flag in FLAGS.iter().filter(|f| !f.hidden) {
        page.control("TP", []).text(spelling(flag, flag.names));
        let mut help = Vec::new();
        for (i, paragraph) in flag.help.split('\n').enumerate() {
            if i > 0 {
                help.push(Inline::LineBreak);
            }
            help.push(roman(paragraph));
        }
        page.text(help);
    }
    tagged(&mut page, "SIGNALS", SIGNALS);
    page.control("SH", ["ENVIRONMENT"])
        .control("TP", [])
        .text([bold("CHARRUAD_LOG")])
        .text([roman(
            "what is logged, as a tracing filter (e.g. debug, or warn); it overrides -d",
        )]);
    tagged(&mut page, "FILES", FILES);
    page.control("SH", ["EXIT STATUS"]).text([roman(
        "0 when the server stopped on a signal, or the files checked are valid; 1 otherwise.",
    )]);
    page.control("SH", ["SEE ALSO"]).text([roman(
        "charruad-dhcpd.conf(5), charrua(1), dhcpd(8), dhcpd.conf(5), dhcpd.leases(5), \
         dhcp-options(5)",
    )]);
    page.render()
}

/// `-cf, --config FILE`, names bold and the value italic.
fn spelling(flag: &Flag, names: &[&str]) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(roman(", "));
        }
        out.push(bold(*name));
    }
    if let Some(value) = flag.value_name() {
        out.extend([roman(" "), italic(value)]);
    }
    out
}

/// A section of tagged paragraphs.
fn tagged(page: &mut Roff, title: &str, entries: &[(&str, &str)]) {
    page.control("SH", [title]);
    for (tag, text) in entries {
        page.control("TP", [])
            .text([bold(*tag)])
            .text([roman(*text)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_has_every_visible_flag_and_none_hidden() {
        let page = render();
        assert!(page.contains(".TH CHARRUAD 8"));
        for flag in FLAGS {
            let line = flag
                .names
                .iter()
                .map(|n| format!("\\fB{}\\fR", n.replace('-', "\\-")))
                .collect::<Vec<_>>()
                .join(", ");
            assert_eq!(page.contains(&line), !flag.hidden, "{line}");
        }
    }
}
