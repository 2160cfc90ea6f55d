//! Log lines gathered in memory and written to stderr once per batch of messages: one line per
//! DHCP message stays affordable under load (one `write(2)` per batch, not per line).
//!
//! Other log events go through `tracing`'s formatter into the same buffer; the per-message lines
//! take a shorter path ([`LogBuffer::line`]) that writes the same layout (`TIMESTAMP  LEVEL text`)
//! without `tracing`'s per-event formatting work.

use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing_subscriber::fmt::MakeWriter;

use crate::syslog::Syslog;

/// Past this many bytes the buffer is written at once, whatever the batch.
const HIGH_WATER: usize = 256 << 10;

#[derive(Debug)]
struct State {
    buf: Vec<u8>,
    /// The second `stamp` was made for.
    stamp_secs: u64,
    /// `YYYY-MM-DDTHH:MM:SS` of `stamp_secs`, UTC.
    stamp: String,
    /// Where the lines go besides standard error, if anywhere.
    syslog: Option<Syslog>,
}

impl State {
    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > HIGH_WATER {
            self.write_out();
        }
    }

    /// Writes every buffered line out: to standard error, and to syslog where set.
    fn write_out(&mut self) {
        let _ = io::stderr().lock().write_all(&self.buf);
        if let Some(syslog) = &self.syslog {
            syslog.send(&self.buf);
        }
        self.buf.clear();
    }
}

/// The buffer behind the log; [`LogBuffer::flush`] writes it out.
#[derive(Debug)]
pub(crate) struct LogBuffer(Mutex<State>);

/// The daemon's log.
pub(crate) static LOG: LogBuffer = LogBuffer(Mutex::new(State {
    buf: Vec::new(),
    stamp_secs: u64::MAX,
    stamp: String::new(),
    syslog: None,
}));

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
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes every buffered line out (standard error, and syslog where set).
    pub(crate) fn flush(&self) {
        let mut state = self.state();
        if !state.buf.is_empty() {
            state.write_out();
        }
    }

    /// Sends the lines to `syslog` too from now on (none: standard error only).
    pub(crate) fn set_syslog(&self, syslog: Option<Syslog>) {
        self.state().syslog = syslog;
    }

    /// Appends one line at `level` (`"INFO"`, `"DEBUG"`): the caller has checked that `tracing`
    /// has the level enabled.
    pub(crate) fn line(&self, level: &str, write: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut state = self.state();
        if state.stamp_secs != now.as_secs() {
            state.stamp_secs = now.as_secs();
            state.stamp = utc(now.as_secs());
        }
        let State { buf, stamp, .. } = &mut *state;
        let mut out = Bytes(buf);
        let _ = write!(out, "{stamp}.{:06}Z {level:>5} ", now.subsec_micros());
        let _ = write(&mut out);
        out.0.push(b'\n');
        if state.buf.len() > HIGH_WATER {
            state.push(&[]);
        }
    }
}

/// A handle that appends to the buffer.
#[derive(Debug)]
pub(crate) struct LogWriter<'a>(&'a LogBuffer);

impl Write for LogWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.state().push(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl MakeWriter<'_> for &'static LogBuffer {
    type Writer = LogWriter<'static>;

    fn make_writer(&self) -> Self::Writer {
        LogWriter(self)
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
}
