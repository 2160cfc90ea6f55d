//! `charrua leases`: ISC dhcpd.leases in and out, and the leases of a charrua store.
//!
//! `import` loads a lease file into a lease database for the pools of a dhcpd.conf, reports what
//! it holds and, with `--lf`, seeds a charrua lease store with it; `export` writes
//! the leases back in dhcpd.leases form, the last block of each address winning, so a site can
//! go back to ISC dhcpd.

use std::io::Write;
use std::path::{Path, PathBuf};

use charrua_conf::{leases, parse_config, Diagnostic, Sources};
use charrua_server::{LeaseDb, LeaseState};
use clap::Subcommand;

/// `charrua leases ...`
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Load a dhcpd.leases into a lease database for the pools of a dhcpd.conf and summarize it.
    Import {
        /// The ISC lease file.
        file: PathBuf,
        /// The dhcpd.conf whose pools the leases belong to.
        #[arg(long = "cf", value_name = "CONFIG")]
        config: PathBuf,
        /// Also write them into this charrua lease store (the daemon's `-lf` journal).
        #[arg(long = "lf", value_name = "JOURNAL")]
        journal: Option<PathBuf>,
    },
    /// Write the leases of a dhcpd.leases back in dhcpd.leases form, one block per address.
    Export {
        /// The ISC lease file.
        file: PathBuf,
    },
    /// Print the current leases of a charrua lease store (the daemon's `-lf` journal).
    List {
        /// The journal (its `.snapshot` and `.next` siblings are read too).
        #[arg(long = "lf", value_name = "JOURNAL")]
        journal: PathBuf,
        /// One JSON object per lease instead of a table.
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

fn load(path: &Path) -> Result<leases::LeaseFile, String> {
    let file = leases::read(&path.display().to_string(), read(path)?);
    if report(&file.diagnostics, &file.sources) {
        Ok(file)
    } else {
        Err(format!("{}: lease file has errors", path.display()))
    }
}

/// Includes are read relative to the working directory, as ISC dhcpd reads them.
struct Files;

impl charrua_conf::Loader for Files {
    fn load(&mut self, name: &str) -> Result<String, String> {
        std::fs::read_to_string(name).map_err(|e| format!("can't open {name}: {e}"))
    }
}

/// Writes every lease of `db` into the store at `path`, durably.
fn seed(db: &LeaseDb, path: &Path) -> Result<(), String> {
    use charrua_store::LeaseStore;
    let options = charrua_store::JournalOptions::default();
    let (mut journal, _) =
        charrua_store::Journal::open(path, options, &mut |_| {}).map_err(|e| e.to_string())?;
    for lease in db.iter() {
        journal
            .append(&charrua_server::LeaseChange::Set(lease.clone()))
            .map_err(|e| e.to_string())?;
    }
    journal.sync().map_err(|e| e.to_string())
}

fn import(
    file: &Path,
    config: &Path,
    journal: Option<&Path>,
    out: &mut impl Write,
) -> Result<(), String> {
    let lowered = parse_config(&config.display().to_string(), read(config)?, &mut Files);
    report(&lowered.diagnostics, &lowered.sources);
    let config = lowered
        .config
        .ok_or_else(|| format!("{}: configuration has errors", config.display()))?;
    let leases = load(file)?;
    let mut db = LeaseDb::new(&config);
    db.extend(leases.changes);
    let count = |state| db.iter().filter(|l| l.state == state).count();
    let outside = db
        .iter()
        .filter(|l| db.pool_of(l.address).is_none())
        .count();
    if let Some(path) = journal {
        seed(&db, path)?;
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

fn export(file: &Path, out: &mut impl Write) -> Result<(), String> {
    let leases = load(file)?;
    let mut last = std::collections::BTreeMap::new();
    for change in leases.changes {
        if let charrua_server::LeaseChange::Set(lease) = change {
            last.insert(lease.address, lease);
        }
    }
    out.write_all(leases::write(last.values()).as_bytes())
        .map_err(|e| e.to_string())
}

fn client_text(client: &charrua_server::ClientKey) -> String {
    let hex = |b: &[u8]| {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    match client {
        charrua_server::ClientKey::ClientId(id) => format!("id {}", hex(id)),
        charrua_server::ClientKey::Hardware { htype, addr } => format!("hw {htype} {}", hex(addr)),
    }
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

fn list(journal: &Path, json: bool, out: &mut impl Write) -> Result<(), String> {
    let mut leases = std::collections::BTreeMap::new();
    let recovery = charrua_store::Journal::read_only(
        journal,
        &charrua_store::JournalOptions::default(),
        &mut |c| match c {
            charrua_server::LeaseChange::Set(lease) => {
                leases.insert(lease.address, lease);
            }
            charrua_server::LeaseChange::Remove(addr) => {
                leases.remove(&addr);
            }
        },
    )
    .map_err(|e| e.to_string())?;
    if recovery.bad_records > 0 {
        eprintln!(
            "charrua leases: {} corrupt record(s) skipped",
            recovery.bad_records
        );
    }
    let ends = |e: u64| {
        if e == u64::MAX {
            "never".to_string()
        } else {
            e.to_string()
        }
    };
    let write =
        |out: &mut dyn Write, line: String| writeln!(out, "{line}").map_err(|e| e.to_string());
    if !json {
        write(
            out,
            format!(
                "{:<15} {:<8} {:<32} {:>12} hostname",
                "address", "state", "client", "ends"
            ),
        )?;
    }
    for lease in leases.values() {
        let line = if json {
            serde_json::json!({
                "address": lease.address.to_string(),
                "state": state_text(lease.state),
                "client": client_text(&lease.client),
                "starts": lease.starts,
                "ends": if lease.ends == u64::MAX { serde_json::Value::Null } else { lease.ends.into() },
                "hostname": lease.hostname.as_deref(),
            })
            .to_string()
        } else {
            let host = lease.hostname.as_deref().unwrap_or("-");
            format!(
                "{:<15} {:<8} {:<32} {:>12} {host}",
                lease.address,
                state_text(lease.state),
                client_text(&lease.client),
                ends(lease.ends)
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
        } => import(file, config, journal.as_deref(), out),
        Command::Export { file } => export(file, out),
        Command::List { journal, json } => list(journal, *json, out),
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            eprintln!("charrua leases: {e}");
            false
        }
    }
}
