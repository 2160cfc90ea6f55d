//! Counts and latencies of a run, and its report (text or one JSON object).

use serde_json::{json, Value};

/// Latency samples of one kind of exchange, in microseconds.
#[derive(Debug, Default)]
pub(crate) struct Latencies(Vec<u32>);

impl Latencies {
    pub(crate) fn record(&mut self, from_ns: u64, to_ns: u64) {
        let us = to_ns.saturating_sub(from_ns) / 1000;
        self.0.push(u32::try_from(us).unwrap_or(u32::MAX));
    }

    /// Milliseconds at quantile `q` (0..=1), by nearest rank.
    fn quantile(sorted: &[u32], q: f64) -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        f64::from(sorted.get(rank - 1).copied().unwrap_or(0)) / 1000.0
    }

    fn summary(&mut self) -> Value {
        self.0.sort_unstable();
        let s = &self.0;
        let avg = if s.is_empty() {
            0.0
        } else {
            s.iter().map(|&v| f64::from(v)).sum::<f64>() / s.len() as f64 / 1000.0
        };
        json!({
            "count": s.len(),
            "min_ms": Self::quantile(s, 0.0),
            "avg_ms": round3(avg),
            "median_ms": Self::quantile(s, 0.5),
            "p99_ms": Self::quantile(s, 0.99),
            "max_ms": Self::quantile(s, 1.0),
        })
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Everything counted during a run.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) discovers: u64,
    pub(crate) offers: u64,
    pub(crate) requests: u64,
    pub(crate) acks: u64,
    pub(crate) naks: u64,
    /// ACKs of an address another client held an unexpired ACK of (never, from a correct
    /// server or servers sharing a database).
    pub(crate) double_acks: u64,
    pub(crate) renews: u64,
    pub(crate) renew_acks: u64,
    pub(crate) releases: u64,
    /// Replies that matched no exchange in flight (late, duplicated, or not ours).
    pub(crate) strays: u64,
    /// Replies that came after the timeout (their exchange is lost).
    pub(crate) late: u64,
    /// Datagrams that did not parse.
    pub(crate) malformed: u64,
    /// Messages the kernel refused to send.
    pub(crate) send_errors: u64,
    pub(crate) discover_offer: Latencies,
    pub(crate) request_ack: Latencies,
    pub(crate) renew_ack: Latencies,
    pub(crate) dora: Latencies,
}

/// The settings and timing a report describes.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) rate: f64,
    pub(crate) seconds: f64,
    /// Exchanges the rate asked for over the sending period.
    pub(crate) offered: u64,
    /// Exchanges started (fewer than offered when the generator could not keep up).
    pub(crate) exchanges: u64,
    /// Exchanges that reached their last reply.
    pub(crate) completed: u64,
    pub(crate) cpu_seconds: f64,
}

impl Stats {
    /// The report as one JSON object.
    pub(crate) fn report(&mut self, run: &Run) -> Value {
        // Loss counts against what was asked for, so a generator that could not start every
        // exchange cannot pass for a server that answered all it got.
        let loss = if run.offered == 0 {
            0.0
        } else {
            100.0 * (run.offered - run.completed.min(run.offered)) as f64 / run.offered as f64
        };
        let limited = (run.exchanges as f64) < 0.97 * run.offered as f64;
        json!({
            "offered_rate": run.rate,
            "seconds": round3(run.seconds),
            "offered": run.offered,
            "exchanges": run.exchanges,
            "generator_limited": limited,
            "completed": run.completed,
            "completed_rate": round3(run.completed as f64 / run.seconds.max(1e-9)),
            "loss_percent": round3(loss),
            "sent": {
                "discover": self.discovers, "request": self.requests,
                "renew": self.renews, "release": self.releases,
            },
            "received": {
                "offer": self.offers, "ack": self.acks, "nak": self.naks,
                "renew_ack": self.renew_acks, "late": self.late, "stray": self.strays, "malformed": self.malformed,
            },
            "send_errors": self.send_errors,
            "double_acks": self.double_acks,
            "latency": {
                "discover_offer": self.discover_offer.summary(),
                "request_ack": self.request_ack.summary(),
                "renew_ack": self.renew_ack.summary(),
                "dora": self.dora.summary(),
            },
            "generator_cpu_seconds": round3(run.cpu_seconds),
        })
    }
}

/// The report as text, perfdhcp-like.
pub(crate) fn text(report: &Value) -> String {
    let mut out = String::new();
    let get = |path: &[&str]| {
        path.iter()
            .try_fold(report, |v, k| v.get(*k))
            .cloned()
            .unwrap_or(Value::Null)
    };
    out.push_str(&format!(
        "offered {} exchanges/s for {} s: {} of {} completed ({} /s), loss {} %\n",
        get(&["offered_rate"]),
        get(&["seconds"]),
        get(&["completed"]),
        get(&["offered"]),
        get(&["completed_rate"]),
        get(&["loss_percent"]),
    ));
    if get(&["generator_limited"]) == Value::Bool(true) {
        out.push_str(&format!(
            "GENERATOR-LIMITED: only {} exchanges started; the load, not the server, was the limit\n",
            get(&["exchanges"])
        ));
    }
    out.push_str(&format!(
        "sent: {}\nreceived: {}\n",
        get(&["sent"]),
        get(&["received"])
    ));
    for kind in ["discover_offer", "request_ack", "renew_ack", "dora"] {
        let l = get(&["latency", kind]);
        if l.get("count").and_then(Value::as_u64).unwrap_or(0) == 0 {
            continue;
        }
        let f = |k: &str| l.get(k).cloned().unwrap_or(Value::Null);
        out.push_str(&format!(
            "{kind:>15} ms: min {} avg {} median {} p99 {} max {} ({} samples)\n",
            f("min_ms"),
            f("avg_ms"),
            f("median_ms"),
            f("p99_ms"),
            f("max_ms"),
            f("count")
        ));
    }
    out.push_str(&format!(
        "generator CPU: {} s\n",
        get(&["generator_cpu_seconds"])
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let mut l = Latencies::default();
        for us in 1..=100u64 {
            l.record(0, us * 1000);
        }
        let s = l.summary();
        assert_eq!(s["median_ms"], 0.05);
        assert_eq!(s["p99_ms"], 0.099);
        assert_eq!(s["max_ms"], 0.1);
        assert_eq!(s["min_ms"], 0.001);
    }

    #[test]
    fn loss_counts_exchanges_that_did_not_complete() {
        let mut stats = Stats::default();
        let r = stats.report(&Run {
            rate: 100.0,
            seconds: 1.0,
            offered: 200,
            exchanges: 200,
            completed: 198,
            cpu_seconds: 0.1,
        });
        assert_eq!(r["loss_percent"], 1.0);
        assert_eq!(r["completed_rate"], 198.0);
        assert_eq!(r["generator_limited"], false);
        let r = stats.report(&Run {
            rate: 100.0,
            seconds: 1.0,
            offered: 200,
            exchanges: 150,
            completed: 150,
            cpu_seconds: 0.1,
        });
        assert_eq!(r["loss_percent"], 25.0);
        assert_eq!(r["generator_limited"], true);
    }
}
