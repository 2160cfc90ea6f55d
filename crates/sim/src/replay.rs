//! The replay invariant: an engine's memory (its `LeaseDb`) is what a replay of the store
//! gives, but for what is never written (offers, and their ends) and for what may not have
//! reached it yet. Checked at the addresses a commit wrote, at those the shared store's feed
//! brought, and everywhere after a restart, a resync and at the end.
//!
//! With a shared store an engine may lag behind it: at an address another engine wrote after
//! the feed last reached it, while it is cut off, or until the resync after a lost connection.
//! Where a change of its own waits for a commit, memory is ahead of the store by design.

use std::net::Ipv4Addr;

use charrua_server::{Lease, LeaseChange, LeaseState};

use crate::check::{unix_of, violation};
use crate::world::World;

/// Memory at `address` against the store at `unix`: equal, or what is never written (an
/// offer, or its end: `charrua_engine::agrees_with_store`). The end of an offer also stands
/// for a binding of the store's that has run out, which the offer had replaced in memory before
/// its expiry was written.
fn agrees(memory: Option<&Lease>, store: Option<&Lease>, unix: u64) -> bool {
    let ended = |l: &Lease| l.state == LeaseState::Expired;
    let ran_out = |l: &Lease| l.state == LeaseState::Bound && l.ends <= unix;
    charrua_engine::agrees_with_store(memory, store)
        || (memory.is_some_and(ended) && store.is_some_and(ran_out))
}

/// Whether engine `engine` has heard of the latest durable record of `address`: always for its
/// own store; for a shared one, unless it is cut off, waits for a resync, or another engine
/// wrote the address after the feed last reached it.
pub(crate) fn knows(world: &World, engine: usize, address: Ipv4Addr) -> bool {
    world
        .shared
        .as_ref()
        .is_none_or(|s| !s.is_behind(engine, address))
}

/// Whether engine `engine`'s memory must equal a replay of the store at `address`: it knows
/// the latest record, and no change of its own there waits for a commit.
fn settled(world: &World, engine: usize, address: Ipv4Addr) -> bool {
    world.engines[engine]
        .engine
        .as_ref()
        .is_some_and(|en| !en.is_uncommitted(address))
        && knows(world, engine, address)
}

/// The first address of `addresses` where engine `engine`'s memory is settled and differs
/// from the store, with both records.
pub(crate) fn differs(
    world: &World,
    engine: usize,
    addresses: impl IntoIterator<Item = Ipv4Addr>,
) -> Option<(Ipv4Addr, Option<Lease>, Option<Lease>)> {
    let en = world.engines[engine].engine.as_ref()?;
    let unix = unix_of(world.now);
    addresses.into_iter().find_map(|address| {
        let (memory, store) = (en.db().get(address), world.durable(engine, address));
        (settled(world, engine, address) && !agrees(memory, store, unix))
            .then(|| (address, memory.cloned(), store.cloned()))
    })
}

/// Every address engine `engine`'s memory or its store holds a record of.
pub(crate) fn every_address(world: &World, engine: usize) -> Vec<Ipv4Addr> {
    let memory = world.engines[engine].engine.as_ref();
    let memory = memory.into_iter().flat_map(|en| en.db().iter());
    let store: Box<dyn Iterator<Item = &Lease>> = match &world.shared {
        Some(shared) => Box::new(shared.records()),
        None => Box::new(world.engines[engine].store.records()),
    };
    let mut all: Vec<Ipv4Addr> = memory.chain(store).map(|l| l.address).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// After a commit of `batch` ended: memory equals the store wherever the batch wrote and no
/// newer change waits.
pub(crate) fn after_commit(world: &mut World, engine: usize, batch: &[LeaseChange]) {
    if let Some((address, memory, store)) =
        differs(world, engine, batch.iter().map(|c| c.address()))
    {
        let what = format!(
            "engine {engine}'s memory is not a replay of its store at {address} after a commit: memory {memory:?}, store {store:?}"
        );
        violation(world, what);
    }
}

/// After the feed of a shared store gave engine `engine` `changes` (every record, on a
/// resync): memory equals the store wherever it is settled, at the addresses fed (everywhere,
/// after a resync).
pub(crate) fn after_feed(world: &mut World, engine: usize, changes: &[LeaseChange], resync: bool) {
    let addresses = if resync {
        every_address(world, engine)
    } else {
        changes.iter().map(|c| c.address()).collect()
    };
    if let Some((address, memory, store)) = differs(world, engine, addresses) {
        let what = format!(
            "engine {engine}'s memory is not a replay of the shared store at {address} after {}: memory {memory:?}, store {store:?}",
            if resync { "a resync" } else { "the feed of changes by others" }
        );
        violation(world, what);
    }
}
