//! The messages a simulated client sends, and the bookkeeping of its exchanges.
//!
//! Exchange `n` is played by client `n % clients` (hardware address `02:00:` followed by the
//! client number), so many exchanges reuse the same clients, as perfdhcp's `-R` does. Its
//! transaction id is `n` in the low 30 bits, with the phase in the top two: the DISCOVER,
//! REQUEST exchange (0) or a renewal (1). Slots in a ring, indexed by `n`, hold each exchange's
//! state and timestamps; a slot is reused once the ring wraps, long after its timeout.

use std::net::Ipv4Addr;

use charrua_wire::{Message, MessageType, OptionCode};

use crate::reach::Path;

/// Phases carried in a transaction id's top two bits.
pub(crate) const PHASE_DORA: u32 = 0;
pub(crate) const PHASE_RENEW: u32 = 1;
const SEQUENCE_MASK: u32 = 0x3fff_ffff;

/// Where an exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum State {
    #[default]
    Free,
    /// DISCOVER sent, waiting for an OFFER.
    Discovering,
    /// REQUEST sent, waiting for its ACK.
    Requesting,
    /// Renewal sent, waiting for its ACK.
    Renewing,
    /// Bound (and released, if asked).
    Done,
    /// NAKed.
    Refused,
    /// A reply came after the timeout.
    Lost,
}

/// One exchange's slot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    /// `n + 1` of the exchange in the slot (0: never used).
    pub(crate) tag: u64,
    pub(crate) state: State,
    pub(crate) address: Ipv4Addr,
    pub(crate) server: Ipv4Addr,
    /// Nanoseconds since the start when the phase's first message left.
    pub(crate) discover_at: u64,
    pub(crate) request_at: u64,
    pub(crate) renew_at: u64,
}

impl Default for Slot {
    fn default() -> Self {
        Self {
            tag: 0,
            state: State::Free,
            address: Ipv4Addr::UNSPECIFIED,
            server: Ipv4Addr::UNSPECIFIED,
            discover_at: 0,
            request_at: 0,
            renew_at: 0,
        }
    }
}

/// The ring of exchange slots.
#[derive(Debug)]
pub(crate) struct Ring {
    slots: Vec<Slot>,
    mask: u64,
}

impl Ring {
    /// A ring with room for at least `in_flight` exchanges.
    pub(crate) fn new(in_flight: u64) -> Self {
        let size = in_flight.clamp(1024, 1 << 24).next_power_of_two();
        Self {
            slots: vec![Slot::default(); usize::try_from(size).unwrap_or(1 << 24)],
            mask: size - 1,
        }
    }

    fn index(&self, n: u64) -> usize {
        usize::try_from(n & self.mask).unwrap_or(0)
    }

    /// The slot of exchange `n` for a new exchange (whatever was there is overwritten).
    pub(crate) fn start(&mut self, n: u64) -> Option<&mut Slot> {
        let index = self.index(n);
        let slot = self.slots.get_mut(index)?;
        *slot = Slot {
            tag: n + 1,
            ..Slot::default()
        };
        Some(slot)
    }

    /// The slot of the exchange whose transaction id is `xid`, if it is still there; `n` is
    /// rebuilt from the 30 bits of the id and the highest exchange started.
    pub(crate) fn find(&mut self, xid: u32, started: u64) -> Option<(u64, &mut Slot)> {
        let low = u64::from(xid & SEQUENCE_MASK);
        let span = u64::from(SEQUENCE_MASK) + 1;
        let top = started.checked_sub(1)?;
        let mut n = (top & !(span - 1)) | low;
        if n > top {
            n = n.checked_sub(span)?;
        }
        let index = self.index(n);
        let slot = self.slots.get_mut(index)?;
        (slot.tag == n + 1).then_some((n, slot))
    }
}

/// The transaction id of exchange `n` in `phase`.
pub(crate) fn xid(n: u64, phase: u32) -> u32 {
    (n as u32 & SEQUENCE_MASK) | (phase << 30)
}

/// The phase of a transaction id.
pub(crate) fn phase(xid: u32) -> u32 {
    xid >> 30
}

/// Builds the messages of one run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Builder {
    pub(crate) path: Path,
    pub(crate) clients: u64,
    /// The number of the first client: loads run side by side play different clients.
    pub(crate) first_client: u64,
}

impl Builder {
    fn base(&self, kind: MessageType, n: u64, phase: u32) -> Message {
        let client = self.first_client.wrapping_add(n % self.clients.max(1));
        let mut msg = Message {
            xid: xid(n, phase),
            ..Message::default()
        };
        let id = client.to_be_bytes();
        let mac = [0x02, 0x00, id[4], id[5], id[6], id[7]];
        if let Some(chaddr) = msg.chaddr.get_mut(..6) {
            chaddr.copy_from_slice(&mac);
        }
        self.path.address(&mut msg);
        msg.options.insert(OptionCode::MESSAGE_TYPE, &[kind.0]);
        msg
    }

    /// DISCOVER of exchange `n`.
    pub(crate) fn discover(&self, n: u64) -> Vec<u8> {
        let mut msg = self.base(MessageType::DISCOVER, n, PHASE_DORA);
        msg.options
            .insert(OptionCode::PARAMETER_REQUEST_LIST, &[1, 3, 6, 15, 51]);
        msg.encode()
    }

    /// REQUEST (SELECTING) of exchange `n` for `address` offered by `server`.
    pub(crate) fn request(&self, n: u64, address: Ipv4Addr, server: Ipv4Addr) -> Vec<u8> {
        let mut msg = self.base(MessageType::REQUEST, n, PHASE_DORA);
        msg.options
            .insert(OptionCode::REQUESTED_ADDRESS, &address.octets());
        msg.options
            .insert(OptionCode::SERVER_IDENTIFIER, &server.octets());
        msg.options
            .insert(OptionCode::PARAMETER_REQUEST_LIST, &[1, 3, 6, 15, 51]);
        msg.encode()
    }

    /// REQUEST (RENEWING) of exchange `n`'s lease on `address`.
    pub(crate) fn renew(&self, n: u64, address: Ipv4Addr) -> Vec<u8> {
        let mut msg = self.base(MessageType::REQUEST, n, PHASE_RENEW);
        msg.ciaddr = address;
        msg.flags = 0;
        msg.encode()
    }

    /// RELEASE of exchange `n`'s lease on `address` from `server`.
    pub(crate) fn release(&self, n: u64, address: Ipv4Addr, server: Ipv4Addr) -> Vec<u8> {
        let mut msg = self.base(MessageType::RELEASE, n, PHASE_RENEW);
        msg.ciaddr = address;
        msg.flags = 0;
        msg.options
            .insert(OptionCode::SERVER_IDENTIFIER, &server.octets());
        msg.encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_ids_find_their_exchange_across_the_30_bit_wrap() {
        let mut ring = Ring::new(4096);
        for n in [0u64, 5, (1 << 30) - 1, 1 << 30, (1 << 30) + 7] {
            ring.start(n).unwrap();
            let id = xid(n, PHASE_RENEW);
            assert_eq!(phase(id), PHASE_RENEW);
            let (found, _) = ring.find(id, n + 1).unwrap();
            assert_eq!(found, n);
            // A later exchange in the same slot makes the old id unknown.
            ring.start(n + 4096).unwrap();
            assert!(ring.find(id, n + 4097).is_none());
        }
    }

    #[test]
    fn messages_parse_and_carry_the_relay_and_client() {
        let b = Builder {
            path: Path::Relay(Ipv4Addr::new(198, 18, 0, 2)),
            clients: 1000,
            first_client: 0,
        };
        let m = Message::parse(&b.discover(1234)).unwrap();
        assert_eq!(m.message_type(), Some(MessageType::DISCOVER));
        assert_eq!(m.giaddr, Ipv4Addr::new(198, 18, 0, 2));
        assert_eq!(&m.chaddr[..6], &[2, 0, 0, 0, 0, 234]);
        let later = Builder {
            first_client: 0x1_0000,
            ..b
        };
        let m = Message::parse(&later.discover(1234)).unwrap();
        assert_eq!(&m.chaddr[..6], &[2, 0, 0, 1, 0, 234]);
        let r = Message::parse(&b.request(
            7,
            Ipv4Addr::new(198, 19, 0, 9),
            Ipv4Addr::new(198, 18, 0, 1),
        ))
        .unwrap();
        assert_eq!(
            r.options.requested_address(),
            Some(Ipv4Addr::new(198, 19, 0, 9))
        );
        assert_eq!(phase(r.xid), PHASE_DORA);
        let renew = Message::parse(&b.renew(7, Ipv4Addr::new(198, 19, 0, 9))).unwrap();
        assert_eq!(
            (renew.ciaddr, phase(renew.xid)),
            (Ipv4Addr::new(198, 19, 0, 9), PHASE_RENEW)
        );
    }
}
