//! ISC dhcpd's `always-broadcast` and `one-lease-per-client` (server/dhcp.c `ack_lease`), and
//! the lease scope its variables live in from one acknowledgement to the next.

mod common;

use charrua_server::config::ScopeBuilder;
use charrua_server::{Destination, LeaseState};
use charrua_wire::Message;
use common::*;

#[test]
fn always_broadcast_sets_the_bit_in_offers_and_acks_and_broadcasts_them() {
    let mut h = Harness::new(builder().always_broadcast(true).build().unwrap());
    let offer = h.send(&direct(discover(mac(1))));
    let offer = reply(&offer);
    assert_eq!(offer.destination, Destination::Broadcast);
    assert!(offer.message.flags & Message::BROADCAST != 0);
    let ack = h.send(&direct(selecting(mac(1), offer.message.yiaddr, SERVER)));
    assert_eq!(reply(&ack).destination, Destination::Broadcast);
    // Relayed: to the relay, with the bit set.
    let relayed_offer = h.send(&relayed(discover(mac(2))));
    let relayed_offer = reply(&relayed_offer);
    assert!(matches!(relayed_offer.destination, Destination::Relay(_)));
    assert!(relayed_offer.message.flags & Message::BROADCAST != 0);
    // Off (the default): unicast to the new address at the client's hardware address.
    let mut h = Harness::new(config());
    let offer = h.send(&direct(discover(mac(1))));
    assert!(matches!(
        reply(&offer).destination,
        Destination::Link { .. }
    ));
}

#[test]
fn one_lease_per_client_releases_the_clients_lease_on_another_network() {
    for (one, other_state) in [(true, LeaseState::Released), (false, LeaseState::Bound)] {
        let mut h = Harness::new(builder().one_lease_per_client(one).build().unwrap());
        // A lease behind the relay, then one on the server's own link.
        let offer = h.send(&relayed(discover(mac(1))));
        let far = reply(&offer).message.yiaddr;
        h.send(&relayed(selecting(mac(1), far, SERVER)));
        let near = dora(&mut h, mac(1));
        assert_ne!(near, far);
        assert_eq!(
            h.db.get(far).map(|l| l.state),
            Some(other_state),
            "one-lease-per-client {one}"
        );
    }
}

/// A lease's variables (dhcpd's lease scope: its DDNS names, earlier `on commit`s) stay with it
/// when its client is acknowledged again, under what this commit sets.
#[test]
fn a_leases_variables_stay_with_it_across_acknowledgements() {
    use charrua_server::config::{Action, Datum, Expr};
    use charrua_server::LeaseChange;
    let mut config = config();
    config.global.on_commit = Some(vec![Action::Set(
        "seen".into(),
        Expr::Const(b"yes".to_vec()),
    )]);
    let mut h = Harness::new(config);
    let addr = dora(&mut h, mac(1));
    let mut lease = h.db.get(addr).unwrap().clone();
    lease.variables.insert(
        0,
        ("ddns-fwd-name".into(), Datum::Data(b"pc.example".to_vec())),
    );
    h.apply(&[LeaseChange::Set(lease)]);
    // Past the cache threshold, the renewal writes the binding again.
    h.now += 1800;
    h.send(&unicast(renewing(mac(1), addr)));
    assert_eq!(
        h.db.get(addr).unwrap().variables,
        [
            (
                "ddns-fwd-name".to_string(),
                Datum::Data(b"pc.example".to_vec())
            ),
            ("seen".to_string(), Datum::Data(b"yes".to_vec())),
        ]
    );
}
