//! The commit thread: the lease store lives on a thread of its own, so that a slow disk delays
//! only the ACKs that wait for it. The serving loop hands it one batch at a time (the engine
//! never has two commits in flight) and polls a socket the thread writes a byte to when a
//! batch is done, beside the DHCP socket.
//!
//! Why a thread and not io_uring: one fdatasync per batch is the whole job, it is blocking by
//! nature (io_uring would run it on a kernel worker thread anyway), and a thread needs no
//! kernel feature that containers often turn off. What matters is that the serving loop never
//! waits for it.

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use charrua_server::LeaseChange;
use charrua_store::{commit_batch, Committed, LeaseStore, StoreError};

/// How a batch ended, and any error of a compaction that ran beside it.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) result: Result<Committed, StoreError>,
    pub(crate) compaction: Option<StoreError>,
}

/// The thread, the way to it and the way back.
#[derive(Debug)]
pub(crate) struct CommitThread {
    jobs: Option<Sender<Vec<LeaseChange>>>,
    reports: Receiver<Report>,
    wake: UnixStream,
    thread: Option<JoinHandle<()>>,
}

fn run(
    mut store: Box<dyn LeaseStore + Send>,
    jobs: &Receiver<Vec<LeaseChange>>,
    reports: &Sender<Report>,
    mut wake: UnixStream,
) {
    while let Ok(changes) = jobs.recv() {
        let result = commit_batch(&mut *store, &changes);
        let compaction = store.take_compaction_error();
        if reports.send(Report { result, compaction }).is_err() {
            return;
        }
        // The serving loop polls the other end; a full socket already wakes it.
        let _ = wake.write(&[1]);
    }
}

impl CommitThread {
    /// Starts the thread over `store`.
    pub(crate) fn start(store: Box<dyn LeaseStore + Send>) -> Result<Self, String> {
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
            .spawn(move || run(store, &job_rx, &report_tx, notify))
            .map_err(|e| format!("commit thread: {e}"))?;
        Ok(Self {
            jobs: Some(jobs),
            reports,
            wake,
            thread: Some(thread),
        })
    }

    /// Hands a batch to the thread.
    pub(crate) fn submit(&self, changes: Vec<LeaseChange>) -> Result<(), StoreError> {
        self.jobs
            .as_ref()
            .and_then(|jobs| jobs.send(changes).ok())
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
            Err(mpsc::TryRecvError::Disconnected) => Some(Report {
                result: Err(StoreError::Stopped),
                compaction: None,
            }),
        }
    }

    /// Waits for the report of the batch in flight (at shutdown).
    pub(crate) fn wait_report(&mut self) -> Report {
        self.reports.recv().unwrap_or(Report {
            result: Err(StoreError::Stopped),
            compaction: None,
        })
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
