//! Carrying out what `on commit|release|expiry` statements ask: `log` lines go to the log at
//! their level; `execute` programs run on a thread of their own, so the serving loop never
//! waits for one (dhcpd forks and waits for each, common/execute.c, stopping all service
//! meanwhile). Each runs directly, no shell, with its arguments as given, standard input and
//! output closed; at most [`Limits::running`] at once, each killed after [`Limits::time`];
//! past [`Limits::queued`] waiting, more are dropped with an error in the log.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use charrua_server::config::{Effect, LogPriority};
use tracing::{debug, error, info, warn};

/// How many programs run and wait, and for how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Programs running at once at most.
    pub(crate) running: usize,
    /// Programs waiting to run at most; beyond it, a program is not run (the log says so).
    pub(crate) queued: usize,
    /// How long a program may run before it is killed.
    pub(crate) time: Duration,
}

impl Limits {
    /// charruad's: 8 at once, 1024 waiting, a minute each.
    pub(crate) const DEFAULT: Self = Self {
        running: 8,
        queued: 1024,
        time: Duration::from_secs(60),
    };
}
/// How often running programs are checked.
const POLL: Duration = Duration::from_millis(20);

/// A program to run.
#[derive(Debug)]
struct Job {
    program: String,
    args: Vec<String>,
}

/// The thread that runs programs, and the way to it.
#[derive(Debug)]
pub(crate) struct Hooks {
    jobs: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
    limits: Limits,
    stopping: Arc<AtomicBool>,
}

impl Hooks {
    /// Starts the thread.
    pub(crate) fn start(limits: Limits) -> Result<Self, String> {
        let (jobs, queue) = mpsc::sync_channel(limits.queued);
        let stopping = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stopping);
        let thread = std::thread::Builder::new()
            .name("charruad-execute".into())
            .spawn(move || run(&queue, limits, &flag))
            .map_err(|e| format!("execute thread: {e}"))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
            limits,
            stopping,
        })
    }

    /// Carries out `effect`: a log line now, a program on the thread.
    pub(crate) fn carry_out(&self, effect: Effect) {
        match effect {
            Effect::Log(LogPriority::Fatal | LogPriority::Error, text) => error!("{text}"),
            Effect::Log(LogPriority::Info, text) => info!("{text}"),
            Effect::Log(LogPriority::Debug, text) => debug!("{text}"),
            // The serving loop hands DNS work to the updater (`crate::ddns`) before this.
            Effect::Dns(work) => debug!("DNS work for {} not handed to an updater", work.address),
            Effect::Execute { program, args } => {
                let Some(jobs) = &self.jobs else {
                    return;
                };
                match jobs.try_send(Job { program, args }) {
                    Ok(()) => {}
                    Err(TrySendError::Full(job)) => error!(
                        "execute: {} not run: {} programs already wait to run",
                        job.program, self.limits.queued
                    ),
                    Err(TrySendError::Disconnected(job)) => {
                        error!(
                            "execute: {} not run: the execute thread is gone",
                            job.program
                        )
                    }
                }
            }
        }
    }
}

impl Drop for Hooks {
    /// Starts the programs still waiting (see [`run`]).
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A program running, and when it started.
struct Running {
    program: String,
    child: Child,
    started: Instant,
}

/// The thread: keeps at most [`Limits::running`] programs running, taking the next job from
/// the queue (bounded: what does not fit is refused by [`Hooks::carry_out`]) when one ends, and
/// kills overdue ones. When the daemon stops (`stopping`), what waits is started and the thread
/// ends without waiting for the programs, which run on to their end as dhcpd's children do.
fn run(queue: &Receiver<Job>, limits: Limits, stopping: &AtomicBool) {
    let mut running: Vec<Running> = Vec::new();
    loop {
        if stopping.load(Ordering::Relaxed) {
            queue.try_iter().for_each(|job| drop(spawn(job)));
            return;
        }
        running.retain_mut(|r| still_running(r, limits.time));
        while running.len() < limits.running {
            match queue.try_recv() {
                Ok(job) => running.extend(spawn(job)),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        if running.is_empty() {
            match queue.recv() {
                Ok(job) => running.extend(spawn(job)),
                Err(_) => return,
            }
        } else {
            std::thread::sleep(POLL);
        }
    }
}

fn spawn(job: Job) -> Option<Running> {
    debug!("execute: {} {:?}", job.program, job.args);
    match Command::new(&job.program)
        .args(&job.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
    {
        Ok(child) => Some(Running {
            program: job.program,
            child,
            started: Instant::now(),
        }),
        // As common/execute.c: "Unable to execute %s: %m".
        Err(e) => {
            error!("Unable to execute {}: {e}", job.program);
            None
        }
    }
}

/// Whether `r` still runs; logs how it ended (common/execute.c logs a nonzero exit status),
/// and kills it past `limit`.
fn still_running(r: &mut Running, limit: Duration) -> bool {
    match r.child.try_wait() {
        Ok(Some(status)) => {
            if !status.success() {
                error!("execute: {} {status}", r.program);
            }
            false
        }
        Ok(None) if r.started.elapsed() > limit => {
            warn!(
                "execute: {} still running after {:?}: killed",
                r.program, limit
            );
            let _ = r.child.kill();
            let _ = r.child.wait();
            false
        }
        Ok(None) => true,
        Err(e) => {
            error!("execute: {}: {e}", r.program);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn execute(program: &str, args: &[&str]) -> Effect {
        Effect::Execute {
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn programs_run_without_a_shell_and_overdue_ones_are_killed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let limits = Limits {
            running: 2,
            queued: 4,
            time: Duration::from_millis(300),
        };
        let hooks = Hooks::start(limits).unwrap();
        let started = Instant::now();
        // Each argument is one word, however it looks: no shell reads it.
        hooks.carry_out(execute(
            "/bin/sh",
            &[
                "-c",
                "echo \"$1\" > \"$2\"",
                "sh",
                "a; rm -rf x",
                out.to_str().unwrap(),
            ],
        ));
        let pid_file = dir.path().join("pid");
        hooks.carry_out(execute(
            "/bin/sh",
            &[
                "-c",
                "echo $$ > \"$1\"; exec sleep 30",
                "sh",
                pid_file.to_str().unwrap(),
            ],
        ));
        hooks.carry_out(execute("/nonexistent/program", &[]));
        let written = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            std::fs::read_to_string(&out).is_ok_and(|t| t == "a; rm -rf x\n")
        });
        assert!(written);
        // The sleep is killed at its limit, and reaped.
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            std::fs::read_to_string(&pid_file)
                .is_ok_and(|pid| !Path::new(&format!("/proc/{}", pid.trim())).exists())
        });
        assert!(gone, "the overdue program still runs");
        assert!(started.elapsed() < Duration::from_secs(10));
        drop(hooks);
    }

    #[test]
    fn past_the_queue_programs_are_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            running: 1,
            queued: 1,
            time: Duration::from_secs(5),
        };
        let hooks = Hooks::start(limits).unwrap();
        for i in 0..20 {
            let file = dir.path().join(i.to_string());
            hooks.carry_out(execute("/usr/bin/touch", &[file.to_str().unwrap()]));
        }
        drop(hooks);
        std::thread::sleep(Duration::from_millis(300));
        let made = std::fs::read_dir(dir.path()).unwrap().count();
        assert!((1..20).contains(&made), "{made} of 20 run");
    }
}
