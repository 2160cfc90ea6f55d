//! Free-address tracking per pool, so allocation never scans a pool: never-leased addresses as
//! intervals, released and expired ones ordered by when they ended. Both are B-trees, so every
//! operation is O(log n).

use std::collections::{BTreeMap, BTreeSet};

/// Disjoint inclusive intervals of `u32` addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Intervals {
    /// start -> end, inclusive and disjoint.
    map: BTreeMap<u32, u32>,
}

impl Intervals {
    /// Adds `start..=end`, which must not overlap what is there (pool ranges never overlap).
    pub(crate) fn insert_range(&mut self, start: u32, end: u32) {
        self.map.insert(start, end);
    }

    fn interval_of(&self, addr: u32) -> Option<(u32, u32)> {
        self.map
            .range(..=addr)
            .next_back()
            .filter(|(_, e)| **e >= addr)
            .map(|(s, e)| (*s, *e))
    }

    pub(crate) fn contains(&self, addr: u32) -> bool {
        self.interval_of(addr).is_some()
    }

    /// The first free address at or after `from`, without wrapping.
    fn first_at_or_after(&self, from: u32) -> Option<u32> {
        if self.interval_of(from).is_some() {
            return Some(from);
        }
        self.map.range(from..).next().map(|(s, _)| *s)
    }

    /// The first free address at or after `from`, wrapping to the lowest.
    pub(crate) fn first_from(&self, from: u32) -> Option<u32> {
        self.first_at_or_after(from)
            .or_else(|| self.map.keys().next().copied())
    }

    /// The first free address of `lo..=hi` at or after `from`, wrapping to `lo`.
    pub(crate) fn first_within(&self, from: u32, lo: u32, hi: u32) -> Option<u32> {
        self.first_at_or_after(from)
            .filter(|a| *a <= hi)
            .or_else(|| self.first_at_or_after(lo).filter(|a| *a < from))
    }

    pub(crate) fn insert(&mut self, addr: u32) {
        if self.contains(addr) {
            return;
        }
        let before = addr.checked_sub(1).and_then(|b| self.interval_of(b));
        let after = addr
            .checked_add(1)
            .and_then(|a| self.map.get(&a).map(|e| (a, *e)));
        match (before, after) {
            (Some((s, _)), Some((a, e))) => {
                self.map.remove(&a);
                self.map.insert(s, e);
            }
            (Some((s, _)), None) => {
                self.map.insert(s, addr);
            }
            (None, Some((a, e))) => {
                self.map.remove(&a);
                self.map.insert(addr, e);
            }
            (None, None) => {
                self.map.insert(addr, addr);
            }
        }
    }

    pub(crate) fn remove(&mut self, addr: u32) {
        let Some((s, e)) = self.interval_of(addr) else {
            return;
        };
        self.map.remove(&s);
        if s < addr {
            self.map.insert(s, addr - 1);
        }
        if addr < e {
            self.map.insert(addr + 1, e);
        }
    }
}

/// The free addresses of one pool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PoolFree {
    /// Addresses with no record at all.
    pub(crate) fresh: Intervals,
    /// Released or expired addresses by (when they ended, address): the oldest is reused first.
    pub(crate) reusable: BTreeSet<(u64, u32)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intervals(i: &Intervals) -> Vec<(u32, u32)> {
        i.map.iter().map(|(s, e)| (*s, *e)).collect()
    }

    #[test]
    fn removing_and_inserting_splits_and_merges() {
        let mut i = Intervals::default();
        i.insert_range(10, 20);
        i.remove(15);
        assert_eq!(intervals(&i), [(10, 14), (16, 20)]);
        i.remove(10);
        i.remove(20);
        assert_eq!(intervals(&i), [(11, 14), (16, 19)]);
        i.insert(15);
        assert_eq!(intervals(&i), [(11, 19)]);
        i.insert(10);
        i.insert(20);
        assert_eq!(intervals(&i), [(10, 20)]);
    }

    #[test]
    fn first_within_stays_within_and_wraps_there() {
        let mut i = Intervals::default();
        i.insert_range(10, 30);
        assert_eq!(i.first_within(25, 20, 29), Some(25));
        for a in 25..=29 {
            i.remove(a);
        }
        assert_eq!(i.first_within(25, 20, 29), Some(20));
        for a in 20..25 {
            i.remove(a);
        }
        assert_eq!(i.first_within(25, 20, 29), None);
        assert_eq!(i.first_from(25), Some(30));
    }

    #[test]
    fn first_from_wraps() {
        let mut i = Intervals::default();
        i.insert_range(10, 12);
        i.insert_range(20, 22);
        assert_eq!(i.first_from(11), Some(11));
        assert_eq!(i.first_from(13), Some(20));
        assert_eq!(i.first_from(23), Some(10));
        i.remove(10);
        i.remove(11);
        i.remove(12);
        assert_eq!(i.first_from(0), Some(20));
    }
}
