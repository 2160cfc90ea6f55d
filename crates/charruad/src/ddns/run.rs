//! One [`DnsWork`] carried out: the removal first, then, if it succeeded, the add (server/ddns.c
//! `ddns_updates` chains the add behind the removal and cancels it when a removal step fails;
//! docs/ddns.md sections 3.2 step 6 and 5.4), each a [`Transaction`] driven over UDP, its log
//! lines logged and its records reported as [`DnsNote`]s.

use std::borrow::Cow;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use charrua_ddns::{DomainName, Event, Level, Path, Step, Transaction, Zones};
use charrua_server::dns::{DnsNote, DnsWork};
use charrua_server::ClientKey;
use tracing::{error, info};

use super::lookup::ZoneLookup;
use super::once::Reported;
use super::transport::{self, Sockets};
use super::worker::Reporter;
use super::zones::Settings;
use super::{plan, Done, Tuning};
use crate::metrics::{DdnsMetrics, DdnsOperation, DdnsResult};

/// What a run works with.
#[derive(Debug, Clone)]
pub(super) struct Context {
    /// The configuration when the run started.
    pub(super) settings: Arc<Settings>,
    /// How messages are resent (docs/ddns.md section 7).
    pub(super) tuning: Tuning,
    /// Where each transaction's result is counted.
    pub(super) metrics: DdnsMetrics,
    /// Names already logged as in no zone.
    pub(super) reported: Arc<Mutex<Reported>>,
    /// Where the records added and removed are handed over.
    pub(super) reporter: Reporter,
    /// The sockets kept between exchanges.
    pub(super) sockets: Sockets,
    /// The zones found in DNS for names no `zone` statement covers.
    pub(super) lookup: ZoneLookup,
}

/// How a run ended (the records it added and removed were handed over as it went).
#[derive(Debug)]
pub(super) struct Ran {
    /// What is left to do, when a step failed for want of an answer; `None` when the work is
    /// over, done or failed for good.
    pub(super) retry: Option<DnsWork>,
}

/// Carries out `work`.
pub(super) async fn run(work: &DnsWork, cx: &Context) -> Ran {
    let mut notes = Vec::new();
    if let Some(recorded) = work.remove.as_ref().filter(|r| r.is_removable()) {
        let registered = plan::registered(work.address, recorded);
        if registered.forward.is_some() || registered.reverse.is_some() {
            let names = Names {
                address: work.address,
                client: &work.client,
                forward: registered.forward.as_ref().map(|f| f.fqdn.clone()),
                reverse: registered.reverse.clone(),
            };
            let wanted = [
                registered.forward.as_ref().map(|f| &f.fqdn),
                registered.reverse.as_ref(),
            ];
            let zones = zones(cx, &wanted).await;
            let mut tx = Transaction::remove(registered, &zones, cx.settings.rules);
            let ended = drive(&mut tx, &names, cx, DdnsOperation::Remove).await;
            notes.extend(ended.notes);
            if !ended.success {
                // The chained add is cancelled (server/ddns.c `ddns_fwd_srv_rem1`); a retry
                // removes what is left, then adds.
                let retry = ended.unanswered.then(|| DnsWork {
                    remove: Some(plan::remaining(recorded, &notes)),
                    ..work.clone()
                });
                return Ran { retry };
            }
        }
    }
    let Some(add) = &work.add else {
        return Ran { retry: None };
    };
    let registration = match plan::registration(work.address, add) {
        Ok(registration) => registration,
        Err(refusal) => {
            // ISC stops without an update, silently for a guard it cannot compute
            // (server/ddns.c `ddns_updates`).
            info!("DDNS: {}: not registered: {refusal}", work.address);
            return Ran { retry: None };
        }
    };
    let names = Names {
        address: work.address,
        client: &work.client,
        forward: Some(registration.fqdn.clone()),
        reverse: registration.reverse.clone(),
    };
    let forward = matches!(registration.path, Path::Server { .. }).then_some(&registration.fqdn);
    let zones = zones(cx, &[forward, registration.reverse.as_ref()]).await;
    let mut tx = Transaction::add(registration, &zones, cx.settings.rules);
    let ended = drive(&mut tx, &names, cx, DdnsOperation::Add).await;
    notes.extend(ended.notes);
    let retry = (!ended.success && ended.unanswered).then(|| DnsWork {
        remove: None,
        ..work.clone()
    });
    Ran { retry }
}

/// The zones for `names`: the configured ones, with those found in DNS for the names they
/// miss.
async fn zones<'a>(cx: &'a Context, names: &[Option<&DomainName>]) -> Cow<'a, Zones> {
    match cx.lookup.complete(&cx.settings.zones, names).await {
        Some(found) => Cow::Owned(found),
        None => Cow::Borrowed(&cx.settings.zones),
    }
}

/// The names a transaction updates, to report what it removed and to find the zone of a step.
#[derive(Debug)]
struct Names<'a> {
    address: Ipv4Addr,
    /// The client the work is for: what is reported is written into its lease.
    client: &'a ClientKey,
    forward: Option<DomainName>,
    reverse: Option<DomainName>,
}

impl Names<'_> {
    /// The name `step` updates.
    fn of(&self, step: Step) -> Option<&DomainName> {
        match step {
            Step::Add1 | Step::Add2 | Step::Add3 | Step::Rem1 | Step::Rem2 | Step::RemOther => {
                self.forward.as_ref()
            }
            Step::AddPtr | Step::RemPtr => self.reverse.as_ref(),
        }
    }
}

/// How a transaction ended.
#[derive(Debug, Default)]
struct Ended {
    /// Every step succeeded ([`Event::Finished`]).
    success: bool,
    /// A step ended because no server answered it.
    unanswered: bool,
    notes: Vec<DnsNote>,
    /// Those of `notes` not handed over yet.
    unreported: Vec<DnsNote>,
}

impl Ended {
    /// Hands the records noted since the last time over to the serving loop, in one [`Done`]
    /// (one lease write).
    fn report(&mut self, names: &Names<'_>, cx: &Context) {
        if !self.unreported.is_empty() {
            cx.reporter.hand_over(Done {
                address: names.address,
                client: names.client.clone(),
                notes: std::mem::take(&mut self.unreported),
            });
        }
    }
}

/// Runs `tx` to its end: each datagram sent and resent per the tuning, its answer or its
/// silence fed back, the events handled as they come. The records made are handed over at
/// the end, or as soon as a server is slow to answer a later step: normally in one lease
/// write for the whole transaction, and never left unrecorded while an answer is awaited
/// (dhcpd rewrites the lease only when the chain ends, server/ddns.c `ddns_fwd_srv_add1`).
async fn drive(tx: &mut Transaction, names: &Names<'_>, cx: &Context, op: DdnsOperation) -> Ended {
    let mut ended = Ended::default();
    let mut last_step = None;
    while let Some(transmit) = tx.poll_transmit(fastrand::u16(..), unix_now()) {
        events(tx, names, cx, &mut ended);
        if last_step != Some(transmit.step) {
            last_step = Some(transmit.step);
            // Each step of a zone whose key cannot sign (common/dns.c `ddns_modify_fwd`).
            if let Some(key) = names
                .of(transmit.step)
                .and_then(|n| cx.settings.missing_key(n))
            {
                error!("No tsec for use with key {key}");
            }
        }
        let step = tx.step();
        let local = cx.settings.local_for(transmit.server);
        let retransmit = cx.tuning.retransmit;
        let answered = transport::exchange(
            &cx.sockets,
            local,
            &transmit,
            retransmit,
            |datagram| tx.handle_response(datagram, unix_now()),
            || ended.report(names, cx),
        )
        .await;
        if let Err(error) = answered {
            tx.handle_transport_error(error);
            // Still the same step: it goes to the zone's next server; another (or none):
            // this was the last server's result, and the step ended unanswered.
            if tx.step() != step {
                ended.unanswered = true;
            }
        }
    }
    events(tx, names, cx, &mut ended);
    ended.report(names, cx);
    let result = if ended.success {
        DdnsResult::Success
    } else if ended.unanswered {
        DdnsResult::TimedOut
    } else {
        DdnsResult::Failed
    };
    cx.metrics.update(op, result);
    ended
}

/// Handles the events `tx` has for us: ISC's log lines logged at their level, the records
/// added and removed noted, names in no zone logged once.
fn events(tx: &mut Transaction, names: &Names<'_>, cx: &Context, ended: &mut Ended) {
    let text = |name: &Option<DomainName>| name.as_ref().map(|n| n.as_str().to_owned());
    while let Some(event) = tx.poll_event() {
        let note = match event {
            Event::Log(line) => {
                match line.level {
                    Level::Info => info!("{}", line.text),
                    Level::Error => error!("{}", line.text),
                }
                None
            }
            Event::ForwardAdded(forward) => Some(DnsNote::ForwardAdded {
                fqdn: forward.fqdn.as_str().to_owned(),
                guard_variable: forward.guard.lease_variable(),
                guard: forward.guard.value().to_vec(),
            }),
            Event::ReverseAdded {
                reverse,
                client_fqdn,
            } => Some(DnsNote::ReverseAdded {
                reverse: reverse.as_str().to_owned(),
                client_fqdn: client_fqdn.map(|n| n.as_str().to_owned()),
            }),
            Event::ForwardRemoved => {
                text(&names.forward).map(|fqdn| DnsNote::ForwardRemoved { fqdn })
            }
            Event::ReverseRemoved => {
                text(&names.reverse).map(|reverse| DnsNote::ReverseRemoved { reverse })
            }
            Event::NoZone(name) => {
                let first = cx
                    .reported
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .first(name.as_str());
                if first {
                    info!(
                        "DDNS: no zone for {name} (no zone statement, none found in DNS): not updated ({})",
                        names.address
                    );
                }
                None
            }
            Event::Finished { success } => {
                ended.success = success;
                None
            }
        };
        if let Some(note) = note {
            ended.unreported.push(note.clone());
            ended.notes.push(note);
        }
    }
}

/// The TSIG time: now, in Unix seconds (docs/ddns.md section 8).
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
