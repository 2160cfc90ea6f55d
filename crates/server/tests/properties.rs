//! Random sequences of operations from many clients, with time passing: no address is ever
//! given to a client while another holds it, every given address is in a pool or fixed, every
//! reply goes where RFC 2131 section 4.1 says, and replaying the change log rebuilds the
//! database.

mod common;

use std::collections::HashMap;
use std::net::Ipv4Addr;

use charrua_server::fuzzing::{check_db, check_step, fuzz_config};
use charrua_server::{Outcome, Received, Server};
use charrua_wire::{Message, MessageType, OptionCode};
use common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Discover {
        client: u8,
        relayed: bool,
        broadcast: bool,
    },
    Select {
        client: u8,
        ours: bool,
    },
    InitReboot {
        client: u8,
        last: u8,
    },
    Renew {
        client: u8,
        broadcast: bool,
    },
    Release {
        client: u8,
    },
    Decline {
        client: u8,
    },
    Inform {
        client: u8,
    },
    Wait {
        seconds: u16,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let client = 1u8..12;
    prop_oneof![
        3 => (client.clone(), any::<bool>(), any::<bool>()).prop_map(|(client, relayed, broadcast)| Step::Discover { client, relayed, broadcast }),
        3 => (client.clone(), prop::bool::weighted(0.9)).prop_map(|(client, ours)| Step::Select { client, ours }),
        1 => (client.clone(), 95u8..110).prop_map(|(client, last)| Step::InitReboot { client, last }),
        2 => (client.clone(), any::<bool>()).prop_map(|(client, broadcast)| Step::Renew { client, broadcast }),
        1 => client.clone().prop_map(|client| Step::Release { client }),
        1 => client.clone().prop_map(|client| Step::Decline { client }),
        1 => client.prop_map(|client| Step::Inform { client }),
        1 => (1u16..700).prop_map(|seconds| Step::Wait { seconds }),
    ]
}

/// Runs `rx` through the server, checks the step, applies its changes.
fn run(h: &mut Harness, rx: &Received) -> Outcome {
    let outcome = Server::handle(&h.config, &h.db, rx, h.now);
    check_step(&h.config, &h.db, rx, h.now, &outcome);
    match &outcome {
        Outcome::Reply(r) => h.apply(&r.changes.clone()),
        Outcome::Commit(c) => h.apply(&c.clone()),
        Outcome::Ignore(_) => {}
    }
    check_db(&h.config, &h.db, h.now);
    outcome
}

fn relay_or_direct(msg: Message, relayed: bool) -> Received {
    if relayed {
        relayed_rx(msg)
    } else {
        direct(msg)
    }
}

fn relayed_rx(msg: Message) -> Received {
    let mut rx = relayed(msg);
    rx.message.giaddr = Ipv4Addr::new(198, 19, 0, 1);
    rx.source = std::net::SocketAddrV4::new(rx.message.giaddr, 67);
    rx
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_clients_never_share_an_address_and_replay_equals_live(steps in proptest::collection::vec(step(), 1..120)) {
        let mut h = Harness::new(fuzz_config().unwrap());
        // What each client last heard: (address, relayed).
        let mut known: HashMap<u8, (Ipv4Addr, bool)> = HashMap::new();
        for step in steps {
            match step {
                Step::Discover { client, relayed, broadcast } => {
                    let msg = Message { flags: if broadcast { Message::BROADCAST } else { 0 }, ..discover(mac(client)) };
                    if let Outcome::Reply(r) = run(&mut h, &relay_or_direct(msg, relayed)) {
                        known.insert(client, (r.message.yiaddr, relayed));
                    }
                }
                Step::Select { client, ours } => {
                    let Some(&(addr, relayed)) = known.get(&client) else { continue };
                    let server = if ours { SERVER } else { Ipv4Addr::new(198, 18, 0, 2) };
                    run(&mut h, &relay_or_direct(selecting(mac(client), addr, server), relayed));
                }
                Step::InitReboot { client, last } => {
                    run(&mut h, &direct(init_reboot(mac(client), Ipv4Addr::new(198, 18, 0, last))));
                }
                Step::Renew { client, broadcast } => {
                    let Some(&(addr, _)) = known.get(&client) else { continue };
                    let msg = renewing(mac(client), addr);
                    run(&mut h, &if broadcast { direct(msg) } else { unicast(msg) });
                }
                Step::Release { client } => {
                    let Some(&(addr, _)) = known.get(&client) else { continue };
                    run(&mut h, &unicast(Message { ciaddr: addr, ..message(MessageType::RELEASE, mac(client)) }));
                }
                Step::Decline { client } => {
                    let Some(&(addr, _)) = known.get(&client) else { continue };
                    let msg = with(message(MessageType::DECLINE, mac(client)), OptionCode::REQUESTED_ADDRESS, &addr.octets());
                    run(&mut h, &direct(msg));
                }
                Step::Inform { client } => {
                    let msg = Message { ciaddr: Ipv4Addr::new(198, 18, 0, 30 + client), ..message(MessageType::INFORM, mac(client)) };
                    run(&mut h, &unicast(msg));
                }
                Step::Wait { seconds } => {
                    h.advance(u64::from(seconds));
                    check_db(&h.config, &h.db, h.now);
                }
            }
        }
        prop_assert!(h.replayed() == h.db, "replaying the change log must rebuild the database");
    }

    #[test]
    fn server_step_holds_its_invariants_on_arbitrary_input(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        charrua_server::fuzzing::server_step(&data);
    }

    /// Option 81 as dhcpd decodes it: any octets, wire-form labels of any length included.
    #[test]
    fn fqdn_option_decoding_holds_its_invariants(
        flags in any::<u8>(),
        name in proptest::collection::vec(prop_oneof![any::<u8>(), 0u8..70, Just(b'.')], 0..80),
    ) {
        let mut data = vec![flags, 0, 0];
        data.extend_from_slice(&name);
        charrua_server::fuzzing::fqdn_space(&data);
    }
}
