//! The changes time makes: offers and leases run out (the association is kept, so the client
//! gets its address back, RFC 2131 section 4.3.1), declined addresses leave probation.

use std::net::SocketAddrV4;

use charrua_wire::{Message, OptionCode};

use super::Received;
use crate::config::Config;
use crate::lease::{ClientKey, Hardware, Lease, LeaseChange, LeaseDb, LeaseState};

pub(crate) fn changes(_config: &Config, db: &LeaseDb, now: u64) -> Vec<LeaseChange> {
    db.ending_by(now)
        .map(|lease| match lease.state {
            LeaseState::Declined => LeaseChange::Remove(lease.address),
            _ => LeaseChange::Set(lease.unbound(LeaseState::Expired, lease.ends)),
        })
        .collect()
}

/// `lease` as a message from its client, for running `on expiry` statements where no packet
/// is at hand: a BOOTREQUEST with the lease's hardware address and client identifier, from its
/// address, on the link of that address.
pub(crate) fn as_received(lease: &Lease) -> Received {
    let mut message = Message::default();
    let hardware = match &lease.client {
        ClientKey::ClientId(id) => {
            message.options.insert(OptionCode::CLIENT_IDENTIFIER, id);
            lease.hardware
        }
        ClientKey::Hardware { htype, addr } => Hardware::new(*htype, addr),
    };
    if let Some(hw) = hardware {
        message.htype = hw.htype();
        message.hlen = hw.addr().len() as u8;
        message
            .chaddr
            .iter_mut()
            .zip(hw.addr())
            .for_each(|(to, from)| *to = *from);
    }
    message.ciaddr = lease.address;
    Received {
        message,
        source: SocketAddrV4::new(lease.address, 68),
        destination: lease.address,
        interface_address: lease.address,
    }
}
