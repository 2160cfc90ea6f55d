//! Counters of what the server answers and drops and why (rule A12): one per reason, logged on
//! SIGUSR1 and at exit, so floods show up without a log line per packet.

use std::collections::BTreeMap;

use charrua_server::IgnoreReason;

/// Drops by reason.
#[derive(Debug, Default)]
pub struct Counters {
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

    /// A reply not sent because its leases could not be made durable.
    pub(crate) fn unsent(&mut self, count: usize) {
        if count > 0 {
            *self.dropped.entry("NotDurable".into()).or_default() += count as u64;
        }
    }

    /// A reply not sent because a later message of its client replaced what it acknowledged.
    pub(crate) fn superseded(&mut self) {
        *self.dropped.entry("Superseded".into()).or_default() += 1;
    }

    /// An offer not sent because its address answered the probe (ISC `ping-check`).
    pub(crate) fn abandoned(&mut self) {
        *self.dropped.entry("AddressInUse".into()).or_default() += 1;
    }

    /// A request dropped because the commit queue was full.
    pub(crate) fn queue_full(&mut self) {
        *self.dropped.entry("CommitQueueFull".into()).or_default() += 1;
    }

    /// Messages answered or committed.
    pub fn answered_count(&self) -> u64 {
        self.answered
    }

    /// Messages dropped for `reason` (a name as in [`Counters::summary`]).
    pub fn dropped(&self, reason: &str) -> u64 {
        self.dropped.get(reason).copied().unwrap_or(0)
    }

    /// Every drop reason seen and its count, by name.
    pub fn drops(&self) -> impl Iterator<Item = (&str, u64)> {
        self.dropped.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The counts in one line: `answered N; dropped: Reason=N ...`.
    pub fn summary(&self) -> String {
        let drops: Vec<String> = self
            .dropped
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "answered {}; dropped: {}",
            self.answered,
            if drops.is_empty() {
                "none".into()
            } else {
                drops.join(" ")
            }
        )
    }
}
