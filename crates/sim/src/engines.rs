//! The engines: their inputs, what they send and commit, their commits ending, and crashes
//! with recovery from the store.

use charrua_engine::{Arrival, Engine};

use crate::check;
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
            let e = &mut self.engines[engine];
            e.in_flight = Some(batch);
            let epoch = e.epoch;
            self.schedule(
                self.now + latency,
                Event::CommitDone {
                    engine,
                    epoch,
                    fail,
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

    pub(crate) fn commit_done(&mut self, engine: usize, epoch: u64, fail: bool) {
        let e = &mut self.engines[engine];
        if e.epoch != epoch {
            return;
        }
        let Some(commit) = e.in_flight.take() else {
            return;
        };
        e.store.fail_next = fail;
        let result = charrua_store::commit_batch(&mut e.store, &commit.changes);
        let ok = result.is_ok();
        self.trace.push(self.now, Step::CommitEnded { engine, ok });
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
        check::after_commit(self, engine, &changes);
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
            e.store.tear(&commit.changes, fraction);
        }
        e.engine = None;
        e.epoch += 1;
        e.timer = None;
        self.trace.push(self.now, Step::Crashed { engine });
        let at = self.now + self.rng.u64(200_000..5_000_000);
        self.schedule(at, Event::Restart { engine });
    }

    pub(crate) fn restart(&mut self, engine: usize) {
        let e = &mut self.engines[engine];
        if e.engine.is_some() {
            return;
        }
        let db = e.store.recover(&e.config);
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
