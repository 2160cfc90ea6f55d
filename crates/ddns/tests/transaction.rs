//! The transaction's steps and ISC's log lines (docs/ddns.md sections 5.3 and 5.4), driven with
//! scripted answers from unsigned zones.

use std::net::{Ipv4Addr, SocketAddr};

use charrua_ddns::{
    forward_name, reverse_name, ClientIdentity, Conflict, DomainName, Event, Forward, Guard, Level,
    LogLine, MixedMode, Path, Rcode, Registered, Registration, Rules, Step, Transaction,
    TransportError, Zone, Zones, DEFAULT_REV_DOMAIN,
};

const ADDR: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
const NOW: u64 = 1_700_000_000;

fn server(n: u8) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, n], 53))
}

fn zones() -> Zones {
    let zone = |name: &str, servers: Vec<SocketAddr>| Zone {
        name: DomainName::other(name).unwrap(),
        servers,
        key: None,
    };
    Zones::new(vec![
        zone("test.example.", vec![server(1), server(2)]),
        zone("18.198.in-addr.arpa.", vec![server(3)]),
    ])
}

fn guard() -> Guard {
    Guard::interim(&ClientIdentity {
        client_id: None,
        htype: 1,
        chaddr: &[2, 0, 0, 0, 0, 1],
    })
}

fn fqdn() -> DomainName {
    forward_name("alpha", "test.example").unwrap()
}

fn rev() -> DomainName {
    reverse_name(ADDR, DEFAULT_REV_DOMAIN).unwrap()
}

fn registration(path: Path) -> Registration {
    Registration {
        fqdn: fqdn(),
        address: ADDR,
        ttl: 300,
        reverse: Some(rev()),
        path,
    }
}

fn server_path() -> Registration {
    registration(Path::Server { guard: guard() })
}

fn registered() -> Registered {
    Registered {
        address: ADDR,
        forward: Some(Forward {
            fqdn: fqdn(),
            guard: guard(),
        }),
        reverse: Some(rev()),
    }
}

/// The answer a server would give to `request`: its header with QR and `rcode`.
fn answer(request: &[u8], rcode: Rcode) -> Vec<u8> {
    let mut wire = request[..12].to_vec();
    wire[2] |= 0x80;
    wire[3] = (wire[3] & 0xf0) | rcode.0;
    wire[4..12].fill(0);
    wire
}

/// Answers each step in turn with the next RCODE (or a timeout for `None`), checking it goes to
/// the expected step and server; returns the events.
fn drive(tx: &mut Transaction, script: &[(Step, SocketAddr, Option<Rcode>)]) -> Vec<Event> {
    for (i, (step, to, rcode)) in script.iter().enumerate() {
        let t = tx
            .poll_transmit(0x4000 + i as u16, NOW)
            .expect("a datagram to send");
        assert_eq!((t.step, t.server), (*step, *to), "exchange {i}");
        assert!(tx.poll_transmit(1, NOW).is_none(), "one request at a time");
        match rcode {
            Some(rcode) => assert!(tx.handle_response(&answer(&t.wire, *rcode), NOW)),
            None => tx.handle_transport_error(TransportError::TimedOut),
        }
    }
    assert!(
        tx.poll_transmit(0x7000, NOW).is_none(),
        "script ended early"
    );
    assert!(tx.is_finished());
    std::iter::from_fn(|| tx.poll_event()).collect()
}

fn info(text: &str) -> Event {
    Event::Log(LogLine {
        level: Level::Info,
        text: text.to_owned(),
    })
}

fn error(text: &str) -> Event {
    Event::Log(LogLine {
        level: Level::Error,
        text: text.to_owned(),
    })
}

const NOERROR: Option<Rcode> = Some(Rcode::NOERROR);

#[test]
fn adds_forward_then_reverse() {
    let mut tx = Transaction::add(server_path(), &zones(), Rules::default());
    let events = drive(
        &mut tx,
        &[
            (Step::Add1, server(1), NOERROR),
            (Step::AddPtr, server(3), NOERROR),
        ],
    );
    assert_eq!(
        events,
        [
            info("Added new forward map from alpha.test.example to 198.18.0.100"),
            Event::ForwardAdded(Forward {
                fqdn: fqdn(),
                guard: guard()
            }),
            info("Added reverse map from 100.0.18.198.in-addr.arpa. to alpha.test.example"),
            Event::ReverseAdded {
                reverse: rev(),
                client_fqdn: None
            },
            Event::Finished { success: true },
        ]
    );
}

#[test]
fn takes_over_its_own_name_after_yxdomain() {
    let mut tx = Transaction::add(server_path(), &zones(), Rules::default());
    let events = drive(
        &mut tx,
        &[
            (Step::Add1, server(1), Some(Rcode::YXDOMAIN)),
            // Any answer but NOERROR goes to the zone's next server first.
            (Step::Add1, server(2), Some(Rcode::YXDOMAIN)),
            (Step::Add2, server(1), NOERROR),
            (Step::AddPtr, server(3), NOERROR),
        ],
    );
    assert_eq!(
        events[0],
        info("Added new forward map from alpha.test.example to 198.18.0.100")
    );
    assert_eq!(events.last(), Some(&Event::Finished { success: true }));
}

#[test]
fn refuses_a_name_held_by_another_client() {
    for (rcode, why) in [
        (
            Rcode::NXRRSET,
            "Has an address record but no DHCID, not mine.",
        ),
        (
            Rcode::NXDOMAIN,
            "Has an address record but no DHCID, not mine.",
        ),
        (Rcode::YXRRSET, "DHCID mismatch, belongs to another client."),
    ] {
        let mut tx = Transaction::add(server_path(), &zones(), Rules::default());
        let events = drive(
            &mut tx,
            &[
                (Step::Add1, server(1), Some(Rcode::YXDOMAIN)),
                (Step::Add1, server(2), Some(Rcode::YXDOMAIN)),
                (Step::Add2, server(1), Some(rcode)),
                (Step::Add2, server(2), Some(rcode)),
            ],
        );
        let line = format!("Forward map from alpha.test.example to 198.18.0.100 FAILED: {why}");
        assert_eq!(events, [error(&line), Event::Finished { success: false }]);
    }
}

#[test]
fn logs_failures_with_the_result_text() {
    let mut tx = Transaction::add(server_path(), &zones(), Rules::default());
    let events = drive(
        &mut tx,
        &[
            (Step::Add1, server(1), None),
            (Step::Add1, server(2), Some(Rcode::REFUSED)),
        ],
    );
    assert_eq!(
        events,
        [
            error("Unable to add forward map from alpha.test.example to 198.18.0.100: REFUSED"),
            Event::Finished { success: false },
        ]
    );
    let mut tx = Transaction::add(server_path(), &zones(), Rules::default());
    let events = drive(
        &mut tx,
        &[
            (Step::Add1, server(1), NOERROR),
            (Step::AddPtr, server(3), None),
        ],
    );
    assert_eq!(
        events[2],
        error(
            "Unable to add reverse map from 100.0.18.198.in-addr.arpa. to alpha.test.example: timed out"
        )
    );
    assert_eq!(events[3], Event::Finished { success: false });
}

#[test]
fn adds_only_the_ptr_on_the_client_path() {
    let mut tx = Transaction::add(registration(Path::Client), &zones(), Rules::default());
    let events = drive(&mut tx, &[(Step::AddPtr, server(3), NOERROR)]);
    assert_eq!(
        events,
        [
            info("Added reverse map from 100.0.18.198.in-addr.arpa. to alpha.test.example"),
            Event::ReverseAdded {
                reverse: rev(),
                client_fqdn: Some(fqdn())
            },
            Event::Finished { success: true },
        ]
    );
}

#[test]
fn sends_nothing_for_a_name_outside_every_zone() {
    let mut registration = server_path();
    registration.fqdn = forward_name("alpha", "other.zone").unwrap();
    let mut tx = Transaction::add(registration.clone(), &zones(), Rules::default());
    let events = drive(&mut tx, &[]);
    assert_eq!(
        events,
        [
            Event::NoZone(registration.fqdn),
            Event::Finished { success: false }
        ]
    );
    // A forward name in a zone and an address outside every reverse zone: the PTR is skipped.
    let mut registration = server_path();
    registration.reverse = Some(reverse_name(Ipv4Addr::new(10, 0, 0, 1), "in-addr.arpa.").unwrap());
    let mut tx = Transaction::add(registration.clone(), &zones(), Rules::default());
    let events = drive(&mut tx, &[(Step::Add1, server(1), NOERROR)]);
    assert_eq!(events[2], Event::NoZone(registration.reverse.unwrap()));
    assert_eq!(events[3], Event::Finished { success: false });
}

#[test]
fn removes_forward_then_reverse() {
    let mut tx = Transaction::remove(registered(), &zones(), Rules::default());
    let events = drive(
        &mut tx,
        &[
            (Step::Rem1, server(1), NOERROR),
            (Step::Rem2, server(1), NOERROR),
            (Step::RemPtr, server(3), NOERROR),
        ],
    );
    assert_eq!(
        events,
        [
            info("Removed forward map from alpha.test.example to 198.18.0.100"),
            Event::ForwardRemoved,
            info("Removed reverse map on 100.0.18.198.in-addr.arpa."),
            Event::ReverseRemoved,
            Event::Finished { success: true },
        ]
    );
}

#[test]
fn treats_absent_records_as_removed() {
    let mut tx = Transaction::remove(registered(), &zones(), Rules::default());
    let events = drive(
        &mut tx,
        &[
            (Step::Rem1, server(1), Some(Rcode::NXRRSET)),
            (Step::Rem1, server(2), Some(Rcode::NXRRSET)),
            (Step::RemPtr, server(3), Some(Rcode::NXDOMAIN)),
        ],
    );
    assert_eq!(
        events,
        [
            Event::ForwardRemoved,
            Event::ReverseRemoved,
            Event::Finished { success: true }
        ]
    );
}

#[test]
fn keeps_what_it_could_not_remove() {
    // Removal 1 failing logs nothing (as ISC) and still removes the PTR.
    let mut tx = Transaction::remove(registered(), &zones(), Rules::default());
    let events = drive(
        &mut tx,
        &[
            (Step::Rem1, server(1), Some(Rcode::SERVFAIL)),
            (Step::Rem1, server(2), None),
            (Step::RemPtr, server(3), Some(Rcode::REFUSED)),
        ],
    );
    assert_eq!(
        events,
        [
            error("Can't remove reverse map on 100.0.18.198.in-addr.arpa.: REFUSED"),
            Event::Finished { success: false },
        ]
    );
    // Removal 2 answered YXRRSET: addresses remain, the lease forgets the name anyway.
    let mut tx = Transaction::remove(registered(), &zones(), Rules::default());
    let events = drive(
        &mut tx,
        &[
            (Step::Rem1, server(1), NOERROR),
            (Step::Rem2, server(1), Some(Rcode::YXRRSET)),
            (Step::Rem2, server(2), Some(Rcode::YXRRSET)),
            (Step::RemPtr, server(3), NOERROR),
        ],
    );
    assert_eq!(events[1], Event::ForwardRemoved);
    assert_eq!(events.last(), Some(&Event::Finished { success: true }));
}

#[test]
fn removes_only_what_the_lease_holds() {
    let mut nothing = registered();
    nothing.forward = None;
    nothing.reverse = None;
    let mut tx = Transaction::remove(nothing, &zones(), Rules::default());
    assert_eq!(drive(&mut tx, &[]), [Event::Finished { success: true }]);
    let mut ptr_only = registered();
    ptr_only.forward = None;
    let mut tx = Transaction::remove(ptr_only, &zones(), Rules::default());
    let events = drive(&mut tx, &[(Step::RemPtr, server(3), NOERROR)]);
    assert_eq!(events.last(), Some(&Event::Finished { success: true }));
}

#[test]
fn ignores_stray_datagrams() {
    let mut tx = Transaction::add(server_path(), &zones(), Rules::default());
    let t = tx.poll_transmit(0x1234, NOW).unwrap();
    let mut other = answer(&t.wire, Rcode::NOERROR);
    other[1] ^= 0xff;
    assert!(!tx.handle_response(&other, NOW));
    assert!(!tx.handle_response(&t.wire, NOW), "our own query echoed");
    assert!(!tx.handle_response(&[0; 5], NOW));
    assert_eq!(tx.step(), Some(Step::Add1));
    assert!(tx.handle_response(&answer(&t.wire, Rcode::NOERROR), NOW));
    assert_eq!(tx.step(), Some(Step::AddPtr));
    assert!(
        !tx.handle_response(&answer(&t.wire, Rcode::NOERROR), NOW),
        "nothing pending"
    );
}

const MIXED: Rules = Rules {
    conflict: Conflict::GuardMatches,
    mixed: MixedMode::On,
};

const OTHER_DYNAMIC: Rules = Rules {
    conflict: Conflict::GuardMatches,
    mixed: MixedMode::OtherGuardIsDynamic,
};

/// Mixed mode: a name in use without this style's guard gets add 3
/// (server/ddns.c:ddns_fwd_srv_add2), whose refusals have ISC's lines
/// (`ddns_fwd_srv_add3`).
#[test]
fn mixed_mode_tries_a_third_add() {
    let failed = "Forward map from alpha.test.example to 198.18.0.100 FAILED: ";
    for (rcode, outcome) in [
        (Rcode::NOERROR, None),
        (
            Rcode::YXRRSET,
            Some("an entry that is either static or owned by another client exists."),
        ),
        (
            Rcode::NXRRSET,
            Some("static entry of the other protocol type exists."),
        ),
    ] {
        let mut tx = Transaction::add(server_path(), &zones(), MIXED);
        let mut script = vec![
            (Step::Add1, server(1), Some(Rcode::YXDOMAIN)),
            (Step::Add1, server(2), Some(Rcode::YXDOMAIN)),
            (Step::Add2, server(1), Some(Rcode::NXRRSET)),
            (Step::Add2, server(2), Some(Rcode::NXRRSET)),
            (Step::Add3, server(1), Some(rcode)),
        ];
        if rcode != Rcode::NOERROR {
            script.push((Step::Add3, server(2), Some(rcode)));
        } else {
            script.push((Step::AddPtr, server(3), NOERROR));
        }
        let events = drive(&mut tx, &script);
        match outcome {
            None => assert!(
                events.contains(&Event::Finished { success: true }),
                "{events:?}"
            ),
            Some(why) => assert_eq!(
                events,
                [
                    error(&format!("{failed}{why}")),
                    Event::Finished { success: false }
                ]
            ),
        }
    }
    // Without mixed mode the same answer to add 2 ends it.
    let mut tx = Transaction::add(server_path(), &zones(), Rules::default());
    let events = drive(
        &mut tx,
        &[
            (Step::Add1, server(1), Some(Rcode::YXDOMAIN)),
            (Step::Add1, server(2), Some(Rcode::YXDOMAIN)),
            (Step::Add2, server(1), Some(Rcode::NXRRSET)),
            (Step::Add2, server(2), Some(Rcode::NXRRSET)),
        ],
    );
    assert_eq!(
        events[0],
        error(&format!(
            "{failed}Has an address record but no DHCID, not mine."
        ))
    );
}

/// With other-guard-is-dynamic, removal 1 finding no guard of ours tries to remove the
/// address all the same (server/ddns.c:ddns_fwd_srv_rem1), without a log line, and its
/// success forgets the name as removal 2's does.
#[test]
fn other_guard_is_dynamic_removes_an_address_without_our_guard() {
    let mut tx = Transaction::remove(registered(), &zones(), OTHER_DYNAMIC);
    let events = drive(
        &mut tx,
        &[
            (Step::Rem1, server(1), Some(Rcode::NXRRSET)),
            (Step::Rem1, server(2), Some(Rcode::NXRRSET)),
            (Step::RemOther, server(1), NOERROR),
            (Step::RemPtr, server(3), NOERROR),
        ],
    );
    assert_eq!(
        events,
        [
            Event::ForwardRemoved,
            info("Removed reverse map on 100.0.18.198.in-addr.arpa."),
            Event::ReverseRemoved,
            Event::Finished { success: true },
        ]
    );
    // Plain mixed mode takes NXRRSET there as nothing to remove.
    let mut tx = Transaction::remove(registered(), &zones(), MIXED);
    let events = drive(
        &mut tx,
        &[
            (Step::Rem1, server(1), Some(Rcode::NXRRSET)),
            (Step::Rem1, server(2), Some(Rcode::NXRRSET)),
            (Step::RemPtr, server(3), NOERROR),
        ],
    );
    assert_eq!(events[0], Event::ForwardRemoved);
}
