//! Prometheus metrics (text format 0.0.4, encoded by the `prometheus-client` crate).
//!
//! Kea's statistics go out under the names and labels Stork's Kea exporter gives them
//! (backend/agent/promkeaexporter.go: `kea_dhcp4_packets_received_total{operation}`,
//! `kea_dhcp4_addresses_assigned_total{subnet,subnet_id,prefix,shared_network}`,
//! `kea_dhcp4_pool_addresses_assigned_total{pool_id,...}` ...), so that Kea dashboards and
//! alerts work unchanged. Stork exports every one as a gauge; here the ones that only grow are
//! counters, and the levels whose Stork name ends in `_total` (total, assigned and declined
//! addresses) are untyped, which Prometheus reads as a gauge and `promtool check metrics`
//! accepts (a gauge named `_total` it flags). What only charruad has goes out as `charrua_*`:
//! commit batch sizes and sync times, request-to-reply latency, drops by reason, and the
//! lease store's state.

use std::fmt::Write as _;
use std::time::Duration;

use charrua_engine::{PoolEvents, Snapshot, SubnetStats};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

/// Histograms measured where things happen: the commit thread and the reply senders record
/// into them directly (each is a lock-protected bucket array, shared by clones).
#[derive(Debug, Clone)]
pub(crate) struct Measures {
    /// Leases per commit.
    commit_leases: Histogram,
    /// Time a commit takes to be durable.
    commit_seconds: Histogram,
    /// From the request's arrival to its reply's leaving, by reply type.
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    /// The same histograms by [`REPLY_TYPES`] position, so that recording allocates nothing.
    by_type: Vec<Histogram>,
    /// The DDNS updater's counters (`crate::ddns`).
    ddns: DdnsMetrics,
}

/// A reply type's label.
type Labels = Vec<(&'static str, &'static str)>;

/// The reply types latency is recorded by.
const REPLY_TYPES: [&str; 5] = ["offer", "ack", "nak", "other", "bootp"];

fn latency_histogram() -> Histogram {
    // 50 µs to about 1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

impl Measures {
    pub(crate) fn new() -> Self {
        let latency: Family<_, _, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let by_type = REPLY_TYPES
            .iter()
            .map(|t| latency.get_or_create(&vec![("type", *t)]).clone())
            .collect();
        Self {
            commit_leases: Histogram::new(exponential_buckets(1.0, 2.0, 14)),
            commit_seconds: Histogram::new(exponential_buckets(0.000_05, 2.0, 16)),
            latency,
            by_type,
            ddns: DdnsMetrics::new(),
        }
    }

    /// The DDNS updater's counters, to hand to `crate::ddns::Updater::start`.
    pub(crate) fn ddns(&self) -> DdnsMetrics {
        self.ddns.clone()
    }

    /// A commit of `leases` changes took `took`.
    pub(crate) fn commit(&self, leases: usize, took: Duration) {
        self.commit_leases.observe(leases as f64);
        self.commit_seconds.observe(took.as_secs_f64());
    }

    /// A reply of type `kind` left `took` after its request arrived.
    pub(crate) fn reply(&self, kind: Option<charrua_wire::MessageType>, took: Duration) {
        let index = match kind.map(|k| k.0) {
            Some(2) => 0,
            Some(5) => 1,
            Some(6) => 2,
            Some(_) => 3,
            None => 4,
        };
        if let Some(histogram) = self.by_type.get(index) {
            histogram.observe(took.as_secs_f64());
        }
    }
}

/// A DDNS transaction's kind, the `operation` label of `charrua_ddns_updates_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DdnsOperation {
    /// A registration at an ACK (docs/ddns.md section 5.3).
    Add,
    /// A removal at release, decline, expiry or a name change (docs/ddns.md section 5.4).
    Remove,
}

/// How a DDNS transaction ended, the `result` label of `charrua_ddns_updates_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DdnsResult {
    /// Every step succeeded.
    Success,
    /// A step failed on a server's answer (REFUSED, YXDOMAIN, NOTAUTH, a TSIG error...) or was
    /// not sent (no zone, no server).
    Failed,
    /// A step got no answer: `timed out`, or an ICMP error such as `connection refused`.
    TimedOut,
}

/// Why DDNS work was dropped, the `reason` label of `charrua_ddns_dropped_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DdnsDrop {
    /// The updater already held as much work as it holds.
    QueueFull,
    /// No server answered, retries included.
    RetriesExhausted,
}

impl DdnsOperation {
    const ALL: [Self; 2] = [Self::Add, Self::Remove];

    fn label(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
        }
    }
}

impl DdnsResult {
    const ALL: [Self; 3] = [Self::Success, Self::Failed, Self::TimedOut];

    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
        }
    }
}

impl DdnsDrop {
    const ALL: [Self; 2] = [Self::QueueFull, Self::RetriesExhausted];

    fn label(self) -> &'static str {
        match self {
            Self::QueueFull => "queue_full",
            Self::RetriesExhausted => "retries_exhausted",
        }
    }
}

/// The DDNS updater's metrics, counted on its thread and by `crate::ddns::Updater::submit`
/// (ISC has none: docs/ddns.md section 7). Clones share the counts.
#[derive(Debug, Clone)]
pub(crate) struct DdnsMetrics {
    /// `charrua_ddns_updates_total{operation, result}`: transactions by kind and outcome.
    updates: Family<Labels, Counter>,
    /// `charrua_ddns_dropped_total{reason}`: work given up.
    dropped: Family<Labels, Counter>,
    /// `charrua_ddns_in_flight`: work running now.
    in_flight: Gauge,
}

impl Default for DdnsMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl DdnsMetrics {
    /// Every series at zero, so that dashboards see them before the first update.
    pub(crate) fn new() -> Self {
        let updates = Family::<Labels, Counter>::default();
        for operation in DdnsOperation::ALL {
            for result in DdnsResult::ALL {
                let _ = updates.get_or_create(&vec![
                    ("operation", operation.label()),
                    ("result", result.label()),
                ]);
            }
        }
        let dropped = Family::<Labels, Counter>::default();
        for reason in DdnsDrop::ALL {
            let _ = dropped.get_or_create(&vec![("reason", reason.label())]);
        }
        Self {
            updates,
            dropped,
            in_flight: Gauge::default(),
        }
    }

    /// A transaction of `operation` ended with `result`.
    pub(crate) fn update(&self, operation: DdnsOperation, result: DdnsResult) {
        self.updates
            .get_or_create(&vec![
                ("operation", operation.label()),
                ("result", result.label()),
            ])
            .inc();
    }

    /// Work was dropped for `reason`.
    pub(crate) fn dropped(&self, reason: DdnsDrop) {
        self.dropped
            .get_or_create(&vec![("reason", reason.label())])
            .inc();
    }

    /// Work started running.
    pub(crate) fn started(&self) {
        self.in_flight.inc();
    }

    /// Work stopped running.
    pub(crate) fn stopped(&self) {
        self.in_flight.dec();
    }

    /// Adds the metrics to `registry`.
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "charrua_ddns_updates",
            "DNS update transactions (ISC's chain of UPDATE messages for one lease), by operation and result",
            self.updates.clone(),
        );
        registry.register(
            "charrua_ddns_dropped",
            "DNS update work given up, by reason",
            self.dropped.clone(),
        );
        registry.register(
            "charrua_ddns_in_flight",
            "DNS update work running now",
            self.in_flight.clone(),
        );
    }

    /// The count of `operation` transactions that ended with `result`.
    #[cfg(test)]
    pub(crate) fn updates(&self, operation: DdnsOperation, result: DdnsResult) -> u64 {
        self.updates
            .get_or_create(&vec![
                ("operation", operation.label()),
                ("result", result.label()),
            ])
            .get()
    }

    /// The count of work dropped for `reason`.
    #[cfg(test)]
    pub(crate) fn drops(&self, reason: DdnsDrop) -> u64 {
        self.dropped
            .get_or_create(&vec![("reason", reason.label())])
            .get()
    }

    /// The work running now.
    #[cfg(test)]
    pub(crate) fn running(&self) -> i64 {
        self.in_flight.get()
    }

    /// The metrics in Prometheus' text format.
    #[cfg(test)]
    pub(crate) fn encode(&self) -> String {
        let mut registry = Registry::default();
        self.register(&mut registry);
        let mut out = String::new();
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry);
        out
    }
}

/// How the lease store is doing, as the last commit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreState {
    /// Commits are durable.
    Up,
    /// The database cannot be reached; the store is reconnecting.
    Reconnecting,
    /// Commits fail.
    Failing,
}

impl StoreState {
    const ALL: [(Self, &'static str); 3] = [
        (Self::Up, "up"),
        (Self::Reconnecting, "reconnecting"),
        (Self::Failing, "failing"),
    ];

    /// The state a commit that ended with `result` leaves.
    pub(crate) fn after<T>(result: &Result<T, charrua_store::StoreError>) -> Self {
        match result {
            Ok(_) => Self::Up,
            Err(charrua_store::StoreError::Database(_)) => Self::Reconnecting,
            Err(_) => Self::Failing,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("up", |(_, n)| n)
    }
}

/// What the serving loop hands over for a scrape: the engine's statistics and drops, the
/// store's state and the leases held.
#[derive(Debug, Clone)]
pub(crate) struct Scrape {
    pub(crate) stats: Snapshot,
    pub(crate) drops: Vec<(String, u64)>,
    pub(crate) store: StoreState,
    pub(crate) leases: usize,
}

/// The exposition of `scrape` and `measures`, in Prometheus' text format.
pub(crate) fn render(scrape: Scrape, measures: &Measures) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    registry.register(
        "charrua_commit_leases",
        "Lease changes per commit of the lease store",
        measures.commit_leases.clone(),
    );
    registry.register_with_unit(
        "charrua_commit_duration",
        "Time for a commit of the lease store to be durable",
        Unit::Seconds,
        measures.commit_seconds.clone(),
    );
    registry.register_with_unit(
        "charrua_reply_latency",
        "Time from a request's arrival to its reply's leaving (an ACK leaves once its lease is durable)",
        Unit::Seconds,
        measures.latency.clone(),
    );
    measures.ddns.register(&mut registry);
    registry.register_collector(Box::new(scrape));
    let mut out = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)?;
    Ok(out)
}

/// Stork's subnet labels.
fn subnet_labels(s: &SubnetStats) -> Vec<(&'static str, String)> {
    vec![
        ("subnet", s.prefix.to_string()),
        ("subnet_id", s.id.to_string()),
        ("prefix", s.prefix.to_string()),
        (
            "shared_network",
            s.shared_network.clone().unwrap_or_default(),
        ),
    ]
}

/// A subnet's or a pool's figures, with its labels.
struct Scope<'a> {
    labels: Vec<(&'static str, String)>,
    total: u64,
    assigned: u64,
    declined: u64,
    events: &'a PoolEvents,
}

/// One of a scope's figures.
type Figure = fn(&Scope<'_>) -> u64;

/// The address metrics, as Stork names them: (subnet-level name, pool-level name, help, type,
/// figure). Counters lose their `_total` here: the encoder adds it.
const ADDRESSES: [(&str, &str, &str, MetricType, Figure); 6] = [
    (
        "addresses_total",
        "pool_addresses_total",
        "Size of subnet address pool",
        MetricType::Unknown,
        |s| s.total,
    ),
    (
        "addresses_assigned_total",
        "pool_addresses_assigned_total",
        "Assigned addresses",
        MetricType::Unknown,
        |s| s.assigned,
    ),
    (
        "addresses_declined_total",
        "pool_addresses_declined_total",
        "Declined counts",
        MetricType::Unknown,
        |s| s.declined,
    ),
    (
        "addresses_reclaimed",
        "pool_addresses_reclaimed",
        "Expired addresses that were reclaimed",
        MetricType::Counter,
        |s| s.events.reclaimed,
    ),
    (
        "addresses_declined_reclaimed",
        "pool_addresses_declined_reclaimed",
        "Declined addresses that were reclaimed",
        MetricType::Counter,
        |s| s.events.reclaimed_declined,
    ),
    (
        "cumulative_addresses_assigned",
        "pool_addresses_cumulative_assigned",
        "Cumulative number of assigned addresses since server startup",
        MetricType::Counter,
        |s| s.events.cumulative_assigned,
    ),
];

impl Scrape {
    /// Every subnet's figures, or (`pools`) every pool's.
    fn scopes(&self, pools: bool) -> Vec<Scope<'_>> {
        let mut out = Vec::new();
        for s in &self.stats.subnets {
            if !pools {
                out.push(Scope {
                    labels: subnet_labels(s),
                    total: s.total,
                    assigned: s.assigned,
                    declined: s.declined,
                    events: &s.events,
                });
                continue;
            }
            for p in &s.pools {
                let mut labels = vec![("pool_id", p.id.to_string())];
                labels.extend(subnet_labels(s));
                out.push(Scope {
                    labels,
                    total: p.total,
                    assigned: p.assigned,
                    declined: p.declined,
                    events: &p.events,
                });
            }
        }
        out
    }
}

/// Encodes one address metric over `scopes`.
fn encode_scopes(
    encoder: &mut DescriptorEncoder,
    (name, help, kind): (&str, &str, MetricType),
    scopes: &[Scope<'_>],
    figure: Figure,
) -> Result<(), std::fmt::Error> {
    let name = format!("kea_dhcp4_{name}");
    let counter = matches!(kind, MetricType::Counter);
    let mut metric = encoder.encode_descriptor(&name, help, None, kind)?;
    for scope in scopes {
        let mut family = metric.encode_family(&scope.labels)?;
        if counter {
            family.encode_counter::<NoLabelSet, _, u64>(&figure(scope), None)?;
        } else {
            family.encode_gauge(&figure(scope))?;
        }
    }
    Ok(())
}

/// Kea's packet statistics with Stork's `operation` label: (Kea name, metric, operation).
const PACKETS: [(&str, &str, &str); 14] = [
    ("pkt4-discover-received", "received", "discover"),
    ("pkt4-offer-received", "received", "offer"),
    ("pkt4-request-received", "received", "request"),
    ("pkt4-ack-received", "received", "ack"),
    ("pkt4-nak-received", "received", "nak"),
    ("pkt4-release-received", "received", "release"),
    ("pkt4-decline-received", "received", "decline"),
    ("pkt4-inform-received", "received", "inform"),
    ("pkt4-unknown-received", "received", "unknown"),
    ("pkt4-receive-drop", "received", "drop"),
    ("pkt4-parse-failed", "received", "parse-failed"),
    ("pkt4-offer-sent", "sent", "offer"),
    ("pkt4-ack-sent", "sent", "ack"),
    ("pkt4-nak-sent", "sent", "nak"),
];

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let packet = |name: &str| {
            self.stats
                .packets
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0, |(_, v)| *v)
        };
        for (direction, help) in [("received", "Packets received"), ("sent", "Packets sent")] {
            let name = format!("kea_dhcp4_packets_{direction}");
            let mut metric = encoder.encode_descriptor(&name, help, None, MetricType::Counter)?;
            for (kea, _, operation) in PACKETS.iter().filter(|(_, d, _)| *d == direction) {
                metric
                    .encode_family(&vec![("operation", *operation)])?
                    .encode_counter::<NoLabelSet, _, u64>(&packet(kea), None)?;
            }
        }
        let (subnets, pools) = (self.scopes(false), self.scopes(true));
        for (name, pool_name, help, kind, figure) in ADDRESSES {
            encode_scopes(&mut encoder, (name, help, kind), &subnets, figure)?;
            let help = format!("{help}, per pool");
            encode_scopes(&mut encoder, (pool_name, &help, kind), &pools, figure)?;
        }
        encoder
            .encode_descriptor(
                "kea_dhcp4_allocations_failed",
                "Allocation fail count (Kea v4-allocation-fail)",
                None,
                MetricType::Counter,
            )?
            .encode_counter::<NoLabelSet, _, u64>(&packet("v4-allocation-fail"), None)?;
        let mut metric = encoder.encode_descriptor(
            "charrua_dropped",
            "Messages dropped unanswered, and replies not sent, by reason",
            None,
            MetricType::Counter,
        )?;
        for (reason, count) in &self.drops {
            metric
                .encode_family(&vec![("reason", reason.as_str())])?
                .encode_counter::<NoLabelSet, _, u64>(count, None)?;
        }
        let mut metric = encoder.encode_descriptor(
            "charrua_store_state",
            "The lease store's state: 1 for the current one",
            None,
            MetricType::Gauge,
        )?;
        for (state, name) in StoreState::ALL {
            metric
                .encode_family(&vec![("state", name)])?
                .encode_gauge(&u64::from(state == self.store))?;
        }
        encoder
            .encode_descriptor(
                "charrua_leases",
                "Lease records held (bindings, offers, released, expired and declined)",
                None,
                MetricType::Gauge,
            )?
            .encode_gauge(&self.leases)?;
        Ok(())
    }
}

/// Kea's timestamp of a statistic (`statistic-get` gives `[[value, "2026-12-01 10:04:28.386733"]]`),
/// for `unix` seconds and `micros` (UTC).
pub(crate) fn kea_timestamp(unix: u64, micros: u32) -> String {
    let iso = charrua_conf::time::iso8601(unix);
    let mut out = iso.trim_end_matches('Z').replacen('T', " ", 1);
    let _ = write!(out, ".{micros:06}");
    out
}
