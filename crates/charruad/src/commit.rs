//! The commit thread: the lease store lives on a thread of its own, so that a slow disk delays
//! only the ACKs that wait for it. The serving loop hands it one commit at a time (the engine
//! never has two in flight); the thread makes it durable, sends its ACKs at once, and reports
//! back through a channel and a socket it writes a byte to, which the serving loop polls.
//!
//! Why a thread and not io_uring: one fdatasync per batch is the whole job, it is blocking by
//! nature (io_uring would run it on a kernel worker thread anyway), and a thread needs no
//! kernel feature that containers often turn off. What matters is that the serving loop never
//! waits for it.

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use std::sync::Arc;

use charrua_engine::Commit;
use charrua_server::LeaseChange;
use charrua_store::{commit_batch, Committed, LeaseStore, StoreError};

use crate::batch::Outbox;
use crate::send::Sender;

/// How often the thread asks a store shared with other servers for their changes while it
/// has no batch to commit (a store only this server writes has none, at no cost).
const IDLE_POLL: Duration = Duration::from_millis(50);

/// How a batch ended, any error of a compaction that ran beside it, and what other servers
/// changed in a shared store meanwhile.
#[derive(Debug)]
pub(crate) struct Report {
    /// How the batch ended; `None` for a report of changes by others while no batch ran.
    pub(crate) result: Option<Result<Committed, StoreError>>,
    pub(crate) compaction: Option<StoreError>,
    pub(crate) by_others: Vec<LeaseChange>,
    /// The servers sharing the store, when that changed.
    pub(crate) servers: Option<Vec<String>>,
}

impl Report {
    /// The report of a thread that is gone.
    fn stopped() -> Self {
        Self {
            result: Some(Err(StoreError::Stopped)),
            compaction: None,
            by_others: Vec::new(),
            servers: None,
        }
    }
}

/// The thread, the way to it and the way back.
#[derive(Debug)]
pub(crate) struct CommitThread {
    jobs: Option<mpsc::Sender<Commit>>,
    reports: Receiver<Report>,
    wake: UnixStream,
    thread: Option<JoinHandle<()>>,
}

fn run(
    mut store: Box<dyn LeaseStore + Send>,
    jobs: &Receiver<Commit>,
    reports: &mpsc::Sender<Report>,
    mut wake: UnixStream,
    sender: &Sender,
) {
    let mut outbox = Outbox::default();
    let mut sharing = Sharing::default();
    loop {
        let commit = match jobs.recv_timeout(IDLE_POLL) {
            Ok(commit) => commit,
            Err(RecvTimeoutError::Timeout) => {
                // A store other servers share: what they changed reaches this server even
                // while it commits nothing, so that their clients' renewals find their leases.
                let by_others = store.poll_changes_by_others();
                let servers = sharing.changed(&mut *store);
                if by_others.is_empty() && servers.is_none() {
                    continue;
                }
                let report = Report {
                    result: None,
                    compaction: None,
                    by_others,
                    servers,
                };
                if reports.send(report).is_err() {
                    return;
                }
                let _ = wake.write(&[1]);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let started = std::time::Instant::now();
        let result = commit_batch(&mut *store, &commit.changes);
        if let (Some(measures), Ok(_)) = (&sender.measures, &result) {
            measures.0.commit(commit.changes.len(), started.elapsed());
        }
        // The replies leave the instant their leases are durable, from here: the serving loop
        // need not wake for them.
        if let Ok(committed) = &result {
            for reply in commit.released(committed) {
                sender.send(&mut outbox, reply);
            }
            sender.flush(&mut outbox);
        }
        let compaction = store.take_compaction_error();
        let by_others = store.poll_changes_by_others();
        let report = Report {
            result: Some(result),
            compaction,
            by_others,
            servers: sharing.changed(&mut *store),
        };
        if reports.send(report).is_err() {
            return;
        }
        // The serving loop polls the other end; a full socket already wakes it.
        let _ = wake.write(&[1]);
    }
}

/// How often the thread asks who shares the store.
const SERVERS_EVERY: Duration = Duration::from_secs(5);

/// The servers sharing the store, as last reported, and when they were last asked for.
#[derive(Debug, Default)]
struct Sharing {
    known: Vec<String>,
    asked: Option<std::time::Instant>,
}

impl Sharing {
    /// The servers sharing `store`, if it is time to ask and they changed since the last report.
    fn changed(&mut self, store: &mut dyn LeaseStore) -> Option<Vec<String>> {
        let now = std::time::Instant::now();
        if self
            .asked
            .is_some_and(|at| now.duration_since(at) < SERVERS_EVERY)
        {
            return None;
        }
        self.asked = Some(now);
        let servers = store.servers()?;
        (servers != self.known).then(|| {
            self.known.clone_from(&servers);
            servers
        })
    }
}

impl CommitThread {
    /// Starts the thread over `store`, sending released replies through `sender`.
    pub(crate) fn start(
        store: Box<dyn LeaseStore + Send>,
        sender: Arc<Sender>,
    ) -> Result<Self, String> {
        let (wake, notify) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
        wake.set_nonblocking(true)
            .map_err(|e| format!("socketpair: {e}"))?;
        notify
            .set_nonblocking(true)
            .map_err(|e| format!("socketpair: {e}"))?;
        let (jobs, job_rx) = mpsc::channel();
        let (report_tx, reports) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("commit".into())
            .spawn(move || run(store, &job_rx, &report_tx, notify, &sender))
            .map_err(|e| format!("commit thread: {e}"))?;
        Ok(Self {
            jobs: Some(jobs),
            reports,
            wake,
            thread: Some(thread),
        })
    }

    /// Hands a commit to the thread.
    pub(crate) fn submit(&self, commit: Commit) -> Result<(), StoreError> {
        self.jobs
            .as_ref()
            .and_then(|jobs| jobs.send(commit).ok())
            .ok_or(StoreError::Stopped)
    }

    /// What to poll for the thread's reports.
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }

    /// The next report, if one is ready (without blocking).
    pub(crate) fn try_report(&mut self) -> Option<Report> {
        let mut bytes = [0u8; 64];
        while matches!((&self.wake).read(&mut bytes), Ok(n) if n > 0) {}
        match self.reports.try_recv() {
            Ok(report) => Some(report),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Report::stopped()),
        }
    }

    /// Waits for the report of the batch in flight (at shutdown).
    pub(crate) fn wait_report(&mut self) -> Report {
        self.reports.recv().unwrap_or_else(|_| Report::stopped())
    }
}

impl Drop for CommitThread {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
