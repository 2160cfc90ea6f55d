//! Kea's DHCPv4 statistics, by Kea's names, so that what reads Kea's `statistic-get-all`
//! (Stork, its Prometheus exporter, dashboards) reads charruad's: packets received and sent by
//! type (Kea: src/bin/dhcp4/dhcp4_srv.cc `processPacketPktSend`, `processPacket`), and per
//! subnet and pool the addresses there are, assigned, declined, reclaimed and ever assigned
//! (Kea: src/lib/dhcpsrv/cfg_subnets4.cc `updateStatistics`, alloc_engine.cc).
//!
//! Counters of events are kept here as they happen; the sizes (total, assigned, declined) are
//! read off the configuration and [`LeaseDb::pool_usage`] when a [`Snapshot`] is taken, which
//! costs a walk over the pools, not the leases.

use std::collections::BTreeMap;

use charrua_server::config::PoolId;
use charrua_server::{Config, IgnoreReason, Ipv4Net, LeaseDb};
use charrua_wire::MessageType;

/// Kea's packet statistics, in the order `statistic-get-all` lists them.
pub const PACKET_STATISTICS: [&str; 17] = [
    "pkt4-received",
    "pkt4-discover-received",
    "pkt4-offer-received",
    "pkt4-request-received",
    "pkt4-ack-received",
    "pkt4-nak-received",
    "pkt4-release-received",
    "pkt4-decline-received",
    "pkt4-inform-received",
    "pkt4-unknown-received",
    "pkt4-parse-failed",
    "pkt4-receive-drop",
    "pkt4-sent",
    "pkt4-offer-sent",
    "pkt4-ack-sent",
    "pkt4-nak-sent",
    "v4-allocation-fail",
];

/// Indexes into [`PACKET_STATISTICS`].
const RECEIVED: usize = 0;
const UNKNOWN_RECEIVED: usize = 9;
const PARSE_FAILED: usize = 10;
const RECEIVE_DROP: usize = 11;
const SENT: usize = 12;
const ALLOCATION_FAIL: usize = 16;

/// The statistic counting received messages of type `kind` (Kea counts the types a server
/// may see; any other is `unknown`).
fn received_index(kind: Option<MessageType>) -> usize {
    match kind {
        Some(MessageType::DISCOVER) => 1,
        Some(MessageType::OFFER) => 2,
        Some(MessageType::REQUEST) => 3,
        Some(MessageType::ACK) => 4,
        Some(MessageType::NAK) => 5,
        Some(MessageType::RELEASE) => 6,
        Some(MessageType::DECLINE) => 7,
        Some(MessageType::INFORM) => 8,
        _ => UNKNOWN_RECEIVED,
    }
}

/// The statistic counting sent messages of type `kind`, if Kea has one.
fn sent_index(kind: MessageType) -> Option<usize> {
    match kind {
        MessageType::OFFER => Some(13),
        MessageType::ACK => Some(14),
        MessageType::NAK => Some(15),
        _ => None,
    }
}

/// What happened to a pool's addresses since the server started (or the counters were reset).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolEvents {
    /// New bindings made durable (Kea `cumulative-assigned-addresses`).
    pub cumulative_assigned: u64,
    /// Bindings that ran out and were taken back (Kea `reclaimed-leases`).
    pub reclaimed: u64,
    /// Declined addresses whose probation ended (Kea `reclaimed-declined-addresses`).
    pub reclaimed_declined: u64,
}

impl PoolEvents {
    fn add(&mut self, other: &Self) {
        self.cumulative_assigned += other.cumulative_assigned;
        self.reclaimed += other.reclaimed;
        self.reclaimed_declined += other.reclaimed_declined;
    }
}

/// The counters. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Statistics {
    packets: [u64; PACKET_STATISTICS.len()],
    /// Per pool, by the first address of its first range: stable across a reload that keeps it.
    pools: BTreeMap<u32, PoolEvents>,
}

impl Statistics {
    fn bump(&mut self, index: usize) {
        if let Some(count) = self.packets.get_mut(index) {
            *count += 1;
        }
    }

    /// A datagram arrived that decodes as a message of type `kind`.
    pub(crate) fn received(&mut self, kind: Option<MessageType>) {
        self.bump(RECEIVED);
        self.bump(received_index(kind));
    }

    /// A datagram arrived that does not decode (counted received too, as Kea counts it).
    pub(crate) fn parse_failed(&mut self) {
        self.bump(RECEIVED);
        self.bump(PARSE_FAILED);
    }

    /// A received message was dropped unanswered (rate limit, full commit queue, or a reason
    /// of the core's), as Kea's `pkt4-receive-drop`.
    pub(crate) fn dropped(&mut self) {
        self.bump(RECEIVE_DROP);
    }

    /// The core found no address for a client (Kea's `v4-allocation-fail`).
    pub(crate) fn ignored(&mut self, reason: IgnoreReason) {
        self.dropped();
        if matches!(
            reason,
            IgnoreReason::NoFreeAddress | IgnoreReason::LeaseLimitReached
        ) {
            self.bump(ALLOCATION_FAIL);
        }
    }

    /// A reply of type `kind` left (none: a BOOTP reply).
    pub(crate) fn sent(&mut self, kind: Option<MessageType>) {
        self.bump(SENT);
        if let Some(index) = kind.and_then(sent_index) {
            self.bump(index);
        }
    }

    fn pool(&mut self, config: &Config, pool: PoolId) -> Option<&mut PoolEvents> {
        let key = pool_key(config, pool)?;
        Some(self.pools.entry(key).or_default())
    }

    /// A new binding in `pool` was made durable.
    pub(crate) fn assigned(&mut self, config: &Config, pool: PoolId) {
        if let Some(p) = self.pool(config, pool) {
            p.cumulative_assigned += 1;
        }
    }

    /// A binding in `pool` ran out (`declined`: a declined address's probation ended).
    pub(crate) fn reclaimed(&mut self, config: &Config, pool: PoolId, declined: bool) {
        if let Some(p) = self.pool(config, pool) {
            if declined {
                p.reclaimed_declined += 1;
            } else {
                p.reclaimed += 1;
            }
        }
    }

    /// Kea's `statistic-reset`: sets the statistic `name` (a name [`Snapshot::by_name`] gives)
    /// to zero; whether the name is one of the counters. Sizes (total, assigned, declined) are
    /// not counters and are not reset.
    pub fn reset(&mut self, name: &str, config: &Config) -> bool {
        if let Some(index) = PACKET_STATISTICS.iter().position(|n| *n == name) {
            if let Some(count) = self.packets.get_mut(index) {
                *count = 0;
            }
            return true;
        }
        let Some((scope, stat)) = name.rsplit_once('.') else {
            return false;
        };
        let reset: fn(&mut PoolEvents) = match stat {
            "cumulative-assigned-addresses" => |p| p.cumulative_assigned = 0,
            "reclaimed-leases" => |p| p.reclaimed = 0,
            "reclaimed-declined-addresses" => |p| p.reclaimed_declined = 0,
            _ => return false,
        };
        let mut found = false;
        for key in scoped_pools(config, scope) {
            found = true;
            if let Some(p) = self.pools.get_mut(&key) {
                reset(p);
            }
        }
        found
    }

    /// Kea's `statistic-reset-all`: every counter to zero.
    pub fn reset_all(&mut self) {
        *self = Self::default();
    }

    /// The statistics now, with the sizes of `config`'s subnets and pools in `db`.
    pub fn snapshot(&self, config: &Config, db: &LeaseDb) -> Snapshot {
        let subnets = config
            .subnets
            .iter()
            .enumerate()
            .map(|(i, subnet)| {
                let pools: Vec<PoolStats> = subnet
                    .pools
                    .iter()
                    .enumerate()
                    .map(|(j, &pool)| {
                        let usage = db.pool_usage(pool);
                        PoolStats {
                            id: j as u32,
                            ranges: pool_ranges(config, pool),
                            total: pool_size(config, pool),
                            assigned: usage.bound,
                            declined: usage.declined,
                            events: pool_key(config, pool)
                                .and_then(|k| self.pools.get(&k))
                                .copied()
                                .unwrap_or_default(),
                        }
                    })
                    .collect();
                let mut events = PoolEvents::default();
                for p in &pools {
                    events.add(&p.events);
                }
                SubnetStats {
                    id: i as u32 + 1,
                    prefix: subnet.net,
                    shared_network: config
                        .networks
                        .get(subnet.network.0 as usize)
                        .filter(|n| n.subnets.len() > 1)
                        .map(|n| n.name.clone()),
                    total: pools.iter().map(|p| p.total).sum(),
                    assigned: pools.iter().map(|p| p.assigned).sum(),
                    declined: pools.iter().map(|p| p.declined).sum(),
                    events,
                    pools,
                }
            })
            .collect();
        Snapshot {
            packets: PACKET_STATISTICS
                .iter()
                .zip(self.packets)
                .map(|(n, v)| (*n, v))
                .collect(),
            subnets,
        }
    }
}

/// The key a pool's counters are kept under: the first address of its first range.
fn pool_key(config: &Config, pool: PoolId) -> Option<u32> {
    let pool = config.pools.get(pool.0 as usize)?;
    pool.ranges.first().map(|(start, _)| u32::from(*start))
}

/// How many addresses `pool`'s ranges hold.
fn pool_size(config: &Config, pool: PoolId) -> u64 {
    config.pools.get(pool.0 as usize).map_or(0, |p| {
        p.ranges
            .iter()
            .map(|(s, e)| u64::from(u32::from(*e)).saturating_sub(u64::from(u32::from(*s))) + 1)
            .sum()
    })
}

/// `pool`'s ranges as Kea writes a pool (`FIRST-LAST`, comma-separated when several).
fn pool_ranges(config: &Config, pool: PoolId) -> String {
    config
        .pools
        .get(pool.0 as usize)
        .map_or_else(String::new, |p| {
            p.ranges
                .iter()
                .map(|(s, e)| format!("{s}-{e}"))
                .collect::<Vec<_>>()
                .join(",")
        })
}

/// The keys of the pools a statistic scope names (`subnet[ID]` or `subnet[ID].pool[PID]`).
fn scoped_pools(config: &Config, scope: &str) -> Vec<u32> {
    let (subnet, pool) = match scope.split_once('.') {
        Some((s, p)) => (s, Some(p)),
        None => (scope, None),
    };
    let index = |text: &str, prefix: &str| -> Option<usize> {
        text.strip_prefix(prefix)?.strip_suffix(']')?.parse().ok()
    };
    let Some(subnet) = index(subnet, "subnet[")
        .and_then(|id| id.checked_sub(1))
        .and_then(|i| config.subnets.get(i))
    else {
        return Vec::new();
    };
    let pools: Vec<PoolId> = match pool {
        Some(p) => match index(p, "pool[").and_then(|j| subnet.pools.get(j)) {
            Some(&id) => vec![id],
            None => return Vec::new(),
        },
        None => subnet.pools.clone(),
    };
    pools
        .into_iter()
        .filter_map(|p| pool_key(config, p))
        .collect()
}

/// One pool's statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStats {
    /// Its index in its subnet (Kea's pool ID).
    pub id: u32,
    /// Its ranges, `FIRST-LAST[,FIRST-LAST...]`.
    pub ranges: String,
    /// Addresses it holds (Kea `total-addresses`).
    pub total: u64,
    /// Addresses bound now (Kea `assigned-addresses`).
    pub assigned: u64,
    /// Addresses declined or abandoned now (Kea `declined-addresses`).
    pub declined: u64,
    /// What happened to its addresses.
    pub events: PoolEvents,
}

/// One subnet's statistics: its pools' summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetStats {
    /// Its position in the configuration, from 1 (Kea's subnet ID; ISC subnets have none).
    pub id: u32,
    /// Its network.
    pub prefix: Ipv4Net,
    /// The shared network it is in, if it shares one with other subnets.
    pub shared_network: Option<String>,
    /// See [`PoolStats`].
    pub total: u64,
    /// See [`PoolStats`].
    pub assigned: u64,
    /// See [`PoolStats`].
    pub declined: u64,
    /// See [`PoolStats`].
    pub events: PoolEvents,
    /// Its pools.
    pub pools: Vec<PoolStats>,
}

/// The statistics at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Kea's packet statistics and `v4-allocation-fail`, by name.
    pub packets: Vec<(&'static str, u64)>,
    /// Per subnet.
    pub subnets: Vec<SubnetStats>,
}

impl Snapshot {
    /// Every statistic by its Kea name: `pkt4-*`, the global sums (Kea 2.6+ keeps
    /// `assigned-addresses`, `declined-addresses`, `cumulative-assigned-addresses`,
    /// `reclaimed-leases` and `reclaimed-declined-addresses` globally too), and per subnet
    /// `subnet[ID].NAME` and per pool `subnet[ID].pool[PID].NAME`.
    pub fn by_name(&self) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = self
            .packets
            .iter()
            .map(|(n, v)| ((*n).to_string(), *v))
            .collect();
        let sum = |f: fn(&SubnetStats) -> u64| self.subnets.iter().map(f).sum::<u64>();
        out.push(("assigned-addresses".into(), sum(|s| s.assigned)));
        out.push(("declined-addresses".into(), sum(|s| s.declined)));
        out.push((
            "cumulative-assigned-addresses".into(),
            sum(|s| s.events.cumulative_assigned),
        ));
        out.push(("reclaimed-leases".into(), sum(|s| s.events.reclaimed)));
        out.push((
            "reclaimed-declined-addresses".into(),
            sum(|s| s.events.reclaimed_declined),
        ));
        for subnet in &self.subnets {
            let scope = format!("subnet[{}]", subnet.id);
            sizes(
                &mut out,
                &scope,
                subnet.total,
                subnet.assigned,
                subnet.declined,
                &subnet.events,
            );
            for pool in &subnet.pools {
                let scope = format!("{scope}.pool[{}]", pool.id);
                sizes(
                    &mut out,
                    &scope,
                    pool.total,
                    pool.assigned,
                    pool.declined,
                    &pool.events,
                );
            }
        }
        out
    }
}

/// Pushes a scope's statistics by their Kea names.
fn sizes(
    out: &mut Vec<(String, u64)>,
    scope: &str,
    total: u64,
    assigned: u64,
    declined: u64,
    events: &PoolEvents,
) {
    for (name, value) in [
        ("total-addresses", total),
        ("assigned-addresses", assigned),
        ("declined-addresses", declined),
        ("cumulative-assigned-addresses", events.cumulative_assigned),
        ("reclaimed-leases", events.reclaimed),
        ("reclaimed-declined-addresses", events.reclaimed_declined),
    ] {
        out.push((format!("{scope}.{name}"), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_type_has_its_kea_statistic() {
        for (kind, name) in [
            (MessageType::DISCOVER, "pkt4-discover-received"),
            (MessageType::OFFER, "pkt4-offer-received"),
            (MessageType::REQUEST, "pkt4-request-received"),
            (MessageType::DECLINE, "pkt4-decline-received"),
            (MessageType::ACK, "pkt4-ack-received"),
            (MessageType::NAK, "pkt4-nak-received"),
            (MessageType::RELEASE, "pkt4-release-received"),
            (MessageType::INFORM, "pkt4-inform-received"),
            (MessageType(99), "pkt4-unknown-received"),
        ] {
            assert_eq!(
                PACKET_STATISTICS.get(received_index(Some(kind))),
                Some(&name)
            );
        }
        for (kind, name) in [
            (MessageType::OFFER, "pkt4-offer-sent"),
            (MessageType::ACK, "pkt4-ack-sent"),
            (MessageType::NAK, "pkt4-nak-sent"),
        ] {
            assert_eq!(
                sent_index(kind).and_then(|i| PACKET_STATISTICS.get(i)),
                Some(&name)
            );
        }
    }
}
