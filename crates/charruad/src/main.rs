//! charruad: the charrua DHCP server, a drop-in for ISC dhcpd.
//!
//! `charruad -cf dhcpd.conf -lf dhcpd.leases [IFACE...]` serves DHCP on the interfaces that have
//! an address in a declared subnet, committing every lease to the lease file (ISC's format, or
//! charrua's journal) before its ACK leaves.
//! `charruad -t -cf FILE` and `charruad -T -lf FILE` check a dhcpd.conf or a dhcpd.leases the
//! way `dhcpd -t` and `-T` do.

mod args;
mod batch;
mod commit;
mod control;
mod ddns;
mod hooks;
mod lease_names;
mod log;
mod logbuf;
mod man;
mod metrics;
mod net;
mod ping;
mod print;
mod send;
mod serve;
mod syslog;

use std::path::Path;
use std::process::ExitCode;

use charrua_conf::{parse_config, Loader};

/// Reads included files relative to the working directory, as ISC dhcpd does, and, when
/// serving, looks host names up with the system's resolver (`-t` looks nothing up, as
/// `dhcpd -t`).
pub(crate) struct FileLoader {
    /// Whether host names are looked up.
    pub(crate) resolve: bool,
}

impl Loader for FileLoader {
    fn load(&mut self, name: &str) -> Result<String, String> {
        std::fs::read_to_string(name).map_err(|e| format!("can't open {name}: {e}"))
    }

    fn resolve(&mut self, name: &str) -> Option<Result<Vec<std::net::Ipv4Addr>, String>> {
        use std::net::{SocketAddr, ToSocketAddrs};
        self.resolve.then(|| {
            (name, 0)
                .to_socket_addrs()
                .map(|found| {
                    found
                        .filter_map(|a| match a {
                            SocketAddr::V4(v4) => Some(*v4.ip()),
                            SocketAddr::V6(_) => None,
                        })
                        .collect()
                })
                .map_err(|e| e.to_string())
        })
    }
}

/// `-t`: check the configuration (and with `print`, print it as understood); returns whether
/// it is valid.
fn test_config(path: &Path, print: bool) -> bool {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("charruad: can't open {}: {e}", path.display());
            return false;
        }
    };
    let lowered = parse_config(
        &path.display().to_string(),
        text,
        // dhcpd -t looks no name up; what --print shows is what would be served.
        &mut FileLoader { resolve: print },
    );
    for (d, count) in lowered.summary() {
        eprintln!("{}\n", log::diagnostic(d, count, &lowered.sources));
    }
    let errors = lowered
        .diagnostics
        .iter()
        .filter(|d| d.severity == charrua_conf::Severity::Error)
        .count();
    let warnings = lowered.diagnostics.len() - errors;
    if let Some(config) = lowered.config.as_ref().filter(|_| print) {
        print!("{}", print::render(config));
    }
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

/// `-T`: check the lease file (`-lf`, else the configuration's `lease-file-name`; a
/// dhcpd.leases against the configuration, as dhcpd -T does); returns whether every block is
/// valid.
fn test_leases(args: &args::Args) -> bool {
    let (config, format) = (&args.config, args.lease_format);
    let lowered = match std::fs::read_to_string(config) {
        Ok(text) => parse_config(
            &config.display().to_string(),
            text,
            &mut FileLoader { resolve: false },
        ),
        Err(e) => {
            eprintln!("charruad: can't open {}: {e}", config.display());
            return false;
        }
    };
    let Some(configuration) = lowered.config.as_ref() else {
        eprintln!(
            "{}: configuration has errors (-t shows them)",
            config.display()
        );
        return false;
    };
    let path = &args.leases(lowered.lease_file_name.as_deref());
    match charrua_store::resolve(path, format) {
        Ok(
            kind @ (charrua_store::LeaseFormat::Journal | charrua_store::LeaseFormat::Postgresql),
        ) => {
            let mut count = 0usize;
            return match charrua_store::read_store(path, format, &mut |_| count += 1) {
                Ok((_, recovery)) => {
                    let what = match kind {
                        charrua_store::LeaseFormat::Journal => "charrua journal",
                        _ => "PostgreSQL lease database",
                    };
                    eprintln!(
                        "{}: {what}, {count} record(s), {} corrupt",
                        serve::shown(path),
                        recovery.bad_records
                    );
                    recovery.bad_records == 0
                }
                Err(e) => {
                    eprintln!("charruad: {e}");
                    false
                }
            };
        }
        Ok(_) => {}
        Err(e) => {
            eprintln!("charruad: {e}");
            return false;
        }
    }
    use charrua_store::identify::{identify, Found};
    match identify(path) {
        Ok(Found::Text | Found::Empty) => {}
        Ok(found) => {
            eprintln!("charruad: {}: {found}", path.display());
            return false;
        }
        Err(e) => {
            eprintln!("charruad: can't open {}: {e}", path.display());
            return false;
        }
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("charruad: can't open {}: {e}", path.display());
            return false;
        }
    };
    let mut file = charrua_conf::leases::read(&path.display().to_string(), text);
    let against =
        charrua_conf::leases::check_against(&file, configuration, &lowered.failover_peers);
    file.diagnostics.extend(against);
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
    if args.man {
        print!("{}", man::render());
        return ExitCode::SUCCESS;
    }
    if !args.quiet {
        eprintln!(
            "charruad {} (config file: {})",
            env!("CARGO_PKG_VERSION"),
            args.config.display()
        );
    }
    if !args.test_config && !args.test_leases {
        let level = if args.debug { "debug" } else { "info" };
        let filter = tracing_subscriber::EnvFilter::try_from_env("CHARRUAD_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
        let output = log::Output::choose(args.debug || args.foreground, log::stderr_is_journal());
        logbuf::LOG.start(output);
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .event_format(logbuf::MessageOnly)
            .with_writer(&logbuf::LOG)
            .init();
        let served = serve::serve(&args);
        if let Err(e) = &served {
            if output != log::Output::Stderr {
                tracing::error!("{e}");
            }
        }
        logbuf::LOG.finish();
        return match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                // Where it was started, too, unless that is the journal, which has it.
                if output != log::Output::Journal {
                    eprintln!("charruad: {e}");
                }
                ExitCode::FAILURE
            }
        };
    }
    // As dhcpd: -t checks the configuration, -T the lease file; both may be given.
    let config_ok = !args.test_config || test_config(&args.config, args.print);
    let leases_ok = !args.test_leases || test_leases(&args);
    if config_ok && leases_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
