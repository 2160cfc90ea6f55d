//! Group commit: one thread takes the changes of many replies, writes them, makes them durable
//! with one sync, and only then reports each batch done (durability rules D1, D2).

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use charrua_server::LeaseChange;

use crate::{LeaseStore, StoreError};

/// Bounds on a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupOptions {
    /// Most commits in one sync.
    pub max_batch: usize,
    /// Longest a commit waits for others to join its sync.
    pub max_wait: Duration,
}

impl Default for GroupOptions {
    fn default() -> Self {
        Self {
            max_batch: 256,
            max_wait: Duration::from_millis(1),
        }
    }
}

/// Called once a commit is durable (`Ok`) or could not be made durable (`Err`: send nothing).
pub type Done = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

struct Job {
    changes: Vec<LeaseChange>,
    done: Done,
}

/// A store driven by a commit thread.
#[derive(Debug)]
pub struct GroupCommit {
    sender: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Job({} changes)", self.changes.len())
    }
}

// The commit thread measures how long a batch has waited: a clock read at the IO boundary.
fn now() -> Instant {
    Instant::now()
}

fn run<S: LeaseStore>(mut store: S, jobs: Receiver<Job>, options: GroupOptions) {
    while let Ok(first) = jobs.recv() {
        let deadline = now() + options.max_wait;
        let mut batch = vec![first];
        while batch.len() < options.max_batch {
            match jobs.recv_timeout(deadline.saturating_duration_since(now())) {
                Ok(job) => batch.push(job),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        let mut result = Ok(());
        for change in batch.iter().flat_map(|j| &j.changes) {
            if let Err(e) = store.append(change) {
                result = Err(e);
                break;
            }
        }
        let result = result.and_then(|()| store.commit().map(drop));
        for job in batch {
            (job.done)(result.clone());
        }
    }
}

impl GroupCommit {
    /// Starts the commit thread over `store`.
    pub fn start<S: LeaseStore + Send + 'static>(store: S, options: GroupOptions) -> Self {
        let (sender, receiver) = mpsc::sync_channel(options.max_batch.max(1) * 4);
        let thread = std::thread::spawn(move || run(store, receiver, options));
        Self {
            sender: Some(sender),
            thread: Some(thread),
        }
    }

    /// Queues `changes`; `done` is called from the commit thread once they are durable or failed.
    pub fn commit(&self, changes: Vec<LeaseChange>, done: Done) -> Result<(), StoreError> {
        let sender = self.sender.as_ref().ok_or(StoreError::Stopped)?;
        sender
            .send(Job { changes, done })
            .map_err(|_| StoreError::Stopped)
    }

    /// Commits and waits until durable.
    pub fn commit_and_wait(&self, changes: Vec<LeaseChange>) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::channel();
        self.commit(
            changes,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )?;
        rx.recv().map_err(|_| StoreError::Stopped)?
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
