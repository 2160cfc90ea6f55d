//! The commit pipeline: the changes and replies waiting for the next commit, and the commit in
//! flight. Changes are applied in memory as the core makes them (the next request must see
//! them) and undone if the commit that was to make them durable fails, so memory is never
//! ahead of the store (durability rule D3).

use std::ops::Range;

use charrua_server::config::Effect;
use charrua_server::{ClientKey, Config, Lease, LeaseChange, LeaseDb, LeaseState};
use charrua_store::Committed;
use std::net::Ipv4Addr;

use crate::engine::Transmit;

/// A reply waiting for the commit of the changes it depends on.
#[derive(Debug)]
pub(crate) struct Waiting {
    pub(crate) transmit: Transmit,
    /// Its log line, logged once it leaves.
    pub(crate) line: Option<String>,
    /// Positions of its changes in the batch.
    pub(crate) changes: Range<usize>,
    /// The binding it acknowledges, if any: sent only if still so when its commit starts.
    pub(crate) binding: Option<(Ipv4Addr, ClientKey)>,
    /// What the configuration's `on commit` statements ask, carried out once it leaves.
    pub(crate) effects: Vec<Effect>,
}

/// A commit to run: the changes to make durable as one batch, and the replies that leave once
/// they are. Whoever runs it sends, as soon as the commit is durable, the replies
/// [`Commit::released`] gives (so an ACK leaves the instant its lease is on disk, from the
/// thread that knows it), then reports the result with `Engine::handle_committed`.
#[derive(Debug, Default)]
pub struct Commit {
    /// The durable changes, in the order they were made.
    pub changes: Vec<LeaseChange>,
    /// The replies, each with the positions of the changes it depends on.
    pub replies: Vec<(Transmit, Range<usize>)>,
}

impl Commit {
    /// The replies to send after the commit ended as `committed`: those none of whose changes
    /// the store refused or could not write.
    pub fn released(self, committed: &Committed) -> impl Iterator<Item = Transmit> + use<'_> {
        self.replies
            .into_iter()
            .filter(move |(_, changes)| !refused(committed).any(|p| changes.contains(&p)))
            .map(|(transmit, _)| transmit)
    }
}

/// The positions of the changes a commit refused or could not write.
pub(crate) fn refused(committed: &Committed) -> impl Iterator<Item = usize> + '_ {
    committed
        .rejected
        .iter()
        .copied()
        .chain(committed.unwritable.iter().map(|(p, _)| *p))
}

/// What the engine keeps of a reply it handed out with a commit: its log line and changes.
#[derive(Debug)]
pub(crate) struct Sent {
    /// Its message type (for statistics).
    pub(crate) kind: Option<charrua_wire::MessageType>,
    /// The pool of the new binding it makes, if it makes one (for statistics).
    pub(crate) assigned: Option<charrua_server::config::PoolId>,
    pub(crate) line: Option<String>,
    pub(crate) changes: Range<usize>,
    pub(crate) effects: Vec<Effect>,
}

/// The binding a reply's changes make, if any.
pub(crate) fn binding(changes: &[LeaseChange]) -> Option<(Ipv4Addr, ClientKey)> {
    changes.iter().find_map(|c| match c {
        LeaseChange::Set(l) if l.state == LeaseState::Bound => Some((l.address, l.client.clone())),
        _ => None,
    })
}

/// The address of the new binding the changes at `positions` of a batch make, if they make
/// one: a binding where the address's record before the batch (`undo`, same positions) was not
/// bound to the same client (Kea counts such a lease in `cumulative-assigned-addresses`; a
/// renewal is not one).
pub(crate) fn new_binding(
    changes: &[LeaseChange],
    undo: &[(Ipv4Addr, Option<Lease>)],
    positions: &Range<usize>,
) -> Option<Ipv4Addr> {
    positions.clone().find_map(|p| match changes.get(p)? {
        LeaseChange::Set(l) if l.state == LeaseState::Bound => {
            let renewed = undo
                .get(p)
                .and_then(|(_, before)| before.as_ref())
                .is_some_and(|b| b.state == LeaseState::Bound && b.client == l.client);
            (!renewed).then_some(l.address)
        }
        _ => None,
    })
}

/// Whether `db` still holds the binding `binding` (a later request of the same client, its
/// DECLINE or RELEASE handled while the reply waited, may have replaced it).
pub(crate) fn still_holds(db: &LeaseDb, binding: Option<&(Ipv4Addr, ClientKey)>) -> bool {
    binding.is_none_or(|(address, client)| {
        db.get(*address)
            .is_some_and(|l| l.state == LeaseState::Bound && l.client == *client)
    })
}

/// Durable changes committed together, what to undo if they fail, and the replies that wait.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// The durable changes, in the order they were made.
    pub(crate) changes: Vec<LeaseChange>,
    /// For each change (same positions), its address's record before it.
    pub(crate) undo: Vec<(Ipv4Addr, Option<Lease>)>,
    /// The replies that leave once the batch is durable.
    pub(crate) replies: Vec<Waiting>,
    /// Changes made through the control API: each caller's token and its changes' positions.
    pub(crate) admin: Vec<(u64, Range<usize>)>,
}

/// The commit in flight: what to undo if it fails, and its replies' log lines.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    pub(crate) undo: Vec<(Ipv4Addr, Option<Lease>)>,
    pub(crate) sent: Vec<Sent>,
    /// As [`Batch::admin`].
    pub(crate) admin: Vec<(u64, Range<usize>)>,
}

impl InFlight {
    /// Undoes every change of the commit in `db`, newest first.
    pub(crate) fn undo(self, db: &mut LeaseDb) {
        for (address, before) in self.undo.into_iter().rev() {
            restore(db, address, before);
        }
    }
}

impl Batch {
    /// Applies `changes` to `db`, keeping the durable ones and their undo records; the range of
    /// positions they took.
    pub(crate) fn record(&mut self, db: &mut LeaseDb, changes: &[LeaseChange]) -> Range<usize> {
        let start = self.changes.len();
        for change in changes {
            if change.is_durable() && !ends_an_offer(db.get(change.address()), change) {
                let address = change.address();
                self.undo.push((address, db.get(address).cloned()));
                self.changes.push(change.clone());
            }
            db.apply(change);
        }
        start..self.changes.len()
    }

    /// Undoes every change of the batch in `db`, newest first.
    pub(crate) fn undo(self, db: &mut LeaseDb) {
        for (address, before) in self.undo.into_iter().rev() {
            restore(db, address, before);
        }
    }
}

/// Whether `change` only ends the offer `before` (the client took another server's offer, or
/// the offer ran out): as volatile as the offer itself (durability rule D3), so never written.
/// In a store several servers share this matters: the offer was never there, and the
/// address's record there may be the same client's binding, made by the server whose offer
/// it took, which the end of this offer must not overwrite.
fn ends_an_offer(before: Option<&Lease>, change: &LeaseChange) -> bool {
    let ends = matches!(change, LeaseChange::Set(l) if l.state == LeaseState::Expired);
    ends && before.is_some_and(|b| b.state == LeaseState::Offered)
}

/// Whether the engine's record of an address (`memory`) agrees with the store's (`store`) once
/// every commit has ended: the same, or a record the store never holds: an offer, or the end
/// of one (an expired record where the store's is free too; see `ends_an_offer`).
pub fn agrees_with_store(memory: Option<&Lease>, store: Option<&Lease>) -> bool {
    // The store's record was free when the offer was made: none, released or expired, or one
    // that had run out by then.
    let free_when = |offered: u64| {
        store.is_none_or(|s| {
            matches!(s.state, LeaseState::Expired | LeaseState::Released) || s.ends <= offered
        })
    };
    memory == store
        || memory.is_some_and(|l| l.state == LeaseState::Offered)
        || memory.is_some_and(|l| l.state == LeaseState::Expired && free_when(l.starts))
}

/// Puts `before` back as the record of `address`.
pub(crate) fn restore(db: &mut LeaseDb, address: Ipv4Addr, before: Option<Lease>) {
    db.apply(&match before {
        Some(lease) => LeaseChange::Set(lease),
        None => LeaseChange::Remove(address),
    });
}

/// The leases of `db` in a new database for `config`'s pools (a reload).
pub fn rebuilt(db: &LeaseDb, config: &Config) -> LeaseDb {
    let mut new = LeaseDb::new(config);
    for lease in db.iter() {
        new.apply(&LeaseChange::Set(lease.clone()));
    }
    new
}
