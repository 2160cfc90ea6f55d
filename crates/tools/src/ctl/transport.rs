//! Carrying one request and its answer: charruad's Unix control socket or HTTP, as Kea's
//! daemons and control agent take them, within a deadline.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use super::http::{self, Url};
use super::response::{JsonEnd, Malformed};

/// Where a request goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A Unix stream socket (`--socket`).
    Unix(PathBuf),
    /// An HTTP URL (`--http`), with the basic credentials (base64 of `user:password`).
    Http {
        /// Where to POST.
        url: Url,
        /// `Authorization: Basic` credentials, if any.
        credentials: Option<String>,
    },
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "{}", path.display()),
            Self::Http { url, .. } => write!(f, "{url}"),
        }
    }
}

/// Why no answer came back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The server could not be reached.
    #[error("can't connect: {0}")]
    Connect(io::Error),
    /// Sending or receiving failed midway.
    #[error("{0}")]
    Io(io::Error),
    /// No complete answer within the timeout.
    #[error("no answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The server closed the connection without a word.
    #[error("the server closed the connection without answering")]
    Closed,
    /// The answer is not a control API response, or not HTTP.
    #[error("malformed response: {0}")]
    Malformed(#[from] Malformed),
    /// An HTTP answer other than 2xx (401: the user or password is wrong).
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status code and reason.
        status: String,
        /// The start of the body.
        body: String,
    },
    /// The HTTP answer is not HTTP/1.x.
    #[error("malformed HTTP response: {0}")]
    Http(&'static str),
}

/// Sends `request` to `target` and returns the answer's bytes, or fails within `timeout`
/// whatever the server does (connects that hang, answers that never end): the exchange runs
/// on a thread of its own and is abandoned at the deadline.
pub(crate) fn exchange(
    target: &Target,
    request: Vec<u8>,
    timeout: Duration,
) -> Result<Vec<u8>, Failure> {
    let (tx, rx) = mpsc::channel();
    let target = target.clone();
    std::thread::Builder::new()
        .name("ctl".into())
        .spawn(move || {
            let answer = match &target {
                Target::Unix(path) => unix(path, &request),
                Target::Http { url, credentials } => {
                    http::post(url, credentials.as_deref(), &request)
                }
            };
            let _ = tx.send(answer);
        })
        .map_err(Failure::Io)?;
    rx.recv_timeout(timeout)
        .unwrap_or(Err(Failure::Timeout(timeout)))
}

/// One exchange on a Unix stream socket: the request written, the write side shut down, the
/// answer read until it is a complete JSON value or the server closes. Kea's daemons answer
/// once they have read a whole command and then close (src/lib/config/command_mgr.cc); Kea's
/// own client (src/lib/config/client_connection.cc) reads until its `JSONFeed` has a whole
/// answer, and so does this one, so neither the shutdown nor the close is relied on.
fn unix(path: &std::path::Path, request: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut stream = UnixStream::connect(path).map_err(Failure::Connect)?;
    stream.write_all(request).map_err(Failure::Io)?;
    // A server that reads to the end of the request sees it; one that has closed already
    // makes this fail, which the read below reports better.
    let _ = stream.shutdown(Shutdown::Write);
    read_json(&mut stream)
}

/// Reads from `stream` until the first JSON value in it is complete, or to its end.
fn read_json(stream: &mut impl Read) -> Result<Vec<u8>, Failure> {
    let mut answer = Vec::new();
    let mut end = JsonEnd::default();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Io(e)),
        };
        let Some(read) = chunk.get(..n).filter(|r| !r.is_empty()) else {
            break;
        };
        answer.extend_from_slice(read);
        if let Some(len) = end.feed(read) {
            answer.truncate(len);
            return Ok(answer);
        }
    }
    if answer.iter().all(u8::is_ascii_whitespace) {
        Err(Failure::Closed)
    } else {
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_to_the_end_of_the_value_or_of_the_stream() {
        let read = |bytes: &[u8]| read_json(&mut &bytes[..]);
        assert_eq!(
            read(b"{\"result\": 0}\n{\"next\": 1}").unwrap(),
            b"{\"result\": 0}"
        );
        assert_eq!(read(b"{\"result\": 0").unwrap(), b"{\"result\": 0");
        assert!(matches!(read(b""), Err(Failure::Closed)));
        assert!(matches!(read(b" \n"), Err(Failure::Closed)));
    }
}
