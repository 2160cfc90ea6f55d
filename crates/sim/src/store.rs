//! A lease store on a simulated disk: the records are charrua's journal records
//! (`charrua_store::record`), kept in memory. A commit makes its batch durable or, when the
//! simulation fails it, none of it; a crash during a commit leaves a torn write (any byte prefix
//! of the batch), which recovery cuts back to the last whole record, as the journal's does.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use charrua_server::{Config, Lease, LeaseChange, LeaseDb};
use charrua_store::{record, Committed, LeaseStore, StoreError};

/// The simulated disk and what a replay of it gives.
#[derive(Debug, Default)]
pub(crate) struct SimStore {
    /// What is on the disk: whole records, then at most a torn one until recovery.
    bytes: Vec<u8>,
    /// The replay of `bytes`, kept as commits land (what the invariants compare with).
    durable: HashMap<Ipv4Addr, Lease>,
    /// Appended, not yet committed.
    queued: Vec<u8>,
    queued_changes: Vec<LeaseChange>,
    /// Whether the next commit fails (the simulation decides).
    pub(crate) fail_next: bool,
}

fn injected() -> StoreError {
    StoreError::Io {
        path: "sim".into(),
        message: "Input/output error (os error 5), injected".into(),
    }
}

impl LeaseStore for SimStore {
    fn append(&mut self, change: &LeaseChange) -> Result<(), StoreError> {
        if change.is_durable() {
            record::encode(change, &mut self.queued).map_err(StoreError::Unwritable)?;
            self.queued_changes.push(change.clone());
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<Committed, StoreError> {
        let bytes = std::mem::take(&mut self.queued);
        let changes = std::mem::take(&mut self.queued_changes);
        if std::mem::take(&mut self.fail_next) {
            return Err(injected());
        }
        self.bytes.extend_from_slice(&bytes);
        for change in &changes {
            apply(&mut self.durable, change);
        }
        Ok(Committed::default())
    }
}

fn apply(map: &mut HashMap<Ipv4Addr, Lease>, change: &LeaseChange) {
    match change {
        LeaseChange::Set(lease) => {
            map.insert(lease.address, lease.clone());
        }
        LeaseChange::Remove(address) => {
            map.remove(address);
        }
    }
}

impl SimStore {
    /// The durable record of `address`.
    pub(crate) fn durable(&self, address: Ipv4Addr) -> Option<&Lease> {
        self.durable.get(&address)
    }

    /// Every durable record.
    pub(crate) fn records(&self) -> impl Iterator<Item = &Lease> {
        self.durable.values()
    }

    /// A crash in the middle of committing `batch`: the first `torn` bytes of its records
    /// reached the disk.
    pub(crate) fn tear(&mut self, batch: &[LeaseChange], fraction: f64) {
        let mut bytes = Vec::new();
        for change in batch {
            let _ = record::encode(change, &mut bytes);
        }
        let keep = ((bytes.len() as f64) * fraction) as usize;
        self.bytes
            .extend_from_slice(bytes.get(..keep.min(bytes.len())).unwrap_or_default());
        self.queued.clear();
        self.queued_changes.clear();
    }

    /// Recovery after a crash: replays the disk into a database for `config`, cutting a torn
    /// tail, and rewrites the disk as a snapshot of what it holds (a compaction), so replays
    /// stay short.
    pub(crate) fn recover(&mut self, config: &Config) -> LeaseDb {
        let mut durable = HashMap::new();
        let mut at = 0;
        while let Some(rest) = self.bytes.get(at..).filter(|r| !r.is_empty()) {
            match record::decode(rest) {
                Ok((change, len)) => {
                    apply(&mut durable, &change);
                    at += len;
                }
                Err(_) => break,
            }
        }
        self.durable = durable;
        let mut snapshot = Vec::new();
        let mut leases: Vec<&Lease> = self.durable.values().collect();
        leases.sort_by_key(|l| l.address);
        let mut db = LeaseDb::new(config);
        for lease in leases {
            let change = LeaseChange::Set(lease.clone());
            let _ = record::encode(&change, &mut snapshot);
            db.apply(&change);
        }
        self.bytes = snapshot;
        db
    }
}
