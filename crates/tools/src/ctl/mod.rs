//! `charrua ctl`: the command-line client of charruad's control API, which speaks Kea's
//! command format (Kea ARM, "Management API"): the request is one JSON object
//! `{"command": "lease4-get", "arguments": {...}}`, the answer one object
//! `{"result": N, "text": "...", "arguments": {...}}` (0 success, 1 error, 2 unsupported
//! command, 3 empty, 4 conflict), or over HTTP a list of them, as Kea's control agent
//! answers.
//!
//! The answer is printed as indented JSON; the exit status is 0 for result 0, 3 for result 3
//! (nothing found), 1 for any other result and 2 when no answer could be had (no server, a
//! timeout, an answer that is not a response) or the command line is wrong.

mod args;
mod http;
mod response;
mod transport;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value};

use response::Outcome;
use transport::{Failure, Target};

/// charruad's control socket where its systemd unit's runtime directory puts it.
const DEFAULT_SOCKET: &str = "/run/charruad/control.sock";

/// Where the password of `--user` is read from when no `--password-file` is given.
const PASSWORD_ENV: &str = "CHARRUA_CTL_PASSWORD";

/// Exit status when no answer could be had or the command line is wrong.
const EXIT_NO_ANSWER: u8 = 2;

/// `charrua ctl` options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The command: lease4-get, lease4-del, list-commands, config-reload, ...
    #[arg(value_name = "COMMAND")]
    command: String,
    /// Arguments of the command: each VALUE is JSON where it parses as JSON (10, true,
    /// "quoted", [1,2], {"a":1}) and a string otherwise (198.18.0.10); a dotted KEY
    /// (a.b=1) builds nested objects.
    #[arg(value_name = "KEY=VALUE", conflicts_with = "json")]
    arguments: Vec<String>,
    /// The whole arguments object as JSON, instead of KEY=VALUE words.
    #[arg(long, value_name = "JSON")]
    json: Option<String>,
    /// charruad's control socket (its --control-socket).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_SOCKET)]
    socket: PathBuf,
    /// Send the command over HTTP instead (charruad's --control-http, or Kea's control
    /// agent), e.g. http://127.0.0.1:8004/.
    #[arg(long, value_name = "URL", conflicts_with = "socket")]
    http: Option<http::Url>,
    /// The user of HTTP basic authentication; the password comes from --password-file or
    /// the environment variable CHARRUA_CTL_PASSWORD.
    #[arg(long, value_name = "NAME", requires = "http")]
    user: Option<String>,
    /// A file holding the password of --user (one trailing newline is not part of it).
    #[arg(long, value_name = "FILE", requires = "user")]
    password_file: Option<PathBuf>,
    /// Adds "service": [NAME] to the request, as scripts written for Kea's control agent
    /// send (--service dhcp4); may be given more than once.
    #[arg(long, value_name = "NAME")]
    service: Vec<String>,
    /// Seconds to wait for the whole answer.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    timeout: Duration,
}

/// Why `charrua ctl` got no answer, or could not ask.
#[derive(Debug, thiserror::Error)]
enum Error {
    /// KEY=VALUE words that make no arguments object.
    #[error(transparent)]
    Arguments(#[from] args::ArgError),
    /// `--json` that is not JSON.
    #[error("--json: {0}")]
    Json(serde_json::Error),
    /// `--json` that is JSON but not an object.
    #[error("--json: the arguments must be a JSON object")]
    JsonNotObject,
    /// `--user` without a password.
    #[error("--user needs --password-file FILE or {PASSWORD_ENV} in the environment")]
    NoPassword,
    /// A user name with a colon, which basic authentication cannot carry (RFC 7617 section 2).
    #[error("--user: a user name cannot contain ':' (RFC 7617)")]
    UserColon,
    /// The password file could not be read.
    #[error("can't read {}: {source}", path.display())]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The exchange with the server failed.
    #[error("{target}: {failure}")]
    Exchange {
        /// The socket or URL.
        target: String,
        /// What went wrong.
        failure: Failure,
    },
}

/// `--timeout`: positive seconds, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?} is not a number of seconds (0 < SECS <= 86400)"))
}

/// Runs `charrua ctl`: prints the answer to `out` and returns the exit status.
pub(crate) fn run(args: &Args, out: &mut impl Write) -> ExitCode {
    match ask(args) {
        Ok((answer, outcome)) => {
            let printed = serde_json::to_writer_pretty(&mut *out, &answer)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush());
            if let Err(e) = printed {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!("charrua ctl: {e}");
                    return ExitCode::from(EXIT_NO_ANSWER);
                }
            }
            ExitCode::from(match outcome {
                Outcome::Success => 0,
                Outcome::Failed => 1,
                Outcome::Empty => 3,
            })
        }
        Err(e) => {
            eprintln!("charrua ctl: {e}");
            ExitCode::from(EXIT_NO_ANSWER)
        }
    }
}

/// Sends the command and reads the answer.
fn ask(args: &Args) -> Result<(Value, Outcome), Error> {
    let target = match &args.http {
        Some(url) => Target::Http {
            url: url.clone(),
            credentials: credentials(args)?,
        },
        None => Target::Unix(args.socket.clone()),
    };
    let request = serde_json::to_vec(&request(args)?).map_err(Error::Json)?;
    let failed = |failure| Error::Exchange {
        target: target.to_string(),
        failure,
    };
    let answer = transport::exchange(&target, request, args.timeout).map_err(failed)?;
    response::parse(&answer).map_err(|e| failed(Failure::Malformed(e)))
}

/// The request object: `command`, then `service` and `arguments` where given (the order
/// kea-shell writes them in).
fn request(args: &Args) -> Result<Value, Error> {
    let arguments = match &args.json {
        Some(text) => match serde_json::from_str(text).map_err(Error::Json)? {
            Value::Object(object) => Some(object),
            _ => return Err(Error::JsonNotObject),
        },
        None if args.arguments.is_empty() => None,
        None => Some(args::parse(&args.arguments)?),
    };
    let mut request = Map::new();
    request.insert("command".into(), Value::String(args.command.clone()));
    if !args.service.is_empty() {
        request.insert("service".into(), args.service.clone().into());
    }
    if let Some(arguments) = arguments {
        request.insert("arguments".into(), Value::Object(arguments));
    }
    Ok(Value::Object(request))
}

/// The `Authorization: Basic` credentials of `--user` (RFC 7617 section 2: base64 of
/// `user:password`), if given.
fn credentials(args: &Args) -> Result<Option<String>, Error> {
    let Some(user) = &args.user else {
        return Ok(None);
    };
    if user.contains(':') {
        return Err(Error::UserColon);
    }
    let password = match &args.password_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::PasswordFile {
                path: path.clone(),
                source,
            })?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            text.strip_suffix('\r').unwrap_or(text).to_string()
        }
        None => std::env::var(PASSWORD_ENV).map_err(|_| Error::NoPassword)?,
    };
    let pair = format!("{user}:{password}");
    Ok(Some(base64::engine::general_purpose::STANDARD.encode(pair)))
}
