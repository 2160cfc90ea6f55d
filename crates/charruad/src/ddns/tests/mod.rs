//! The updater against a fake DNS server on 127.0.0.1 that answers each UPDATE as a test
//! chooses (an RCODE, late, garbage, or not at all), with ISC's waits shortened.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use charrua_ddns::exchange::Retransmit;
use charrua_ddns::{ClientIdentity, DomainName, Guard, Rcode};
use charrua_server::config::{Ddns, DdnsStyle, TsigKey, Zone};
use charrua_server::dns::{DnsAdd, DnsIdentity, DnsNote, DnsRecorded, DnsWork};
use charrua_server::ClientKey;

mod fake_dns;

use fake_dns::{holds, now, reply, FakeDns};

use super::{Done, Tuning, Updater};
use crate::metrics::{DdnsDrop, DdnsMetrics, DdnsOperation, DdnsResult};

fn zone(name: &str) -> Zone {
    Zone {
        name: name.into(),
        primary: vec![Ipv4Addr::LOCALHOST],
        secondary: Vec::new(),
        primary6: Vec::new(),
        secondary6: Vec::new(),
        key: None,
    }
}

fn config() -> Ddns {
    Ddns {
        style: DdnsStyle::Standard,
        zones: vec![zone("example.test."), zone("18.198.in-addr.arpa.")],
        ..Ddns::default()
    }
}

/// Short waits: 2 sends 100 ms apart, a first retry after 100 ms, 2 retries; no zone looked
/// up in DNS (nothing is sent beyond the fake server).
fn tuning(port: u16) -> Tuning {
    Tuning {
        retransmit: Retransmit {
            interval: Duration::from_millis(100),
            sends: 2,
        },
        port,
        capacity: 4096,
        in_flight: 256,
        retry_after: Duration::from_millis(100),
        retries: 2,
        find_zones: false,
    }
}

fn start(config: &Ddns, tuning: Tuning) -> (Updater, DdnsMetrics) {
    let metrics = DdnsMetrics::new();
    let updater = Updater::start_tuned(config, metrics.clone(), tuning)
        .unwrap()
        .unwrap();
    (updater, metrics)
}

const ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);
const MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];

fn client() -> ClientKey {
    ClientKey::Hardware {
        htype: 1,
        addr: MAC.to_vec().into(),
    }
}

fn reverse(address: Ipv4Addr) -> String {
    let [a, b, c, d] = address.octets();
    format!("{d}.{c}.{b}.{a}.in-addr.arpa.")
}

fn add(address: Ipv4Addr, host: &str) -> DnsAdd {
    DnsAdd {
        fqdn: format!("{host}.example.test"),
        ttl: 300,
        reverse: Some(reverse(address)),
        forward: true,
        style: DdnsStyle::Standard,
        identity: DnsIdentity {
            client_id: None,
            htype: 1,
            chaddr: MAC.to_vec().into(),
        },
    }
}

fn adding(address: Ipv4Addr, host: &str) -> DnsWork {
    DnsWork {
        address,
        client: client(),
        remove: None,
        add: Some(add(address, host)),
    }
}

/// What a lease records after `host` was registered at `address`.
fn recorded(address: Ipv4Addr, host: &str) -> DnsRecorded {
    DnsRecorded {
        fwd_name: Some(format!("{host}.example.test")),
        txt: None,
        dhcid: Some(dhcid(host)),
        rev_name: Some(reverse(address)),
        client_fqdn: None,
    }
}

fn dhcid(host: &str) -> Vec<u8> {
    let identity = ClientIdentity {
        client_id: None,
        htype: 1,
        chaddr: &MAC,
    };
    let fqdn = DomainName::host(&format!("{host}.example.test")).unwrap();
    Guard::standard(&identity, &fqdn).unwrap().value().to_vec()
}

fn added(address: Ipv4Addr, host: &str) -> Vec<DnsNote> {
    vec![
        DnsNote::ForwardAdded {
            fqdn: format!("{host}.example.test"),
            guard_variable: "ddns-dhcid",
            guard: dhcid(host),
        },
        DnsNote::ReverseAdded {
            reverse: reverse(address),
            client_fqdn: None,
        },
    ]
}

/// Waits (at most `within`) until `cond` holds.
fn wait_for(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// What the updater handed over once all its work is over (waiting at most `within`), the
/// notes of one address that came one after the other in one [`Done`] (a transaction's records
/// may be handed over in more than one); at least `n` of them.
fn done(updater: &Updater, n: usize, within: Duration) -> Vec<Done> {
    let mut out: Vec<Done> = Vec::new();
    wait_for(within, || {
        let idle = updater.pending.load(Ordering::Acquire) == 0;
        while let Some(d) = updater.try_done() {
            match out.last_mut() {
                Some(last) if last.address == d.address && last.client == d.client => {
                    last.notes.extend(d.notes);
                }
                _ => out.push(d),
            }
        }
        idle && out.len() >= n
    });
    out
}

const SECONDS_5: Duration = Duration::from_secs(5);

#[test]
fn style_none_starts_nothing() {
    let none = Ddns::default();
    assert!(Updater::start(&none, DdnsMetrics::new()).unwrap().is_none());
}

#[test]
fn an_add_answered_noerror_notes_forward_and_reverse() {
    let server = FakeDns::answering(Rcode::NOERROR);
    let (updater, metrics) = start(&config(), tuning(server.port));
    updater.submit(adding(ADDRESS, "alpha"));
    let finished = done(&updater, 1, SECONDS_5);
    assert_eq!(
        finished,
        vec![Done {
            address: ADDRESS,
            client: client(),
            notes: added(ADDRESS, "alpha"),
        }]
    );
    // Add 1 to the forward zone, then the PTR: two messages, each sent once.
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(holds(&seen[0], "alpha") && holds(&seen[0], "example"));
    assert!(holds(&seen[1], "in-addr") && holds(&seen[1], "alpha"));
    assert_ne!(seen[0][..2], seen[1][..2], "a new id per message");
    assert_eq!(metrics.updates(DdnsOperation::Add, DdnsResult::Success), 1);
    assert!(wait_for(SECONDS_5, || metrics.running() == 0));
    assert!(updater.try_done().is_none());
}

/// A server that answers at once: the forward records and the PTR of the lease are handed
/// over together, for one lease write.
#[test]
fn a_prompt_transaction_is_handed_over_in_one_piece() {
    let server = FakeDns::answering(Rcode::NOERROR);
    let (updater, _) = start(&config(), tuning(server.port));
    updater.submit(adding(ADDRESS, "alpha"));
    let mut all = Vec::new();
    assert!(wait_for(SECONDS_5, || {
        while let Some(d) = updater.try_done() {
            all.push(d);
        }
        updater.pending.load(Ordering::Acquire) == 0 && !all.is_empty()
    }));
    let expected = Done {
        address: ADDRESS,
        client: client(),
        notes: added(ADDRESS, "alpha"),
    };
    assert_eq!(all, vec![expected]);
}

#[test]
fn the_wake_socket_is_readable_while_a_done_waits() {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let server = FakeDns::answering(Rcode::NOERROR);
    let (updater, _) = start(&config(), tuning(server.port));
    updater.submit(adding(ADDRESS, "alpha"));
    let mut fds = [PollFd::new(updater.wake_fd(), PollFlags::POLLIN)];
    assert_eq!(poll(&mut fds, PollTimeout::from(5000u16)).unwrap(), 1);
    assert!(updater.try_done().is_some());
    assert!(updater.try_done().is_none());
    let mut fds = [PollFd::new(updater.wake_fd(), PollFlags::POLLIN)];
    assert_eq!(poll(&mut fds, PollTimeout::ZERO).unwrap(), 0, "drained");
}

#[test]
fn a_removal_runs_before_the_add_chained_to_it() {
    let server = FakeDns::answering(Rcode::NOERROR);
    let (updater, metrics) = start(&config(), tuning(server.port));
    updater.submit(DnsWork {
        remove: Some(recorded(ADDRESS, "old")),
        ..adding(ADDRESS, "alpha")
    });
    let finished = done(&updater, 1, SECONDS_5);
    let mut expected = vec![
        DnsNote::ForwardRemoved {
            fqdn: "old.example.test".into(),
        },
        DnsNote::ReverseRemoved {
            reverse: reverse(ADDRESS),
        },
    ];
    expected.extend(added(ADDRESS, "alpha"));
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].notes, expected);
    // Removal 1 and 2, the PTR removal, add 1, the PTR.
    let seen = server.seen();
    assert_eq!(seen.len(), 5);
    let last_old = seen.iter().rposition(|d| holds(d, "old")).unwrap();
    let first_alpha = seen.iter().position(|d| holds(d, "alpha")).unwrap();
    assert_eq!((last_old, first_alpha), (1, 3));
    assert_eq!(
        metrics.updates(DdnsOperation::Remove, DdnsResult::Success),
        1
    );
    assert_eq!(metrics.updates(DdnsOperation::Add, DdnsResult::Success), 1);
}

#[test]
fn a_refused_removal_cancels_the_add_and_is_not_retried() {
    let server = FakeDns::start(|request, _| {
        let rcode = if holds(request, "old") {
            Rcode::REFUSED
        } else {
            Rcode::NOERROR
        };
        now(reply(request, rcode))
    });
    let (updater, metrics) = start(&config(), tuning(server.port));
    updater.submit(DnsWork {
        remove: Some(recorded(ADDRESS, "old")),
        ..adding(ADDRESS, "alpha")
    });
    // Removal 1 refused: no line, the PTR is still removed, the add is cancelled
    // (server/ddns.c `ddns_fwd_srv_rem1`).
    let finished = done(&updater, 1, SECONDS_5);
    assert_eq!(
        finished[0].notes,
        vec![DnsNote::ReverseRemoved {
            reverse: reverse(ADDRESS),
        }]
    );
    assert!(wait_for(SECONDS_5, || {
        metrics.updates(DdnsOperation::Remove, DdnsResult::Failed) == 1
    }));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.seen().len(), 2, "a definite answer is not retried");
    assert_eq!(server.count("alpha"), 0);
    assert_eq!(metrics.updates(DdnsOperation::Add, DdnsResult::Success), 0);
    assert_eq!(updater.pending.load(Ordering::Acquire), 0);
}

#[test]
fn submit_never_blocks_and_unanswered_work_is_retried_then_dropped() {
    let server = FakeDns::silent();
    let mut tuning = tuning(server.port);
    tuning.retransmit.interval = Duration::from_millis(50);
    tuning.retries = 1;
    let (updater, metrics) = start(&config(), tuning);
    let began = Instant::now();
    for i in 0..1000u16 {
        let [hi, lo] = i.to_be_bytes();
        let address = Ipv4Addr::new(10, 1, hi, lo);
        updater.submit(DnsWork {
            add: Some(DnsAdd {
                reverse: None,
                ..add(address, "host")
            }),
            ..adding(address, "host")
        });
    }
    let took = began.elapsed();
    assert!(
        took < Duration::from_millis(300),
        "1000 submits took {took:?}"
    );
    // Each work: a first run and one retry, each 2 sends 50 ms apart, 256 at once.
    assert!(
        wait_for(Duration::from_secs(20), || {
            metrics.drops(DdnsDrop::RetriesExhausted) == 1000
        }),
        "dropped: {}",
        metrics.drops(DdnsDrop::RetriesExhausted)
    );
    assert_eq!(
        metrics.updates(DdnsOperation::Add, DdnsResult::TimedOut),
        2000
    );
    assert_eq!(server.seen().len(), 4000);
    assert!(wait_for(SECONDS_5, || metrics.running() == 0));
    assert_eq!(updater.pending.load(Ordering::Acquire), 0);
    assert!(updater.try_done().is_none());
}

#[test]
fn unanswered_work_is_retried_until_a_server_answers() {
    // Silent for the first run's two sends, then NOERROR.
    let server = FakeDns::start(|request, index| match index {
        0 | 1 => Vec::new(),
        _ => now(reply(request, Rcode::NOERROR)),
    });
    let (updater, metrics) = start(&config(), tuning(server.port));
    updater.submit(adding(ADDRESS, "alpha"));
    let finished = done(&updater, 1, SECONDS_5);
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].notes, added(ADDRESS, "alpha"));
    assert_eq!(metrics.updates(DdnsOperation::Add, DdnsResult::TimedOut), 1);
    assert_eq!(metrics.updates(DdnsOperation::Add, DdnsResult::Success), 1);
    assert_eq!(server.seen()[0], server.seen()[1], "the same bytes resent");
}

#[test]
fn connection_refused_counts_as_no_answer() {
    // A port just freed: nothing listens, and loopback says so with ICMP at once.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut tuning = tuning(port);
    tuning.retransmit.interval = Duration::from_secs(10);
    tuning.retries = 1;
    let (updater, metrics) = start(&config(), tuning);
    updater.submit(adding(ADDRESS, "alpha"));
    // Far sooner than one 10 s wait: the ICMP error ends each run.
    assert!(wait_for(SECONDS_5, || {
        metrics.drops(DdnsDrop::RetriesExhausted) == 1
    }));
    assert_eq!(metrics.updates(DdnsOperation::Add, DdnsResult::TimedOut), 2);
}

#[test]
fn newer_work_supersedes_a_waiting_retry() {
    let server = FakeDns::start(|request, _| {
        if holds(request, "old") {
            Vec::new()
        } else {
            now(reply(request, Rcode::NOERROR))
        }
    });
    let mut tuning = tuning(server.port);
    tuning.retry_after = Duration::from_secs(2);
    let (updater, metrics) = start(&config(), tuning);
    updater.submit(adding(ADDRESS, "old"));
    assert!(wait_for(SECONDS_5, || {
        metrics.updates(DdnsOperation::Add, DdnsResult::TimedOut) == 1
    }));
    assert_eq!(updater.pending.load(Ordering::Acquire), 1, "a retry waits");
    updater.submit(adding(ADDRESS, "alpha"));
    let finished = done(&updater, 1, SECONDS_5);
    assert_eq!(finished[0].notes, added(ADDRESS, "alpha"));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(server.count("old"), 2, "the retry was dropped");
    assert_eq!(updater.pending.load(Ordering::Acquire), 0);
    assert_eq!(metrics.drops(DdnsDrop::RetriesExhausted), 0);
}

#[test]
fn work_for_one_address_runs_one_at_a_time_in_submission_order() {
    // Each answer 30 ms late, from threads of its own: work that overlapped would interleave.
    let server = FakeDns::start(|request, _| {
        vec![(Duration::from_millis(30), reply(request, Rcode::NOERROR))]
    });
    let (updater, _) = start(&config(), tuning(server.port));
    let other = Ipv4Addr::new(198, 18, 0, 101);
    let hosts = ["h0", "h1", "h2", "h3"];
    for host in hosts {
        updater.submit(adding(ADDRESS, host));
        updater.submit(adding(other, &format!("o{host}")));
    }
    let finished = done(&updater, 2, SECONDS_5);
    let names = |address: Ipv4Addr| -> Vec<String> {
        finished
            .iter()
            .filter(|d| d.address == address)
            .flat_map(|d| &d.notes)
            .filter_map(|note| match note {
                DnsNote::ForwardAdded { fqdn, .. } => Some(fqdn.clone()),
                _ => None,
            })
            .collect()
    };
    let expected: Vec<String> = hosts.iter().map(|h| format!("{h}.example.test")).collect();
    assert_eq!(names(ADDRESS), expected);
    // On the wire, each work's two messages come before the next work's.
    let seen = server.seen();
    let order: Vec<usize> = seen
        .iter()
        .filter_map(|d| hosts.iter().position(|h| holds(d, h)))
        .collect();
    assert_eq!(order, vec![0, 0, 1, 1, 2, 2, 3, 3]);
    // The other address ran meanwhile, not after.
    let first_other = seen.iter().position(|d| holds(d, "oh0")).unwrap();
    let last_h = seen.iter().rposition(|d| holds(d, "h3")).unwrap();
    assert!(first_other < last_h);
}

#[test]
fn a_full_queue_drops_work_and_dropping_the_updater_stops_at_once() {
    let server = FakeDns::silent();
    let mut tuning = tuning(server.port);
    tuning.capacity = 4;
    tuning.retransmit.interval = Duration::from_secs(10);
    let (updater, metrics) = start(&config(), tuning);
    for i in 0..10 {
        updater.submit(adding(Ipv4Addr::new(10, 0, 0, i), "host"));
    }
    assert_eq!(metrics.drops(DdnsDrop::QueueFull), 6);
    assert_eq!(updater.pending.load(Ordering::Acquire), 4);
    assert!(wait_for(SECONDS_5, || server.seen().len() == 4));
    assert_eq!(metrics.running(), 4);
    let began = Instant::now();
    drop(updater);
    assert!(began.elapsed() < Duration::from_secs(1));
    assert_eq!(
        metrics.running(),
        0,
        "abandoned work no longer counts as running"
    );
}

#[test]
fn a_new_configuration_applies_to_work_not_yet_started() {
    let server = FakeDns::answering(Rcode::NOERROR);
    let empty = Ddns {
        zones: Vec::new(),
        ..config()
    };
    let (mut updater, metrics) = start(&empty, tuning(server.port));
    updater.submit(adding(ADDRESS, "alpha"));
    // No zone: nothing sent (docs/ddns.md section 1.3), the transaction fails.
    assert!(wait_for(SECONDS_5, || {
        metrics.updates(DdnsOperation::Add, DdnsResult::Failed) == 1
    }));
    assert!(server.seen().is_empty());
    updater.reload(&config());
    updater.submit(adding(ADDRESS, "alpha"));
    let finished = done(&updater, 1, SECONDS_5);
    assert_eq!(finished[0].notes, added(ADDRESS, "alpha"));
}

#[test]
fn a_key_that_cannot_sign_leaves_updates_unsigned() {
    let server = FakeDns::answering(Rcode::NOERROR);
    let mut config = config();
    for zone in &mut config.zones {
        zone.key = Some(TsigKey {
            name: "ddns-key".into(),
            algorithm: "rot13".into(),
            secret: b"secret".to_vec(),
        });
    }
    let (updater, _) = start(&config, tuning(server.port));
    updater.submit(adding(ADDRESS, "alpha"));
    let finished = done(&updater, 1, SECONDS_5);
    assert_eq!(finished[0].notes, added(ADDRESS, "alpha"));
    assert!(server.seen().iter().all(|d| !holds(d, "ddns-key")));
}

#[test]
fn an_unsigned_answer_to_a_signed_update_fails_without_retry() {
    let server = FakeDns::answering(Rcode::NOERROR);
    let mut config = config();
    config.zones[0].key = Some(TsigKey {
        name: "ddns-key".into(),
        algorithm: "hmac-sha256".into(),
        secret: b"0123456789abcdef".to_vec(),
    });
    let (updater, metrics) = start(&config, tuning(server.port));
    updater.submit(adding(ADDRESS, "alpha"));
    // `expected a TSIG or SIG(0)`: a definite failure (docs/ddns.md section 8).
    assert!(wait_for(SECONDS_5, || {
        metrics.updates(DdnsOperation::Add, DdnsResult::Failed) == 1
    }));
    std::thread::sleep(Duration::from_millis(400));
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert!(holds(&seen[0], "ddns-key"), "signed");
    assert!(updater.try_done().is_none());
}

#[test]
fn garbage_from_the_server_never_stops_the_updater() {
    // Per request in the signed zone: random bytes, a truncated header, then a reply header
    // followed by junk, which the TSIG check reads and refuses; the unsigned zone answers
    // properly.
    let server = FakeDns::start(|request, index| {
        if holds(request, "example") {
            return now(reply(request, Rcode::NOERROR));
        }
        let mut rng = fastrand::Rng::with_seed(index as u64);
        let mut junk = vec![0u8; rng.usize(0..64)];
        rng.fill(&mut junk);
        let mut with_header = reply(request, Rcode::NOERROR);
        with_header[11] = 1; // one additional record, as a TSIG would be
        with_header.extend((0..rng.usize(1..200)).map(|_| rng.u8(..)));
        vec![
            (Duration::ZERO, junk),
            (Duration::ZERO, reply(request, Rcode::NOERROR)[..7].to_vec()),
            (Duration::ZERO, with_header),
        ]
    });
    let mut config = config();
    let mut signed = zone("garbage.test.");
    signed.key = Some(TsigKey {
        name: "ddns-key".into(),
        algorithm: "hmac-sha256".into(),
        secret: b"0123456789abcdef".to_vec(),
    });
    config.zones.push(signed);
    let (updater, metrics) = start(&config, tuning(server.port));
    for i in 0..10 {
        let address = Ipv4Addr::new(198, 18, 0, 10 + i);
        let mut work = adding(address, "host");
        if let Some(add) = &mut work.add {
            add.fqdn = format!("host{i}.garbage.test");
        }
        updater.submit(work);
    }
    assert!(wait_for(SECONDS_5, || {
        metrics.updates(DdnsOperation::Add, DdnsResult::Failed) == 10
    }));
    assert_eq!(server.seen().len(), 10, "refused, not retried");
    assert!(updater.try_done().is_none());
    // Still serving.
    updater.submit(adding(ADDRESS, "alpha"));
    let finished = done(&updater, 1, SECONDS_5);
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].notes, added(ADDRESS, "alpha"));
}

#[test]
fn metrics_go_out_under_their_names() {
    let metrics = DdnsMetrics::new();
    metrics.update(DdnsOperation::Remove, DdnsResult::TimedOut);
    metrics.dropped(DdnsDrop::QueueFull);
    let text = metrics.encode();
    for line in [
        "charrua_ddns_updates_total{operation=\"add\",result=\"success\"} 0",
        "charrua_ddns_updates_total{operation=\"remove\",result=\"timed_out\"} 1",
        "charrua_ddns_dropped_total{reason=\"queue_full\"} 1",
        "charrua_ddns_dropped_total{reason=\"retries_exhausted\"} 0",
        "charrua_ddns_in_flight 0",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
}

#[test]
fn zone_servers_keep_the_configured_port_but_tests() {
    // Production zones go to port 53 (ISC has no port setting).
    assert_eq!(Tuning::default().port, 53);
    let settings = super::zones::Settings::new(&config(), 53);
    let name = DomainName::other("a.example.test").unwrap();
    let found = settings.zones.find(&name).unwrap();
    assert_eq!(
        found.servers,
        vec![SocketAddr::from((Ipv4Addr::LOCALHOST, 53))]
    );
}

/// A forward name registered while its PTR still waits for an answer is handed over once the
/// PTR's server is slow to answer, and written into the lease, so that a stop or a crash
/// meanwhile does not forget what to remove.
#[test]
fn a_record_is_handed_over_before_the_work_ends() {
    let server = FakeDns::start(|request, _| {
        if holds(request, "in-addr") {
            Vec::new()
        } else {
            vec![(Duration::ZERO, reply(request, Rcode::NOERROR))]
        }
    });
    let (updater, metrics) = start(&config(), tuning(server.port));
    updater.submit(adding(ADDRESS, "alpha"));
    let mut first = None;
    assert!(wait_for(SECONDS_5, || {
        first = first.take().or_else(|| updater.try_done());
        first.is_some()
    }));
    assert_eq!(metrics.running(), 1, "the PTR is still waiting");
    let first = first.unwrap();
    assert!(
        matches!(first.notes.as_slice(), [DnsNote::ForwardAdded { fqdn, .. }] if fqdn == "alpha.example.test"),
        "{first:?}"
    );
}
