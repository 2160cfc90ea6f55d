//! The DDNS updater: carries out the DNS work the server core hands over ([`DnsWork`]: what to
//! remove, then what to add, for one address) off the serving loop, and hands back what was
//! added and removed ([`Done`]), which the loop writes into the lease as ISC's `ddns-*`
//! variables (docs/ddns.md sections 6 and 11; ISC server/ddns.c `ddns_update_lease_text`).
//!
//! The updates run on a thread of their own with a small tokio runtime (as the control API
//! does), so a DNS server that is slow, silent or hostile never delays a DHCP reply: ISC sends
//! the ACK without waiting either (docs/ddns.md section 2). Each update is a
//! [`charrua_ddns::Transaction`], ISC's chain of steps (server/ddns.c `ddns_fwd_srv_add1` ...
//! `ddns_ptr_remove`) driven over UDP with ISC's timeouts (docs/ddns.md section 7). Many run at
//! once, but the work for one address runs one at a time, in the order it was submitted, as
//! ISC chains a lease's transactions. Beyond ISC, which never retries on a timer, work that
//! failed because no server answered is tried again later with a growing delay (Kea D2 drops
//! it; issue 19 asks for the back-off).
//!
//! One job per file: [`zones`] turns the configuration into what charrua-ddns takes, [`plan`]
//! turns a [`DnsWork`] into transactions' inputs, [`transport`] is one UDP exchange, [`run`]
//! carries out one [`DnsWork`], [`queue`] keeps the per-address order and the retries, and
//! [`worker`] is the thread's loop.
#![warn(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod lookup;
mod once;
mod plan;
mod queue;
mod run;
mod transport;
mod worker;
mod zones;

#[cfg(test)]
mod tests;

use std::io::Read as _;
use std::net::Ipv4Addr;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use charrua_ddns::exchange::Retransmit;
use charrua_server::config::{Ddns, DdnsStyle};
use charrua_server::dns::{DnsNote, DnsWork};
use charrua_server::ClientKey;
use tokio::sync::{mpsc as async_mpsc, oneshot};
use tracing::{debug, error};

use crate::metrics::{DdnsDrop, DdnsMetrics};
use worker::Command;
use zones::Settings;

/// The DNS port: ISC dhcpd has no setting for it (common/dns.c `find_cached_zone` takes port
/// 53 for every zone server; docs/ddns.md section 1.3).
const DNS_PORT: u16 = 53;

/// What the updater works with that is not configuration: ISC's figures in production
/// ([`Tuning::default`]); tests shorten the waits and point the zones at a fake server's
/// port. No user setting reaches it.
#[derive(Debug, Clone, Copy)]
struct Tuning {
    /// Sends per message and the wait after each (ISC: 4 sends 3 s apart, `bind:client.c`
    /// `DEF_UPDATE_UDPTIMEOUT`, `DEF_UPDATE_UDPRETRIES`; docs/ddns.md section 7).
    retransmit: Retransmit,
    /// The port of every zone server ([`DNS_PORT`]).
    port: u16,
    /// The most work accepted and not yet finished (queued, running or waiting for a retry);
    /// more is dropped.
    capacity: usize,
    /// The most work running at once.
    in_flight: usize,
    /// The wait before the first retry; each later one waits twice as long as the last.
    retry_after: Duration,
    /// The most retries of one work before it is dropped.
    retries: u32,
    /// Whether names no `zone` statement covers have their zone looked up in DNS, as dhcpd
    /// does ([`lookup`]); off in tests that must send nothing beyond their fake server.
    find_zones: bool,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            retransmit: Retransmit::default(),
            port: DNS_PORT,
            capacity: 4096,
            in_flight: 256,
            retry_after: Duration::from_secs(10),
            retries: 5,
            find_zones: true,
        }
    }
}

/// Work that has finished with records added or removed: what the lease at `address` must
/// now record, if `client` still holds it (docs/ddns.md section 6; server/ddns.c
/// `ddns_update_lease_text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Done {
    /// The address the work was for.
    pub(crate) address: Ipv4Addr,
    /// The client the work was for ([`DnsWork::client`]).
    pub(crate) client: ClientKey,
    /// What was added or removed, in the order it happened; never empty.
    pub(crate) notes: Vec<DnsNote>,
}

/// The update thread's nice value: a tenth or so of the CPU against the serving loop's 0
/// when both want it all (the kernel's weights for nice 0 and 10 are 1024 and 110).
const UPDATER_NICE: i32 = 10;

/// How often at most the log says that work was dropped for want of room.
const DROP_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Work dropped for want of room, not yet logged.
#[derive(Debug, Default)]
struct Drops {
    /// When it was last logged.
    logged: Option<Instant>,
    /// How many since.
    count: usize,
}

/// The serving loop's handle on the updater thread. Dropping it stops the thread (within
/// moments; work not finished is abandoned, with an info line saying how much).
#[derive(Debug)]
pub(crate) struct Updater {
    commands: async_mpsc::UnboundedSender<Command>,
    done: Mutex<mpsc::Receiver<Done>>,
    /// Readable when [`Done`]s wait (a byte per `Done`, read by [`Updater::try_done`]).
    wake: UnixStream,
    /// Work accepted and not finished, shared with the thread, which counts it down.
    pending: Arc<AtomicUsize>,
    /// Whether a wake-up byte is unread, shared with the thread: set by the thread when it
    /// writes one, cleared here before the bytes are read.
    signalled: Arc<AtomicBool>,
    /// Work dropped for want of room since the last line saying so.
    drops: Mutex<Drops>,
    tuning: Tuning,
    metrics: DdnsMetrics,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Updater {
    /// Starts the updater for `config`, counting into `metrics`; `None` when
    /// `ddns-update-style` is `none`, where ISC opens no DNS socket and does nothing, not even
    /// removals (server/dhcpd.c `postconf_initialization`, server/ddns.c `ddns_removals`;
    /// docs/ddns.md section 1.1).
    pub(crate) fn start(config: &Ddns, metrics: DdnsMetrics) -> Result<Option<Self>, String> {
        Self::start_tuned(config, metrics, Tuning::default())
    }

    /// [`Updater::start`] with `tuning` (tests shorten ISC's waits).
    fn start_tuned(
        config: &Ddns,
        metrics: DdnsMetrics,
        tuning: Tuning,
    ) -> Result<Option<Self>, String> {
        if config.style == DdnsStyle::None {
            return Ok(None);
        }
        let settings = Arc::new(Settings::new(config, tuning.port));
        let (wake, notify) = UnixStream::pair().map_err(|e| format!("DDNS socketpair: {e}"))?;
        for s in [&wake, &notify] {
            s.set_nonblocking(true)
                .map_err(|e| format!("DDNS socketpair: {e}"))?;
        }
        let (commands, received) = async_mpsc::unbounded_channel();
        let (done_tx, done) = mpsc::channel();
        let (shutdown, stop) = oneshot::channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let signalled = Arc::new(AtomicBool::new(false));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| format!("DDNS runtime: {e}"))?;
        let worker = worker::Worker {
            settings,
            tuning,
            metrics: metrics.clone(),
            reporter: worker::Reporter {
                done: done_tx,
                wake: Arc::new(notify),
                signalled: Arc::clone(&signalled),
            },
            pending: Arc::clone(&pending),
        };
        let thread = std::thread::Builder::new()
            .name("ddns".into())
            .spawn(move || {
                // Updates yield the CPU to the serving loop: where both want it, replies go
                // first, and updates wait (and past the queue's room, are dropped, counted).
                if let Err(e) = charrua_socket::priority::set_this_thread_nice(UPDATER_NICE) {
                    debug!("DDNS: the update thread keeps its priority: {e}");
                }
                runtime.block_on(worker.serve(received, stop))
            })
            .map_err(|e| format!("DDNS thread: {e}"))?;
        Ok(Some(Self {
            commands,
            done: Mutex::new(done),
            wake,
            pending,
            signalled,
            drops: Mutex::new(Drops::default()),
            tuning,
            metrics,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }))
    }

    /// Takes `config` (a SIGHUP's new configuration): its zones, keys, conflict rules and
    /// source addresses apply to every work not yet started; work under way finishes with
    /// what it started with. The style is read once at start, as ISC reads it
    /// (server/dhcpd.c `postconf_initialization`): a new style is the caller's to act on.
    pub(crate) fn reload(&mut self, config: &Ddns) {
        let settings = Arc::new(Settings::new(config, self.tuning.port));
        if self.commands.send(Command::Reload(settings)).is_err() {
            error!("DDNS: the update thread has stopped; new configuration not applied");
        }
    }

    /// One work (see [`Updater::submit_all`]).
    #[cfg(test)]
    pub(crate) fn submit(&self, work: DnsWork) {
        self.submit_all(vec![work]);
    }

    /// Queues `works`, in order, for the update thread, with one wake-up for all the work a
    /// round of the serving loop asks for, without blocking or waiting on the network. When as
    /// much work as the updater holds is already waiting, a work is dropped with an error line
    /// and counted (`charrua_ddns_dropped_total{reason="queue_full"}`); ISC has no such bound,
    /// but neither a DNS server down nor a burst of ACKs may grow memory without end.
    pub(crate) fn submit_all(&self, mut works: Vec<DnsWork>) {
        let capacity = self.tuning.capacity;
        works.retain(|work| {
            let admitted = self
                .pending
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < capacity).then_some(n + 1)
                });
            if admitted.is_err() {
                self.metrics.dropped(DdnsDrop::QueueFull);
                let mut drops = self.drops.lock().unwrap_or_else(PoisonError::into_inner);
                drops.count += 1;
                // One line per interval, not per drop: drops come by thousands a second when
                // a DNS server cannot keep up.
                if drops.logged.is_none_or(|at| at.elapsed() >= DROP_LOG_INTERVAL) {
                    error!(
                        "DDNS: {capacity} updates already waiting; {} update(s) dropped since the last report, the last for {}",
                        drops.count, work.address
                    );
                    *drops = Drops {
                        logged: Some(Instant::now()),
                        count: 0,
                    };
                }
            }
            admitted.is_ok()
        });
        if works.is_empty() {
            return;
        }
        let count = works.len();
        if self.commands.send(Command::Work(works)).is_err() {
            self.pending.fetch_sub(count, Ordering::AcqRel);
            error!("DDNS: the update thread has stopped; {count} update(s) dropped");
        }
    }

    /// The next finished work, oldest first, without blocking.
    pub(crate) fn try_done(&self) -> Option<Done> {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        if let Ok(d) = done.try_recv() {
            return Some(d);
        }
        // The wake-up bytes are read only once nothing is left, so that a `Done` sent
        // meanwhile still wakes the loop.
        // The thread writes a byte only while none is unread (see `Worker::hand_over`).
        self.signalled.store(false, Ordering::Release);
        let mut bytes = [0u8; 64];
        while matches!((&self.wake).read(&mut bytes), Ok(n) if n > 0) {}
        done.try_recv().ok()
    }

    /// What to poll for [`Done`]s: readable when one waits (the control API's way,
    /// `crate::control::Control::wake_fd`).
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }
}

impl Drop for Updater {
    /// Stops the thread: the work under way is dropped where it stands (its sockets closed,
    /// nothing more sent), the rest abandoned, and the thread joined.
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                error!("DDNS: the update thread panicked");
            }
        }
    }
}
