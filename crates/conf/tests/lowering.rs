//! The same configuration written in dhcpd.conf and built with the builder API gives equal
//! models; settings land in the scope they were written in.

use std::net::Ipv4Addr;

use charrua_conf::{parse_config, NoIncludes};
use charrua_server::config::{Config, Expr, Match, ScopeBuilder};
use charrua_wire::{OptionCode, Value};

mod common;

use common::{ip, lower};

#[test]
fn a_typical_office_configuration_lowers_to_the_builder_model() {
    let text = r#"
        default-lease-time 600;
        max-lease-time 7200;
        authoritative;
        option domain-name "example.test";
        option domain-name-servers 198.18.0.53, 198.18.0.54;
        class "pxe" { match if substring (option vendor-class-identifier, 0, 9) = "PXEClient"; filename "pxelinux.0"; }
        subnet 198.18.0.0 netmask 255.255.255.0 {
            option routers 198.18.0.1;
            range 198.18.0.100 198.18.0.150;
            pool { range 198.18.0.200 198.18.0.210; allow members of "pxe"; next-server 198.18.0.2; }
        }
        host printer { hardware ethernet 02:00:00:00:00:09; fixed-address 198.18.0.9; option host-name "printer"; }
    "#;
    let built = Config::builder()
        .default_lease_time(600)
        .max_lease_time(7200)
        .authoritative(true)
        .option(OptionCode::DOMAIN_NAME, Value::Text("example.test".into()))
        .option(
            OptionCode::DOMAIN_NAME_SERVERS,
            Value::IpList(vec![ip(53), ip(54)]),
        )
        .class(
            "pxe",
            Match::VendorClassPrefix(b"PXEClient".to_vec()),
            |c| c.filename("pxelinux.0"),
        )
        .subnet("198.18.0.0/24".parse().unwrap(), |s| {
            s.option(OptionCode::ROUTERS, Value::IpList(vec![ip(1)]))
                .range(ip(100), ip(150))
                .pool(|p| {
                    p.range(ip(200), ip(210))
                        .allow_class("pxe")
                        .next_server(ip(2))
                })
        })
        .host("printer", |h| {
            h.hardware_ethernet([2, 0, 0, 0, 0, 9])
                .fixed_address(ip(9))
                .option(OptionCode::HOST_NAME, Value::Text("printer".into()))
        })
        .build()
        .unwrap();
    assert_eq!(lower(text), built);
}

#[test]
fn shared_networks_groups_and_dynamic_bootp_lower_like_the_builder() {
    let text = r#"
        shared-network lab {
            option domain-name "lab.example.test";
            subnet 198.18.0.0 netmask 255.255.255.0 { range dynamic-bootp 198.18.0.10 198.18.0.20; }
            subnet 198.18.1.0 netmask 255.255.255.0 { range 198.18.1.10 198.18.1.20; }
        }
        group { default-lease-time 60; host a { hardware ethernet 02:00:00:00:00:01; } }
    "#;
    let built = Config::builder()
        .shared_network("lab", |n| {
            n.option(
                OptionCode::DOMAIN_NAME,
                Value::Text("lab.example.test".into()),
            )
            .subnet("198.18.0.0/24".parse().unwrap(), |s| {
                s.pool(|p| p.range(ip(10), ip(20)).allow_dynamic_bootp())
            })
            .subnet("198.18.1.0/24".parse().unwrap(), |s| {
                s.range(Ipv4Addr::new(198, 18, 1, 10), Ipv4Addr::new(198, 18, 1, 20))
            })
        })
        .group(|g| {
            g.default_lease_time(60)
                .host("a", |h| h.hardware_ethernet([2, 0, 0, 0, 0, 1]))
        })
        .build()
        .unwrap();
    assert_eq!(lower(text), built);
}

#[test]
fn settings_stay_in_their_scope() {
    let config = lower(
        r#"
        option domain-name "global";
        subnet 198.18.0.0 netmask 255.255.255.0 {
            option domain-name "subnet";
            pool { option domain-name "pool"; range 198.18.0.10 198.18.0.20; }
            range 198.18.0.30 198.18.0.40;
        }
        subnet 198.18.1.0 netmask 255.255.255.0 { range 198.18.1.10 198.18.1.20; }
        "#,
    );
    let msg = charrua_wire::Message::default();
    let request = charrua_server::config::Request::of(&msg);
    let name = |subnet: u32, pool: Option<u32>| {
        let params = config.params_for(
            charrua_server::config::SubnetId(subnet),
            pool.map(charrua_server::config::PoolId),
            &[],
            None,
            &request,
        );
        params
            .options
            .get(OptionCode::DOMAIN_NAME)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let pool_of = |addr| config.pool_of(addr).map(|p| p.0);
    assert_eq!(name(0, pool_of(ip(15))), Some("pool".into()));
    assert_eq!(name(0, pool_of(ip(35))), Some("subnet".into()));
    assert_eq!(name(1, None), Some("global".into()));
}

#[test]
fn subclasses_add_members_to_a_class() {
    let config = lower(
        r#"class "v" { match option vendor-class-identifier; }
           subclass "v" "a"; subclass "v" 62:63;"#,
    );
    assert_eq!(
        config.classes[0].condition,
        Match::Subclass {
            value: Box::new(Expr::Option(OptionCode::VENDOR_CLASS_IDENTIFIER)),
            members: [b"a".to_vec(), b"bc".to_vec()].into(),
            spawning: false,
        }
    );
    assert_eq!(config.classes[0].lease_limit, None);
}

/// `lease limit` in a class, its subclasses' limits (the class's when declared, or their own),
/// and a `match if` that every member, of every subclass, must meet too.
#[test]
fn lease_limits_bill_a_class_or_each_of_its_subclasses() {
    let config = lower(
        r#"class "ports" {
             match if exists agent.circuit-id;
             spawn with option agent.circuit-id;
             lease limit 2;
           }
           subclass "ports" "uplink" { lease limit 8; }
           subclass "ports" "p1" { option domain-name "p1"; }
           class "phones" { match if substring(hardware, 1, 3) = 00:04:f2; lease limit 5; }"#,
    );
    let names: Vec<&str> = config.classes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ports (subclass uplink)",
            "ports (subclass p1)",
            "ports",
            "phones"
        ]
    );
    let ports = &config.classes[2];
    let limit = ports.lease_limit.as_ref().expect("a limit");
    assert_eq!(limit.limit, 2);
    assert_eq!(limit.subclass, Some(Expr::AgentOption(1)));
    assert_eq!(
        limit.subclass_limits,
        [(b"uplink".to_vec(), 8), (b"p1".to_vec(), 2)].into()
    );
    let Match::All(both) = &ports.condition else {
        panic!("{:?}", ports.condition)
    };
    assert!(matches!(
        both.as_slice(),
        [_, Match::Subclass { spawning: true, .. }]
    ));
    // A subclass's own class is only for its settings; its class bills it.
    assert_eq!(config.classes[1].lease_limit, None);
    assert!(matches!(&config.classes[1].condition, Match::All(m) if m.len() == 2));
    let phones = config.classes[3].lease_limit.as_ref().expect("a limit");
    assert_eq!((phones.limit, &phones.subclass), (5, &None));
}

#[test]
fn user_defined_options_are_sent_with_their_code() {
    let config =
        lower("option site code 224 = array of ip-address; option site 198.18.0.5, 198.18.0.6;");
    assert_eq!(
        config.global.options.get(OptionCode(224)),
        Some(&[198, 18, 0, 5, 198, 18, 0, 6][..])
    );
}

#[test]
fn validation_errors_point_at_the_declaration() {
    let text = "subnet 198.18.0.0 netmask 255.255.255.0 {\n range 198.18.0.10 198.18.0.20;\n pool { range 198.18.0.15 198.18.0.30; }\n}\n";
    let lowered = parse_config("t.conf", text.to_string(), &mut NoIncludes);
    assert!(lowered.config.is_none());
    let d = &lowered.diagnostics[0];
    assert_eq!(
        (d.span.line, d.span.col),
        (3, 9),
        "{}",
        d.render(&lowered.sources)
    );
    assert!(d.message.contains("overlap"));
}

#[test]
fn a_fixed_address_in_a_range_is_cut_out_of_it() {
    let config = lower(
        "subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.120; }\n\
         host h { hardware ethernet 02:00:00:00:00:01; fixed-address 198.18.0.110; }",
    );
    let ranges: Vec<_> = config.pools.iter().flat_map(|p| p.ranges.clone()).collect();
    assert_eq!(ranges, [(ip(100), ip(109)), (ip(111), ip(120))]);
}

/// Hosts sharing a hardware address stay declarations of their own, each with its settings
/// (the server picks the one for the client's network, as dhcpd).
#[test]
fn hosts_sharing_a_hardware_address_keep_their_own_settings() {
    let config = lower(
        "host a { hardware ethernet 02:00:00:00:00:01; fixed-address 198.18.0.12; filename \"a\"; }\n\
         host b { hardware ethernet 02:00:00:00:00:01; fixed-address 198.18.1.12; filename \"b\"; }",
    );
    assert_eq!(config.hosts.len(), 2);
    assert_eq!(
        config.hosts[1].fixed_addresses,
        [Ipv4Addr::new(198, 18, 1, 12)]
    );
    assert_eq!(config.hosts[1].params.filename.as_deref(), Some(&b"b"[..]));
}

/// A loader that resolves `ns1.example.test` and `pc.example.test` and nothing else.
struct Names;

impl charrua_conf::Loader for Names {
    fn load(&mut self, name: &str) -> Result<String, String> {
        Err(format!("no include {name}"))
    }

    fn resolve(&mut self, name: &str) -> Option<Result<Vec<Ipv4Addr>, String>> {
        Some(match name {
            "ns1.example.test" => Ok(vec![ip(53)]),
            "pc.example.test" => Ok(vec![ip(9)]),
            _ => Err("not found".into()),
        })
    }
}

/// Host names where ISC takes addresses (common/parse.c parse_ip_addr_or_hostname): looked up
/// through the loader when serving; an option with one that does not resolve is not sent, nor
/// an outer scope's value for it (dhcpd's lookup gives nothing, and so does the option); a
/// check (`-t`, the default loader) looks nothing up and accepts them, as `dhcpd -t` does.
#[test]
fn host_names_where_addresses_go_are_looked_up_or_left_out() {
    let text = "option domain-name-servers ns1.example.test, 198.18.0.54, gone.example.test;\n\
                option ntp-servers ns1.example.test, 198.18.0.54;\n\
                next-server pc.example.test;\n\
                subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }\n\
                host pc { hardware ethernet 02:00:00:00:00:09; fixed-address pc.example.test; }\n";
    let lowered = parse_config("names.conf", text.to_string(), &mut Names);
    let config = lowered.config.expect("valid");
    assert_eq!(
        config.global.options.get(OptionCode::NTP_SERVERS),
        Some(&[198, 18, 0, 53, 198, 18, 0, 54][..])
    );
    assert_eq!(
        config.global.options.get(OptionCode::DOMAIN_NAME_SERVERS),
        Some(&[][..]),
        "set to nothing"
    );
    assert_eq!(config.global.next_server, Some(ip(9)));
    assert_eq!(config.hosts[0].fixed_addresses, [ip(9)]);
    let warnings: Vec<String> = lowered
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("gone.example.test does not resolve"),
        "{warnings:?}"
    );
    // Checking: nothing looked up, nothing to say.
    let checked = parse_config("names.conf", text.to_string(), &mut NoIncludes);
    assert!(checked.config.is_some() && checked.diagnostics.is_empty());
    // A list must not end in a comma (dhcpd -t refuses it too).
    let bad = parse_config(
        "bad.conf",
        "option routers gw.example.test,;\n".into(),
        &mut Names,
    );
    assert!(bad.has_errors());
}

/// A warning given many times in a file is summarized once, with its count; errors all stay.
#[test]
fn repeated_warnings_are_summarized_once_per_file_with_their_count() {
    let text = "subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }\n\
                adaptive-lease-time-threshold 50;\nadaptive-lease-time-threshold 60;\n\
                adaptive-lease-time-threshold 70;\nomapi-port 7911;\n";
    let lowered = parse_config("w.conf", text.to_string(), &mut NoIncludes);
    assert_eq!(lowered.diagnostics.len(), 4);
    let summary: Vec<usize> = lowered.summary().iter().map(|(_, n)| *n).collect();
    assert_eq!(summary, [3, 1]);
}

/// Fail closed: a pool that denies the members of a class whose match charruad cannot evaluate
/// would serve them, so the file is refused (allowing such a class only ever serves fewer).
#[test]
fn denying_a_class_that_cannot_be_matched_is_an_error() {
    let pool = |permit: &str| {
        format!(
            "class \"x\" {{ match gethostname(); }}\n\
             subnet 198.18.0.0 netmask 255.255.255.0 {{ pool {{ range 198.18.0.10 198.18.0.20; {permit} members of \"x\"; }} }}\n"
        )
    };
    let denied = parse_config("deny.conf", pool("deny"), &mut NoIncludes);
    assert!(denied.has_errors());
    assert!(denied
        .diagnostics
        .iter()
        .any(|d| d.message.contains("would serve them")));
    let allowed = parse_config("allow.conf", pool("allow"), &mut NoIncludes);
    assert!(!allowed.has_errors());
}

/// The first error of `text`, if it has one.
fn first_error(text: &str) -> Option<String> {
    let lowered = parse_config("test.conf", text.to_string(), &mut NoIncludes);
    lowered
        .diagnostics
        .iter()
        .find(|d| d.severity == charrua_conf::Severity::Error)
        .map(|d| d.message.clone())
}

/// Fail closed: what restricts who is served is acted on or refused, never ignored, even where
/// charruad does not evaluate the statements around it yet (dhcpd takes all of these).
#[test]
fn restrictions_charruad_cannot_evaluate_are_refused() {
    let subnet = "subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.10 198.18.0.20; }\n";
    for text in [
        "if option host-name = \"x\" { deny booting; }",
        "if exists user-class { } else { ignore unknown-clients; }",
        "switch (option host-name) { case \"x\": deny bootp; }",
        "class \"c\" { match if gethostname() = \"x\"; deny booting; }",
        "class \"c\" { spawn with gethostname(); lease limit 2; }",
        "class \"c\" { match gethostname(); } subclass \"c\" \"x\" { lease limit 1; }",
    ] {
        let error = first_error(&format!("{subnet}{text}"));
        assert!(error.is_some(), "{text} is accepted");
    }
    // The same where charruad evaluates the condition: taken and enforced.
    for class in [
        "class \"c\" { match if known; deny booting; }",
        "class \"c\" { match if option host-name ~= \"^x\"; deny booting; }",
        "class \"c\" { match if binary-to-ascii(16, 8, \":\", hardware) = \"1:2\"; deny booting; }",
        "class \"c\" { match hardware; } subclass \"c\" 1:2:3:4:5:6:7 { ignore booting; }",
        "class \"c\" { spawn with option agent.circuit-id; lease limit 2; }",
    ] {
        assert_eq!(first_error(&format!("{subnet}{class}")), None);
    }
}

/// A pool written in a shared network serves its addresses, each range from the subnet that
/// holds it, as dhcpd gives a lease the subnet of its address (ISC's failover examples write
/// their pools so).
#[test]
fn pools_of_a_shared_network_serve_from_the_subnets_that_hold_them() {
    let text = r#"
        shared-network lab {
            subnet 198.18.0.0 netmask 255.255.255.0 { }
            subnet 198.18.1.0 netmask 255.255.255.0 { }
            pool {
                deny unknown-clients;
                range 198.18.0.10 198.18.0.20;
                range 198.18.1.10 198.18.1.20;
            }
        }
    "#;
    let built = Config::builder()
        .shared_network("lab", |n| {
            n.subnet("198.18.0.0/24".parse().unwrap(), |s| {
                s.pool(|p| p.range(ip(10), ip(20)).deny_unknown_clients())
            })
            .subnet("198.18.1.0/24".parse().unwrap(), |s| {
                s.pool(|p| {
                    p.range(Ipv4Addr::new(198, 18, 1, 10), Ipv4Addr::new(198, 18, 1, 20))
                        .deny_unknown_clients()
                })
            })
        })
        .build()
        .unwrap();
    assert_eq!(lower(text), built);
}

#[test]
fn echo_client_id_lowers_to_its_setting_in_its_scope() {
    let config = lower(
        "echo-client-id true;\nsubnet 198.18.0.0 netmask 255.255.255.0 { echo-client-id false; range 198.18.0.10 198.18.0.20; }\n",
    );
    assert_eq!(config.global.echo_client_id, Some(true));
    assert_eq!(config.subnets[0].params.echo_client_id, Some(false));
}

/// dhcpd takes a `dhcp-cache-threshold` below 100 and its default (25) for any other value,
/// whatever an outer scope says (server/dhcp.c `reuse_lease`).
#[test]
fn dhcp_cache_threshold_lowers_below_100_only() {
    let config = lower(
        "dhcp-cache-threshold 0;\nsubnet 198.18.0.0 netmask 255.255.255.0 { dhcp-cache-threshold 150; range 198.18.0.10 198.18.0.20; }\nsubnet 198.18.1.0 netmask 255.255.255.0 { dhcp-cache-threshold 0x10; }\n",
    );
    assert_eq!(config.global.cache_threshold, Some(0));
    assert_eq!(config.subnets[0].params.cache_threshold, Some(25));
    assert_eq!(config.subnets[1].params.cache_threshold, Some(16));
}
