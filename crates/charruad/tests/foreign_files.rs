//! charruad started (and reloaded) with `-lf` on a file it did not write: an ISC dhcpd.leases
//! or an empty file is served and never rewritten (its bytes stay as they were, followed at most
//! by the blocks of leases that changed meanwhile: the sample's leases ended days ago, and
//! charruad marks them free as dhcpd does when it starts); text,
//! random bytes, a JPEG, a journal of a future version or with a damaged header, a directory,
//! a symlink, another owner's read-only file: charruad refuses to start, says what it found,
//! and the file is as it was.

mod lab;

use std::process::{Command, Stdio};
use std::time::Duration;

use charrua_store::testing::{Snapshot, CASES};
use lab::{Lab, Reap};

const CONFIG: &str =
    "subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }\n";

#[test]
fn charruad_changes_no_lease_file_it_did_not_write() {
    if !lab::can_run() {
        return;
    }
    let lab = Lab::new();
    let conf = lab.path("dhcpd.conf");
    std::fs::write(&conf, CONFIG).unwrap();
    for (i, case) in CASES.iter().enumerate() {
        let leases = lab.path(&format!("case{i}.leases"));
        (case.make)(&leases);
        let before = Snapshot::take(&leases);
        let log_path = lab.path(&format!("case{i}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &lab.server])
            .arg(env!("CARGO_BIN_EXE_charruad"))
            .args(["-q", "-f", "-cf"])
            .arg(&conf)
            .arg("-lf")
            .arg(&leases)
            .arg("-pf")
            .arg(lab.path(&format!("case{i}.pid")))
            .arg("br0")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut charruad = Reap(child);
        let said = || std::fs::read_to_string(&log_path).unwrap_or_default();
        let mut exited = None;
        for _ in 0..100 {
            if said().contains("serving") {
                break;
            }
            if let Ok(Some(status)) = charruad.0.try_wait() {
                exited = Some(status);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if case.is_isc {
            assert!(
                exited.is_none(),
                "{}: charruad did not serve:\n{}",
                case.name,
                said()
            );
            // A reload reads the configuration again and leaves the lease file alone.
            let pid = charruad.0.id().to_string();
            Command::new("kill").args(["-HUP", &pid]).status().unwrap();
            for _ in 0..100 {
                if said().contains("reloaded") {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            assert!(said().contains("reloaded"), "{}", said());
            Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            for _ in 0..100 {
                if matches!(charruad.0.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        } else {
            let status =
                exited.unwrap_or_else(|| panic!("{}: charruad served:\n{}", case.name, said()));
            assert!(!status.success(), "{}", case.name);
            assert!(
                said().contains(case.refusal),
                "{}: the refusal should say {:?}:\n{}",
                case.name,
                case.refusal,
                said()
            );
        }
        drop(charruad);
        if case.name == "ISC lease file" {
            let original = before.bytes().unwrap_or_default().to_vec();
            let now = std::fs::read(&leases).unwrap();
            assert!(now.starts_with(&original), "{} was rewritten", case.name);
            let appended = String::from_utf8(now[original.len()..].to_vec()).unwrap();
            let read = charrua_conf::leases::read("appended", appended.clone());
            assert!(!read.has_errors(), "{}: appended {appended:?}", case.name);
        } else {
            assert_eq!(Snapshot::take(&leases), before, "{} was changed", case.name);
        }
    }
}
