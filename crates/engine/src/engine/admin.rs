//! Changes made through the control API (Kea's `lease4-add`, `lease4-update`, `lease4-del`,
//! `lease4-wipe`, `leases-reclaim`): they take the same path as the changes DHCP traffic
//! makes, applied in memory at once and made durable by the next commit, and the caller hears
//! how that commit ended before it answers success.

use std::ops::Range;

use charrua_server::LeaseChange;

use super::{Engine, Now};

impl Engine {
    /// Applies `changes` made through the control API; [`Engine::poll_admin`] gives `token`
    /// back with the result once they are durable (at once if none needs writing).
    pub fn handle_admin(&mut self, changes: &[LeaseChange], token: u64) {
        let positions = self.pending.record(&mut self.db, changes);
        self.await_commit(token, positions);
    }

    /// Kea's `leases-reclaim`: ends now, rather than within the second, every offer, lease
    /// and probation that has run out; [`Engine::poll_admin`] gives `token` back once that
    /// is durable. How many records it ended.
    pub fn handle_reclaim(&mut self, now: Now, token: u64) -> usize {
        let positions = self.expire(now);
        let count = positions.len();
        self.await_commit(token, positions);
        count
    }

    fn await_commit(&mut self, token: u64, positions: Range<usize>) {
        if positions.is_empty() {
            self.admin_done.push_back((token, Ok(())));
        } else {
            self.pending.admin.push((token, positions));
        }
    }

    /// A control API change whose commit ended: its token, and whether it is durable (or why
    /// not: the store failed or refused it, and it was undone in memory).
    pub fn poll_admin(&mut self) -> Option<(u64, Result<(), String>)> {
        self.admin_done.pop_front()
    }
}
