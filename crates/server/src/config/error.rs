//! Why a configuration is invalid.

use std::net::Ipv4Addr;

use crate::net::Ipv4Net;

/// A configuration the server refuses, with what and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A range whose start is after its end.
    #[error("range {start} - {end} ends before it starts")]
    RangeReversed {
        /// First address.
        start: Ipv4Addr,
        /// Last address.
        end: Ipv4Addr,
    },
    /// A range not wholly inside its subnet.
    #[error("range {start} - {end} is not inside subnet {subnet}")]
    RangeOutsideSubnet {
        /// First address.
        start: Ipv4Addr,
        /// Last address.
        end: Ipv4Addr,
        /// The subnet.
        subnet: Ipv4Net,
    },
    /// Two ranges share addresses.
    #[error("ranges {0:?} and {1:?} overlap")]
    OverlappingRanges((Ipv4Addr, Ipv4Addr), (Ipv4Addr, Ipv4Addr)),
    /// A host's fixed address lies in a dynamic range, so it could be leased to someone else.
    #[error("fixed address {address} of host {host} lies inside a dynamic range")]
    FixedAddressInRange {
        /// The host.
        host: String,
        /// The address.
        address: Ipv4Addr,
    },
    /// A host with neither hardware address nor client identifier matches nobody.
    #[error("host {0} has neither a hardware address nor a client identifier")]
    HostWithoutIdentity(String),
    /// A pool refers to a class that is not declared.
    #[error("pool refers to unknown class {0:?}")]
    UnknownClass(String),
    /// Two classes with one name.
    #[error("class {0:?} is declared twice")]
    DuplicateClass(String),
}
