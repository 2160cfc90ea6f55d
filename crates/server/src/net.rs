//! `Ipv4Net`: an IPv4 network, an address and a mask.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network: an address with its host bits zero and a netmask. The mask is usually a
/// prefix (`/24`), but dhcpd.conf's `subnet A netmask M` takes any mask, and dhcpd serves a
/// non-contiguous one bit by bit (server/confpars.c parse_subnet_declaration checks only that
/// the address has no host bits); so does charrua.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Net {
    network: Ipv4Addr,
    mask: u32,
}

/// A network that is not `a.b.c.d/n` with `n` at most 32 and no host bits set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid IPv4 network {0:?}: expected a.b.c.d/n with n <= 32 and no host bits set")]
pub struct NetError(pub String);

impl Ipv4Net {
    /// The network `network/prefix_len`; host bits must be zero.
    pub fn new(network: Ipv4Addr, prefix_len: u8) -> Result<Self, NetError> {
        if prefix_len > 32 {
            return Err(NetError(format!("{network}/{prefix_len}")));
        }
        let mask = u32::MAX
            .checked_shl(32 - u32::from(prefix_len))
            .unwrap_or(0);
        Self::with_netmask(network, Ipv4Addr::from(mask))
    }

    /// The network with address and mask, as dhcpd.conf's `subnet A netmask M` gives them;
    /// host bits must be zero.
    pub fn with_netmask(network: Ipv4Addr, netmask: Ipv4Addr) -> Result<Self, NetError> {
        let mask = u32::from(netmask);
        if u32::from(network) & !mask != 0 {
            return Err(NetError(format!("{network} netmask {netmask}")));
        }
        Ok(Self { network, mask })
    }

    /// The network address.
    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    /// The prefix length; `None` for a non-contiguous mask.
    pub fn prefix_len(&self) -> Option<u8> {
        let len = self.mask.leading_ones();
        (self.mask.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
    }

    /// The subnet mask (option 1).
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask)
    }

    /// The directed broadcast address (option 28).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !self.mask)
    }

    /// Whether `addr` lies in this network.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & self.mask == u32::from(self.network)
    }

    /// Whether the two networks share any address: they agree on the bits both masks keep.
    pub fn overlaps(&self, other: &Self) -> bool {
        let both = self.mask & other.mask;
        u32::from(self.network) & both == u32::from(other.network) & both
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix_len() {
            Some(len) => write!(f, "{}/{len}", self.network),
            None => write!(f, "{} netmask {}", self.network, self.netmask()),
        }
    }
}

impl FromStr for Ipv4Net {
    type Err = NetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || NetError(s.to_string());
        let (addr, len) = s.split_once('/').ok_or_else(bad)?;
        Self::new(
            addr.parse().map_err(|_| bad())?,
            len.parse().map_err(|_| bad())?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_contains() {
        let net: Ipv4Net = "198.18.0.0/24".parse().unwrap();
        assert!(net.contains(Ipv4Addr::new(198, 18, 0, 255)));
        assert!(!net.contains(Ipv4Addr::new(198, 18, 1, 0)));
        assert_eq!(net.netmask(), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(net.broadcast(), Ipv4Addr::new(198, 18, 0, 255));
    }

    #[test]
    fn rejects_host_bits_and_bad_masks() {
        assert!("198.18.0.1/24".parse::<Ipv4Net>().is_err());
        assert!(
            Ipv4Net::with_netmask(Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(255, 0, 255, 0))
                .is_err()
        );
        // dhcpd takes a non-contiguous mask (keama's subnet4badmask test file).
        let odd =
            Ipv4Net::with_netmask(Ipv4Addr::new(10, 5, 5, 0), Ipv4Addr::new(255, 255, 255, 96))
                .unwrap();
        assert_eq!(odd.prefix_len(), None);
        assert!(odd.contains(Ipv4Addr::new(10, 5, 5, 1)));
        assert!(!odd.contains(Ipv4Addr::new(10, 5, 5, 32)));
        assert_eq!(odd.to_string(), "10.5.5.0 netmask 255.255.255.96");
        let net =
            Ipv4Net::with_netmask(Ipv4Addr::new(198, 18, 0, 0), Ipv4Addr::new(255, 254, 0, 0))
                .unwrap();
        assert_eq!(net.prefix_len(), Some(15));
    }
}
