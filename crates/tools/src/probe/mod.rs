//! `charrua probe`: plays the request profiles of [`profiles`] against a server and prints
//! every step with the reply (one JSON object a line); `charrua probe-diff A B` compares two
//! such runs reply by reply, as `bench/isc-diff` does with ISC dhcpd and charruad.

mod diff;
mod profiles;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use charrua_wire::{Message, MessageType, Op, OptionCode};
use serde_json::{json, Value as Json};

use crate::perf::socket::{Inbox, Socket};
use crate::reach::Reach;
use profiles::{Profile, Script};

pub(crate) use diff::{run as diff, Args as DiffArgs};

/// `charrua probe`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    reach: Reach,
    /// How long to wait for each reply, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    timeout: u64,
    /// Also play a plain client with this Ethernet address (a host of the configuration), as
    /// profile `host-N`; may be given several times.
    #[arg(long, value_name = "MAC", value_parser = ethernet)]
    known: Vec<[u8; 6]>,
}

/// An Ethernet address written as dhcpd writes one (`0:1b:21:...`, octets of 1 or 2 digits).
fn ethernet(text: &str) -> Result<[u8; 6], String> {
    let octets: Vec<u8> = text
        .split(':')
        .map(|o| {
            (1..=2)
                .contains(&o.len())
                .then(|| u8::from_str_radix(o, 16).ok())
                .flatten()
        })
        .collect::<Option<_>>()
        .ok_or_else(|| format!("{text}: not an Ethernet address"))?;
    <[u8; 6]>::try_from(octets).map_err(|_| format!("{text}: not 6 octets"))
}

/// Sends `msg` and waits for the reply with its transaction id.
fn exchange(
    socket: &Socket,
    inbox: &mut Inbox,
    to: SocketAddrV4,
    msg: &Message,
    wait: Duration,
) -> Result<Option<Message>, String> {
    let mut errors = 0;
    socket.send(&mut vec![(msg.encode(), to)], &mut errors);
    if errors > 0 {
        return Err(format!("sending to {to} failed"));
    }
    let deadline = Instant::now() + wait;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        socket.wait(left)?;
        socket.receive(inbox)?;
        for (payload, _) in inbox.payloads() {
            if let Ok(reply) = Message::parse(payload) {
                if reply.op == Op::BOOTREPLY && reply.xid == msg.xid {
                    return Ok(Some(reply));
                }
            }
        }
    }
    Ok(None)
}

/// One step of a profile: what was sent, and the reply.
struct Step {
    sent: MessageType,
    reply: Option<Message>,
    /// When the reply came (Unix seconds), for times counted from it.
    at: u64,
}

fn play(
    profile: &Profile,
    number: u8,
    mut send: impl FnMut(&Message, bool) -> Result<Option<Message>, String>,
) -> Result<Vec<Step>, String> {
    let client = &profile.client;
    let mut steps = Vec::new();
    let mut step = |kind: MessageType, msg: Message, expect: bool, steps: &mut Vec<Step>| {
        let reply = send(&msg, expect)?;
        steps.push(Step {
            sent: kind,
            reply: reply.clone(),
            at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        });
        Ok::<_, String>(reply)
    };
    let discover = client.message(MessageType::DISCOVER, profiles::xid(number, 0));
    let offer = step(MessageType::DISCOVER, discover, true, &mut steps)?;
    let Some(offer) = offer.filter(|o| o.message_type() == Some(MessageType::OFFER)) else {
        return Ok(steps);
    };
    let server = offer
        .options
        .server_identifier()
        .unwrap_or(Ipv4Addr::UNSPECIFIED);
    let address = offer.yiaddr;
    let mut request = client.message(MessageType::REQUEST, profiles::xid(number, 1));
    request
        .options
        .insert(OptionCode::REQUESTED_ADDRESS, &address.octets());
    request
        .options
        .insert(OptionCode::SERVER_IDENTIFIER, &server.octets());
    let ack = step(MessageType::REQUEST, request, true, &mut steps)?;
    if !ack.is_some_and(|a| a.message_type() == Some(MessageType::ACK)) {
        return Ok(steps);
    }
    let after = |kind| client.message(kind, profiles::xid(number, 2));
    match profile.script {
        Script::Lease => {}
        Script::InitReboot => {
            let mut reboot = after(MessageType::REQUEST);
            reboot
                .options
                .insert(OptionCode::REQUESTED_ADDRESS, &address.octets());
            step(MessageType::REQUEST, reboot, true, &mut steps)?;
        }
        Script::ReleaseThenDiscover | Script::DeclineThenDiscover => {
            let release = profile.script == Script::ReleaseThenDiscover;
            let (kind, mut msg) = if release {
                let mut msg = after(MessageType::RELEASE);
                msg.ciaddr = address;
                (MessageType::RELEASE, msg)
            } else {
                let mut msg = after(MessageType::DECLINE);
                msg.options
                    .insert(OptionCode::REQUESTED_ADDRESS, &address.octets());
                (MessageType::DECLINE, msg)
            };
            msg.flags = 0;
            msg.options
                .insert(OptionCode::SERVER_IDENTIFIER, &server.octets());
            step(kind, msg, false, &mut steps)?;
            let again = client.message(MessageType::DISCOVER, profiles::xid(number, 3));
            step(MessageType::DISCOVER, again, true, &mut steps)?;
        }
    }
    Ok(steps)
}

/// Runs every profile; one JSON object a step on `out`.
pub(crate) fn run(args: &Args, out: &mut dyn Write) -> bool {
    match probe(args, out) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("charrua probe: {e}");
            false
        }
    }
}

fn probe(args: &Args, out: &mut dyn Write) -> Result<(), String> {
    let (path, socket, to) = args.reach.open()?;
    let mut inbox = Inbox::new();
    let timeout = Duration::from_millis(args.timeout);
    for (number, profile) in (1u8..).zip(profiles::all(path, &args.known)) {
        let steps = play(&profile, number, |msg, expect| {
            // A RELEASE or DECLINE gets no reply; give the server a moment to act on it.
            let wait = if expect { timeout } else { timeout / 4 };
            exchange(&socket, &mut inbox, to, msg, wait)
        })?;
        for (n, step) in steps.iter().enumerate() {
            let reply = step
                .reply
                .as_ref()
                .map_or(Json::Null, |r| Json::Object(crate::json::message(r, None)));
            let line = json!({
                "profile": profile.name,
                "step": n,
                "sent": step.sent.name().unwrap_or("?"),
                "reply": reply,
                "at": step.at,
            });
            writeln!(out, "{line}").map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
