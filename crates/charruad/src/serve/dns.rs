//! The serving loop's side of DDNS: the DNS work the engine asks for goes to the updater
//! thread ([`crate::ddns::Updater`]), never waited for; what it did comes back to the engine,
//! which writes it into the leases (docs/ddns.md section 11).

use charrua_server::config::{Ddns, Effect};
use tracing::{error, info};

use super::Driver;
use crate::ddns::Updater;
use crate::metrics::DdnsMetrics;

/// The updater for `ddns`, when its style sends updates; an updater that cannot start is an
/// error line, and DHCP is served without DNS updates rather than not at all.
pub(super) fn start(ddns: &Ddns, metrics: DdnsMetrics) -> Option<Updater> {
    match Updater::start(ddns, metrics) {
        Ok(Some(updater)) => {
            info!(
                "DDNS: ddns-update-style {}: {} zone(s), {} key(s)",
                ddns.style.name(),
                ddns.zones.len(),
                ddns.keys.len()
            );
            Some(updater)
        }
        Ok(None) => None,
        Err(e) => {
            error!("DDNS: {e}; leases are not registered in DNS");
            None
        }
    }
}

impl Driver {
    /// Carries out what the engine asks once replies left: DNS work to the updater, what the
    /// configuration's `on` statements ask to the hooks.
    pub(super) fn effects(&mut self) {
        let mut works = Vec::new();
        while let Some(effect) = self.engine.poll_effect() {
            match effect {
                Effect::Dns(work) => works.push(*work),
                other => self.hooks.carry_out(other),
            }
        }
        if let (Some(updater), false) = (&self.dns, works.is_empty()) {
            updater.submit_all(works);
        }
    }

    /// Hands the engine what the updater added and removed since the last call: the notes
    /// about one lease that came together in one call, so that the lease is written once.
    pub(super) fn dns_done(&mut self) {
        let Some(updater) = &self.dns else {
            return;
        };
        let mut dones: Vec<crate::ddns::Done> = Vec::new();
        while let Some(done) = updater.try_done() {
            // With the last notes about the same address, if they are about the same client
            // (order between clients of one address is kept).
            let last = dones.iter_mut().rev().find(|d| d.address == done.address);
            match last {
                Some(earlier) if earlier.client == done.client => earlier.notes.extend(done.notes),
                _ => dones.push(done),
            }
        }
        let now = self.now();
        for done in dones {
            self.engine
                .handle_dns(done.address, &done.client, &done.notes, now);
        }
    }

    /// A new configuration's DDNS settings: the updater takes them, or starts or stops with
    /// the style.
    pub(super) fn dns_reload(&mut self, ddns: &Ddns) {
        match &mut self.dns {
            Some(_) if ddns.style == charrua_server::config::DdnsStyle::None => {
                info!("DDNS: ddns-update-style none: leases are no longer registered in DNS");
                self.dns = None;
            }
            Some(updater) => updater.reload(ddns),
            None => self.dns = start(ddns, self.dns_metrics.clone()),
        }
    }
}
