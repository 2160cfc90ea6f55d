//! ISC dhcpd judges charruad's replies (`bench/isc-diff`, issue 16): the same request profiles
//! played to both on each configuration of `testdata/isc-diff`. The paths that answer as dhcpd
//! answers are pinned: they must keep agreeing, and one that starts agreeing fails the test
//! until it is added, so the list only grows. What still differs, and why, is in
//! docs/dhcpd-conf.md ("Answered as dhcpd answers").

mod lab;

use std::process::Command;

/// Configuration paths whose every reply matches dhcpd's (addresses apart).
const AGREEING: &[&str] = &[
    "classes (link)",
    "classes (relay)",
    "hosts (link)",
    "hosts (relay)",
    "plain (link)",
    "plain (relay)",
    "pxe (link)",
    "pxe (relay)",
    "times (link)",
    "times (relay)",
];

#[test]
fn the_paths_that_answer_as_dhcpd_keep_doing_so() {
    if !lab::can_run() || !lab::have("dhcpd") {
        eprintln!("SKIP: needs root and ISC dhcpd");
        return;
    }
    let Some(charrua) = lab::sibling_binary("charrua") else {
        return;
    };
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out = Command::new(format!("{root}/bench/isc-diff"))
        .env("CHARRUAD", env!("CARGO_BIN_EXE_charruad"))
        .env("CHARRUA", &charrua)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let verdicts: Vec<(&str, bool)> = report
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(path, _)| path.ends_with("(link)") || path.ends_with("(relay)"))
        .map(|(path, verdict)| (path, verdict.starts_with("same")))
        .collect();
    assert_eq!(
        verdicts.len(),
        10,
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (path, same) in verdicts {
        assert_eq!(
            same,
            AGREEING.contains(&path),
            "{path}: {} (update AGREEING and docs/dhcpd-conf.md)\n{report}",
            if same {
                "now agrees"
            } else {
                "no longer agrees"
            }
        );
    }
}
