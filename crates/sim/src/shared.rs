//! The lease store several engines share, as several charruad servers share one PostgreSQL
//! database: one record per address. A commit is one transaction: every change of the batch is
//! taken or refused, in batch order, by `charrua_store::shared::may_write` against the record
//! the store holds then, at the store's clock; the batch then lands whole (minus the refused
//! changes) or, when the simulation fails it, not at all. Every write gets the next sequence
//! number, and an engine learns what the others wrote by asking for the records whose last
//! write is newer than the last it saw (a change feed, as LISTEN/NOTIFY and a query give), or,
//! once its connection was lost, for every record (a resync).
//!
//! The store model asserts the shared store's own invariant on every write: a record that is
//! live (`charrua_store::shared::is_live`) is never overwritten by another client's record,
//! nor removed.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use charrua_server::{Config, Lease, LeaseChange, LeaseDb};
use charrua_store::shared::{is_live, may_write};
use charrua_store::{Committed, LeaseStore, StoreError};

/// How the simulation ends a commit to the shared store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// As the store decides.
    Normal,
    /// The transaction fails: nothing of the batch is applied.
    Fail,
    /// The transaction is applied, then the connection is lost before the engine hears so: the
    /// engine sees an error, and gets a resync once it is back.
    LostAfterCommit,
}

/// What one engine's connection to the store knows.
#[derive(Debug, Default)]
struct Session {
    /// The newest sequence number delivered to the engine.
    seen: u64,
    /// Cut off from the store (a partition): commits fail, nothing is delivered.
    down: bool,
    /// The connection was lost: the next delivery is every record.
    resync: bool,
}

/// What the feed gives an engine.
#[derive(Debug)]
pub(crate) enum Feed {
    /// The records the other engines changed since the last delivery, in the order of their
    /// last change, as `Set` (the record now) or `Remove`.
    Changes(Vec<LeaseChange>),
    /// Every record (after a lost connection), by address.
    Resync(Vec<Lease>),
}

/// The shared store.
#[derive(Debug)]
pub(crate) struct SharedStore {
    records: BTreeMap<Ipv4Addr, Lease>,
    /// Per address, the sequence number of its last write and the engine that made it (kept
    /// after a `Remove`, so that the feed carries it).
    written: HashMap<Ipv4Addr, (u64, usize)>,
    /// Addresses by the sequence number of their last write.
    by_seq: BTreeMap<u64, Ipv4Addr>,
    seq: u64,
    sessions: Vec<Session>,
    /// The first write that broke the store's invariant, described.
    broken: Option<String>,
    /// Test only: takes every change, as a store without the rule would.
    #[cfg(feature = "defects")]
    pub(crate) blind: bool,
}

fn injected() -> StoreError {
    StoreError::Io {
        path: "sim-shared".into(),
        message: "connection to the shared store failed, injected".into(),
    }
}

fn lost() -> StoreError {
    StoreError::Io {
        path: "sim-shared".into(),
        message: "connection lost after COMMIT, injected".into(),
    }
}

fn down() -> StoreError {
    StoreError::Io {
        path: "sim-shared".into(),
        message: "the shared store is unreachable (partition), injected".into(),
    }
}

impl SharedStore {
    /// An empty store for `engines` engines.
    pub(crate) fn new(engines: usize) -> Self {
        Self {
            records: BTreeMap::new(),
            written: HashMap::new(),
            by_seq: BTreeMap::new(),
            seq: 0,
            sessions: (0..engines).map(|_| Session::default()).collect(),
            broken: None,
            #[cfg(feature = "defects")]
            blind: false,
        }
    }

    /// The record of `address`.
    pub(crate) fn record(&self, address: Ipv4Addr) -> Option<&Lease> {
        self.records.get(&address)
    }

    /// Every record, by address.
    pub(crate) fn records(&self) -> impl Iterator<Item = &Lease> {
        self.records.values()
    }

    /// The first write that broke the store's invariant, once.
    pub(crate) fn take_broken(&mut self) -> Option<String> {
        self.broken.take()
    }

    /// Whether `engine` may not know the store's record of `address` yet: it is cut off, waits
    /// for a resync, or another engine wrote the address after its last delivery.
    pub(crate) fn is_behind(&self, engine: usize, address: Ipv4Addr) -> bool {
        let Some(session) = self.sessions.get(engine) else {
            return true;
        };
        session.down
            || session.resync
            || self
                .written
                .get(&address)
                .is_some_and(|&(seq, by)| by != engine && seq > session.seen)
    }

    /// Cuts `engine` off the store, or lets it back (with a resync).
    pub(crate) fn set_down(&mut self, engine: usize, down: bool) {
        if let Some(session) = self.sessions.get_mut(engine) {
            if session.down && !down {
                session.resync = true;
            }
            session.down = down;
        }
    }

    /// Whether `engine` is cut off.
    pub(crate) fn is_down(&self, engine: usize) -> bool {
        self.sessions.get(engine).is_none_or(|s| s.down)
    }

    /// What the feed gives `engine` now: nothing while it is cut off.
    pub(crate) fn poll(&mut self, engine: usize) -> Option<Feed> {
        let seq = self.seq;
        let session = self.sessions.get_mut(engine)?;
        if session.down {
            return None;
        }
        let from = session.seen + 1;
        session.seen = seq;
        if std::mem::take(&mut session.resync) {
            return Some(Feed::Resync(self.records.values().cloned().collect()));
        }
        let changes = self
            .by_seq
            .range(from..)
            .filter(|(_, a)| self.written.get(a).is_some_and(|&(_, by)| by != engine))
            .map(|(_, &a)| match self.records.get(&a) {
                Some(lease) => LeaseChange::Set(lease.clone()),
                None => LeaseChange::Remove(a),
            })
            .collect();
        Some(Feed::Changes(changes))
    }

    /// A new engine's start after a crash: every record, replayed into a database for
    /// `config`; the feed goes on from here.
    pub(crate) fn replay(&mut self, engine: usize, config: &Config) -> LeaseDb {
        let mut db = LeaseDb::new(config);
        for lease in self.records.values() {
            db.apply(&LeaseChange::Set(lease.clone()));
        }
        if let Some(session) = self.sessions.get_mut(engine) {
            (session.seen, session.resync) = (self.seq, false);
        }
        db
    }

    /// A connection for one commit of `engine` at `now` (the store's clock, Unix seconds),
    /// ending as `outcome` says.
    pub(crate) fn connect(&mut self, engine: usize, now: u64, outcome: Outcome) -> Connection<'_> {
        Connection {
            store: self,
            engine,
            now,
            outcome,
            queued: Vec::new(),
        }
    }

    /// Whether the store takes `change` over the record it holds.
    fn takes(&self, change: &LeaseChange, now: u64) -> bool {
        #[cfg(feature = "defects")]
        if self.blind {
            return true;
        }
        may_write(self.records.get(&change.address()), change, now)
    }

    /// Writes `change` for `engine`, checking the store's invariant.
    fn write(&mut self, engine: usize, change: &LeaseChange, now: u64) {
        let address = change.address();
        let live = self.records.get(&address).filter(|r| is_live(r, now));
        let overwritten = match change {
            LeaseChange::Set(new) => live.filter(|r| r.client != new.client),
            LeaseChange::Remove(_) => live,
        };
        if let Some(old) = overwritten {
            if self.broken.is_none() {
                self.broken = Some(format!(
                    "the shared store let engine {engine} overwrite the live record of {address} (held by {:?} until {}, now {now}) with {change:?}",
                    old.client, old.ends
                ));
            }
        }
        match change {
            LeaseChange::Set(lease) => {
                self.records.insert(address, lease.clone());
            }
            LeaseChange::Remove(_) => {
                self.records.remove(&address);
            }
        }
        self.seq += 1;
        if let Some((old, _)) = self.written.insert(address, (self.seq, engine)) {
            self.by_seq.remove(&old);
        }
        self.by_seq.insert(self.seq, address);
    }
}

/// One engine's connection for one commit: what `commit_batch` appends to and commits.
#[derive(Debug)]
pub(crate) struct Connection<'a> {
    store: &'a mut SharedStore,
    engine: usize,
    now: u64,
    outcome: Outcome,
    /// Every change appended, numbered as appended (`None`: not durable, skipped).
    queued: Vec<Option<LeaseChange>>,
}

impl LeaseStore for Connection<'_> {
    fn append(&mut self, change: &LeaseChange) -> Result<(), StoreError> {
        self.queued
            .push(change.is_durable().then(|| change.clone()));
        Ok(())
    }

    fn commit(&mut self) -> Result<Committed, StoreError> {
        let queued = std::mem::take(&mut self.queued);
        if self.store.is_down(self.engine) {
            return Err(down());
        }
        if self.outcome == Outcome::Fail {
            return Err(injected());
        }
        let mut rejected = Vec::new();
        for (position, change) in queued.iter().enumerate() {
            let Some(change) = change else { continue };
            if self.store.takes(change, self.now) {
                self.store.write(self.engine, change, self.now);
            } else {
                rejected.push(position);
            }
        }
        if self.outcome == Outcome::LostAfterCommit {
            if let Some(session) = self.store.sessions.get_mut(self.engine) {
                session.resync = true;
            }
            return Err(lost());
        }
        Ok(Committed {
            rejected,
            unwritable: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use charrua_server::{ClientKey, LeaseState};

    use super::*;

    fn lease(client: u8, state: LeaseState, starts: u64, ends: u64) -> Lease {
        Lease {
            address: Ipv4Addr::new(198, 18, 0, 20),
            state,
            client: ClientKey::ClientId(Box::new([1, client])),
            starts,
            ends,
            hostname: None,
            hardware: None,
            variables: Vec::new(),
            billing: None,
            agent_options: None,
        }
    }

    fn commit(
        store: &mut SharedStore,
        engine: usize,
        now: u64,
        outcome: Outcome,
        changes: &[LeaseChange],
    ) -> Result<Committed, StoreError> {
        charrua_store::commit_batch(&mut store.connect(engine, now, outcome), changes)
    }

    #[test]
    fn refuses_another_clients_write_over_a_live_binding_and_feeds_the_winner() {
        let mut store = SharedStore::new(2);
        let first = LeaseChange::Set(lease(1, LeaseState::Bound, 100, 200));
        let second = LeaseChange::Set(lease(2, LeaseState::Bound, 110, 210));
        assert!(commit(
            &mut store,
            0,
            100,
            Outcome::Normal,
            std::slice::from_ref(&first)
        )
        .is_ok());
        let committed = commit(&mut store, 1, 110, Outcome::Normal, &[second]);
        assert_eq!(committed.map(|c| c.rejected), Ok(vec![0]));
        assert!(store.is_behind(1, Ipv4Addr::new(198, 18, 0, 20)));
        match store.poll(1) {
            Some(Feed::Changes(changes)) => assert_eq!(changes, vec![first]),
            other => panic!("{other:?}"),
        }
        // Its own write is not fed back to the writer.
        assert!(matches!(store.poll(0), Some(Feed::Changes(c)) if c.is_empty()));
        assert!(store.take_broken().is_none());
    }

    #[test]
    fn a_failed_commit_applies_nothing_and_a_lost_one_everything_then_resyncs() {
        let mut store = SharedStore::new(1);
        let change = LeaseChange::Set(lease(1, LeaseState::Bound, 100, 200));
        assert!(commit(
            &mut store,
            0,
            100,
            Outcome::Fail,
            std::slice::from_ref(&change)
        )
        .is_err());
        assert!(store.records().next().is_none());
        assert!(commit(&mut store, 0, 100, Outcome::LostAfterCommit, &[change]).is_err());
        assert_eq!(store.records().count(), 1);
        assert!(matches!(store.poll(0), Some(Feed::Resync(r)) if r.len() == 1));
    }

    #[test]
    fn a_cut_off_engine_commits_nothing_hears_nothing_and_resyncs_once_back() {
        let mut store = SharedStore::new(2);
        store.set_down(0, true);
        let change = LeaseChange::Set(lease(1, LeaseState::Bound, 100, 200));
        assert!(commit(
            &mut store,
            0,
            100,
            Outcome::Normal,
            std::slice::from_ref(&change)
        )
        .is_err());
        assert!(commit(&mut store, 1, 100, Outcome::Normal, &[change]).is_ok());
        assert!(store.poll(0).is_none());
        store.set_down(0, false);
        assert!(matches!(store.poll(0), Some(Feed::Resync(r)) if r.len() == 1));
    }
}
