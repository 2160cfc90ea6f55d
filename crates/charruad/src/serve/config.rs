//! The configuration charruad serves: dhcpd.conf read and lowered, with the host declarations
//! served after it (the lease store's, and the reservations made through the control API).

use std::path::Path;

use charrua_server::Config;
use tracing::{error, warn};

/// A configuration read for serving.
pub(crate) struct Loaded {
    /// The configuration.
    pub(crate) config: Config,
    /// Its `lease-file-name` and `pid-file-name`, where it gives them.
    pub(crate) lease_file_name: Option<String>,
    pub(crate) pid_file_name: Option<String>,
    /// Its `log-facility`, where it gives one.
    pub(crate) log_facility: Option<String>,
    /// Its `local-port` and `remote-port`, where it gives them.
    pub(crate) local_port: Option<u16>,
    pub(crate) remote_port: Option<u16>,
    /// Its `local-address`, where it gives one.
    pub(crate) local_address: Option<std::net::Ipv4Addr>,
}

/// Reads and lowers the configuration, with the host declarations of the lease file
/// `leases` (its OMAPI hosts, served as dhcpd serves them; empty for none), logging its
/// diagnostics.
pub(crate) fn load_config(path: &Path, leases: &Path, hosts: &str) -> Option<Loaded> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            error!("can't open {}: {e}", path.display());
            return None;
        }
    };
    let lowered = charrua_conf::parse_config_with_hosts(
        &path.display().to_string(),
        text,
        &format!("{} (its host declarations)", leases.display()),
        hosts.to_string(),
        &mut crate::FileLoader { resolve: true },
    );
    for (d, count) in lowered.summary() {
        let text = crate::log::diagnostic(d, count, &lowered.sources);
        match d.severity {
            charrua_conf::Severity::Error => error!("{text}"),
            charrua_conf::Severity::Warning => warn!("{text}"),
        }
    }
    Some(Loaded {
        config: lowered.config?,
        lease_file_name: lowered.lease_file_name,
        pid_file_name: lowered.pid_file_name,
        log_facility: lowered.log_facility,
        local_port: lowered.local_port,
        remote_port: lowered.remote_port,
        local_address: lowered.local_address,
    })
}

/// Host declarations served with the configuration's, read after it at its top level.
#[derive(Debug, Default)]
pub(super) struct Hosts {
    /// The lease store's (hosts OMAPI made, kept in a dhcpd.leases).
    pub(super) store: String,
    /// The reservations made through the control API.
    pub(super) runtime: String,
}

impl Hosts {
    pub(super) fn all(&self) -> String {
        format!("{}{}", self.store, self.runtime)
    }
}
