//! What every handler needs to know about a request: who the client is, which link and
//! network it is on, its host declaration and classes, and our server identifier.

use std::net::Ipv4Addr;

use charrua_wire::{Message, MessageType, OptionCode};

use super::{IgnoreReason, Received};
use crate::config::{
    agent_sub_option, ClassId, Config, Datum, Effect, HostId, LeaseEvent, NetworkId, Params,
    Permit, PoolId, Ran, Request, SubnetId,
};
use crate::lease::{ClientKey, LeaseChange, LeaseDb, LeaseState};

/// Longest client identifier accepted: one option instance's worth.
const MAX_CLIENT_ID: usize = 255;
/// Longest relay agent information kept with a lease: one option instance's worth.
const MAX_STASHED_AGENT_OPTIONS: usize = 255;
/// Relay agent sub-option: link selection (RFC 3527).
const AGENT_LINK_SELECTION: u8 = 5;
/// Relay agent sub-option: server identifier override (RFC 5107).
const AGENT_SERVER_ID_OVERRIDE: u8 = 11;

pub(crate) struct Context<'a> {
    pub(crate) config: &'a Config,
    pub(crate) db: &'a LeaseDb,
    pub(crate) rx: &'a Received,
    pub(crate) msg: &'a Message,
    pub(crate) now: u64,
    pub(crate) client: ClientKey,
    /// giaddr is set: the message came through a relay (option 82 may be trusted, rule A10).
    pub(crate) relayed: bool,
    /// The subnet of the link the client is on, if configured.
    pub(crate) link: Option<SubnetId>,
    pub(crate) host: Option<HostId>,
    pub(crate) classes: Vec<ClassId>,
    /// What goes in option 54 (item 33).
    pub(crate) server_id: Ipv4Addr,
    /// The variables the configuration's `set` statements give the request.
    pub(crate) variables: Vec<(String, Datum)>,
    /// The relay agent information trusted for the request (see [`Request::agent_options`]).
    pub(crate) agent_options: Option<&'a [u8]>,
}

fn ip4(raw: Option<&[u8]>) -> Option<Ipv4Addr> {
    raw.and_then(|r| <[u8; 4]>::try_from(r).ok())
        .map(Ipv4Addr::from)
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        config: &'a Config,
        db: &'a LeaseDb,
        rx: &'a Received,
        now: u64,
    ) -> Result<Self, IgnoreReason> {
        let msg = &rx.message;
        let client = client_key(msg)?;
        let relayed = !msg.giaddr.is_unspecified();
        let link = select_link(config, rx, relayed);
        let hardware = msg.hardware_address();
        let network = link.and_then(|s| config.subnet(s)).map(|s| s.network);
        let host = config.host_for(
            msg.options.client_identifier(),
            msg.htype,
            hardware,
            network,
        );
        let agent_options = if relayed {
            msg.options.relay_agent_information()
        } else {
            stashed_agent_options(db, msg, &client, now)
        };
        let mut request = Request {
            agent_options,
            host: host.and_then(|h| config.host(h)).map(|h| h.name.as_str()),
            ..Request::of(msg)
        };
        let classes = config.classes_of(&request);
        let variables = config.variables(link, &classes, host, &request);
        request.variables = &variables;
        let agent = msg.options.relay_agent_information();
        // RFC 5107: a relay may ask to be named as the server, so that renewals come through it.
        let override_id = agent
            .filter(|_| relayed)
            .and_then(|a| ip4(agent_sub_option(a, AGENT_SERVER_ID_OVERRIDE)));
        let configured = link
            .and_then(|s| config.setting(s, None, &[], None, &request, |p| p.server_identifier));
        let server_id = override_id.or(configured).unwrap_or(rx.interface_address);
        Ok(Self {
            config,
            db,
            rx,
            msg,
            now,
            client,
            relayed,
            link,
            host,
            classes,
            server_id,
            variables,
            agent_options,
        })
    }

    /// The shared network of the link.
    pub(crate) fn network(&self) -> Option<NetworkId> {
        self.link
            .and_then(|s| self.config.subnet(s))
            .map(|s| s.network)
    }

    /// The subnets on the client's link (its shared network).
    pub(crate) fn network_subnets(&self) -> &'a [SubnetId] {
        let config: &'a Config = self.config;
        self.network()
            .and_then(|n| config.network(n))
            .map(|n| n.subnets.as_slice())
            .unwrap_or_default()
    }

    /// The subnet on the client's link that contains `addr`.
    pub(crate) fn subnet_on_link(&self, addr: Ipv4Addr) -> Option<SubnetId> {
        crate::config::narrowest(
            self.network_subnets()
                .iter()
                .filter_map(|id| Some((*id, self.config.subnet(*id)?))),
            addr,
        )
    }

    /// Whether `addr` names this server (items 34, 35): our identifier for this request, the
    /// receiving interface's address, or any configured server identifier.
    pub(crate) fn is_ours(&self, addr: Ipv4Addr) -> bool {
        addr == self.server_id
            || addr == self.rx.interface_address
            || self.config.global.server_identifier == Some(addr)
            || self
                .config
                .subnets
                .iter()
                .any(|s| s.params.server_identifier == Some(addr))
    }

    /// The fixed address of the client's host declaration on its link.
    pub(crate) fn fixed_address(&self) -> Option<Ipv4Addr> {
        let host = self.config.host(self.host?)?;
        host.fixed_addresses
            .iter()
            .copied()
            .find(|a| self.subnet_on_link(*a).is_some())
    }

    /// Whether the client may take addresses from `pool` (ISC allow/deny; `bootp` for a BOOTP
    /// client, which needs `allow dynamic bootp clients`).
    pub(crate) fn permitted(&self, pool: PoolId, bootp: bool) -> bool {
        let Some(pool) = self.config.pool(pool) else {
            return false;
        };
        let matches = |p: &Permit| match p {
            Permit::KnownClients => self.host.is_some(),
            Permit::UnknownClients => self.host.is_none(),
            Permit::Class(c) => self.classes.contains(c),
            Permit::DynamicBootp => bootp,
            Permit::All => true,
            Permit::After(moment) => self.now > *moment,
            Permit::Authenticated => false,
        };
        if pool.deny.iter().any(matches) {
            return false;
        }
        if bootp && !pool.allow.contains(&Permit::DynamicBootp) {
            return false;
        }
        // `allow dynamic bootp clients` adds BOOTP clients; it does not restrict DHCP ones.
        let mut allow = pool
            .allow
            .iter()
            .filter(|p| bootp || **p != Permit::DynamicBootp)
            .peekable();
        allow.peek().is_none() || allow.any(matches)
    }

    /// Pools on the client's link it may use, in configuration order.
    pub(crate) fn pools(&self, bootp: bool) -> Vec<PoolId> {
        self.network_subnets()
            .iter()
            .filter_map(|s| self.config.subnet(*s))
            .flat_map(|s| s.pools.iter().copied())
            .filter(|p| self.permitted(*p, bootp))
            .collect()
    }

    /// Whether `addr` may be given to this client: a pool address on its link that it may use,
    /// and free or this client's offer or binding. An address under decline probation is
    /// nobody's, the decliner's included (RFC 2131 section 4.3.3).
    pub(crate) fn available(&self, addr: Ipv4Addr, bootp: bool) -> bool {
        let Some(pool) = self.db.pool_of(addr) else {
            return false;
        };
        let on_link = self
            .config
            .pool(pool)
            .is_some_and(|p| self.network_subnets().contains(&p.subnet));
        let holder = self.db.get(addr).filter(|l| l.occupies(self.now));
        on_link
            && self.permitted(pool, bootp)
            && holder.is_none_or(|l| l.is_binding_of(&self.client, self.now))
    }

    /// Settings for an address: host > classes > pool > subnet > network > global.
    pub(crate) fn params_for(&self, addr: Ipv4Addr) -> Params {
        let subnet = self.subnet_on_link(addr).or(self.link);
        let pool = self.db.pool_of(addr);
        match subnet {
            Some(subnet) => self.config.params_for(
                subnet,
                pool,
                &self.classes,
                self.host,
                &self.request(Some(addr)),
            ),
            None => {
                let request = self.request(Some(addr));
                let mut params = self
                    .host
                    .and_then(|h| self.config.host(h))
                    .map(|h| h.params.evaluated(&request).into_owned())
                    .unwrap_or_default();
                params.inherit(&self.config.global.evaluated(&request));
                params
            }
        }
    }

    /// One binding per client per link: binding `addr` ends the client's other offers and
    /// leases there.
    pub(crate) fn end_other_leases(&self, addr: Ipv4Addr) -> Vec<LeaseChange> {
        self.db
            .by_client(&self.client)
            .filter(|l| l.address != addr && self.subnet_on_link(l.address).is_some())
            .filter(|l| {
                matches!(l.state, LeaseState::Offered | LeaseState::Bound) && l.ends > self.now
            })
            .map(|l| LeaseChange::Set(l.unbound(LeaseState::Expired, self.now)))
            .collect()
    }

    /// ISC `one-lease-per-client`: acknowledging `addr` releases the client's other offers
    /// and leases, on every network (server/dhcp.c `ack_lease`).
    pub(crate) fn release_other_leases(&self, addr: Ipv4Addr) -> Vec<LeaseChange> {
        self.db
            .by_client(&self.client)
            .filter(|l| l.address != addr && l.state.is_binding() && l.ends > self.now)
            .map(|l| LeaseChange::Set(l.unbound(LeaseState::Released, self.now)))
            .collect()
    }

    /// A setting as it applies to the client on its link: host, classes, subnet and up.
    pub(crate) fn setting<T>(&self, field: impl Fn(&Params) -> Option<T>) -> Option<T> {
        let subnet = self.link?;
        self.config.setting(
            subnet,
            None,
            &self.classes,
            self.host,
            &self.request(None),
            field,
        )
    }

    /// What the configuration's expressions see of this request, leasing `address`.
    pub(crate) fn request(&self, address: Option<Ipv4Addr>) -> Request<'_> {
        Request {
            msg: self.msg,
            agent_options: self.agent_options,
            host: self
                .host
                .and_then(|h| self.config.host(h))
                .map(|h| h.name.as_str()),
            address,
            fixed: address.is_some() && address == self.fixed_address(),
            lease_time: None,
            configured: None,
            variables: &self.variables,
        }
    }

    /// What the `log` and `execute` statements of the client's scopes ask for a reply about
    /// `addr` (none for an address off every subnet).
    pub(crate) fn scope_effects(&self, addr: Ipv4Addr) -> Vec<Effect> {
        let subnet = self.subnet_on_link(addr).or(self.link);
        let pool = self.db.pool_of(addr);
        self.config.scope_effects(
            subnet,
            pool,
            &self.classes,
            self.host,
            &self.request(Some(addr)),
        )
    }

    /// The variables the lease of `addr` keeps after `ran`: those the client's record of it
    /// kept (its earlier `on commit`s, or dhcpd's lease file), with `ran`'s over them. What
    /// another client's record says of DNS stays with the address (see
    /// [`crate::dns::is_dns_variable`]).
    pub(crate) fn kept_variables(&self, addr: Ipv4Addr, ran: &Ran) -> Vec<(String, Datum)> {
        let previous: Vec<(String, Datum)> = match self.db.get(addr) {
            Some(l) if l.client == self.client => l.variables.clone(),
            Some(l) => l
                .variables
                .iter()
                .filter(|(name, _)| crate::dns::is_dns_variable(name))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        ran.kept_over(&previous)
    }

    /// The relay agent information a binding of `addr` keeps (ISC `stash-agent-options`,
    /// server/dhcp.c `ack_lease`): a relayed request's own, unless the setting is false; else
    /// what the client's binding of the address kept (a renewal without the relay).
    pub(crate) fn stash_agent_options(&self, addr: Ipv4Addr, params: &Params) -> Option<Box<[u8]>> {
        let own = self
            .msg
            .options
            .relay_agent_information()
            .filter(|_| self.relayed);
        match own {
            // One option's worth, what a lease record holds: a longer one (RFC 3396
            // concatenation) is not kept, rather than leave the binding unwritable.
            Some(own) if params.stash_agent_options != Some(false) => {
                (own.len() <= MAX_STASHED_AGENT_OPTIONS).then(|| own.into())
            }
            Some(_) => None,
            None => self
                .db
                .get(addr)
                .filter(|l| l.is_bound_to(&self.client, self.now))
                .and_then(|l| l.agent_options.clone()),
        }
    }

    /// Runs the configuration's `on` statements for `event` on `addr`, whose settings are
    /// `params`, with `lease_time` seconds left of the lease (ISC `lease-time`).
    pub(crate) fn on_event(
        &self,
        addr: Ipv4Addr,
        params: &Params,
        event: LeaseEvent,
        lease_time: Option<u32>,
    ) -> Ran {
        // dhcpd runs `on commit` with the client's options complete (server/dhcp.c
        // `ack_lease`), `on release` and `on expiry` with none (server/mdb.c).
        let request = Request {
            lease_time,
            configured: (event == LeaseEvent::Commit).then_some(&params.options),
            ..self.request(Some(addr))
        };
        crate::config::run_hooks(params.on(event), &request)
    }

    /// Whether the client's link is authoritative (ISC `authoritative`), off by default as in
    /// ISC dhcpd.
    pub(crate) fn authoritative(&self) -> bool {
        self.setting(|p| p.authoritative) == Some(true)
    }
}

/// The hardware address to keep beside a client identifier (see [`crate::Lease::hardware`]).
pub(crate) fn hardware_beside(client: &ClientKey, msg: &Message) -> Option<crate::Hardware> {
    match client {
        ClientKey::ClientId(_) => crate::Hardware::new(msg.htype, msg.hardware_address()),
        ClientKey::Hardware { .. } => None,
    }
}

/// RFC 2131 section 4.2: the client identifier when sent (at least 2 octets, RFC 2132 section
/// 9.14), else the hardware address; neither is class B15.
fn client_key(msg: &Message) -> Result<ClientKey, IgnoreReason> {
    if let Some(id) = msg.options.client_identifier() {
        // Class B7: identifiers are capped (concatenated instances could make kilobytes).
        if id.len() > MAX_CLIENT_ID {
            return Err(IgnoreReason::NoClientIdentity);
        }
        return Ok(ClientKey::ClientId(id.into()));
    }
    // Class B16: an hlen past chaddr identifies nobody reliably.
    let hardware = msg.hardware_address();
    if msg.hlen as usize > msg.chaddr.len() || hardware.iter().all(|&b| b == 0) {
        return Err(IgnoreReason::NoClientIdentity);
    }
    Ok(ClientKey::Hardware {
        htype: msg.htype,
        addr: hardware.into(),
    })
}

/// The relay agent information a renewal sent without the relay gets back from its lease
/// (server/dhcp.c `dhcp`): a DHCPREQUEST with ciaddr, no giaddr and no option 82, whose
/// client holds the lease of ciaddr, not run out, with options stashed.
fn stashed_agent_options<'a>(
    db: &'a LeaseDb,
    msg: &Message,
    client: &ClientKey,
    now: u64,
) -> Option<&'a [u8]> {
    if msg.message_type() != Some(MessageType::REQUEST)
        || msg.ciaddr.is_unspecified()
        || msg.options.contains(OptionCode::RELAY_AGENT_INFORMATION)
    {
        return None;
    }
    let lease = db.get(msg.ciaddr)?;
    (lease.state == LeaseState::Bound && lease.client == *client && lease.ends >= now)
        .then_some(lease.agent_options.as_deref())
        .flatten()
}

/// The client's link: RFC 3011 subnet selection, then RFC 3527 link selection (relayed only),
/// then giaddr, then ciaddr (a renewing client unicasting from a relayed network), then the
/// receiving interface.
fn select_link(config: &Config, rx: &Received, relayed: bool) -> Option<SubnetId> {
    let msg = &rx.message;
    if let Some(addr) = ip4(msg.options.get(OptionCode::SUBNET_SELECTION)) {
        return config.subnet_of(addr);
    }
    if relayed {
        let agent = msg.options.relay_agent_information();
        if let Some(addr) = ip4(agent.and_then(|a| agent_sub_option(a, AGENT_LINK_SELECTION))) {
            return config.subnet_of(addr);
        }
        return config.subnet_of(msg.giaddr);
    }
    if !msg.ciaddr.is_unspecified() {
        if let Some(subnet) = config.subnet_of(msg.ciaddr) {
            return Some(subnet);
        }
    }
    config.subnet_of(rx.interface_address)
}
