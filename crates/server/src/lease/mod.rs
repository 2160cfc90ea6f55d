//! Leases: the record per address, the changes the server core emits, and the in-memory
//! database they are applied to.

mod db;
mod free;

use std::fmt;
use std::net::Ipv4Addr;

use crate::config::Datum;

pub use db::{LeaseDb, PoolUsage};

/// How a client is identified (RFC 2131 section 4.2): by its client identifier (option 61) when
/// it sends one, else by its hardware type and address.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientKey {
    /// Option 61, opaque (RFC 2132 section 9.14).
    ClientId(Box<[u8]>),
    /// `htype` and the first `hlen` octets of `chaddr`.
    Hardware {
        /// Hardware type.
        htype: u8,
        /// Hardware address.
        addr: Box<[u8]>,
    },
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = |b: &[u8]| {
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        };
        match self {
            Self::ClientId(id) => write!(f, "client-id {}", hex(id)),
            Self::Hardware { htype, addr } => write!(f, "hardware {htype} {}", hex(addr)),
        }
    }
}

/// A hardware type and address (`htype` and the first `hlen` octets of `chaddr`), kept inline:
/// at most 16 octets, the size of `chaddr` (RFC 2131 section 2).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hardware {
    htype: u8,
    len: u8,
    octets: [u8; 16],
}

impl Hardware {
    /// The hardware address `addr` of type `htype`; `None` past 16 octets.
    pub fn new(htype: u8, addr: &[u8]) -> Option<Self> {
        let mut octets = [0; 16];
        octets.get_mut(..addr.len())?.copy_from_slice(addr);
        Some(Self {
            htype,
            len: addr.len() as u8,
            octets,
        })
    }

    /// The hardware type (1 is Ethernet).
    pub fn htype(&self) -> u8 {
        self.htype
    }

    /// The address octets.
    pub fn addr(&self) -> &[u8] {
        self.octets.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl fmt::Debug for Hardware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.htype)?;
        for (i, b) in self.addr().iter().enumerate() {
            let sep = if i == 0 { "" } else { ":" };
            write!(f, "{sep}{b:02x}")?;
        }
        Ok(())
    }
}

/// The account a lease is billed to when a class limits its members' leases (ISC `lease
/// limit`): the class, or one of its subclasses (server/class.c `bill_class`; dhcpd.leases
/// `billing class "NAME";` and `billing subclass "NAME" VALUE;`, server/db.c
/// `write_billing_class`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Billing {
    /// The class's name (a subclass's class).
    pub class: Box<str>,
    /// The subclass's value, when the account is a subclass.
    pub subclass: Option<Box<[u8]>>,
}

impl Billing {
    /// Longest class name and subclass value an account has: a lease is never billed to
    /// one beyond them (so that every lease record stays writable).
    pub const MAX_PART: usize = 255;

    /// The account of `class`, or of its subclass `value`; `None` beyond [`Self::MAX_PART`].
    pub fn new(class: &str, subclass: Option<&[u8]>) -> Option<Self> {
        (class.len() <= Self::MAX_PART && subclass.is_none_or(|v| v.len() <= Self::MAX_PART)).then(
            || Self {
                class: class.into(),
                subclass: subclass.map(Into::into),
            },
        )
    }
}

/// Where a lease stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeaseState {
    /// Offered and held for the client until `ends`; kept in memory only (durability rule D3).
    Offered,
    /// Bound to the client until `ends`.
    Bound,
    /// Released by the client at `ends`; the address is free, the association kept so the client
    /// gets it back (RFC 2131 section 4.3.1).
    Released,
    /// Ran out at `ends`; free, association kept as for `Released`.
    Expired,
    /// Declined (RFC 2131 section 4.3.3) or abandoned: unavailable until `ends`.
    Declined,
}

impl LeaseState {
    /// Whether a record in this state keeps the address out of the free pool until it ends: an
    /// offer or a binding keeps it for its client, a decline from everyone (RFC 2131 section
    /// 4.3.3: "marks the network address as not available").
    pub fn occupies_address(self) -> bool {
        matches!(self, Self::Offered | Self::Bound | Self::Declined)
    }

    /// Whether a record in this state is its client's: an offer held for it or a binding.
    pub fn is_binding(self) -> bool {
        matches!(self, Self::Offered | Self::Bound)
    }
}

/// One address's record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lease {
    /// The address.
    pub address: Ipv4Addr,
    /// Its state.
    pub state: LeaseState,
    /// Who holds (or held, or declined) it.
    pub client: ClientKey,
    /// When the state began, Unix seconds.
    pub starts: u64,
    /// When the state ends (or ended), Unix seconds; `u64::MAX` never.
    pub ends: u64,
    /// The client's host name, sanitized (RFC 1123 labels).
    pub hostname: Option<Box<str>>,
    /// The hardware address the client last used, when `client` is its client identifier
    /// (`None` when `client` is the hardware address itself). Lease files name both, as ISC
    /// dhcpd's `write_lease` (server/db.c) writes `hardware` and `uid`.
    pub hardware: Option<Hardware>,
    /// Variables the configuration's `on commit` statements set for the lease, kept with it
    /// for its `on release` and `on expiry` statements (dhcpd keeps them in the lease's scope
    /// and writes them as `set NAME = VALUE;`, server/db.c `write_binding_scope`).
    pub variables: Vec<(String, Datum)>,
    /// The class account the binding is billed to (see [`Billing`]); boxed, as few leases
    /// have one.
    pub billing: Option<Box<Billing>>,
    /// The relay agent information (option 82) of the request that made the binding, kept for
    /// its renewals sent without the relay (ISC `stash-agent-options`; dhcpd.leases
    /// `option agent.NAME VALUE;`).
    pub agent_options: Option<Box<[u8]>>,
}

impl Lease {
    /// Whether the lease is bound to `client` and has not run out at `now`.
    pub fn is_bound_to(&self, client: &ClientKey, now: u64) -> bool {
        self.state == LeaseState::Bound && self.client == *client && self.ends > now
    }

    /// Whether the record is `client`'s offer or binding and has not run out at `now`: the
    /// address is the client's to be offered or acknowledged again.
    pub fn is_binding_of(&self, client: &ClientKey, now: u64) -> bool {
        self.state.is_binding() && self.client == *client && self.ends > now
    }

    /// Whether the address is out of the free pool at `now` (see
    /// [`LeaseState::occupies_address`]).
    pub fn occupies(&self, now: u64) -> bool {
        self.state.occupies_address() && self.ends > now
    }

    /// The record once it is no longer a binding, in `state` until `ends`: its class account
    /// and relay agent information go (dhcpd drops a lease's "client-specific bindings" when it
    /// ends, server/mdb.c), the rest stays.
    pub fn unbound(&self, state: LeaseState, ends: u64) -> Self {
        Self {
            state,
            ends,
            billing: None,
            agent_options: None,
            ..self.clone()
        }
    }

    /// Its state at `now`: an offer, a binding or a decline that has run out is expired,
    /// whatever the record last said (as dhcpd moves a lease to its next binding state when
    /// it ends).
    pub fn state_at(&self, now: u64) -> LeaseState {
        if self.state.occupies_address() && self.ends <= now {
            LeaseState::Expired
        } else {
            self.state
        }
    }
}

/// One change to the lease database. The server core returns them; the daemon makes the durable
/// ones durable, then applies them with [`LeaseDb::apply`]; replay at start applies them again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LeaseChange {
    /// Create or replace the record of `lease.address`.
    Set(Lease),
    /// Forget the record of an address: it becomes as if never leased.
    Remove(Ipv4Addr),
}

impl LeaseChange {
    /// The address the change is about.
    pub fn address(&self) -> Ipv4Addr {
        match self {
            Self::Set(lease) => lease.address,
            Self::Remove(addr) => *addr,
        }
    }

    /// Whether the change must be on disk before the reply that depends on it leaves: every
    /// change but an offer (durability rules D1, D3, D4).
    pub fn is_durable(&self) -> bool {
        !matches!(
            self,
            Self::Set(Lease {
                state: LeaseState::Offered,
                ..
            })
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_that_ran_out_is_expired_whatever_its_record_says() {
        let lease = |state| Lease {
            address: Ipv4Addr::new(198, 18, 0, 10),
            state,
            client: ClientKey::Hardware {
                htype: 1,
                addr: Box::new([2, 0, 0, 0, 0, 1]),
            },
            starts: 100,
            ends: 200,
            hostname: None,
            hardware: None,
            variables: Vec::new(),
            billing: None,
            agent_options: None,
        };
        for state in [LeaseState::Offered, LeaseState::Bound, LeaseState::Declined] {
            assert_eq!(lease(state).state_at(199), state);
            assert_eq!(lease(state).state_at(200), LeaseState::Expired);
        }
        assert_eq!(
            lease(LeaseState::Released).state_at(500),
            LeaseState::Released
        );
    }
}
