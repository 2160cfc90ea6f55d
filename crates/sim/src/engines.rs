//! The engines: their inputs, what they send and commit, their commits ending, and crashes
//! with recovery from the store.

use charrua_engine::{Arrival, Engine};

use crate::check;
use crate::feed;
use crate::replay;
use crate::trace::Step;
use crate::world::{now_of, Event, World};

impl World {
    pub(crate) fn engine_input(&mut self, engine: usize, arrival: &Arrival, payload: &[u8]) {
        let now = now_of(self.now);
        let Some(en) = self.engines[engine].engine.as_mut() else {
            return;
        };
        let watch = check::before_input(en, payload, now.unix);
        en.handle_datagram(arrival, payload, now);
        check::after_input(self, engine, watch);
        self.pump(engine);
    }

    /// Takes what the engine has to send and commit, and sets its timer.
    pub(crate) fn pump(&mut self, engine: usize) {
        let now = now_of(self.now);
        let mut out = Vec::new();
        let mut commit = None;
        let mut timer = None;
        let e = &mut self.engines[engine];
        if let Some(en) = e.engine.as_mut() {
            while let Some(t) = en.poll_transmit() {
                out.push(t);
            }
            if e.in_flight.is_none() {
                commit = en.poll_commit(now);
            }
            timer = en.poll_timeout();
        }
        for t in out {
            self.route_engine_transmit(engine, t);
        }
        if let Some(batch) = commit {
            self.trace.push(
                self.now,
                Step::CommitStarted {
                    engine,
                    changes: batch.changes.len(),
                },
            );
            let s = &self.scenario;
            let (stall, fail) = (s.commit_stall, s.commit_failure);
            let latency = if self.rng.f64() < stall {
                self.rng.u64(10_000..1_000_000)
            } else {
                self.rng.u64(100..600)
            };
            let fail = self.rng.f64() < fail;
            // Drawn only with a shared store, so that the other seeds run as they did.
            let lost = self.shared.is_some() && self.rng.f64() < self.scenario.lost_commit;
            let e = &mut self.engines[engine];
            e.in_flight = Some(batch);
            let epoch = e.epoch;
            self.schedule(
                self.now + latency,
                Event::CommitDone {
                    engine,
                    epoch,
                    fail,
                    lost,
                },
            );
        }
        if let Some(t) = timer {
            let at = (t.as_micros() as u64).max(self.now + 1);
            let e = &mut self.engines[engine];
            if e.timer != Some(at) {
                e.timer = Some(at);
                let epoch = e.epoch;
                self.schedule(at, Event::EngineTimer { engine, epoch });
            }
        }
    }

    pub(crate) fn commit_done(&mut self, engine: usize, epoch: u64, fail: bool, lost: bool) {
        let e = &mut self.engines[engine];
        if e.epoch != epoch {
            return;
        }
        let Some(commit) = e.in_flight.take() else {
            return;
        };
        let result = match self.shared.as_mut() {
            Some(shared) => feed::commit(shared, engine, self.now, &commit.changes, fail, lost),
            None => {
                e.store.fail_next = fail;
                charrua_store::commit_batch(&mut e.store, &commit.changes)
            }
        };
        self.check_shared_store();
        let ok = result.is_ok();
        let rejected = result.as_ref().map_or(0, |c| c.rejected.len());
        self.trace.push(
            self.now,
            Step::CommitEnded {
                engine,
                ok,
                rejected,
            },
        );
        let changes = commit.changes.clone();
        // As the commit thread does: the replies leave the instant the commit is durable.
        if let Ok(committed) = &result {
            let released: Vec<_> = commit.released(committed).collect();
            for t in released {
                self.route_engine_transmit(engine, t);
            }
        }
        if let Some(en) = self.engines[engine].engine.as_mut() {
            en.handle_committed(result);
        }
        replay::after_commit(self, engine, &changes);
        self.after_commit_shared(engine);
        self.pump(engine);
    }

    pub(crate) fn crash(&mut self, engine: usize) {
        if self.healed {
            return;
        }
        let fraction = self.rng.f64();
        let e = &mut self.engines[engine];
        if e.engine.is_none() {
            return;
        }
        if let Some(commit) = e.in_flight.take() {
            match self.shared.as_mut() {
                // One transaction: it landed whole or not at all.
                Some(shared) if fraction < 0.5 => {
                    let _ = feed::commit(shared, engine, self.now, &commit.changes, false, false);
                    self.check_shared_store();
                }
                Some(_) => {}
                None => e.store.tear(&commit.changes, fraction),
            }
        }
        let e = &mut self.engines[engine];
        e.engine = None;
        e.epoch += 1;
        e.timer = None;
        self.trace.push(self.now, Step::Crashed { engine });
        let at = self.now + self.rng.u64(200_000..5_000_000);
        self.schedule(at, Event::Restart { engine });
    }

    pub(crate) fn restart(&mut self, engine: usize) {
        if self.engines[engine].engine.is_some() {
            return;
        }
        // An engine starts by reading the shared store: not while it cannot reach it.
        if self.shared.as_ref().is_some_and(|s| s.is_down(engine)) {
            self.schedule(self.now + 1_000_000, Event::Restart { engine });
            return;
        }
        let e = &mut self.engines[engine];
        let db = match self.shared.as_mut() {
            Some(shared) => shared.replay(engine, &e.config),
            None => e.store.recover(&e.config),
        };
        let leases = db.len();
        e.engine = Some(Engine::new(
            e.config.clone(),
            db,
            self.options.clone(),
            now_of(self.now),
        ));
        e.epoch += 1;
        self.trace
            .push(self.now, Step::Restarted { engine, leases });
        check::after_restart(self, engine);
        self.pump(engine);
    }
}
