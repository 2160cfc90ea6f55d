//! Our client against our server core, in one process and virtual time, over a lossy network
//! that drops and duplicates messages: thousands of clients get a lease, renew it, rebind when
//! their server falls silent, and none ever holds an address past its lease or at the same time
//! as another client.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_client::{Client, ClientConfig, Destination, Event, StateKind};
use charrua_server::config::{Config, ScopeBuilder};
use charrua_server::{LeaseDb, Outcome, Received, Server};
use charrua_wire::Message;

const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// Unix time of virtual time 0, for the server's lease records.
const EPOCH: u64 = 1_800_000_000;
const LEASE: u64 = 600;

/// A small deterministic generator for the network's choices.
struct Dice(u64);
impl Dice {
    fn roll(&mut self, percent: u64) -> bool {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % 100 < percent
    }
}

struct World {
    config: Config,
    db: LeaseDb,
    clients: Vec<Client>,
    by_mac: HashMap<[u8; 6], usize>,
    /// Messages in flight: (arrival time in ms, to the server (None) or to client i, payload).
    in_flight: BTreeMap<(u64, u64), (Option<usize>, Vec<u8>)>,
    seq: u64,
    dice: Dice,
    drop_percent: u64,
    duplicate_percent: u64,
    server_up: bool,
    /// Leases each client holds, from its events: (address, expires at in ms).
    held: Vec<Option<(Ipv4Addr, Option<u64>)>>,
    /// Whether each client has broadcast a REBINDING request (ciaddr set).
    rebinding_seen: Vec<bool>,
}

impl World {
    fn new(n: usize) -> Self {
        let config = Config::builder()
            .default_lease_time(LEASE as u32)
            .max_lease_time(LEASE as u32)
            .subnet("198.18.0.0/16".parse().unwrap(), |s| {
                s.range(
                    Ipv4Addr::new(198, 18, 1, 0),
                    Ipv4Addr::new(198, 18, 255, 254),
                )
            })
            .build()
            .unwrap();
        let db = LeaseDb::new(&config);
        let mut world = Self {
            config,
            db,
            clients: Vec::new(),
            by_mac: HashMap::new(),
            in_flight: BTreeMap::new(),
            seq: 0,
            dice: Dice(42),
            drop_percent: 10,
            duplicate_percent: 5,
            server_up: true,
            held: vec![None; n],
            rebinding_seen: vec![false; n],
        };
        for i in 0..n {
            let id = (i as u32).to_be_bytes();
            let mac = [2, 0xcc, id[0], id[1], id[2], id[3]];
            // Clients start spread over the first 10 s.
            let start = (i as u64 * 10_000) / n as u64;
            world
                .clients
                .push(Client::new(ClientConfig::new(mac, i as u64), start));
            world.by_mac.insert(mac, i);
        }
        world
    }

    fn post(&mut self, at: u64, to: Option<usize>, payload: Vec<u8>) {
        if self.dice.roll(self.drop_percent) {
            return;
        }
        let copies = if self.dice.roll(self.duplicate_percent) {
            2
        } else {
            1
        };
        for k in 0..copies {
            self.seq += 1;
            // 1 ms on the wire, a duplicate 3 ms later.
            self.in_flight
                .insert((at + 1 + 3 * k, self.seq), (to, payload.clone()));
        }
    }

    /// Collects what client `i` sends and reports.
    fn drain(&mut self, i: usize, now: u64) {
        while let Some(t) = self.clients[i].poll_transmit() {
            if t.destination == Destination::Broadcast {
                if !t.source.is_unspecified() {
                    self.rebinding_seen[i] = true;
                }
            } else {
                assert_eq!(t.destination, Destination::Server(SERVER));
            }
            self.post(now, None, t.payload);
        }
        while let Some(event) = self.clients[i].poll_event() {
            match event {
                Event::Bound(l) | Event::Renewed(l) => {
                    self.held[i] = Some((l.address, l.expires_at()));
                }
                Event::Expired { .. }
                | Event::Refused { .. }
                | Event::Declined { .. }
                | Event::Released { .. } => {
                    self.held[i] = None;
                }
            }
        }
    }

    fn deliver_to_server(&mut self, payload: &[u8], now: u64) {
        if !self.server_up {
            return;
        }
        let Ok(message) = Message::parse(payload) else {
            return;
        };
        let source = if message.ciaddr.is_unspecified() {
            Ipv4Addr::UNSPECIFIED
        } else {
            message.ciaddr
        };
        let rx = Received {
            message,
            source: SocketAddrV4::new(source, 68),
            destination: Ipv4Addr::BROADCAST,
            interface_address: SERVER,
        };
        match Server::handle(&self.config, &self.db, &rx, EPOCH + now / 1000) {
            Outcome::Reply(reply) => {
                for change in &reply.changes {
                    self.db.apply(change);
                }
                let mut mac = [0u8; 6];
                mac.copy_from_slice(&reply.message.chaddr[..6]);
                if let Some(&i) = self.by_mac.get(&mac) {
                    self.post(now, Some(i), reply.payload);
                }
            }
            Outcome::Commit(changes) => {
                for change in &changes {
                    self.db.apply(change);
                }
            }
            Outcome::Ignore(_) => {}
        }
    }

    /// Runs until `until` (ms), checking the invariants after every step.
    fn run(&mut self, from: u64, until: u64) {
        let mut now = from;
        loop {
            let next_timer = self
                .clients
                .iter()
                .filter_map(Client::poll_timeout)
                .min()
                .unwrap_or(u64::MAX);
            let next_message = self.in_flight.keys().next().map_or(u64::MAX, |k| k.0);
            let next = next_timer.min(next_message).max(now);
            if next > until {
                break;
            }
            now = next;
            if next_message <= now {
                let (key, (to, payload)) = self.in_flight.pop_first().unwrap();
                assert!(key.0 <= now);
                match to {
                    None => self.deliver_to_server(&payload, now),
                    Some(i) => {
                        self.clients[i].handle_packet(&payload, now);
                        self.drain(i, now);
                    }
                }
            } else {
                for i in 0..self.clients.len() {
                    if self.clients[i].poll_timeout().is_some_and(|t| t <= now) {
                        self.clients[i].handle_timeout(now);
                        self.drain(i, now);
                    }
                }
            }
            self.check(now);
        }
    }

    fn check(&self, now: u64) {
        let mut owners: HashMap<Ipv4Addr, usize> = HashMap::new();
        for (i, held) in self.held.iter().enumerate() {
            let Some((address, expires)) = held else {
                continue;
            };
            assert!(
                expires.is_none_or(|e| now <= e),
                "client {i} holds {address} past its lease ({expires:?}, now {now})"
            );
            if let Some(other) = owners.insert(*address, i) {
                panic!("{address} held by clients {other} and {i} at {now}");
            }
        }
    }

    fn count(&self, state: StateKind) -> usize {
        self.clients.iter().filter(|c| c.state() == state).count()
    }
}

#[test]
fn thousands_of_clients_bind_renew_and_rebind_over_a_lossy_network() {
    let n = 2000;
    let mut w = World::new(n);
    // Everybody gets a lease despite 10% loss and 5% duplicates (retransmissions at 4, 8... s).
    w.run(0, 200_000);
    assert_eq!(w.count(StateKind::Bound), n, "all bound after 200 s");
    assert!(w.held.iter().all(Option::is_some));
    // T1 is 300 s after each lease: they renew by unicast and stay bound.
    w.run(200_000, 450_000);
    let renewed = w.db.iter().filter(|l| l.starts >= EPOCH + 300).count();
    assert!(renewed > n * 8 / 10, "{renewed} leases renewed");
    assert_eq!(w.count(StateKind::Bound) + w.count(StateKind::Renewing), n);
    // The server falls silent: past T2 every client rebinds by broadcast; the leases renewed
    // first run out meanwhile and those clients stop using their address.
    w.server_up = false;
    w.run(450_000, 1_000_000);
    assert!(
        w.rebinding_seen.iter().all(|&seen| seen),
        "every client rebinds"
    );
    assert!(w.count(StateKind::Rebinding) > 0);
    // Back: rebinding clients are extended, the others get a lease anew (those whose DISCOVERs
    // back off to one a minute may need several tries through the lossy network).
    w.server_up = true;
    w.run(1_000_000, 1_600_000);
    let stuck: Vec<_> = w
        .clients
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            w.held[*i].is_none()
                || !matches!(
                    c.state(),
                    StateKind::Bound | StateKind::Renewing | StateKind::Rebinding
                )
        })
        .map(|(i, c)| (i, c.state(), c.poll_timeout(), w.held[i]))
        .collect();
    assert!(stuck.is_empty(), "without a lease: {stuck:?}");
    // Silent for good: every lease runs out, and nobody uses its address past its end.
    w.server_up = false;
    w.run(1_600_000, 2_300_000);
    assert!(w.held.iter().all(Option::is_none));
    assert_eq!(w.count(StateKind::Selecting), n);
}
