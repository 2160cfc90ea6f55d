//! The control API over HTTP, as Kea's control agent takes it (and kea-shell sends it,
//! src/bin/shell/kea_conn.py): the command POSTed as `application/json`, with basic
//! authentication (RFC 7617). A small HTTP/1.1 client over `TcpStream` (RFC 9112): one
//! request with `Content-Length` and `Connection: close`; the answer's body is read by its
//! `Content-Length`, as chunks, or to the end of the connection. The API is served on a
//! loopback address, so plain HTTP is all it needs.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use super::transport::Failure;

/// An `http://HOST[:PORT][/PATH]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// The host as written (an IPv6 address in brackets), for the `Host` header.
    authority: String,
    /// The host to connect to (an IPv6 address without brackets).
    host: String,
    /// The port (80 unless given).
    port: u16,
    /// The path, `/` unless given.
    path: String,
}

/// Why a URL is not one this client takes.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UrlError {
    /// Not `http://`.
    #[error("only http:// URLs are taken (the control API is served on a loopback address)")]
    Scheme,
    /// No host.
    #[error("no host")]
    NoHost,
    /// A port that is not 1-65535.
    #[error("bad port")]
    Port,
}

impl std::str::FromStr for Url {
    type Err = UrlError;

    fn from_str(text: &str) -> Result<Self, UrlError> {
        let rest = text
            .strip_prefix("http://")
            .or_else(|| text.strip_prefix("HTTP://"))
            .ok_or(UrlError::Scheme)?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, "/"),
        };
        // An IPv6 address is written in brackets (RFC 3986 section 3.2.2).
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or(UrlError::NoHost)?;
                (host, after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        let port = match port {
            Some(port) => port.parse().ok().filter(|p| *p > 0).ok_or(UrlError::Port)?,
            None => 80,
        };
        Ok(Self {
            authority: authority.to_string(),
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.authority, self.path)
    }
}

/// POSTs `body` to `url` and returns the body of a 2xx answer.
pub(crate) fn post(url: &Url, credentials: Option<&str>, body: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut stream = TcpStream::connect((url.host.as_str(), url.port)).map_err(Failure::Connect)?;
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: charrua-ctl/{}\r\n\
         Accept: application/json\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        url.path,
        url.authority,
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    if let Some(credentials) = credentials {
        request.push_str(&format!("Authorization: Basic {credentials}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).map_err(Failure::Io)?;
    read_response(&mut stream)
}

/// The end of the header section (RFC 9112 section 2.1).
const HEADER_END: &[u8] = b"\r\n\r\n";

/// Reads an HTTP/1.x response and returns its body if the status is 2xx.
fn read_response(stream: &mut impl Read) -> Result<Vec<u8>, Failure> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 16 << 10];
    let header_len = loop {
        if let Some(at) = data.windows(HEADER_END.len()).position(|w| w == HEADER_END) {
            break at + HEADER_END.len();
        }
        match read_some(stream, &mut chunk)? {
            [] if data.is_empty() => return Err(Failure::Closed),
            [] => return Err(Failure::Http("the connection closed within the headers")),
            read => data.extend_from_slice(read),
        }
    };
    let head = String::from_utf8_lossy(data.get(..header_len).unwrap_or_default()).into_owned();
    let mut body = data.split_off(header_len);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let (version, status) = status_line.split_once(' ').unwrap_or((status_line, ""));
    let code = status.get(..3).and_then(|c| c.parse::<u16>().ok());
    let Some(code) = code.filter(|_| version.starts_with("HTTP/1.")) else {
        return Err(Failure::Http("no HTTP/1.x status line"));
    };
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| Failure::Http("bad Content-Length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    // RFC 9112 section 6.3: chunked wins over a length; without either, the body ends
    // with the connection.
    match (chunked, length) {
        (false, Some(length)) => {
            while body.len() < length {
                match read_some(stream, &mut chunk)? {
                    [] => return Err(Failure::Http("the connection closed within the body")),
                    read => body.extend_from_slice(read),
                }
            }
            body.truncate(length);
        }
        _ => loop {
            match read_some(stream, &mut chunk)? {
                [] => break,
                read => body.extend_from_slice(read),
            }
        },
    }
    if chunked {
        body = dechunk(&body).ok_or(Failure::Http("bad chunked body"))?;
    }
    if (200..300).contains(&code) {
        Ok(body)
    } else {
        let text = String::from_utf8_lossy(&body);
        let text: String = text.trim().chars().take(300).collect();
        Err(Failure::Status {
            status: status.trim().to_string(),
            body: text,
        })
    }
}

/// Reads what is there (nothing at the end of the stream).
fn read_some<'a>(stream: &mut impl Read, chunk: &'a mut [u8]) -> Result<&'a [u8], Failure> {
    loop {
        match stream.read(chunk) {
            Ok(n) => return Ok(chunk.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::Io(e)),
        }
    }
}

/// The data of a chunked body (RFC 9112 section 7.1): hex sizes, each chunk followed by
/// CRLF, up to the chunk of size 0; extensions and trailers are skipped.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(body.get(..eol)?).ok()?;
        let size = line.split(';').next()?.trim();
        let size = usize::from_str_radix(size, 16).ok()?;
        body = body.get(eol + 2..)?;
        if size == 0 {
            return Some(data);
        }
        data.extend_from_slice(body.get(..size)?);
        body = body.get(size..)?.strip_prefix(b"\r\n")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_http_urls() {
        let url: Url = "http://127.0.0.1:8004/".parse().unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("127.0.0.1", 8004, "/")
        );
        let url: Url = "http://[::1]:8004".parse().unwrap();
        assert_eq!(
            (url.host.as_str(), url.authority.as_str(), url.path.as_str()),
            ("::1", "[::1]:8004", "/")
        );
        let url: Url = "http://localhost/api/v1".parse().unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("localhost", 80, "/api/v1")
        );
        assert_eq!(url.to_string(), "http://localhost/api/v1");
        assert_eq!("https://127.0.0.1/".parse::<Url>(), Err(UrlError::Scheme));
        assert_eq!("127.0.0.1:8004".parse::<Url>(), Err(UrlError::Scheme));
        assert_eq!("http://:8004/".parse::<Url>(), Err(UrlError::NoHost));
        assert_eq!("http://127.0.0.1:0/".parse::<Url>(), Err(UrlError::Port));
        assert_eq!("http://127.0.0.1:http/".parse::<Url>(), Err(UrlError::Port));
    }

    #[test]
    fn reads_bodies_by_length_by_chunks_and_to_the_end() {
        let read = |bytes: &[u8]| read_response(&mut &bytes[..]);
        assert_eq!(
            read(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbodyextra").unwrap(),
            b"body"
        );
        assert_eq!(
            read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nbo\r\n2\r\ndy\r\n0\r\n\r\n")
                .unwrap(),
            b"body"
        );
        assert_eq!(read(b"HTTP/1.0 200 OK\r\n\r\nbody").unwrap(), b"body");
        assert!(matches!(
            read(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno"),
            Err(Failure::Status { status, body }) if status == "401 Unauthorized" && body == "no"
        ));
        assert!(matches!(read(b""), Err(Failure::Closed)));
        assert!(matches!(
            read(b"HTTP/1.1 200 OK\r\n"),
            Err(Failure::Http(_))
        ));
        assert!(matches!(read(b"SSH-2.0\r\n\r\n"), Err(Failure::Http(_))));
        assert!(matches!(
            read(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nbody"),
            Err(Failure::Http(_))
        ));
        assert!(matches!(
            read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            Err(Failure::Http(_))
        ));
    }
}
