//! The configuration model: validation errors and the inheritance of settings.

mod common;

use std::net::Ipv4Addr;

use charrua_server::config::{Config, ConfigError, Match, NetworkId, ScopeBuilder};
use charrua_wire::{MessageType, OptionCode, Value};
use common::*;

fn net(s: &str) -> charrua_server::Ipv4Net {
    s.parse().unwrap()
}

#[test]
fn a_range_outside_its_subnet_is_refused() {
    let err = Config::builder()
        .subnet(net(NET), |s| {
            s.range(ip(198, 18, 0, 10), ip(198, 18, 1, 10))
        })
        .build();
    assert!(matches!(err, Err(ConfigError::RangeOutsideSubnet { .. })));
}

#[test]
fn reversed_and_overlapping_ranges_are_refused() {
    let reversed = Config::builder()
        .subnet(net(NET), |s| {
            s.range(ip(198, 18, 0, 20), ip(198, 18, 0, 10))
        })
        .build();
    assert!(matches!(reversed, Err(ConfigError::RangeReversed { .. })));
    let overlap = Config::builder()
        .subnet(net(NET), |s| {
            s.range(ip(198, 18, 0, 10), ip(198, 18, 0, 20))
                .pool(|p| p.range(ip(198, 18, 0, 20), ip(198, 18, 0, 30)))
        })
        .build();
    assert_eq!(
        overlap,
        Err(ConfigError::OverlappingRanges(
            (ip(198, 18, 0, 10), ip(198, 18, 0, 20)),
            (ip(198, 18, 0, 20), ip(198, 18, 0, 30))
        ))
    );
}

/// Subnets may overlap, as in dhcpd: an address belongs to the narrowest.
#[test]
fn overlapping_subnets_give_an_address_to_the_narrowest() {
    let config = Config::builder()
        .subnet(net("198.18.0.0/16"), |s| s)
        .subnet(net(NET), |s| s)
        .build()
        .unwrap();
    assert_eq!(
        config.subnet_of(ip(198, 18, 0, 9)),
        Some(charrua_server::config::SubnetId(1))
    );
    assert_eq!(
        config.subnet_of(ip(198, 18, 9, 9)),
        Some(charrua_server::config::SubnetId(0))
    );
}

#[test]
fn a_fixed_address_inside_a_dynamic_range_is_refused() {
    let err = Config::builder()
        .subnet(net(NET), |s| {
            s.range(ip(198, 18, 0, 10), ip(198, 18, 0, 20))
        })
        .host("h", |h| {
            h.hardware_ethernet(mac(1))
                .fixed_address(ip(198, 18, 0, 15))
        })
        .build();
    assert_eq!(
        err,
        Err(ConfigError::FixedAddressInRange {
            host: "h".into(),
            address: ip(198, 18, 0, 15)
        })
    );
}

/// Hosts may share an identity, one per network as sites write them; of those, a client gets
/// the one with a fixed address on its network, else the first with none (server/dhcp.c
/// `find_host_for_network`).
#[test]
fn hosts_sharing_an_identity_are_told_apart_by_network_and_hosts_without_one_refused() {
    let config = Config::builder()
        .subnet(net(NET), |s| s)
        .subnet(net("198.19.0.0/24"), |s| s)
        .host("a", |h| {
            h.hardware_ethernet(mac(1)).fixed_address(ip(198, 18, 0, 5))
        })
        .host("b", |h| {
            h.hardware_ethernet(mac(1)).fixed_address(ip(198, 19, 0, 5))
        })
        .host("c", |h| h.hardware_ethernet(mac(1)))
        .build()
        .unwrap();
    let host_on = |network: Option<u32>| {
        config
            .host_for(None, 1, &mac(1), network.map(NetworkId))
            .and_then(|h| config.host(h))
            .map(|h| h.name.clone())
    };
    let network_of = |addr| {
        config
            .subnet_of(addr)
            .and_then(|s| config.subnet(s))
            .map(|s| s.network.0)
    };
    assert_eq!(host_on(network_of(ip(198, 19, 0, 1))), Some("b".into()));
    assert_eq!(host_on(network_of(ip(198, 18, 0, 1))), Some("a".into()));
    assert_eq!(host_on(None), Some("c".into()));
    assert_eq!(
        Config::builder().host("x", |h| h).build(),
        Err(ConfigError::HostWithoutIdentity("x".into()))
    );
}

#[test]
fn unknown_and_duplicate_classes_and_bad_lease_times_are_refused() {
    let unknown = Config::builder()
        .subnet(net(NET), |s| {
            s.pool(|p| {
                p.range(ip(198, 18, 0, 10), ip(198, 18, 0, 20))
                    .allow_class("nope")
            })
        })
        .build();
    assert_eq!(unknown, Err(ConfigError::UnknownClass("nope".into())));
    let twice = Config::builder()
        .class("c", Match::Exists(OptionCode::HOST_NAME), |c| c)
        .class("c", Match::Exists(OptionCode::HOST_NAME), |c| c)
        .build();
    assert_eq!(twice, Err(ConfigError::DuplicateClass("c".into())));
    // A minimum above the maximum is dhcpd's to take: the minimum wins (server/dhcp.c).
    let times = Config::builder()
        .min_lease_time(100)
        .max_lease_time(10)
        .build();
    assert!(times.is_ok());
}

#[test]
fn settings_inherit_host_over_class_over_pool_over_subnet_over_network_over_global() {
    let text = |s: &str| Value::Text(s.into());
    let config = Config::builder()
        .option(OptionCode::DOMAIN_NAME, text("global"))
        .option(OptionCode::NIS_DOMAIN, text("global"))
        .option(OptionCode::ROOT_PATH, text("global"))
        .option(OptionCode::MERIT_DUMP, text("global"))
        .option(OptionCode::EXTENSIONS_PATH, text("global"))
        .shared_network("lan", |n| {
            n.option(OptionCode::NIS_DOMAIN, text("network"))
                .option(OptionCode::ROOT_PATH, text("network"))
                .option(OptionCode::MERIT_DUMP, text("network"))
                .option(OptionCode::EXTENSIONS_PATH, text("network"))
                .subnet(net(NET), |s| {
                    s.option(OptionCode::ROOT_PATH, text("subnet"))
                        .option(OptionCode::MERIT_DUMP, text("subnet"))
                        .option(OptionCode::EXTENSIONS_PATH, text("subnet"))
                        .pool(|p| {
                            p.range(ip(198, 18, 0, 10), ip(198, 18, 0, 20))
                                .option(OptionCode::MERIT_DUMP, text("pool"))
                                .option(OptionCode::EXTENSIONS_PATH, text("pool"))
                        })
                })
        })
        .class("vendor", Match::VendorClass(b"v".to_vec()), |c| {
            c.option(OptionCode::EXTENSIONS_PATH, text("class"))
        })
        .group(|g| {
            g.option(OptionCode::NETBIOS_SCOPE, text("group"))
                .host("h", |h| h.hardware_ethernet(mac(1)))
        })
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    let msg = with(
        message(MessageType::DISCOVER, mac(1)),
        OptionCode::VENDOR_CLASS_IDENTIFIER,
        b"v",
    );
    let out = h.send(&direct(msg));
    let o = &reply(&out).message.options;
    let get = |code| match o.value(code) {
        Some(Ok(Value::Text(t))) => t,
        other => panic!("{code}: {other:?}"),
    };
    assert_eq!(get(OptionCode::DOMAIN_NAME), "global");
    assert_eq!(get(OptionCode::NIS_DOMAIN), "network");
    assert_eq!(get(OptionCode::ROOT_PATH), "subnet");
    assert_eq!(get(OptionCode::MERIT_DUMP), "pool");
    assert_eq!(get(OptionCode::EXTENSIONS_PATH), "class");
    assert_eq!(
        get(OptionCode::NETBIOS_SCOPE),
        "group",
        "a group's settings reach its hosts"
    );
}

#[test]
fn shared_networks_offer_from_any_of_their_subnets() {
    let config = Config::builder()
        .shared_network("lan", |n| {
            n.subnet(net(NET), |s| {
                s.range(ip(198, 18, 0, 10), ip(198, 18, 0, 10))
            })
            .subnet(net("198.18.1.0/24"), |s| {
                s.range(ip(198, 18, 1, 10), ip(198, 18, 1, 10))
            })
        })
        .build()
        .unwrap();
    let mut h = Harness::new(config);
    let first = reply(&h.send(&direct(discover(mac(1))))).message.yiaddr;
    let second = reply(&h.send(&direct(discover(mac(2))))).message.yiaddr;
    let mut got = [first, second];
    got.sort();
    assert_eq!(got, [ip(198, 18, 0, 10), ip(198, 18, 1, 10)]);
    let out = h.send(&direct(discover(mac(2))));
    let mask = reply(&out).message.options.value(OptionCode::SUBNET_MASK);
    assert_eq!(mask, Some(Ok(Value::Ip(Ipv4Addr::new(255, 255, 255, 0)))));
}
