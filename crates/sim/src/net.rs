//! The network between clients, relays and engines: datagrams lost, duplicated and delayed
//! as the scenario says, links that go down, and where each reply goes.

use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_client::{Client, ClientConfig, Transmit};
use charrua_engine::Arrival;
use charrua_server::Destination;
use charrua_wire::Message;

use crate::check;
use crate::layout::{engine_address, link_of};
use crate::trace::Step;
use crate::world::{message_type, Event, World};

impl World {
    /// Sends `event` from `from` to `to` across the network: lost, duplicated and delayed as
    /// the scenario says, and dropped while either link is down.
    pub(crate) fn send(&mut self, from: usize, to: usize, event: Event) {
        if self.link_down_until[from] > self.now || self.link_down_until[to] > self.now {
            return;
        }
        if self.rng.f64() < self.scenario.loss {
            return;
        }
        let jitter = self.scenario.jitter_us.max(1);
        if self.rng.f64() < self.scenario.duplicate {
            let twin = matches!(
                event,
                Event::ToRelay { .. } | Event::ToEngine { .. } | Event::ToClients { .. }
            )
            .then(|| event.clone());
            if let Some(twin) = twin {
                let at = self.now + 50 + self.rng.u64(0..jitter);
                self.schedule(at, twin);
            }
        }
        let at = self.now + 50 + self.rng.u64(0..jitter);
        self.schedule(at, event);
    }

    pub(crate) fn route_client_transmit(&mut self, c: usize, t: Transmit) {
        let kind = message_type(&t.payload).map_or(0, |k| k.0);
        self.trace
            .push(self.now, Step::ClientSent { client: c, kind });
        let link = self.clients[c].link;
        match t.destination {
            charrua_client::Destination::Broadcast if link == 0 => {
                for engine in 0..self.engines.len() {
                    let arrival = Arrival {
                        interface: 0,
                        interface_address: engine_address(engine),
                        source: SocketAddrV4::new(t.source, 68),
                        destination: Ipv4Addr::BROADCAST,
                    };
                    let payload = t.payload.clone();
                    self.send(
                        0,
                        0,
                        Event::ToEngine {
                            engine,
                            arrival,
                            payload,
                        },
                    );
                }
            }
            charrua_client::Destination::Broadcast => self.send(
                link,
                link,
                Event::ToRelay {
                    link,
                    payload: t.payload,
                },
            ),
            charrua_client::Destination::Server(server) => {
                let Some(engine) = (0..self.engines.len()).find(|&e| engine_address(e) == server)
                else {
                    return;
                };
                let arrival = Arrival {
                    interface: 0,
                    interface_address: server,
                    source: SocketAddrV4::new(t.source, 68),
                    destination: server,
                };
                self.send(
                    link,
                    0,
                    Event::ToEngine {
                        engine,
                        arrival,
                        payload: t.payload,
                    },
                );
            }
        }
    }

    pub(crate) fn route_engine_transmit(&mut self, engine: usize, t: charrua_engine::Transmit) {
        let Ok(reply) = Message::parse(&t.payload) else {
            check::violation(
                self,
                format!("engine {engine} sent a reply that does not parse"),
            );
            return;
        };
        let kind = reply.message_type().map_or(0, |k| k.0);
        self.trace.push(
            self.now,
            Step::EngineSent {
                engine,
                kind,
                address: reply.yiaddr,
            },
        );
        check::reply(self, engine, &reply, &t.destination);
        let mut chaddr = [0u8; 6];
        chaddr.copy_from_slice(&reply.chaddr[..6]);
        let link = match t.destination {
            Destination::Relay(to) => link_of(*to.ip()),
            Destination::Broadcast | Destination::Link { .. } => Some(0),
            Destination::Unicast(to) => link_of(*to.ip()),
        };
        let Some(link) = link else { return };
        self.send(
            0,
            link,
            Event::ToClients {
                link,
                chaddr,
                payload: t.payload,
                kind,
                address: reply.yiaddr,
            },
        );
    }

    /// A datagram of garbage to one engine: random bytes, or a real request with bytes
    /// flipped.
    pub(crate) fn garbage(&mut self) {
        let engine = self.rng.usize(0..self.engines.len());
        let mut payload = if self.rng.bool() {
            let len = self.rng.usize(0..600);
            (0..len).map(|_| self.rng.u8(..)).collect()
        } else {
            let mac = [6, 6, 6, 0, 0, self.rng.u8(..)];
            let mut c = Client::new(ClientConfig::new(mac, self.rng.u64(..)), 0);
            c.handle_timeout(u64::MAX / 2);
            c.poll_transmit().map(|t| t.payload).unwrap_or_default()
        };
        for _ in 0..self.rng.usize(0..8) {
            if !payload.is_empty() {
                let i = self.rng.usize(0..payload.len());
                payload[i] = self.rng.u8(..);
            }
        }
        let arrival = Arrival {
            interface: 0,
            interface_address: engine_address(engine),
            source: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
            destination: Ipv4Addr::BROADCAST,
        };
        self.send(
            0,
            0,
            Event::ToEngine {
                engine,
                arrival,
                payload,
            },
        );
    }
}
