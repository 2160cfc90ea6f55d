//! `Params`: the settings a scope (global, shared network, subnet, pool, class, host) may set.
//! Unset fields inherit from the next scope out (host > class > pool > subnet > shared network >
//! global, as ISC dhcpd resolves them).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use charrua_wire::{OptionCode, Options, Value};

use super::ddns::ClientUpdates;
use super::expr::{Datum, Expr, Request};
use super::hooks::{Action, Effect, LeaseEvent};

/// Settings of one scope; `None` means "inherit".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// Options to send, raw, in the order they were set.
    pub options: Options,
    /// Lease time when the client asks for none (ISC `default-lease-time`).
    pub default_lease_time: Option<u32>,
    /// Shortest lease granted (ISC `min-lease-time`).
    pub min_lease_time: Option<u32>,
    /// Longest lease granted (ISC `max-lease-time`); `u32::MAX` allows infinite leases.
    pub max_lease_time: Option<u32>,
    /// T1 in seconds (option 58); by default half the lease (RFC 2131 section 4.4.5).
    pub renewal_time: Option<u32>,
    /// T2 in seconds (option 59); by default 0.875 of the lease (RFC 2131 section 4.4.5).
    pub rebinding_time: Option<u32>,
    /// NAK requests for addresses this server knows are wrong, and answer INIT-REBOOT of unknown
    /// clients (ISC `authoritative`; RFC 2131 section 4.3.2 leaves it to the administrator).
    pub authoritative: Option<bool>,
    /// `siaddr` of replies (ISC `next-server`).
    pub next_server: Option<Ipv4Addr>,
    /// `file` of replies (ISC `filename`).
    pub filename: Option<Vec<u8>>,
    /// `sname` of replies (ISC `server-name`).
    pub server_name: Option<Vec<u8>>,
    /// Option 54 and the reply source (ISC `server-identifier`).
    pub server_identifier: Option<Ipv4Addr>,
    /// Answer BOOTP requests (ISC `allow bootp` / `deny bootp`).
    pub bootp: Option<bool>,
    /// Lease length given to dynamic BOOTP clients (ISC `dynamic-bootp-lease-length`);
    /// `u32::MAX` is infinite.
    pub bootp_lease_time: Option<u32>,
    /// Honour rapid commit (option 80, RFC 4039).
    pub rapid_commit: Option<bool>,
    /// Send the client identifier back (ISC `echo-client-id`, off by default: RFC 6842 asks
    /// servers to, but dhcpd 4.4 does only when told; server/dhcp.c `echo_client_id`).
    pub echo_client_id: Option<bool>,
    /// Send a host's declaration name as its host name (option 12) unless one is configured
    /// (ISC `use-host-decl-names`; dhcpd.conf(5)).
    pub use_host_decl_names: Option<bool>,
    /// Answer clients that no host declaration names (ISC `boot-unknown-clients`; `deny
    /// unknown-clients` outside a pool means the same, dhcpd.conf(5)). Off, such clients get
    /// no address at all.
    pub boot_unknown_clients: Option<bool>,
    /// Answer the client at all (ISC `allow`, `deny` or `ignore booting`, in a host or class).
    pub booting: Option<bool>,
    /// How young, in percent of its length, a client's binding may be for a request to get it
    /// back unchanged, with what is left of it and nothing written (ISC `dhcp-cache-threshold`,
    /// 25 by default; 0 turns it off; server/dhcp.c `reuse_lease`).
    pub cache_threshold: Option<u8>,
    /// Send an ICMP echo to an address before offering it, and abandon it if answered (ISC
    /// `ping-check`, on by default; server/dhcp.c `do_ping_check`).
    pub ping_check: Option<bool>,
    /// How long to wait for the echo reply, in seconds (ISC `ping-timeout`, 1 by default).
    pub ping_timeout: Option<u32>,
    /// The same in milliseconds, used instead when above 0 (ISC `ping-timeout-ms`).
    pub ping_timeout_ms: Option<u32>,
    /// No echo when the address goes back to its last client within this many seconds of that
    /// client's last transaction (ISC `ping-cltt-secs`, 60 by default).
    pub ping_cltt_secs: Option<u32>,
    /// The option space whose options go as DHCP options from its lowest code up (ISC
    /// `site-option-space`; PXELINUX's codes 208-211).
    pub site_option_space: Option<SiteSpace>,
    /// The option space whose options are encapsulated in option 43 (ISC
    /// `vendor-option-space`).
    pub vendor_option_space: Option<String>,
    /// Values of options of other option spaces, by space (lower-case name).
    pub space_options: BTreeMap<String, Options>,
    /// Send the host name the resolver gives for the leased address as option 12, when none
    /// is configured (ISC `get-lease-hostnames`; server/dhcp.c `ack_lease`). The names are
    /// looked up by the daemon ahead of time ([`super::Config::lease_hostnames`]).
    pub get_lease_hostnames: Option<bool>,
    /// Set the broadcast bit in every OFFER and ACK, so that they are broadcast (or relayed
    /// with the bit set) whatever the client asked (ISC `always-broadcast`; server/dhcp.c
    /// `ack_lease`).
    pub always_broadcast: Option<bool>,
    /// A DHCPREQUEST releases every other lease of its client, on every network (ISC
    /// `one-lease-per-client`; server/dhcp.c `ack_lease`).
    pub one_lease_per_client: Option<bool>,
    /// Keep a relayed client's relay agent information (option 82) with its lease, for its
    /// renewals sent without the relay (ISC `stash-agent-options`, on unless set false;
    /// server/dhcp.c `ack_lease`).
    pub stash_agent_options: Option<bool>,
    /// Answer a BOOTP client that sent no RFC 1048 magic cookie with RFC 1048 options
    /// anyway, rather than with its own vendor area (ISC `always-reply-rfc1048`; server/bootp.c).
    pub always_reply_rfc1048: Option<bool>,
    /// Register the client's lease in DNS when it is acknowledged (ISC `ddns-updates`, on by
    /// default; read at each ACK only, server/dhcp.c `ack_lease`). Nothing is registered
    /// while the server-wide [`super::Ddns::style`] is `none`.
    pub ddns_updates: Option<bool>,
    /// The host part of the client's name (ISC `ddns-hostname`), evaluated per client as data;
    /// a constant is [`Expr::Const`]. Unset, dhcpd takes the client's option 81 host name,
    /// else its option 12, else the `host-name` option configured for it (server/dhcpd.c
    /// `std_nsupdate`; server/ddns.c `ddns_updates`).
    pub ddns_hostname: Option<Expr>,
    /// The domain the host part is completed with (ISC `ddns-domainname`), evaluated per
    /// client; unset, the `domain-name` option configured for the client.
    pub ddns_domainname: Option<Expr>,
    /// The domain reverse names end in (ISC `ddns-rev-domainname`), evaluated per client;
    /// unset, `in-addr.arpa.`.
    pub ddns_rev_domainname: Option<Expr>,
    /// The TTL of the records (ISC `ddns-ttl`), evaluated per client as data: four octets are
    /// the TTL in seconds, big-endian (a constant is [`Expr::Const`] of those four); any other
    /// value leaves dhcpd's own, half the lease time and at most 3600 seconds (server/ddns.c
    /// `ddns_updates`).
    pub ddns_ttl: Option<Expr>,
    /// Whether the client may update its own A record (ISC `allow`/`deny`/`ignore
    /// client-updates`, or the `client-updates` flag); unset is `allow`.
    pub client_updates: Option<ClientUpdates>,
    /// Send no update when the lease already records the same name (ISC `update-optimization`,
    /// on by default).
    pub update_optimization: Option<bool>,
    /// Register clients with a fixed address too (ISC `update-static-leases`, off by default).
    pub update_static_leases: Option<bool>,
    /// Update the forward (A) record; off, the server updates names only where the client
    /// updates its own (ISC `do-forward-updates`, on by default).
    pub do_forward_updates: Option<bool>,
    /// Update the reverse (PTR) record (ISC `do-reverse-updates`, on by default).
    pub do_reverse_updates: Option<bool>,
    /// Answer a client's option 81 with one (RFC 4702 section 4; ISC `fqdn-reply`, on by
    /// default).
    pub fqdn_reply: Option<bool>,
    /// The statements of the innermost `on commit` (ISC: each `on` statement run replaces the
    /// lease's, outermost scope first).
    pub on_commit: Option<Vec<Action>>,
    /// The same for `on release`.
    pub on_release: Option<Vec<Action>>,
    /// The same for `on expiry`.
    pub on_expiry: Option<Vec<Action>>,
    /// Statements run per request after the settings above, in order (ISC `if`, `elsif`,
    /// `else`): what they set is laid over them.
    pub statements: Vec<Statement>,
}

/// A `site-option-space`: its name and its lowest site code (server/dhcp.c
/// `find_min_site_code`: the space's lowest defined code, at most 224, at least 128).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSpace {
    /// The space.
    pub name: String,
    /// Codes from this one up are the space's.
    pub code_min: u8,
}

/// A statement a scope runs per request (common/execute.c `execute_statements`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `if`/`elsif`/`else`: the settings of the first branch whose condition holds (`None`
    /// is `else`); a condition that evaluates to nothing is false, as in dhcpd.
    If(Vec<(Option<Expr>, Params)>),
    /// Settings laid over what is set before them (a scope's own settings, run after the
    /// statements of the group it inherits from).
    Set(Box<Params>),
    /// `option NAME = EXPRESSION;`: the option's value computed for the request; when it
    /// evaluates to nothing, the option is not set here (dhcpd sends no value then).
    Option(OptionCode, Expr),
    /// `set NAME = EXPRESSION;`: a variable for the request, bound before the settings of any
    /// scope are evaluated (see [`Params::bind`]); nothing when it evaluates to nothing.
    Variable(String, Expr),
    /// `log (...)` or `execute (...)` in a scope: run each time the scope's statements are, for
    /// each OFFER and ACK (see [`Params::effects`]).
    Effect(Action),
}

impl Statement {
    fn execute(&self, request: &Request<'_>, out: &mut Params) {
        match self {
            Self::If(branches) => {
                let taken = branches
                    .iter()
                    .find(|(condition, _)| condition.as_ref().is_none_or(|c| c.holds(request)));
                if let Some((_, settings)) = taken {
                    out.overlay(&settings.evaluated(request));
                }
            }
            Self::Set(settings) => out.overlay(&settings.evaluated(request)),
            Self::Variable(..) | Self::Effect(_) => {}
            Self::Option(code, e) => match e.evaluate(request) {
                Some(Datum::Data(value)) => out.options.insert(*code, &value),
                _ => {
                    out.options.remove(*code);
                }
            },
        }
    }
}

macro_rules! layers {
    ($($field:ident),*) => {
        /// Fills every unset field of `self` from `outer`; options `self` does not set are
        /// appended from `outer` after its own. When `outer` has statements to run per
        /// request, they run before `self`'s settings and statements, as dhcpd runs a group's
        /// statements before those of its members (common/execute.c
        /// `execute_statements_in_scope`).
        pub fn inherit(&mut self, outer: &Self) {
            if !outer.statements.is_empty() {
                let mut own = std::mem::replace(self, outer.clone());
                let statements = std::mem::take(&mut own.statements);
                if own != Self::default() {
                    self.statements.push(Statement::Set(Box::new(own)));
                }
                self.statements.extend(statements);
                return;
            }
            $(if self.$field.is_none() {
                self.$field.clone_from(&outer.$field);
            })*
            for (code, value) in outer.options.iter() {
                if !self.options.contains(code) {
                    self.options.insert(code, value);
                }
            }
            for (space, options) in &outer.space_options {
                let own = self.space_mut(space);
                for (code, value) in options.iter() {
                    if !own.contains(code) {
                        own.insert(code, value);
                    }
                }
            }
        }

        /// Lays `top`'s settings over `self`'s: what `top` sets wins (its statements are
        /// run by the caller).
        fn overlay(&mut self, top: &Self) {
            $(if top.$field.is_some() {
                self.$field.clone_from(&top.$field);
            })*
            for (code, value) in top.options.iter() {
                self.options.insert(code, value);
            }
            for (space, options) in &top.space_options {
                let own = self.space_mut(space);
                for (code, value) in options.iter() {
                    own.insert(code, value);
                }
            }
        }
    };
}

impl Params {
    layers!(
        default_lease_time,
        min_lease_time,
        max_lease_time,
        renewal_time,
        rebinding_time,
        authoritative,
        next_server,
        filename,
        server_name,
        server_identifier,
        bootp,
        bootp_lease_time,
        rapid_commit,
        echo_client_id,
        use_host_decl_names,
        boot_unknown_clients,
        booting,
        cache_threshold,
        ping_check,
        ping_timeout,
        ping_timeout_ms,
        ping_cltt_secs,
        get_lease_hostnames,
        always_broadcast,
        one_lease_per_client,
        stash_agent_options,
        always_reply_rfc1048,
        on_commit,
        on_release,
        on_expiry,
        site_option_space,
        vendor_option_space,
        ddns_updates,
        ddns_hostname,
        ddns_domainname,
        ddns_rev_domainname,
        ddns_ttl,
        client_updates,
        update_optimization,
        update_static_leases,
        do_forward_updates,
        do_reverse_updates,
        fqdn_reply
    );

    /// ISC dhcpd's `dhcp-cache-threshold` when none is configured, in percent (includes/dhcpd.h
    /// `DEFAULT_CACHE_THRESHOLD`).
    pub const DEFAULT_CACHE_THRESHOLD: u8 = 25;

    /// These settings for `request`: the statements run, what they set laid over the rest.
    pub fn evaluated(&self, request: &Request<'_>) -> Cow<'_, Self> {
        if self.statements.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut out = Self {
            statements: Vec::new(),
            ..self.clone()
        };
        for statement in &self.statements {
            statement.execute(request, &mut out);
        }
        Cow::Owned(out)
    }

    /// The values of option space `space`, made empty if it has none yet.
    pub fn space_mut(&mut self, space: &str) -> &mut Options {
        self.space_options.entry(space.to_string()).or_default()
    }

    /// Binds the variables this scope's `set` statements give `request` (those of the `if`
    /// branches taken too), after those already in `variables`: scopes are bound from the
    /// outermost in, as dhcpd runs their statements (common/execute.c).
    pub fn bind(&self, request: &Request<'_>, variables: &mut Vec<(String, Datum)>) {
        for statement in &self.statements {
            let now = Request {
                variables,
                ..*request
            };
            match statement {
                Statement::Variable(name, e) => {
                    if let Some(value) = e.evaluate(&now) {
                        variables.push((name.clone(), value));
                    }
                }
                Statement::If(branches) => {
                    let taken = branches
                        .iter()
                        .find(|(c, _)| c.as_ref().is_none_or(|c| c.holds(&now)));
                    if let Some((_, settings)) = taken {
                        settings.bind(request, variables);
                    }
                }
                Statement::Set(settings) => settings.bind(request, variables),
                Statement::Option(..) | Statement::Effect(_) => {}
            }
        }
    }

    /// The statements of the `on` statement for `event`, if one is set.
    pub fn on(&self, event: LeaseEvent) -> &[Action] {
        match event {
            LeaseEvent::Commit => &self.on_commit,
            LeaseEvent::Release => &self.on_release,
            LeaseEvent::Expiry => &self.on_expiry,
        }
        .as_deref()
        .unwrap_or_default()
    }

    /// What this scope's `log` and `execute` statements ask for `request` (those of the `if`
    /// branches taken too), appended to `out` in order (common/execute.c runs them with the
    /// scope's other statements).
    pub fn effects(&self, request: &Request<'_>, out: &mut Vec<Effect>) {
        for statement in &self.statements {
            match statement {
                Statement::Effect(action) => {
                    out.extend(super::hooks::run(std::slice::from_ref(action), request).effects);
                }
                Statement::If(branches) => {
                    let taken = branches
                        .iter()
                        .find(|(c, _)| c.as_ref().is_none_or(|c| c.holds(request)));
                    if let Some((_, settings)) = taken {
                        settings.effects(request, out);
                    }
                }
                Statement::Set(settings) => settings.effects(request, out),
                Statement::Option(..) | Statement::Variable(..) => {}
            }
        }
    }

    /// Whether a statement this scope runs per request reads `config-option` (its `on`
    /// statements aside: they are given the options whole).
    pub fn reads_config_options(&self) -> bool {
        self.statements.iter().any(|statement| match statement {
            Statement::If(branches) => branches.iter().any(|(condition, settings)| {
                condition.as_ref().is_some_and(Expr::reads_config_options)
                    || settings.reads_config_options()
            }),
            Statement::Set(settings) => settings.reads_config_options(),
            Statement::Option(_, e) | Statement::Variable(_, e) => e.reads_config_options(),
            Statement::Effect(action) => action.reads_config_options(),
        })
    }

    /// Sets option `code` to `value`.
    pub fn set_option(&mut self, code: OptionCode, value: &Value) {
        self.options.insert_value(code, value);
    }
}
