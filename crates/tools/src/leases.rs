//! `charrua leases`: ISC dhcpd.leases in and out.
//!
//! `import` loads a lease file into a lease database for the pools of a dhcpd.conf and reports
//! what it holds (the durable store that keeps it comes with the store issue); `export` writes
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
    },
    /// Write the leases of a dhcpd.leases back in dhcpd.leases form, one block per address.
    Export {
        /// The ISC lease file.
        file: PathBuf,
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

fn import(file: &Path, config: &Path, out: &mut impl Write) -> Result<(), String> {
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

/// Runs the command; errors go to standard error. Returns success.
pub(crate) fn run(command: &Command, out: &mut impl Write) -> bool {
    let result = match command {
        Command::Import { file, config } => import(file, config, out),
        Command::Export { file } => export(file, out),
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            eprintln!("charrua leases: {e}");
            false
        }
    }
}
