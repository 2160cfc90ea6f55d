//! The update thread's loop: takes work and new configurations from the serving loop, starts
//! the work [`Queue`] allows, hands back what finished, and schedules the retries (beyond
//! ISC, which never retries on a timer: docs/ddns.md section 7).

use std::collections::HashMap;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use charrua_server::dns::DnsWork;
use tokio::sync::{mpsc as async_mpsc, oneshot};
use tokio::task::{Id, JoinSet};
use tracing::{debug, error, info};

use super::lookup::ZoneLookup;
use super::once::Reported;
use super::queue::{Job, Queue};
use super::run::{self, Context, Ran};
use super::transport::Sockets;
use super::zones::Settings;
use super::{Done, Tuning};
use crate::metrics::{DdnsDrop, DdnsMetrics};

/// What the serving loop sends the thread.
#[derive(Debug)]
pub(super) enum Command {
    /// Work to carry out, in order.
    Work(Vec<DnsWork>),
    /// A new configuration, for work not yet started.
    Reload(Arc<Settings>),
}

/// The thread's state.
#[derive(Debug)]
pub(super) struct Worker {
    /// The configuration work starts with (the last [`Command::Reload`]'s).
    pub(super) settings: Arc<Settings>,
    /// ISC's waits, the limits, the retry schedule.
    pub(super) tuning: Tuning,
    /// Where transactions, drops and the running work are counted.
    pub(super) metrics: DdnsMetrics,
    /// Where what the updates did goes.
    pub(super) reporter: Reporter,
    /// Work accepted and not finished, counted down here.
    pub(super) pending: Arc<AtomicUsize>,
}

/// The way back to the serving loop: what an update added or removed, handed over as soon as
/// the server answered, so that a stop or a crash loses no record made (dhcpd rewrites the
/// lease after each step, server/ddns.c `ddns_update_lease_text`).
#[derive(Debug, Clone)]
pub(super) struct Reporter {
    /// Where it goes.
    pub(super) done: mpsc::Sender<Done>,
    /// Written a byte to wake the serving loop.
    pub(super) wake: Arc<UnixStream>,
    /// Whether a byte written to `wake` is unread ([`super::Updater::try_done`] clears it).
    pub(super) signalled: Arc<AtomicBool>,
}

impl Reporter {
    /// Hands `done` to the serving loop and wakes it: one byte while the loop has not read
    /// the last (a busy loop reads many `Done`s per wake-up, and each byte would be a system
    /// call here). Non-blocking: a full socket already wakes the loop.
    pub(super) fn hand_over(&self, done: Done) {
        if self.done.send(done).is_ok() && !self.signalled.swap(true, Ordering::AcqRel) {
            let _ = (&*self.wake).write(&[1]);
        }
    }
}

/// A running job's end: the job, and how it ran.
type Joined = (Job, Ran);

impl Worker {
    /// Serves `commands` until `stop` fires or the [`super::Updater`] is gone.
    pub(super) async fn serve(
        mut self,
        mut commands: async_mpsc::UnboundedReceiver<Command>,
        mut stop: oneshot::Receiver<()>,
    ) {
        let mut queue = Queue::new(self.tuning.in_flight);
        let mut tasks: JoinSet<Joined> = JoinSet::new();
        let mut running: HashMap<Id, Ipv4Addr> = HashMap::new();
        let reported = Arc::new(Mutex::new(Reported::default()));
        let sockets = Sockets::default();
        let lookup = ZoneLookup::new(self.tuning.find_zones, self.tuning.port);
        loop {
            while let Some(job) = queue.next() {
                let address = job.work.address;
                let cx = Context {
                    settings: Arc::clone(&self.settings),
                    tuning: self.tuning,
                    metrics: self.metrics.clone(),
                    reported: Arc::clone(&reported),
                    reporter: self.reporter.clone(),
                    sockets: sockets.clone(),
                    lookup: lookup.clone(),
                };
                self.metrics.started();
                let handle = tasks.spawn(async move {
                    let ran = run::run(&job.work, &cx).await;
                    (job, ran)
                });
                running.insert(handle.id(), address);
            }
            let due = queue.next_due();
            // Unbiased: a steady flow of work never starves the finished tasks.
            tokio::select! {
                _ = &mut stop => break,
                command = commands.recv() => match command {
                    None => break,
                    Some(Command::Work(works)) => {
                        for work in works {
                            if let Some(old) = queue.push(work) {
                                debug!("DDNS: {}: newer work replaces a retry", old.work.address);
                                self.finish();
                            }
                        }
                    }
                    Some(Command::Reload(settings)) => self.settings = settings,
                },
                Some(joined) = tasks.join_next_with_id() => {
                    self.metrics.stopped();
                    match joined {
                        Ok((id, (job, ran))) => {
                            running.remove(&id);
                            self.ended(&mut queue, job, ran);
                        }
                        Err(e) => {
                            // Only a panic ends a task early, and nothing in a run panics.
                            error!("DDNS: an update task failed: {e}");
                            if let Some(address) = running.remove(&e.id()) {
                                queue.finished(address, None);
                                self.finish();
                            }
                        }
                    }
                }
                () = sleep_until(due) => queue.release_due(Instant::now()),
            }
        }
        let abandoned = self.pending.load(Ordering::Acquire);
        if abandoned > 0 {
            info!("DDNS: stopping; {abandoned} update(s) not finished are abandoned");
        }
        // Dropping the tasks closes their sockets: nothing more is sent.
        for _ in 0..tasks.len() {
            self.metrics.stopped();
        }
        tasks.abort_all();
    }

    /// `job` ran (what it did was handed over as it went): what is left is scheduled again if
    /// no server answered, at most [`Tuning::retries`] times.
    fn ended(&mut self, queue: &mut Queue, job: Job, ran: Ran) {
        let Job { work, attempt } = job;
        let address = work.address;
        let Ran { retry } = ran;
        let retry = retry.and_then(|work| {
            if attempt >= self.tuning.retries {
                error!(
                    "DDNS: {address}: no answer from the DNS servers after {} retries; update dropped",
                    self.tuning.retries
                );
                self.metrics.dropped(DdnsDrop::RetriesExhausted);
                return None;
            }
            let delay = self.retry_delay(attempt);
            // ISC's line for the failure is already logged (at error level); this one is
            // charrua's own, one per update: debug, so that a DNS server down floods nothing.
            debug!(
                "DDNS: {address}: no answer from the DNS servers; trying again in {} s",
                delay.as_secs_f64()
            );
            let job = Job {
                work,
                attempt: attempt + 1,
            };
            Some((Instant::now() + delay, job))
        });
        let retried = retry.is_some();
        let superseded = queue.finished(address, retry);
        if superseded.is_some() {
            debug!("DDNS: {address}: newer work replaces the retry");
        }
        if !retried || superseded.is_some() {
            self.finish();
        }
    }

    /// The wait before retry `attempt + 1`: the tuning's first wait, doubled for each retry
    /// made.
    fn retry_delay(&self, attempt: u32) -> Duration {
        self.tuning
            .retry_after
            .saturating_mul(2u32.saturating_pow(attempt))
    }

    /// A work is over: one less pending.
    fn finish(&self) {
        let _ = self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }
}

/// Waits until `due`, or for ever without one.
async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}
