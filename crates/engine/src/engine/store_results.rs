//! What the lease store says back: how a commit ended (durable, partly refused, or failed, an
//! outage logged when it starts and when it ends), and what other servers sharing the store
//! changed.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use charrua_server::{Lease, LeaseChange};
use charrua_store::{Committed, StoreError};

use super::Engine;
use crate::log::LogLevel;
use crate::pipeline::{self, InFlight};

impl Engine {
    /// The commit started by the last [`Engine::poll_commit`] ended with `result`. Durable:
    /// its replies have left (but those whose changes the store refused, which are undone
    /// here). Failed: it and every change made since are undone in memory, and none of their
    /// replies leaves.
    pub fn handle_committed(&mut self, result: Result<Committed, StoreError>) {
        let Some(in_flight) = self.in_flight.take() else {
            return;
        };
        match result {
            Ok(committed) => self.committed(in_flight, &committed),
            Err(e) => {
                let pending = std::mem::take(&mut self.pending);
                for (token, _) in in_flight.admin.iter().chain(&pending.admin) {
                    self.admin_done
                        .push_back((*token, Err(format!("lease store: {e}"))));
                }
                let unsent = in_flight.sent.len() + pending.replies.len();
                self.counters.unsent(unsent);
                self.store_failed(&e.to_string(), unsent);
                #[cfg(feature = "defects")]
                if self.options.defects.keep_memory_after_failed_commit {
                    return;
                }
                pending.undo(&mut self.db);
                in_flight.undo(&mut self.db);
            }
        }
    }

    /// Logs a failed commit: the first of an outage, and each whose error differs from the
    /// last one logged; the others are counted for the line that ends the outage.
    fn store_failed(&mut self, message: &str, unsent: usize) {
        let repeated = self.outage.as_mut().filter(|o| o.message == message);
        if let Some(outage) = repeated {
            outage.commits += 1;
            outage.unsent += unsent;
            return;
        }
        self.lines.push(LogLevel::Error, |w| {
            use std::fmt::Write;
            write!(
                w,
                "lease store: {message}; {unsent} repl(ies) not sent, their leases undone in memory"
            )
        });
        let (commits, total) = self
            .outage
            .as_ref()
            .map_or((0, 0), |o| (o.commits, o.unsent));
        self.outage = Some(Outage {
            message: message.to_string(),
            commits: commits + 1,
            unsent: total + unsent,
        });
    }

    fn committed(&mut self, in_flight: InFlight, committed: &Committed) {
        if let Some(outage) = self.outage.take() {
            self.lines.push(LogLevel::Warn, |w| {
                use std::fmt::Write;
                write!(
                    w,
                    "lease store: committing again after {} failed commit(s); {} repl(ies) were not sent",
                    outage.commits, outage.unsent
                )
            });
        }
        for (_, e) in &committed.unwritable {
            self.lines.push(LogLevel::Error, |w| {
                use std::fmt::Write;
                write!(w, "lease store: {e}; that lease's reply not sent")
            });
        }
        let mut refused: Vec<usize> = pipeline::refused(committed).collect();
        refused.sort_unstable();
        // A refused change is undone where nothing made since touched its address.
        for &position in refused.iter().rev() {
            let Some((address, before)) = in_flight.undo.get(position) else {
                continue;
            };
            let touched_since = in_flight
                .undo
                .get(position + 1..)
                .unwrap_or_default()
                .iter()
                .chain(&self.pending.undo)
                .any(|(a, _)| a == address);
            if !touched_since {
                pipeline::restore(&mut self.db, *address, before.clone());
            }
        }
        for (token, changes) in &in_flight.admin {
            let result = if refused.iter().any(|p| changes.contains(p)) {
                Err("the lease store refused the change: another server holds the address".into())
            } else {
                Ok(())
            };
            self.admin_done.push_back((*token, result));
        }
        let mut sent = 0;
        for reply in in_flight.sent {
            if refused.iter().any(|p| reply.changes.contains(p)) {
                self.counters.unsent(1);
                continue;
            }
            sent += 1;
            self.stats.sent(reply.kind);
            if let Some(pool) = reply.assigned {
                self.stats.assigned(&self.config, pool);
            }
            self.effects.extend(reply.effects);
            if let Some(line) = reply.line {
                self.lines.push(LogLevel::Info, |w| {
                    w.push_str(&line);
                    Ok(())
                });
            }
        }
        self.last_batch = sent;
    }

    /// Applies changes other servers made to a store shared with them. An address with a
    /// change of this engine's not yet committed keeps it in memory: the other server's change
    /// reached the store first, so it becomes what this engine's change is undone to if the
    /// store refuses it, and what the store holds under it if not.
    pub fn handle_changes_by_others(&mut self, changes: &[LeaseChange]) {
        if changes.is_empty() {
            return;
        }
        let mut first: HashMap<Ipv4Addr, &mut Option<Lease>> = HashMap::new();
        let in_flight = self.in_flight.as_mut().map(|f| f.undo.iter_mut());
        for (address, before) in in_flight
            .into_iter()
            .flatten()
            .chain(self.pending.undo.iter_mut())
        {
            first.entry(*address).or_insert(before);
        }
        for change in changes {
            match first.get_mut(&change.address()) {
                Some(before) => {
                    **before = match change {
                        LeaseChange::Set(lease) => Some(lease.clone()),
                        LeaseChange::Remove(_) => None,
                    }
                }
                None => self.db.apply(change),
            }
        }
    }
}

/// A lease store failing commit after commit (see [`Engine::handle_committed`]).
#[derive(Debug)]
pub(super) struct Outage {
    pub(super) message: String,
    pub(super) commits: usize,
    pub(super) unsent: usize,
}
