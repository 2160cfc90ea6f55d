//! Servers sharing one lease store each offer new addresses from their own part of every pool
//! (`Config::slice`), and from the others' parts only when theirs is used up.

mod common;

use charrua_server::config::Slice;
use common::*;

fn server(index: u32, count: u32) -> Harness {
    let mut config = config();
    config.slice = Some(Slice { index, count });
    Harness::new(config)
}

#[test]
fn each_server_offers_from_its_own_part_of_the_pool() {
    // The pool is 198.18.0.100-199: halves 100-149 and 150-199.
    for m in 1..=20 {
        let first = dora(&mut server(0, 2), mac(m));
        let second = dora(&mut server(1, 2), mac(m));
        assert!((100..150).contains(&first.octets()[3]), "{first}");
        assert!((150..200).contains(&second.octets()[3]), "{second}");
    }
}

#[test]
fn a_server_whose_part_is_used_up_takes_from_the_others() {
    let mut h = server(2, 3);
    // Its third (166-199) holds 34 addresses; the 35th client gets one of another part.
    let got: Vec<_> = (1..=40).map(|m| dora(&mut h, mac(m)).octets()[3]).collect();
    assert!(got[..34].iter().all(|a| (166..200).contains(a)), "{got:?}");
    assert!(got[34..].iter().all(|a| (100..166).contains(a)), "{got:?}");
    let mut unique = got.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), got.len());
}

#[test]
fn alone_or_more_servers_than_addresses_it_serves_the_whole_pool() {
    let alone = dora(&mut server(0, 1), mac(1));
    assert_eq!(alone, dora(&mut Harness::new(config()), mac(1)));
    // 1000 servers: most parts of a 100-address pool are empty; the whole pool is used.
    assert!(dora(&mut server(999, 1000), mac(1)).octets()[3] >= 100);
}
