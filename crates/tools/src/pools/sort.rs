//! `-s` and `-r`: the order ranges are printed in (shared networks keep file order).
//!
//! dhcpd-pools 2.29 sorts with a merge sort of its own (src/sort.c `mergesort_ranges`:
//! insertion sort below 8 ranges, halves merged above) that takes the left element only when
//! it sorts strictly first, so ranges whose keys are all equal come out in an order of their
//! own (reversed, for a short list); it is reproduced here step for step so that the order is
//! dhcpd-pools' own. `-r` then reverses the whole list (`flip_ranges`).

use std::cmp::Ordering;

use super::count::{RangeUsage, Report};
use super::options::SortKey;

/// Sorts `report`'s ranges by `keys` (none: by first address, as counted), then reverses them
/// if `reverse`.
pub(super) fn sort(report: &mut Report, keys: &[SortKey], reverse: bool) {
    if !keys.is_empty() {
        let names: Vec<String> = report
            .ranges
            .iter()
            .map(|r| report.network_name(r).to_string())
            .collect();
        let mut ranges: Vec<(String, RangeUsage)> =
            names.into_iter().zip(report.ranges.drain(..)).collect();
        merge_sort(&mut ranges, &|a, b| {
            keys.iter()
                .map(|k| compare(*k, a, b))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
                == Ordering::Less
        });
        report.ranges = ranges.into_iter().map(|(_, r)| r).collect();
    }
    if reverse {
        report.ranges.reverse();
    }
}

/// How two ranges (with their shared networks' names) compare by `key` (src/sort.c `comp_*`).
fn compare(
    key: SortKey,
    (an, a): &(String, RangeUsage),
    (bn, b): &(String, RangeUsage),
) -> Ordering {
    let (ua, ub) = (&a.usage, &b.usage);
    // Shares as dhcpd-pools compares them: in double precision; sizes are never zero.
    let share = |part: u64, size: u64| part as f64 / size as f64;
    match key {
        SortKey::Name => an.as_bytes().cmp(bn.as_bytes()),
        SortKey::Ip => a.first.cmp(&b.first),
        SortKey::Max => ua.size.cmp(&ub.size),
        SortKey::Current => ua.used.cmp(&ub.used),
        SortKey::Touched => ua.touched.cmp(&ub.touched),
        SortKey::TouchedCurrent => ua.touched_or_used().cmp(&ub.touched_or_used()),
        SortKey::Percent => share(ua.used, ua.size).total_cmp(&share(ub.used, ub.size)),
        SortKey::TouchedCurrentPercent => {
            share(ua.touched_or_used(), ua.size).total_cmp(&share(ub.touched_or_used(), ub.size))
        }
    }
}

/// Below this many elements dhcpd-pools sorts by insertion.
const MIN_MERGE_SIZE: usize = 8;

/// dhcpd-pools' merge sort, `first(a, b)` being its `merge`: whether `a` sorts strictly first.
fn merge_sort<T>(items: &mut Vec<T>, first: &dyn Fn(&T, &T) -> bool) {
    if items.len() < MIN_MERGE_SIZE {
        // Each element moves left past every element that does not sort strictly first.
        let mut sorted: Vec<T> = Vec::with_capacity(items.len());
        for hold in items.drain(..) {
            let at = sorted
                .iter()
                .rposition(|x| first(x, &hold))
                .map_or(0, |i| i + 1);
            sorted.insert(at, hold);
        }
        *items = sorted;
        return;
    }
    let mut right = items.split_off(items.len() / 2);
    merge_sort(items, first);
    merge_sort(&mut right, first);
    let mut left = std::mem::take(items).into_iter().peekable();
    let mut right = right.into_iter().peekable();
    while let (Some(l), Some(r)) = (left.peek(), right.peek()) {
        let next = if first(l, r) {
            left.next()
        } else {
            right.next()
        };
        items.extend(next);
    }
    items.extend(left);
    items.extend(right);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(values: &[(u8, char)]) -> Vec<(u8, char)> {
        let mut v = values.to_vec();
        merge_sort(&mut v, &|a: &(u8, char), b: &(u8, char)| a.0 < b.0);
        v
    }

    #[test]
    fn short_lists_reverse_equal_elements_as_dhcpd_pools_does() {
        // dhcpd-pools -s c on ranges with 0, 1, 1, 1, 1 leases (in address order a..e)
        // prints a, e, d, c, b.
        assert_eq!(
            sorted(&[(1, 'b'), (1, 'c'), (0, 'a'), (1, 'd'), (1, 'e')]),
            [(0, 'a'), (1, 'e'), (1, 'd'), (1, 'c'), (1, 'b')]
        );
    }

    #[test]
    fn long_lists_merge_taking_the_right_half_on_ties() {
        let input: Vec<(u8, char)> = "abcdefghij".chars().map(|c| (0, c)).collect();
        // Halves of five, each reversed by insertion, then merged right first on ties.
        let want: Vec<char> = "jihgfedcba".chars().collect();
        let got: Vec<char> = sorted(&input).into_iter().map(|(_, c)| c).collect();
        assert_eq!(got, want);
        let mixed = [
            (3, 'a'),
            (1, 'b'),
            (2, 'c'),
            (1, 'd'),
            (0, 'e'),
            (2, 'f'),
            (3, 'g'),
            (0, 'h'),
            (1, 'i'),
        ];
        let keys: Vec<u8> = sorted(&mixed).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [0, 0, 1, 1, 1, 2, 2, 3, 3]);
    }
}
