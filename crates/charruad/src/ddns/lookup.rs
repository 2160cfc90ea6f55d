//! The zone of a name no `zone` statement covers, found in DNS as ISC dhcpd finds it
//! (common/dns.c `find_zone_start`, `find_zone_ns`, `find_zone_addrs`, `cache_found_zone`;
//! docs/ddns.md section 1.3): the NS records of the name, a label dropped from the left at
//! each failure (never the root's), the addresses of the first name servers (three at most,
//! `DHCP_MAXNS`), through the resolvers of `/etc/resolv.conf`; kept as long as the shortest
//! TTL seen, and without key, so updates to it go unsigned. Unlike dhcpd, which drops the
//! update that started the lookup and sends only later ones, the update waits for the lookup
//! (a lookup runs on the update thread and delays no reply). A resolver that does not answer
//! (a query waits 3 s over UDP, as an update message does, then as long over TCP) is left
//! alone for a minute, so that lookups cannot hold the update places that names with a `zone`
//! statement need.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use charrua_ddns::{DomainName, Zone, Zones};
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;
use tracing::{debug, info};

/// ISC's limit on the servers of one zone (`DHCP_MAXNS`).
const MAX_SERVERS: usize = 3;

/// How long one query waits for the resolver (ISC's wait for an update message, section 7).
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a resolver that did not answer is left alone.
const RESOLVER_REST: Duration = Duration::from_secs(60);

/// Zones found in DNS, and the resolver that finds them.
#[derive(Clone)]
pub(super) struct ZoneLookup {
    /// `None` when lookups are off (tests) or the system's resolver configuration could not
    /// be read (logged once at start).
    resolver: Option<TokioResolver>,
    /// The port updates go to.
    port: u16,
    /// The zones found, by name, until they expire.
    found: Arc<Mutex<HashMap<Name, (Zone, Instant)>>>,
    /// Until when no lookup is made: the resolver did not answer.
    resting: Arc<Mutex<Option<Instant>>>,
}

impl std::fmt::Debug for ZoneLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneLookup")
            .field("enabled", &self.resolver.is_some())
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl ZoneLookup {
    /// Lookups through the system's resolvers (`/etc/resolv.conf`), updates to `port`; none
    /// when `enabled` is false.
    pub(super) fn new(enabled: bool, port: u16) -> Self {
        let resolver = enabled
            .then(|| match TokioResolver::builder_tokio() {
                Ok(mut builder) => {
                    let options = builder.options_mut();
                    options.timeout = QUERY_TIMEOUT;
                    options.attempts = 1;
                    builder
                        .build()
                        .map_err(|e| info!("DDNS: no resolver to find zones with: {e}"))
                        .ok()
                }
                Err(e) => {
                    info!("DDNS: no resolver to find zones with ({e}): names without a zone statement are not updated");
                    None
                }
            })
            .flatten();
        Self {
            resolver,
            port,
            found: Arc::default(),
            resting: Arc::default(),
        }
    }

    /// `configured`, with the zones found for those of `names` it has none for; `None` when
    /// nothing was added.
    pub(super) async fn complete(
        &self,
        configured: &Zones,
        names: &[Option<&DomainName>],
    ) -> Option<Zones> {
        self.resolver.as_ref()?;
        let mut added = Vec::new();
        for name in names.iter().flatten() {
            if configured.find(name).is_some() {
                continue;
            }
            if let Some(zone) = self.find(name).await {
                added.push(zone);
            }
        }
        (!added.is_empty()).then(|| configured.with(added))
    }

    /// The zone of `name`: one found before and not expired, else one found now.
    async fn find(&self, name: &DomainName) -> Option<Zone> {
        let now = Instant::now();
        {
            let mut found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
            found.retain(|_, (_, until)| *until > now);
            let cached = suffixes(name.name())
                .find_map(|candidate| found.get(&candidate).map(|(zone, _)| zone.clone()));
            if cached.is_some() {
                return cached;
            }
        }
        let (zone, until) = self.look_up(name).await?;
        info!(
            "DDNS: zone {} found in DNS for {name}: servers {:?}, no key",
            zone.name, zone.servers
        );
        self.found
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(zone.name.name().clone(), (zone.clone(), until));
        Some(zone)
    }

    /// ISC's walk: NS records of the name, then of each shorter name, then the addresses of
    /// the first name servers found.
    async fn look_up(&self, name: &DomainName) -> Option<(Zone, Instant)> {
        let resolver = self.resolver.as_ref()?;
        let resting = *self.resting.lock().unwrap_or_else(PoisonError::into_inner);
        if resting.is_some_and(|until| until > Instant::now()) {
            return None;
        }
        for candidate in suffixes(name.name()) {
            let lookup = match resolver.lookup(candidate.clone(), RecordType::NS).await {
                Ok(lookup) => lookup,
                Err(e) if unanswered(&e) => {
                    info!(
                        "DDNS: the resolver did not answer for {candidate} ({e}); no zone looked up for {} s",
                        RESOLVER_REST.as_secs()
                    );
                    *self.resting.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some(Instant::now() + RESOLVER_REST);
                    return None;
                }
                Err(e) => {
                    debug!("DDNS: no NS records for {candidate}: {e}");
                    continue;
                }
            };
            let targets: Vec<Name> = lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::NS(ns) => Some(ns.0.clone()),
                    _ => None,
                })
                .collect();
            if targets.is_empty() {
                continue;
            }
            let mut until = lookup.valid_until();
            let mut servers = Vec::new();
            for target in targets {
                match resolver.lookup_ip(target.clone()).await {
                    Ok(ips) => {
                        until = until.min(ips.valid_until());
                        servers.extend(ips.iter().map(|ip| SocketAddr::new(ip, self.port)));
                    }
                    Err(e) => debug!("DDNS: no address for name server {target}: {e}"),
                }
                if servers.len() >= MAX_SERVERS {
                    break;
                }
            }
            servers.truncate(MAX_SERVERS);
            if servers.is_empty() {
                return None;
            }
            let zone = DomainName::other(&candidate.to_ascii()).ok()?;
            return Some((
                Zone {
                    name: zone,
                    servers,
                    key: None,
                },
                until,
            ));
        }
        None
    }
}

/// Whether `error` says no answer came (rather than an answer without NS records).
fn unanswered(error: &NetError) -> bool {
    matches!(
        error,
        NetError::Timeout | NetError::Io(_) | NetError::NoConnections
    )
}

/// `name`, then each name made by dropping its first label, down to a single label (the
/// root's name servers take no updates; ISC stops there too).
/// Each is fully qualified, so that no search domain is appended to it.
fn suffixes(name: &Name) -> impl Iterator<Item = Name> {
    let mut fqdn = name.clone();
    fqdn.set_fqdn(true);
    let mut next = Some(fqdn).filter(|n| n.num_labels() > 0);
    std::iter::from_fn(move || {
        let current = next.take()?;
        next = Some(current.base_name()).filter(|n| n.num_labels() > 0);
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_stop_before_the_root() {
        let name = Name::from_ascii("a.lab.example").unwrap();
        let all: Vec<String> = suffixes(&name).map(|n| n.to_ascii()).collect();
        assert_eq!(all, ["a.lab.example.", "lab.example.", "example."]);
        assert!(suffixes(&name).all(|n| n.is_fqdn()));
        assert_eq!(suffixes(&Name::root()).count(), 0);
    }
}
