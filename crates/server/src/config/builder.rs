//! The Rust builder API for a [`Config`]: scopes nest as closures, the way dhcpd.conf nests
//! braces.
//!
//! ```
//! use charrua_server::config::{Config, ScopeBuilder};
//! use charrua_wire::{OptionCode, Value};
//! use std::net::Ipv4Addr;
//!
//! let config = Config::builder()
//!     .default_lease_time(600)
//!     .option(OptionCode::DOMAIN_NAME_SERVERS, Value::IpList(vec![Ipv4Addr::new(198, 18, 0, 53)]))
//!     .subnet("198.18.0.0/24".parse().unwrap(), |s| {
//!         s.range(Ipv4Addr::new(198, 18, 0, 100), Ipv4Addr::new(198, 18, 0, 199))
//!             .option(OptionCode::ROUTERS, Value::IpList(vec![Ipv4Addr::new(198, 18, 0, 1)]))
//!     })
//!     .host("printer", |h| {
//!         h.hardware_ethernet([2, 0, 0, 0, 0, 9]).fixed_address(Ipv4Addr::new(198, 18, 0, 9))
//!     })
//!     .build()
//!     .unwrap();
//! assert_eq!(config.subnets.len(), 1);
//! ```

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use charrua_wire::{OptionCode, Value};

use super::{
    Class, ClassId, Config, ConfigError, Ddns, Host, HostId, LeaseLimit, Match, Network, NetworkId,
    Params, Permit, Pool, PoolId, ServerSettings, Subnet, SubnetId,
};
use crate::net::Ipv4Net;

/// Settings every scope can carry. Each method sets one field of the scope's [`Params`].
pub trait ScopeBuilder: Sized {
    /// The scope's settings.
    fn params_mut(&mut self) -> &mut Params;

    /// Sends option `code` with `value`.
    fn option(mut self, code: OptionCode, value: Value) -> Self {
        self.params_mut().set_option(code, &value);
        self
    }
    /// Sends option `code` with raw `value`.
    fn option_raw(mut self, code: OptionCode, value: &[u8]) -> Self {
        self.params_mut().options.insert(code, value);
        self
    }
    /// ISC `default-lease-time`.
    fn default_lease_time(mut self, seconds: u32) -> Self {
        self.params_mut().default_lease_time = Some(seconds);
        self
    }
    /// ISC `min-lease-time`.
    fn min_lease_time(mut self, seconds: u32) -> Self {
        self.params_mut().min_lease_time = Some(seconds);
        self
    }
    /// ISC `max-lease-time`; `u32::MAX` allows infinite leases.
    fn max_lease_time(mut self, seconds: u32) -> Self {
        self.params_mut().max_lease_time = Some(seconds);
        self
    }
    /// T1 (option 58) in seconds.
    fn renewal_time(mut self, seconds: u32) -> Self {
        self.params_mut().renewal_time = Some(seconds);
        self
    }
    /// T2 (option 59) in seconds.
    fn rebinding_time(mut self, seconds: u32) -> Self {
        self.params_mut().rebinding_time = Some(seconds);
        self
    }
    /// ISC `authoritative` / `not authoritative`.
    fn authoritative(mut self, yes: bool) -> Self {
        self.params_mut().authoritative = Some(yes);
        self
    }
    /// ISC `next-server`.
    fn next_server(mut self, addr: Ipv4Addr) -> Self {
        self.params_mut().next_server = Some(addr);
        self
    }
    /// ISC `filename`.
    fn filename(mut self, name: &str) -> Self {
        self.params_mut().filename = Some(name.as_bytes().to_vec());
        self
    }
    /// ISC `server-name`.
    fn server_name(mut self, name: &str) -> Self {
        self.params_mut().server_name = Some(name.as_bytes().to_vec());
        self
    }
    /// ISC `server-identifier`.
    fn server_identifier(mut self, addr: Ipv4Addr) -> Self {
        self.params_mut().server_identifier = Some(addr);
        self
    }
    /// ISC `allow bootp` / `deny bootp`.
    fn bootp(mut self, yes: bool) -> Self {
        self.params_mut().bootp = Some(yes);
        self
    }
    /// ISC `boot-unknown-clients` (`deny unknown-clients` outside a pool): whether clients no
    /// host declaration names are answered.
    fn boot_unknown_clients(mut self, yes: bool) -> Self {
        self.params_mut().boot_unknown_clients = Some(yes);
        self
    }
    /// ISC `allow booting` / `deny booting`: whether the client is answered at all.
    fn booting(mut self, yes: bool) -> Self {
        self.params_mut().booting = Some(yes);
        self
    }
    /// ISC `dynamic-bootp-lease-length`.
    fn bootp_lease_time(mut self, seconds: u32) -> Self {
        self.params_mut().bootp_lease_time = Some(seconds);
        self
    }
    /// ISC `echo-client-id`: send option 61 back (RFC 6842).
    fn echo_client_id(mut self, yes: bool) -> Self {
        self.params_mut().echo_client_id = Some(yes);
        self
    }
    /// ISC `use-host-decl-names`: a host's declaration name as its option 12.
    fn use_host_decl_names(mut self, yes: bool) -> Self {
        self.params_mut().use_host_decl_names = Some(yes);
        self
    }
    /// ISC `dhcp-cache-threshold`: how young, in percent of its length, a binding may be to be
    /// acknowledged again unchanged (25 by default; 0 never).
    fn cache_threshold(mut self, percent: u8) -> Self {
        self.params_mut().cache_threshold = Some(percent);
        self
    }
    /// ISC `ping-check` and `ping-timeout-ms`: probe an address with an ICMP echo, waiting
    /// `timeout_ms` for a reply, before offering it (on, 1000 ms, by default).
    fn ping_check(mut self, yes: bool, timeout_ms: u32) -> Self {
        let params = self.params_mut();
        params.ping_check = Some(yes);
        params.ping_timeout_ms = Some(timeout_ms);
        self
    }
    /// ISC `always-broadcast`: OFFERs and ACKs with the broadcast bit set.
    fn always_broadcast(mut self, yes: bool) -> Self {
        self.params_mut().always_broadcast = Some(yes);
        self
    }
    /// ISC `one-lease-per-client`: a REQUEST releases the client's other leases.
    fn one_lease_per_client(mut self, yes: bool) -> Self {
        self.params_mut().one_lease_per_client = Some(yes);
        self
    }
    /// Honour rapid commit (RFC 4039).
    fn rapid_commit(mut self, yes: bool) -> Self {
        self.params_mut().rapid_commit = Some(yes);
        self
    }
    /// Takes every setting of `params` that this scope does not set (an ISC `group`).
    fn inherit(mut self, params: &Params) -> Self {
        self.params_mut().inherit(params);
        self
    }
}

/// Who a pool admits, by name until the classes are known.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PermitName {
    Known,
    Unknown,
    Class(String),
    DynamicBootp,
    All,
    After(u64),
    Authenticated,
}

/// A pool being built.
#[derive(Debug, Clone, Default)]
pub struct PoolBuilder {
    params: Params,
    ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    allow: Vec<PermitName>,
    deny: Vec<PermitName>,
}

impl ScopeBuilder for PoolBuilder {
    fn params_mut(&mut self) -> &mut Params {
        &mut self.params
    }
}

impl PoolBuilder {
    /// Adds the inclusive range `start..=end`.
    pub fn range(mut self, start: Ipv4Addr, end: Ipv4Addr) -> Self {
        self.ranges.push((start, end));
        self
    }
    /// ISC `allow known-clients`.
    pub fn allow_known_clients(mut self) -> Self {
        self.allow.push(PermitName::Known);
        self
    }
    /// ISC `deny known-clients`.
    pub fn deny_known_clients(mut self) -> Self {
        self.deny.push(PermitName::Known);
        self
    }
    /// ISC `allow unknown-clients`.
    pub fn allow_unknown_clients(mut self) -> Self {
        self.allow.push(PermitName::Unknown);
        self
    }
    /// ISC `deny unknown-clients`.
    pub fn deny_unknown_clients(mut self) -> Self {
        self.deny.push(PermitName::Unknown);
        self
    }
    /// ISC `allow members of "class"`.
    pub fn allow_class(mut self, class: &str) -> Self {
        self.allow.push(PermitName::Class(class.to_string()));
        self
    }
    /// ISC `deny members of "class"`.
    pub fn deny_class(mut self, class: &str) -> Self {
        self.deny.push(PermitName::Class(class.to_string()));
        self
    }
    /// ISC `allow dynamic bootp clients`.
    pub fn allow_dynamic_bootp(mut self) -> Self {
        self.allow.push(PermitName::DynamicBootp);
        self
    }
    /// ISC `deny dynamic bootp clients`.
    pub fn deny_dynamic_bootp(mut self) -> Self {
        self.deny.push(PermitName::DynamicBootp);
        self
    }
    /// ISC `allow all clients`.
    pub fn allow_all(mut self) -> Self {
        self.allow.push(PermitName::All);
        self
    }
    /// ISC `deny all clients`.
    pub fn deny_all(mut self) -> Self {
        self.deny.push(PermitName::All);
        self
    }
    /// ISC `allow authenticated clients` (no one).
    pub fn allow_authenticated(mut self) -> Self {
        self.allow.push(PermitName::Authenticated);
        self
    }
    /// ISC `deny authenticated clients`.
    pub fn deny_authenticated(mut self) -> Self {
        self.deny.push(PermitName::Authenticated);
        self
    }
    /// ISC `allow after DATE` (`moment` in Unix seconds).
    pub fn allow_after(mut self, moment: u64) -> Self {
        self.allow.push(PermitName::After(moment));
        self
    }
    /// ISC `deny after DATE`.
    pub fn deny_after(mut self, moment: u64) -> Self {
        self.deny.push(PermitName::After(moment));
        self
    }
}

/// A subnet being built.
#[derive(Debug, Clone)]
pub struct SubnetBuilder {
    net: Ipv4Net,
    params: Params,
    pools: Vec<PoolBuilder>,
    ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
}

impl ScopeBuilder for SubnetBuilder {
    fn params_mut(&mut self) -> &mut Params {
        &mut self.params
    }
}

impl SubnetBuilder {
    /// A range directly in the subnet (ISC `range` outside a pool): its own pool, open to all.
    pub fn range(mut self, start: Ipv4Addr, end: Ipv4Addr) -> Self {
        self.ranges.push((start, end));
        self
    }
    /// A pool (ISC `pool { ... }`).
    pub fn pool(mut self, build: impl FnOnce(PoolBuilder) -> PoolBuilder) -> Self {
        self.pools.push(build(PoolBuilder::default()));
        self
    }
}

/// A shared network being built.
#[derive(Debug, Clone)]
pub struct NetworkBuilder {
    name: String,
    params: Params,
    subnets: Vec<SubnetBuilder>,
}

impl ScopeBuilder for NetworkBuilder {
    fn params_mut(&mut self) -> &mut Params {
        &mut self.params
    }
}

impl NetworkBuilder {
    /// A subnet on this network.
    pub fn subnet(
        mut self,
        net: Ipv4Net,
        build: impl FnOnce(SubnetBuilder) -> SubnetBuilder,
    ) -> Self {
        let subnet = SubnetBuilder {
            net,
            params: Params::default(),
            pools: Vec::new(),
            ranges: Vec::new(),
        };
        self.subnets.push(build(subnet));
        self
    }
}

/// A host being built.
#[derive(Debug, Clone)]
pub struct HostBuilder {
    host: Host,
}

impl ScopeBuilder for HostBuilder {
    fn params_mut(&mut self) -> &mut Params {
        &mut self.host.params
    }
}

impl HostBuilder {
    /// ISC `hardware ethernet`.
    pub fn hardware_ethernet(self, mac: [u8; 6]) -> Self {
        self.hardware(1, &mac)
    }
    /// A hardware address of type `htype`.
    pub fn hardware(mut self, htype: u8, addr: &[u8]) -> Self {
        self.host.hardware = Some((htype, addr.to_vec()));
        self
    }
    /// A client identifier (option 61 contents).
    pub fn client_id(mut self, id: &[u8]) -> Self {
        self.host.client_id = Some(id.to_vec());
        self
    }
    /// ISC `fixed-address` (may be given several times, one per network).
    pub fn fixed_address(mut self, addr: Ipv4Addr) -> Self {
        self.host.fixed_addresses.push(addr);
        self
    }
}

/// A class being built.
#[derive(Debug, Clone)]
pub struct ClassBuilder {
    class: Class,
}

impl ScopeBuilder for ClassBuilder {
    fn params_mut(&mut self) -> &mut Params {
        &mut self.class.params
    }
}

impl ClassBuilder {
    /// How many leases the class's members may hold at once (ISC `lease limit`).
    pub fn lease_limit(mut self, limit: LeaseLimit) -> Self {
        self.class.lease_limit = Some(limit);
        self
    }
}

/// Builds a [`Config`]. The builder itself is the global scope.
#[derive(Debug, Clone, Default)]
pub struct ConfigBuilder {
    global: Params,
    server: ServerSettings,
    ddns: Ddns,
    networks: Vec<NetworkBuilder>,
    hosts: Vec<HostBuilder>,
    classes: Vec<ClassBuilder>,
}

impl ScopeBuilder for ConfigBuilder {
    fn params_mut(&mut self) -> &mut Params {
        &mut self.global
    }
}

impl ConfigBuilder {
    /// A subnet on a link of its own.
    pub fn subnet(self, net: Ipv4Net, build: impl FnOnce(SubnetBuilder) -> SubnetBuilder) -> Self {
        self.shared_network(&net.to_string(), |n| n.subnet(net, build))
    }
    /// A shared network (ISC `shared-network NAME { subnet ... }`).
    pub fn shared_network(
        mut self,
        name: &str,
        build: impl FnOnce(NetworkBuilder) -> NetworkBuilder,
    ) -> Self {
        let network = NetworkBuilder {
            name: name.to_string(),
            params: Params::default(),
            subnets: Vec::new(),
        };
        self.networks.push(build(network));
        self
    }
    /// A host (ISC `host NAME { ... }`).
    pub fn host(mut self, name: &str, build: impl FnOnce(HostBuilder) -> HostBuilder) -> Self {
        let host = Host {
            name: name.to_string(),
            hardware: None,
            client_id: None,
            fixed_addresses: Vec::new(),
            params: Params::default(),
        };
        self.hosts.push(build(HostBuilder { host }));
        self
    }
    /// A class (ISC `class "NAME" { match if ...; }`).
    pub fn class(
        mut self,
        name: &str,
        condition: Match,
        build: impl FnOnce(ClassBuilder) -> ClassBuilder,
    ) -> Self {
        let class = Class {
            name: name.to_string(),
            condition,
            params: Params::default(),
            lease_limit: None,
        };
        self.classes.push(build(ClassBuilder { class }));
        self
    }
    /// A group (ISC `group { ... }`): the settings of the inner builder's global scope are
    /// inherited by the networks, hosts and classes declared in it.
    pub fn group(mut self, build: impl FnOnce(Self) -> Self) -> Self {
        let inner = build(Self::default());
        let params = inner.global;
        self.networks
            .extend(inner.networks.into_iter().map(|n| n.inherit(&params)));
        self.hosts
            .extend(inner.hosts.into_iter().map(|h| h.inherit(&params)));
        self.classes
            .extend(inner.classes.into_iter().map(|c| c.inherit(&params)));
        self
    }
    /// How long offers are held, in seconds.
    pub fn offer_hold(mut self, seconds: u32) -> Self {
        self.server.offer_hold = seconds;
        self
    }
    /// How long declined addresses stay unavailable, in seconds.
    pub fn decline_probation(mut self, seconds: u32) -> Self {
        self.server.decline_probation = seconds;
        self
    }
    /// Most relay hops accepted (RFC 1542 section 4.1.1 suggests 16).
    pub fn max_hops(mut self, hops: u8) -> Self {
        self.server.max_hops = hops;
        self
    }
    /// Largest reply payload the links carry.
    pub fn max_payload(mut self, octets: usize) -> Self {
        self.server.max_payload = octets.max(548);
        self
    }
    /// The server-wide dynamic DNS settings (ISC `ddns-update-style`, `key`, `zone`...).
    pub fn ddns(mut self, ddns: Ddns) -> Self {
        self.ddns = ddns;
        self
    }

    /// Validates and builds the configuration.
    pub fn build(self) -> Result<Config, ConfigError> {
        let classes = build_classes(self.classes)?;
        let class_id = |name: &str| {
            classes
                .iter()
                .position(|c| c.name == name)
                .map(|i| ClassId(i as u32))
                .ok_or_else(|| ConfigError::UnknownClass(name.to_string()))
        };
        let permit = |p: &PermitName| -> Result<Permit, ConfigError> {
            Ok(match p {
                PermitName::Known => Permit::KnownClients,
                PermitName::Unknown => Permit::UnknownClients,
                PermitName::Class(name) => Permit::Class(class_id(name)?),
                PermitName::DynamicBootp => Permit::DynamicBootp,
                PermitName::All => Permit::All,
                PermitName::After(moment) => Permit::After(*moment),
                PermitName::Authenticated => Permit::Authenticated,
            })
        };
        let (mut networks, mut subnets, mut pools) = (Vec::new(), Vec::new(), Vec::new());
        for network in self.networks {
            let network_id = NetworkId(networks.len() as u32);
            let mut members = Vec::new();
            for subnet in network.subnets {
                let subnet_id = SubnetId(subnets.len() as u32);
                let mut pool_ids = Vec::new();
                let implicit = (!subnet.ranges.is_empty()).then(|| PoolBuilder {
                    ranges: subnet.ranges,
                    ..PoolBuilder::default()
                });
                for pool in implicit.into_iter().chain(subnet.pools) {
                    pool_ids.push(PoolId(pools.len() as u32));
                    pools.push(Pool {
                        subnet: subnet_id,
                        ranges: pool.ranges,
                        allow: pool.allow.iter().map(permit).collect::<Result<_, _>>()?,
                        deny: pool.deny.iter().map(permit).collect::<Result<_, _>>()?,
                        params: pool.params,
                    });
                }
                members.push(subnet_id);
                subnets.push(Subnet {
                    net: subnet.net,
                    network: network_id,
                    pools: pool_ids,
                    params: subnet.params,
                });
            }
            networks.push(Network {
                name: network.name,
                subnets: members,
                params: network.params,
            });
        }
        let hosts: Vec<Host> = self.hosts.into_iter().map(|h| h.host).collect();
        let mut config = Config {
            global: self.global,
            server: self.server,
            ddns: self.ddns,
            networks,
            subnets,
            pools,
            hosts,
            classes,
            hosts_by_hardware: HashMap::new(),
            hosts_by_client_id: HashMap::new(),
            reads_config_options: false,
            has_lease_limits: false,
            lease_hostnames: BTreeMap::new(),
            slice: None,
            shared_store: false,
            #[cfg(feature = "defects")]
            defects: super::Defects::default(),
        };
        validate_addresses(&config)?;
        index_hosts(&mut config)?;
        let reads = config.all_params().any(Params::reads_config_options);
        config.reads_config_options = reads;
        config.has_lease_limits = config.classes.iter().any(|c| c.lease_limit.is_some());
        Ok(config)
    }
}

fn build_classes(builders: Vec<ClassBuilder>) -> Result<Vec<Class>, ConfigError> {
    let mut classes: Vec<Class> = Vec::new();
    for b in builders {
        if classes.iter().any(|c| c.name == b.class.name) {
            return Err(ConfigError::DuplicateClass(b.class.name));
        }
        classes.push(b.class);
    }
    Ok(classes)
}

/// Ranges inside their subnets and apart; fixed addresses outside ranges. Subnets may overlap,
/// as in dhcpd: an address belongs to the narrowest (see [`Config::subnet_of`]).
fn validate_addresses(config: &Config) -> Result<(), ConfigError> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for pool in &config.pools {
        let subnet = config.subnet(pool.subnet).map(|s| s.net);
        for &(start, end) in &pool.ranges {
            if u32::from(start) > u32::from(end) {
                return Err(ConfigError::RangeReversed { start, end });
            }
            if let Some(subnet) = subnet.filter(|n| !n.contains(start) || !n.contains(end)) {
                return Err(ConfigError::RangeOutsideSubnet { start, end, subnet });
            }
            ranges.push((u32::from(start), u32::from(end)));
        }
    }
    ranges.sort_unstable();
    let show = |(s, e): (u32, u32)| (Ipv4Addr::from(s), Ipv4Addr::from(e));
    for pair in ranges.windows(2) {
        if let [a, b] = pair {
            if a.1 >= b.0 {
                return Err(ConfigError::OverlappingRanges(show(*a), show(*b)));
            }
        }
    }
    for host in &config.hosts {
        if let Some(&address) = host
            .fixed_addresses
            .iter()
            .find(|a| config.pool_of(**a).is_some())
        {
            return Err(ConfigError::FixedAddressInRange {
                host: host.name.clone(),
                address,
            });
        }
    }
    Ok(())
}

fn index_hosts(config: &mut Config) -> Result<(), ConfigError> {
    for (i, host) in config.hosts.iter().enumerate() {
        let id = HostId(i as u32);
        if host.hardware.is_none() && host.client_id.is_none() {
            return Err(ConfigError::HostWithoutIdentity(host.name.clone()));
        }
        // Several hosts may share an identity, one per network (Config::host_for).
        if let Some(hw) = &host.hardware {
            config
                .hosts_by_hardware
                .entry(hw.clone())
                .or_default()
                .push(id);
        }
        if let Some(cid) = &host.client_id {
            config
                .hosts_by_client_id
                .entry(cid.clone())
                .or_default()
                .push(id);
        }
    }
    Ok(())
}
