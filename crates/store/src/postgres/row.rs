//! Leases as rows of `charrua_lease4`: the columns of a batch of leases as the arrays the
//! upsert takes, and a row's record back as a lease.

use std::net::{IpAddr, Ipv4Addr};

use charrua_server::{ClientKey, Lease, LeaseChange, LeaseState};

use crate::record;
use crate::StoreError;

/// The columns of leases to write, one element per lease.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub(crate) address: Vec<IpAddr>,
    pub(crate) state: Vec<&'static str>,
    pub(crate) client: Vec<Vec<u8>>,
    pub(crate) hwaddr: Vec<Option<Vec<u8>>>,
    pub(crate) starts: Vec<i64>,
    pub(crate) ends: Vec<i64>,
    pub(crate) hostname: Vec<Option<String>>,
    pub(crate) record: Vec<Vec<u8>>,
}

/// The state column's value.
fn state(state: LeaseState) -> &'static str {
    match state {
        LeaseState::Bound => "bound",
        LeaseState::Released => "released",
        LeaseState::Declined => "declined",
        // Offers are never written (durability rule D3); an expired record is free.
        LeaseState::Offered | LeaseState::Expired => "expired",
    }
}

/// The client column: 0 then the identifier, or 1, htype, the hardware address (never equal
/// for two different keys).
pub(crate) fn client(key: &ClientKey) -> Vec<u8> {
    match key {
        ClientKey::ClientId(id) => std::iter::once(0).chain(id.iter().copied()).collect(),
        ClientKey::Hardware { htype, addr } => [1, *htype]
            .into_iter()
            .chain(addr.iter().copied())
            .collect(),
    }
}

/// Unix seconds as the column keeps them (`u64::MAX`, never, as the largest `bigint`).
fn seconds(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

impl Columns {
    /// Adds `lease`, with `record`, its journal record (what the `record` column keeps).
    pub(crate) fn push(&mut self, lease: &Lease, record: Vec<u8>) {
        self.address.push(IpAddr::V4(lease.address));
        self.state.push(state(lease.state));
        self.client.push(client(&lease.client));
        let hardware = match (&lease.client, &lease.hardware) {
            (ClientKey::Hardware { addr, .. }, _) => Some(addr.to_vec()),
            (ClientKey::ClientId(_), hw) => hw.map(|h| h.addr().to_vec()),
        };
        self.hwaddr.push(hardware);
        self.starts.push(seconds(lease.starts));
        self.ends.push(seconds(lease.ends));
        self.hostname
            .push(lease.hostname.as_deref().map(str::to_owned));
        self.record.push(record);
    }

    pub(crate) fn len(&self) -> usize {
        self.address.len()
    }
}

/// The lease a row's `record` column holds, checked to be the row's address.
pub(crate) fn lease(address: IpAddr, bytes: &[u8]) -> Result<Lease, StoreError> {
    let bad = |why: String| StoreError::Database(format!("the record of {address}: {why}"));
    match record::decode(bytes) {
        Ok((LeaseChange::Set(lease), _)) if IpAddr::V4(lease.address) == address => Ok(lease),
        Ok(_) => Err(bad("not a lease of that address".into())),
        Err(e) => Err(bad(e.to_string())),
    }
}

/// The IPv4 address of an `inet` column.
pub(crate) fn v4(address: IpAddr) -> Option<Ipv4Addr> {
    match address {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    }
}
