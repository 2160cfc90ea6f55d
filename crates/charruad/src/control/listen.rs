//! The control API's and the metrics' sockets, opened before charruad drops its privileges:
//! the Unix socket mode 0600 and owned by the user it drops to (as Kea's control socket, only
//! that user and root may talk to it), the HTTP listener on a loopback address with the
//! credentials it takes (basic authentication, as Kea's control agent's `authentication`).

use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;

use crate::args::Args;

/// The sockets to serve.
#[derive(Debug)]
pub(crate) struct Listeners {
    pub(crate) unix: Option<UnixListener>,
    pub(crate) http: Option<(TcpListener, Credentials)>,
    pub(crate) metrics: Option<TcpListener>,
}

/// The `user:password` pairs the HTTP control API accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials(Vec<(String, String)>);

impl Credentials {
    /// Reads `user:password` lines (blank lines and `#` comments skipped).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut pairs = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once(':') {
                Some((user, password)) if !user.is_empty() && !password.is_empty() => {
                    pairs.push((user.to_string(), password.to_string()));
                }
                _ => return Err(format!("line {}: not user:password", n + 1)),
            }
        }
        if pairs.is_empty() {
            return Err("no user:password line".into());
        }
        Ok(Self(pairs))
    }

    /// Whether `user` and `password` are among them.
    pub(crate) fn accept(&self, user: &str, password: &str) -> bool {
        self.0.iter().any(|(u, p)| u == user && p == password)
    }
}

/// Opens the sockets `args` asks for.
pub(crate) fn bind(args: &Args) -> Result<Listeners, String> {
    let unix = match &args.control_socket {
        Some(path) => Some(bind_unix(
            path,
            args.user.as_deref(),
            args.group.as_deref(),
        )?),
        None => None,
    };
    let http = match (&args.control_http, &args.control_auth) {
        (Some(address), Some(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("--control-auth {}: {e}", file.display()))?;
            let credentials = Credentials::parse(&text)
                .map_err(|e| format!("--control-auth {}: {e}", file.display()))?;
            Some((bind_tcp(*address, "--control-http")?, credentials))
        }
        _ => None,
    };
    let metrics = match args.metrics {
        Some(address) => Some(bind_tcp(address, "--metrics")?),
        None => None,
    };
    Ok(Listeners {
        unix,
        http,
        metrics,
    })
}

fn bind_tcp(address: SocketAddr, flag: &str) -> Result<TcpListener, String> {
    let listener = TcpListener::bind(address).map_err(|e| format!("{flag} {address}: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("{flag} {address}: {e}"))?;
    Ok(listener)
}

/// Binds the Unix socket at `path`. A socket left there by a server that is gone (nobody
/// answers on it) is replaced; anything else there is left alone and refused.
fn bind_unix(path: &Path, user: Option<&str>, group: Option<&str>) -> Result<UnixListener, String> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            if UnixStream::connect(path).is_ok() {
                return Err(format!(
                    "--control-socket {shown}: another server answers on it"
                ));
            }
            std::fs::remove_file(path).map_err(|e| format!("--control-socket {shown}: {e}"))?;
        }
        Ok(_) => {
            return Err(format!(
            "--control-socket {shown}: a file that is not a socket is there; it was left as it is"
        ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("--control-socket {shown}: {e}")),
    }
    let listener =
        UnixListener::bind(path).map_err(|e| format!("--control-socket {shown}: {e}"))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("--control-socket {shown}: {e}"))?;
    if user.is_some() || group.is_some() {
        use nix::unistd::{Group, User};
        let user = user.and_then(|u| User::from_name(u).ok().flatten());
        let gid = group
            .and_then(|g| Group::from_name(g).ok().flatten())
            .map(|g| g.gid)
            .or(user.as_ref().map(|u| u.gid));
        std::os::unix::fs::chown(path, user.map(|u| u.uid.as_raw()), gid.map(|g| g.as_raw()))
            .map_err(|e| format!("--control-socket {shown}: chown: {e}"))?;
    }
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("--control-socket {shown}: {e}"))?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_user_password_lines() {
        let c = Credentials::parse("# operators\nalice:s3cret\n\nbob:pa:ss\n").unwrap();
        assert!(c.accept("alice", "s3cret"));
        assert!(c.accept("bob", "pa:ss"));
        assert!(!c.accept("alice", "wrong"));
        assert!(!c.accept("", ""));
        assert!(Credentials::parse("").is_err());
        assert!(Credentials::parse("nocolon").is_err());
        assert!(Credentials::parse(":x").is_err());
    }

    #[test]
    fn a_file_in_the_way_is_left_alone_and_a_stale_socket_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("control");
        std::fs::write(&file, "precious").unwrap();
        assert!(bind_unix(&file, None, None).is_err());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
        let socket = dir.path().join("sock");
        drop(UnixListener::bind(&socket).unwrap());
        let live = bind_unix(&socket, None, None).expect("a stale socket is replaced");
        let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(bind_unix(&socket, None, None).is_err(), "a live one is not");
        drop(live);
    }
}
