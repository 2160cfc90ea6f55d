//! `charrua ctl` against fake control API servers run by the test: a Unix socket and an HTTP
//! listener on threads that check the request they receive and answer as Kea's daemons and
//! control agent answer.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// What `charrua ctl` did: its exit status, standard output and standard error.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    /// Standard output as JSON.
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {:?} (stderr {:?})", self.stdout, self.stderr))
    }
}

fn ctl(args: &[&str], env: &[(&str, &str)]) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_charrua"))
        .arg("ctl")
        .args(args)
        .env_remove("CHARRUA_CTL_PASSWORD")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Ran {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A Unix socket at a fresh path whose one connection `serve` handles on a thread.
fn unix_server<T: Send + 'static>(
    serve: impl FnOnce(UnixStream) -> T + Send + 'static,
) -> (tempfile::TempDir, PathBuf, JoinHandle<T>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("control.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let handle = std::thread::spawn(move || serve(listener.accept().unwrap().0));
    (dir, path, handle)
}

/// Reads a request to the end of the stream (the client shuts its side down).
fn request_to_end(stream: &mut UnixStream) -> Value {
    let mut request = Vec::new();
    stream.read_to_end(&mut request).unwrap();
    serde_json::from_slice(&request).unwrap()
}

/// Reads a request only until it is whole JSON, as Kea's daemons read.
fn request_until_whole(stream: &mut impl Read) -> Value {
    let mut request = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the request ended before it was whole JSON");
        request.extend_from_slice(&buf[..n]);
        if let Ok(value) = serde_json::from_slice(&request) {
            return value;
        }
    }
}

/// A Unix server that answers `answer` to whatever it is asked, then closes.
fn answering(answer: Value) -> (tempfile::TempDir, PathBuf, JoinHandle<Value>) {
    unix_server(move |mut stream| {
        let request = request_to_end(&mut stream);
        stream.write_all(answer.to_string().as_bytes()).unwrap();
        request
    })
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn arguments_are_json_where_they_parse_and_strings_otherwise() {
    let answer = json!({"result": 0, "text": "IPv4 lease found.", "arguments": {"ip-address": "198.18.0.10", "valid-lft": 3600}});
    let (_dir, socket, server) = answering(answer.clone());
    let ran = ctl(
        &[
            "lease4-get",
            "--socket",
            path(&socket),
            "ip-address=198.18.0.10",
            "limit=10",
            "force=true",
            "name=\"10\"",
            "ids=[1,2]",
            "filter={\"state\":0}",
            "hw-address=02:00:00:00:00:01",
            "a.b.c=1",
            "a.d=x",
        ],
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        server.join().unwrap(),
        json!({"command": "lease4-get", "arguments": {
            "ip-address": "198.18.0.10",
            "limit": 10,
            "force": true,
            "name": "10",
            "ids": [1, 2],
            "filter": {"state": 0},
            "hw-address": "02:00:00:00:00:01",
            "a": {"b": {"c": 1}, "d": "x"},
        }})
    );
    assert_eq!(ran.json(), answer);
    assert!(
        ran.stdout.contains("\n  \"text\": \"IPv4 lease found.\""),
        "pretty-printed:\n{}",
        ran.stdout
    );
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);
}

#[test]
fn a_command_without_arguments_has_none_and_json_gives_them_whole() {
    let (_dir, socket, server) = answering(json!({"result": 0, "arguments": ["lease4-get"]}));
    let ran = ctl(&["list-commands", "--socket", path(&socket)], &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(server.join().unwrap(), json!({"command": "list-commands"}));

    let (_dir, socket, server) = answering(json!({"result": 0}));
    let ran = ctl(
        &[
            "lease4-get-page",
            "--socket",
            path(&socket),
            "--json",
            r#"{"from": "start", "limit": 100}"#,
            "--service",
            "dhcp4",
        ],
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        server.join().unwrap(),
        json!({"command": "lease4-get-page", "service": ["dhcp4"], "arguments": {"from": "start", "limit": 100}})
    );
}

#[test]
fn a_server_that_keeps_the_connection_open_is_read_to_the_end_of_its_answer() {
    let (_dir, socket, server) = unix_server(|mut stream| {
        let request = request_until_whole(&mut stream);
        stream
            .write_all(
                br#"{"result": 0, "text": "a } in a string", "arguments": {"n": [1, {"x": "]"}]}}"#,
            )
            .unwrap();
        // Kea closes here; this server holds the connection well past the client's wait.
        std::thread::sleep(Duration::from_secs(5));
        request
    });
    let start = Instant::now();
    let ran = ctl(&["status-get", "--socket", path(&socket)], &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(ran.json()["arguments"]["n"][1]["x"], "]");
    assert_eq!(server.join().unwrap(), json!({"command": "status-get"}));
}

#[test]
fn results_give_the_exit_status() {
    for (result, code) in [(0, 0), (1, 1), (2, 1), (3, 3), (4, 1)] {
        let answer = json!({"result": result, "text": format!("result {result}")});
        let (_dir, socket, server) = answering(answer.clone());
        let ran = ctl(
            &[
                "lease4-get",
                "--socket",
                path(&socket),
                "ip-address=198.18.0.9",
            ],
            &[],
        );
        assert_eq!(ran.code, code, "result {result}: {}", ran.stderr);
        assert_eq!(ran.json(), answer, "result {result}");
        server.join().unwrap();
    }
}

#[test]
fn a_server_that_closes_without_answering_is_an_error() {
    let (_dir, socket, server) = unix_server(|mut stream| request_until_whole(&mut stream));
    let ran = ctl(
        &[
            "lease4-get",
            "--socket",
            path(&socket),
            "ip-address=198.18.0.9",
        ],
        &[],
    );
    assert_eq!(ran.code, 2);
    assert!(ran.stdout.is_empty());
    assert_eq!(
        ran.stderr,
        format!(
            "charrua ctl: {}: the server closed the connection without answering\n",
            socket.display()
        )
    );
    server.join().unwrap();
}

#[test]
fn malformed_answers_are_errors() {
    for (answer, why) in [
        (
            "<html>not JSON</html>",
            "malformed response: expected value",
        ),
        (
            r#"{"text": "no result"}"#,
            "malformed response: no integer \"result\"",
        ),
        ("[]", "malformed response: an empty list"),
        (r#"{"result": 0"#, "malformed response: EOF while parsing"),
    ] {
        let (_dir, socket, server) = unix_server(move |mut stream| {
            request_to_end(&mut stream);
            stream.write_all(answer.as_bytes()).unwrap();
        });
        let ran = ctl(&["status-get", "--socket", path(&socket)], &[]);
        assert_eq!(ran.code, 2, "{answer}");
        assert!(ran.stderr.contains(why), "{answer}: {}", ran.stderr);
        assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
        server.join().unwrap();
    }
}

#[test]
fn an_unreachable_server_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.sock");
    let ran = ctl(&["status-get", "--socket", path(&missing)], &[]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.starts_with(&format!(
            "charrua ctl: {}: can't connect: ",
            missing.display()
        )),
        "{}",
        ran.stderr
    );
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ran = ctl(
        &["status-get", "--http", &format!("http://127.0.0.1:{port}/")],
        &[],
    );
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("can't connect: "), "{}", ran.stderr);
}

#[test]
fn a_server_that_never_answers_times_out() {
    let (_dir, socket, server) = unix_server(|mut stream| {
        request_until_whole(&mut stream);
        std::thread::sleep(Duration::from_secs(4));
    });
    let start = Instant::now();
    let ran = ctl(
        &["status-get", "--socket", path(&socket), "--timeout", "0.5"],
        &[],
    );
    let took = start.elapsed();
    assert_eq!(ran.code, 2);
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(
        ran.stderr.ends_with(": no answer within 0.5 s\n"),
        "{}",
        ran.stderr
    );
    server.join().unwrap();
}

/// An HTTP listener whose one connection `serve` handles with the request's head and body.
fn http_server(answer: &'static [u8]) -> (String, JoinHandle<(String, Value)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let (head, body) = http_request(&mut stream);
        stream.write_all(answer).unwrap();
        (head, body)
    });
    (url, handle)
}

/// Reads an HTTP request: its head, and its body by `Content-Length`.
fn http_request(stream: &mut TcpStream) -> (String, Value) {
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    let head_len = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the request ended within its head");
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8(data[..head_len].to_vec()).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("Content-Length")
        .parse()
        .unwrap();
    while data.len() < head_len + length {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the request ended within its body");
        data.extend_from_slice(&buf[..n]);
    }
    (
        head,
        serde_json::from_slice(&data[head_len..head_len + length]).unwrap(),
    )
}

const KEA_AGENT_ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 69\r\n\r\n[ { \"result\": 3, \"text\": \"Lease for address 198.18.0.9 not found\" } ]";

#[test]
fn http_posts_json_with_basic_authentication_and_takes_kea_agents_list() {
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "s3cret\n").unwrap();
    let (url, server) = http_server(KEA_AGENT_ANSWER);
    let ran = ctl(
        &[
            "lease4-get",
            "--http",
            &url,
            "--user",
            "admin",
            "--password-file",
            path(&password),
            "--service",
            "dhcp4",
            "ip-address=198.18.0.9",
        ],
        &[],
    );
    assert_eq!(ran.code, 3, "result 3 in a list: {}", ran.stderr);
    assert_eq!(
        ran.json(),
        json!([{"result": 3, "text": "Lease for address 198.18.0.9 not found"}])
    );
    let (head, body) = server.join().unwrap();
    assert!(head.starts_with("POST / HTTP/1.1\r\n"), "{head}");
    for header in [
        "Content-Type: application/json",
        // base64 of "admin:s3cret" (RFC 7617): the file's newline is not the password's.
        "Authorization: Basic YWRtaW46czNjcmV0",
        &format!(
            "Host: {}",
            url.trim_start_matches("http://").trim_end_matches('/')
        ),
    ] {
        assert!(
            head.contains(&format!("\r\n{header}\r\n")),
            "{header}:\n{head}"
        );
    }
    assert_eq!(
        body,
        json!({"command": "lease4-get", "service": ["dhcp4"], "arguments": {"ip-address": "198.18.0.9"}})
    );

    // The password from the environment; an answer object rather than a list.
    let (url, server) = http_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 27\r\nConnection: close\r\n\r\n{\"result\": 0, \"text\": \"ok\"}",
    );
    let ran = ctl(
        &["config-reload", "--http", &url, "--user", "admin"],
        &[("CHARRUA_CTL_PASSWORD", "pass word")],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.json(), json!({"result": 0, "text": "ok"}));
    let (head, body) = server.join().unwrap();
    // base64 of "admin:pass word".
    assert!(
        head.contains("\r\nAuthorization: Basic YWRtaW46cGFzcyB3b3Jk\r\n"),
        "{head}"
    );
    assert_eq!(body, json!({"command": "config-reload"}));
}

#[test]
fn http_without_credentials_sends_no_authorization_and_reports_a_refusal() {
    let (url, server) = http_server(
        b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 45\r\n\r\n{ \"result\": 401, \"text\": \"Unauthorized\" }    ",
    );
    let ran = ctl(&["status-get", "--http", &url], &[]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .contains(": HTTP 401 Unauthorized: { \"result\": 401"),
        "{}",
        ran.stderr
    );
    let (head, _) = server.join().unwrap();
    assert!(!head.contains("Authorization"), "{head}");
}

#[test]
fn bad_command_lines_are_refused_before_connecting() {
    let nowhere = ["--socket", "/nonexistent/control.sock"];
    for (args, said) in [
        (vec!["lease4-get", "limit"], "\"limit\" is not KEY=VALUE"),
        (vec!["lease4-get", "a=1", "a=2"], "a is given twice"),
        (
            vec!["lease4-get", "--json", "[1]"],
            "--json: the arguments must be a JSON object",
        ),
        (
            vec!["lease4-get", "--json", "{"],
            "--json: EOF while parsing",
        ),
        (
            vec![
                "status-get",
                "--http",
                "http://127.0.0.1:1/",
                "--user",
                "admin",
            ],
            "--user needs --password-file FILE or CHARRUA_CTL_PASSWORD",
        ),
    ] {
        let over_http = args.contains(&"--http");
        let args = if over_http {
            args
        } else {
            [args.as_slice(), &nowhere[..]].concat()
        };
        let ran = ctl(&args, &[]);
        assert_eq!(ran.code, 2, "{args:?}");
        assert!(ran.stderr.contains(said), "{args:?}: {}", ran.stderr);
    }
    // clap refuses what does not go together (exit status 2 too).
    for args in [
        vec!["status-get", "--http", "https://127.0.0.1/"],
        vec!["status-get", "--timeout", "0"],
        vec!["lease4-get", "a=1", "--json", "{}"],
        vec!["status-get", "--user", "admin"],
        vec![
            "status-get",
            "--socket",
            "/x",
            "--http",
            "http://127.0.0.1:1/",
        ],
    ] {
        let ran = ctl(&args, &[]);
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        assert!(ran.stdout.is_empty());
    }
}
