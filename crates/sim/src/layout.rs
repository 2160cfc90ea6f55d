//! Where things are: the links and their subnets, the relay agents' and the engines'
//! addresses, and each engine's configuration (its pools).

use std::net::Ipv4Addr;

use charrua_server::config::{Config, ScopeBuilder, Slice};
use charrua_server::Ipv4Net;

use crate::scenario::Scenario;

/// Links: 0 holds the engines; 1 and 2 are behind relays.
pub(crate) const LINKS: usize = 3;

/// The subnet of link `link`: 198.18.0.0/18, 198.18.64.0/18, 198.18.128.0/18.
pub(crate) fn subnet_base(link: usize) -> u32 {
    u32::from(Ipv4Addr::new(198, 18, 0, 0)) + (link as u32) * (64 << 8)
}

/// The link whose subnet holds `address`.
pub(crate) fn link_of(address: Ipv4Addr) -> Option<usize> {
    let a = u32::from(address);
    (0..LINKS).find(|&l| a >= subnet_base(l) && a < subnet_base(l) + (64 << 8))
}

/// The relay agent's address on link `link` (> 0): giaddr.
pub(crate) fn relay_address(link: usize) -> Ipv4Addr {
    Ipv4Addr::from(subnet_base(link) + 1)
}

/// Engine `engine`'s address on link 0.
pub(crate) fn engine_address(engine: usize) -> Ipv4Addr {
    Ipv4Addr::from(subnet_base(0) + 1 + engine as u32)
}

/// Engine `engine`'s configuration: every link's subnet, with its share of each pool; with a
/// shared store, all of each pool, with a preference for its own slice when the scenario says
/// so (as the daemon sets once it has read who shares the store).
pub(crate) fn engine_config(engine: usize, scenario: &Scenario) -> Result<Config, String> {
    let mut builder = Config::builder().offer_hold(30).decline_probation(300);
    let (share, shares) = if scenario.shared_store {
        (0, 1)
    } else {
        (engine, scenario.engines)
    };
    for link in 0..LINKS {
        let first = subnet_base(link) + 16;
        let span = scenario.pool_size;
        let size = span / shares as u32;
        let start = first + size * share as u32;
        let net = Ipv4Net::new(Ipv4Addr::from(subnet_base(link)), 18).map_err(|e| e.to_string())?;
        let lease = scenario.lease_secs;
        builder = builder.subnet(net, |s| {
            s.range(Ipv4Addr::from(start), Ipv4Addr::from(start + size - 1))
                .default_lease_time(lease)
                .max_lease_time(lease)
        });
    }
    let mut config = builder.build().map_err(|e| e.to_string())?;
    // As the daemon sets it for a database: every ACK is a write the store checks.
    config.shared_store = scenario.shared_store;
    if scenario.slices {
        config.slice = Some(Slice {
            index: engine as u32,
            count: scenario.engines as u32,
        });
    }
    Ok(config)
}
