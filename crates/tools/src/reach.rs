//! How `charrua perf` and `charrua probe` reach a server: as a relay agent (requests carry our
//! address as giaddr, from and to the server port) or as clients on the link (broadcast from
//! the client port, asking for broadcast replies).

use std::net::{Ipv4Addr, SocketAddrV4};

use charrua_wire::Message;

use crate::perf::socket::Socket;

/// The command-line arguments that say where the server is and how to reach it.
#[derive(Debug, clap::Args)]
pub(crate) struct Reach {
    /// The server's address (on the link: 255.255.255.255 broadcasts).
    #[arg(value_name = "SERVER")]
    pub(crate) server: Ipv4Addr,
    /// Act as a relay agent with this address (ours, on the link to the server): requests
    /// carry it as giaddr and go from and to the server port.
    #[arg(long, value_name = "ADDR", conflicts_with = "link")]
    pub(crate) relay: Option<Ipv4Addr>,
    /// Act as clients on the link through this interface: broadcast from the client port,
    /// asking for broadcast replies.
    #[arg(long, value_name = "IFACE")]
    pub(crate) link: Option<String>,
    /// The server port; clients use the next one.
    #[arg(long, default_value_t = 67)]
    pub(crate) port: u16,
}

/// How requests reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// Relayed: every message carries `giaddr` (our address) and one hop.
    Relay(Ipv4Addr),
    /// On the link: broadcast, asking for broadcast replies.
    Link,
}

impl Path {
    /// Addresses `msg` as this path sends it.
    pub(crate) fn address(self, msg: &mut Message) {
        match self {
            Self::Relay(giaddr) => {
                msg.giaddr = giaddr;
                msg.hops = 1;
            }
            Self::Link => msg.flags = 0x8000,
        }
    }
}

impl Reach {
    /// The path, the socket it sends and receives on, and where requests go.
    pub(crate) fn open(&self) -> Result<(Path, Socket, SocketAddrV4), String> {
        let to = SocketAddrV4::new(self.server, self.port);
        match (&self.relay, &self.link) {
            (Some(relay), _) => Ok((Path::Relay(*relay), Socket::relay(*relay, self.port)?, to)),
            (None, Some(iface)) => Ok((
                Path::Link,
                Socket::link(iface, self.port.wrapping_add(1))?,
                to,
            )),
            (None, None) => Err("give --relay ADDR or --link IFACE".into()),
        }
    }
}
