//! Log lines gathered in memory and written to stderr once per batch of messages: one line per
//! DHCP message stays affordable under load (one `write(2)` per batch, not per line).

use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

/// Past this many bytes a line is written at once, whatever the batch.
const HIGH_WATER: usize = 256 << 10;

/// The buffer behind the log; [`LogBuffer::flush`] writes it out.
#[derive(Debug)]
pub(crate) struct LogBuffer(Mutex<Vec<u8>>);

/// The daemon's log.
pub(crate) static LOG: LogBuffer = LogBuffer(Mutex::new(Vec::new()));

impl LogBuffer {
    /// Writes every buffered line to stderr.
    pub(crate) fn flush(&self) {
        let mut buf = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !buf.is_empty() {
            let _ = io::stderr().lock().write_all(&buf);
            buf.clear();
        }
    }
}

/// A handle that appends to the buffer.
#[derive(Debug)]
pub(crate) struct LogWriter<'a>(&'a LogBuffer);

impl Write for LogWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut buf = self.0 .0.lock().unwrap_or_else(PoisonError::into_inner);
        buf.extend_from_slice(bytes);
        if buf.len() > HIGH_WATER {
            let _ = io::stderr().lock().write_all(&buf);
            buf.clear();
        }
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
