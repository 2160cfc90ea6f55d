//! Log lines gathered in memory and written out once per batch of messages: one line per
//! DHCP message stays affordable under load (one `write(2)` per batch on standard error; one
//! hand-over per batch to the thread that sends syslog its datagrams, [`crate::syslog`]).
//!
//! Lines are laid out for where they go ([`Output`]): `TIME LEVEL message` on standard error,
//! `<N>message` for the journal and syslog, N the line's severity (sd-daemon(3), RFC 5424).
//! `tracing` formats its events as their message only ([`MessageOnly`]); both they and the
//! per-message lines of the engine ([`LogBuffer::line`]) are laid out here, the same way.

use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::log::Output;
use crate::syslog::{Facility, Severity, Syslog};

/// Past this many bytes the buffer is written at once, whatever the batch.
const HIGH_WATER: usize = 256 << 10;

/// Where the buffered lines go.
#[derive(Debug)]
enum Sink {
    /// Not known yet: the configuration, which may set `log-facility`, is being read
    /// ([`LogBuffer::open_syslog`] decides). Lines are laid out both ways and held.
    Undecided {
        /// `-d` or `-f` was given.
        foreground: bool,
    },
    /// Standard error.
    Stderr,
    /// Standard error, and syslog (`-d` or `-f` with `log-facility`).
    StderrAndSyslog(Syslog),
    /// The journal, on standard error.
    Journal,
    /// syslog.
    Syslog(Syslog),
}

impl Sink {
    /// Whether lines are wanted as `TIME LEVEL message` and as `<N>message`.
    fn layouts(&self) -> (bool, bool) {
        match self {
            Self::Undecided { .. } | Self::StderrAndSyslog(_) => (true, true),
            Self::Stderr => (true, false),
            Self::Journal | Self::Syslog(_) => (false, true),
        }
    }
}

#[derive(Debug)]
struct State {
    /// `TIME LEVEL message` lines, for standard error.
    plain: Vec<u8>,
    /// `<N>message` lines, for the journal or syslog.
    tagged: Vec<u8>,
    /// The message being formatted by [`LogBuffer::line`].
    message: Vec<u8>,
    sink: Sink,
    /// The second `stamp` was made for.
    stamp_secs: u64,
    /// `YYYY-MM-DDTHH:MM:SS` of `stamp_secs`, UTC.
    stamp: String,
}

impl State {
    /// Lays `message` (lines of one event) out at `level` for where the log goes.
    fn push(&mut self, level: Level, message: &[u8]) {
        let message = message.strip_suffix(b"\n").unwrap_or(message);
        let (plain, tagged) = self.sink.layouts();
        if plain {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            if self.stamp_secs != now.as_secs() {
                self.stamp_secs = now.as_secs();
                self.stamp = utc(now.as_secs());
            }
            let _ = write!(
                Bytes(&mut self.plain),
                "{}.{:06}Z {level:>5} ",
                self.stamp,
                now.subsec_micros()
            );
            self.plain.extend_from_slice(message);
            self.plain.push(b'\n');
        }
        if tagged {
            // Every line of the event carries the prefix: journald and syslog take each
            // line on its own.
            let prefix = Severity::of(level).prefix();
            for line in message.split(|b| *b == b'\n') {
                self.tagged.extend_from_slice(&prefix);
                self.tagged.extend_from_slice(line);
                self.tagged.push(b'\n');
            }
        }
        if self.plain.len() + self.tagged.len() > HIGH_WATER {
            self.write_out();
        }
    }

    /// Writes every buffered line out to where the log goes (nothing while undecided).
    fn write_out(&mut self) {
        // The batch handed to syslog takes the buffer; the next one starts as large.
        let batch =
            |tagged: &mut Vec<u8>| std::mem::replace(tagged, Vec::with_capacity(tagged.len()));
        match &self.sink {
            Sink::Undecided { .. } => return,
            Sink::Stderr => {
                let _ = io::stderr().lock().write_all(&self.plain);
            }
            Sink::StderrAndSyslog(syslog) => {
                let _ = io::stderr().lock().write_all(&self.plain);
                syslog.send(batch(&mut self.tagged));
            }
            Sink::Journal => {
                let _ = io::stderr().lock().write_all(&self.tagged);
            }
            Sink::Syslog(syslog) => syslog.send(batch(&mut self.tagged)),
        }
        self.plain.clear();
        self.tagged.clear();
    }
}

/// The buffer behind the log; [`LogBuffer::flush`] writes it out.
#[derive(Debug)]
pub(crate) struct LogBuffer(Mutex<State>);

/// The daemon's log.
pub(crate) static LOG: LogBuffer = LogBuffer::new();

/// Why the log cannot go to syslog.
#[derive(Debug)]
pub(crate) enum SyslogError {
    /// `log-facility` names no facility of syslog(3).
    UnknownFacility(String),
    /// The syslog socket could not be opened.
    Open(io::Error),
}

impl fmt::Display for SyslogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownFacility(name) => write!(f, "unknown syslog facility {name}"),
            Self::Open(e) => write!(f, "{e}"),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of a Unix time, UTC (the proleptic Gregorian calendar: days to civil
/// date as in Howard Hinnant's `civil_from_days`).
fn utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Appends formatted text to a byte buffer.
struct Bytes<'a>(&'a mut Vec<u8>);

impl fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

impl LogBuffer {
    /// An empty log that holds its lines for standard error until told where it goes.
    const fn new() -> Self {
        Self(Mutex::new(State {
            plain: Vec::new(),
            tagged: Vec::new(),
            message: Vec::new(),
            sink: Sink::Undecided { foreground: true },
            stamp_secs: u64::MAX,
            stamp: String::new(),
        }))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where the log goes, chosen at start; syslog waits for [`LogBuffer::open_syslog`].
    pub(crate) fn start(&self, output: Output) {
        self.state().sink = match output {
            Output::Stderr => Sink::Undecided { foreground: true },
            Output::Journal => Sink::Journal,
            Output::Syslog => Sink::Undecided { foreground: false },
        };
    }

    /// Once the configuration is read (its `log-facility`, if it has one): opens the syslog
    /// socket at `socket` where the log goes there: always without `-d` and `-f` (with
    /// `daemon` unless `facility` names another, as ISC dhcpd), with them only where the
    /// configuration sets a facility. Where it cannot be opened, the log goes to standard
    /// error; the caller says why.
    pub(crate) fn open_syslog(
        &self,
        socket: &Path,
        facility: Option<&str>,
    ) -> Result<(), SyslogError> {
        let mut state = self.state();
        let Sink::Undecided { foreground } = state.sink else {
            return Ok(());
        };
        let opened = match facility {
            None if foreground => None,
            None => Some(Syslog::open(socket, Facility::DAEMON).map_err(SyslogError::Open)),
            Some(name) => Some(
                Facility::from_name(name)
                    .ok_or_else(|| SyslogError::UnknownFacility(name.to_string()))
                    .and_then(|f| Syslog::open(socket, f).map_err(SyslogError::Open)),
            ),
        };
        let (sink, result) = match opened {
            None => (Sink::Stderr, Ok(())),
            Some(Ok(syslog)) if foreground => (Sink::StderrAndSyslog(syslog), Ok(())),
            Some(Ok(syslog)) => (Sink::Syslog(syslog), Ok(())),
            Some(Err(e)) => (Sink::Stderr, Err(e)),
        };
        state.sink = sink;
        let (plain, tagged) = state.sink.layouts();
        if !plain {
            state.plain.clear();
        }
        if !tagged {
            state.tagged.clear();
        }
        result
    }

    /// Writes every buffered line out.
    pub(crate) fn flush(&self) {
        let mut state = self.state();
        if !state.plain.is_empty() || !state.tagged.is_empty() {
            state.write_out();
        }
    }

    /// Writes every buffered line out and waits (a little at most) for syslog to take them,
    /// at exit; lines logged afterwards go to standard error.
    pub(crate) fn finish(&self) {
        let syslog = {
            let mut state = self.state();
            if let Sink::Undecided { .. } = state.sink {
                state.sink = Sink::Stderr;
            }
            state.write_out();
            match std::mem::replace(&mut state.sink, Sink::Stderr) {
                Sink::StderrAndSyslog(syslog) | Sink::Syslog(syslog) => Some(syslog),
                other => {
                    state.sink = other;
                    None
                }
            }
        };
        if let Some(syslog) = syslog {
            syslog.close();
        }
    }

    /// Appends one line at `level`: the caller has checked that `tracing` has the level
    /// enabled.
    pub(crate) fn line(
        &self,
        level: Level,
        write: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result,
    ) {
        let mut state = self.state();
        let mut message = std::mem::take(&mut state.message);
        message.clear();
        let _ = write(&mut Bytes(&mut message));
        state.push(level, &message);
        state.message = message;
    }
}

/// Formats a `tracing` event as its message and fields only: the log adds the time and
/// level, or the priority, as where it goes wants them.
#[derive(Debug)]
pub(crate) struct MessageOnly;

impl<S, N> FormatEvent<S, N> for MessageOnly
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// A handle that appends one event, formatted by [`MessageOnly`], at its level.
#[derive(Debug)]
pub(crate) struct LogWriter<'a> {
    log: &'a LogBuffer,
    level: Level,
}

impl Write for LogWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.log.state().push(self.level, bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl MakeWriter<'_> for &'static LogBuffer {
    type Writer = LogWriter<'static>;

    fn make_writer(&self) -> Self::Writer {
        LogWriter {
            log: self,
            level: Level::INFO,
        }
    }

    fn make_writer_for(&self, meta: &Metadata<'_>) -> Self::Writer {
        LogWriter {
            log: self,
            level: *meta.level(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(utc(1_795_500_000), "2026-11-24T06:00:00");
        assert_eq!(utc(4_107_542_399), "2100-02-28T23:59:59");
    }

    fn buffers(log: &LogBuffer) -> (String, String) {
        let state = log.state();
        (
            String::from_utf8_lossy(&state.plain).into_owned(),
            String::from_utf8_lossy(&state.tagged).into_owned(),
        )
    }

    #[test]
    fn journal_lines_carry_sd_daemon_priority_prefixes_on_every_line() {
        let log = LogBuffer::new();
        log.start(Output::Journal);
        log.line(Level::INFO, |w| w.write_str("DHCPACK on 198.18.0.10"));
        log.line(Level::ERROR, |w| w.write_str("lease store: EIO"));
        log.state()
            .push(Level::WARN, b"dhcpd.conf:1:1: warning\n  |\n1 | x;\n");
        log.line(Level::DEBUG, |w| w.write_str("ignored"));
        assert_eq!(
            buffers(&log),
            (
                String::new(),
                "<6>DHCPACK on 198.18.0.10\n<3>lease store: EIO\n\
                 <4>dhcpd.conf:1:1: warning\n<4>  |\n<4>1 | x;\n<7>ignored\n"
                    .to_string()
            )
        );
    }

    #[test]
    fn standard_error_lines_carry_the_time_and_level() {
        let log = LogBuffer::new();
        log.start(Output::Stderr);
        assert!(log.open_syslog(Path::new("/nonexistent"), None).is_ok());
        log.line(Level::INFO, |w| w.write_str("DHCPACK"));
        log.state().push(Level::WARN, b"careful\n  more\n");
        let (plain, tagged) = buffers(&log);
        assert!(tagged.is_empty());
        let lines: Vec<&str> = plain.lines().collect();
        assert_eq!(lines.len(), 3, "{plain}");
        // 2026-12-02T08:00:00.000001Z  INFO DHCPACK
        assert_eq!(lines[0].len(), 27 + 7 + 7, "{plain}");
        assert!(lines[0].ends_with("Z  INFO DHCPACK"), "{plain}");
        assert!(lines[1].ends_with("Z  WARN careful"), "{plain}");
        assert_eq!(lines[2], "  more");
    }

    #[test]
    fn until_the_configuration_is_read_lines_are_held_for_either() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let server = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        server
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        // A daemon: syslog with the daemon facility, and nothing for standard error.
        let log = LogBuffer::new();
        log.start(Output::Syslog);
        log.line(Level::WARN, |w| w.write_str("a configuration warning"));
        log.flush();
        assert!(!buffers(&log).0.is_empty(), "held");
        assert!(log.open_syslog(&path, None).is_ok());
        assert_eq!(buffers(&log).0, "");
        log.line(Level::INFO, |w| w.write_str("serving"));
        log.finish();
        let mut buf = [0u8; 256];
        for want in ["<28>charruad[", "<30>charruad["] {
            let n = server.recv(&mut buf).unwrap();
            assert!(buf[..n].starts_with(want.as_bytes()));
        }
        // No syslog socket: standard error, with the lines held so far.
        let log = LogBuffer::new();
        log.start(Output::Syslog);
        log.line(Level::WARN, |w| w.write_str("early"));
        assert!(matches!(
            log.open_syslog(&dir.path().join("none"), None),
            Err(SyslogError::Open(_))
        ));
        let (plain, tagged) = buffers(&log);
        assert!(
            plain.ends_with(" WARN early\n") && tagged.is_empty(),
            "{plain}"
        );
        assert!(matches!(
            LogBuffer::new().open_syslog(&path, Some("local9")),
            Err(SyslogError::UnknownFacility(_))
        ));
    }
}
