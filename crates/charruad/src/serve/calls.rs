//! The serving loop's side of the control API: the calls that came since the last round, each
//! carried out against the engine ([`crate::control::Dispatch`]), and the answers of the
//! changes whose commit has ended.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::control::{Answer, Ask, Call, Dispatch, Handled, Pending, Response};
use crate::metrics::Scrape;

use super::Driver;

/// Calls carried out per loop round at most, so that a flood of them cannot hold up DHCP.
const CALLS_PER_ROUND: usize = 8;

impl Driver {
    /// Answers the control API: changes whose commit ended, then the calls waiting.
    pub(super) fn calls(&mut self, config: &Path, leases: &Path, stop: &AtomicBool) {
        while let Some((token, result)) = self.engine.poll_admin() {
            let Some(i) = self.pending.iter().position(|p| p.token == token) else {
                continue;
            };
            let pending = self.pending.swap_remove(i);
            let response = match result {
                Ok(()) => pending.success,
                Err(e) => Response::error(e),
            };
            let _ = pending.reply.send(Answer::Response(response));
        }
        let Some(control) = &mut self.control else {
            return;
        };
        let calls: Vec<Call> = std::iter::from_fn(|| control.try_call())
            .take(CALLS_PER_ROUND)
            .collect();
        for call in calls {
            let request = match call.ask {
                Ask::Scrape => {
                    let scrape = Scrape {
                        stats: self.engine.statistics(),
                        drops: self
                            .engine
                            .counters()
                            .drops()
                            .map(|(r, n)| (r.to_string(), n))
                            .collect(),
                        store: self.store_state,
                        leases: self.engine.db().len(),
                    };
                    let _ = call.reply.send(Answer::Scrape(Box::new(scrape)));
                    continue;
                }
                Ask::Hosts {
                    declarations,
                    addresses,
                } => {
                    let served = self.engine.config();
                    let outside = addresses.iter().find(|(ip, id)| {
                        served
                            .subnet_of(*ip)
                            .is_none_or(|s| id.is_some_and(|id| u64::from(s.0) + 1 != id))
                    });
                    if let Some((ip, id)) = outside {
                        let subnet =
                            id.map_or_else(|| "any subnet".into(), |id| format!("subnet {id}"));
                        let response = Response::error(format!("{ip} is not in {subnet}"));
                        let _ = call.reply.send(Answer::Response(response));
                        continue;
                    }
                    let before = std::mem::replace(&mut self.hosts.runtime, declarations);
                    let response = if self.reload(config, leases) {
                        Response::success("Reservations served.")
                    } else {
                        self.hosts.runtime = before;
                        Response::error(format!(
                            "the reservations do not fit {} (the log says why); nothing changed",
                            config.display()
                        ))
                    };
                    let _ = call.reply.send(Answer::Response(response));
                    continue;
                }
                Ask::Command(request) => request,
            };
            let now = self.now();
            let mut dispatch = Dispatch {
                engine: &mut self.engine,
                now,
                started: self.started,
                reloaded: self.reloaded,
                config_path: config,
                store: &self.store_shown,
                store_state: self.store_state,
                token: self.next_token,
            };
            match dispatch.run(&request) {
                Handled::Now(response) => {
                    let _ = call.reply.send(Answer::Response(response));
                }
                Handled::AfterCommit { token, success } => {
                    self.next_token += 1;
                    self.pending.push(Pending {
                        token,
                        success,
                        reply: call.reply,
                    });
                }
                Handled::Reload => {
                    let response = if self.reload(config, leases) {
                        Response::success("Configuration successfully reloaded.")
                    } else {
                        Response::error(format!(
                            "{} has errors (charruad -t shows them); still serving the previous configuration",
                            config.display()
                        ))
                    };
                    let _ = call.reply.send(Answer::Response(response));
                }
                Handled::Shutdown(response) => {
                    stop.store(true, Ordering::Relaxed);
                    let _ = call.reply.send(Answer::Response(response));
                }
            }
        }
    }
}
