//! HTTP: the control API as Kea's control agent serves it (a POST of the command to `/`, basic
//! authentication, a JSON list of one response back; Kea: src/lib/http, src/bin/agent), and
//! `/metrics` for Prometheus.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use super::listen::Credentials;
use super::message::{self, MAX_REQUEST};
use super::{Answer, Ask, Gate};
use crate::metrics;

/// What a listener serves.
#[derive(Debug, Clone)]
pub(super) enum Role {
    /// The control API, for these credentials.
    Control(Arc<Credentials>),
    /// `/metrics`, to anyone who can connect (as Stork's exporter and every Prometheus
    /// exporter: bind it where only the Prometheus server reaches).
    Metrics,
}

/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 64;

/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until the process ends.
pub(super) async fn serve(listener: std::net::TcpListener, role: Role, gate: Arc<Gate>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            warn!("control API: {e}");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                debug!("control API: accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (role, gate) = (role.clone(), Arc::clone(&gate));
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let (role, gate) = (role.clone(), Arc::clone(&gate));
                async move { Ok::<_, Infallible>(handle(request, &role, &gate).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                debug!("control API: connection: {e}");
            }
            drop(permit);
        });
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A Kea-style answer in an HTTP response: `[response]`, as the control agent sends.
fn json(status: StatusCode, response: &message::Response) -> Reply {
    let body = serde_json::Value::Array(vec![response.to_json()]).to_string();
    reply(status, "application/json", body)
}

/// Kea's answer to a request without valid credentials (src/lib/http/basic_auth_config.cc):
/// HTTP 401 with `{"result": 401, "text": "Unauthorized"}`.
fn unauthorized() -> Reply {
    let mut r = reply(
        StatusCode::UNAUTHORIZED,
        "application/json",
        r#"{ "result": 401, "text": "Unauthorized" }"#.into(),
    );
    r.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"charruad\""),
    );
    r
}

/// Whether `request` carries credentials `credentials` accepts.
fn authorized(request: &Request<Incoming>, credentials: &Credentials) -> bool {
    let Some(value) = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return false;
    };
    text.split_once(':')
        .is_some_and(|(user, password)| credentials.accept(user, password))
}

async fn handle(request: Request<Incoming>, role: &Role, gate: &Gate) -> Reply {
    match role {
        Role::Metrics => scrape(&request, gate).await,
        Role::Control(credentials) => {
            if !authorized(&request, credentials) {
                return unauthorized();
            }
            if request.method() != Method::POST {
                return json(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &message::Response::error("commands are POSTed"),
                );
            }
            let body = Limited::new(request.into_body(), MAX_REQUEST);
            let body = match tokio::time::timeout(READ_TIMEOUT, body.collect()).await {
                Ok(Ok(body)) => body.to_bytes(),
                Ok(Err(e)) => {
                    return json(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &message::Response::error(format!("request body: {e}")),
                    )
                }
                Err(_) => {
                    return json(
                        StatusCode::REQUEST_TIMEOUT,
                        &message::Response::error("request body not received in time"),
                    )
                }
            };
            let response = match message::parse(&body) {
                Ok(request) => gate.command(request).await,
                Err(response) => response,
            };
            json(StatusCode::OK, &response)
        }
    }
}

/// `GET /metrics`.
async fn scrape(request: &Request<Incoming>, gate: &Gate) -> Reply {
    if request.uri().path() != "/metrics" {
        return reply(StatusCode::NOT_FOUND, "text/plain", "see /metrics\n".into());
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET /metrics\n".into(),
        );
    }
    let scrape = match gate.ask(Ask::Scrape).await {
        Ok(Answer::Scrape(scrape)) => scrape,
        Ok(Answer::Response(r)) | Err(r) => {
            return reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", r.text)
        }
    };
    match metrics::render(*scrape, &gate.measures) {
        Ok(text) => reply(
            StatusCode::OK,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            text,
        ),
        Err(e) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            format!("encoding: {e}\n"),
        ),
    }
}
