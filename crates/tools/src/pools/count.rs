//! The numbers: each range's addresses in use, touched and the failover peer's, summed per
//! shared network and over all ranges, as dhcpd-pools 2.29 sums them (src/analyze.c
//! `do_counting`).

use std::net::Ipv4Addr;

use super::config::Layout;
use super::states::{Binding, States};

/// The name dhcpd-pools gives the sum of all ranges, and the shared network of a range
/// written outside every shared network.
pub(super) const ALL_NETWORKS: &str = "All networks";

/// Counts of a range, a shared network or all ranges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Usage {
    /// Addresses in the ranges ("max", "defined").
    pub(super) size: u64,
    /// Active leases ("cur", "used").
    pub(super) used: u64,
    /// Ended leases: free, expired, released, abandoned ("touch", "touched").
    pub(super) touched: u64,
    /// Leases in the failover state `backup` ("bu").
    pub(super) backups: u64,
}

impl Usage {
    fn add(&mut self, other: &Self) {
        self.size += other.size;
        self.used += other.used;
        self.touched += other.touched;
        self.backups += other.backups;
    }

    /// Addresses neither in use nor touched ("free" in the JSON and XML formats: `size -
    /// used`, as dhcpd-pools computes it).
    pub(super) fn free(&self) -> u64 {
        self.size.saturating_sub(self.used)
    }

    /// Touched or in use ("t+c").
    pub(super) fn touched_or_used(&self) -> u64 {
        self.touched + self.used
    }
}

/// One range's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RangeUsage {
    /// Its first address.
    pub(super) first: Ipv4Addr,
    /// Its last address.
    pub(super) last: Ipv4Addr,
    /// Its shared network's index in [`Report::networks`]; `None`: "All networks".
    pub(super) network: Option<usize>,
    /// Its counts.
    pub(super) usage: Usage,
}

/// One shared network's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NetworkUsage {
    /// Its name.
    pub(super) name: String,
    /// The sums of its ranges.
    pub(super) usage: Usage,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Report {
    /// Ranges, sorted by first address (see `sort` for the other orders).
    pub(super) ranges: Vec<RangeUsage>,
    /// Shared networks, in file order.
    pub(super) networks: Vec<NetworkUsage>,
    /// The sum of all ranges.
    pub(super) all: Usage,
    /// The lease file had a `backup` lease: the backup columns are printed.
    pub(super) backups_found: bool,
    /// The active leases with their Ethernet addresses, by address (`-f J`, `-f X`), those
    /// outside every range included.
    pub(super) active: Vec<(Ipv4Addr, Option<[u8; 6]>)>,
    /// dhcpd-pools took the files for IPv6 (see [`count`]): addresses are padded for IPv6 in
    /// the text table.
    pub(super) ipv6: bool,
}

impl Report {
    /// The name of the shared network of `range`.
    pub(super) fn network_name(&self, range: &RangeUsage) -> &str {
        range
            .network
            .and_then(|i| self.networks.get(i))
            .map_or(ALL_NETWORKS, |n| n.name.as_str())
    }
}

/// Counts the leases of `states` in the ranges of `layout`. A lease outside every range counts
/// nowhere; a lease in two overlapping ranges counts in both.
///
/// `opens_with_lease`: the lease file's first line starts with `lease `. dhcpd-pools learns the
/// IP version from the first range of dhcpd.conf; without one, it guesses from the lease
/// file's first line, the wrong way round (src/other.c `xstrstr_init`): a file that starts
/// with a lease block is read as IPv6, so no IPv4 lease is found and addresses are padded for
/// IPv6. dhcpd's own files start with comments, and are read as IPv4.
pub(super) fn count(layout: &Layout, states: &States, opens_with_lease: bool) -> Report {
    let ipv6 = layout.ranges.is_empty() && opens_with_lease;
    let mut networks: Vec<NetworkUsage> = layout
        .networks
        .iter()
        .map(|name| NetworkUsage {
            name: name.clone(),
            usage: Usage::default(),
        })
        .collect();
    let mut ranges: Vec<RangeUsage> = layout
        .ranges
        .iter()
        .map(|r| {
            let mut usage = Usage {
                size: u64::from(u32::from(r.last)) - u64::from(u32::from(r.first)) + 1,
                ..Usage::default()
            };
            for entry in states.entries.range(r.first..=r.last).map(|(_, e)| e) {
                match entry.binding {
                    Binding::Active => usage.used += 1,
                    Binding::Free => usage.touched += 1,
                    Binding::Backup => usage.backups += 1,
                }
            }
            RangeUsage {
                first: r.first,
                last: r.last,
                network: r.network,
                usage,
            }
        })
        .collect();
    // dhcpd-pools sorts its ranges by first address before anything else (src/analyze.c
    // `prepare_data`, with glibc's stable qsort).
    ranges.sort_by_key(|r| r.first);
    let mut all = Usage::default();
    let mut unshared_backups = 0;
    for r in &ranges {
        match r.network.and_then(|i| networks.get_mut(i)) {
            Some(n) => n.usage.add(&r.usage),
            None => unshared_backups += r.usage.backups,
        }
        all.add(&r.usage);
    }
    // dhcpd-pools counts a range outside every shared network into "All networks" as its
    // shared network, then sums every range into it again, clearing every counter in between
    // but the backups: the backups of those ranges are counted twice (src/analyze.c).
    all.backups += unshared_backups;
    let active = states
        .entries
        .iter()
        .filter(|(_, e)| !ipv6 && e.binding == Binding::Active)
        .map(|(a, e)| (*a, e.mac))
        .collect();
    Report {
        ranges,
        networks,
        all,
        backups_found: states.backups_found,
        active,
        ipv6,
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::Range;
    use super::super::states::Entry;
    use super::*;

    fn layout() -> Layout {
        let r = |a: [u8; 4], b: [u8; 4], network| Range {
            first: a.into(),
            last: b.into(),
            network,
        };
        Layout {
            networks: vec!["office".into(), "empty".into()],
            ranges: vec![
                r([10, 1, 0, 10], [10, 1, 0, 29], Some(0)),
                r([10, 0, 0, 10], [10, 0, 0, 19], None),
                r([10, 1, 1, 10], [10, 1, 1, 29], Some(0)),
            ],
        }
    }

    fn states(leases: &[([u8; 4], Binding)]) -> States {
        States {
            entries: leases
                .iter()
                .map(|(a, binding)| {
                    (
                        Ipv4Addr::from(*a),
                        Entry {
                            binding: *binding,
                            mac: None,
                        },
                    )
                })
                .collect(),
            backups_found: leases.iter().any(|(_, b)| *b == Binding::Backup),
        }
    }

    #[test]
    fn counts_each_range_and_sums_networks_and_all() {
        let report = count(
            &layout(),
            &states(&[
                ([10, 0, 0, 10], Binding::Active),
                ([10, 0, 0, 11], Binding::Free),
                ([10, 0, 0, 19], Binding::Free),
                ([10, 1, 0, 10], Binding::Active),
                ([10, 1, 1, 29], Binding::Backup),
                // Outside every range: counted nowhere.
                ([10, 5, 0, 1], Binding::Active),
                ([10, 0, 0, 20], Binding::Free),
            ]),
            false,
        );
        let firsts: Vec<_> = report.ranges.iter().map(|r| r.first.octets()).collect();
        assert_eq!(firsts, [[10, 0, 0, 10], [10, 1, 0, 10], [10, 1, 1, 10]]);
        assert_eq!(
            report.ranges[0].usage,
            Usage {
                size: 10,
                used: 1,
                touched: 2,
                backups: 0
            }
        );
        assert_eq!(report.network_name(&report.ranges[0]), ALL_NETWORKS);
        assert_eq!(
            report.networks[0].usage,
            Usage {
                size: 40,
                used: 1,
                touched: 0,
                backups: 1
            }
        );
        assert_eq!(report.networks[1].usage, Usage::default());
        assert_eq!(
            report.all,
            Usage {
                size: 50,
                used: 2,
                touched: 2,
                backups: 1
            }
        );
        assert_eq!(report.active.len(), 3, "active leases outside ranges too");
        assert!(report.backups_found);
    }

    #[test]
    fn backups_outside_shared_networks_count_twice_in_all_as_in_dhcpd_pools() {
        let report = count(
            &layout(),
            &states(&[([10, 0, 0, 15], Binding::Backup)]),
            false,
        );
        assert_eq!(report.ranges[0].usage.backups, 1);
        assert_eq!(report.all.backups, 2);
    }

    #[test]
    fn without_ranges_a_file_opening_with_a_lease_is_taken_for_ipv6() {
        let s = states(&[([10, 0, 0, 15], Binding::Active)]);
        let empty = Layout::default();
        assert!(count(&empty, &s, true).ipv6);
        assert!(count(&empty, &s, true).active.is_empty());
        assert!(!count(&empty, &s, false).ipv6);
        assert!(!count(&layout(), &s, true).ipv6);
        assert_eq!(count(&layout(), &s, true).active.len(), 1);
    }

    #[test]
    fn free_is_size_minus_used_and_t_c_their_sum() {
        let u = Usage {
            size: 10,
            used: 3,
            touched: 4,
            backups: 1,
        };
        assert_eq!(u.free(), 7);
        assert_eq!(u.touched_or_used(), 7);
    }
}
