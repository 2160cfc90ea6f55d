//! ISC dhcpd judges charruad's replies (`bench/isc-diff`, issue 16): the same request profiles
//! played to both, on the configurations of `testdata/isc-diff` and on a subset of the world
//! corpus (`testdata/isc-diff/world.txt`: real configurations chosen for what they use: `if`
//! chains, classes and subclasses, hosts sharing an address, option spaces, shared networks,
//! failover, pools and permits). Every reply must be dhcpd's, addresses apart, but for the
//! differences docs/dhcpd-conf.md explains ("Answered as dhcpd answers"). The whole corpus is
//! `sudo bench/isc-diff testdata/conf/world/*.conf`.

mod lab;

use std::process::Command;

#[test]
fn charruad_answers_as_dhcpd_on_our_configurations_and_real_ones() {
    if !lab::can_run() || !lab::have("dhcpd") {
        eprintln!("SKIP: needs root and ISC dhcpd");
        return;
    }
    let Some(charrua) = lab::sibling_binary("charrua") else {
        return;
    };
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let ours = std::fs::read_dir(format!("{root}/testdata/isc-diff"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"));
    let world = std::fs::read_to_string(format!("{root}/testdata/isc-diff/world.txt")).unwrap();
    let world = world
        .lines()
        .map(|name| format!("{root}/testdata/conf/world/{name}.conf").into());
    let configs: Vec<std::path::PathBuf> = ours.chain(world).collect();
    let out = Command::new(format!("{root}/bench/isc-diff"))
        .args(["-j", "10"])
        .args(&configs)
        .env("CHARRUAD", env!("CARGO_BIN_EXE_charruad"))
        .env("CHARRUA", &charrua)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let verdicts: Vec<(&str, &str)> = report
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(path, _)| path.ends_with("(link)") || path.ends_with("(relay)"))
        .collect();
    assert_eq!(
        verdicts.len(),
        2 * configs.len(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let differing: Vec<_> = verdicts
        .iter()
        .filter(|(_, verdict)| !verdict.starts_with("same"))
        .collect();
    assert!(
        differing.is_empty(),
        "{differing:?} (a difference that is right goes in docs/dhcpd-conf.md and probe-diff's explanations)\n{report}"
    );
    assert!(out.status.success(), "{report}");
}
