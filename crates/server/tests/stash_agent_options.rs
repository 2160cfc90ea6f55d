//! ISC's `stash-agent-options` (on unless set false; server/dhcp.c): a relayed client's relay
//! agent information is kept with its lease, and given back to its renewals sent straight to
//! the server, without the relay, so that the classes that placed it still match.

mod common;

use charrua_server::config::{Match, ScopeBuilder};
use charrua_server::Config;
use charrua_wire::{MessageType, OptionCode};
use common::*;

const AGENT: &[u8] = &[1, 2, b'p', b'1', 2, 3, 0, 0x1b, 0xff];

/// Behind the relay, only port p1's clients are served (its pool allows only their class).
fn config(stash: Option<bool>) -> Config {
    let mut config = Config::builder()
        .default_lease_time(3600)
        .subnet(RELAYED_NET.parse().unwrap(), |s| {
            s.pool(|p| {
                p.allow_class("port-1")
                    .range(ip(198, 19, 0, 100), ip(198, 19, 0, 110))
            })
        })
        .class(
            "port-1",
            Match::AgentSubOption {
                code: 1,
                value: b"p1".to_vec(),
            },
            |c| c,
        )
        .build()
        .unwrap();
    config.global.stash_agent_options = stash;
    config
}

/// A lease through the relay on port p1; its address.
fn relayed_lease(h: &mut Harness) -> std::net::Ipv4Addr {
    let discover = with(discover(mac(1)), OptionCode::RELAY_AGENT_INFORMATION, AGENT);
    let offer = h.send(&relayed(discover));
    let addr = reply(&offer).message.yiaddr;
    let request = with(
        selecting(mac(1), addr, SERVER),
        OptionCode::RELAY_AGENT_INFORMATION,
        AGENT,
    );
    let ack = h.send(&relayed(request));
    assert_eq!(reply(&ack).message.message_type(), Some(MessageType::ACK));
    addr
}

/// The reply to the client's renewal sent straight to the server, an hour on.
fn renew(h: &mut Harness, addr: std::net::Ipv4Addr) -> Option<MessageType> {
    h.now += 1800;
    let outcome = h.send(&unicast(renewing(mac(1), addr)));
    reply_type(&outcome)
}

#[test]
fn a_renewal_without_the_relay_matches_the_classes_its_lease_was_given_by() {
    let mut h = Harness::new(config(None));
    let addr = relayed_lease(&mut h);
    assert_eq!(
        h.db.get(addr).and_then(|l| l.agent_options.as_deref()),
        Some(AGENT)
    );
    assert_eq!(renew(&mut h, addr), Some(MessageType::ACK));
    // The renewal's binding keeps them for the next one.
    assert_eq!(
        h.db.get(addr).and_then(|l| l.agent_options.as_deref()),
        Some(AGENT)
    );
    assert_eq!(renew(&mut h, addr), Some(MessageType::ACK));
    assert_eq!(h.replayed(), h.db);
}

#[test]
fn with_stash_agent_options_false_the_renewal_is_refused() {
    let mut h = Harness::new(config(Some(false)));
    let addr = relayed_lease(&mut h);
    assert_eq!(h.db.get(addr).and_then(|l| l.agent_options.clone()), None);
    assert_ne!(renew(&mut h, addr), Some(MessageType::ACK));
}

/// Only a renewal gets them back: not one from another client, nor one that brings its own.
#[test]
fn stashed_options_go_only_to_the_leases_client_renewing() {
    let mut h = Harness::new(config(None));
    let addr = relayed_lease(&mut h);
    h.now += 1800;
    let other = h.send(&unicast(renewing(mac(2), addr)));
    assert_ne!(
        reply_type(&other),
        Some(MessageType::ACK),
        "another client renewing the address"
    );
    let own = with(
        renewing(mac(1), addr),
        OptionCode::RELAY_AGENT_INFORMATION,
        &[1, 2, b'p', b'2'],
    );
    // Not relayed: its option 82 is not trusted, and no stash replaces it.
    let reply = h.send(&unicast(own));
    assert_ne!(reply_type(&reply), Some(MessageType::ACK));
}

/// The type of the reply, if one came.
fn reply_type(outcome: &charrua_server::Outcome) -> Option<MessageType> {
    match outcome {
        charrua_server::Outcome::Reply(reply) => reply.message.message_type(),
        _ => None,
    }
}

/// Relay agent information longer than one option (RFC 3396) is not stashed: the binding is
/// written and acknowledged without it, rather than left unwritable.
#[test]
fn relay_agent_information_longer_than_an_option_is_not_kept() {
    // Port p1's circuit id, then a remote id that takes the whole past 255 octets.
    let mut long = vec![1, 2, b'p', b'1', 2, 250];
    long.extend_from_slice(&[7; 250]);
    let mut h = Harness::new(config(None));
    let discover = with(discover(mac(3)), OptionCode::RELAY_AGENT_INFORMATION, &long);
    let offer = h.send(&relayed(discover));
    assert_eq!(
        h.db.get(reply(&offer).message.yiaddr)
            .and_then(|l| l.agent_options.clone()),
        None
    );
}
