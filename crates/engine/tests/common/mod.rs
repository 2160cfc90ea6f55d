//! A small lab for the engine: one link, real client state machines, and the time.

#![allow(dead_code, unreachable_pub)]

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use charrua_client::{Client, ClientConfig};
use charrua_engine::{Arrival, Commit, Engine, EngineOptions, Now, Transmit};
use charrua_server::{Config, LeaseDb};
use charrua_store::{Committed, StoreError};
use charrua_wire::{Message, MessageType};

pub const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);

pub fn config() -> Config {
    Config::builder()
        .subnet("198.18.0.0/24".parse().unwrap(), |s| {
            s.range(
                Ipv4Addr::new(198, 18, 0, 100),
                Ipv4Addr::new(198, 18, 0, 120),
            )
        })
        .build()
        .unwrap()
}

/// The engine, its clients and the time (starting at 2026-11-24, monotonic 0).
pub struct Lab {
    pub engine: Engine,
    pub clients: Vec<Client>,
    pub ms: u64,
    /// The commit in flight, as the engine handed it out.
    pub in_flight: Option<Commit>,
    /// Replies its commit released, not yet delivered.
    released: Vec<Transmit>,
}

pub const EPOCH: u64 = 1_795_500_000;

impl Lab {
    pub fn new(clients: u8, options: EngineOptions) -> Self {
        Self::with_db(clients, options, LeaseDb::new(&config()))
    }

    pub fn with_db(clients: u8, options: EngineOptions, db: LeaseDb) -> Self {
        Self::with_config(clients, options, config(), db)
    }

    pub fn with_config(clients: u8, options: EngineOptions, config: Config, db: LeaseDb) -> Self {
        let engine = Engine::new(config, db, options, now(0));
        let clients = (1..=clients)
            .map(|i| Client::new(ClientConfig::new([2, 0, 0, 0, 0, i], u64::from(i)), 0))
            .collect();
        Self {
            engine,
            clients,
            ms: 0,
            in_flight: None,
            released: Vec::new(),
        }
    }

    pub fn now(&self) -> Now {
        now(self.ms)
    }

    /// Advances the time by `ms` and fires what is due in the clients.
    pub fn advance(&mut self, ms: u64) {
        self.ms += ms;
        for c in &mut self.clients {
            if c.poll_timeout().is_some_and(|t| t <= self.ms) {
                c.handle_timeout(self.ms);
            }
        }
        self.engine.handle_tick(self.now());
    }

    /// Delivers every message client `i` has to send; returns their types.
    pub fn send(&mut self, i: usize) -> Vec<MessageType> {
        let mut sent = Vec::new();
        while let Some(t) = self.clients[i].poll_transmit() {
            sent.push(Message::parse(&t.payload).unwrap().message_type().unwrap());
            let arrival = Arrival {
                interface: 0,
                interface_address: SERVER,
                source: SocketAddrV4::new(t.source, 68),
                destination: match t.destination {
                    charrua_client::Destination::Broadcast => Ipv4Addr::BROADCAST,
                    charrua_client::Destination::Server(s) => s,
                },
            };
            let now = self.now();
            self.engine.handle_datagram(&arrival, &t.payload, now);
        }
        sent
    }

    /// Starts the commit the engine has due, if any: its changes.
    pub fn start_commit(&mut self) -> Option<Vec<charrua_server::LeaseChange>> {
        let commit = self.engine.poll_commit(self.now())?;
        let changes = commit.changes.clone();
        self.in_flight = Some(commit);
        Some(changes)
    }

    /// The commit in flight ends with `result`: on success its replies leave (as the commit
    /// thread sends them), then the engine hears of it.
    pub fn land(&mut self, result: Result<Committed, StoreError>) {
        if let (Some(commit), Ok(committed)) = (self.in_flight.take(), &result) {
            self.released.extend(commit.released(committed));
        }
        self.engine.handle_committed(result);
    }

    /// Every reply the engine has ready or a commit released, delivered to the clients; their
    /// types.
    pub fn replies(&mut self) -> Vec<MessageType> {
        let mut kinds = Vec::new();
        let mut ready = std::mem::take(&mut self.released);
        while let Some(t) = self.engine.poll_transmit() {
            ready.push(t);
        }
        for Transmit { payload, .. } in ready {
            kinds.push(Message::parse(&payload).unwrap().message_type().unwrap());
            for c in &mut self.clients {
                c.handle_packet(&payload, self.ms);
            }
        }
        kinds
    }
}

pub fn now(ms: u64) -> Now {
    Now {
        unix: EPOCH + ms / 1000,
        monotonic: Duration::from_millis(ms),
    }
}
