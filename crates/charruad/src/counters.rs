//! Counters of what the server drops and why (rule A12): one per reason, logged on SIGUSR1 and
//! at exit, so floods show up without a log line per packet.

use std::collections::BTreeMap;

use charrua_server::IgnoreReason;
use tracing::info;

/// Drops by reason.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    dropped: BTreeMap<String, u64>,
    answered: u64,
}

impl Counters {
    /// A datagram that did not decode (wire error class).
    pub(crate) fn malformed(&mut self, error: &charrua_wire::Error) {
        let kind = format!("{error:?}");
        let kind = kind.split([' ', '(', '{']).next().unwrap_or("Malformed");
        *self.dropped.entry(format!("malformed:{kind}")).or_default() += 1;
    }

    /// A message the core ignored.
    pub(crate) fn ignored(&mut self, reason: IgnoreReason) {
        let kind = format!("{reason:?}");
        let kind = kind.split('(').next().unwrap_or("Ignored");
        *self.dropped.entry(kind.to_string()).or_default() += 1;
    }

    /// A message limited by the rate limiter.
    pub(crate) fn limited(&mut self) {
        *self.dropped.entry("RateLimited".into()).or_default() += 1;
    }

    /// A message answered or committed.
    pub(crate) fn answered(&mut self) {
        self.answered += 1;
    }

    /// Logs the counts.
    pub(crate) fn log(&self) {
        let drops: Vec<String> = self
            .dropped
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        info!(
            "answered {}; dropped: {}",
            self.answered,
            if drops.is_empty() {
                "none".into()
            } else {
                drops.join(" ")
            }
        );
    }
}
