//! The control API on a Unix stream socket, as Kea's daemons serve theirs
//! (src/lib/config/command_mgr.cc): the client writes one JSON command, the server answers one
//! JSON object and closes the connection.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tracing::{debug, warn};

use super::message::{self, Response, MAX_REQUEST};
use super::Gate;

/// How long a client may take to send its command.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until the process ends.
pub(super) async fn serve(listener: std::os::unix::net::UnixListener, gate: Arc<Gate>) {
    let listener = match tokio::net::UnixListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            warn!("control socket: {e}");
            return;
        }
    };
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, Arc::clone(&gate)));
            }
            Err(e) => {
                debug!("control socket: accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Reads until the bytes hold one whole JSON value, the peer stops writing, or the limit.
async fn read_command(stream: &mut UnixStream) -> Result<Vec<u8>, Response> {
    let mut body = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| Response::error(format!("reading the command: {e}")))?;
        if n == 0 {
            return Ok(body);
        }
        body.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if body.len() > MAX_REQUEST {
            return Err(Response::error(format!(
                "command larger than the {MAX_REQUEST} bytes taken"
            )));
        }
        if serde_json::from_slice::<serde_json::Value>(&body).is_ok() {
            return Ok(body);
        }
    }
}

async fn connection(mut stream: UnixStream, gate: Arc<Gate>) {
    let response = match tokio::time::timeout(READ_TIMEOUT, read_command(&mut stream)).await {
        Ok(Ok(body)) => match message::parse(&body) {
            Ok(request) => gate.command(request).await,
            Err(response) => response,
        },
        Ok(Err(response)) => response,
        Err(_) => Response::error("command not received in time"),
    };
    let _ = stream
        .write_all(response.to_json().to_string().as_bytes())
        .await;
    let _ = stream.shutdown().await;
}
