//! charruad: the charrua DHCP server, a drop-in for ISC dhcpd.
//!
//! This version checks files the way `dhcpd -t` and `dhcpd -T` do: `charruad -t -cf FILE`
//! reads a dhcpd.conf (with its includes) and `charruad -T -lf FILE` a dhcpd.leases, print
//! errors and warnings with file, line and column, and exit 0 when the file is valid, 1
//! otherwise. Serving comes with the daemon issue.

mod args;

use std::path::Path;
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

/// `-T`: check the lease file; returns whether every block is valid.
fn test_leases(path: &Path) -> bool {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("charruad: can't open {}: {e}", path.display());
            return false;
        }
    };
    let file = charrua_conf::leases::read(&path.display().to_string(), text);
    for d in &file.diagnostics {
        eprintln!("{}\n", d.render(&file.sources));
    }
    if file.has_errors() {
        eprintln!("{}: lease file has errors", path.display());
        false
    } else {
        eprintln!(
            "{}: {} lease block(s), valid",
            path.display(),
            file.changes.len()
        );
        true
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
    if !args.test_config && !args.test_leases {
        eprintln!("charruad: this version only checks files; run it with -t (configuration) or -T (lease file)");
        return ExitCode::FAILURE;
    }
    // As dhcpd: -t checks the configuration, -T the lease file; both may be given.
    let config_ok = !args.test_config || test_config(&args.config);
    let leases_ok = !args.test_leases || test_leases(&args.leases);
    if config_ok && leases_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
