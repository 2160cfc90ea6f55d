//! Choosing the address to offer (item 37): the client's current binding, its previous
//! address, the address it asked for, a stable hash of its identity, then any free one.

use std::net::Ipv4Addr;

use super::context::Context;
use crate::config::Slice;
use crate::lease::ClientKey;

/// FNV-1a: a fixed hash, so the hint is the same on every server and after every restart.
fn stable_hash(client: &ClientKey) -> u64 {
    let (tag, bytes): (u8, &[u8]) = match client {
        ClientKey::ClientId(id) => (0, id),
        ClientKey::Hardware { htype, addr } => (*htype, addr),
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in std::iter::once(&tag).chain(bytes) {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// An address for the client on its link, or `None` when the pools are full (item 41).
pub(crate) fn choose(ctx: &Context<'_>, bootp: bool) -> Option<Ipv4Addr> {
    if let Some(fixed) = ctx.fixed_address() {
        return Some(fixed);
    }
    let usable = |addr: Ipv4Addr| ctx.available(addr, bootp);
    let mine: Vec<_> = ctx.db.by_client(&ctx.client).collect();
    // (1) Its current offer or binding (an address it declined is not one).
    let current = mine
        .iter()
        .find(|l| l.is_binding_of(&ctx.client, ctx.now) && usable(l.address));
    #[cfg(feature = "defects")]
    let current = current.or_else(|| {
        mine.iter().find(|l| {
            ctx.config.defects.decline_reoffer
                && l.state == crate::LeaseState::Declined
                && l.ends > ctx.now
        })
    });
    // (2) Its previous address (released or expired), if nobody took it since.
    let previous = || {
        mine.iter()
            .filter(|l| !l.state.occupies_address())
            .max_by_key(|l| l.ends)
    };
    let previous = previous().filter(|l| usable(l.address));
    if let Some(lease) = current.or(previous) {
        return Some(lease.address);
    }
    // (3) The address it asked for.
    if let Some(requested) = ctx.msg.options.requested_address().filter(|a| usable(*a)) {
        return Some(requested);
    }
    // (4), (5) A free address, starting at the client's hash position in each pool (in this
    // server's part of it first, when it shares its leases with other servers).
    let hash = stable_hash(&ctx.client);
    ctx.pools(bootp).into_iter().find_map(|pool| {
        let span = ctx.db.pool_span(pool);
        let size: u64 = span.iter().map(|(s, e)| u64::from(e - s) + 1).sum();
        let own = ctx.config.slice.filter(|s| s.count > 1).and_then(|slice| {
            let (first, len) = part(size, slice)?;
            let hint = address_at(&span, first + hash % len)?;
            let within = (
                address_at(&span, first)?,
                address_at(&span, first + len - 1)?,
            );
            ctx.db.free_address_within(pool, hint, within)
        });
        let hint = address_at(&span, hash.checked_rem(size).unwrap_or(0));
        own.or_else(|| ctx.db.free_address(pool, hint))
            .filter(|a| usable(*a))
    })
}

/// The address at `offset` into a pool's ranges (`span`, as [`LeaseDb::pool_span`] gives them).
///
/// [`LeaseDb::pool_span`]: crate::LeaseDb::pool_span
fn address_at(span: &[(u32, u32)], mut offset: u64) -> Option<u32> {
    span.iter().find_map(|(s, e)| {
        let len = u64::from(e - s) + 1;
        if offset < len {
            Some(s + offset as u32)
        } else {
            offset -= len;
            None
        }
    })
}

/// The first offset and the length of `slice`'s part of a pool of `size` addresses; `None`
/// when the part is empty (more servers than addresses).
fn part(size: u64, slice: Slice) -> Option<(u64, u64)> {
    let count = u64::from(slice.count);
    let first = size * u64::from(slice.index) / count;
    let end = size * (u64::from(slice.index) + 1) / count;
    (end > first).then_some((first, end - first))
}
