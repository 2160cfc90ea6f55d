//! The simulation finds bugs: each defect of an earlier version, re-introduced behind the
//! test-only `defects` feature, is reported within a bounded number of seeds, and the same
//! seeds pass without it.

#![cfg(feature = "defects")]

use charrua_sim::{run, Bounds, Defect, StoreMode};

/// Seeds each defect must be found within.
const SEEDS: u64 = 50;

fn bounds(defects: Defect) -> Bounds {
    Bounds {
        max_clients: 60,
        fault_secs: 300,
        heal_secs: 200,
        defects,
        ..Bounds::default()
    }
}

/// The first seed that reports a violation, with what it says.
fn first_failing(defect: Defect) -> Option<(u64, String)> {
    (0..SEEDS).find_map(|seed| run(seed, &bounds(defect)).violation.map(|v| (seed, v.what)))
}

#[test]
fn every_earlier_defect_is_found_within_a_bounded_number_of_seeds() {
    let expected = [
        (Defect::DeclineReoffer, "decline probation"),
        (Defect::ReleaseKept, "after the client's RELEASE"),
        (Defect::MemoryAheadOfDisk, "is not a replay of its store"),
        (Defect::AckBeforeCommit, "before the lease was durable"),
    ];
    for (defect, says) in expected {
        let found = first_failing(defect);
        let Some((seed, what)) = found else {
            panic!("{defect:?} not found in {SEEDS} seeds");
        };
        assert!(
            what.contains(says),
            "{defect:?} (seed {seed}) reported as: {what}"
        );
        assert!(
            run(seed, &bounds(Defect::None)).violation.is_none(),
            "seed {seed} fails without {defect:?} too"
        );
    }
}

/// A shared store that takes every write, as one without `charrua_store::shared::may_write`
/// would, is caught writing over another client's live record; the same seed never is
/// without the defect (which only the shared store's own check would report).
#[test]
fn a_shared_store_without_its_rule_is_found() {
    let says = "overwrite the live record";
    let broken = Bounds {
        store: StoreMode::Shared,
        ..bounds(Defect::SharedBlindWrites)
    };
    let found = (0..SEEDS).find_map(|seed| {
        let what = run(seed, &broken).violation?.what;
        what.contains(says).then_some(seed)
    });
    let Some(seed) = found else {
        panic!("a shared store without its rule not found in {SEEDS} seeds");
    };
    let sound = Bounds {
        store: StoreMode::Shared,
        ..bounds(Defect::None)
    };
    let without = run(seed, &sound).violation.map(|v| v.what);
    assert!(
        without.as_deref().is_none_or(|w| !w.contains(says)),
        "seed {seed} reports it without the defect too: {without:?}"
    );
}
