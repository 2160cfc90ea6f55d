//! Leases and change sequences shared by the stores' tests.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use charrua_server::config::Datum;
use charrua_server::{Billing, ClientKey, Hardware, Lease, LeaseChange, LeaseState};
use proptest::prelude::*;

/// The address of `slot`: inside the range of testdata/leases/classes.conf, where
/// `dhcpd -T` places leases.
pub fn address(slot: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 18, 0, 100 + slot)
}

/// A lease of `slot` to `client` (every third client by a client identifier, with its hardware
/// address beside it; client 7's bound leases never end; even clients have host names).
pub fn lease(slot: u8, client: u8, state: LeaseState, starts: u64) -> Lease {
    Lease {
        address: address(slot),
        state,
        client: if client.is_multiple_of(3) {
            ClientKey::ClientId(vec![1, 2, 0, 0, 0, 0, client].into())
        } else {
            ClientKey::Hardware {
                htype: 1,
                addr: vec![2, 0, 0, 0, 0, client].into(),
            }
        },
        starts: 1_795_000_000 + starts,
        ends: if state == LeaseState::Bound && client == 7 {
            u64::MAX
        } else {
            1_795_000_600 + starts
        },
        hostname: client
            .is_multiple_of(2)
            .then(|| format!("host-{client}").into()),
        hardware: client
            .is_multiple_of(3)
            .then(|| Hardware::new(1, &[2, 0, 0, 0, 0, client]))
            .flatten(),
        // Every fifth client's leases keep variables of each kind (`on commit` sets them).
        variables: if client.is_multiple_of(5) {
            vec![
                (
                    "ClientIP".into(),
                    Datum::Data(format!("198.18.0.{slot}").into_bytes()),
                ),
                ("raw".into(), Datum::Data(vec![0, 1, b'"', 0xff])),
                ("n".into(), Datum::Number(u32::from(client) * 1000)),
                ("seen".into(), Datum::Bool(true)),
            ]
        } else {
            Vec::new()
        },
        // Bindings of clients 1, 5, 9, ... are billed to a class, a printable subclass or a
        // binary one (`lease limit`).
        billing: match client % 12 {
            1 if state == LeaseState::Bound => Billing::new("phones", None),
            5 if state == LeaseState::Bound => Billing::new("per port", Some(b"port 1/1")),
            9 if state == LeaseState::Bound => Billing::new("per mac", Some(&[1, 0, 0x5e, client])),
            _ => None,
        }
        .map(Box::new),
        // Bindings of clients 2, 6, 10, ... came through a relay: circuit and remote id (one
        // printable, one not), an agent-id address, a DOCSIS class, an unnamed sub-option.
        agent_options: (client % 4 == 2 && state == LeaseState::Bound).then(|| {
            vec![
                1, 6, b'e', b't', b'h', b'0', b'/', client, 2, 3, 0, 0x1b, 0xff, 3, 4, 198, 18, 0,
                1, 4, 4, 0, 0, 0, 7, 9, 2, 0xab, 0xcd,
            ]
            .into()
        }),
    }
}

/// The leases a sequence of changes leaves, offers aside (they are never durable).
pub type State = BTreeMap<Ipv4Addr, Lease>;

pub fn fold(state: &mut State, change: LeaseChange) {
    match change {
        LeaseChange::Set(l) if l.state != LeaseState::Offered => {
            state.insert(l.address, l);
        }
        LeaseChange::Set(_) => {}
        LeaseChange::Remove(a) => {
            state.remove(&a);
        }
    }
}

/// Any change to one of 12 addresses.
pub fn change() -> impl Strategy<Value = LeaseChange> {
    let state = prop_oneof![
        Just(LeaseState::Offered),
        Just(LeaseState::Bound),
        Just(LeaseState::Released),
        Just(LeaseState::Expired),
        Just(LeaseState::Declined),
    ];
    prop_oneof![
        4 => (0u8..12, 1u8..9, state, 0u64..1000).prop_map(|(s, c, st, t)| LeaseChange::Set(lease(s, c, st, t))),
        1 => (0u8..12).prop_map(|s| LeaseChange::Remove(address(s))),
    ]
}
