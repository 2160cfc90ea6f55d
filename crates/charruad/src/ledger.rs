//! The lease database and the store it mirrors. Changes are applied in memory as the core
//! makes them (the next request of the same batch must see them), appended to the store, and
//! undone when the sync that was to make them durable fails. So memory is never ahead of disk:
//! after every commit, failed or not, the database holds what a replay of the store gives, plus
//! the offers, which are never durable (durability rule D3).

use std::net::Ipv4Addr;

use charrua_server::{Config, Lease, LeaseChange, LeaseDb};
use charrua_store::{LeaseStore, StoreError};

/// The database, the store, and what to undo if the pending sync fails.
pub(crate) struct Ledger {
    db: LeaseDb,
    store: Box<dyn LeaseStore + Send>,
    /// Each address changed since the last commit with its record before, oldest first.
    undo: Vec<(Ipv4Addr, Option<Lease>)>,
    /// Durable changes appended since the last commit.
    dirty: bool,
}

impl Ledger {
    /// A ledger over `db`, which holds what `store` replayed.
    pub(crate) fn new(db: LeaseDb, store: Box<dyn LeaseStore + Send>) -> Self {
        Self {
            db,
            store,
            undo: Vec::new(),
            dirty: false,
        }
    }

    /// The live database.
    pub(crate) fn db(&self) -> &LeaseDb {
        &self.db
    }

    /// Whether durable changes wait for a sync.
    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Appends the durable changes to the store and applies every change in memory; whether
    /// any was durable (and so must be synced before a reply that depends on it leaves). A
    /// change the store refuses is not applied, nor are the ones after it; an append that fails
    /// leaves nothing of that change in the store.
    pub(crate) fn record(&mut self, changes: &[LeaseChange]) -> Result<bool, StoreError> {
        let mut durable = false;
        for change in changes {
            if change.is_durable() {
                self.store.append(change)?;
                durable = true;
                self.dirty = true;
            }
            let address = change.address();
            self.undo.push((address, self.db.get(address).cloned()));
            self.db.apply(change);
        }
        Ok(durable)
    }

    /// Makes every appended change durable with one sync. If the sync fails, every change
    /// recorded since the last commit is undone in memory, as the store dropped them.
    pub(crate) fn commit(&mut self) -> Result<(), StoreError> {
        if !self.dirty {
            self.undo.clear();
            return Ok(());
        }
        self.dirty = false;
        let result = self.store.sync();
        let undo = std::mem::take(&mut self.undo);
        if result.is_err() {
            for (address, before) in undo.into_iter().rev() {
                self.db.apply(&match before {
                    Some(lease) => LeaseChange::Set(lease),
                    None => LeaseChange::Remove(address),
                });
            }
        }
        result
    }

    /// A compaction's error, once (the syncs it ran beside are not failed by it).
    pub(crate) fn take_compaction_error(&mut self) -> Option<StoreError> {
        self.store.take_compaction_error()
    }

    /// The host declarations the store holds (see `LeaseStore::host_declarations`).
    pub(crate) fn host_declarations(&self) -> &str {
        self.store.host_declarations()
    }

    /// The same records in a database for `config`'s pools (a reload).
    pub(crate) fn reconfigure(&mut self, config: &Config) {
        self.db = rebuilt(&self.db, config);
    }
}

/// The leases of `db` in a new database for `config`'s pools.
pub(crate) fn rebuilt(db: &LeaseDb, config: &Config) -> LeaseDb {
    let mut new = LeaseDb::new(config);
    for lease in db.iter() {
        new.apply(&LeaseChange::Set(lease.clone()));
    }
    new
}

#[cfg(test)]
mod tests;
