//! Classless static routes (RFC 3442 section 3): for each route, the prefix length, the
//! significant octets of the destination, and the router.

use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::{OptionCode, Route};
use crate::Error;

/// Octets of the destination that are significant for `prefix_len` (RFC 3442 section 3).
fn significant(prefix_len: u8) -> usize {
    usize::from(prefix_len).div_ceil(8)
}

/// Decodes a route list; a prefix over 32, a short descriptor, or an empty list is an error.
pub(crate) fn decode(code: OptionCode, data: &[u8]) -> Result<Vec<Route>, Error> {
    let mut routes = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let bad = Error::BadValue { code, offset: pos };
        let prefix_len = *data.get(pos).ok_or(bad)?;
        if prefix_len > 32 {
            return Err(bad);
        }
        let n = significant(prefix_len);
        let dest = data.get(pos + 1..pos + 1 + n).ok_or(bad)?;
        let router = data.get(pos + 1 + n..pos + 5 + n).ok_or(bad)?;
        let mut octets = [0u8; 4];
        octets.iter_mut().zip(dest).for_each(|(o, d)| *o = *d);
        let mask = u32::MAX
            .checked_shl(32 - u32::from(prefix_len))
            .unwrap_or(0);
        let destination = Ipv4Addr::from(u32::from_be_bytes(octets) & mask);
        let mut r = [0u8; 4];
        r.copy_from_slice(router);
        routes.push(Route {
            destination,
            prefix_len,
            router: Ipv4Addr::from(r),
        });
        pos += 5 + n;
    }
    if routes.is_empty() {
        return Err(Error::BadLength { code, len: 0 });
    }
    Ok(routes)
}

/// Encodes routes; destination bits past the prefix are not written.
pub(crate) fn encode(routes: &[Route], out: &mut Vec<u8>) {
    for route in routes {
        let prefix_len = route.prefix_len.min(32);
        out.push(prefix_len);
        let octets = route.destination.octets();
        out.extend_from_slice(octets.get(..significant(prefix_len)).unwrap_or(&octets));
        out.extend_from_slice(&route.router.octets());
    }
}
