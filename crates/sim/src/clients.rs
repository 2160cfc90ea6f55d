//! The clients: what each does after an input, and the actions of its kind (reboots, moves,
//! releases).

use charrua_client::{Client, ClientConfig, Event as ClientEvent, StateKind};

use crate::check;
use crate::layout::LINKS;
use crate::scenario::Kind;
use crate::trace::Step;
use crate::world::{Event, World};

impl World {
    /// Runs what a client has to say and do after an input.
    pub(crate) fn client_after(&mut self, c: usize) {
        loop {
            let mut declined_now = false;
            while let Some(event) = self.clients[c].client.poll_event() {
                match event {
                    ClientEvent::Bound(lease) => {
                        self.doras += 1;
                        check::bound(self, c, &lease);
                        let sc = &mut self.clients[c];
                        if sc.kind == Kind::Decliner && !sc.declined {
                            sc.declined = true;
                            declined_now = true;
                        } else if sc.kind == Kind::Silent {
                            sc.idle = true;
                        }
                    }
                    ClientEvent::Renewed(lease) => check::bound(self, c, &lease),
                    ClientEvent::Refused { .. }
                    | ClientEvent::Expired { .. }
                    | ClientEvent::Declined { .. }
                    | ClientEvent::Released { .. } => self.unhold(c),
                }
            }
            if declined_now {
                self.trace.push(
                    self.now,
                    Step::Action {
                        client: c,
                        what: "finds its address in use and declines it",
                    },
                );
                self.clients[c].client.decline(self.now / 1000);
                continue;
            }
            break;
        }
        while let Some(t) = self.clients[c].client.poll_transmit() {
            self.route_client_transmit(c, t);
        }
        let sc = &mut self.clients[c];
        if sc.idle {
            return;
        }
        let next = sc.client.poll_timeout().map(|ms| (ms * 1000).max(self.now));
        if next.is_some() && next != sc.timer {
            sc.timer = next;
            if let Some(at) = next {
                self.schedule(at, Event::ClientTimer { client: c });
            }
        }
    }

    /// The client stops using its address.
    pub(crate) fn unhold(&mut self, c: usize) {
        if let Some((address, _, _)) = self.clients[c].holding.take() {
            if self.holders.get(&address).is_some_and(|(h, _)| *h == c) {
                self.holders.remove(&address);
            }
        }
    }

    pub(crate) fn client_action(&mut self, c: usize) {
        if self.healed || self.clients[c].idle {
            return;
        }
        let kind = self.clients[c].kind;
        let remembered = self.clients[c].client.lease().map(|l| l.address);
        match kind {
            Kind::Rebooter | Kind::Mover => {
                let what = if kind == Kind::Mover {
                    let step = 1 + self.rng.usize(0..LINKS - 1);
                    self.clients[c].link = (self.clients[c].link + step) % LINKS;
                    "moves to another link and asks for its address there"
                } else {
                    "reboots and asks for its address again"
                };
                self.trace.push(self.now, Step::Action { client: c, what });
                self.unhold(c);
                let sc = &mut self.clients[c];
                let mut config = ClientConfig::new(sc.mac, self.rng.u64(..));
                config.remembered = remembered;
                sc.client = Client::new(config, self.now / 1000);
                sc.timer = None;
                self.client_after(c);
            }
            Kind::Releaser if remembered.is_some() => {
                self.trace.push(
                    self.now,
                    Step::Action {
                        client: c,
                        what: "releases its lease",
                    },
                );
                self.clients[c].client.release(self.now / 1000);
                self.client_after(c);
                self.clients[c].idle = true;
                let at = self.now + self.rng.u64(5_000_000..60_000_000);
                self.schedule(at, Event::ClientRestart { client: c });
                return;
            }
            _ => {}
        }
        let at = self.now + self.rng.u64(30_000_000..300_000_000);
        self.schedule(at, Event::ClientAction { client: c });
    }

    /// Whether the client is in a state that holds a lease.
    pub(crate) fn is_bound(&self, c: usize) -> bool {
        matches!(
            self.clients[c].client.state(),
            StateKind::Bound | StateKind::Renewing | StateKind::Rebinding
        )
    }
}
