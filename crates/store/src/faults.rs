//! Fault injection for tests of the whole daemon (`charruad --inject-store-faults SPEC`): a
//! store whose commits stall like a slow disk, or fail like one returning EIO. A failed commit
//! writes nothing of its batch, as the contract says a failed commit must.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use charrua_server::LeaseChange;

use crate::{Committed, LeaseStore, StoreError};

/// What to inject: `stall=P:MIN-MAX` (a commit stalls, with probability P, for MIN to MAX
/// milliseconds before it runs), `fail=P` (it then fails with probability P), `seed=N`; comma
/// separated, e.g. `stall=0.5:10-1000,fail=0.1,seed=7`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// Probability that a commit stalls.
    pub stall: f64,
    /// Shortest and longest stall, milliseconds.
    pub stall_ms: (u64, u64),
    /// Probability that a commit fails.
    pub fail: f64,
    /// Seed of the choices.
    pub seed: u64,
}

impl FromStr for Faults {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let mut faults = Self::default();
        let bad =
            |what: &str| format!("store faults {spec:?}: {what} (stall=P:MIN-MAX,fail=P,seed=N)");
        let probability = |v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| bad(&format!("{v:?} is not a probability")))
        };
        for part in spec.split(',').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| bad(part))?;
            match key {
                "stall" => {
                    let (p, range) = value.split_once(':').ok_or_else(|| bad(value))?;
                    let (min, max) = range.split_once('-').ok_or_else(|| bad(range))?;
                    let ms = |v: &str| v.parse::<u64>().map_err(|_| bad(v));
                    faults.stall = probability(p)?;
                    faults.stall_ms = (ms(min)?, ms(max)?);
                    if faults.stall_ms.0 > faults.stall_ms.1 {
                        return Err(bad(range));
                    }
                }
                "fail" => faults.fail = probability(value)?,
                "seed" => faults.seed = value.parse().map_err(|_| bad(value))?,
                other => return Err(bad(other)),
            }
        }
        Ok(faults)
    }
}

/// A store whose commits stall and fail as [`Faults`] says.
pub struct FaultyStore {
    inner: Box<dyn LeaseStore + Send>,
    faults: Faults,
    rng: fastrand::Rng,
    queued: Vec<LeaseChange>,
}

impl fmt::Debug for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore({:?})", self.faults)
    }
}

impl FaultyStore {
    /// `inner` with `faults` injected.
    pub fn new(inner: Box<dyn LeaseStore + Send>, faults: Faults) -> Self {
        Self {
            inner,
            rng: fastrand::Rng::with_seed(faults.seed),
            faults,
            queued: Vec::new(),
        }
    }
}

impl FaultyStore {
    /// Injects `faults` from the next commit on (the generator keeps its state).
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }
}

impl LeaseStore for FaultyStore {
    fn append(&mut self, change: &LeaseChange) -> Result<(), StoreError> {
        self.queued.push(change.clone());
        Ok(())
    }

    fn commit(&mut self) -> Result<Committed, StoreError> {
        let batch = std::mem::take(&mut self.queued);
        if self.rng.f64() < self.faults.stall {
            let (min, max) = self.faults.stall_ms;
            std::thread::sleep(Duration::from_millis(self.rng.u64(min..=max)));
        }
        if self.rng.f64() < self.faults.fail {
            return Err(StoreError::Io {
                path: "injected".into(),
                message: "Input/output error (os error 5), injected".into(),
            });
        }
        crate::commit_batch(&mut *self.inner, &batch)
    }

    fn take_compaction_error(&mut self) -> Option<StoreError> {
        self.inner.take_compaction_error()
    }

    fn host_declarations(&self) -> &str {
        self.inner.host_declarations()
    }

    fn servers(&mut self) -> Option<Vec<String>> {
        self.inner.servers()
    }

    fn poll_changes_by_others(&mut self) -> Vec<LeaseChange> {
        self.inner.poll_changes_by_others()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_spec_and_refuses_a_bad_one() {
        let f: Faults = "stall=0.5:10-1000,fail=0.1,seed=7".parse().unwrap();
        assert_eq!(
            (f.stall, f.stall_ms, f.fail, f.seed),
            (0.5, (10, 1000), 0.1, 7)
        );
        for bad in ["stall=2:1-2", "stall=0.5:9-1", "fail", "boom=1", "fail=x"] {
            assert!(bad.parse::<Faults>().is_err(), "{bad}");
        }
    }
}
