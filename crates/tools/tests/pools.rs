//! `charrua pools` judged by the real dhcpd-pools (Debian's 2.29): the configurations and lease
//! files of `testdata/pools` through both, in every format, limit, sort order and Nagios check,
//! and the outputs must be the same byte for byte, with the same exit status. Where dhcpd-pools
//! is not installed the comparisons skip with a message (under CI it must be installed), and
//! `charrua pools` is still run on every input.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `testdata/pools`, where both programs run (include files are named relative to it).
fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pools")
}

/// The configurations (NAME.conf with NAME.leases).
const CASES: &[&str] = &["shared", "repeated", "failover", "alarm", "include", "none"];

/// The real dhcpd-pools, if installed (Debian puts it in /usr/bin).
fn dhcpd_pools() -> Option<PathBuf> {
    let found = ["/usr/sbin/dhcpd-pools", "/usr/bin/dhcpd-pools"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install dhcpd-pools (apt-get install dhcpd-pools)"
        );
        eprintln!(
            "SKIP: dhcpd-pools is not installed (apt-get install dhcpd-pools); charrua pools \
             is run but not compared"
        );
    }
    found
}

/// What a run printed and how it exited.
#[derive(Debug, PartialEq)]
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(program: &Path, args: &[&str]) -> Ran {
    // dhcpd-pools names itself in its check's line as it was called.
    let out = Command::new(program)
        .arg0("dhcpd-pools")
        .args(args)
        .current_dir(dir())
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn charrua(args: &[&str]) -> Ran {
    let mut all = vec!["pools"];
    all.extend_from_slice(args);
    run(Path::new(env!("CARGO_BIN_EXE_charrua")), &all)
}

/// Runs both programs on every case with each of `variants` (extra arguments) and returns how
/// many runs differed, after printing each difference. Every charrua run must succeed (exit
/// 0, 1 or 2, never a panic). Returns the exit statuses charrua gave.
fn compare(variants: &[&[&str]]) -> Vec<i32> {
    let peer = dhcpd_pools();
    let mut differ = Vec::new();
    let mut codes = Vec::new();
    for case in CASES {
        let (conf, leases) = (format!("{case}.conf"), format!("{case}.leases"));
        for extra in variants {
            let mut args = vec!["-c", conf.as_str(), "-l", leases.as_str()];
            args.extend_from_slice(extra);
            let ours = charrua(&args);
            let code = ours.code.unwrap_or(-1);
            assert!(
                (0..=2).contains(&code) && ours.stderr.is_empty(),
                "charrua pools {args:?}: {ours:?}"
            );
            codes.push(code);
            if let Some(peer) = &peer {
                let theirs = run(peer, &args);
                if (&theirs.stdout, theirs.code) != (&ours.stdout, ours.code) {
                    differ.push(format!(
                        "{args:?}\n--- dhcpd-pools (exit {:?})\n{}--- charrua pools (exit {:?})\n{}",
                        theirs.code, theirs.stdout, ours.code, ours.stdout
                    ));
                }
                // The numbers, parsed: JSON must read as JSON, and as dhcpd-pools' JSON.
                if extra.first() == Some(&"-f")
                    && extra.get(1).is_some_and(|f| f.starts_with(['j', 'J']))
                {
                    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s);
                    let ours = parse(&ours.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
                    assert_eq!(parse(&theirs.stdout).ok(), Some(ours), "{args:?}");
                }
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} runs differ from dhcpd-pools:\n{}",
        differ.len(),
        CASES.len() * variants.len(),
        differ.join("\n")
    );
    codes
}

#[test]
fn every_format_and_limit_prints_what_dhcpd_pools_prints() {
    compare(&[
        &[],
        &["-f", "t"],
        &["-f", "c"],
        &["-f", "j"],
        &["-f", "J"],
        &["-f", "x"],
        &["-f", "X"],
        &["--format=c"],
        &["-A"],
        &["-A", "-f", "j"],
        &["-A", "-f", "c"],
        &["-L", "01"],
        &["-L", "02"],
        &["-L", "04"],
        &["-L", "11"],
        &["-L", "22"],
        &["-L", "44"],
        &["-L", "70"],
        &["-L", "07"],
        &["-L", "00"],
        &["-L", "35"],
        &["-L", "01", "-f", "c"],
        &["-L", "22", "-f", "c"],
        &["-L", "44", "-f", "c"],
        &["-L", "01", "-f", "j"],
        &["-L", "40", "-f", "j"],
        &["-L", "00", "-f", "J"],
        &["-L", "02", "-f", "x"],
    ]);
}

#[test]
fn sort_orders_are_dhcpd_pools_own() {
    compare(&[
        &["-L", "11", "-s", "n"],
        &["-L", "11", "-s", "i"],
        &["-L", "11", "-s", "m"],
        &["-L", "11", "-s", "c"],
        &["-L", "11", "-s", "p"],
        &["-L", "11", "-s", "t"],
        &["-L", "11", "-s", "T"],
        &["-L", "11", "-s", "e"],
        &["-L", "11", "-s", "mi"],
        &["-L", "11", "-s", "n", "-s", "c"],
        &["-L", "11", "-s", "pt", "-r"],
        &["-L", "11", "-r"],
        &["-L", "01", "-s", "c", "-f", "c"],
        &["-L", "01", "-s", "e", "-r", "-f", "j"],
    ]);
}

#[test]
fn nagios_checks_say_and_exit_as_dhcpd_pools() {
    let codes = compare(&[
        &["--warning", "80"],
        &["--critical", "90"],
        &["--warning", "50", "--critical", "85"],
        &["--warning=88.8", "--critical=99.9"],
        &["--warning", "85", "--critical", "95", "-p"],
        &["--warning", "5", "--warn-count", "3"],
        &["--warning", "10", "--critical", "20", "--crit-count", "2"],
        &["--warning", "50", "--snet-alarms"],
        &["--warning", "50", "--minsize", "5", "-p"],
        &["--warning", "50", "--minsize", "10"],
        &["--warning", "50", "-L", "22"],
        &["--warning", "99", "-L", "11"],
        &["--warning", "99", "-L", "33", "-p"],
        &["--warning", "99", "-L", "27", "-p"],
        &["--warning", "1", "-L", "04"],
        &["--warning", "1", "-L", "01"],
        &["--critical", "50", "-s", "c", "-p"],
        &["--warning", "100"],
        &["--warn-count", "1000"],
        &["--warning", "0", "--critical", "0", "-r", "-p"],
    ]);
    for status in 0..=2 {
        assert!(
            codes.contains(&status),
            "no check exited {status}: {codes:?}"
        );
    }
}

#[test]
fn output_file_holds_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("report.csv");
    let file = file.to_str().unwrap();
    let ran = charrua(&[
        "-c",
        "shared.conf",
        "-l",
        "shared.leases",
        "-f",
        "c",
        "-o",
        file,
    ]);
    assert_eq!((ran.code, ran.stdout.as_str()), (Some(0), ""), "{ran:?}");
    let written = std::fs::read_to_string(file).unwrap();
    let stdout = charrua(&["-c", "shared.conf", "-l", "shared.leases", "-f", "c"]).stdout;
    assert_eq!(written, stdout);
    assert!(
        written.contains("\"campus\",\"426\",\"27\",\"6.338\""),
        "{written}"
    );
}

/// A charrua journal is counted as the dhcpd.leases `charrua leases export` writes of it.
#[test]
fn a_journal_counts_as_its_dhcpd_leases() {
    use charrua_server::{ClientKey, Lease, LeaseChange, LeaseState};
    use charrua_store::{Journal, JournalOptions, LeaseStore};
    let tmp = tempfile::tempdir().unwrap();
    let journal = tmp.path().join("leases.journal");
    {
        let (mut store, _) =
            Journal::open(&journal, JournalOptions::default(), &mut |_| {}).unwrap();
        let states = [
            LeaseState::Bound,
            LeaseState::Bound,
            LeaseState::Expired,
            LeaseState::Released,
            LeaseState::Declined,
        ];
        for (i, state) in (10u8..).zip(states.iter().cycle().take(12)) {
            let lease = Lease {
                address: std::net::Ipv4Addr::new(192, 0, 2, i),
                state: *state,
                client: ClientKey::Hardware {
                    htype: 1,
                    addr: vec![2, 0, 0, 0, 0, i].into(),
                },
                starts: 1_796_198_400,
                ends: 1_796_202_000,
                hostname: None,
                hardware: None,
                variables: Vec::new(),
                billing: None,
                agent_options: None,
            };
            store.append(&LeaseChange::Set(lease)).unwrap();
        }
        store.commit().unwrap();
    }
    let exported = tmp.path().join("exported.leases");
    let ran = run(
        Path::new(env!("CARGO_BIN_EXE_charrua")),
        &["leases", "export", journal.to_str().unwrap()],
    );
    assert_eq!(ran.code, Some(0), "{ran:?}");
    std::fs::write(&exported, &ran.stdout).unwrap();
    for format in ["t", "J"] {
        let args = |leases: &Path| {
            vec![
                "-c".to_string(),
                dir().join("shared.conf").display().to_string(),
                "-l".to_string(),
                leases.display().to_string(),
                "-f".to_string(),
                format.to_string(),
            ]
        };
        let journal_args = args(&journal);
        let from_journal = charrua(&journal_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(from_journal.code, Some(0), "{from_journal:?}");
        let export_args = args(&exported);
        let export_args: Vec<&str> = export_args.iter().map(String::as_str).collect();
        let from_export = charrua(&export_args);
        assert_eq!(from_journal.stdout, from_export.stdout);
        if format == "t" {
            // 192.0.2.10-21 in the range 192.0.2.10-29: 6 bound, 6 ended.
            assert!(
                from_journal.stdout.contains(
                    "All networks        192.0.2.10       - 192.0.2.29          20     6     30.000      6    12    60.000"
                ),
                "{}",
                from_journal.stdout
            );
        }
        if let Some(peer) = dhcpd_pools() {
            assert_eq!(run(&peer, &export_args).stdout, from_journal.stdout);
        }
    }
}

#[test]
fn bad_input_fails_with_a_message_and_never_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let garbage = tmp.path().join("garbage.leases");
    std::fs::write(
        &garbage,
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let text = tmp.path().join("text.leases");
    std::fs::write(
        &text,
        "lease 192.0.2.10 {\n  binding state sideways;\n}\nnot a lease file\n",
    )
    .unwrap();
    let broken = tmp.path().join("broken.conf");
    std::fs::write(
        &broken,
        "subnet 192.0.2.0 netmask 255.255.255.0 {\n  range 192.0.2.10 192.0.2.20\n",
    )
    .unwrap();
    let no_range = tmp.path().join("bad-range.conf");
    std::fs::write(
        &no_range,
        "subnet 192.0.2.0 netmask 255.255.255.0 { range 192.0.2.10 twenty; }\n",
    )
    .unwrap();
    let (garbage, text, broken, no_range) = (
        garbage.to_str().unwrap(),
        text.to_str().unwrap(),
        broken.to_str().unwrap(),
        no_range.to_str().unwrap(),
    );
    let dir = tmp.path().to_str().unwrap();
    // (arguments, what the message must say, whether dhcpd-pools refuses it too)
    let cases: &[(&[&str], &str, bool)] = &[
        (
            &["-c", "missing.conf", "-l", "shared.leases"],
            "missing.conf",
            true,
        ),
        (
            &["-c", "shared.conf", "-l", "missing.leases"],
            "missing.leases",
            true,
        ),
        (
            &["-c", broken, "-l", "shared.leases"],
            "error(s) in the configuration",
            false,
        ),
        (
            &["-c", no_range, "-l", "shared.leases"],
            "error(s) in the configuration",
            false,
        ),
        (
            &["-c", "shared.conf", "-l", garbage],
            "not a dhcpd.leases",
            false,
        ),
        (
            &["-c", "shared.conf", "-l", text],
            "not a dhcpd.leases",
            false,
        ),
        (
            &["-c", "shared.conf", "-l", "shared.conf"],
            "not a dhcpd.leases",
            false,
        ),
        (&["-c", "shared.conf", "-l", dir], "a directory", false),
        // (dhcpd-pools reads a directory for ever.)
        (&["-c", dir, "-l", "shared.leases"], dir, false),
        (
            &["-c", "shared.conf", "-l", "shared.leases", "-f", "q"],
            "unknown output format",
            true,
        ),
        (
            &["-c", "shared.conf", "-l", "shared.leases", "-f", "h"],
            "deprecated",
            true,
        ),
        (
            &["-c", "shared.conf", "-l", "shared.leases", "-s", "z"],
            "unknown sort order",
            true,
        ),
        (
            &["-c", "shared.conf", "-l", "shared.leases", "-L", "9"],
            "output mask '9' is illegal",
            true,
        ),
        (
            &["-c", "shared.conf", "-l", "shared.leases", "-L", "1"],
            "output mask '1' is illegal",
            true,
        ),
        (
            &[
                "-c",
                "shared.conf",
                "-l",
                "shared.leases",
                "--warning",
                "abc",
            ],
            "illegal argument: 'abc'",
            true,
        ),
        (
            &[
                "-c",
                "shared.conf",
                "-l",
                "shared.leases",
                "--minsize",
                "5x",
            ],
            "illegal argument: '5x'",
            true,
        ),
        (
            &[
                "-c",
                "shared.conf",
                "-l",
                "shared.leases",
                "-o",
                "/nonexistent/dir/out",
            ],
            "/nonexistent/dir/out",
            true,
        ),
    ];
    let peer = dhcpd_pools();
    for (args, says, refused) in cases {
        let ran = charrua(args);
        assert_eq!(ran.code, Some(1), "{args:?}: {ran:?}");
        assert!(
            ran.stderr.contains("charrua pools: ") && ran.stderr.contains(says),
            "{args:?} must say {says:?}: {}",
            ran.stderr
        );
        assert!(!ran.stderr.contains("panicked"), "{args:?}: {}", ran.stderr);
        if let (Some(peer), true) = (&peer, refused) {
            assert_eq!(run(peer, args).code, Some(1), "dhcpd-pools {args:?}");
        }
    }
}

#[test]
fn every_test_file_says_what_it_exercises() {
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.lines()
                .next()
                .is_some_and(|l| l.starts_with("# ") && l.len() > 20),
            "{} must open with a one-line comment on what it exercises",
            path.display()
        );
    }
}
