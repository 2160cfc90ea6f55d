//! `on commit`, `on release` and `on expiry` with `set`, `log` and `execute`, judged against ISC
//! dhcpd in network namespaces the test creates: the same configuration (the idiom of real
//! sites: the leased address and hardware address made text, logged, handed to a program) is
//! served by each server in turn to busybox udhcpc (a lease it keeps until it runs out) and ISC
//! dhclient (a lease it releases); the program each server ran must have been given the same
//! arguments, and each server logged the same line. The variables `on commit` sets are kept in
//! the lease (and its lease file) for `on release` and `on expiry`, as dhcpd keeps them. A `log`
//! of the global scope runs for each reply, in both. `config-option` reads the client's options
//! in `on commit` and nothing in `on release`, in both.

mod lab;

use std::collections::BTreeSet;
use std::time::Duration;

use lab::{eventually, Lab};

/// Short leases, so that one runs out within the test (min-lease-time: dhcpd's is 300 s
/// unless configured).
fn config(program: &str) -> String {
    format!(
        "\
min-lease-time 6;
default-lease-time 6;
max-lease-time 6;
log(info, concat(\"Reply to \", binary-to-ascii(16, 8, \":\", substring(hardware, 1, 6))));
subnet 198.18.0.0 netmask 255.255.255.0 {{
  range 198.18.0.100 198.18.0.150;
  option domain-name \"lab.example\";
  on commit {{
    set ClientIP = binary-to-ascii(10, 8, \".\", leased-address);
    set ClientMac = binary-to-ascii(16, 8, \":\", substring(hardware, 1, 6));
    log(info, concat(\"Commit: IP: \", ClientIP, \" Mac: \", ClientMac, \" for \", binary-to-ascii(10, 32, \"\", encode-int(lease-time, 32))));
    execute(\"{program}\", \"commit\", ClientIP, ClientMac, pick-first-value(option host-name, \"-\"), pick-first-value(config-option domain-name, \"-\"));
  }}
  on release {{
    execute(\"{program}\", \"release\", binary-to-ascii(10, 8, \".\", leased-address), ClientMac, pick-first-value(config-option domain-name, \"-\"));
  }}
  on expiry {{
    execute(\"{program}\", \"expiry\", ClientIP, ClientMac);
  }}
}}
"
    )
}

/// The program: appends its arguments, one call a line, to `calls`.
fn program(lab: &Lab) -> (String, std::path::PathBuf) {
    let calls = lab.path("calls");
    let path = lab.path("hook.sh");
    std::fs::write(
        &path,
        format!("#!/bin/sh\necho \"$*\" >> {}\n", calls.display()),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&path)
        .status()
        .unwrap();
    (path.display().to_string(), calls)
}

/// Plays the clients against whichever server runs in `lab`: udhcpc gets a lease and keeps it
/// to its end; dhclient gets one and releases it. The program's calls, once the expiry came.
fn play(
    lab: &mut Lab,
    calls: &std::path::Path,
    server_log: &dyn Fn(&Lab) -> String,
) -> BTreeSet<String> {
    let keeper = lab.client("02:00:00:00:31:01");
    let (kept, said) = lab.udhcpc_once(&keeper, "/bin/true");
    let kept = kept.unwrap_or_else(|| panic!("udhcpc got no lease:\n{said}\n{}", lab.logs()));
    let releaser = lab.client("02:00:00:00:31:02");
    let client = lab.dhclient(&releaser);
    client.run(&["-1"]);
    client.run(&["-r"]);
    let expiry = format!("expiry {kept} 2:0:0:0:31:1");
    let done = eventually(30, || lab::read(calls).contains(&expiry));
    let text = lab::read(calls);
    assert!(done, "no expiry of {kept}:\n{text}\n{}", server_log(lab));
    // A moment for anything else to come.
    std::thread::sleep(Duration::from_millis(500));
    let log = server_log(lab);
    assert!(
        log.contains(&format!("Commit: IP: {kept} Mac: 2:0:0:0:31:1 for 6")),
        "the log line of the commit:\n{log}"
    );
    // A `log` of the global scope runs for each reply.
    assert!(
        log.contains("Reply to 2:0:0:0:31:2"),
        "the global scope's log line:\n{log}"
    );
    lab::read(calls).lines().map(str::to_string).collect()
}

#[test]
fn charruad_runs_on_commit_release_and_expiry_as_isc_dhcpd_does() {
    if lab::skip(&["udhcpc", "dhclient", "dhcpd"]) {
        return;
    }
    // ISC dhcpd first: what it does is the specification.
    let mut isc = Lab::new();
    let (path, calls) = program(&isc);
    std::fs::write(isc.path("dhcpd.conf"), config(&path)).unwrap();
    std::fs::write(isc.path("leases"), "").unwrap();
    let dhcpd = isc.start_dhcpd();
    let dhcpd_log = |lab: &Lab| lab::read(&lab.path("dhcpd.log"));
    let want = play(&mut isc, &calls, &dhcpd_log);
    isc.stop_dhcpd(dhcpd);

    let mut lab = Lab::new();
    let (path, calls) = program(&lab);
    lab.start(&config(&path));
    let got = play(&mut lab, &calls, &|lab: &Lab| lab.log());
    assert!(lab.stop().success(), "{}", lab.log());
    // The variables are in the lease file as dhcpd writes them, and dhcpd reads it back.
    let file = lab::read(&lab.path("leases"));
    assert!(file.contains("  set ClientIP = \"198.18.0."), "{file}");
    if let Some(Err(said)) =
        charrua_store::testing::dhcpd_test(&lab.path("dhcpd.conf"), &lab.path("leases"))
    {
        panic!("dhcpd -T on charruad's lease file:\n{said}\n{file}");
    }
    // Addresses may differ between the servers: compare the calls with them named.
    let shape = |calls: &BTreeSet<String>| -> BTreeSet<String> {
        calls
            .iter()
            .map(|c| {
                c.split(' ')
                    .map(|w| {
                        if w.starts_with("198.18.0.") {
                            "ADDRESS"
                        } else {
                            w
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    eprintln!("ISC dhcpd ran {want:#?}");
    assert_eq!(
        shape(&got),
        shape(&want),
        "charruad ran {got:#?}\nISC dhcpd ran {want:#?}"
    );
}
