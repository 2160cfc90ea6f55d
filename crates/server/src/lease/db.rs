//! `LeaseDb`: every lease record in memory, indexed by address and by client, with per-pool
//! free-address sets and an expiry index. [`LeaseDb::apply`] is its only mutator, used live and
//! on replay alike.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, RandomState};
use std::net::Ipv4Addr;

use hashbrown::HashTable;

use super::free::PoolFree;
use super::{Billing, ClientKey, Lease, LeaseChange, LeaseState};
use crate::config::{Config, PoolId};

/// How many of a pool's longest-free addresses [`LeaseDb::free_address_within`] looks through
/// for one within its bounds, before the caller takes one outside them.
const REUSE_SCAN: usize = 64;

/// How many of a pool's addresses are bound and declined (Kea's `assigned-addresses` and
/// `declined-addresses` statistics; an offer, kept in memory only, is neither).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUsage {
    /// Records in state [`LeaseState::Bound`].
    pub bound: u64,
    /// Records in state [`LeaseState::Declined`] (declined or abandoned).
    pub declined: u64,
}

/// The lease database. Records live in one vector; the two hash indexes store only positions
/// in it, which keeps the cost per lease low (see the `handle` benchmark).
#[derive(Debug, Clone)]
pub struct LeaseDb {
    leases: Vec<Option<Lease>>,
    vacant: Vec<u32>,
    by_address: HashTable<u32>,
    by_client: HashTable<u32>,
    /// SipHash with a per-process key: client keys are attacker-chosen (HashDoS).
    hasher: RandomState,
    /// (ends, address) of every record occupying its address (offered, bound, declined).
    expiry: BTreeSet<(u64, u32)>,
    /// Inclusive ranges of every pool: start -> (end, pool).
    ranges: BTreeMap<u32, (u32, PoolId)>,
    pools: Vec<PoolFree>,
    /// What each pool's records hold, kept as they change (for statistics, without a scan).
    usage: Vec<PoolUsage>,
    /// The addresses of the bindings billed to each class account (ordered, not hashed: the
    /// subclass values are the clients').
    billed: BTreeMap<Billing, BTreeSet<u32>>,
}

impl PartialEq for LeaseDb {
    /// Two databases are equal when they hold the same records (indexes follow from them).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|l| other.get(l.address) == Some(l))
    }
}

impl LeaseDb {
    /// An empty database for the pools of `config`: every pool address is free.
    pub fn new(config: &Config) -> Self {
        let mut ranges = BTreeMap::new();
        let mut pools = vec![PoolFree::default(); config.pools.len()];
        let usage = vec![PoolUsage::default(); config.pools.len()];
        for (i, (pool, free)) in config.pools.iter().zip(&mut pools).enumerate() {
            for &(start, end) in &pool.ranges {
                ranges.insert(u32::from(start), (u32::from(end), PoolId(i as u32)));
                free.fresh.insert_range(u32::from(start), u32::from(end));
            }
        }
        Self {
            leases: Vec::new(),
            vacant: Vec::new(),
            by_address: HashTable::new(),
            by_client: HashTable::new(),
            hasher: RandomState::new(),
            expiry: BTreeSet::new(),
            ranges,
            pools,
            usage,
            billed: BTreeMap::new(),
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.leases.len() - self.vacant.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every record, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Lease> {
        self.leases.iter().flatten()
    }

    fn slot(&self, slot: u32) -> Option<&Lease> {
        self.leases.get(slot as usize).and_then(Option::as_ref)
    }

    /// The record of `addr`.
    pub fn get(&self, addr: Ipv4Addr) -> Option<&Lease> {
        let hash = self.hasher.hash_one(u32::from(addr));
        let slot = self
            .by_address
            .find(hash, |s| self.slot(*s).is_some_and(|l| l.address == addr))?;
        self.slot(*slot)
    }

    /// Every record whose client is `client`, in the order of their slots: never in an order
    /// the per-process hash key decides, so that the same inputs give the same
    /// decisions in every run (a deterministic simulation replays a seed exactly).
    pub fn by_client<'a>(&'a self, client: &'a ClientKey) -> impl Iterator<Item = &'a Lease> + 'a {
        let hash = self.hasher.hash_one(client);
        let mut slots: Vec<u32> = self
            .by_client
            .iter_hash(hash)
            .copied()
            .filter(|s| self.slot(*s).is_some_and(|l| l.client == *client))
            .collect();
        slots.sort_unstable();
        slots.into_iter().filter_map(|s| self.slot(s))
    }

    /// The pool whose ranges contain `addr`.
    pub fn pool_of(&self, addr: Ipv4Addr) -> Option<PoolId> {
        let a = u32::from(addr);
        let (_, (end, pool)) = self.ranges.range(..=a).next_back()?;
        (*end >= a).then_some(*pool)
    }

    /// How many of `pool`'s addresses are bound and declined now.
    pub fn pool_usage(&self, pool: PoolId) -> PoolUsage {
        self.usage.get(pool.0 as usize).copied().unwrap_or_default()
    }

    /// Whether `addr` may be given to a new client: in a pool and with no record occupying it.
    pub fn is_free(&self, addr: Ipv4Addr) -> bool {
        self.pool_of(addr).is_some() && !self.get(addr).is_some_and(|l| l.state.occupies_address())
    }

    /// A free address of `pool`: never-leased ones first (at or after `hint`, so that a client
    /// tends to get the same address from any server), then the one that has been free longest.
    pub fn free_address(&self, pool: PoolId, hint: Option<u32>) -> Option<Ipv4Addr> {
        let free = self.pools.get(pool.0 as usize)?;
        let fresh = match hint {
            Some(h) => free.fresh.first_from(h),
            None => free.fresh.first_from(0),
        };
        fresh
            .or_else(|| free.reusable.first().map(|(_, a)| *a))
            .map(Ipv4Addr::from)
    }

    /// A free address of `pool` within `within` (inclusive, as `u32`s), found as
    /// [`LeaseDb::free_address`] finds one: never-leased ones first, at or after `hint` and
    /// wrapping within the bounds; then, of the few that have been free longest, the first inside.
    pub fn free_address_within(
        &self,
        pool: PoolId,
        hint: u32,
        within: (u32, u32),
    ) -> Option<Ipv4Addr> {
        let free = self.pools.get(pool.0 as usize)?;
        let (lo, hi) = within;
        free.fresh
            .first_within(hint, lo, hi)
            .or_else(|| {
                free.reusable
                    .iter()
                    .take(REUSE_SCAN)
                    .map(|(_, a)| *a)
                    .find(|a| (lo..=hi).contains(a))
            })
            .map(Ipv4Addr::from)
    }

    /// The first address of a pool's ranges and how many addresses they hold, for hashing a hint
    /// into them.
    pub fn pool_span(&self, pool: PoolId) -> Vec<(u32, u32)> {
        self.ranges
            .iter()
            .filter(|(_, (_, p))| *p == pool)
            .map(|(s, (e, _))| (*s, *e))
            .collect()
    }

    /// Active records whose state ends at or before `now`, oldest first.
    pub fn ending_by(&self, now: u64) -> impl Iterator<Item = &Lease> {
        self.expiry
            .range(..=(now, u32::MAX))
            .filter_map(|(_, a)| self.get(Ipv4Addr::from(*a)))
    }

    /// How many bindings other than the one of `except` are billed to `account` and run
    /// past `now`: the leases the account holds (server/class.c `leases_consumed`; dhcpd
    /// unbills a lease when it ends, is released or abandoned).
    pub fn billed(&self, account: &Billing, now: u64, except: Ipv4Addr) -> usize {
        let Some(addresses) = self.billed.get(account) else {
            return 0;
        };
        addresses
            .iter()
            .filter(|a| **a != u32::from(except))
            .filter_map(|a| self.get(Ipv4Addr::from(*a)))
            .filter(|l| l.ends > now)
            .count()
    }

    /// Applies one change. The only way the database changes.
    pub fn apply(&mut self, change: &LeaseChange) {
        match change {
            LeaseChange::Set(lease) => {
                self.remove(lease.address);
                self.insert(lease.clone());
            }
            LeaseChange::Remove(addr) => self.remove(*addr),
        }
    }

    /// Records `lease` in the free sets and the expiry index as taken, or as reusable.
    fn track(&mut self, lease: &Lease, add: bool) {
        let a = u32::from(lease.address);
        if let Some(account) = lease.billing.as_deref() {
            if lease.state == LeaseState::Bound {
                self.bill(account, a, add);
            }
        }
        if lease.state.occupies_address() {
            if add {
                self.expiry.insert((lease.ends, a));
            } else {
                self.expiry.remove(&(lease.ends, a));
            }
        }
        let Some(pool) = self.pool_of(lease.address) else {
            return;
        };
        if let Some(usage) = self.usage.get_mut(pool.0 as usize) {
            let count = match lease.state {
                LeaseState::Bound => Some(&mut usage.bound),
                LeaseState::Declined => Some(&mut usage.declined),
                _ => None,
            };
            if let Some(count) = count {
                *count = if add {
                    count.saturating_add(1)
                } else {
                    count.saturating_sub(1)
                };
            }
        }
        let Some(free) = self.pools.get_mut(pool.0 as usize) else {
            return;
        };
        if add {
            free.fresh.remove(a);
        } else {
            free.fresh.insert(a);
        }
        if !lease.state.occupies_address() {
            if add {
                free.reusable.insert((lease.ends, a));
            } else {
                free.reusable.remove(&(lease.ends, a));
            }
        }
    }

    /// Adds or removes `address` among the bindings billed to `account`.
    fn bill(&mut self, account: &Billing, address: u32, add: bool) {
        if add {
            self.billed
                .entry(account.clone())
                .or_default()
                .insert(address);
        } else if let Some(addresses) = self.billed.get_mut(account) {
            addresses.remove(&address);
            if addresses.is_empty() {
                self.billed.remove(account);
            }
        }
    }

    fn insert(&mut self, lease: Lease) {
        self.track(&lease, true);
        let slot = match self.vacant.pop() {
            Some(slot) => slot,
            None => {
                self.leases.push(None);
                (self.leases.len() - 1) as u32
            }
        };
        let address_hash = self.hasher.hash_one(u32::from(lease.address));
        let client_hash = self.hasher.hash_one(&lease.client);
        if let Some(place) = self.leases.get_mut(slot as usize) {
            *place = Some(lease);
        }
        let (leases, hasher) = (&self.leases, &self.hasher);
        let rehash_address = |s: &u32| {
            leases
                .get(*s as usize)
                .and_then(Option::as_ref)
                .map_or(0, |l| hasher.hash_one(u32::from(l.address)))
        };
        self.by_address
            .insert_unique(address_hash, slot, rehash_address);
        let rehash_client = |s: &u32| {
            leases
                .get(*s as usize)
                .and_then(Option::as_ref)
                .map_or(0, |l| hasher.hash_one(&l.client))
        };
        self.by_client
            .insert_unique(client_hash, slot, rehash_client);
    }

    fn remove(&mut self, addr: Ipv4Addr) {
        let hash = self.hasher.hash_one(u32::from(addr));
        let leases = &self.leases;
        let found = self.by_address.find_entry(hash, |s| {
            leases
                .get(*s as usize)
                .and_then(Option::as_ref)
                .is_some_and(|l| l.address == addr)
        });
        let Ok(entry) = found else { return };
        let (slot, _) = entry.remove();
        let Some(lease) = self.leases.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        let client_hash = self.hasher.hash_one(&lease.client);
        if let Ok(entry) = self.by_client.find_entry(client_hash, |s| *s == slot) {
            entry.remove();
        }
        self.vacant.push(slot);
        self.track(&lease, false);
    }
}

/// Replaying changes onto a fresh database gives the same records as applying them live.
impl Extend<LeaseChange> for LeaseDb {
    fn extend<I: IntoIterator<Item = LeaseChange>>(&mut self, changes: I) {
        changes.into_iter().for_each(|c| self.apply(&c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ScopeBuilder};
    use crate::lease::LeaseState;

    fn config() -> Config {
        Config::builder()
            .subnet("198.18.0.0/24".parse().unwrap(), |s| {
                s.range(Ipv4Addr::new(198, 18, 0, 10), Ipv4Addr::new(198, 18, 0, 12))
            })
            .default_lease_time(60)
            .build()
            .unwrap()
    }

    fn lease(last: u8, client: u8, state: LeaseState, ends: u64) -> Lease {
        Lease {
            address: Ipv4Addr::new(198, 18, 0, last),
            state,
            client: ClientKey::Hardware {
                htype: 1,
                addr: vec![2, 0, 0, 0, 0, client].into(),
            },
            starts: 0,
            ends,
            hostname: None,
            hardware: None,
            variables: Vec::new(),
            billing: None,
            agent_options: None,
        }
    }

    #[test]
    fn allocation_takes_fresh_then_oldest_released() {
        let config = config();
        let mut db = LeaseDb::new(&config);
        let pool = PoolId(0);
        assert_eq!(
            db.free_address(pool, None),
            Some(Ipv4Addr::new(198, 18, 0, 10))
        );
        for (last, client) in [(10, 1), (11, 2), (12, 3)] {
            db.apply(&LeaseChange::Set(lease(
                last,
                client,
                LeaseState::Bound,
                100,
            )));
        }
        assert_eq!(db.free_address(pool, None), None);
        db.apply(&LeaseChange::Set(lease(12, 3, LeaseState::Released, 50)));
        db.apply(&LeaseChange::Set(lease(11, 2, LeaseState::Expired, 40)));
        assert_eq!(
            db.free_address(pool, None),
            Some(Ipv4Addr::new(198, 18, 0, 11))
        );
        db.apply(&LeaseChange::Remove(Ipv4Addr::new(198, 18, 0, 10)));
        assert_eq!(
            db.free_address(pool, None),
            Some(Ipv4Addr::new(198, 18, 0, 10))
        );
        assert_eq!(db.len(), 2);
    }

    #[test]
    fn client_index_follows_changes() {
        let mut db = LeaseDb::new(&config());
        let a = lease(10, 1, LeaseState::Bound, 100);
        db.apply(&LeaseChange::Set(a.clone()));
        assert_eq!(db.by_client(&a.client).count(), 1);
        db.apply(&LeaseChange::Set(lease(10, 2, LeaseState::Bound, 100)));
        assert_eq!(db.by_client(&a.client).count(), 0);
        assert_eq!(db.ending_by(100).count(), 1);
        assert_eq!(db.ending_by(99).count(), 0);
    }

    #[test]
    fn an_account_counts_its_bindings_that_have_not_ended() {
        let mut db = LeaseDb::new(&config());
        let account = Billing::new("phones", Some(b"port-1")).unwrap();
        let billed = |last, client, state, ends| Lease {
            billing: Some(Box::new(account.clone())),
            ..lease(last, client, state, ends)
        };
        db.apply(&LeaseChange::Set(billed(10, 1, LeaseState::Bound, 100)));
        db.apply(&LeaseChange::Set(billed(11, 2, LeaseState::Bound, 50)));
        let other = Ipv4Addr::new(198, 18, 0, 12);
        assert_eq!(db.billed(&account, 10, other), 2);
        assert_eq!(
            db.billed(&account, 60, other),
            1,
            "an ended binding bills nothing"
        );
        assert_eq!(db.billed(&account, 10, Ipv4Addr::new(198, 18, 0, 10)), 1);
        db.apply(&LeaseChange::Set(billed(10, 1, LeaseState::Released, 100)));
        assert_eq!(db.billed(&account, 10, other), 1, "a release unbills");
        db.apply(&LeaseChange::Remove(Ipv4Addr::new(198, 18, 0, 11)));
        assert_eq!(db.billed(&account, 10, other), 0);
        assert!(db.billed.is_empty());
    }

    #[test]
    fn pool_usage_follows_every_change() {
        let mut db = LeaseDb::new(&config());
        let pool = PoolId(0);
        let usage = |db: &LeaseDb| {
            let u = db.pool_usage(pool);
            (u.bound, u.declined)
        };
        db.apply(&LeaseChange::Set(lease(10, 1, LeaseState::Offered, 100)));
        assert_eq!(usage(&db), (0, 0), "an offer is not assigned");
        db.apply(&LeaseChange::Set(lease(10, 1, LeaseState::Bound, 100)));
        db.apply(&LeaseChange::Set(lease(11, 2, LeaseState::Bound, 100)));
        assert_eq!(usage(&db), (2, 0));
        db.apply(&LeaseChange::Set(lease(11, 2, LeaseState::Declined, 100)));
        assert_eq!(usage(&db), (1, 1));
        db.apply(&LeaseChange::Set(lease(10, 1, LeaseState::Released, 100)));
        db.apply(&LeaseChange::Remove(Ipv4Addr::new(198, 18, 0, 11)));
        assert_eq!(usage(&db), (0, 0));
        assert_eq!(db.pool_usage(PoolId(9)), PoolUsage::default());
    }
}
