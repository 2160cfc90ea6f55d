//! Fuzzing support: the body of the `ddns_answer` fuzz target lives here so every build
//! compiles it.

use std::net::{Ipv4Addr, SocketAddr};

use crate::{
    Algorithm, DomainName, Guard, Key, Path, Registration, Rules, Style, Transaction, Zone, Zones,
};

const NOW: u64 = 1_700_000_000;

/// Feeds `data` to a registration in progress as the answers of its DNS server, one per
/// step (records of a 2-byte little-endian length and that many bytes), and reads what is
/// left as a host name. Nothing a server sends, and no name a client sends, may panic.
pub fn feed(data: &[u8]) {
    let zone = |name: &str, port: u16| {
        Some(Zone {
            name: DomainName::other(name).ok()?,
            servers: vec![SocketAddr::from((Ipv4Addr::LOCALHOST, port))],
            key: Key::new("fuzz-key", Algorithm::HmacSha256, b"secret".to_vec()).ok(),
        })
    };
    let (Some(forward), Some(reverse)) = (zone("test.example.", 53), zone("in-addr.arpa.", 53))
    else {
        return;
    };
    let (Ok(fqdn), Ok(rev)) = (
        DomainName::host("alpha.test.example"),
        DomainName::other("100.0.18.198.in-addr.arpa."),
    ) else {
        return;
    };
    let Ok(guard) = Guard::stored(Style::Interim, b"00c4ca78f9cf3717b36cf11b2bb4fc190c") else {
        return;
    };
    let registration = Registration {
        fqdn,
        address: Ipv4Addr::new(198, 18, 0, 100),
        ttl: 300,
        reverse: Some(rev),
        path: Path::Server { guard },
    };
    let zones = Zones::new(vec![forward, reverse]);
    let mut transaction = Transaction::add(
        registration,
        &zones,
        Rules::from_isc(true, true, true, false),
    );
    let mut rest = data;
    let mut id = 0u16;
    while let Some(transmit) = transaction.poll_transmit(id, NOW) {
        id = id.wrapping_add(1);
        let Some(len) = rest.get(..2).and_then(|l| <[u8; 2]>::try_from(l).ok()) else {
            break;
        };
        let len = usize::from(u16::from_le_bytes(len));
        let answer = rest.get(2..2 + len).unwrap_or_default();
        // An answer carrying the request's id, so that it is parsed and checked, not dropped.
        let mut answer = answer.to_vec();
        if let Some(head) = answer.get_mut(..2) {
            head.copy_from_slice(&transmit.id.to_be_bytes());
        }
        transaction.handle_response(&answer, NOW);
        rest = rest.get(2 + len..).unwrap_or_default();
    }
    while transaction.poll_event().is_some() {}
    let _ = DomainName::host(&String::from_utf8_lossy(rest));
}

#[cfg(test)]
mod tests {
    #[test]
    fn feeding_answers_and_names_does_not_panic() {
        super::feed(&[]);
        super::feed(&[4, 0, 1, 2, 3, 4, 0xff, 0xff]);
        super::feed(b"\x0c\x00\x00\x00\x84\x00\x00\x00\x00\x00\x00\x00\x00\x00a..b");
    }
}
