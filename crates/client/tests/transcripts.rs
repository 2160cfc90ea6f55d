//! Transcripts of the client's states and transitions (RFC 2131 section 4.4) in virtual time:
//! what it sends, when, and what it reports, with lost messages and back-off.

use std::net::Ipv4Addr;

use charrua_client::{Client, ClientConfig, Destination, Event, OfferPolicy, StateKind, Transmit};
use charrua_wire::{Message, MessageType, Op, OptionCode};

const MAC: [u8; 6] = [2, 0, 0, 0, 0xc1, 1];
const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const OTHER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 254);
const ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 50);
const S: u64 = 1000;

fn config() -> ClientConfig {
    ClientConfig::new(MAC, 7)
}

fn sent(client: &mut Client) -> (Transmit, Message) {
    let t = client.poll_transmit().expect("a message to send");
    let m = Message::parse(&t.payload).unwrap();
    assert_eq!(client.poll_transmit(), None, "one message at a time");
    (t, m)
}

fn kind(m: &Message) -> MessageType {
    m.message_type().unwrap()
}

/// A server's reply of `kind` to `request`, offering `address` for `lease` seconds.
fn reply(
    request: &Message,
    kind: MessageType,
    server: Ipv4Addr,
    address: Ipv4Addr,
    lease: u32,
) -> Vec<u8> {
    let mut m = Message {
        op: Op::BOOTREPLY,
        xid: request.xid,
        chaddr: request.chaddr,
        flags: request.flags,
        ..Message::default()
    };
    m.options.insert(OptionCode::MESSAGE_TYPE, &[kind.0]);
    m.options
        .insert(OptionCode::SERVER_IDENTIFIER, &server.octets());
    if kind != MessageType::NAK {
        m.yiaddr = address;
        m.options
            .insert(OptionCode::LEASE_TIME, &lease.to_be_bytes());
        m.options
            .insert(OptionCode::SUBNET_MASK, &[255, 255, 255, 0]);
        m.options.insert(OptionCode::ROUTERS, &SERVER.octets());
        m.options.insert(
            OptionCode::DOMAIN_NAME_SERVERS,
            &[198, 18, 0, 53, 198, 18, 0, 54],
        );
        m.options.insert(OptionCode::DOMAIN_NAME, b"example.test");
        m.options
            .insert(OptionCode::INTERFACE_MTU, &1400u16.to_be_bytes());
        m.options.insert(
            OptionCode::CLASSLESS_STATIC_ROUTES,
            &[24, 203, 0, 113, 198, 18, 0, 1],
        );
    }
    m.encode()
}

fn event(client: &mut Client) -> Event {
    client.poll_event().expect("an event")
}

/// DISCOVER, OFFER, REQUEST, ACK at t = 0.
fn bound(config: ClientConfig, lease: u32) -> Client {
    let mut c = Client::new(config, 0);
    let (_, discover) = sent(&mut c);
    c.handle_packet(
        &reply(&discover, MessageType::OFFER, SERVER, ADDRESS, lease),
        0,
    );
    let (_, request) = sent(&mut c);
    c.handle_packet(
        &reply(&request, MessageType::ACK, SERVER, ADDRESS, lease),
        0,
    );
    assert!(matches!(event(&mut c), Event::Bound(_)));
    c
}

#[test]
fn dora_binds_with_every_parameter_the_server_gave() {
    let mut cfg = config();
    cfg.hostname = Some("pc1".into());
    cfg.vendor_class = Some(b"charrua".to_vec());
    let mut c = Client::new(cfg, 0);
    assert_eq!(c.state(), StateKind::Selecting);
    let (t, discover) = sent(&mut c);
    assert_eq!(
        (t.destination, t.source),
        (Destination::Broadcast, Ipv4Addr::UNSPECIFIED)
    );
    assert_eq!(kind(&discover), MessageType::DISCOVER);
    assert_eq!(&discover.chaddr[..6], &MAC);
    assert_eq!(
        discover.options.client_identifier(),
        Some(&[1, 2, 0, 0, 0, 0xc1, 1][..])
    );
    assert_eq!(discover.options.host_name(), Some(&b"pc1"[..]));
    assert_eq!(
        discover.options.get(OptionCode::VENDOR_CLASS_IDENTIFIER),
        Some(&b"charrua"[..])
    );
    assert!(discover
        .options
        .parameter_request_list()
        .unwrap()
        .contains(&121));
    assert_eq!(discover.options.max_message_size(), Some(1500));
    c.handle_packet(
        &reply(&discover, MessageType::OFFER, SERVER, ADDRESS, 600),
        100,
    );
    assert_eq!(c.state(), StateKind::Requesting);
    let (t, request) = sent(&mut c);
    assert_eq!(t.destination, Destination::Broadcast);
    assert_eq!(kind(&request), MessageType::REQUEST);
    assert_eq!(
        request.xid, discover.xid,
        "the REQUEST keeps the DISCOVER's xid"
    );
    assert_eq!(request.ciaddr, Ipv4Addr::UNSPECIFIED);
    assert_eq!(request.options.requested_address(), Some(ADDRESS));
    assert_eq!(request.options.server_identifier(), Some(SERVER));
    c.handle_packet(
        &reply(&request, MessageType::ACK, SERVER, ADDRESS, 600),
        150,
    );
    let Event::Bound(lease) = event(&mut c) else {
        panic!()
    };
    assert_eq!(c.state(), StateKind::Bound);
    assert_eq!((lease.address, lease.server), (ADDRESS, SERVER));
    assert_eq!(lease.subnet_mask, Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(lease.routers, [SERVER]);
    assert_eq!(
        lease.dns_servers,
        [Ipv4Addr::new(198, 18, 0, 53), Ipv4Addr::new(198, 18, 0, 54)]
    );
    assert_eq!(lease.domain_name.as_deref(), Some("example.test"));
    assert_eq!(lease.mtu, Some(1400));
    assert_eq!(lease.classless_routes.len(), 1);
    assert_eq!(
        lease.classless_routes[0].destination,
        Ipv4Addr::new(203, 0, 113, 0)
    );
    // The lease runs from when the REQUEST left (RFC 2131 section 4.4.1); T1 1/2, T2 7/8.
    assert_eq!(
        (lease.acquired_at, lease.renewal_time, lease.rebinding_time),
        (100, 300, 525)
    );
    assert_eq!(c.poll_timeout(), Some(100 + 300 * S));
    assert_eq!(c.poll_transmit(), None);
}

#[test]
fn lost_discovers_are_retransmitted_at_4_8_16_32_64_64_seconds_with_jitter() {
    let mut c = Client::new(config(), 0);
    let (_, first) = sent(&mut c);
    let mut now = 0;
    for (i, base) in [4u64, 8, 16, 32, 64, 64, 64].iter().enumerate() {
        let due = c.poll_timeout().unwrap();
        let delay = due - now;
        assert!(
            (base * S - S..=base * S + S).contains(&delay),
            "retransmission {i}: {delay} ms, expected {base} s +/- 1 s"
        );
        c.handle_timeout(due - 1);
        assert_eq!(c.poll_transmit(), None, "nothing before the timer");
        now = due;
        c.handle_timeout(now);
        let (_, again) = sent(&mut c);
        assert_eq!(kind(&again), MessageType::DISCOVER);
        assert_eq!(again.xid, first.xid);
        assert_eq!(
            u64::from(again.secs),
            now / S,
            "secs counts from the first DISCOVER"
        );
    }
    assert_eq!(c.state(), StateKind::Selecting);
}

#[test]
fn jitter_differs_between_seeds_and_repeats_for_one() {
    let delays = |seed| {
        let mut c = Client::new(ClientConfig::new(MAC, seed), 0);
        c.poll_transmit();
        c.poll_timeout().unwrap()
    };
    assert_eq!(delays(1), delays(1));
    assert!(
        (1..20)
            .map(delays)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 10
    );
}

#[test]
fn an_unanswered_request_is_retransmitted_then_the_client_starts_over() {
    let mut c = Client::new(config(), 0);
    let (_, discover) = sent(&mut c);
    c.handle_packet(
        &reply(&discover, MessageType::OFFER, SERVER, ADDRESS, 600),
        0,
    );
    let (_, request) = sent(&mut c);
    for _ in 0..4 {
        let due = c.poll_timeout().unwrap();
        c.handle_timeout(due);
        let (_, again) = sent(&mut c);
        assert_eq!(
            (kind(&again), again.xid),
            (MessageType::REQUEST, request.xid)
        );
    }
    let due = c.poll_timeout().unwrap();
    c.handle_timeout(due);
    let (_, restart) = sent(&mut c);
    assert_eq!(kind(&restart), MessageType::DISCOVER);
    assert_ne!(restart.xid, request.xid);
    assert_eq!(c.state(), StateKind::Selecting);
}

#[test]
fn a_nak_while_requesting_restarts_discovery() {
    let mut c = Client::new(config(), 0);
    let (_, discover) = sent(&mut c);
    c.handle_packet(
        &reply(&discover, MessageType::OFFER, SERVER, ADDRESS, 600),
        0,
    );
    let (_, request) = sent(&mut c);
    c.handle_packet(&reply(&request, MessageType::NAK, SERVER, ADDRESS, 0), 10);
    assert_eq!(
        event(&mut c),
        Event::Refused {
            address: Some(ADDRESS)
        }
    );
    let (_, again) = sent(&mut c);
    assert_eq!(kind(&again), MessageType::DISCOVER);
    assert_eq!(
        again.options.requested_address(),
        None,
        "the refused address is not asked for"
    );
}

#[test]
fn replies_that_are_not_for_this_exchange_are_ignored() {
    let mut c = Client::new(config(), 0);
    let (_, discover) = sent(&mut c);
    let mut wrong_xid = discover.clone();
    wrong_xid.xid ^= 1;
    c.handle_packet(
        &reply(&wrong_xid, MessageType::OFFER, SERVER, ADDRESS, 600),
        0,
    );
    let mut wrong_mac = discover.clone();
    wrong_mac.chaddr[5] ^= 1;
    c.handle_packet(
        &reply(&wrong_mac, MessageType::OFFER, SERVER, ADDRESS, 600),
        0,
    );
    c.handle_packet(&reply(&discover, MessageType::ACK, SERVER, ADDRESS, 600), 0);
    c.handle_packet(&discover.encode(), 0);
    c.handle_packet(b"\x02\x01\x06", 0);
    assert_eq!(c.state(), StateKind::Selecting);
    assert_eq!(c.poll_transmit(), None);
    c.handle_packet(
        &reply(&discover, MessageType::OFFER, SERVER, ADDRESS, 600),
        0,
    );
    let (_, request) = sent(&mut c);
    // Another server's ACK, and an ACK of another address, do not bind.
    c.handle_packet(&reply(&request, MessageType::ACK, OTHER, ADDRESS, 600), 0);
    c.handle_packet(
        &reply(
            &request,
            MessageType::ACK,
            SERVER,
            Ipv4Addr::new(198, 18, 0, 51),
            600,
        ),
        0,
    );
    c.handle_packet(&reply(&request, MessageType::NAK, OTHER, ADDRESS, 0), 0);
    assert_eq!(c.state(), StateKind::Requesting);
    assert_eq!(c.poll_event(), None);
    // An ACK without a lease time is unusable.
    let mut no_time =
        Message::parse(&reply(&request, MessageType::ACK, SERVER, ADDRESS, 600)).unwrap();
    no_time.options.remove(OptionCode::LEASE_TIME);
    c.handle_packet(&no_time.encode(), 0);
    assert_eq!(c.state(), StateKind::Requesting);
}

#[test]
fn at_t1_the_client_renews_with_its_server_by_unicast() {
    let mut c = bound(config(), 1000);
    let t1 = c.poll_timeout().unwrap();
    assert_eq!(t1, 500 * S);
    c.handle_timeout(t1);
    assert_eq!(c.state(), StateKind::Renewing);
    let (t, renew) = sent(&mut c);
    assert_eq!(
        (t.destination, t.source),
        (Destination::Server(SERVER), ADDRESS)
    );
    assert_eq!(kind(&renew), MessageType::REQUEST);
    assert_eq!(renew.ciaddr, ADDRESS);
    assert_eq!(renew.options.requested_address(), None);
    assert_eq!(renew.options.server_identifier(), None);
    c.handle_packet(
        &reply(&renew, MessageType::ACK, SERVER, ADDRESS, 1000),
        t1 + 5,
    );
    let Event::Renewed(lease) = event(&mut c) else {
        panic!()
    };
    assert_eq!(lease.acquired_at, t1);
    assert_eq!(c.state(), StateKind::Bound);
    assert_eq!(c.poll_timeout(), Some(t1 + 500 * S));
}

#[test]
fn renewing_retransmits_at_half_the_time_to_t2_then_rebinds_by_broadcast() {
    let mut c = bound(config(), 4000);
    let t1 = 2000 * S;
    let t2 = 3500 * S;
    c.handle_timeout(t1);
    let (_, renew) = sent(&mut c);
    // Half of the 1500 s left to T2.
    assert_eq!(c.poll_timeout(), Some(t1 + 750 * S));
    c.handle_timeout(t1 + 750 * S);
    let (_, again) = sent(&mut c);
    assert_eq!((again.xid, again.ciaddr), (renew.xid, ADDRESS));
    assert_eq!(c.poll_timeout(), Some(t1 + 1125 * S));
    c.handle_timeout(t1 + 1125 * S);
    sent(&mut c);
    // 375 s left: the next waits 187.5 s; then 187.5 s left, the wait would be 93.75; then less
    // than 120 s left, the 60 s minimum applies, never past T2.
    let mut now = t1 + 1125 * S;
    while c.poll_timeout().unwrap() < t2 {
        let due = c.poll_timeout().unwrap();
        assert!(due - now >= 60 * S || due == t2);
        now = due;
        c.handle_timeout(now);
        sent(&mut c);
    }
    assert_eq!(c.poll_timeout(), Some(t2));
    c.handle_timeout(t2);
    assert_eq!(c.state(), StateKind::Rebinding);
    let (t, rebind) = sent(&mut c);
    assert_eq!((t.destination, t.source), (Destination::Broadcast, ADDRESS));
    assert_eq!(rebind.ciaddr, ADDRESS);
    assert_ne!(rebind.xid, renew.xid);
    // Any server may extend the lease now.
    c.handle_packet(&reply(&rebind, MessageType::ACK, OTHER, ADDRESS, 4000), t2);
    let Event::Renewed(lease) = event(&mut c) else {
        panic!()
    };
    assert_eq!(lease.server, OTHER);
    assert_eq!(c.state(), StateKind::Bound);
}

#[test]
fn an_unextended_lease_expires_and_the_client_starts_over() {
    let mut c = bound(config(), 800);
    let mut now = 0;
    let mut steps = 0;
    while c.state() != StateKind::Selecting {
        steps += 1;
        assert!(steps < 100, "the timers must move on");
        let next = c.poll_timeout().unwrap();
        assert!(
            next > now || steps == 1,
            "a timer that is due must be handled: {next} at {now}"
        );
        now = next;
        assert!(now <= 800 * S, "no timer past the lease's end");
        c.handle_timeout(now);
        while c.poll_transmit().is_some() {}
    }
    assert_eq!(now, 800 * S);
    let mut events = Vec::new();
    while let Some(e) = c.poll_event() {
        events.push(e);
    }
    assert_eq!(events, [Event::Expired { address: ADDRESS }]);
    assert_eq!(c.lease(), None);
}

#[test]
fn a_nak_while_renewing_drops_the_address() {
    let mut c = bound(config(), 1000);
    c.handle_timeout(500 * S);
    let (_, renew) = sent(&mut c);
    c.handle_packet(
        &reply(&renew, MessageType::NAK, SERVER, ADDRESS, 0),
        500 * S,
    );
    assert_eq!(
        event(&mut c),
        Event::Refused {
            address: Some(ADDRESS)
        }
    );
    assert_eq!(c.state(), StateKind::Selecting);
    assert_eq!(c.lease(), None);
}

#[test]
fn init_reboot_asks_for_the_remembered_address() {
    let mut cfg = config();
    cfg.remembered = Some(ADDRESS);
    let mut c = Client::new(cfg.clone(), 0);
    assert_eq!(c.state(), StateKind::Rebooting);
    let (t, request) = sent(&mut c);
    assert_eq!(t.destination, Destination::Broadcast);
    assert_eq!(kind(&request), MessageType::REQUEST);
    assert_eq!(request.options.requested_address(), Some(ADDRESS));
    assert_eq!(request.options.server_identifier(), None);
    assert_eq!(request.ciaddr, Ipv4Addr::UNSPECIFIED);
    c.handle_packet(&reply(&request, MessageType::ACK, SERVER, ADDRESS, 600), 10);
    assert!(matches!(event(&mut c), Event::Bound(l) if l.address == ADDRESS));
    // Refused: start over with a DISCOVER.
    let mut c = Client::new(cfg, 0);
    let (_, request) = sent(&mut c);
    c.handle_packet(&reply(&request, MessageType::NAK, SERVER, ADDRESS, 0), 10);
    assert_eq!(
        event(&mut c),
        Event::Refused {
            address: Some(ADDRESS)
        }
    );
    assert_eq!(kind(&sent(&mut c).1), MessageType::DISCOVER);
}

/// A server with no record of the client stays silent to its INIT-REBOOT (RFC 2131 section
/// 4.3.2), as on a network a laptop moved to: the client gives up after the reboot timeout (10 s
/// by default, dhclient's `reboot`) and discovers, keeping the address as its hint.
#[test]
fn an_unanswered_init_reboot_gives_up_after_the_reboot_timeout() {
    for timeout in [10 * S, 3 * S, 30 * S] {
        let mut cfg = config();
        cfg.remembered = Some(ADDRESS);
        cfg.reboot_timeout_ms = timeout;
        let mut c = Client::new(cfg, 0);
        let (_, first) = sent(&mut c);
        assert_eq!(kind(&first), MessageType::REQUEST);
        let (now, discover) = loop {
            let now = c.poll_timeout().unwrap();
            assert!(now <= timeout, "still rebooting at {now} ms");
            c.handle_timeout(now);
            let (_, m) = sent(&mut c);
            if kind(&m) == MessageType::DISCOVER {
                break (now, m);
            }
            assert_eq!(m.options.requested_address(), Some(ADDRESS));
        };
        assert_eq!(now, timeout, "gave up at {now} ms");
        assert_eq!(c.state(), StateKind::Selecting);
        assert_eq!(discover.options.requested_address(), Some(ADDRESS));
    }
}

#[test]
fn a_declined_address_is_reported_and_discovery_restarts_after_ten_seconds() {
    let mut c = bound(config(), 600);
    assert!(c.decline(1000));
    let (t, decline) = sent(&mut c);
    assert_eq!(t.destination, Destination::Broadcast);
    assert_eq!(kind(&decline), MessageType::DECLINE);
    assert_eq!(decline.options.requested_address(), Some(ADDRESS));
    assert_eq!(decline.options.server_identifier(), Some(SERVER));
    assert_eq!(decline.ciaddr, Ipv4Addr::UNSPECIFIED);
    assert_eq!(decline.options.parameter_request_list(), None);
    assert_eq!(event(&mut c), Event::Declined { address: ADDRESS });
    assert_eq!(c.state(), StateKind::Init);
    assert_eq!(c.poll_timeout(), Some(11_000));
    c.handle_timeout(10_999);
    assert_eq!(c.poll_transmit(), None);
    c.handle_timeout(11_000);
    let (_, discover) = sent(&mut c);
    assert_eq!(discover.options.requested_address(), None);
    assert!(!c.decline(12_000), "nothing to decline while selecting");
}

#[test]
fn release_gives_the_lease_back_to_its_server_and_stops() {
    let mut c = bound(config(), 600);
    c.release(5000);
    let (t, release) = sent(&mut c);
    assert_eq!(
        (t.destination, t.source),
        (Destination::Server(SERVER), ADDRESS)
    );
    assert_eq!(kind(&release), MessageType::RELEASE);
    assert_eq!(release.ciaddr, ADDRESS);
    assert_eq!(release.options.server_identifier(), Some(SERVER));
    assert_eq!(release.options.requested_address(), None);
    assert_eq!(event(&mut c), Event::Released { address: ADDRESS });
    assert_eq!((c.state(), c.poll_timeout()), (StateKind::Released, None));
}

#[test]
fn rapid_commit_binds_on_an_ack_to_the_discover() {
    let mut cfg = config();
    cfg.rapid_commit = true;
    let mut c = Client::new(cfg, 0);
    let (_, discover) = sent(&mut c);
    assert!(discover.options.contains(OptionCode::RAPID_COMMIT));
    let mut ack =
        Message::parse(&reply(&discover, MessageType::ACK, SERVER, ADDRESS, 600)).unwrap();
    ack.options.insert(OptionCode::RAPID_COMMIT, &[]);
    c.handle_packet(&ack.encode(), 20);
    assert!(matches!(event(&mut c), Event::Bound(l) if l.acquired_at == 0));
    assert_eq!(c.poll_transmit(), None, "no REQUEST");
    // Without rapid commit configured, such an ACK is ignored.
    let mut c = Client::new(config(), 0);
    let (_, discover) = sent(&mut c);
    let mut ack =
        Message::parse(&reply(&discover, MessageType::ACK, SERVER, ADDRESS, 600)).unwrap();
    ack.options.insert(OptionCode::RAPID_COMMIT, &[]);
    c.handle_packet(&ack.encode(), 20);
    assert_eq!(c.state(), StateKind::Selecting);
}

#[test]
fn offers_are_collected_for_the_configured_time_and_chosen_by_policy() {
    let mut cfg = config();
    cfg.offer_wait_ms = 500;
    cfg.offer_policy = OfferPolicy::LongestLease;
    let mut c = Client::new(cfg.clone(), 0);
    let (_, discover) = sent(&mut c);
    c.handle_packet(
        &reply(&discover, MessageType::OFFER, SERVER, ADDRESS, 600),
        100,
    );
    c.handle_packet(
        &reply(
            &discover,
            MessageType::OFFER,
            OTHER,
            Ipv4Addr::new(198, 18, 0, 77),
            3600,
        ),
        300,
    );
    assert_eq!(c.poll_transmit(), None, "still collecting");
    assert_eq!(c.poll_timeout(), Some(600));
    c.handle_timeout(600);
    let (_, request) = sent(&mut c);
    assert_eq!(request.options.server_identifier(), Some(OTHER));
    cfg.offer_policy = OfferPolicy::Address(ADDRESS);
    let mut c = Client::new(cfg, 0);
    let (_, discover) = sent(&mut c);
    c.handle_packet(
        &reply(
            &discover,
            MessageType::OFFER,
            OTHER,
            Ipv4Addr::new(198, 18, 0, 77),
            3600,
        ),
        100,
    );
    c.handle_packet(
        &reply(&discover, MessageType::OFFER, SERVER, ADDRESS, 600),
        200,
    );
    c.handle_timeout(600);
    assert_eq!(sent(&mut c).1.options.requested_address(), Some(ADDRESS));
}

/// The lease a 1000 s ACK carrying T1 `t1` and T2 `t2` gives.
fn lease_with_times(t1: u32, t2: u32) -> charrua_client::Lease {
    let mut c = Client::new(config(), 0);
    let (_, discover) = sent(&mut c);
    c.handle_packet(
        &reply(&discover, MessageType::OFFER, SERVER, ADDRESS, 1000),
        0,
    );
    let (_, request) = sent(&mut c);
    let mut ack =
        Message::parse(&reply(&request, MessageType::ACK, SERVER, ADDRESS, 1000)).unwrap();
    ack.options
        .insert(OptionCode::RENEWAL_TIME, &t1.to_be_bytes());
    ack.options
        .insert(OptionCode::REBINDING_TIME, &t2.to_be_bytes());
    c.handle_packet(&ack.encode(), 0);
    let Event::Bound(lease) = event(&mut c) else {
        panic!()
    };
    lease
}

#[test]
fn server_t1_t2_are_used_when_in_order_and_infinite_leases_never_renew() {
    let lease = lease_with_times(100, 200);
    assert_eq!((lease.renewal_time, lease.rebinding_time), (100, 200));
    // T2 before T1: both fall back to the defaults.
    let lease = lease_with_times(900, 200);
    assert_eq!((lease.renewal_time, lease.rebinding_time), (500, 875));
    let mut c = bound(config(), u32::MAX);
    assert_eq!(c.poll_timeout(), None);
    assert!(c.lease().unwrap().is_infinite());
    c.handle_timeout(u64::MAX / 2);
    assert_eq!(c.state(), StateKind::Bound);
}

#[test]
fn fqdn_and_broadcast_flag_are_sent_when_configured() {
    let mut cfg = config();
    cfg.fqdn = Some("pc1.example.test".into());
    cfg.broadcast_flag = true;
    cfg.parameter_request_list = vec![1, 3];
    let mut c = Client::new(cfg, 0);
    let (_, discover) = sent(&mut c);
    assert!(discover.is_broadcast());
    assert_eq!(discover.options.parameter_request_list(), Some(&[1, 3][..]));
    match discover.options.value(OptionCode::CLIENT_FQDN) {
        Some(Ok(charrua_wire::Value::Fqdn(f))) => assert_eq!(f.name, "pc1.example.test"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_resumed_lease_is_bound_renewed_or_over_as_its_times_say() {
    let mut c = bound(config(), 1000);
    let lease = c.lease().unwrap().clone();
    c.poll_event();
    let resumed = Client::resume(config(), lease.clone(), 100 * S);
    assert_eq!(
        (resumed.state(), resumed.poll_timeout()),
        (StateKind::Bound, Some(500 * S))
    );
    let mut late = Client::resume(config(), lease.clone(), 600 * S);
    assert_eq!(late.state(), StateKind::Renewing);
    assert_eq!(sent(&mut late).1.ciaddr, ADDRESS);
    let mut over = Client::resume(config(), lease.clone(), 1000 * S);
    assert_eq!(over.state(), StateKind::Selecting);
    assert_eq!(sent(&mut over).1.options.requested_address(), Some(ADDRESS));
    // Resumed, it releases like any bound client.
    let mut r = Client::resume(config(), lease, 100 * S);
    r.release(100 * S);
    assert_eq!(kind(&sent(&mut r).1), MessageType::RELEASE);
}
