//! `charrua leases`: ISC dhcpd.leases in and out, and the leases of a charrua store.
//!
//! `import` loads a lease file into a lease database for the pools of a dhcpd.conf, reports what
//! it holds and, with `--lf`, seeds a charrua lease store with it; `export` writes the leases of
//! a dhcpd.leases or a journal in dhcpd.leases form, the last block of each address winning, so
//! a site can go back to ISC dhcpd; `list` prints the leases of a store with their dates. None
//! of them changes the file it reads, and each refuses, with what it found, a file that is
//! neither a dhcpd.leases nor a charrua journal.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use charrua_conf::{leases, parse_config, Diagnostic, Sources};
use charrua_server::{Lease, LeaseChange, LeaseDb, LeaseState};
use charrua_store::identify::{identify, Found};
use charrua_store::LeaseFormat;
use clap::Subcommand;

/// `charrua leases ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Load a dhcpd.leases (or a charrua journal, or a PostgreSQL lease database) into a lease
    /// database for the pools of a dhcpd.conf and summarize it.
    Import {
        /// The ISC lease file (or journal, or database connection string).
        file: PathBuf,
        /// The dhcpd.conf whose pools the leases belong to.
        #[arg(long = "cf", value_name = "CONFIG")]
        config: PathBuf,
        /// Also write them into this lease store (the daemon's `-lf`, or a PostgreSQL
        /// connection string).
        #[arg(long = "lf", value_name = "STORE")]
        journal: Option<PathBuf>,
        /// The store's format, as charruad's `--lease-format`.
        #[arg(long, default_value = "auto")]
        lease_format: LeaseFormat,
    },
    /// Write the leases of a dhcpd.leases, a charrua journal or a PostgreSQL lease database in
    /// dhcpd.leases form, one block per address.
    Export {
        /// The lease file, journal or database connection string.
        file: PathBuf,
    },
    /// Create or upgrade the schema of a PostgreSQL lease database (as `kea-admin db-init`;
    /// charruad also does it when it starts).
    DbInit {
        /// The database's connection string, e.g. postgresql://dhcp@db/dhcp.
        database: String,
    },
    /// Print the current leases of a lease store (the daemon's `-lf`: a dhcpd.leases, a
    /// charrua journal or a PostgreSQL connection string), with their dates in UTC.
    List {
        /// The store (a journal's `.snapshot` and `.next` siblings are read too).
        #[arg(long = "lf", value_name = "STORE")]
        journal: PathBuf,
        /// One JSON object per lease instead of a table (times as numbers and ISO 8601).
        #[arg(long)]
        json: bool,
    },
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn report(diagnostics: &[Diagnostic], sources: &Sources) -> bool {
    for d in diagnostics {
        eprintln!("{}\n", d.render(sources));
    }
    !diagnostics
        .iter()
        .any(|d| d.severity == charrua_conf::Severity::Error)
}

/// Reads an ISC lease file, refusing (with what it is) anything that is not text.
pub(crate) fn load(path: &Path) -> Result<leases::LeaseFile, String> {
    match identify(path).map_err(|e| format!("{}: {e}", path.display()))? {
        Found::Text | Found::Empty => {}
        found => return Err(format!("{}: {found}; not a dhcpd.leases", path.display())),
    }
    let file = leases::read(&path.display().to_string(), read(path)?);
    if report(&file.diagnostics, &file.sources) {
        Ok(file)
    } else {
        Err(format!(
            "{}: not a dhcpd.leases, or a damaged one (errors above)",
            path.display()
        ))
    }
}

/// Includes are read relative to the working directory, as ISC dhcpd reads them.
pub(crate) struct Files;

impl charrua_conf::Loader for Files {
    fn load(&mut self, name: &str) -> Result<String, String> {
        std::fs::read_to_string(name).map_err(|e| format!("can't open {name}: {e}"))
    }
}

/// Writes every lease of `db` into the store at `path`, durably.
fn seed(db: &LeaseDb, path: &Path, format: LeaseFormat) -> Result<(), String> {
    let mut opened = charrua_store::open_store(path, format, "charrua-leases", &mut |_| {})
        .map_err(|e| e.to_string())?;
    for lease in db.iter() {
        opened
            .store
            .append(&LeaseChange::Set(lease.clone()))
            .map_err(|e| e.to_string())?;
    }
    let committed = opened.store.commit().map_err(|e| e.to_string())?;
    if committed.rejected.is_empty() {
        Ok(())
    } else {
        // A shared database keeps another client's live lease of an address.
        Err(format!(
            "{} lease(s) not written: the store holds another client's lease of the address",
            committed.rejected.len()
        ))
    }
}

fn import(
    file: &Path,
    config: &Path,
    journal: Option<&Path>,
    format: LeaseFormat,
    out: &mut impl Write,
) -> Result<(), String> {
    let lowered = parse_config(&config.display().to_string(), read(config)?, &mut Files);
    report(&lowered.diagnostics, &lowered.sources);
    let config = lowered
        .config
        .ok_or_else(|| format!("{}: configuration has errors", config.display()))?;
    let mut db = LeaseDb::new(&config);
    match charrua_store::resolve(file, LeaseFormat::Auto).map_err(|e| e.to_string())? {
        // A charrua journal (or a database) moves into another store too.
        LeaseFormat::Journal | LeaseFormat::Postgresql => {
            db.extend(current(file)?.into_values().map(LeaseChange::Set))
        }
        _ => db.extend(load(file)?.changes),
    }
    let now = now();
    let count = |state| db.iter().filter(|l| l.state_at(now) == state).count();
    let outside = db
        .iter()
        .filter(|l| db.pool_of(l.address).is_none())
        .count();
    if let Some(path) = journal {
        seed(&db, path, format)?;
    }
    writeln!(
        out,
        "{} leases: {} active, {} released, {} free, {} abandoned; {outside} outside every pool",
        db.len(),
        count(LeaseState::Bound),
        count(LeaseState::Released),
        count(LeaseState::Expired),
        count(LeaseState::Declined),
    )
    .map_err(|e| e.to_string())
}

/// The current leases of the store at `path` (last record per address), read without changing
/// anything.
pub(crate) fn current(path: &Path) -> Result<BTreeMap<Ipv4Addr, Lease>, String> {
    let mut leases = BTreeMap::new();
    let (_, recovery) = charrua_store::read_store(path, LeaseFormat::Auto, &mut |c| match c {
        LeaseChange::Set(lease) => {
            leases.insert(lease.address, lease);
        }
        LeaseChange::Remove(addr) => {
            leases.remove(&addr);
        }
    })
    .map_err(|e| e.to_string())?;
    if recovery.bad_records > 0 {
        eprintln!(
            "charrua leases: {} corrupt record(s) skipped",
            recovery.bad_records
        );
    }
    if recovery.cut_bytes > 0 {
        eprintln!(
            "charrua leases: {} bytes of torn tail (a crash mid-write) left out",
            recovery.cut_bytes
        );
    }
    Ok(leases)
}

/// Writes the store's leases in dhcpd's form: a dhcpd.leases with everything it keeps beside
/// the leases (see `IscLeaseFile::rendered`), a journal's leases as blocks.
fn export(file: &Path, out: &mut impl Write) -> Result<(), String> {
    let text = match charrua_store::resolve(file, LeaseFormat::Auto).map_err(|e| e.to_string())? {
        LeaseFormat::Journal | LeaseFormat::Postgresql => leases::write(current(file)?.values()),
        _ => charrua_store::IscLeaseFile::rendered(file).map_err(|e| e.to_string())?,
    };
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    let _ = charrua_wire::options::text::write_hex(&mut out, bytes);
    out
}

fn client_text(lease: &Lease) -> String {
    match (&lease.client, &lease.hardware) {
        (charrua_server::ClientKey::ClientId(id), Some(hw)) => {
            format!("id {} hw {}", hex(id), hex(hw.addr()))
        }
        (charrua_server::ClientKey::ClientId(id), None) => format!("id {}", hex(id)),
        (charrua_server::ClientKey::Hardware { addr, .. }, _) => format!("hw {}", hex(addr)),
    }
}

/// A time as a reader wants it: ISO 8601 in UTC, or "never".
fn date(secs: u64) -> String {
    if secs == u64::MAX {
        "never".into()
    } else {
        charrua_conf::time::iso8601(secs)
    }
}

/// Unix seconds now.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn state_text(state: LeaseState) -> &'static str {
    match state {
        LeaseState::Offered => "offered",
        LeaseState::Bound => "bound",
        LeaseState::Released => "released",
        LeaseState::Expired => "expired",
        LeaseState::Declined => "declined",
    }
}

/// Prints the leases with their state now: one that has run out is expired, not bound.
fn list(journal: &Path, json: bool, out: &mut impl Write) -> Result<(), String> {
    let leases = current(journal)?;
    let now = now();
    let write =
        |out: &mut dyn Write, line: String| writeln!(out, "{line}").map_err(|e| e.to_string());
    if !json {
        write(
            out,
            format!(
                "{:<15} {:<8} {:<20} {:<20} {:<40} hostname",
                "address", "state", "starts (UTC)", "ends (UTC)", "client"
            ),
        )?;
    }
    for lease in leases.values() {
        let line = if json {
            let ends = (lease.ends != u64::MAX).then_some(lease.ends);
            serde_json::json!({
                "address": lease.address.to_string(),
                "state": state_text(lease.state_at(now)),
                "client": client_text(lease),
                "starts": lease.starts,
                "starts_iso": charrua_conf::time::iso8601(lease.starts),
                "ends": ends,
                "ends_iso": ends.map(charrua_conf::time::iso8601),
                "hostname": lease.hostname.as_deref(),
            })
            .to_string()
        } else {
            let host = lease.hostname.as_deref().unwrap_or("-");
            format!(
                "{:<15} {:<8} {:<20} {:<20} {:<40} {host}",
                lease.address,
                state_text(lease.state_at(now)),
                date(lease.starts),
                date(lease.ends),
                client_text(lease),
            )
        };
        write(out, line)?;
    }
    Ok(())
}

/// Runs the command; errors go to standard error. Returns success.
pub(crate) fn run(command: &Command, out: &mut impl Write) -> bool {
    let result = match command {
        Command::Import {
            file,
            config,
            journal,
            lease_format,
        } => import(file, config, journal.as_deref(), *lease_format, out),
        Command::Export { file } => export(file, out),
        Command::List { journal, json } => list(journal, *json, out),
        Command::DbInit { database } => charrua_store::postgres::db_init(database)
            .map_err(|e| e.to_string())
            .and_then(|version| {
                writeln!(
                    out,
                    "{}: lease schema at version {version}",
                    charrua_store::postgres::redacted(database)
                )
                .map_err(|e| e.to_string())
            }),
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            eprintln!("charrua leases: {e}");
            false
        }
    }
}
