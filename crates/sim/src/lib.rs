//! charrua-sim: the whole system in deterministic simulation, from a seed.
//!
//! Clients driven by the real `charrua-client` state machine (steady, rebooting, moving
//! between links, declining, releasing, going silent, sharing a hardware address) and senders
//! of garbage talk, directly or through relay agents, to one to three real [`Engine`]s, each
//! over a store on a simulated disk whose commits fail, stall and tear, and which crash and
//! replay their store; or, for about a third of the seeds with several engines, all over one
//! shared store (as several servers over one PostgreSQL database) that refuses conflicting
//! writes, feeds each engine what the others wrote, loses connections and cuts engines off. The network loses, duplicates, delays, reorders and partitions. Every
//! step checks the invariants of [`check`] that it could break; the first violation ends the
//! seed with a trace of the steps before it. The same seed gives the same run, so a failing
//! seed is replayed with `charrua-sim --seeds 1 --first-seed SEED`.
//!
//! This is FoundationDB's and TigerBeetle's way of testing, at the scale of a DHCP server.
//!
//! [`Engine`]: charrua_engine::Engine

mod check;
mod clients;
#[cfg(feature = "defects")]
mod defects;
mod engines;
mod feed;
mod layout;
mod net;
mod replay;
mod scenario;
mod shared;
mod store;
mod trace;
mod world;

pub use check::Violation;
#[cfg(feature = "defects")]
pub use defects::Defect;
pub use scenario::{Bounds, Kind, Scenario, StoreMode};
pub use world::Report;

/// Runs seed `seed` within `bounds`.
pub fn run(seed: u64, bounds: &Bounds) -> Report {
    match world::World::new(seed, bounds) {
        Ok(world) => world.run(),
        Err(e) => Report {
            steps: 0,
            doras: 0,
            violation: Some(Violation {
                at_us: 0,
                what: format!("the simulated configuration does not build: {e}"),
                trace: String::new(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Bounds {
        let mut bounds = Bounds::default();
        (bounds.max_clients, bounds.fault_secs, bounds.heal_secs) = (30, 120, 200);
        bounds
    }

    /// Two runs of a seed in one process: each has its own hash keys (std's `RandomState`
    /// differs per instance), so an order that a hash decides would show here.
    #[test]
    fn a_seed_replays_exactly() {
        for seed in [1, 7, 42, 99] {
            let bounds = Bounds::default();
            let (a, b) = (run(seed, &bounds), run(seed, &bounds));
            assert_eq!((a.steps, a.doras), (b.steps, b.doras), "seed {seed}");
            assert_eq!(
                a.violation.map(|v| (v.at_us, v.what)),
                b.violation.map(|v| (v.at_us, v.what))
            );
        }
    }

    #[test]
    fn seeds_pass_and_grant_leases() {
        for seed in 0..8 {
            let report = run(seed, &small());
            assert!(
                report.violation.is_none(),
                "seed {seed}: {:?}",
                report.violation
            );
            assert!(report.doras > 0, "seed {seed} granted nothing");
        }
    }

    /// Several engines over one shared store, each seed that has more than one.
    #[test]
    fn seeds_with_a_shared_store_pass_and_grant_leases() {
        let bounds = Bounds {
            store: StoreMode::Shared,
            ..small()
        };
        let shared = (0..8).filter(|&seed| Scenario::from_seed(seed, &bounds).shared_store);
        let mut ran = 0;
        for seed in shared {
            let report = run(seed, &bounds);
            assert!(
                report.violation.is_none(),
                "seed {seed}: {:?}",
                report.violation
            );
            assert!(report.doras > 0, "seed {seed} granted nothing");
            ran += 1;
        }
        assert!(ran >= 3, "only {ran} of the seeds share a store");
    }
}
