//! The order work runs in: one work at a time per address, in submission order, as ISC
//! chains a lease's DDNS transactions (server/ddns.c `ddns_updates`, `ddns_removals`;
//! docs/ddns.md section 2), a bounded number of addresses at once, and the retries waiting
//! for their time. Newer work for an address supersedes its waiting retry: the core built it
//! from the lease as it stands, which still records whatever the failed work did not do.
//! No I/O and no clock: the worker passes the time in.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::time::Instant;

use charrua_server::dns::DnsWork;

/// A work and how many times it was retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Job {
    /// The work, as submitted or, for a retry, what is left of it.
    pub(super) work: DnsWork,
    /// Retries so far: 0 for the first run.
    pub(super) attempt: u32,
}

/// One address's work.
#[derive(Debug, Default)]
struct Lane {
    /// Waiting to run, oldest first.
    jobs: VecDeque<Job>,
    /// A job of this address is running.
    running: bool,
    /// A retry waiting for its time (only while nothing else is queued or running).
    retry: Option<(Instant, Job)>,
}

/// The work not yet finished, by address.
#[derive(Debug)]
pub(super) struct Queue {
    lanes: HashMap<Ipv4Addr, Lane>,
    /// The addresses that can start their next job, in the order they became able to: an
    /// address is here exactly when its lane is not running and has a job waiting.
    ready: VecDeque<Ipv4Addr>,
    /// The waiting retries by time.
    retries: BTreeSet<(Instant, Ipv4Addr)>,
    /// Jobs running.
    running: usize,
    /// The most jobs running at once.
    limit: usize,
}

impl Queue {
    /// An empty queue running at most `limit` jobs at once.
    pub(super) fn new(limit: usize) -> Self {
        Self {
            lanes: HashMap::new(),
            ready: VecDeque::new(),
            retries: BTreeSet::new(),
            running: 0,
            limit: limit.max(1),
        }
    }

    /// Queues `work` behind the work of its address; returns the retry it supersedes.
    pub(super) fn push(&mut self, work: DnsWork) -> Option<Job> {
        let address = work.address;
        let lane = self.lanes.entry(address).or_default();
        let superseded = lane.retry.take().map(|(at, job)| {
            self.retries.remove(&(at, address));
            job
        });
        lane.jobs.push_back(Job { work, attempt: 0 });
        if !lane.running && lane.jobs.len() == 1 {
            self.ready.push_back(address);
        }
        superseded
    }

    /// The next job to start, unless [`Queue::new`]'s limit of jobs run already.
    pub(super) fn next(&mut self) -> Option<Job> {
        if self.running >= self.limit {
            return None;
        }
        while let Some(address) = self.ready.pop_front() {
            let Some(lane) = self.lanes.get_mut(&address) else {
                continue;
            };
            let Some(job) = lane.jobs.pop_front() else {
                continue;
            };
            lane.running = true;
            self.running += 1;
            return Some(job);
        }
        None
    }

    /// The job running for `address` ended; `retry`: run this job at that time, unless newer
    /// work for the address waits, in which case the retry is returned, superseded.
    pub(super) fn finished(
        &mut self,
        address: Ipv4Addr,
        retry: Option<(Instant, Job)>,
    ) -> Option<Job> {
        self.running = self.running.saturating_sub(1);
        let Some(lane) = self.lanes.get_mut(&address) else {
            return retry.map(|(_, job)| job);
        };
        lane.running = false;
        let mut superseded = None;
        match retry {
            Some((_, job)) if !lane.jobs.is_empty() => superseded = Some(job),
            Some((at, job)) => {
                lane.retry = Some((at, job));
                self.retries.insert((at, address));
            }
            None => {}
        }
        if !lane.jobs.is_empty() {
            self.ready.push_back(address);
        } else if lane.retry.is_none() {
            self.lanes.remove(&address);
        }
        superseded
    }

    /// When the next retry is due.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.retries.first().map(|(at, _)| *at)
    }

    /// Makes the retries due at `now` ready to start.
    pub(super) fn release_due(&mut self, now: Instant) {
        while let Some(&(at, address)) = self.retries.first() {
            if at > now {
                break;
            }
            self.retries.remove(&(at, address));
            let Some(lane) = self.lanes.get_mut(&address) else {
                continue;
            };
            if let Some((_, job)) = lane.retry.take() {
                lane.jobs.push_front(job);
                if !lane.running && lane.jobs.len() == 1 {
                    self.ready.push_back(address);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use charrua_server::ClientKey;

    fn work(address: [u8; 4], tag: u8) -> DnsWork {
        DnsWork {
            address: Ipv4Addr::from(address),
            client: ClientKey::Hardware {
                htype: 1,
                addr: vec![2, 0, 0, 0, 0, tag].into(),
            },
            remove: None,
            add: None,
        }
    }

    fn tag(job: &Job) -> u8 {
        match &job.work.client {
            ClientKey::Hardware { addr, .. } => addr[5],
            ClientKey::ClientId(_) => 0,
        }
    }

    const A: [u8; 4] = [198, 18, 0, 100];
    const B: [u8; 4] = [198, 18, 0, 101];

    #[test]
    fn one_job_per_address_in_submission_order() {
        let mut q = Queue::new(10);
        q.push(work(A, 1));
        q.push(work(A, 2));
        q.push(work(B, 3));
        let first = q.next().unwrap();
        assert_eq!(tag(&first), 1);
        let other = q.next().unwrap();
        assert_eq!(tag(&other), 3, "another address runs meanwhile");
        assert!(q.next().is_none(), "A's second job waits for its first");
        assert!(q.finished(first.work.address, None).is_none());
        assert_eq!(tag(&q.next().unwrap()), 2);
        q.finished(Ipv4Addr::from(A), None);
        q.finished(Ipv4Addr::from(B), None);
        assert!(q.next().is_none());
        assert!(q.lanes.is_empty());
    }

    #[test]
    fn runs_at_most_the_limit() {
        let mut q = Queue::new(2);
        for i in 0..5 {
            q.push(work([10, 0, 0, i], i));
        }
        let a = q.next().unwrap();
        let _b = q.next().unwrap();
        assert!(q.next().is_none());
        q.finished(a.work.address, None);
        assert_eq!(tag(&q.next().unwrap()), 2);
    }

    #[test]
    fn retries_wait_for_their_time() {
        let mut q = Queue::new(10);
        let now = Instant::now();
        q.push(work(A, 1));
        let job = q.next().unwrap();
        let at = now + Duration::from_secs(10);
        let retry = Job {
            work: job.work,
            attempt: 1,
        };
        assert!(q.finished(Ipv4Addr::from(A), Some((at, retry))).is_none());
        assert_eq!(q.next_due(), Some(at));
        assert!(q.next().is_none());
        q.release_due(now + Duration::from_secs(9));
        assert!(q.next().is_none());
        q.release_due(at);
        let again = q.next().unwrap();
        assert_eq!((tag(&again), again.attempt), (1, 1));
        assert_eq!(q.next_due(), None);
    }

    #[test]
    fn newer_work_supersedes_a_retry() {
        let mut q = Queue::new(10);
        let at = Instant::now() + Duration::from_secs(10);
        q.push(work(A, 1));
        let job = q.next().unwrap();
        q.finished(Ipv4Addr::from(A), Some((at, job)));
        let superseded = q.push(work(A, 2)).unwrap();
        assert_eq!(tag(&superseded), 1);
        assert_eq!(q.next_due(), None);
        assert_eq!(tag(&q.next().unwrap()), 2);
        // Work queued while a job runs supersedes the retry it asks for.
        q.push(work(A, 3));
        let retry = Job {
            work: work(A, 2),
            attempt: 1,
        };
        let superseded = q.finished(Ipv4Addr::from(A), Some((at, retry))).unwrap();
        assert_eq!(tag(&superseded), 2);
        assert_eq!(tag(&q.next().unwrap()), 3);
    }
}
