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
    assert_eq!(
        stdout.trim(),
        "2 leases: 1 active, 0 released, 1 free, 0 abandoned; 0 outside every pool"
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
    // ISC dhcpd reads what we write back, when it is installed.
    if Command::new("dhcpd").arg("--version").output().is_ok() {
        let out = Command::new("dhcpd")
            .args([
                "-T",
                "-q",
                "-cf",
                &testdata("conf/ok-01-minimal.conf"),
                "-lf",
            ])
            .arg(&again)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "dhcpd -T refused our lease file: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn bad_lease_files_fail_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.leases");
    std::fs::write(
        &bad,
        "lease 198.18.0.100 {\n  ends 3 2026/13/45 00:00:00;\n}\n",
    )
    .unwrap();
    let (ok, _, stderr) = charrua(&["leases", "export", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("bad.leases:2:"), "{stderr}");
}
