//! The statements dhcpd runs per request and per lease event, lowered and evaluated as dhcpd
//! runs them: `if` chains in every scope, `switch`, `set` variables, computed options and option
//! spaces, `on commit|release|expiry`, `log` and `execute`.

mod common;

use charrua_conf::{parse_config, NoIncludes};
use charrua_server::config::Match;
use charrua_wire::OptionCode;
use common::{ip, lower, lower_warned, settings_for};

/// The PXE idiom (Foreman, MAAS, Cobbler, LTSP): `if`/`elsif`/`else` chosen per request, as
/// dhcpd chooses (common/execute.c), with what a branch sets laid over the scope's settings.
#[test]
fn if_elsif_else_choose_settings_per_request() {
    let config = lower(
        r#"
        option arch code 93 = unsigned integer 16;
        subnet 198.18.0.0 netmask 255.255.255.0 {
          range 198.18.0.100 198.18.0.200;
          filename "plain";
          if exists user-class and option user-class = "iPXE" {
            filename "http://198.18.0.10/boot.ipxe";
          } elsif option arch = 00:07 {
            filename "ipxe.efi";
            next-server 198.18.0.11;
          } elsif substring(option vendor-class-identifier, 0, 9) = "PXEClient" {
            filename "undionly.kpxe";
          }
        }
        "#,
    );
    let file = |options: &[(u8, &[u8])]| {
        let params = settings_for(&config, options);
        (
            String::from_utf8(params.filename.unwrap()).unwrap(),
            params.next_server,
        )
    };
    assert_eq!(file(&[]), ("plain".into(), None));
    assert_eq!(
        file(&[(60, b"PXEClient:Arch:00000"), (93, &[0, 0])]),
        ("undionly.kpxe".into(), None)
    );
    assert_eq!(
        file(&[(60, b"PXEClient:Arch:00007"), (93, &[0, 7])]),
        ("ipxe.efi".into(), Some("198.18.0.11".parse().unwrap()))
    );
    assert_eq!(
        file(&[(77, b"iPXE"), (93, &[0, 7])]),
        ("http://198.18.0.10/boot.ipxe".into(), None)
    );
}

/// A chain with a condition charruad cannot evaluate yet is left out whole, with a warning,
/// never half acted on.
#[test]
fn a_chain_with_a_condition_not_evaluated_is_left_out_whole() {
    let lowered = parse_config(
        "test.conf",
        r#"subnet 198.18.0.0 netmask 255.255.255.0 {
          if option host-name = "a" { filename "a"; }
          elsif gethostname() = "b" { filename "b"; }
          else { filename "c"; }
        }
        "#
        .to_string(),
        &mut NoIncludes,
    );
    let config = lowered.config.unwrap();
    assert!(config.subnets[0].params.statements.is_empty());
    assert_eq!(lowered.diagnostics.len(), 2, "{:?}", lowered.diagnostics);
}

/// A class condition the match language has no form for is evaluated as an expression.
#[test]
fn other_class_conditions_are_evaluated_as_expressions() {
    let config = lower(
        r#"
        class "desks" { match if lcase(option host-name) = "desk-5"; filename "desk"; }
        subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.200; }
        "#,
    );
    let classes = |name: &[u8]| {
        let mut msg = charrua_wire::Message::default();
        msg.options.insert(OptionCode::HOST_NAME, name);
        config.classes_of(&charrua_server::config::Request::of(&msg))
    };
    assert!(matches!(config.classes[0].condition, Match::Expr(_)));
    assert_eq!(classes(b"DESK-5").len(), 1);
    assert!(classes(b"desk-6").is_empty());
}

/// `if` inside a class or a host is acted on too (a real configuration's PXE class).
#[test]
fn conditions_inside_classes_and_hosts_are_acted_on() {
    let config = lower(
        r#"
        option architecture-type code 93 = unsigned integer 16;
        class "pxeclients" {
          match if substring (option vendor-class-identifier, 0, 9) = "PXEClient";
          if option architecture-type = 00:07 { filename "syslinux.efi"; } else { filename "pxelinux.0"; }
        }
        host h { hardware ethernet 02:00:00:00:00:01; if exists user-class { filename "h"; } }
        subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.200; }
        "#,
    );
    assert_eq!(
        config.classes[0].params.statements.len(),
        1,
        "{:#?}",
        config.classes[0].params.statements
    );
    assert_eq!(config.hosts[0].params.statements.len(), 1);
}

/// A group's `if` applies to the subnets in it, and `else if` is `elsif`, as in dhcpd (two
/// real configurations: a group around subnets, and `} else if ... {`).
#[test]
fn group_conditions_reach_their_members_and_else_if_is_elsif() {
    let config = lower(
        r#"
        option arch code 93 = unsigned integer 16;
        group {
          if option arch = 00:07 { filename "efi"; } else if option arch = 00:0b { filename "arm"; } else { filename "bios"; }
          subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.200; next-server 198.18.0.2; }
        }
        "#,
    );
    let file = |arch: &[u8]| {
        let params = settings_for(&config, &[(93, arch)]);
        assert_eq!(params.next_server, Some(ip(2)));
        String::from_utf8(params.filename.unwrap()).unwrap()
    };
    assert_eq!(file(&[0, 7]), "efi");
    assert_eq!(file(&[0, 0x0b]), "arm");
    assert_eq!(file(&[0, 0]), "bios");
}

/// A subclass block's settings go to its members, over its class's (server/confpars.c).
#[test]
fn subclass_blocks_give_their_settings_to_their_members() {
    let config = lower(
        r#"
        class "vendors" { match option vendor-class-identifier; filename "class"; next-server 198.18.0.3; }
        subclass "vendors" "MSFT 5.0" { filename "msft"; }
        subclass "vendors" "other";
        subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.200; }
        "#,
    );
    let settings = |vendor: &[u8]| {
        let params = settings_for(&config, &[(60, vendor)]);
        (
            params.filename.map(|f| String::from_utf8(f).unwrap()),
            params.next_server,
        )
    };
    assert_eq!(settings(b"MSFT 5.0"), (Some("msft".into()), Some(ip(3))));
    assert_eq!(settings(b"other"), (Some("class".into()), Some(ip(3))));
    assert_eq!(settings(b"none"), (None, None));
}

/// The PXELINUX idiom (a real configuration's): options of the file's own space sent as site
/// options, and a parameter request list computed per request, as dhcpd has them.
#[test]
fn site_and_vendor_option_spaces_and_computed_options() {
    let config = lower(
        r#"
        option space pxelinux;
        option pxelinux.magic      code 208 = string;
        option pxelinux.configfile code 209 = text;
        option space sunw;
        option sunw.root-path code 2 = text;
        subnet 198.18.0.0 netmask 255.255.255.0 {
          range 198.18.0.100 198.18.0.200;
          site-option-space "pxelinux";
          vendor-option-space sunw;
          option pxelinux.magic f1:00:74:7e;
          option pxelinux.configfile "pxelinux.cfg";
          option sunw.root-path "/export";
          if exists dhcp-parameter-request-list {
            option dhcp-parameter-request-list = concat(option dhcp-parameter-request-list, d0, d1);
          }
        }
        "#,
    );
    let params = &config.subnets[0].params;
    let site = params.site_option_space.as_ref().unwrap();
    assert_eq!((site.name.as_str(), site.code_min), ("pxelinux", 208));
    assert_eq!(params.vendor_option_space.as_deref(), Some("sunw"));
    let pxelinux = &params.space_options["pxelinux"];
    assert_eq!(
        pxelinux.get(OptionCode(208)),
        Some(&[0xf1, 0, 0x74, 0x7e][..])
    );
    assert_eq!(pxelinux.get(OptionCode(209)), Some(&b"pxelinux.cfg"[..]));
    assert_eq!(
        params.space_options["sunw"].get(OptionCode(2)),
        Some(&b"/export"[..])
    );
    let evaluated = settings_for(&config, &[(55, &[1, 3])]);
    assert_eq!(
        evaluated.options.get(OptionCode::PARAMETER_REQUEST_LIST),
        Some(&[1, 3, 0xd0, 0xd1][..])
    );
}

/// `set` gives the request a variable that conditions of inner scopes read (a real
/// configuration: `set pxetype = option arch;` at the top, `if pxetype = 00:07` in a subnet).
#[test]
fn variables_set_in_outer_scopes_are_read_by_inner_conditions() {
    let config = lower(
        r#"
        option arch code 93 = unsigned integer 16;
        set pxetype = option arch;
        subnet 198.18.0.0 netmask 255.255.255.0 {
          range 198.18.0.100 198.18.0.200;
          if pxetype = 00:09 or pxetype = 00:07 { filename "efi"; } else { filename "bios"; }
        }
        "#,
    );
    let file = |arch: &[u8]| {
        String::from_utf8(settings_for(&config, &[(93, arch)]).filename.unwrap()).unwrap()
    };
    assert_eq!(file(&[0, 7]), "efi");
    assert_eq!(file(&[0, 0]), "bios");
}

/// `on` statements: each event's body, the innermost scope's winning; `else if` chains; a
/// statement charruad does not run is warned and left out, the rest of the body kept.
#[test]
fn on_statements_are_lowered_per_event_with_what_is_not_run_warned() {
    use charrua_server::config::{Action, LogPriority};
    let text = "on commit or release { log(info, \"outer\"); }\n\
                subnet 198.18.0.0 netmask 255.255.255.0 {\n\
                  range 198.18.0.100 198.18.0.150;\n\
                  on commit {\n\
                    set ip = binary-to-ascii(10, 8, \".\", leased-address);\n\
                    unset ip;\n\
                    if known { log(\"known\"); } else if exists host-name { log(\"named\"); } else { execute(\"/bin/x\", ip); }\n\
                  }\n\
                  on expiry;\n\
                }\n";
    let (config, warnings) = lower_warned(text);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("'unset'"), "{warnings:?}");
    let settings = settings_for(&config, &[]);
    let commit = settings.on_commit.expect("the subnet's on commit");
    assert!(matches!(&commit[0], Action::Set(name, _) if name == "ip"));
    assert!(matches!(&commit[1], Action::If(branches) if branches.len() == 3));
    // The global `on commit or release` is the release body still; `on expiry;` runs nothing.
    assert!(matches!(
        settings.on_release.as_deref(),
        Some([Action::Log(LogPriority::Info, _)])
    ));
    assert_eq!(settings.on_expiry, Some(Vec::new()));
}

/// `config-option` reads the options gathered for the client so far, as dhcpd runs the scopes
/// from the outermost in (server/dhcp.c `ack_lease`): the global scope's statements see the
/// global options only, a subnet's its own over them; `on commit` sees them all.
#[test]
fn config_option_reads_the_options_gathered_from_the_outermost_scope_in() {
    use charrua_server::config::{Action, Expr};
    let config = lower(
        r#"option domain-name "outer";
           if config-option domain-name = "outer" { filename "global-saw-outer"; }
           subnet 198.18.0.0 netmask 255.255.255.0 {
             option domain-name "sub";
             if config-option domain-name = "sub" { server-name "subnet-saw-sub"; }
             on commit { execute("/bin/x", config-option domain-name); }
           }"#,
    );
    let settings = settings_for(&config, &[]);
    assert_eq!(settings.filename.as_deref(), Some(&b"global-saw-outer"[..]));
    assert_eq!(
        settings.server_name.as_deref(),
        Some(&b"subnet-saw-sub"[..])
    );
    let commit = settings.on_commit.expect("on commit");
    assert!(matches!(
        &commit[..],
        [Action::Execute(_, args)] if args == &[Expr::ConfigOption(OptionCode::DOMAIN_NAME)]
    ));
}

/// `switch` as dhcpd runs it: a case to the first `break`, through the labels after it;
/// `default` when no case matches.
#[test]
fn switch_runs_a_case_to_its_break_and_default_otherwise() {
    let text = "switch (option vendor-class-identifier) {\n\
                  case \"a\": filename \"a\";\n\
                  case \"b\": server-name \"ab\"; break;\n\
                  case \"c\": filename \"c\"; break;\n\
                  default: filename \"other\";\n\
                }\n\
                subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.150; }\n";
    let lowered = parse_config("switch.conf", text.to_string(), &mut NoIncludes);
    assert!(lowered.diagnostics.is_empty(), "{:?}", lowered.diagnostics);
    let config = lowered.config.as_ref().unwrap();
    let vendor = |v: &[u8]| settings_for(config, &[(60, v)]);
    let a = vendor(b"a");
    assert_eq!(
        (a.filename.as_deref(), a.server_name.as_deref()),
        (Some(&b"a"[..]), Some(&b"ab"[..]))
    );
    let b = vendor(b"b");
    assert_eq!(
        (b.filename.as_deref(), b.server_name.as_deref()),
        (None, Some(&b"ab"[..]))
    );
    assert_eq!(vendor(b"c").filename.as_deref(), Some(&b"c"[..]));
    assert_eq!(vendor(b"z").filename.as_deref(), Some(&b"other"[..]));
    assert_eq!(
        settings_for(config, &[]).filename.as_deref(),
        Some(&b"other"[..])
    );
}

/// `log` and `execute` in a scope run for each reply, outermost scope first, `if` branches
/// taken too.
#[test]
fn log_and_execute_in_scopes_run_for_each_reply() {
    use charrua_server::config::{Effect, LogPriority, SubnetId};
    let text = "log(info, \"global\");\n\
                subnet 198.18.0.0 netmask 255.255.255.0 {\n\
                  range 198.18.0.100 198.18.0.150;\n\
                  if exists host-name { execute(\"/bin/x\", option host-name); } else { log(error, \"no name\"); }\n\
                }\n";
    let lowered = parse_config("log.conf", text.to_string(), &mut NoIncludes);
    assert!(lowered.diagnostics.is_empty(), "{:?}", lowered.diagnostics);
    let config = lowered.config.as_ref().unwrap();
    let mut msg = charrua_wire::Message::default();
    let effects = |msg: &charrua_wire::Message| {
        let request = charrua_server::config::Request::of(msg);
        config.scope_effects(Some(SubnetId(0)), None, &[], None, &request)
    };
    assert_eq!(
        effects(&msg),
        [
            Effect::Log(LogPriority::Info, "global".into()),
            Effect::Log(LogPriority::Error, "no name".into()),
        ]
    );
    msg.options.insert(OptionCode::HOST_NAME, b"pc");
    assert_eq!(
        effects(&msg)[1],
        Effect::Execute {
            program: "/bin/x".into(),
            args: vec!["pc".into()],
        }
    );
}
