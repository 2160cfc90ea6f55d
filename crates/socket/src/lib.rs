//! charrua-socket: the few system calls that std and nix do not offer in the form charrua needs,
//! each wrapped once, with its arguments checked, so that `unsafe` lives in this crate only.
//!
//! - [`send_many`]: `sendmmsg(2)` for UDP datagrams to many addresses (the daemon's replies,
//!   the load generator's requests);
//! - [`packet`]: AF_PACKET sockets, to send whole Ethernet frames (replies to clients that
//!   have no address yet; a client's messages before it has one) and to receive the frames for
//!   one UDP port, filtered in the kernel by BPF;
//! - [`names`]: reverse lookups through the system resolver (getnameinfo);
//! - [`priority`]: a thread's nice value (setpriority), for work that must yield to serving.

pub mod mmsg;
pub mod names;
pub mod packet;
pub mod priority;

pub use mmsg::send_many;
