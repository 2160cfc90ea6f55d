//! `Ipv4Net`: an IPv4 network in CIDR form.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network: an address with its host bits zero and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Net {
    network: Ipv4Addr,
    prefix_len: u8,
}

/// A network that is not `a.b.c.d/n` with `n` at most 32 and no host bits set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid IPv4 network {0:?}: expected a.b.c.d/n with n <= 32 and no host bits set")]
pub struct NetError(pub String);

impl Ipv4Net {
    /// The network `network/prefix_len`; host bits must be zero.
    pub fn new(network: Ipv4Addr, prefix_len: u8) -> Result<Self, NetError> {
        let net = Self {
            network,
            prefix_len,
        };
        if prefix_len > 32 || u32::from(network) & !net.mask_bits() != 0 {
            return Err(NetError(format!("{network}/{prefix_len}")));
        }
        Ok(net)
    }

    /// The network with address and mask, as dhcpd.conf's `subnet A netmask M` gives them.
    pub fn with_netmask(network: Ipv4Addr, netmask: Ipv4Addr) -> Result<Self, NetError> {
        let bits = u32::from(netmask);
        let prefix_len = bits.leading_ones();
        if bits.checked_shl(prefix_len).unwrap_or(0) != 0 {
            return Err(NetError(format!("{network} netmask {netmask}")));
        }
        Self::new(network, prefix_len as u8)
    }

    fn mask_bits(&self) -> u32 {
        u32::MAX
            .checked_shl(32 - u32::from(self.prefix_len))
            .unwrap_or(0)
    }

    /// The network address.
    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The subnet mask (option 1).
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask_bits())
    }

    /// The directed broadcast address (option 28).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !self.mask_bits())
    }

    /// Whether `addr` lies in this network.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & self.mask_bits() == u32::from(self.network)
    }

    /// Whether the two networks share any address.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.contains(other.network) || other.contains(self.network)
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
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
            Ipv4Net::with_netmask(Ipv4Addr::new(198, 18, 0, 0), Ipv4Addr::new(255, 0, 255, 0))
                .is_err()
        );
        let net =
            Ipv4Net::with_netmask(Ipv4Addr::new(198, 18, 0, 0), Ipv4Addr::new(255, 254, 0, 0))
                .unwrap();
        assert_eq!(net.prefix_len(), 15);
    }
}
