//! ISC dhcpd's dynamic DNS statements lowered into the configuration as dhcpd reads them
//! (docs/ddns.md section 1): the server-wide ones from the top of the file, keys and zones
//! wherever they stand, the per-client ones in their scopes, evaluated per request; one warning
//! says that charrua does not send the updates yet, and only when the style asks for them.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use charrua_conf::{parse_config, NoIncludes};
use charrua_server::config::{
    Action, ClientUpdates, Config, ConflictRules, Datum, Ddns, DdnsStyle, Expr, FqdnField, Params,
    Request, SubnetId, TsigKey,
};
use charrua_wire::{Message, OptionCode};
use common::{lower, lower_warned, settings_for};

/// The messages of the errors `text` gets.
fn errors(text: &str) -> Vec<String> {
    let lowered = parse_config("test.conf", text.to_string(), &mut NoIncludes);
    assert!(lowered.config.is_none(), "accepted: {text}");
    lowered
        .diagnostics
        .iter()
        .filter(|d| d.severity == charrua_conf::Severity::Error)
        .map(|d| d.message.clone())
        .collect()
}

/// The octets `e` gives a request carrying `options`.
fn evaluated(e: &Expr, options: &[(u8, &[u8])]) -> Option<Vec<u8>> {
    let mut msg = Message::default();
    for (code, value) in options {
        msg.options.insert(OptionCode(*code), value);
    }
    match e.evaluate(&Request::of(&msg))? {
        Datum::Data(octets) => Some(octets),
        other => panic!("not data: {other:?}"),
    }
}

const SUBNET: &str = "subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.120; }";

#[test]
fn without_ddns_statements_the_settings_are_dhcpds_defaults() {
    let config = lower(SUBNET);
    assert_eq!(config.ddns, Ddns::default());
    assert_eq!(config.ddns.style, DdnsStyle::None);
    assert_eq!(
        config.ddns.conflict_detection,
        Some(ConflictRules::default())
    );
    let params = settings_for(&config, &[]);
    assert_eq!(params.ddns_updates, None);
    assert_eq!(params.client_updates, None);
}

/// The server-wide statements, keys and zones of a typical BIND-integrated site.
#[test]
fn the_server_wide_settings_keys_and_zones_are_read() {
    let config = lower(&format!(
        r#"
        ddns-update-style standard;
        ddns-guard-id-must-match false;
        ddns-dual-stack-mixed-mode true;
        ddns-local-address4 198.18.0.1;
        ddns-local-address6 2001:db8::1;
        key "ddns-key" {{ algorithm hmac-sha256; secret "c2VjcmV0LXNlY3JldC1zZWNyZXQ="; }}
        key other {{ algorithm HMAC-MD5.SIG-ALG.REG.INT; secret bWQ1LXNlY3JldA==; }};
        zone example.test {{
            primary 198.18.0.53, 198.18.0.54;
            secondary 198.18.0.55;
            primary6 2001:db8::53;
            secondary6 2001:db8::54, 2001:db8::55;
            key DDNS-KEY;
        }}
        zone 0.18.198.in-addr.arpa. {{ primary 198.18.0.53; key "other"; }}
        {SUBNET}
        "#
    ));
    let d = &config.ddns;
    assert_eq!(d.style, DdnsStyle::Standard);
    assert_eq!(
        d.conflict_detection,
        Some(ConflictRules {
            guard_id_must_match: false,
            dual_stack_mixed_mode: true,
            other_guard_is_dynamic: false,
        })
    );
    assert_eq!(d.local_address4, Some(Ipv4Addr::new(198, 18, 0, 1)));
    assert_eq!(d.local_address6, Some("2001:db8::1".parse().unwrap()));
    let ddns_key = TsigKey {
        name: "ddns-key".into(),
        algorithm: "hmac-sha256".into(),
        secret: b"secret-secret-secret".to_vec(),
    };
    assert_eq!(d.keys.len(), 2);
    assert_eq!(d.keys[0], ddns_key);
    assert_eq!(d.keys[1].algorithm, "HMAC-MD5.SIG-ALG.REG.INT");
    assert_eq!(d.keys[1].secret, b"md5-secret");
    let [forward, reverse] = d.zones.as_slice() else {
        panic!("{:?}", d.zones)
    };
    // dhcpd adds the final dot; the key is found whatever its case.
    assert_eq!(forward.name, "example.test.");
    let ip = |d| Ipv4Addr::new(198, 18, 0, d);
    assert_eq!(forward.primary, [ip(53), ip(54)]);
    assert_eq!(forward.secondary, [ip(55)]);
    let v6 = |s: &str| s.parse::<Ipv6Addr>().unwrap();
    assert_eq!(forward.primary6, [v6("2001:db8::53")]);
    assert_eq!(forward.secondary6, [v6("2001:db8::54"), v6("2001:db8::55")]);
    assert_eq!(forward.key.as_ref(), Some(&ddns_key));
    assert_eq!(reverse.name, "0.18.198.in-addr.arpa.");
    assert_eq!(reverse.key.as_ref().map(|k| k.name.as_str()), Some("other"));
}

/// Conflict detection off turns its refinements off (server/ddns.c `get_conflict_mask`).
#[test]
fn conflict_detection_off_turns_its_rules_off() {
    let config = lower(&format!(
        "update-conflict-detection false; ddns-guard-id-must-match true; ddns-dual-stack-mixed-mode true; {SUBNET}"
    ));
    assert_eq!(config.ddns.conflict_detection, None);
}

/// dhcpd keeps one table of keys and one of zones for the whole server, wherever they are
/// declared; a later declaration of a name replaces the earlier one, but a zone keeps the key
/// it was given (common/dns.c `enter_dns_zone`, omapip/auth.c `omapi_auth_key_enter`).
#[test]
fn keys_and_zones_are_the_whole_servers_and_the_last_declaration_wins() {
    let config = lower(
        r#"
        subnet 198.18.0.0 netmask 255.255.255.0 {
            key k { algorithm hmac-md5; secret "Zmlyc3Q="; }
            zone example.test. { primary 198.18.0.1; key k; }
            range 198.18.0.100 198.18.0.120;
        }
        key K { algorithm hmac-sha1; secret "c2Vjb25k"; }
        zone EXAMPLE.test. { primary 198.18.0.2; key k; }
        zone other.test { primary 198.18.0.3; key k; }
        key k { algorithm hmac-sha512; secret "dGhpcmQ="; }
        "#,
    );
    let d = &config.ddns;
    assert_eq!(d.keys.len(), 1);
    assert_eq!(d.keys[0].secret, b"third");
    let names: Vec<&str> = d.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(names, ["EXAMPLE.test.", "other.test."]);
    assert_eq!(d.zones[0].primary, [Ipv4Addr::new(198, 18, 0, 2)]);
    assert_eq!(
        d.zones[1].key.as_ref().map(|k| k.secret.as_slice()),
        Some(&b"second"[..])
    );
}

/// The server-wide statements are read at the top of the file only (server/dhcpd.c
/// `postconf_initialization` reads the root group): in a subnet they change nothing, in dhcpd
/// as here, and `ad-hoc` there is not refused either.
#[test]
fn server_wide_statements_count_at_the_top_level_only() {
    let (config, warnings) = lower_warned(
        r#"
        ddns-update-style interim;
        subnet 198.18.0.0 netmask 255.255.255.0 {
            ddns-update-style ad-hoc;
            update-conflict-detection false;
            range 198.18.0.100 198.18.0.120;
        }
        "#,
    );
    assert_eq!(config.ddns.style, DdnsStyle::Interim);
    assert_eq!(
        config.ddns.conflict_detection,
        Some(ConflictRules::default())
    );
    assert_eq!(
        warnings
            .iter()
            .filter(|w| w.contains("read at the top level only"))
            .count(),
        2,
        "{warnings:?}"
    );
}

/// Every scope dhcpd takes them in keeps its own DDNS settings, inherited as the others are.
#[test]
fn per_client_settings_are_kept_in_their_scopes_and_inherited() {
    let config = lower(
        r#"
        ddns-update-style interim;
        ddns-updates on;
        ddns-domainname "example.test.";
        ddns-ttl 300;
        allow client-updates;
        update-optimization off;
        shared-network lab {
            ddns-rev-domainname "in-addr.arpa.";
            subnet 198.18.0.0 netmask 255.255.255.0 {
                deny client-updates;
                do-forward-updates false;
                pool { range 198.18.0.100 198.18.0.120; ignore client-updates; ddns-updates off; }
            }
        }
        class "printers" { match if substring(option vendor-class-identifier, 0, 2) = "HP"; update-static-leases on; }
        group {
            fqdn-reply off;
            host h { hardware ethernet 02:00:00:00:00:01; ddns-hostname "printer"; client-updates ignore; do-reverse-updates false; }
        }
        "#,
    );
    let g = &config.global;
    assert_eq!(g.ddns_updates, Some(true));
    assert_eq!(
        g.ddns_domainname,
        Some(Expr::Const(b"example.test.".to_vec()))
    );
    assert_eq!(g.ddns_ttl, Some(Expr::Const(300u32.to_be_bytes().to_vec())));
    assert_eq!(g.client_updates, Some(ClientUpdates::Allow));
    assert_eq!(g.update_optimization, Some(false));
    let network = &config.networks[0].params;
    assert_eq!(
        network.ddns_rev_domainname,
        Some(Expr::Const(b"in-addr.arpa.".to_vec()))
    );
    let subnet = &config.subnets[0].params;
    assert_eq!(subnet.client_updates, Some(ClientUpdates::Deny));
    assert_eq!(subnet.do_forward_updates, Some(false));
    let pool = &config.pools[0].params;
    assert_eq!(pool.client_updates, Some(ClientUpdates::Ignore));
    assert_eq!(pool.ddns_updates, Some(false));
    assert_eq!(config.classes[0].params.update_static_leases, Some(true));
    let host = &config.hosts[0].params;
    assert_eq!(host.ddns_hostname, Some(Expr::Const(b"printer".to_vec())));
    assert_eq!(host.client_updates, Some(ClientUpdates::Ignore));
    assert_eq!(host.do_reverse_updates, Some(false));
    assert_eq!(host.fqdn_reply, Some(false));
    // A client of the pool gets the pool's, the subnet's, the network's and the global ones.
    let msg = Message::default();
    let request = Request::of(&msg);
    let params: Params = config.params_for(
        SubnetId(0),
        Some(charrua_server::config::PoolId(0)),
        &[],
        None,
        &request,
    );
    assert_eq!(params.ddns_updates, Some(false));
    assert_eq!(params.client_updates, Some(ClientUpdates::Ignore));
    assert_eq!(params.do_forward_updates, Some(false));
    assert_eq!(params.update_optimization, Some(false));
    assert!(params.ddns_rev_domainname.is_some() && params.ddns_domainname.is_some());
}

/// `ddns-hostname = EXPRESSION;` (and the other names and the TTL) are evaluated per client as
/// dhcpd evaluates them; a flag's constant is read as dhcpd reads one (1 is true, 2 ignore).
#[test]
fn expressions_are_kept_and_evaluated_per_client() {
    let config = lower(&format!(
        r#"
        ddns-hostname = pick-first-value(option host-name, concat("dhcp-", binary-to-ascii(16, 8, "", substring(hardware, 1, 6))));
        ddns-domainname = lcase(option domain-name);
        ddns-ttl = encode-int(60, 32);
        client-updates = 2;
        ddns-updates = 1;
        {SUBNET}
        "#
    ));
    let g = &config.global;
    let hostname = g.ddns_hostname.as_ref().unwrap();
    assert_eq!(
        evaluated(hostname, &[(12, b"alpha")]).as_deref(),
        Some(&b"alpha"[..])
    );
    // (binary-to-ascii writes no leading zeros, as dhcpd's does.)
    assert_eq!(
        evaluated(hostname, &[]).as_deref(),
        Some(&b"dhcp-000000"[..])
    );
    let domain = g.ddns_domainname.as_ref().unwrap();
    assert_eq!(
        evaluated(domain, &[(15, b"Example.TEST")]).as_deref(),
        Some(&b"example.test"[..])
    );
    assert_eq!(evaluated(domain, &[]), None);
    let ttl = g.ddns_ttl.as_ref().unwrap();
    assert_eq!(evaluated(ttl, &[]), Some(vec![0, 0, 0, 60]));
    assert_eq!(g.client_updates, Some(ClientUpdates::Ignore));
    assert_eq!(g.ddns_updates, Some(true));
}

/// `option fqdn.NAME` reads the client FQDN option (81) as dhcpd decodes it into its `fqdn`
/// space (common/options.c `fqdn_universe_decode`: a wire-form name's domain keeps its leading
/// dot); a sub-option dhcpd does not know is refused, as `dhcpd -t` refuses it.
#[test]
fn fqdn_sub_options_are_read_from_option_81() {
    let config = lower(&format!(
        "ddns-hostname = option fqdn.hostname; ddns-domainname = option fqdn.domainname; {SUBNET}"
    ));
    let hostname = config.global.ddns_hostname.as_ref().unwrap();
    assert_eq!(hostname, &Expr::FqdnOption(FqdnField::Hostname));
    let domain = config.global.ddns_domainname.as_ref().unwrap();
    let wire: &[u8] = b"\x05\x00\x00\x04host\x07example\x00";
    assert_eq!(evaluated(hostname, &[(81, wire)]), Some(b"host".to_vec()));
    assert_eq!(evaluated(domain, &[(81, wire)]), Some(b".example".to_vec()));
    let ascii: &[u8] = b"\x01\x00\x00alpha.example.";
    assert_eq!(
        evaluated(domain, &[(81, ascii)]),
        Some(b"example.".to_vec())
    );
    assert_eq!(evaluated(hostname, &[(12, b"other")]), None);
    let refused = errors(&format!("ddns-hostname = option fqdn.bogus; {SUBNET}"));
    assert!(
        refused.iter().any(|e| e.contains("fqdn.bogus")),
        "{refused:?}"
    );
}

/// With style `none` (dhcpd's default) dhcpd evaluates none of the DDNS statements: nothing is
/// lost, nothing is said. With `interim` or `standard`, updates are sent, and what charruad
/// could not read of the setup is said.
#[test]
fn what_could_not_be_read_is_said_only_where_updates_are_sent() {
    let setup = r#"
        key "k" { algorithm rot13; secret "c2VjcmV0"; }
        zone example.test. { primary 198.18.0.53; key k; }
        ddns-updates on;
        ddns-hostname = option server.ddns-domainname;
        ddns-domainname "example.test";
        allow client-updates;
        subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.120; update-optimization off; }
    "#;
    for style in ["", "ddns-update-style none;"] {
        let (_, warnings) = lower_warned(&format!("{style}{setup}"));
        assert!(warnings.is_empty(), "{style}: {warnings:?}");
    }
    let (config, warnings) = lower_warned(&format!("ddns-update-style interim;{setup}"));
    assert_eq!(config.ddns.style, DdnsStyle::Interim);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    // The key dhcpd would not sign with, and the expression not evaluated.
    assert!(
        warnings[0].contains("key k: dhcpd knows no algorithm rot13"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("'ddns-hostname = EXPRESSION' is not implemented yet"),
        "{warnings:?}"
    );
    assert_eq!(config.global.ddns_hostname, None);
}

/// What `dhcpd -t` 4.4.3 refuses, refused: the dropped style at the top, a zone naming a key not
/// declared before it, servers not separated by commas, two primaries; and a key without a
/// secret or an algorithm, on which dhcpd crashes.
#[test]
fn what_dhcpd_refuses_is_refused() {
    assert_eq!(
        errors("ddns-update-style ad-hoc;"),
        ["ddns-update-style ad_hoc no longer supported"]
    );
    assert_eq!(
        errors("ddns-update-style interim; ddns-update-style = 1;"),
        ["ddns-update-style ad_hoc no longer supported"]
    );
    assert_eq!(
        errors("ddns-update-style = \"ab\";"),
        ["invalid dns update type"]
    );
    assert_eq!(
        errors("zone example.test { key k; } key k { algorithm hmac-md5; secret \"c2VjcmV0\"; }"),
        ["unknown key k"]
    );
    assert_eq!(
        errors("zone example.test { primary 198.18.0.1 198.18.0.2; }"),
        ["expecting semicolon."]
    );
    assert_eq!(
        errors("zone example.test { primary 198.18.0.1, ; }"),
        ["; (59): expecting IP address or hostname"]
    );
    assert_eq!(
        errors("zone example.test { primary 198.18.0.1 x 198.18.0.2; }"),
        ["expecting semicolon."]
    );
    assert_eq!(
        errors("zone example.test { primary6 ::1; primary6 ::2; }"),
        ["more than one primary6."]
    );
    assert_eq!(
        errors("key k { algorithm hmac-md5; }"),
        ["key k: no secret (dhcpd 4.4.3 crashes on a key without one)"]
    );
    assert_eq!(
        errors("key k { secret \"c2VjcmV0\"; }"),
        ["key k: no algorithm (dhcpd 4.4.3 crashes on a key without one)"]
    );
    assert_eq!(
        errors(&format!("{SUBNET} subnet 198.18.1.0 netmask 255.255.255.0 {{ pool {{ range 198.18.1.5 198.18.1.6; allow client-updates; }} }}")),
        ["expecting permit type: 'client-updates' is no pool permit"]
    );
}

/// The lease variables `on commit` sets for DDNS (`ddns-fwd-name`, `ddns-rev-name`) are kept
/// as any other variable, next to the DDNS settings.
#[test]
fn on_commit_still_sets_the_ddns_lease_variables() {
    let config = lower(&format!(
        r#"
        ddns-update-style interim;
        on commit {{
            set ddns-fwd-name = concat(option host-name, ".example.test");
            set ddns-rev-name = "100.0.18.198.in-addr.arpa.";
        }}
        {SUBNET}
        "#
    ));
    let on_commit = config.global.on_commit.as_deref().unwrap();
    let names: Vec<&str> = on_commit
        .iter()
        .map(|a| match a {
            Action::Set(name, _) => name.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["ddns-fwd-name", "ddns-rev-name"]);
}

fn world(name: &str) -> Config {
    let path = format!(
        "{}/../../testdata/conf/world/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    lower(&std::fs::read_to_string(path).unwrap())
}

/// The DDNS setup of a real configuration (testdata/conf/world, from vaamonde/dns-dhcp,
/// MIT): a BIND-integrated office network.
#[test]
fn a_real_bind_integrated_configuration_is_read_whole() {
    let config = world("vaamonde-dns-dhcp-conf-dhcp-dhcpd.conf");
    let d = &config.ddns;
    assert_eq!(d.style, DdnsStyle::Interim);
    assert_eq!(d.conflict_detection, None);
    let key = TsigKey {
        name: "rndc-key".into(),
        algorithm: "hmac-md5".into(),
        // `secret vaamonde;`: a word, base64-decoded as dhcpd decodes it.
        secret: vec![189, 166, 166, 162, 119, 94],
    };
    assert_eq!(d.keys, std::slice::from_ref(&key));
    let zones: Vec<(&str, Vec<Ipv4Addr>, Option<&TsigKey>)> = d
        .zones
        .iter()
        .map(|z| (z.name.as_str(), z.primary.clone(), z.key.as_ref()))
        .collect();
    let ns = Ipv4Addr::new(172, 16, 1, 20);
    assert_eq!(
        zones,
        [
            ("pti.intra.", vec![ns], Some(&key)),
            ("1.16.172.in-addr.arpa.", vec![ns], Some(&key)),
        ]
    );
    let g = &config.global;
    assert_eq!(g.client_updates, Some(ClientUpdates::Ignore));
    assert_eq!(g.update_optimization, Some(false));
    assert_eq!(g.update_static_leases, Some(true));
    assert_eq!(g.ddns_updates, Some(true));
    assert_eq!(g.ddns_domainname, Some(Expr::Const(b"pti.intra.".to_vec())));
    assert_eq!(
        g.ddns_rev_domainname,
        Some(Expr::Const(b"in-addr.arpa.".to_vec()))
    );
}

/// Another (testdata/conf/world, from Seth-Miller/racattack, GPL-3.0): zones without keys, and
/// updates turned off for every client.
#[test]
fn a_real_configuration_with_unsigned_zones_and_updates_off_is_read() {
    let config = world("seth-miller-racattack-config-setup-dhcpd.conf");
    assert_eq!(config.ddns.style, DdnsStyle::Interim);
    assert_eq!(config.global.ddns_updates, Some(false));
    let zones: Vec<(&str, bool)> = config
        .ddns
        .zones
        .iter()
        .map(|z| (z.name.as_str(), z.key.is_some()))
        .collect();
    assert_eq!(zones, [("racattack.", false), ("in-addr.arpa.", false)]);
}

/// `ddns-hostname = ...;` and the other DDNS settings inside `on commit` hold for the
/// registration that follows it (docs/ddns.md section 3.4): lowered as the settings the body
/// sets, in order with its other statements.
#[test]
fn ddns_settings_in_on_commit_are_run_with_it() {
    let config = lower(
        r#"
        ddns-update-style interim;
        subnet 198.18.0.0 netmask 255.255.255.0 {
          range 198.18.0.100 198.18.0.120;
          on commit {
            set ClientIP = binary-to-ascii(10, 8, "-", leased-address);
            ddns-hostname = concat("dhcp-", ClientIP);
            ddns-ttl 600;
            if option host-name = "quiet" { ddns-updates off; }
          }
        }
    "#,
    );
    let subnet = config.subnet(SubnetId(0)).unwrap();
    let actions = subnet.params.on_commit.clone().unwrap();
    assert_eq!(actions.len(), 4, "{actions:?}");
    let Action::Settings(name) = &actions[1] else {
        panic!("{actions:?}");
    };
    let msg = Message::default();
    let request = Request {
        address: Some(Ipv4Addr::new(198, 18, 0, 100)),
        variables: &[("ClientIP".into(), Datum::Data(b"198-18-0-100".to_vec()))],
        ..Request::of(&msg)
    };
    let host = name.ddns_hostname.as_ref().unwrap().evaluate(&request);
    assert_eq!(host, Some(Datum::Data(b"dhcp-198-18-0-100".to_vec())));
    let Action::Settings(ttl) = &actions[2] else {
        panic!("{actions:?}");
    };
    assert_eq!(
        ttl.ddns_ttl,
        Some(Expr::Const(600u32.to_be_bytes().to_vec()))
    );
    let Action::If(branches) = &actions[3] else {
        panic!("{actions:?}");
    };
    let [Action::Settings(off)] = branches[0].1.as_slice() else {
        panic!("{branches:?}");
    };
    assert_eq!(off.ddns_updates, Some(false));
}
