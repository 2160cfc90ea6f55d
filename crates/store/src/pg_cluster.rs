//! Test support: a throwaway PostgreSQL cluster from Debian's packages, in a directory of its
//! own, listening only on a Unix socket there (reachable from every network namespace of the
//! machine, and from no network), with a streaming standby on request. Everything it starts is
//! stopped and removed when it is dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU16, Ordering};

/// Ports of the clusters of one test process (each a socket file name, never a TCP port).
static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// Why a cluster could not be made.
pub type Error = String;

/// A PostgreSQL server of a test, over a data directory it made.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    /// The directory holding the data directories, the socket and the logs.
    pub dir: PathBuf,
    /// The data directory of this server.
    data: PathBuf,
    /// Its port (the socket's name).
    pub port: u16,
    /// Whether it is running.
    running: bool,
    /// Whether the directory is this value's to remove (the primary's).
    owns_dir: bool,
}

/// The newest PostgreSQL server installed, or why none is.
fn bin_dir() -> Result<PathBuf, Error> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("/usr/lib/postgresql: {e} (install Debian's postgresql)"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("postgres").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| "no PostgreSQL server in /usr/lib/postgresql".into())
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// Runs `program` with `args` as the user PostgreSQL runs as (it refuses root).
fn run(program: &Path, args: &[&str]) -> Result<Output, Error> {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let output = command
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{} {}: {}{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

impl Cluster {
    /// Makes and starts a primary, with a database `charrua`.
    pub fn start() -> Result<Self, Error> {
        let bin = bin_dir()?;
        let unique = NEXT_PORT.fetch_add(2, Ordering::Relaxed);
        let port = 15400 + (std::process::id() % 1000) as u16 * 8 % 4000 + unique;
        let dir = std::env::temp_dir().join(format!("charrua-pg-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if is_root() {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err("chown postgres failed".into());
            }
        }
        let data = dir.join("primary");
        let path = |p: &Path| p.display().to_string();
        run(
            &bin.join("initdb"),
            &[
                "-D",
                &path(&data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        )?;
        let settings = format!(
            "listen_addresses = ''\nunix_socket_directories = '{}'\nport = {port}\n\
             wal_level = replica\nmax_wal_senders = 4\nfsync = on\n",
            path(&dir)
        );
        append(&data.join("postgresql.conf"), &settings)?;
        append(&data.join("pg_hba.conf"), "local replication all trust\n")?;
        let mut cluster = Self {
            bin,
            dir,
            data,
            port,
            running: false,
            owns_dir: true,
        };
        cluster.start_server()?;
        run(
            &cluster.bin.join("createdb"),
            &[
                "-h",
                &path(&cluster.dir),
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "charrua",
            ],
        )?;
        Ok(cluster)
    }

    /// [`Cluster::start`] for a test: `None`, after saying why, where this machine has no
    /// PostgreSQL server to start; under CI (which installs one) that fails the test instead.
    pub fn for_test() -> Option<Self> {
        match Self::start() {
            Ok(cluster) => Some(cluster),
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must install postgresql: {e}"
                );
                eprintln!("SKIP: no PostgreSQL server: {e}");
                None
            }
        }
    }

    /// A streaming standby of this primary, started; with `synchronous`, the primary waits for
    /// it at every commit (no acknowledged lease is lost when it is promoted).
    pub fn standby(&self, synchronous: bool) -> Result<Self, Error> {
        let port = self.port + 1;
        let data = self.dir.join("standby");
        let path = |p: &Path| p.display().to_string();
        run(
            &self.bin.join("pg_basebackup"),
            &[
                "-h",
                &path(&self.dir),
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-D",
                &path(&data),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ],
        )?;
        append(
            &data.join("postgresql.conf"),
            &format!("port = {port}\ncluster_name = 'standby'\n"),
        )?;
        // The standby's connection names it, for synchronous_standby_names (the last setting
        // of the file wins over the one pg_basebackup wrote).
        let conninfo = format!(
            "primary_conninfo = 'host={} port={} user=postgres application_name=standby'\n",
            path(&self.dir),
            self.port
        );
        append(&data.join("postgresql.auto.conf"), &conninfo)?;
        let mut standby = Self {
            bin: self.bin.clone(),
            dir: self.dir.clone(),
            data,
            port,
            running: false,
            owns_dir: false,
        };
        standby.start_server()?;
        if synchronous {
            self.sql("ALTER SYSTEM SET synchronous_standby_names = 'standby'")?;
            self.sql("SELECT pg_reload_conf()")?;
        }
        Ok(standby)
    }

    fn start_server(&mut self) -> Result<(), Error> {
        let log = self.dir.join(format!("log-{}", self.port));
        run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data.display().to_string(),
                "-l",
                &log.display().to_string(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        self.running = true;
        Ok(())
    }

    /// Stops the server: `fast` lets it finish cleanly, `immediate` is a crash.
    pub fn stop(&mut self, mode: &str) -> Result<(), Error> {
        run(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data.display().to_string(),
                "-m",
                mode,
                "-w",
                "stop",
            ],
        )?;
        self.running = false;
        Ok(())
    }

    /// Starts the server again after [`Cluster::stop`].
    pub fn restart(&mut self) -> Result<(), Error> {
        self.start_server()
    }

    /// Promotes a standby to primary.
    pub fn promote(&self) -> Result<(), Error> {
        run(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data.display().to_string(), "-w", "promote"],
        )
        .map(drop)
    }

    /// The connection string of the database `charrua` on this server.
    pub fn url(&self) -> String {
        url_of(&[self])
    }

    /// Runs `statement` with psql on the database `charrua`; what it printed (unaligned,
    /// tuples only).
    pub fn sql(&self, statement: &str) -> Result<String, Error> {
        let output = run(
            &self.bin.join("psql"),
            &[
                "-h",
                &self.dir.display().to_string(),
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "charrua",
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                statement,
            ],
        )?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

/// The connection string of the database `charrua` on `servers`, the one that takes writes
/// chosen at each connection (`target_session_attrs=read-write`).
pub fn url_of(servers: &[&Cluster]) -> String {
    let hosts: Vec<String> = servers
        .iter()
        .map(|s| {
            let dir = s.dir.display().to_string().replace('/', "%2F");
            format!("{dir}:{}", s.port)
        })
        .collect();
    format!(
        "postgresql://postgres@{}/charrua?target_session_attrs=read-write",
        hosts.join(",")
    )
}

fn append(file: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", file.display()))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            let _ = self.stop("immediate");
        }
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
