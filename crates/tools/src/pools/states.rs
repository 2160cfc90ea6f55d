//! What dhcpd-pools makes of a lease file: one state per address, from the last block that
//! names a state it counts (src/getdata.c `parse_leases`).
//!
//! dhcpd-pools reads `binding state` lines only, never the dates, so a lease written `active`
//! stays in use after its `ends` has passed, as it does in the file until dhcpd rewrites it:
//! - `active` is in use;
//! - `free`, `expired`, `released` and `abandoned` are touched (the address was leased once);
//! - `backup` is a failover peer's to give;
//! - any other state (`reset`, `bootp`, `reserved`) leaves the address as an earlier block
//!   said, or absent.
//!
//! A later block for the same address replaces the earlier one (the last one wins), and a
//! block's `hardware ethernet` is kept for the `J` and `X` formats. A charrua journal or
//! database is read the same way: its bound leases are in use, its ended ones touched.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use charrua_conf::leases::LeaseFile;
use charrua_server::{ClientKey, Lease, LeaseChange, LeaseState};
use charrua_store::LeaseFormat;

use super::error::PoolsError;

/// dhcpd-pools' three lease types (`enum ltype`, src/dhcpd-pools.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Binding {
    /// `active`: counted as used ("cur").
    Active,
    /// Ended (`free`, `expired`, `released`, `abandoned`): counted as touched.
    Free,
    /// `backup`: the failover peer's ("bu").
    Backup,
}

/// One address's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    /// Its state.
    pub(super) binding: Binding,
    /// Its Ethernet address, from the block that set the state (or a later block of a state
    /// dhcpd-pools does not count).
    pub(super) mac: Option<[u8; 6]>,
}

/// Every address's state, and whether any block said `backup` (dhcpd-pools then prints the
/// backup columns, even if a later block replaced that state).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct States {
    /// By address.
    pub(super) entries: BTreeMap<Ipv4Addr, Entry>,
    /// A `backup` state was read.
    pub(super) backups_found: bool,
}

/// Reads the lease store at `path`: an ISC dhcpd.leases, a charrua journal or a PostgreSQL
/// connection string, with the readers of `charrua leases`, changing nothing.
pub(super) fn read(path: &Path) -> Result<States, PoolsError> {
    let format = charrua_store::resolve(path, LeaseFormat::Auto)
        .map_err(|e| PoolsError::Leases(e.to_string()))?;
    match format {
        LeaseFormat::Journal | LeaseFormat::Postgresql => crate::leases::current(path)
            .map(|leases| from_store(leases.values()))
            .map_err(PoolsError::Leases),
        _ => crate::leases::load(path)
            .map(|file| from_isc(&file))
            .map_err(PoolsError::Leases),
    }
}

/// Whether the file at `path` starts with `lease ` (see `count::count`); a database or an
/// unreadable file does not.
pub(super) fn opens_with_lease(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 6];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"lease ")
}

/// The states a dhcpd.leases gives, block by block.
fn from_isc(file: &LeaseFile) -> States {
    let mut states = States::default();
    // The block behind `changes[i]` said the state charrua folds into another; which one.
    let mut folded: BTreeMap<usize, &str> = BTreeMap::new();
    for (i, text) in &file.kept {
        if let Some(word) = text.lines().find_map(|l| {
            l.trim()
                .strip_prefix("binding state ")?
                .strip_suffix(';')
                .map(str::trim)
        }) {
            folded.insert(*i, word);
        }
    }
    for (i, change) in file.changes.iter().enumerate() {
        let (address, lease) = match change {
            LeaseChange::Set(lease) => (lease.address, Some(lease)),
            LeaseChange::Remove(address) => (*address, None),
        };
        let binding = match (folded.get(&i).copied(), lease.map(|l| l.state)) {
            (Some("backup"), _) => Some(Binding::Backup),
            // `reset`, `bootp`, `reserved`: a state dhcpd-pools does not read.
            (Some(_), _) => None,
            (None, Some(LeaseState::Bound)) => Some(Binding::Active),
            (None, Some(LeaseState::Offered)) => None,
            // Free, expired, released, abandoned; a free block that names no client is a
            // `Remove`.
            (None, _) => Some(Binding::Free),
        };
        states.set(address, binding, lease.and_then(ethernet));
    }
    states
}

/// The states of a charrua journal's or database's current leases.
fn from_store<'a>(leases: impl Iterator<Item = &'a Lease>) -> States {
    let mut states = States::default();
    for lease in leases {
        let binding = match lease.state {
            LeaseState::Bound => Some(Binding::Active),
            LeaseState::Offered => None,
            LeaseState::Released | LeaseState::Expired | LeaseState::Declined => {
                Some(Binding::Free)
            }
        };
        states.set(lease.address, binding, ethernet(lease));
    }
    states
}

impl States {
    /// One block: `binding` replaces the address's entry (its Ethernet address with it); a
    /// block of a state dhcpd-pools does not read only gives an existing entry its Ethernet
    /// address, if it has one.
    fn set(&mut self, address: Ipv4Addr, binding: Option<Binding>, mac: Option<[u8; 6]>) {
        match binding {
            Some(binding) => {
                self.backups_found |= binding == Binding::Backup;
                self.entries.insert(address, Entry { binding, mac });
            }
            None => {
                if let (Some(entry), Some(mac)) = (self.entries.get_mut(&address), mac) {
                    entry.mac = Some(mac);
                }
            }
        }
    }
}

/// The lease's Ethernet address (`hardware ethernet`), if it has one.
fn ethernet(lease: &Lease) -> Option<[u8; 6]> {
    const ETHERNET: u8 = 1;
    let (htype, addr) = match (&lease.client, &lease.hardware) {
        (ClientKey::Hardware { htype, addr }, _) => (*htype, &addr[..]),
        (ClientKey::ClientId(_), Some(hw)) => (hw.htype(), hw.addr()),
        (ClientKey::ClientId(_), None) => return None,
    };
    (htype == ETHERNET).then(|| addr.try_into().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(text: &str) -> States {
        let file = charrua_conf::leases::read("test.leases", text.into());
        assert!(!file.has_errors(), "{:?}", file.diagnostics);
        from_isc(&file)
    }

    fn block(address: &str, state: &str, mac: Option<&str>) -> String {
        let hw = mac.map_or(String::new(), |m| format!("  hardware ethernet {m};\n"));
        format!(
            "lease {address} {{\n  starts 3 2026/11/25 03:53:19;\n  ends 3 2026/11/25 04:53:19;\n  \
             cltt 3 2026/11/25 03:53:19;\n  binding state {state};\n{hw}}}\n"
        )
    }

    fn binding(s: &States, a: [u8; 4]) -> Option<Binding> {
        s.entries.get(&Ipv4Addr::from(a)).map(|e| e.binding)
    }

    #[test]
    fn reads_every_binding_state_as_dhcpd_pools_does() {
        let mac = Some("02:00:00:00:00:01");
        let mut text = String::new();
        for (i, state) in [
            "active",
            "free",
            "expired",
            "released",
            "abandoned",
            "backup",
            "reset",
            "bootp",
            "reserved",
        ]
        .iter()
        .enumerate()
        {
            text.push_str(&block(&format!("10.0.0.{}", i + 1), state, mac));
        }
        let s = states(&text);
        assert_eq!(binding(&s, [10, 0, 0, 1]), Some(Binding::Active));
        for i in 2..=5 {
            assert_eq!(binding(&s, [10, 0, 0, i]), Some(Binding::Free), "{i}");
        }
        assert_eq!(binding(&s, [10, 0, 0, 6]), Some(Binding::Backup));
        for i in 7..=9 {
            assert_eq!(binding(&s, [10, 0, 0, i]), None, "{i}");
        }
        assert!(s.backups_found);
    }

    #[test]
    fn the_last_counted_block_of_an_address_wins() {
        let s = states(&format!(
            "{}{}{}{}{}",
            block("10.0.0.1", "active", Some("02:00:00:00:00:01")),
            block("10.0.0.1", "free", None),
            block("10.0.0.2", "free", None),
            block("10.0.0.2", "active", Some("02:00:00:00:00:02")),
            // A state dhcpd-pools does not read leaves the active lease, and gives it the
            // block's hardware address.
            block("10.0.0.2", "bootp", Some("02:00:00:00:00:03")),
        ));
        assert_eq!(binding(&s, [10, 0, 0, 1]), Some(Binding::Free));
        let two = s.entries.get(&Ipv4Addr::new(10, 0, 0, 2)).unwrap();
        assert_eq!(two.binding, Binding::Active);
        assert_eq!(two.mac, Some([2, 0, 0, 0, 0, 3]));
        assert!(!s.backups_found);
    }

    #[test]
    fn a_backup_replaced_later_still_shows_the_backup_columns() {
        let s = states(&format!(
            "{}{}",
            block("10.0.0.1", "backup", None),
            block("10.0.0.1", "active", Some("02:00:00:00:00:01")),
        ));
        assert_eq!(binding(&s, [10, 0, 0, 1]), Some(Binding::Active));
        assert!(s.backups_found);
    }

    #[test]
    fn a_store_s_bound_leases_are_used_and_ended_ones_touched() {
        let lease = |last: u8, state| Lease {
            address: Ipv4Addr::new(10, 0, 0, last),
            state,
            client: ClientKey::Hardware {
                htype: 1,
                addr: Box::new([2, 0, 0, 0, 0, last]),
            },
            starts: 0,
            ends: 1,
            hostname: None,
            hardware: None,
            variables: Vec::new(),
            billing: None,
            agent_options: None,
        };
        let leases = [
            lease(1, LeaseState::Bound),
            lease(2, LeaseState::Expired),
            lease(3, LeaseState::Released),
            lease(4, LeaseState::Declined),
        ];
        let s = from_store(leases.iter());
        assert_eq!(binding(&s, [10, 0, 0, 1]), Some(Binding::Active));
        assert_eq!(
            s.entries
                .values()
                .filter(|e| e.binding == Binding::Free)
                .count(),
            3
        );
        assert_eq!(
            s.entries.get(&Ipv4Addr::new(10, 0, 0, 1)).unwrap().mac,
            Some([2, 0, 0, 0, 0, 1])
        );
    }
}
