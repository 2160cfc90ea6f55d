//! `get-lease-hostnames`: the host names of the pool addresses where it is on, looked up on a
//! thread of their own through the system resolver and handed to the engine as they come (in
//! batches), so that neither starting nor serving waits for DNS. dhcpd looks a name up for each
//! reply and serves no one meanwhile (server/dhcp.c `ack_lease`); charruad looks them up when
//! the configuration is loaded, at start and on SIGHUP.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use tracing::{info, warn};

/// Addresses looked up at most.
pub(crate) const MAX_ADDRESSES: usize = 65_536;
/// Names are handed over at least this often while the lookups run.
const BATCH_INTERVAL: Duration = Duration::from_secs(2);

/// Names looked up so far, as they come.
pub(crate) type Names = Receiver<BTreeMap<Ipv4Addr, String>>;

/// Starts looking `addresses` up; `None` when there are none.
pub(crate) fn look_up(addresses: Vec<Ipv4Addr>) -> Option<Names> {
    if addresses.is_empty() {
        return None;
    }
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("charruad-lease-names".into())
        .spawn(move || {
            let total = addresses.len();
            let mut names = BTreeMap::new();
            let mut last = Instant::now();
            for (i, address) in addresses.into_iter().enumerate() {
                if let Some(name) = charrua_socket::names::host_name_of(address) {
                    names.insert(address, name);
                }
                if last.elapsed() >= BATCH_INTERVAL || i + 1 == total {
                    last = Instant::now();
                    if tx.send(names.clone()).is_err() {
                        return;
                    }
                }
            }
            info!(
                "get-lease-hostnames: {} of {total} pool addresses have a host name",
                names.len()
            );
        });
    match spawned {
        Ok(_) => Some(rx),
        Err(e) => {
            warn!("get-lease-hostnames: no lookup thread ({e}); no host names are sent");
            None
        }
    }
}
