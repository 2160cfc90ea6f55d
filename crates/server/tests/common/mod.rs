//! A harness that feeds messages to the server core and applies its changes as the daemon
//! will, plus base messages to build transcripts from with struct-update syntax.
#![allow(dead_code, unreachable_pub)]

use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_server::config::{Config, ConfigBuilder, Match, ScopeBuilder};
use charrua_server::{
    Destination, IgnoreReason, LeaseChange, LeaseDb, Outcome, Received, Reply, Server,
};
use charrua_wire::{Message, MessageType, OptionCode, Value};

pub const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
pub const RELAY: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 1);
pub const NET: &str = "198.18.0.0/24";
pub const RELAYED_NET: &str = "198.19.0.0/24";
pub const FIXED_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x99];
pub const FIXED_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 9);
pub const T0: u64 = 1_700_000_000;

pub fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

/// Two links: 198.18.0.0/24 on the server's interface, 198.19.0.0/24 behind a relay.
pub fn builder() -> ConfigBuilder {
    Config::builder()
        .default_lease_time(3600)
        .max_lease_time(7200)
        .option(
            OptionCode::DOMAIN_NAME_SERVERS,
            Value::IpList(vec![ip(198, 18, 0, 53)]),
        )
        .option(OptionCode::DOMAIN_NAME, Value::Text("example.test".into()))
        .subnet(NET.parse().unwrap(), |s| {
            s.range(ip(198, 18, 0, 100), ip(198, 18, 0, 199))
                .option(OptionCode::ROUTERS, Value::IpList(vec![SERVER]))
        })
        .subnet(RELAYED_NET.parse().unwrap(), |s| {
            s.range(ip(198, 19, 0, 100), ip(198, 19, 0, 150))
                .option(OptionCode::ROUTERS, Value::IpList(vec![RELAY]))
        })
        .host("fixed", |h| {
            h.hardware_ethernet(FIXED_MAC).fixed_address(FIXED_IP)
        })
        .class(
            "pxe",
            Match::VendorClassPrefix(b"PXEClient".to_vec()),
            |c| c.filename("pxelinux.0"),
        )
}

pub fn config() -> Config {
    builder().build().unwrap()
}

pub struct Harness {
    pub config: Config,
    pub db: LeaseDb,
    pub now: u64,
    /// Every change applied, in order: replaying it must rebuild `db`.
    pub log: Vec<LeaseChange>,
}

impl Harness {
    pub fn new(config: Config) -> Self {
        let db = LeaseDb::new(&config);
        Self {
            config,
            db,
            now: T0,
            log: Vec::new(),
        }
    }

    pub fn apply(&mut self, changes: &[LeaseChange]) {
        for change in changes {
            self.db.apply(change);
            self.log.push(change.clone());
        }
    }

    /// Handles `rx` and applies the changes, as the daemon does before sending.
    pub fn send(&mut self, rx: &Received) -> Outcome {
        let outcome = Server::handle(&self.config, &self.db, rx, self.now);
        match &outcome {
            Outcome::Reply(reply) => self.apply(&reply.changes.clone()),
            Outcome::Commit(changes) => self.apply(&changes.clone()),
            Outcome::Ignore(_) => {}
        }
        outcome
    }

    /// Lets `seconds` pass and applies what expires.
    pub fn advance(&mut self, seconds: u64) {
        self.now += seconds;
        let changes = Server::expire(&self.config, &self.db, self.now);
        self.apply(&changes);
    }

    pub fn replayed(&self) -> LeaseDb {
        let mut db = LeaseDb::new(&self.config);
        db.extend(self.log.iter().cloned());
        db
    }
}

/// DISCOVER, OFFER, REQUEST, ACK for `m`; returns the address.
pub fn dora(h: &mut Harness, m: [u8; 6]) -> Ipv4Addr {
    let offer = h.send(&direct(discover(m)));
    let addr = reply(&offer).message.yiaddr;
    let ack = h.send(&direct(selecting(m, addr, SERVER)));
    assert_eq!(reply(&ack).message.message_type(), Some(MessageType::ACK));
    addr
}

pub fn mac(last: u8) -> [u8; 6] {
    [2, 0, 0, 0xc0, 0xff, last]
}

/// A client message of `kind` from hardware address `mac`.
pub fn message(kind: MessageType, mac: [u8; 6]) -> Message {
    let mut msg = Message {
        xid: 0x1234_0000 | u32::from(mac[5]),
        ..Message::default()
    };
    msg.chaddr[..6].copy_from_slice(&mac);
    msg.options.insert(OptionCode::MESSAGE_TYPE, &[kind.0]);
    msg
}

pub fn with(mut msg: Message, code: OptionCode, value: &[u8]) -> Message {
    msg.options.insert(code, value);
    msg
}

pub fn discover(mac: [u8; 6]) -> Message {
    with(
        message(MessageType::DISCOVER, mac),
        OptionCode::PARAMETER_REQUEST_LIST,
        &[1, 3, 6, 15],
    )
}

pub fn selecting(mac: [u8; 6], addr: Ipv4Addr, server: Ipv4Addr) -> Message {
    let msg = with(
        message(MessageType::REQUEST, mac),
        OptionCode::REQUESTED_ADDRESS,
        &addr.octets(),
    );
    with(msg, OptionCode::SERVER_IDENTIFIER, &server.octets())
}

pub fn init_reboot(mac: [u8; 6], addr: Ipv4Addr) -> Message {
    with(
        message(MessageType::REQUEST, mac),
        OptionCode::REQUESTED_ADDRESS,
        &addr.octets(),
    )
}

/// A DHCPDECLINE of `addr` from `mac` to this server.
pub fn decline(mac: [u8; 6], addr: Ipv4Addr) -> Message {
    let msg = with(
        message(MessageType::DECLINE, mac),
        OptionCode::REQUESTED_ADDRESS,
        &addr.octets(),
    );
    with(msg, OptionCode::SERVER_IDENTIFIER, &SERVER.octets())
}

pub fn renewing(mac: [u8; 6], addr: Ipv4Addr) -> Message {
    Message {
        ciaddr: addr,
        ..message(MessageType::REQUEST, mac)
    }
}

/// Received on the server's interface, broadcast from a client without an address.
pub fn direct(message: Message) -> Received {
    let source = if message.ciaddr.is_unspecified() {
        Ipv4Addr::UNSPECIFIED
    } else {
        message.ciaddr
    };
    Received {
        message,
        source: SocketAddrV4::new(source, 68),
        destination: Ipv4Addr::BROADCAST,
        interface_address: SERVER,
    }
}

/// Sent by the client to the server's address (a RENEWING request).
pub fn unicast(message: Message) -> Received {
    Received {
        destination: SERVER,
        ..direct(message)
    }
}

/// Relayed through `RELAY` (giaddr set, one hop).
pub fn relayed(message: Message) -> Received {
    let message = Message {
        giaddr: RELAY,
        hops: 1,
        ..message
    };
    Received {
        message,
        source: SocketAddrV4::new(RELAY, 67),
        destination: SERVER,
        interface_address: SERVER,
    }
}

pub fn reply(outcome: &Outcome) -> &Reply {
    match outcome {
        Outcome::Reply(reply) => reply,
        other => panic!("expected a reply, got {other:?}"),
    }
}

pub fn ignored(outcome: &Outcome) -> IgnoreReason {
    match outcome {
        Outcome::Ignore(reason) => *reason,
        other => panic!("expected Ignore, got {other:?}"),
    }
}

pub fn codes(msg: &Message) -> Vec<u8> {
    msg.options.iter().map(|(c, _)| c.0).collect()
}

pub fn link(addr: Ipv4Addr, mac: [u8; 6]) -> Destination {
    Destination::Link {
        ip: SocketAddrV4::new(addr, 68),
        htype: 1,
        hardware: mac.to_vec(),
    }
}
