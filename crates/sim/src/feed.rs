//! The engines' side of a shared store ([`crate::shared`]): their commits, the change feed
//! (after each commit, late by up to the scenario's lag, and every few hundred milliseconds),
//! and engines cut off from the store for a while, which get every record once back.

use std::net::Ipv4Addr;

use charrua_server::{LeaseChange, LeaseState};
use charrua_store::{Committed, StoreError};

use crate::check;
use crate::replay;
use crate::shared::{Feed, Outcome, SharedStore};
use crate::trace::Step;
use crate::world::{now_of, Event, World};

/// Commits `changes` of engine `engine` to `shared` at virtual time `now_us`: failed (nothing
/// lands), lost after it landed, or as the store decides.
pub(crate) fn commit(
    shared: &mut SharedStore,
    engine: usize,
    now_us: u64,
    changes: &[LeaseChange],
    fail: bool,
    lost: bool,
) -> Result<Committed, StoreError> {
    let outcome = if fail {
        Outcome::Fail
    } else if lost {
        Outcome::LostAfterCommit
    } else {
        Outcome::Normal
    };
    let mut connection = shared.connect(engine, now_of(now_us).unix, outcome);
    charrua_store::commit_batch(&mut connection, changes)
}

impl World {
    /// With a shared store: each engine's periodic feed, and the first cut.
    pub(crate) fn start_shared(&mut self) {
        if self.shared.is_none() {
            return;
        }
        for engine in 0..self.engines.len() {
            let at = self.rng.u64(100_000..500_000);
            self.schedule(at, Event::FeedPoll { engine });
        }
        if self.scenario.store_partitions {
            let at = self.rng.u64(0..self.scenario.fault_us.max(1));
            let engine = self.rng.usize(0..self.engines.len());
            self.schedule(at, Event::StoreDown { engine });
        }
    }

    /// Ends the run with the shared store's broken invariant, if a write broke it.
    pub(crate) fn check_shared_store(&mut self) {
        if let Some(what) = self.shared.as_mut().and_then(SharedStore::take_broken) {
            check::violation(self, what);
        }
    }

    /// After a commit of `engine` ended: the feed of what others wrote follows, a little late.
    pub(crate) fn after_commit_shared(&mut self, engine: usize) {
        if self.shared.is_none() {
            return;
        }
        let at = self.now + self.rng.u64(0..self.scenario.feed_lag_us.max(1));
        self.schedule(at, Event::Feed { engine });
    }

    /// The periodic feed of `engine`, even when it commits nothing.
    pub(crate) fn feed_poll(&mut self, engine: usize) {
        self.feed(engine);
        let at = self.now + self.rng.u64(100_000..500_000);
        self.schedule(at, Event::FeedPoll { engine });
    }

    /// Hands `engine` what the feed has for it. Not while its commit is in flight: the
    /// daemon's commit thread asks the feed between commits.
    pub(crate) fn feed(&mut self, engine: usize) {
        let Some(shared) = self.shared.as_mut() else {
            return;
        };
        let e = &mut self.engines[engine];
        let Some(en) = e.engine.as_mut() else {
            return;
        };
        if e.in_flight.is_some() {
            return;
        }
        let Some(feed) = shared.poll(engine) else {
            return;
        };
        let (changes, resync) = match feed {
            Feed::Changes(changes) => (changes, false),
            Feed::Resync(records) => {
                // Every record, and the end of what the engine holds that the store does not
                // (offers aside, which no store holds, and changes of its own not yet
                // committed, which the store has not seen).
                let mut gone: Vec<Ipv4Addr> = en
                    .db()
                    .iter()
                    .filter(|l| l.state != LeaseState::Offered)
                    .map(|l| l.address)
                    .filter(|&a| shared.record(a).is_none() && !en.is_uncommitted(a))
                    .collect();
                gone.sort_unstable();
                let changes = records
                    .into_iter()
                    .map(LeaseChange::Set)
                    .chain(gone.into_iter().map(LeaseChange::Remove))
                    .collect();
                (changes, true)
            }
        };
        en.handle_changes_by_others(&changes);
        if resync || !changes.is_empty() {
            self.trace.push(
                self.now,
                Step::Fed {
                    engine,
                    changes: changes.len(),
                    resync,
                },
            );
        }
        replay::after_feed(self, engine, &changes, resync);
    }

    /// Cuts `engine` off the shared store for a while (during the faulty time only).
    pub(crate) fn store_down(&mut self, engine: usize) {
        if self.healed {
            return;
        }
        let Some(shared) = self.shared.as_mut() else {
            return;
        };
        shared.set_down(engine, true);
        self.trace.push(self.now, Step::StoreDown { engine });
        let back = self.now + self.rng.u64(1_000_000..30_000_000);
        self.schedule(back, Event::StoreUp { engine });
        let next = self.now + self.rng.u64(10_000_000..120_000_000);
        let engine = self.rng.usize(0..self.engines.len());
        self.schedule(next, Event::StoreDown { engine });
    }

    /// Lets `engine` reach the shared store again: its feed resyncs.
    pub(crate) fn store_up(&mut self, engine: usize) {
        let Some(shared) = self.shared.as_mut() else {
            return;
        };
        if !shared.is_down(engine) {
            return;
        }
        shared.set_down(engine, false);
        self.trace.push(self.now, Step::StoreUp { engine });
        self.after_commit_shared(engine);
    }
}
