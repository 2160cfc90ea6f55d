//! The simulated world of one seed: clients, relays, engines with their stores, and the
//! network between them, in virtual time. Every step is one event off a queue ordered by
//! (time, sequence), and every random choice comes from the seed, so a seed replays exactly.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use charrua_client::{Client, ClientConfig};
use charrua_engine::{Arrival, Engine, EngineOptions, LogLevel, Now};
use charrua_server::config::Config;
use charrua_server::Lease;
use charrua_wire::{Message, MessageType};

use crate::check::{self, Violation};
use crate::layout::{engine_address, engine_config, relay_address, LINKS};
use crate::scenario::{Bounds, Kind, Scenario};
use crate::shared::SharedStore;
use crate::store::SimStore;
use crate::trace::{Step, Trace};

/// Unix time of virtual time 0.
pub(crate) const EPOCH: u64 = 1_795_500_000;

#[derive(Debug, Clone)]
pub(crate) enum Event {
    ClientTimer {
        client: usize,
    },
    ClientAction {
        client: usize,
    },
    ClientRestart {
        client: usize,
    },
    /// A client's broadcast reaching the relay of its link.
    ToRelay {
        link: usize,
        payload: Vec<u8>,
    },
    ToEngine {
        engine: usize,
        arrival: Arrival,
        payload: Vec<u8>,
    },
    /// A reply reaching the clients of `link` with hardware address `chaddr`.
    ToClients {
        link: usize,
        chaddr: [u8; 6],
        payload: Vec<u8>,
        /// Its message type and yiaddr, for the trace.
        kind: u8,
        address: Ipv4Addr,
    },
    CommitDone {
        engine: usize,
        epoch: u64,
        fail: bool,
        /// Shared store: the commit lands, and the engine hears it failed.
        lost: bool,
    },
    EngineTimer {
        engine: usize,
        epoch: u64,
    },
    Crash {
        engine: usize,
    },
    Restart {
        engine: usize,
    },
    LinkDown {
        link: usize,
    },
    /// Shared store: the change feed reaching an engine (after a commit of its own).
    Feed {
        engine: usize,
    },
    /// Shared store: an engine asks the feed, as it does every few hundred milliseconds.
    FeedPoll {
        engine: usize,
    },
    /// Shared store: an engine is cut off from the store; back.
    StoreDown {
        engine: usize,
    },
    /// See `StoreDown`.
    StoreUp {
        engine: usize,
    },
    Garbage {
        sender: usize,
    },
    Heal,
}

/// Heap entry: events run by time, then in the order they were made.
#[derive(Debug)]
struct Scheduled {
    at: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

pub(crate) struct SimClient {
    pub(crate) client: Client,
    pub(crate) kind: Kind,
    pub(crate) link: usize,
    pub(crate) mac: [u8; 6],
    /// Option 61 as sent (type 1 and the hardware address): the server's key for it.
    pub(crate) identity: Box<[u8]>,
    /// Whether another client has the same identity (a [`Kind::Twin`] and its original).
    pub(crate) shares_identity: bool,
    pub(crate) generation: u64,
    pub(crate) declined: bool,
    /// Stopped (silent once bound, or released and not yet back).
    pub(crate) idle: bool,
    pub(crate) timer: Option<u64>,
    /// The address it uses, with when its lease runs out (µs) and the engine that granted it.
    pub(crate) holding: Option<(Ipv4Addr, u64, usize)>,
}

pub(crate) struct SimEngine {
    pub(crate) config: Config,
    pub(crate) engine: Option<Engine>,
    /// Its own store (unused when the engines share one).
    pub(crate) store: SimStore,
    pub(crate) in_flight: Option<charrua_engine::Commit>,
    pub(crate) epoch: u64,
    pub(crate) timer: Option<u64>,
    /// How the requests it got were addressed, by transaction and hardware address.
    pub(crate) requests: HashMap<(u32, [u8; 6]), check::Addressing>,
}

/// What a seed's run did.
#[derive(Debug)]
pub struct Report {
    /// Events run.
    pub steps: u64,
    /// Leases granted by DISCOVER-OFFER-REQUEST-ACK.
    pub doras: u64,
    /// The first broken invariant, if any, with the trace that led there.
    pub violation: Option<Violation>,
}

pub(crate) struct World {
    pub(crate) scenario: Scenario,
    pub(crate) rng: fastrand::Rng,
    queue: BinaryHeap<Reverse<Scheduled>>,
    pub(crate) seq: u64,
    pub(crate) now: u64,
    pub(crate) clients: Vec<SimClient>,
    pub(crate) engines: Vec<SimEngine>,
    /// The store every engine uses, when they share one.
    pub(crate) shared: Option<SharedStore>,
    /// Who uses each address: client and when its lease runs out (µs).
    pub(crate) holders: HashMap<Ipv4Addr, (usize, u64)>,
    /// The clients with each hardware address (twins share one).
    pub(crate) by_mac: HashMap<[u8; 6], Vec<usize>>,
    pub(crate) link_down_until: [u64; LINKS],
    pub(crate) healed: bool,
    pub(crate) trace: Trace,
    pub(crate) violation: Option<Violation>,
    pub(crate) steps: u64,
    pub(crate) doras: u64,
    pub(crate) options: EngineOptions,
}

pub(crate) fn now_of(us: u64) -> Now {
    Now {
        unix: EPOCH + us / 1_000_000,
        monotonic: Duration::from_micros(us),
    }
}

fn identity(mac: [u8; 6]) -> Box<[u8]> {
    let mut id = vec![1];
    id.extend_from_slice(&mac);
    id.into()
}

impl World {
    /// The world of `seed`, or why its configuration could not be built.
    pub(crate) fn new(seed: u64, bounds: &Bounds) -> Result<Self, String> {
        let scenario = Scenario::from_seed(seed, bounds);
        let mut rng = fastrand::Rng::with_seed(seed);
        #[allow(unused_mut)]
        let mut options = EngineOptions {
            interfaces: vec!["link0".into()],
            log: LogLevel::Off,
            ..EngineOptions::default()
        };
        #[cfg(feature = "defects")]
        {
            options.defects = bounds.defects.engine();
        }
        let engines = (0..scenario.engines)
            .map(|e| {
                #[allow(unused_mut)]
                let mut config = engine_config(e, &scenario)?;
                #[cfg(feature = "defects")]
                {
                    config.defects = bounds.defects.server();
                }
                let db = charrua_server::LeaseDb::new(&config);
                Ok(SimEngine {
                    engine: Some(Engine::new(config.clone(), db, options.clone(), now_of(0))),
                    config,
                    store: SimStore::default(),
                    in_flight: None,
                    epoch: 0,
                    timer: None,
                    requests: HashMap::new(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        #[allow(unused_mut)]
        let mut shared = scenario
            .shared_store
            .then(|| SharedStore::new(scenario.engines));
        #[cfg(feature = "defects")]
        if let Some(shared) = shared.as_mut() {
            shared.blind = bounds.defects == crate::Defect::SharedBlindWrites;
        }
        let mut clients: Vec<SimClient> = Vec::with_capacity(scenario.clients.len());
        for (i, &kind) in scenario.clients.iter().enumerate() {
            let twin = kind == Kind::Twin && !clients.is_empty();
            let mac = match clients.last_mut() {
                Some(other) if twin => {
                    other.shares_identity = true;
                    other.mac
                }
                _ => [
                    2,
                    (seed & 0xff) as u8,
                    0,
                    (i >> 16) as u8,
                    (i >> 8) as u8,
                    i as u8,
                ],
            };
            let link = rng.usize(0..LINKS);
            clients.push(SimClient {
                client: Client::new(ClientConfig::new(mac, rng.u64(..)), 0),
                kind,
                link,
                mac,
                identity: identity(mac),
                shares_identity: twin,
                generation: 0,
                declined: false,
                idle: false,
                timer: None,
                holding: None,
            });
        }
        let mut by_mac: HashMap<[u8; 6], Vec<usize>> = HashMap::new();
        for (i, c) in clients.iter().enumerate() {
            by_mac.entry(c.mac).or_default().push(i);
        }
        let mut world = Self {
            by_mac,
            scenario,
            rng,
            queue: BinaryHeap::new(),
            seq: 0,
            now: 0,
            clients,
            engines,
            shared,
            holders: HashMap::new(),
            link_down_until: [0; LINKS],
            healed: false,
            trace: Trace::default(),
            violation: None,
            steps: 0,
            doras: 0,
            options,
        };
        world.start();
        Ok(world)
    }

    pub(crate) fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.seq,
            event,
        }));
    }

    fn start(&mut self) {
        for c in 0..self.clients.len() {
            self.client_after(c);
            if matches!(
                self.clients[c].kind,
                Kind::Rebooter | Kind::Mover | Kind::Releaser
            ) {
                let at = self.rng.u64(30_000_000..300_000_000);
                self.schedule(at, Event::ClientAction { client: c });
            }
        }
        for e in 0..self.engines.len() {
            self.pump(e);
        }
        for sender in 0..self.scenario.garbage {
            let at = self.rng.u64(0..5_000_000);
            self.schedule(at, Event::Garbage { sender });
        }
        self.next_crash();
        self.start_shared();
        if self.scenario.partitions {
            let at = self.rng.u64(0..self.scenario.fault_us.max(1));
            let link = self.rng.usize(0..LINKS);
            self.schedule(at, Event::LinkDown { link });
        }
        self.schedule(self.scenario.fault_us, Event::Heal);
    }

    pub(crate) fn next_crash(&mut self) {
        if self.scenario.crashes_per_hour <= 0.0 || self.healed {
            return;
        }
        let mean_us = 3.6e9 / self.scenario.crashes_per_hour;
        let wait = (-(1.0 - self.rng.f64()).ln() * mean_us) as u64;
        let engine = self.rng.usize(0..self.engines.len());
        self.schedule(self.now + wait.max(1), Event::Crash { engine });
    }

    /// Runs the seed to its end, or to its first violation.
    pub(crate) fn run(mut self) -> Report {
        let end = self.scenario.fault_us + self.scenario.heal_us;
        while let Some(Reverse(next)) = self.queue.pop() {
            if next.at > end || self.violation.is_some() {
                break;
            }
            self.now = next.at;
            self.steps += 1;
            self.step(next.event);
        }
        if self.violation.is_none() {
            self.now = end;
            check::at_end(&mut self);
        }
        Report {
            steps: self.steps,
            doras: self.doras,
            violation: self.violation,
        }
    }

    fn step(&mut self, event: Event) {
        match event {
            Event::ClientTimer { client } => {
                let c = &mut self.clients[client];
                if c.idle || c.timer != Some(self.now) {
                    return;
                }
                c.timer = None;
                c.client.handle_timeout(self.now / 1000);
                self.client_after(client);
            }
            Event::ClientAction { client } => self.client_action(client),
            Event::ClientRestart { client } => {
                let c = &mut self.clients[client];
                c.generation += 1;
                let seed = self.rng.u64(..);
                c.client = Client::new(ClientConfig::new(c.mac, seed), self.now / 1000);
                c.idle = false;
                c.timer = None;
                self.client_after(client);
                if !self.healed {
                    let at = self.now + self.rng.u64(30_000_000..300_000_000);
                    self.schedule(at, Event::ClientAction { client });
                }
            }
            Event::ToRelay { link, mut payload } => {
                // The relay agent (RFC 1542 section 4.1.1): giaddr, one more hop, on to
                // every server.
                if payload.len() < 240 {
                    return;
                }
                if payload[24..28] == [0, 0, 0, 0] {
                    payload[24..28].copy_from_slice(&relay_address(link).octets());
                }
                payload[3] = payload[3].saturating_add(1);
                for engine in 0..self.engines.len() {
                    let arrival = Arrival {
                        interface: 0,
                        interface_address: engine_address(engine),
                        source: SocketAddrV4::new(relay_address(link), 67),
                        destination: engine_address(engine),
                    };
                    self.send(
                        link,
                        0,
                        Event::ToEngine {
                            engine,
                            arrival,
                            payload: payload.clone(),
                        },
                    );
                }
            }
            Event::ToEngine {
                engine,
                arrival,
                payload,
            } => self.engine_input(engine, &arrival, &payload),
            Event::ToClients {
                link,
                chaddr,
                payload,
                kind,
                address,
            } => {
                let addressed = self.by_mac.get(&chaddr).cloned().unwrap_or_default();
                for c in addressed {
                    let sc = &self.clients[c];
                    if sc.link == link && !sc.idle {
                        self.trace.push(
                            self.now,
                            Step::ClientGot {
                                client: c,
                                kind,
                                address,
                            },
                        );
                        self.clients[c]
                            .client
                            .handle_packet(&payload, self.now / 1000);
                        self.client_after(c);
                    }
                }
            }
            Event::CommitDone {
                engine,
                epoch,
                fail,
                lost,
            } => self.commit_done(engine, epoch, fail, lost),
            Event::EngineTimer { engine, epoch } => {
                let e = &mut self.engines[engine];
                if e.epoch != epoch || e.timer != Some(self.now) {
                    return;
                }
                e.timer = None;
                if let Some(en) = e.engine.as_mut() {
                    en.handle_tick(now_of(self.now));
                }
                self.pump(engine);
            }
            Event::Crash { engine } => {
                self.crash(engine);
                self.next_crash();
            }
            Event::Restart { engine } => self.restart(engine),
            Event::LinkDown { link } => {
                if self.healed {
                    return;
                }
                self.link_down_until[link] = self.now + self.rng.u64(1_000_000..60_000_000);
                let at = self.now + self.rng.u64(10_000_000..120_000_000);
                let next = self.rng.usize(0..LINKS);
                self.schedule(at, Event::LinkDown { link: next });
            }
            Event::Garbage { sender } => {
                if self.healed {
                    return;
                }
                self.garbage();
                let at = self.now + self.rng.u64(500_000..5_000_000);
                self.schedule(at, Event::Garbage { sender });
            }
            Event::Feed { engine } => self.feed(engine),
            Event::FeedPoll { engine } => self.feed_poll(engine),
            Event::StoreDown { engine } => self.store_down(engine),
            Event::StoreUp { engine } => self.store_up(engine),
            Event::Heal => self.heal(),
        }
    }

    fn heal(&mut self) {
        self.healed = true;
        let s = &mut self.scenario;
        (s.loss, s.duplicate, s.jitter_us) = (0.0, 0.0, 500);
        (s.commit_failure, s.commit_stall) = (0.0, 0.0);
        self.link_down_until = [0; LINKS];
        for engine in 0..self.engines.len() {
            self.store_up(engine);
        }
        for engine in 0..self.engines.len() {
            if self.engines[engine].engine.is_none() {
                self.restart(engine);
            }
        }
    }
}

impl World {
    /// The durable record of `address` that engine `engine` writes to: in its own store, or
    /// in the shared one.
    pub(crate) fn durable(&self, engine: usize, address: Ipv4Addr) -> Option<&Lease> {
        match &self.shared {
            Some(shared) => shared.record(address),
            None => self.engines.get(engine)?.store.durable(address),
        }
    }
}

/// The DHCP message type of a payload.
pub(crate) fn message_type(payload: &[u8]) -> Option<MessageType> {
    Message::parse(payload).ok()?.message_type()
}
