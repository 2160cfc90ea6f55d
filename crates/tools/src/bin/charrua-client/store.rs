//! The remembered lease, for INIT-REBOOT after a restart and for `-r`: the ACK that granted it
//! (hex) and the wall-clock second it was acquired, one per line. Written to a temporary file,
//! synced and renamed, so a crash leaves the old lease or the new one.

use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use charrua_client::Lease;
use charrua_wire::Message;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A lease as stored: its ACK and when (Unix seconds) it was acquired.
pub(crate) struct Stored {
    pub(crate) ack: Message,
    pub(crate) acquired_unix: u64,
}

impl Stored {
    /// The lease on the caller's monotonic clock, `now` being this moment.
    pub(crate) fn lease(&self, now: u64) -> Option<Lease> {
        let age_ms = unix_now().saturating_sub(self.acquired_unix) * 1000;
        Lease::from_ack(&self.ack, now.saturating_sub(age_ms))
    }
}

/// Saves the lease granted by `ack`, acquired `age_ms` ago.
pub(crate) fn save(path: &Path, ack_payload: &[u8], age_ms: u64) -> std::io::Result<()> {
    let hex: String = ack_payload.iter().map(|b| format!("{b:02x}")).collect();
    let text = format!(
        "acquired {}\nack {hex}\n",
        unix_now().saturating_sub(age_ms / 1000)
    );
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Reads a saved lease; `None` when there is none or it does not parse (a client then simply
/// starts from INIT).
pub(crate) fn load(path: &Path) -> Option<Stored> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut acquired = None;
    let mut ack = None;
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("acquired", v)) => acquired = v.trim().parse().ok(),
            Some(("ack", hex)) => {
                let hex = hex.trim();
                let bytes: Option<Vec<u8>> = (0..hex.len())
                    .step_by(2)
                    .map(|i| {
                        hex.get(i..i + 2)
                            .and_then(|b| u8::from_str_radix(b, 16).ok())
                    })
                    .collect();
                ack = bytes.and_then(|b| Message::parse(&b).ok());
            }
            _ => {}
        }
    }
    Some(Stored {
        ack: ack?,
        acquired_unix: acquired?,
    })
}

/// Forgets the lease.
pub(crate) fn forget(path: &Path) {
    let _ = std::fs::remove_file(path);
}
