//! ISC `dhcpd -T` as the judge of lease files: for every file of testdata/leases/corpus
//! (recorded from a real ISC dhcpd, taken from public projects, or written to exercise one rule;
//! origins in its ORIGIN.md), `charruad -T` gives the verdict dhcpd gives, as pinned in its
//! VERDICTS (made by its judge.sh); where dhcpd is installed it still gives it; and charrua
//! reads as many active leases and live host declarations as the file holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use charrua_server::{LeaseChange, LeaseState};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/leases/corpus")
}

/// One line of VERDICTS: the file, whether dhcpd accepts it, and the active leases and live
/// hosts counted from its text.
struct Pin {
    name: String,
    ok: bool,
    active: usize,
    hosts: usize,
}

fn pins() -> Vec<Pin> {
    let text = std::fs::read_to_string(corpus().join("VERDICTS")).unwrap();
    text.lines()
        .map(|line| {
            let parts: Vec<&str> = line.split(" | ").collect();
            let counts: Vec<usize> = parts
                .last()
                .unwrap()
                .split(", ")
                .map(|c| c.rsplit(' ').next().unwrap().parse().unwrap())
                .collect();
            Pin {
                name: parts[0].to_string(),
                ok: parts[1] == "dhcpd: ok",
                active: counts[0],
                hosts: counts[1],
            }
        })
        .collect()
}

#[test]
fn charruad_gives_dhcpds_verdict_on_every_lease_file_of_the_corpus() {
    let pins = pins();
    assert!(pins.len() >= 30, "{} files", pins.len());
    let mut names: Vec<&str> = pins.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    let mut files: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".leases"))
        .collect();
    files.sort();
    assert_eq!(names, files, "VERDICTS does not list exactly the corpus");
    let conf = corpus().join("dhcpd.conf");
    let dir = tempfile::tempdir().unwrap();
    let mut differ = Vec::new();
    for pin in &pins {
        // Both read a copy: dhcpd -T writes a scratch file beside the lease file.
        let copy = dir.path().join(&pin.name);
        std::fs::copy(corpus().join(&pin.name), &copy).unwrap();
        if let Some(judged) = charrua_store::testing::dhcpd_test(&conf, &copy) {
            assert_eq!(
                judged.is_ok(),
                pin.ok,
                "{}: dhcpd no longer says so",
                pin.name
            );
        }
        let out = Command::new(env!("CARGO_BIN_EXE_charruad"))
            .args(["-T", "-q", "-cf"])
            .arg(&conf)
            .arg("-lf")
            .arg(&copy)
            .output()
            .unwrap();
        if out.status.success() != pin.ok {
            differ.push(format!(
                "{}: dhcpd {}, charruad {}\n{}",
                pin.name,
                if pin.ok { "accepts" } else { "refuses" },
                if out.status.success() {
                    "accepts"
                } else {
                    "refuses"
                },
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// What charrua reads of each accepted file: the last block per address wins, and the leases
/// bound at the end are those the file's last blocks call active; hosts are those not deleted.
#[test]
fn charrua_reads_every_active_lease_and_live_host_of_the_accepted_files() {
    for pin in pins().iter().filter(|p| p.ok) {
        let text = std::fs::read_to_string(corpus().join(&pin.name)).unwrap();
        let file = charrua_conf::leases::read(&pin.name, text);
        let mut last = HashMap::new();
        for change in &file.changes {
            match change {
                LeaseChange::Set(lease) => last.insert(lease.address, lease.state),
                LeaseChange::Remove(address) => last.remove(address),
            };
        }
        let active = last.values().filter(|s| **s == LeaseState::Bound).count();
        let hosts = charrua_conf::leases::host_declarations(&file.kept_top)
            .lines()
            .filter(|l| l.starts_with("host "))
            .count();
        assert_eq!(
            (active, hosts),
            (pin.active, pin.hosts),
            "{}: (active, hosts)",
            pin.name
        );
    }
}

/// The lease file is the configuration's `lease-file-name`, with or without -lf, as dhcpd 4.4
/// takes it (`dhcpd -T -lf A` with `lease-file-name "B"` reads B).
#[test]
fn the_lease_file_is_the_configurations_lease_file_name_even_with_lf() {
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("named.leases");
    std::fs::copy(corpus().join("bad-44-bad-address.leases"), &named).unwrap();
    let conf = dir.path().join("dhcpd.conf");
    let mut text = std::fs::read_to_string(corpus().join("dhcpd.conf")).unwrap();
    text.push_str(&format!("lease-file-name \"{}\";\n", named.display()));
    std::fs::write(&conf, text).unwrap();
    let check = |extra: &[&Path]| {
        let out = Command::new(env!("CARGO_BIN_EXE_charruad"))
            .args(["-T", "-q", "-cf"])
            .arg(&conf)
            .args(extra.iter().flat_map(|p| [Path::new("-lf"), p]))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, said) = check(&[]);
    assert!(!ok && said.contains("named.leases"), "{said}");
    let good = corpus().join("ok-01-real-dhclient-lease.leases");
    let (ok, said) = check(&[&good]);
    assert!(!ok && said.contains("named.leases"), "{said}");
    // ISC dhcpd, where installed, says the same.
    if let Ok(out) = Command::new("dhcpd")
        .args(["-T", "-cf"])
        .arg(&conf)
        .arg("-lf")
        .arg(&good)
        .output()
    {
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("named.leases line"), "dhcpd: {said}");
    }
}

/// What one read of a lease file holds, per address: the last block's change and the
/// statements kept with it, and the host declarations in effect.
fn reading(
    name: &str,
    text: String,
) -> (HashMap<std::net::Ipv4Addr, (LeaseChange, String)>, String) {
    let file = charrua_conf::leases::read(name, text);
    let kept: HashMap<usize, String> = file.kept.iter().map(|(i, t)| (*i, t.to_string())).collect();
    let mut last = HashMap::new();
    for (i, change) in file.changes.iter().enumerate() {
        let address = match change {
            LeaseChange::Set(lease) => lease.address,
            LeaseChange::Remove(address) => *address,
        };
        last.insert(
            address,
            (change.clone(), kept.get(&i).cloned().unwrap_or_default()),
        );
    }
    (
        last,
        charrua_conf::leases::host_declarations(&file.kept_top),
    )
}

/// A dhcpd.leases written anew by charrua (compaction, `charrua leases export`) loses nothing
/// dhcpd keeps: for every accepted corpus file, the rewrite reads back to the same leases
/// (hardware address and uid together), the same kept statements (`set` variables, agent
/// options, `on` statements, folded states such as failover's `backup`) and the same hosts, and
/// `dhcpd -T` accepts it.
#[test]
fn a_rewritten_lease_file_keeps_everything_dhcpd_keeps() {
    let conf = corpus().join("dhcpd.conf");
    let dir = tempfile::tempdir().unwrap();
    for pin in pins().iter().filter(|p| p.ok) {
        let path = corpus().join(&pin.name);
        let rewritten = charrua_store::IscLeaseFile::rendered(&path).unwrap();
        let original = std::fs::read_to_string(&path).unwrap();
        let (before, hosts_before) = reading(&pin.name, original);
        let (after, hosts_after) = reading(&pin.name, rewritten.clone());
        assert_eq!(after, before, "{}:\n{rewritten}", pin.name);
        assert_eq!(hosts_after, hosts_before, "{}", pin.name);
        let copy = dir.path().join(&pin.name);
        std::fs::write(&copy, &rewritten).unwrap();
        if let Some(judged) = charrua_store::testing::dhcpd_test(&conf, &copy) {
            assert!(
                judged.is_ok(),
                "{}: dhcpd -T on the rewrite:\n{judged:?}",
                pin.name
            );
        }
    }
}
