//! The control API (Kea's command format, on a Unix socket and on HTTP) and the Prometheus
//! metrics, served on a thread of their own with a small tokio runtime, so that a slow or
//! hostile client never touches the serving loop. What needs the server's state goes to the
//! serving loop as a [`Call`] through a channel (and a byte on a socket it polls); the loop
//! answers between two rounds of DHCP traffic, and a change to leases only once it is durable.

mod dispatch;
mod http;
mod leases;
mod listen;
mod message;
mod reservations;
mod reserve;
mod unix;

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::error;

pub(crate) use dispatch::{Dispatch, Handled, Pending};
pub(crate) use listen::{bind, Listeners};
pub(crate) use message::{Request, Response};
pub(crate) use reservations::Reservations;
pub(crate) use reserve::open_reservations;

use crate::metrics::{Measures, Scrape};

/// What the API thread asks the serving loop.
#[derive(Debug)]
pub(crate) enum Ask {
    /// A command to carry out.
    Command(Request),
    /// The statistics for a scrape of `/metrics`.
    Scrape,
    /// Serve these reservations (host declarations) from now on, if each address is in its
    /// subnet (a subnet ID, when given) of the configuration.
    Hosts {
        declarations: String,
        addresses: Vec<(std::net::Ipv4Addr, Option<u64>)>,
    },
}

/// What the serving loop answers.
#[derive(Debug)]
pub(crate) enum Answer {
    Response(Response),
    Scrape(Box<Scrape>),
}

/// One question to the serving loop and where its answer goes.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) ask: Ask,
    pub(crate) reply: oneshot::Sender<Answer>,
}

/// How long a caller waits for the serving loop (which answers within a loop round, or, for a
/// lease change, once its commit ends: a stalled disk is the long case).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The API thread's way to the serving loop.
#[derive(Debug)]
struct Gate {
    calls: mpsc::Sender<Call>,
    wake: UnixStream,
    measures: Measures,
    /// The reservations made at run time, where a file keeps them.
    reservations: Option<tokio::sync::Mutex<Reservations>>,
    /// The configuration file served.
    config_path: std::path::PathBuf,
}

impl Gate {
    /// Asks the serving loop and waits for its answer; a Kea-style error when it does not
    /// answer in time.
    async fn ask(&self, ask: Ask) -> Result<Answer, Response> {
        let (reply, answer) = oneshot::channel();
        self.calls
            .send(Call { ask, reply })
            .map_err(|_| Response::error("the server is shutting down"))?;
        // Non-blocking: a full socket already wakes the loop.
        let _ = (&self.wake).write(&[1]);
        match tokio::time::timeout(ANSWER_TIMEOUT, answer).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(Response::error("the server is shutting down")),
            Err(_) => Err(Response::error(format!(
                "the server did not answer within {} s (its lease store may be stalled)",
                ANSWER_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Carries out a request: the commands that need no server state here, the others in
    /// the serving loop.
    async fn command(&self, request: Request) -> Response {
        if let Some(response) = dispatch::stateless(&request) {
            return response;
        }
        if request.command == "lease4-get-all" {
            return self.all_leases(request).await;
        }
        if request.command.starts_with("reservation-") {
            return self.reservation(&request).await;
        }
        if request.command == "config-test" {
            // Reading and checking a file: on tokio's blocking pool, not in the serving loop.
            let path = self.config_path.clone();
            return tokio::task::spawn_blocking(move || {
                dispatch::config_test(&path, &request.arguments)
            })
            .await
            .unwrap_or_else(|e| Response::error(format!("config-test: {e}")));
        }
        self.ask_command(request).await
    }

    async fn ask_command(&self, request: Request) -> Response {
        match self.ask(Ask::Command(request)).await {
            Ok(Answer::Response(r)) => r,
            Ok(Answer::Scrape(_)) => Response::error("internal: unexpected answer"),
            Err(r) => r,
        }
    }

    /// `lease4-get-all`, asked of the serving loop one page at a time, so that listing a
    /// large database never holds it up for long.
    async fn all_leases(&self, mut request: Request) -> Response {
        let mut leases = Vec::new();
        loop {
            let response = self.ask_command(request.clone()).await;
            let page = match response.arguments.as_ref().and_then(|a| a.get("leases")) {
                Some(serde_json::Value::Array(page)) => page.clone(),
                _ if response.code == message::Code::Empty => Vec::new(),
                _ => return response,
            };
            let last = page.last().and_then(|l| l.get("ip-address")).cloned();
            let more = page.len() >= dispatch::MAX_PAGE;
            leases.extend(page);
            match last.filter(|_| more) {
                Some(from) => {
                    request.command = "lease4-get-page".into();
                    request.arguments.insert("from".into(), from);
                    request
                        .arguments
                        .insert("limit".into(), dispatch::MAX_PAGE.into());
                }
                None => break,
            }
        }
        let text = format!("{} IPv4 lease(s) found.", leases.len());
        let code = if leases.is_empty() {
            message::Code::Empty
        } else {
            message::Code::Success
        };
        Response::new(code, text).with(serde_json::json!({ "leases": leases }))
    }
}

/// The serving loop's end: the calls, and the socket that wakes it.
#[derive(Debug)]
pub(crate) struct Control {
    calls: mpsc::Receiver<Call>,
    wake: UnixStream,
}

impl Control {
    /// Serves `listeners` on a thread of its own.
    pub(crate) fn start(
        listeners: Listeners,
        measures: Measures,
        reservations: Option<Reservations>,
        config_path: &std::path::Path,
    ) -> Result<Self, String> {
        let (wake, notify) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
        for s in [&wake, &notify] {
            s.set_nonblocking(true)
                .map_err(|e| format!("socketpair: {e}"))?;
        }
        let (calls_tx, calls) = mpsc::channel();
        let gate = Arc::new(Gate {
            calls: calls_tx,
            wake: notify,
            measures,
            reservations: reservations.map(tokio::sync::Mutex::new),
            config_path: config_path.to_path_buf(),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| format!("control API runtime: {e}"))?;
        std::thread::Builder::new()
            .name("control".into())
            .spawn(move || runtime.block_on(serve(listeners, gate)))
            .map_err(|e| format!("control API thread: {e}"))?;
        Ok(Self { calls, wake })
    }

    /// What to poll for calls.
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }

    /// The next call, if one waits (without blocking). The wake-up bytes are read only once
    /// no call is left, so calls left for the next round still wake the loop.
    pub(crate) fn try_call(&mut self) -> Option<Call> {
        use std::io::Read;
        if let Ok(call) = self.calls.try_recv() {
            return Some(call);
        }
        let mut bytes = [0u8; 64];
        while matches!((&self.wake).read(&mut bytes), Ok(n) if n > 0) {}
        self.calls.try_recv().ok()
    }
}

/// Serves every listener until the process ends.
async fn serve(listeners: Listeners, gate: Arc<Gate>) {
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(listener) = listeners.unix {
        tasks.spawn(unix::serve(listener, Arc::clone(&gate)));
    }
    if let Some((listener, credentials)) = listeners.http {
        let role = http::Role::Control(Arc::new(credentials));
        tasks.spawn(http::serve(listener, role, Arc::clone(&gate)));
    }
    if let Some(listener) = listeners.metrics {
        tasks.spawn(http::serve(
            listener,
            http::Role::Metrics,
            Arc::clone(&gate),
        ));
    }
    while let Some(ended) = tasks.join_next().await {
        if let Err(e) = ended {
            error!("control API: a listener stopped: {e}");
        }
    }
}
