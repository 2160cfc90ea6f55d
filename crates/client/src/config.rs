//! What the caller decides about the client: its identity, what it asks for, and how it picks
//! among offers.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

/// How the client chooses among the offers it collected in SELECTING (RFC 2131 section 4.4.1:
/// "The client may choose to wait for multiple responses").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferPolicy {
    /// The first offer that came.
    First,
    /// The offer with the longest lease (ties: the first).
    LongestLease,
    /// An offer of this address if there is one (the address the client had), else the first.
    Address(Ipv4Addr),
}

/// The client's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The Ethernet address (chaddr).
    pub hardware_address: [u8; 6],
    /// Option 61; `None` sends type 1 followed by the hardware address (RFC 2132 section 9.14).
    pub client_identifier: Option<Vec<u8>>,
    /// Option 12, the client's host name.
    pub hostname: Option<String>,
    /// Option 81 (RFC 4702): the client's fully qualified name, asking the server to update DNS.
    pub fqdn: Option<String>,
    /// Option 60, the vendor class identifier.
    pub vendor_class: Option<Vec<u8>>,
    /// Option 55, the parameters asked for, in order of preference.
    pub parameter_request_list: Vec<u8>,
    /// How long to keep collecting offers after the first one, in milliseconds (0: take the
    /// first at once).
    pub offer_wait_ms: u64,
    /// How to choose among the offers collected.
    pub offer_policy: OfferPolicy,
    /// Ask for rapid commit (RFC 4039): a server that supports it answers the DISCOVER with an
    /// ACK directly.
    pub rapid_commit: bool,
    /// Ask servers to broadcast their replies (RFC 2131 section 4.1), for stacks that cannot
    /// receive unicast before they have an address.
    pub broadcast_flag: bool,
    /// Option 57, the largest message the client accepts (at least 576).
    pub max_message_size: u16,
    /// Retransmissions of a REQUEST in REQUESTING or REBOOTING before starting over in INIT
    /// (RFC 2131 sections 3.1.5 and 3.2); at 4, 8, 16 and 32 s, four take about a minute.
    pub request_retransmissions: u32,
    /// The address of a lease the client remembers: it starts in INIT-REBOOT and asks for it
    /// (RFC 2131 section 3.2) instead of discovering.
    pub remembered: Option<Ipv4Addr>,
    /// How long REBOOTING waits for an ACK or NAK before starting over in INIT, in
    /// milliseconds. A server with no record of the client stays silent (RFC 2131 section
    /// 4.3.2), as on a network the client has moved to, so the wait is short: 10 s, as
    /// dhclient's `reboot` statement (dhclient.conf(5)).
    pub reboot_timeout_ms: u64,
    /// Seed of the transaction ids and retransmission jitter.
    pub seed: u64,
}

impl ClientConfig {
    /// A configuration for `hardware_address` with the usual parameters: subnet mask, routers,
    /// DNS servers, host and domain name, MTU, broadcast address, lease times, domain search and
    /// classless routes.
    pub fn new(hardware_address: [u8; 6], seed: u64) -> Self {
        Self {
            hardware_address,
            client_identifier: None,
            hostname: None,
            fqdn: None,
            vendor_class: None,
            parameter_request_list: vec![1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119, 121],
            offer_wait_ms: 0,
            offer_policy: OfferPolicy::First,
            rapid_commit: false,
            broadcast_flag: false,
            max_message_size: 1500,
            request_retransmissions: 4,
            remembered: None,
            reboot_timeout_ms: 10_000,
            seed,
        }
    }

    /// The client identifier sent: the configured one, or type 1 and the hardware address.
    pub(crate) fn identifier(&self) -> Vec<u8> {
        match &self.client_identifier {
            Some(id) => id.clone(),
            None => {
                let mut id = vec![1];
                id.extend_from_slice(&self.hardware_address);
                id
            }
        }
    }
}
