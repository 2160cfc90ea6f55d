//! charruad: the charrua DHCP server, a drop-in for ISC dhcpd.
//!
//! This version checks configurations the way `dhcpd -t` does: `charruad -t -cf FILE` reads a
//! dhcpd.conf (with its includes), prints errors and warnings with file, line and column, and
//! exits 0 when the file is valid, 1 otherwise. Serving comes with the daemon issue.

mod args;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use charrua_conf::{parse_config, Loader};

/// Reads included files relative to the working directory, as ISC dhcpd does.
struct FileLoader;

impl Loader for FileLoader {
    fn load(&mut self, name: &str) -> Result<String, String> {
        std::fs::read_to_string(name).map_err(|e| format!("can't open {name}: {e}"))
    }
}

/// `-t`: check the configuration; returns whether it is valid.
fn test_config(path: &Path) -> bool {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("charruad: can't open {}: {e}", path.display());
            return false;
        }
    };
    let lowered = parse_config(&path.display().to_string(), text, &mut FileLoader);
    for d in &lowered.diagnostics {
        eprintln!("{}\n", d.render(&lowered.sources));
    }
    let errors = lowered
        .diagnostics
        .iter()
        .filter(|d| d.severity == charrua_conf::Severity::Error)
        .count();
    let warnings = lowered.diagnostics.len() - errors;
    if lowered.config.is_some() {
        eprintln!(
            "{}: configuration is valid ({warnings} warning(s))",
            path.display()
        );
        true
    } else {
        eprintln!(
            "{}: {errors} error(s), {warnings} warning(s)",
            path.display()
        );
        false
    }
}

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    if !args.quiet {
        eprintln!(
            "charruad {} (config file: {})",
            env!("CARGO_PKG_VERSION"),
            args.config.display()
        );
    }
    if args.test_leases {
        eprintln!(
            "charruad: -T (lease file check of {}) is not available in this version",
            PathBuf::from(&args.leases).display()
        );
        return ExitCode::FAILURE;
    }
    if !args.test_config {
        eprintln!("charruad: this version only checks configurations; run it with -t");
        return ExitCode::FAILURE;
    }
    if test_config(&args.config) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
