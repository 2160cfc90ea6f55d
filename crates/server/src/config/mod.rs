//! The validated server configuration, built with [`ConfigBuilder`] (or lowered from
//! dhcpd.conf by charrua-conf).

mod builder;
mod class;
mod ddns;
mod error;
mod expr;
mod fqdn;
mod hooks;
mod params;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

pub use builder::{
    ConfigBuilder, HostBuilder, NetworkBuilder, PoolBuilder, ScopeBuilder, SubnetBuilder,
};
pub(crate) use class::{agent_sub_option, subclass_value};
pub use class::{LeaseLimit, Match};
pub use ddns::{ClientUpdates, ConflictRules, Ddns, DdnsStyle, Hmac, TsigKey, Zone};
pub use error::ConfigError;
pub use expr::{Arithmetic, Datum, Expr, Pattern, Request};
pub use fqdn::FqdnField;
pub(crate) use fqdn::{FqdnSpace, MAX_LABEL};
pub(crate) use hooks::run as run_hooks;
pub use hooks::{
    keepable, Action, Effect, LeaseEvent, LogPriority, Ran, MAX_KEPT_VARIABLES, MAX_VARIABLE_NAME,
    MAX_VARIABLE_VALUE,
};
pub use params::{Params, SiteSpace, Statement};

use charrua_wire::Options;

use crate::net::Ipv4Net;

/// Index of a shared network in [`Config::networks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetworkId(pub u32);
/// Index of a subnet in [`Config::subnets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubnetId(pub u32);
/// Index of a pool in [`Config::pools`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolId(pub u32);
/// Index of a host in [`Config::hosts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostId(pub u32);
/// Index of a class in [`Config::classes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u32);

/// Server-wide settings that belong to no scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// How long an offered address is held for the client, in seconds (RFC 2131 section 4.3.1:
    /// "SHOULD NOT reuse the selected network address before the client responds").
    pub offer_hold: u32,
    /// How long a declined address stays unavailable, in seconds (RFC 2131 section 4.3.3).
    pub decline_probation: u32,
    /// Relayed requests with more hops are dropped (RFC 1542 section 4.1.1).
    pub max_hops: u8,
    /// Largest reply payload the link carries (interface MTU less IP and UDP headers); option 57
    /// never raises a reply above it.
    pub max_payload: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            offer_hold: 60,
            decline_probation: 86_400,
            max_hops: 16,
            max_payload: 1500 - 28,
        }
    }
}

/// A shared network: subnets that share one link (ISC `shared-network`). A subnet declared on
/// its own gets a network of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// Name (ISC's, or the subnet's address for an implicit one).
    pub name: String,
    /// Its subnets.
    pub subnets: Vec<SubnetId>,
    /// Its settings.
    pub params: Params,
}

/// A subnet (ISC `subnet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    /// The network.
    pub net: Ipv4Net,
    /// The shared network it belongs to.
    pub network: NetworkId,
    /// Its pools.
    pub pools: Vec<PoolId>,
    /// Its settings.
    pub params: Params,
}

/// Who may or may not get an address from a pool (ISC `allow` / `deny` in a pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Clients with a host declaration.
    KnownClients,
    /// Clients without one.
    UnknownClients,
    /// Members of a class.
    Class(ClassId),
    /// BOOTP clients (ISC `dynamic bootp clients`).
    DynamicBootp,
    /// Everyone.
    All,
    /// Every client once this moment (Unix seconds) has passed (ISC `after DATE`).
    After(u64),
    /// Authenticated clients: none, since dhcpd 4.4 authenticates no client (server/dhcp.c
    /// `permitted`: `packet->authenticated` is never set).
    Authenticated,
}

/// A pool of dynamic addresses (ISC `pool`, or the ranges written directly in a subnet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    /// The subnet it belongs to.
    pub subnet: SubnetId,
    /// Inclusive address ranges.
    pub ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// If not empty, only clients matching one of these may use the pool.
    pub allow: Vec<Permit>,
    /// Clients matching one of these may not use the pool.
    pub deny: Vec<Permit>,
    /// Its settings.
    pub params: Params,
}

/// A host declaration: a client known by hardware address or client identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Its name (ISC `host NAME`).
    pub name: String,
    /// Hardware type and address (ISC `hardware ethernet`).
    pub hardware: Option<(u8, Vec<u8>)>,
    /// Client identifier (ISC `option dhcp-client-identifier` in a host).
    pub client_id: Option<Vec<u8>>,
    /// Fixed addresses; the one inside the client's network is given (ISC `fixed-address`).
    pub fixed_addresses: Vec<Ipv4Addr>,
    /// Its settings.
    pub params: Params,
}

/// A client class (ISC `class`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// Its name.
    pub name: String,
    /// The condition for membership.
    pub condition: Match,
    /// Its settings.
    pub params: Params,
    /// How many leases its members may hold (ISC `lease limit`).
    pub lease_limit: Option<LeaseLimit>,
}

/// The whole validated configuration. Build it with [`Config::builder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Global settings.
    pub global: Params,
    /// Server-wide settings.
    pub server: ServerSettings,
    /// Dynamic DNS: the update style, conflict detection, keys and zones (the per-client
    /// settings are in each scope's [`Params`]).
    pub ddns: Ddns,
    /// Shared networks.
    pub networks: Vec<Network>,
    /// Subnets.
    pub subnets: Vec<Subnet>,
    /// Pools.
    pub pools: Vec<Pool>,
    /// Hosts.
    pub hosts: Vec<Host>,
    /// Classes, in declaration order (earlier classes' settings win).
    pub classes: Vec<Class>,
    hosts_by_hardware: HashMap<(u8, Vec<u8>), Vec<HostId>>,
    hosts_by_client_id: HashMap<Vec<u8>, Vec<HostId>>,
    /// A scope's statements read `config-option` (found when the configuration is built):
    /// scopes are then run from the outermost in, each reading the options gathered so far.
    reads_config_options: bool,
    /// A class has a lease limit (see [`Config::has_lease_limits`]).
    has_lease_limits: bool,
    /// Host names of pool addresses, for `get-lease-hostnames`: looked up by whoever runs the
    /// server (the core does no I/O) for the addresses [`Config::lease_hostname_addresses`]
    /// gives, and set here.
    pub lease_hostnames: BTreeMap<Ipv4Addr, String>,
    /// This server's slice of every pool, when it shares its leases with other servers (see
    /// [`Slice`]); set by whoever runs the server, as it learns who shares the store.
    pub slice: Option<Slice>,
    /// Whether other servers may write the lease store too (a shared database): every ACK is
    /// then written, for the store to check against what the others wrote, and none is given
    /// from memory alone (`dhcp-cache-threshold` is not applied). Set by whoever runs the
    /// server, from the store it opened.
    pub shared_store: bool,
    /// Defects of earlier versions to re-introduce (tests only).
    #[cfg(feature = "defects")]
    pub defects: Defects,
}

/// Servers sharing one lease store each prefer their own part of every pool, so that they do
/// not offer the same free addresses to different clients at the same time (the store would
/// refuse all but one, and the others' clients would have to ask again): server `index` of
/// `count` takes new addresses from the `index`-th of `count` equal parts of each pool's
/// addresses, and from the others' parts only when its own has none left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// This server's part, from 0.
    pub index: u32,
    /// How many parts (servers).
    pub count: u32,
}

/// Test-only (feature `defects`): defects of earlier versions, re-introduced on demand to show
/// that the simulator finds each of them.
#[cfg(feature = "defects")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defects {
    /// A client's own declined address counts as its current binding, so it is offered to
    /// the decliner again during probation (fixed by RFC 2131 section 4.3.3's rule).
    pub decline_reoffer: bool,
    /// A RELEASE leaves the binding in place, so the released address stays the client's
    /// until it expires (RFC 2131 section 4.3.4 frees it).
    pub release_kept: bool,
}

impl Config {
    /// A builder for a configuration.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The subnet `id`.
    pub fn subnet(&self, id: SubnetId) -> Option<&Subnet> {
        self.subnets.get(id.0 as usize)
    }

    /// The pool `id`.
    pub fn pool(&self, id: PoolId) -> Option<&Pool> {
        self.pools.get(id.0 as usize)
    }

    /// The class `id`.
    pub fn class(&self, id: ClassId) -> Option<&Class> {
        self.classes.get(id.0 as usize)
    }

    /// Whether a class limits its members' leases (dhcpd's `have_billing_classes`; found
    /// when the configuration is built).
    pub fn has_lease_limits(&self) -> bool {
        self.has_lease_limits
    }

    /// The host `id`.
    pub fn host(&self, id: HostId) -> Option<&Host> {
        self.hosts.get(id.0 as usize)
    }

    /// The network `id`.
    pub fn network(&self, id: NetworkId) -> Option<&Network> {
        self.networks.get(id.0 as usize)
    }

    /// The addresses whose host names `get-lease-hostnames` asks for: those of the pools where
    /// it is on (for a client of no class or host), at most `limit` of them.
    pub fn lease_hostname_addresses(&self, limit: usize) -> Vec<Ipv4Addr> {
        let msg = charrua_wire::Message::default();
        let request = Request::of(&msg);
        self.pools
            .iter()
            .enumerate()
            .filter(|(i, pool)| {
                self.setting(
                    pool.subnet,
                    Some(PoolId(*i as u32)),
                    &[],
                    None,
                    &request,
                    |p| p.get_lease_hostnames,
                ) == Some(true)
            })
            .flat_map(|(_, pool)| pool.ranges.iter())
            .flat_map(|(start, end)| (u32::from(*start)..=u32::from(*end)).map(Ipv4Addr::from))
            .take(limit)
            .collect()
    }

    /// The subnet whose network contains `addr`: the narrowest of those that do, the first
    /// declared among equals (dhcpd keeps its subnets narrowest first: server/mdb.c
    /// enter_subnet, subnet_inner_than).
    pub fn subnet_of(&self, addr: Ipv4Addr) -> Option<SubnetId> {
        narrowest(
            self.subnets
                .iter()
                .enumerate()
                .map(|(i, s)| (SubnetId(i as u32), s)),
            addr,
        )
    }

    /// The pool with a range containing `addr`.
    pub fn pool_of(&self, addr: Ipv4Addr) -> Option<PoolId> {
        let a = u32::from(addr);
        self.pools
            .iter()
            .position(|p| {
                p.ranges
                    .iter()
                    .any(|(s, e)| (u32::from(*s)..=u32::from(*e)).contains(&a))
            })
            .map(|i| PoolId(i as u32))
    }

    /// The host declared for a client on shared network `network`, by client identifier
    /// first, then hardware address. Of several declarations with the client's identity (one
    /// per network, as sites write them), the one with a fixed address on the network, else
    /// the first without a fixed address, else the first (server/dhcp.c
    /// `find_host_for_network`, and `ack_lease` for dynamic leases).
    pub fn host_for(
        &self,
        client_id: Option<&[u8]>,
        htype: u8,
        hardware: &[u8],
        network: Option<NetworkId>,
    ) -> Option<HostId> {
        let candidates = client_id
            .and_then(|id| self.hosts_by_client_id.get(id))
            .or_else(|| self.hosts_by_hardware.get(&(htype, hardware.to_vec())))?;
        let host = |id: &HostId| self.host(*id);
        let on_network = |id: &&HostId| {
            host(id).is_some_and(|h| {
                h.fixed_addresses.iter().any(|a| {
                    network.is_some()
                        && self
                            .subnet_of(*a)
                            .and_then(|s| self.subnet(s))
                            .map(|s| s.network)
                            == network
                })
            })
        };
        let dynamic = |id: &&HostId| host(id).is_some_and(|h| h.fixed_addresses.is_empty());
        candidates
            .iter()
            .find(on_network)
            .or_else(|| candidates.iter().find(dynamic))
            .or(candidates.first())
            .copied()
    }

    /// The scopes a client's settings come from, innermost first: host, classes (in order),
    /// pool, subnet, shared network, global (reversed, the order dhcpd runs them in).
    fn own_scopes<'a>(
        &'a self,
        subnet: Option<SubnetId>,
        pool: Option<PoolId>,
        classes: &'a [ClassId],
        host: Option<HostId>,
    ) -> impl DoubleEndedIterator<Item = &'a Params> + 'a {
        let subnet = subnet.and_then(|s| self.subnet(s));
        let host = host.and_then(|h| self.host(h)).map(|h| &h.params);
        let classes = classes
            .iter()
            .filter_map(|c| self.classes.get(c.0 as usize))
            .map(|c| &c.params);
        let pool = pool.and_then(|p| self.pool(p)).map(|p| &p.params);
        let network = subnet
            .and_then(|s| self.network(s.network))
            .map(|n| &n.params);
        host.into_iter()
            .chain(classes)
            .chain(pool)
            .chain(subnet.map(|s| &s.params))
            .chain(network)
            .chain(std::iter::once(&self.global))
    }

    /// [`Config::own_scopes`], each with its statements run for `request`.
    fn scopes<'a>(
        &'a self,
        subnet: SubnetId,
        pool: Option<PoolId>,
        classes: &'a [ClassId],
        host: Option<HostId>,
        request: &'a Request<'a>,
    ) -> impl Iterator<Item = Cow<'a, Params>> + 'a {
        let lazy = (!self.reads_config_options).then(|| {
            self.own_scopes(Some(subnet), pool, classes, host)
                .map(move |p| p.evaluated(request))
        });
        let gathered = self.reads_config_options.then(|| {
            self.gathered_scopes(subnet, pool, classes, host, request)
                .into_iter()
        });
        lazy.into_iter()
            .flatten()
            .chain(gathered.into_iter().flatten())
    }

    /// [`Config::scopes`] where statements read `config-option`: dhcpd runs the scopes'
    /// statements from the outermost in, into the options of the reply, which `config-option`
    /// reads (server/dhcp.c `ack_lease`, common/tree.c): each scope's statements read the
    /// options of the scopes outside it, as they ran, and its own.
    fn gathered_scopes<'a>(
        &'a self,
        subnet: SubnetId,
        pool: Option<PoolId>,
        classes: &'a [ClassId],
        host: Option<HostId>,
        request: &Request<'_>,
    ) -> Vec<Cow<'a, Params>> {
        let mut gathered = Options::new();
        let mut evaluated: Vec<Cow<'a, Params>> = self
            .own_scopes(Some(subnet), pool, classes, host)
            .rev()
            .map(|scope| {
                gather(&mut gathered, &scope.options);
                let now = Request {
                    configured: Some(&gathered),
                    ..*request
                };
                let done: Params = scope.evaluated(&now).into_owned();
                gather(&mut gathered, &done.options);
                Cow::Owned(done)
            })
            .collect();
        evaluated.reverse();
        evaluated
    }

    /// Runs `each` on the client's scopes from the outermost in, with `request` reading with
    /// `config-option` the options of that scope and of those outside it (their own; the
    /// options their statements set are gathered by [`Config::params_for`] only).
    fn outermost_first<'a>(
        &'a self,
        own: impl DoubleEndedIterator<Item = &'a Params>,
        request: &Request<'_>,
        mut each: impl FnMut(&'a Params, &Request<'_>),
    ) {
        if !self.reads_config_options {
            own.rev().for_each(|scope| each(scope, request));
            return;
        }
        let mut gathered = Options::new();
        for scope in own.rev() {
            gather(&mut gathered, &scope.options);
            let now = Request {
                configured: Some(&gathered),
                ..*request
            };
            each(scope, &now);
        }
    }

    /// What the `log` and `execute` statements of a client's scopes ask for `request`, from the
    /// outermost scope in, as dhcpd runs a scope's statements for each reply (server/dhcp.c
    /// `ack_lease`).
    pub fn scope_effects(
        &self,
        subnet: Option<SubnetId>,
        pool: Option<PoolId>,
        classes: &[ClassId],
        host: Option<HostId>,
        request: &Request<'_>,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        let own = self.own_scopes(subnet, pool, classes, host);
        self.outermost_first(own, request, |scope, now| scope.effects(now, &mut effects));
        effects
    }

    /// The variables the `set` statements of a client's scopes give `request`, bound from the
    /// outermost scope in (global, shared network, subnet, classes from the last, host), as
    /// dhcpd runs them (server/dhcp.c `ack_lease`, common/execute.c).
    pub fn variables(
        &self,
        subnet: Option<SubnetId>,
        classes: &[ClassId],
        host: Option<HostId>,
        request: &Request<'_>,
    ) -> Vec<(String, Datum)> {
        let mut variables = Vec::new();
        let own = self.own_scopes(subnet, None, classes, host);
        self.outermost_first(own, request, |scope, now| scope.bind(now, &mut variables));
        variables
    }

    /// One setting for a client, read through its scopes without building the whole `Params`
    /// (the hot path asks for single settings such as the server identifier).
    pub fn setting<T>(
        &self,
        subnet: SubnetId,
        pool: Option<PoolId>,
        classes: &[ClassId],
        host: Option<HostId>,
        request: &Request<'_>,
        get: impl Fn(&Params) -> Option<T>,
    ) -> Option<T> {
        self.scopes(subnet, pool, classes, host, request)
            .find_map(|p| get(&p))
    }

    /// Settings for a client: host > classes (in order) > pool > subnet > shared network > global.
    pub fn params_for(
        &self,
        subnet: SubnetId,
        pool: Option<PoolId>,
        classes: &[ClassId],
        host: Option<HostId>,
        request: &Request<'_>,
    ) -> Params {
        let mut params = Params::default();
        for scope in self.scopes(subnet, pool, classes, host, request) {
            params.inherit(&scope);
        }
        params
    }

    /// The settings of every scope: global, shared networks, subnets, pools, hosts, classes.
    fn all_params(&self) -> impl Iterator<Item = &Params> {
        std::iter::once(&self.global)
            .chain(self.networks.iter().map(|n| &n.params))
            .chain(self.subnets.iter().map(|s| &s.params))
            .chain(self.pools.iter().map(|p| &p.params))
            .chain(self.hosts.iter().map(|h| &h.params))
            .chain(self.classes.iter().map(|c| &c.params))
    }

    /// The classes `request` belongs to, in declaration order.
    pub fn classes_of(&self, request: &Request<'_>) -> Vec<ClassId> {
        self.classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.condition.matches(request))
            .map(|(i, _)| ClassId(i as u32))
            .collect()
    }
}

/// Lays `options` over `gathered`.
fn gather(gathered: &mut Options, options: &Options) {
    for (code, value) in options.iter() {
        gathered.insert(code, value);
    }
}

/// Of `subnets`, the narrowest that contains `addr` (the first of equals).
pub(crate) fn narrowest<'a>(
    subnets: impl Iterator<Item = (SubnetId, &'a Subnet)>,
    addr: Ipv4Addr,
) -> Option<SubnetId> {
    subnets
        .filter(|(_, s)| s.net.contains(addr))
        .fold(None, |best: Option<(SubnetId, u32)>, (id, s)| {
            let width = u32::from(s.net.netmask()).count_ones();
            match best {
                Some((_, w)) if w >= width => best,
                _ => Some((id, width)),
            }
        })
        .map(|(id, _)| id)
}
