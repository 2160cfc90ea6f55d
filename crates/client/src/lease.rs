//! A lease as the client applies it: the address and the configuration the server gave with it,
//! and the times (RFC 2131 section 4.4.5) at which to renew, rebind and give it up.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use charrua_wire::options::Route;
use charrua_wire::{Message, OptionCode, Options, Value};

/// Lease time meaning "infinite" (RFC 2131 section 3.3).
const INFINITE: u32 = u32::MAX;

/// A lease acknowledged by a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The address (yiaddr).
    pub address: Ipv4Addr,
    /// The server that granted it (option 54).
    pub server: Ipv4Addr,
    /// Option 1.
    pub subnet_mask: Option<Ipv4Addr>,
    /// Option 3, in order of preference.
    pub routers: Vec<Ipv4Addr>,
    /// Option 6.
    pub dns_servers: Vec<Ipv4Addr>,
    /// Option 15.
    pub domain_name: Option<String>,
    /// Option 119 (RFC 3397).
    pub domain_search: Vec<String>,
    /// Option 26, the interface MTU.
    pub mtu: Option<u16>,
    /// Option 28.
    pub broadcast: Option<Ipv4Addr>,
    /// Option 121 (RFC 3442); when present, the client ignores option 3 for routing.
    pub classless_routes: Vec<Route>,
    /// Option 51, seconds; `u32::MAX` is infinite.
    pub lease_time: u32,
    /// T1, seconds after `acquired_at` (option 58, or half the lease).
    pub renewal_time: u32,
    /// T2, seconds after `acquired_at` (option 59, or 7/8 of the lease).
    pub rebinding_time: u32,
    /// When the REQUEST that got the lease was sent (caller's milliseconds): the lease runs
    /// from there (RFC 2131 section 4.4.1).
    pub acquired_at: u64,
    /// Every option of the ACK, for callers that want more than the fields above.
    pub options: Options,
}

fn ips(options: &Options, code: OptionCode) -> Vec<Ipv4Addr> {
    match options.value(code) {
        Some(Ok(Value::IpList(list))) => list,
        Some(Ok(Value::Ip(ip))) => Vec::from([ip]),
        _ => Vec::new(),
    }
}

fn ip(options: &Options, code: OptionCode) -> Option<Ipv4Addr> {
    match options.value(code) {
        Some(Ok(Value::Ip(ip))) => Some(ip),
        _ => None,
    }
}

fn text(options: &Options, code: OptionCode) -> Option<String> {
    match options.value(code) {
        Some(Ok(Value::Text(t) | Value::DomainName(t))) => Some(t),
        _ => None,
    }
}

impl Lease {
    /// The lease an ACK grants, running from `acquired_at`, or `None` when the ACK cannot be
    /// used: no address, no server identifier, or no lease time (RFC 2131 section 4.3.1, table 3:
    /// the server MUST send them). Also how a caller rebuilds a lease it stored as its ACK.
    pub fn from_ack(ack: &Message, acquired_at: u64) -> Option<Self> {
        if ack.yiaddr.is_unspecified() {
            return None;
        }
        let o = &ack.options;
        let lease_time = o.lease_time()?;
        let server = o.server_identifier()?;
        // RFC 2131 section 4.4.5: T1 defaults to half the lease, T2 to 7/8; values that are
        // not in order (T1 < T2 < lease) are not usable, and the defaults apply.
        let default_t1 = (u64::from(lease_time) / 2) as u32;
        let default_t2 = (u64::from(lease_time) * 7 / 8) as u32;
        let (mut t1, mut t2) = (
            o.renewal_time().unwrap_or(default_t1),
            o.rebinding_time().unwrap_or(default_t2),
        );
        if lease_time != INFINITE && !(t1 < t2 && t2 < lease_time) {
            (t1, t2) = (default_t1, default_t2);
        }
        Some(Self {
            address: ack.yiaddr,
            server,
            subnet_mask: ip(o, OptionCode::SUBNET_MASK),
            routers: ips(o, OptionCode::ROUTERS),
            dns_servers: ips(o, OptionCode::DOMAIN_NAME_SERVERS),
            domain_name: text(o, OptionCode::DOMAIN_NAME),
            domain_search: match o.value(OptionCode::DOMAIN_SEARCH) {
                Some(Ok(Value::DomainList(list))) => list,
                _ => Vec::new(),
            },
            mtu: match o.value(OptionCode::INTERFACE_MTU) {
                Some(Ok(Value::U16(mtu))) if mtu >= 68 => Some(mtu),
                _ => None,
            },
            broadcast: ip(o, OptionCode::BROADCAST_ADDRESS),
            classless_routes: match o.value(OptionCode::CLASSLESS_STATIC_ROUTES) {
                Some(Ok(Value::Routes(routes))) => routes,
                _ => Vec::new(),
            },
            lease_time,
            renewal_time: t1,
            rebinding_time: t2,
            acquired_at,
            options: o.clone(),
        })
    }

    /// Whether the lease never ends.
    pub fn is_infinite(&self) -> bool {
        self.lease_time == INFINITE
    }

    fn after(&self, secs: u32) -> Option<u64> {
        (!self.is_infinite()).then(|| self.acquired_at.saturating_add(u64::from(secs) * 1000))
    }

    /// When to start RENEWING (T1), or never.
    pub fn renew_at(&self) -> Option<u64> {
        self.after(self.renewal_time)
    }

    /// When to start REBINDING (T2), or never.
    pub fn rebind_at(&self) -> Option<u64> {
        self.after(self.rebinding_time)
    }

    /// When the lease ends, or never.
    pub fn expires_at(&self) -> Option<u64> {
        self.after(self.lease_time)
    }
}
