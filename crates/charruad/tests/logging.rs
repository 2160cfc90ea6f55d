//! Where charruad's log goes, as ISC dhcpd's does, and the journal: without `-d` and `-f` to
//! syslog (facility `daemon`, or the configuration's `log-facility`), each line at its
//! priority and nothing on standard error; with standard error on the journal
//! (`JOURNAL_STREAM`), there with sd-daemon(3) `<N>` prefixes and not to syslog; with `-d` or
//! `-f` to standard error. A real client (udhcpc) gets a lease from charruad in a network
//! namespace; the test binds the syslog socket itself (`--syslog-socket`).

mod lab;

use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lab::{eventually, Lab, Reap};

/// A configuration warning at start (a server-wide DDNS statement in a subnet, where it changes
/// nothing), and a line at each of dhcpd's `log` priorities for every reply (error, info,
/// debug), besides charruad's own DHCPDISCOVER... lines.
const LINES: &str = "\
ddns-update-style interim;
log(error, \"probe: an error line\");
log(info, \"probe: an info line\");
log(debug, \"probe: a debug line\");
subnet 198.18.0.0 netmask 255.255.255.0 {
  range 198.18.0.100 198.18.0.150;
  ddns-dual-stack-mixed-mode true;
}
";

/// The datagrams a syslog socket received, read on a thread as a syslog daemon reads.
struct Syslogd {
    lines: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Syslogd {
    fn bind(path: &Path) -> Self {
        let socket = UnixDatagram::bind(path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (into, stopped) = (Arc::clone(&lines), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !stopped.load(Ordering::Relaxed) {
                if let Ok(n) = socket.recv(&mut buf) {
                    let line = String::from_utf8_lossy(&buf[..n]).into_owned();
                    into.lock().unwrap().push(line);
                }
            }
        });
        Self {
            lines,
            stop,
            thread: Some(thread),
        }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    fn stop(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        self.lines()
    }
}

/// What one run of charruad logged.
struct Logged {
    pid: u32,
    stderr: String,
    syslog: Vec<String>,
}

impl Logged {
    /// Whether syslog received `<pri>charruad[PID]: ` followed by a line containing `text`.
    fn syslog_has(&self, pri: u8, text: &str) -> bool {
        let head = format!("<{pri}>charruad[{}]: ", self.pid);
        self.syslog.iter().any(|l| {
            l.strip_prefix(&head)
                .is_some_and(|rest| rest.contains(text))
        })
    }

    /// Both, for a failure message.
    fn shown(&self) -> String {
        format!(
            "--- stderr\n{}--- syslog\n{}",
            self.stderr,
            self.syslog.join("\n")
        )
    }
}

/// Serves `config` with `flags`, `--syslog-socket` at a socket the test reads, standard error
/// to a file (named by `JOURNAL_STREAM` when `journal`), and debug lines enabled; a client gets
/// a lease; charruad is stopped with SIGTERM.
fn run(config: &str, flags: &[&str], syslog_socket: Option<&str>, journal: bool) -> Logged {
    let mut lab = Lab::new();
    let socket = lab.path("syslog");
    let syslogd = Syslogd::bind(&socket);
    std::fs::write(lab.path("dhcpd.conf"), config).unwrap();
    std::fs::write(lab.path("leases"), "").unwrap();
    let stderr_path = lab.path("stderr");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let mut command = Command::new("ip");
    command
        .args(["netns", "exec", &lab.server])
        .arg(env!("CARGO_BIN_EXE_charruad"))
        .arg("-q")
        .args(flags)
        .arg("-cf")
        .arg(lab.path("dhcpd.conf"))
        .arg("-lf")
        .arg(lab.path("leases"))
        .arg("-pf")
        .arg(lab.path("pid"))
        .arg("--syslog-socket")
        .arg(syslog_socket.map_or(socket.clone(), |s| lab.path(s)))
        .arg("br0")
        .env("CHARRUAD_LOG", "debug")
        .env_remove("JOURNAL_STREAM")
        .stdout(Stdio::null());
    if journal {
        let file = std::fs::metadata(&stderr_path).unwrap();
        command.env("JOURNAL_STREAM", format!("{}:{}", file.dev(), file.ino()));
    }
    let mut charruad = Reap(command.stderr(stderr).spawn().unwrap());
    let pid = charruad.0.id();
    let said = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let logged =
        |text: &str| said().contains(text) || syslogd.lines().iter().any(|l| l.contains(text));
    assert!(
        eventually(15, || logged("serving")),
        "charruad did not start:\n{}\n{:#?}",
        said(),
        syslogd.lines()
    );
    let ns = lab.client("02:00:00:00:5e:01");
    let (leased, client) = lab.udhcpc_once(&ns, "/bin/true");
    assert!(
        leased.is_some(),
        "{client}\n{}\n{:#?}",
        said(),
        syslogd.lines()
    );
    assert!(eventually(10, || logged("DHCPACK on")), "{}", said());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let mut status = None;
    assert!(eventually(10, || {
        status = charruad.0.try_wait().unwrap();
        status.is_some()
    }));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}\n{}",
        said()
    );
    Logged {
        pid,
        stderr: said(),
        syslog: syslogd.stop(),
    }
}

/// The lines every run logs, at their priority: syslog's facility * 8 + severity.
fn assert_syslog_priorities(logged: &Logged, facility: u8) {
    let pri = |severity: u8| facility * 8 + severity;
    for (severity, text) in [
        (3, "probe: an error line"),
        (4, "warning: 'ddns-dual-stack-mixed-mode'"),
        // The caret line of the same warning: every line of it is a line of syslog.
        (4, "^^^^"),
        (6, "DHCPDISCOVER from 02:00:00:00:5e:01 via br0"),
        (6, "DHCPACK on 198.18.0."),
        (6, "probe: an info line"),
        (6, "serving"),
        (7, "probe: a debug line"),
    ] {
        assert!(
            logged.syslog_has(pri(severity), text),
            "<{}> {text}\n{}",
            pri(severity),
            logged.shown()
        );
    }
}

#[test]
fn a_daemon_logs_to_syslog_with_facility_daemon_and_each_line_at_its_priority() {
    if lab::skip(&["udhcpc"]) {
        return;
    }
    let logged = run(LINES, &[], None, false);
    assert_syslog_priorities(&logged, 3);
    assert_eq!(logged.stderr, "", "{}", logged.shown());
}

#[test]
fn log_facility_names_the_syslog_facility() {
    if lab::skip(&["udhcpc"]) {
        return;
    }
    let logged = run(&format!("log-facility local7;\n{LINES}"), &[], None, false);
    assert_syslog_priorities(&logged, 23);
    assert!(!logged.syslog_has(30, "DHCPACK"), "{}", logged.shown());
    assert_eq!(logged.stderr, "", "{}", logged.shown());
}

#[test]
fn under_systemd_the_journal_gets_sd_daemon_priority_prefixes_and_syslog_nothing() {
    if lab::skip(&["udhcpc"]) {
        return;
    }
    // log-facility too: the journal reads the syslog socket as well, so nothing goes there.
    let logged = run(&format!("log-facility local7;\n{LINES}"), &[], None, true);
    assert!(logged.syslog.is_empty(), "{}", logged.shown());
    for line in logged.stderr.lines() {
        let prefixed = line.len() >= 3
            && line.as_bytes()[0] == b'<'
            && (b'0'..=b'7').contains(&line.as_bytes()[1])
            && line.as_bytes()[2] == b'>';
        assert!(prefixed, "{line:?}\n{}", logged.shown());
    }
    for line in [
        "<3>probe: an error line",
        "<4>  |",
        "<6>DHCPACK on 198.18.0.",
        "<6>probe: an info line",
        "<7>probe: a debug line",
    ] {
        assert!(
            logged.stderr.lines().any(|l| l.starts_with(line)),
            "{line}\n{}",
            logged.shown()
        );
    }
    assert!(
        logged
            .stderr
            .lines()
            .any(|l| l.starts_with("<4>") && l.contains("warning: 'ddns-dual-stack-mixed-mode'")),
        "{}",
        logged.shown()
    );
}

#[test]
fn with_d_or_f_the_log_goes_to_standard_error() {
    if lab::skip(&["udhcpc"]) {
        return;
    }
    for flag in ["-d", "-f"] {
        let logged = run(LINES, &[flag], None, false);
        assert!(logged.syslog.is_empty(), "{flag}\n{}", logged.shown());
        for text in [
            "Z ERROR probe: an error line",
            "Z  WARN ",
            "Z  INFO DHCPACK on 198.18.0.",
            "Z DEBUG probe: a debug line",
        ] {
            assert!(
                logged.stderr.contains(text),
                "{flag}: {text}\n{}",
                logged.shown()
            );
        }
        // The same under systemd: -d and -f keep dhcpd's standard error.
        let logged = run(LINES, &[flag], None, true);
        assert!(
            logged.stderr.contains("Z  INFO DHCPACK on"),
            "{}",
            logged.shown()
        );
    }
}

#[test]
fn without_a_syslog_socket_the_log_goes_to_standard_error_with_one_warning() {
    if lab::skip(&["udhcpc"]) {
        return;
    }
    let logged = run(LINES, &[], Some("no-such-socket"), false);
    assert!(logged.syslog.is_empty(), "{}", logged.shown());
    assert_eq!(
        logged.stderr.matches("can't log to syslog at ").count(),
        1,
        "{}",
        logged.shown()
    );
    // The configuration's warning, logged before syslog was tried, is there too.
    for text in [
        "Z  WARN can't log to syslog at ",
        "warning: 'ddns-dual-stack-mixed-mode'",
        "Z  INFO DHCPACK on 198.18.0.",
    ] {
        assert!(logged.stderr.contains(text), "{text}\n{}", logged.shown());
    }
}
