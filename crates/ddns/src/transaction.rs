//! One DDNS transaction, ISC's chain of steps for one lease, as a sans-IO state machine.
//!
//! The caller asks for the message to send ([`Transaction::poll_transmit`], with a fresh
//! random id and the time), sends it, and feeds back what came: an answer
//! ([`Transaction::handle_response`]) or none ([`Transaction::handle_transport_error`]).
//! Retransmitting the same bytes to the same server before giving up is the caller's
//! (ISC: every 3 s, 4 sends). The transaction moves through the steps as ISC's callbacks do
//! (`server/ddns.c:ddns_fwd_srv_add1` ... `ddns_ptr_remove`, docs/ddns.md sections 5.3 and
//! 5.4) and reports ISC's log lines and the lease variables to set or unset as [`Event`]s.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};

use crate::event::{Answer, Event, Level, LogLine, TransportError};
use crate::name::DomainName;
use crate::rcode::Rcode;
use crate::registration::{Forward, Path, Registered, Registration};
use crate::tsig::Request;
use crate::update::{self, MixedMode, Rules, Update};
use crate::zone::{Zone, Zones};

/// A step: one UPDATE message and its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A, guard, if the name is not in use ([`update::add1`]).
    Add1,
    /// A, if the name is ours ([`update::add2`]).
    Add2,
    /// A and guard, if the name is the other protocol's (dual-stack mixed mode,
    /// [`update::add3`]).
    Add3,
    /// The PTR ([`update::ptr_add`]).
    AddPtr,
    /// This address, if the name is ours ([`update::rem1`]).
    Rem1,
    /// The guard, if no address is left ([`update::rem2`], [`update::rem2_mixed`]).
    Rem2,
    /// This address, unguarded, if the name is the other protocol's (mixed mode with
    /// `ddns-other-guard-is-dynamic`, [`update::rem_other`]).
    RemOther,
    /// The PTR ([`update::ptr_remove`]).
    RemPtr,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to (UDP).
    pub server: SocketAddr,
    /// The message id, which the answer carries.
    pub id: u16,
    /// The step it belongs to.
    pub step: Step,
    /// The bytes: resend these same bytes to retransmit.
    pub wire: Vec<u8>,
}

/// The address and names a transaction works on.
#[derive(Debug, Clone)]
struct Names {
    address: Ipv4Addr,
    /// The forward name and guard: to add on the server path, or stored, to remove.
    forward: Option<Forward>,
    /// The client's own name, on the client path: the PTR's target.
    client_fqdn: Option<DomainName>,
    reverse: Option<DomainName>,
}

/// One lease's DDNS work: an add at an ACK or a removal at release, decline or expiry.
#[derive(Debug, Clone)]
pub struct Transaction {
    names: Names,
    ttl: u32,
    rules: Rules,
    forward_zone: Option<Zone>,
    reverse_zone: Option<Zone>,
    step: Option<Step>,
    /// Index of the server the current step goes to next.
    server: usize,
    pending: Option<Request>,
    success: bool,
    events: VecDeque<Event>,
}

impl Transaction {
    /// Registers `registration` (docs/ddns.md section 5.3): on the server path add 1, add 2
    /// if the name is in use, then the PTR after a forward success; on the client path the PTR
    /// only. Zones are chosen now, each name in the longest zone that holds it.
    pub fn add(registration: Registration, zones: &Zones, rules: Rules) -> Self {
        let Registration {
            fqdn,
            address,
            ttl,
            reverse,
            path,
        } = registration;
        let (forward, client_fqdn, first) = match path {
            Path::Server { guard } => (Some(Forward { fqdn, guard }), None, Some(Step::Add1)),
            Path::Client => {
                let first = reverse.as_ref().map(|_| Step::AddPtr);
                (None, Some(fqdn), first)
            }
        };
        let names = Names {
            address,
            forward,
            client_fqdn,
            reverse,
        };
        Self::new(names, ttl, rules, zones, first)
    }

    /// Removes what `registered` says was added (docs/ddns.md section 5.4): removal 1 and 2
    /// of the forward name when it and its guard are known, then the PTR when its name is.
    pub fn remove(registered: Registered, zones: &Zones, rules: Rules) -> Self {
        let Registered {
            address,
            forward,
            reverse,
        } = registered;
        let first = match (&forward, &reverse) {
            (Some(_), _) => Some(Step::Rem1),
            (None, Some(_)) => Some(Step::RemPtr),
            (None, None) => None,
        };
        let names = Names {
            address,
            forward,
            client_fqdn: None,
            reverse,
        };
        Self::new(names, 0, rules, zones, first)
    }

    fn new(names: Names, ttl: u32, rules: Rules, zones: &Zones, first: Option<Step>) -> Self {
        let forward_zone = names
            .forward
            .as_ref()
            .and_then(|f| zones.find(&f.fqdn).cloned());
        let reverse_zone = names.reverse.as_ref().and_then(|r| zones.find(r).cloned());
        let mut transaction = Self {
            names,
            ttl,
            rules,
            forward_zone,
            reverse_zone,
            step: first,
            server: 0,
            pending: None,
            success: true,
            events: VecDeque::new(),
        };
        if first.is_none() {
            transaction.finish();
        }
        transaction
    }

    /// The step in progress, `None` once finished.
    pub fn step(&self) -> Option<Step> {
        self.step
    }

    /// Whether the transaction is over (its last event is [`Event::Finished`]).
    pub fn is_finished(&self) -> bool {
        self.step.is_none()
    }

    /// The next datagram to send, with message id `id` (random, RFC 5452 section 9.2) and
    /// TSIG time `now` (Unix seconds); `None` while an answer is awaited or once finished. A
    /// step that cannot be sent (no zone, no server, a request that cannot be built) fails at
    /// once, and the next step's datagram, if any, is returned.
    pub fn poll_transmit(&mut self, id: u16, now: u64) -> Option<Transmit> {
        while self.pending.is_none() {
            let step = self.step?;
            let Some(zone) = self.zone(step) else {
                if let Some(name) = self.name(step) {
                    self.events.push_back(Event::NoZone(name.clone()));
                }
                self.transition(step, None);
                continue;
            };
            let Some(&server) = zone.servers.get(self.server) else {
                self.answered(Answer::NoServer);
                continue;
            };
            let Some(update) = self.message(step, &zone.name) else {
                self.transition(step, None);
                continue;
            };
            let request = update.to_wire(id).and_then(|wire| match &zone.key {
                Some(key) => Request::signed(wire, key, now),
                None => Request::unsigned(wire),
            });
            match request {
                Ok(request) => {
                    let transmit = Transmit {
                        server,
                        id,
                        step,
                        wire: request.wire().to_vec(),
                    };
                    self.pending = Some(request);
                    return Some(transmit);
                }
                Err(error) => self.answered(Answer::Request(error)),
            }
        }
        None
    }

    /// Feeds a datagram received at `now` from the server of the last [`Transmit`]. Returns
    /// `false` for one that does not answer the pending request (another id, not a response,
    /// nothing pending): ignore it and keep waiting. Any other datagram ends the step, TSIG
    /// failures included (`bind:request.c:dns_request_getresponse`).
    pub fn handle_response(&mut self, datagram: &[u8], now: u64) -> bool {
        let Some(request) = &self.pending else {
            return false;
        };
        let answer = match request.check_response(datagram, now) {
            Err(error) if error.is_stray() => return false,
            Err(error) => Answer::Response(error),
            Ok(rcode) => Answer::Rcode(rcode),
        };
        self.pending = None;
        self.answered(answer);
        true
    }

    /// No answer to the pending request came (after the caller's retransmissions), or the
    /// socket failed. Does nothing when nothing is pending.
    pub fn handle_transport_error(&mut self, error: TransportError) {
        if self.pending.take().is_some() {
            self.answered(Answer::Transport(error));
        }
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// A step's answer from one server: anything but NOERROR sends the same step to the next
    /// server of the zone, if any, and the last server's answer counts
    /// (`bind:client.c:update_done`).
    fn answered(&mut self, answer: Answer) {
        let Some(step) = self.step else { return };
        let servers = self.zone(step).map_or(0, |zone| zone.servers.len());
        if answer.rcode() != Some(Rcode::NOERROR) && self.server + 1 < servers {
            self.server += 1;
            return;
        }
        self.server = 0;
        self.transition(step, Some(answer));
    }

    fn zone(&self, step: Step) -> Option<&Zone> {
        match step {
            Step::Add1 | Step::Add2 | Step::Add3 | Step::Rem1 | Step::Rem2 | Step::RemOther => {
                self.forward_zone.as_ref()
            }
            Step::AddPtr | Step::RemPtr => self.reverse_zone.as_ref(),
        }
    }

    /// The name a step updates.
    fn name(&self, step: Step) -> Option<&DomainName> {
        match step {
            Step::Add1 | Step::Add2 | Step::Add3 | Step::Rem1 | Step::Rem2 | Step::RemOther => {
                self.names.forward.as_ref().map(|f| &f.fqdn)
            }
            Step::AddPtr | Step::RemPtr => self.names.reverse.as_ref(),
        }
    }

    /// The forward name as ISC logs it: the server's, or the client's on the client path.
    fn fqdn(&self) -> String {
        match (&self.names.forward, &self.names.client_fqdn) {
            (Some(forward), _) => forward.fqdn.to_string(),
            (None, Some(fqdn)) => fqdn.to_string(),
            (None, None) => String::new(),
        }
    }

    fn reverse_text(&self) -> String {
        self.names
            .reverse
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// The message of `step`; `None` when the names it needs are missing, which the
    /// constructors rule out by starting no such step.
    fn message(&self, step: Step, zone: &DomainName) -> Option<Update> {
        let (address, ttl, rules) = (self.names.address, self.ttl, self.rules);
        let conflict = rules.conflict;
        let forward = self.names.forward.as_ref();
        let target = forward.map(|f| &f.fqdn).or(self.names.client_fqdn.as_ref());
        let reverse = self.names.reverse.as_ref();
        match step {
            Step::Add1 => forward.map(|f| update::add1(zone, &f.fqdn, address, &f.guard, ttl)),
            Step::Add2 => {
                forward.map(|f| update::add2(zone, &f.fqdn, address, &f.guard, ttl, conflict))
            }
            Step::Add3 => {
                forward.map(|f| update::add3(zone, &f.fqdn, address, &f.guard, ttl, rules))
            }
            Step::Rem1 => forward.map(|f| update::rem1(zone, &f.fqdn, address, &f.guard, conflict)),
            // common/dns.c:ddns_modify_fwd, state REM_FW_NXRR
            Step::Rem2 => forward.map(|f| match rules.mixed {
                MixedMode::Off => update::rem2(zone, &f.fqdn, &f.guard, conflict),
                MixedMode::On | MixedMode::OtherGuardIsDynamic => {
                    update::rem2_mixed(zone, &f.fqdn, &f.guard, conflict)
                }
            }),
            Step::RemOther => forward.map(|f| update::rem_other(zone, &f.fqdn, address, &f.guard)),
            Step::AddPtr => reverse
                .zip(target)
                .map(|(reverse, target)| update::ptr_add(zone, reverse, target, ttl)),
            Step::RemPtr => reverse.map(|reverse| update::ptr_remove(zone, reverse)),
        }
    }

    /// Moves on from `step` after `answer` (`None`: skipped for want of a zone, which ISC
    /// does without a log line) as ISC's callback for the step does (docs/ddns.md sections
    /// 5.3 and 5.4).
    fn transition(&mut self, step: Step, answer: Option<Answer>) {
        let (fqdn, address, reverse) = (self.fqdn(), self.names.address, self.reverse_text());
        let rcode = answer.and_then(|a| a.rcode());
        match step {
            // server/ddns.c:ddns_fwd_srv_add1
            Step::Add1 => match rcode {
                Some(Rcode::NOERROR) => self.forward_added(),
                Some(Rcode::YXDOMAIN) => self.step = Some(Step::Add2),
                _ => {
                    let what = format!("Unable to add forward map from {fqdn} to {address}");
                    self.fail(answer, what);
                }
            },
            // server/ddns.c:ddns_fwd_srv_add2
            Step::Add2 => {
                let failed = format!("Forward map from {fqdn} to {address} FAILED");
                match rcode {
                    Some(Rcode::NOERROR) => self.forward_added(),
                    Some(Rcode::YXRRSET | Rcode::YXDOMAIN) => self.fail_with(format!(
                        "{failed}: DHCID mismatch, belongs to another client."
                    )),
                    Some(Rcode::NXRRSET | Rcode::NXDOMAIN)
                        if self.rules.mixed != MixedMode::Off =>
                    {
                        self.step = Some(Step::Add3);
                    }
                    Some(Rcode::NXRRSET | Rcode::NXDOMAIN) => self.fail_with(format!(
                        "{failed}: Has an address record but no DHCID, not mine."
                    )),
                    _ => self.fail(answer, failed),
                }
            }
            // server/ddns.c:ddns_fwd_srv_add3
            Step::Add3 => {
                let failed = format!("Forward map from {fqdn} to {address} FAILED");
                match rcode {
                    Some(Rcode::NOERROR) => self.forward_added(),
                    Some(Rcode::YXRRSET) => self.fail_with(format!(
                        "{failed}: an entry that is either static or owned by another client exists."
                    )),
                    Some(Rcode::NXRRSET) => self.fail_with(format!(
                        "{failed}: static entry of the other protocol type exists."
                    )),
                    _ => self.fail(answer, failed),
                }
            }
            // server/ddns.c:ddns_ptr_add
            Step::AddPtr => match rcode {
                Some(Rcode::NOERROR) => {
                    self.log(
                        Level::Info,
                        format!("Added reverse map from {reverse} to {fqdn}"),
                    );
                    if let Some(reverse) = self.names.reverse.clone() {
                        let client_fqdn = self.names.client_fqdn.clone();
                        self.events.push_back(Event::ReverseAdded {
                            reverse,
                            client_fqdn,
                        });
                    }
                    self.finish();
                }
                _ => {
                    let what = format!("Unable to add reverse map from {reverse} to {fqdn}");
                    self.fail(answer, what);
                }
            },
            // server/ddns.c:ddns_fwd_srv_rem1: NXRRSET or NXDOMAIN is nothing to remove (the
            // records are gone, or unguarded and so not ours) unless, under mixed mode with
            // other-guard-is-dynamic, the other protocol's guard makes the A record ours to
            // remove; other failures keep the lease variables, without a log line.
            Step::Rem1 => match rcode {
                Some(Rcode::NOERROR) => {
                    self.log(
                        Level::Info,
                        format!("Removed forward map from {fqdn} to {address}"),
                    );
                    self.step = Some(Step::Rem2);
                }
                Some(Rcode::NXRRSET | Rcode::NXDOMAIN)
                    if self.rules.mixed == MixedMode::OtherGuardIsDynamic =>
                {
                    self.step = Some(Step::RemOther);
                }
                Some(Rcode::NXRRSET | Rcode::NXDOMAIN) => self.forward_removed(),
                _ => {
                    self.success = false;
                    self.start_reverse_removal();
                }
            },
            // server/ddns.c:ddns_fwd_srv_rem2, which also ends the mixed-mode removal: YXRRSET
            // means addresses remain, the guard stays in DNS and the lease forgets it.
            Step::Rem2 | Step::RemOther => match rcode {
                Some(Rcode::NOERROR | Rcode::YXRRSET) => self.forward_removed(),
                _ => {
                    self.success = false;
                    self.start_reverse_removal();
                }
            },
            // server/ddns.c:ddns_ptr_remove
            Step::RemPtr => match rcode {
                Some(Rcode::NOERROR) => {
                    self.log(Level::Info, format!("Removed reverse map on {reverse}"));
                    self.events.push_back(Event::ReverseRemoved);
                    self.finish();
                }
                Some(Rcode::NXRRSET | Rcode::NXDOMAIN) => {
                    self.events.push_back(Event::ReverseRemoved);
                    self.finish();
                }
                _ => {
                    let what = format!("Can't remove reverse map on {reverse}");
                    self.fail(answer, what);
                }
            },
        }
    }

    fn forward_added(&mut self) {
        let fqdn = self.fqdn();
        let address = self.names.address;
        self.log(
            Level::Info,
            format!("Added new forward map from {fqdn} to {address}"),
        );
        if let Some(forward) = self.names.forward.clone() {
            self.events.push_back(Event::ForwardAdded(forward));
        }
        match self.names.reverse {
            Some(_) => self.step = Some(Step::AddPtr),
            None => self.finish(),
        }
    }

    fn forward_removed(&mut self) {
        self.events.push_back(Event::ForwardRemoved);
        self.start_reverse_removal();
    }

    fn start_reverse_removal(&mut self) {
        match self.names.reverse {
            Some(_) => self.step = Some(Step::RemPtr),
            None => self.finish(),
        }
    }

    /// Ends the transaction in failure, with ISC's line `WHAT: RESULT` unless the step was
    /// skipped for want of a zone.
    fn fail(&mut self, answer: Option<Answer>, what: String) {
        match answer {
            Some(answer) => self.fail_with(format!("{what}: {answer}")),
            None => {
                self.success = false;
                self.finish();
            }
        }
    }

    fn fail_with(&mut self, text: String) {
        self.log(Level::Error, text);
        self.success = false;
        self.finish();
    }

    fn log(&mut self, level: Level, text: String) {
        self.events.push_back(Event::Log(LogLine { level, text }));
    }

    fn finish(&mut self) {
        self.step = None;
        self.events.push_back(Event::Finished {
            success: self.success,
        });
    }
}
