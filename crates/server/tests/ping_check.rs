//! When the core asks for an ICMP probe before an offer, as dhcpd's `do_ping_check`
//! (server/dhcp.c) decides: on by default, one second, never for a fixed address or a binding
//! the client holds, not for the address's last client within `ping-cltt-secs` (60) of its
//! last transaction, always for an abandoned address.

mod common;

use charrua_server::config::ScopeBuilder;
use charrua_server::{Probe, Server};
use common::*;

fn probe_of(h: &mut Harness, m: [u8; 6]) -> Option<Probe> {
    reply(&h.send(&direct(discover(m)))).probe
}

#[test]
fn a_fresh_address_is_probed_for_one_second_by_default() {
    let mut h = Harness::new(config());
    let probe = probe_of(&mut h, mac(1)).expect("probed");
    assert_eq!(probe.timeout_ms, 1000);
    assert!(h.db.get(probe.address).is_some());
}

#[test]
fn a_fixed_address_is_never_probed() {
    let mut h = Harness::new(config());
    assert_eq!(probe_of(&mut h, FIXED_MAC), None);
}

#[test]
fn ping_check_false_turns_it_off_and_ping_timeout_ms_overrides_ping_timeout() {
    let mut h = Harness::new(builder().ping_check(false, 0).build().unwrap());
    assert_eq!(probe_of(&mut h, mac(1)), None);
    let mut h = Harness::new(builder().ping_check(true, 250).build().unwrap());
    assert_eq!(probe_of(&mut h, mac(1)).map(|p| p.timeout_ms), Some(250));
}

#[test]
fn the_same_client_is_not_probed_again_within_a_minute_nor_while_bound() {
    let mut h = Harness::new(config());
    assert!(probe_of(&mut h, mac(1)).is_some());
    h.now += 30;
    assert_eq!(probe_of(&mut h, mac(1)), None, "its offer, 30 s later");
    let addr = dora(&mut h, mac(1));
    h.now += 3000;
    assert_eq!(probe_of(&mut h, mac(1)), None, "bound to {addr}");
}

#[test]
fn a_previous_clients_address_is_probed_after_a_minute_and_an_abandoned_one_always() {
    let mut h = Harness::new(config());
    let addr = dora(&mut h, mac(1));
    // The lease runs out; the client comes back later.
    h.advance(3600 + 61);
    let probe = probe_of(&mut h, mac(1)).expect("probed after ping-cltt-secs");
    assert_eq!(probe.address, addr);
    // Something answered: the address is abandoned, out of every pool until it ends.
    let changes = Server::abandon(&h.config, &h.db, addr, h.now);
    h.apply(&changes);
    assert_eq!(
        h.db.get(addr).map(|l| l.state),
        Some(charrua_server::LeaseState::Declined)
    );
    let next = probe_of(&mut h, mac(1)).expect("another address, probed");
    assert_ne!(next.address, addr);
}
