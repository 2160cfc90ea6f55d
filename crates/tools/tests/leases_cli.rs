//! `charrua leases import` and `export` on a file written by ISC dhcpd.

use std::path::Path;
use std::process::Command;

fn testdata(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(p)
        .display()
        .to_string()
}

fn charrua(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_charrua"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn import_summarizes_and_export_round_trips() {
    let leases = testdata("leases/isc-dhclient-udhcpc.leases");
    let (ok, stdout, stderr) = charrua(&[
        "leases",
        "import",
        &leases,
        "--cf",
        &testdata("conf/ok-01-minimal.conf"),
    ]);
    assert!(ok, "{stderr}");
    // Counted as they stand now: the recorded leases ended on 2026-11-25, so none is active.
    assert_eq!(
        stdout.trim(),
        "2 leases: 0 active, 0 released, 2 free, 0 abandoned; 0 outside every pool"
    );
    let (ok, exported, _) = charrua(&["leases", "export", &leases]);
    assert!(ok);
    assert_eq!(
        exported.lines().filter(|l| l.starts_with("lease ")).count(),
        2,
        "one block per address"
    );
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("again.leases");
    std::fs::write(&again, &exported).unwrap();
    let (ok, twice, _) = charrua(&["leases", "export", again.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(twice, exported, "export is stable");
    // ISC dhcpd reads what we write back, every lease of it.
    let conf = std::path::PathBuf::from(testdata("conf/ok-01-minimal.conf"));
    if let Some(verdict) = charrua_store::testing::dhcpd_test(&conf, &again) {
        let wrote = verdict.unwrap_or_else(|said| panic!("dhcpd -T refused our export: {said}"));
        assert_eq!(wrote, 2);
    }
}

#[test]
fn bad_lease_files_fail_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.leases");
    std::fs::write(
        &bad,
        "lease 198.18.0.100 {\n  ends 3 2026/14/45 00:00:00;\n}\n",
    )
    .unwrap();
    let (ok, _, stderr) = charrua(&["leases", "export", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("bad.leases:2:"), "{stderr}");
}

#[test]
fn list_prints_the_leases_of_a_store() {
    use charrua_server::{ClientKey, Lease, LeaseChange, LeaseState};
    use charrua_store::{Journal, JournalOptions, LeaseStore};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leases.journal");
    {
        let (mut journal, _) =
            Journal::open(&path, JournalOptions::default(), &mut |_| {}).unwrap();
        for (last, state) in [(100u8, LeaseState::Bound), (101, LeaseState::Released)] {
            let lease = Lease {
                address: std::net::Ipv4Addr::new(198, 18, 0, last),
                state,
                client: ClientKey::Hardware {
                    htype: 1,
                    addr: vec![2, 0, 0, 0, 0, last].into(),
                },
                starts: 1,
                ends: u64::MAX,
                hostname: Some("pc".into()),
                hardware: None,
                variables: Vec::new(),
                billing: None,
                agent_options: None,
            };
            journal.append(&LeaseChange::Set(lease)).unwrap();
        }
        journal.commit().unwrap();
        // The list works while the store is open: it takes no lock and writes nothing.
        let (ok, table, stderr) = charrua(&["leases", "list", "--lf", path.to_str().unwrap()]);
        assert!(ok, "{stderr}");
        let first = table.lines().nth(1).unwrap_or_default();
        let words: Vec<&str> = first.split_whitespace().collect();
        assert_eq!(
            words,
            [
                "198.18.0.100",
                "bound",
                "1970-01-01T00:00:01Z",
                "never",
                "hw",
                "02:00:00:00:00:64",
                "pc"
            ],
            "{table}"
        );
    }
    let (ok, json, _) = charrua(&["leases", "list", "--lf", path.to_str().unwrap(), "--json"]);
    assert!(ok);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["state"], "released");
    assert_eq!(lines[1]["ends"], serde_json::Value::Null);
    assert_eq!(lines[1]["starts"], 1);
    assert_eq!(lines[1]["starts_iso"], "1970-01-01T00:00:01Z");
}

#[test]
fn import_seeds_a_store_that_list_then_shows() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("leases.journal");
    let leases = testdata("leases/isc-dhclient-udhcpc.leases");
    let config = testdata("conf/ok-01-minimal.conf");
    let (ok, _, stderr) = charrua(&[
        "leases",
        "import",
        &leases,
        "--cf",
        &config,
        "--lf",
        journal.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let (ok, table, _) = charrua(&["leases", "list", "--lf", journal.to_str().unwrap()]);
    assert!(ok);
    // The lease ended on 2026-11-25: it is listed as expired, not bound.
    assert!(table.contains("198.18.0.101    expired"), "{table}");
    assert!(table.contains("udhcpc-host"), "{table}");
}

/// A dhcpd.leases moved into a journal, the journal into a PostgreSQL database (Debian's,
/// started here): `list` and `export` read the database.
#[test]
fn a_journal_imports_into_a_database_that_list_and_export_read() {
    let Some(cluster) = charrua_store::pg_cluster::Cluster::for_test() else {
        return;
    };
    let url = cluster.url();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("leases.journal");
    let journal = journal.to_str().unwrap();
    let leases = testdata("leases/isc-dhclient-udhcpc.leases");
    let config = testdata("conf/ok-01-minimal.conf");
    let import = |from: &str, to: &str| {
        let (ok, _, stderr) = charrua(&["leases", "import", from, "--cf", &config, "--lf", to]);
        assert!(ok, "{stderr}");
    };
    import(&leases, journal);
    import(journal, &url);
    let (ok, table, stderr) = charrua(&["leases", "list", "--lf", &url]);
    assert!(ok, "{stderr}");
    assert!(table.contains("198.18.0.101    expired"), "{table}");
    let (ok, text, stderr) = charrua(&["leases", "export", &url]);
    assert!(ok, "{stderr}");
    assert!(text.contains("lease 198.18.0.101 {"), "{text}");
    assert!(text.contains("udhcpc-host"), "{text}");
}

/// `import`, `list` and `export` given a file charrua did not write: each leaves it as it was,
/// and a refusal says what the file is.
#[test]
fn no_command_changes_a_file_it_did_not_write() {
    use charrua_store::testing::{Snapshot, CASES};
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
    });
    let config = testdata("conf/ok-01-minimal.conf");
    for case in CASES {
        if case.name.contains("another owner") && !root {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dhcpd.leases");
        (case.make)(&path);
        let file = path.to_str().unwrap();
        let seeded = dir.path().join("seeded");
        let commands: [&[&str]; 4] = [
            &["leases", "list", "--lf", file],
            &["leases", "export", file],
            &["leases", "import", file, "--cf", &config],
            &[
                "leases",
                "import",
                &testdata("leases/isc-dhclient-udhcpc.leases"),
                "--cf",
                &config,
                "--lf",
                file,
            ],
        ];
        for (i, args) in commands.iter().enumerate() {
            // Seeding a dhcpd.leases or an empty file appends to it: that is what it is for.
            if i == 3 && case.is_isc {
                continue;
            }
            let before = Snapshot::take(&path);
            let (ok, _, stderr) = charrua(args);
            assert_eq!(
                Snapshot::take(&path),
                before,
                "{}: charrua {args:?} changed it",
                case.name
            );
            // Reading a dhcpd.leases (or another owner's read-only one) works; seeding only an
            // empty file or a lease file its owner may write.
            let readable = case.is_isc || case.name.contains("another owner");
            let expect_ok = match i {
                3 => false,
                _ => readable,
            };
            assert_eq!(ok, expect_ok, "{}: charrua {args:?}: {stderr}", case.name);
            if !ok && case.name != "ISC lease file" {
                assert!(
                    stderr.contains(case.refusal) || stderr.contains("read-only"),
                    "{}: {stderr}",
                    case.name
                );
            }
        }
        assert!(!seeded.exists());
    }
}
