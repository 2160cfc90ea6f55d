//! Kea's statistics count what happened: each message received and each reply sent once (an
//! ACK only once its lease is durable), new bindings but not renewals, reclaimed leases, and
//! the sizes of each subnet and pool.

mod common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_engine::{Arrival, EngineOptions, LogLevel};
use charrua_store::{Committed, StoreError};
use charrua_wire::MessageType;
use common::Lab;

fn lab(clients: u8) -> Lab {
    Lab::new(
        clients,
        EngineOptions {
            interfaces: vec!["eth0".into()],
            log: LogLevel::Off,
            ..EngineOptions::default()
        },
    )
}

fn stats(lab: &Lab) -> BTreeMap<String, u64> {
    lab.engine.statistics().by_name().into_iter().collect()
}

fn stat(lab: &Lab, name: &str) -> u64 {
    *stats(lab)
        .get(name)
        .unwrap_or_else(|| panic!("no statistic {name}"))
}

/// DISCOVER, OFFER, REQUEST, commit, ACK for client `i`.
fn dora(lab: &mut Lab, i: usize) {
    assert_eq!(lab.send(i), [MessageType::DISCOVER]);
    assert_eq!(lab.replies(), [MessageType::OFFER]);
    assert_eq!(lab.send(i), [MessageType::REQUEST]);
    lab.start_commit().expect("the binding is committed");
    lab.land(Ok(Committed::default()));
    assert_eq!(lab.replies(), [MessageType::ACK]);
}

#[test]
fn every_message_is_counted_once_and_an_ack_only_once_durable() {
    let mut lab = lab(2);
    assert_eq!(stat(&lab, "subnet[1].total-addresses"), 21);
    assert_eq!(stat(&lab, "subnet[1].pool[0].total-addresses"), 21);
    dora(&mut lab, 0);
    // The second client's commit fails: its ACK never leaves and is not counted.
    assert_eq!(lab.send(1), [MessageType::DISCOVER]);
    assert_eq!(lab.replies(), [MessageType::OFFER]);
    lab.advance(10);
    assert_eq!(lab.send(1), [MessageType::REQUEST]);
    lab.start_commit().expect("a commit");
    lab.land(Err(StoreError::Stopped));
    assert_eq!(lab.replies(), []);
    let s = stats(&lab);
    let get = |n: &str| s.get(n).copied().unwrap_or(u64::MAX);
    assert_eq!(get("pkt4-received"), 4);
    assert_eq!(get("pkt4-discover-received"), 2);
    assert_eq!(get("pkt4-request-received"), 2);
    assert_eq!(get("pkt4-offer-sent"), 2);
    assert_eq!(get("pkt4-ack-sent"), 1);
    assert_eq!(get("pkt4-sent"), 3);
    assert_eq!(get("pkt4-nak-sent"), 0);
    assert_eq!(
        get("subnet[1].assigned-addresses"),
        1,
        "the failed one undone"
    );
    assert_eq!(get("subnet[1].cumulative-assigned-addresses"), 1);
    assert_eq!(get("assigned-addresses"), 1);
    assert_eq!(get("cumulative-assigned-addresses"), 1);
}

#[test]
fn a_renewal_is_not_a_new_assignment_and_an_expiry_is_reclaimed() {
    let mut lab = lab(1);
    dora(&mut lab, 0);
    // Renew at T1 (half the default lease time of 12 hours... the client's own timer).
    let t1 = lab.clients[0].poll_timeout().expect("a renewal timer");
    lab.advance(t1 - lab.ms);
    assert_eq!(lab.send(0), [MessageType::REQUEST]);
    lab.start_commit().expect("the renewal is committed");
    lab.land(Ok(Committed::default()));
    assert_eq!(lab.replies(), [MessageType::ACK]);
    assert_eq!(stat(&lab, "pkt4-ack-sent"), 2);
    assert_eq!(stat(&lab, "cumulative-assigned-addresses"), 1);
    assert_eq!(stat(&lab, "subnet[1].pool[0].assigned-addresses"), 1);
    // The client goes away; its lease runs out and is reclaimed.
    lab.clients.clear();
    lab.advance(2 * 86_400_000);
    assert_eq!(stat(&lab, "subnet[1].assigned-addresses"), 0);
    assert_eq!(stat(&lab, "subnet[1].reclaimed-leases"), 1);
    assert_eq!(stat(&lab, "reclaimed-leases"), 1);
    // statistic-reset of a counter; sizes are not counters.
    assert!(lab.engine.reset_statistic("subnet[1].reclaimed-leases"));
    assert_eq!(stat(&lab, "subnet[1].reclaimed-leases"), 0);
    assert!(lab.engine.reset_statistic("pkt4-ack-sent"));
    assert_eq!(stat(&lab, "pkt4-ack-sent"), 0);
    assert!(!lab.engine.reset_statistic("subnet[1].total-addresses"));
    assert!(!lab.engine.reset_statistic("subnet[9].reclaimed-leases"));
    assert!(!lab.engine.reset_statistic("no-such-statistic"));
    lab.engine.reset_statistics();
    assert_eq!(stat(&lab, "pkt4-received"), 0);
    assert_eq!(stat(&lab, "cumulative-assigned-addresses"), 0);
}

#[test]
fn garbage_counts_as_received_and_parse_failed() {
    let mut lab = lab(0);
    let arrival = Arrival {
        interface: 0,
        interface_address: common::SERVER,
        source: SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 9), 68),
        destination: Ipv4Addr::BROADCAST,
    };
    lab.engine
        .handle_datagram(&arrival, b"not a DHCP message", common::now(0));
    assert_eq!(stat(&lab, "pkt4-received"), 1);
    assert_eq!(stat(&lab, "pkt4-parse-failed"), 1);
    assert_eq!(stat(&lab, "pkt4-discover-received"), 0);
}
