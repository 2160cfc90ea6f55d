//! Rate limits (rule A2): a token bucket per client hardware address and one for the whole
//! server, so one client or a flood cannot take the server's time or fill its tables. The
//! per-client table is bounded (rule A1): when full, buckets idle longest are dropped.

use hashbrown::HashMap;
use std::time::Duration;

/// A token bucket: `rate` tokens a second, at most `burst` saved.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    /// Monotonic time of the last take.
    last: Duration,
}

/// Limits on messages.
#[derive(Debug)]
pub(crate) struct Limiter {
    per_client_rate: f64,
    per_client_burst: f64,
    global_rate: f64,
    global_burst: f64,
    global: Bucket,
    clients: HashMap<[u8; 17], Bucket>,
    max_clients: usize,
}

impl Bucket {
    fn take(&mut self, now: Duration, rate: f64, burst: f64) -> bool {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Limiter {
    /// Per client: `rate` messages a second with bursts of `burst`; for the server: `global`.
    pub(crate) fn new(now: Duration, rate: f64, burst: f64, global: f64) -> Self {
        Self {
            per_client_rate: rate,
            per_client_burst: burst,
            global_rate: global,
            global_burst: global.max(1.0),
            global: Bucket {
                tokens: global.max(1.0),
                last: now,
            },
            clients: HashMap::new(),
            max_clients: 100_000,
        }
    }

    /// Whether a message from hardware address `htype`/`chaddr` may be handled at `now`
    /// (monotonic).
    pub(crate) fn allow(&mut self, now: Duration, htype: u8, chaddr: &[u8; 16]) -> bool {
        if !self.global.take(now, self.global_rate, self.global_burst) {
            return false;
        }
        let mut key = [0u8; 17];
        key[0] = htype;
        key[1..].copy_from_slice(chaddr);
        if self.clients.len() >= self.max_clients && !self.clients.contains_key(&key) {
            // Drop the buckets that have been idle for a second or more: they are full again.
            self.clients
                .retain(|_, b| now.saturating_sub(b.last).as_secs_f64() < 1.0);
            if self.clients.len() >= self.max_clients {
                return false;
            }
        }
        let burst = self.per_client_burst;
        let bucket = self.clients.entry(key).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        bucket.take(now, self.per_client_rate, burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_its_rate() {
        let t0 = Duration::from_secs(7);
        let mut l = Limiter::new(t0, 2.0, 4.0, 1000.0);
        let a = [1u8; 16];
        assert_eq!((0..10).filter(|_| l.allow(t0, 1, &a)).count(), 4);
        assert!(l.allow(t0 + Duration::from_millis(600), 1, &a));
        assert!(
            l.allow(t0, 1, &[2u8; 16]),
            "another client has its own bucket"
        );
    }

    #[test]
    fn the_server_as_a_whole_is_limited_too() {
        let t0 = Duration::from_secs(7);
        let mut l = Limiter::new(t0, 100.0, 100.0, 5.0);
        let allowed = (0..20u8).filter(|i| l.allow(t0, 1, &[*i; 16])).count();
        assert_eq!(allowed, 5);
    }
}
