//! `charruad -t --print`: the configuration as charruad understood it, written back in
//! dhcpd.conf form: every scope with the settings it sets itself (host names already looked up
//! when serving, the statements charruad does not act on left out, and what it evaluates per
//! request named in comments), so that an operator sees
//! what will be served. The dynamic DNS settings, read for the updates to come, are written
//! too, keys as comments without their secret.

use std::fmt::Write;

use charrua_server::config::{
    Arithmetic, Class, Config, Ddns, Expr, Host, Match, Params, Permit, Pool,
};
use charrua_wire::options::{lookup, relay, text};
use charrua_wire::{OptionCode, Value};

/// The name a printed definition gives an option the table does not know.
fn defined_name(code: u8) -> String {
    format!("charrua-option-{code}")
}

/// Every scope's settings.
fn all_params(config: &Config) -> impl Iterator<Item = &Params> {
    std::iter::once(&config.global)
        .chain(config.classes.iter().map(|c| &c.params))
        .chain(config.networks.iter().map(|n| &n.params))
        .chain(config.subnets.iter().map(|s| &s.params))
        .chain(config.pools.iter().map(|p| &p.params))
        .chain(config.hosts.iter().map(|h| &h.params))
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    let _ = text::write_hex(&mut out, bytes);
    out
}

fn quoted(bytes: &[u8]) -> String {
    let mut out = String::new();
    let _ = text::write_quoted(&mut out, bytes);
    out
}

/// An option's name in an expression: the table's, else dhcpd's `unknown-N`.
fn option_name(code: OptionCode) -> String {
    lookup(code).map_or_else(|| format!("unknown-{}", code.0), |d| d.name.to_string())
}

/// A relay agent sub-option's name (`agent.NAME`), else its number.
fn agent_name(code: u8) -> String {
    relay::sub_option_name(code).map_or_else(|| format!("unknown-{code}"), str::to_string)
}

/// A constant: quoted text when it is printable, else colon-separated hex.
fn constant(octets: &[u8]) -> String {
    if !octets.is_empty() && octets.iter().all(|b| (0x20..0x7f).contains(b)) {
        quoted(octets)
    } else {
        hex(octets)
    }
}

/// `e` in dhcp-eval(5)'s syntax.
fn expression(e: &Expr) -> String {
    let call = |name: &str, args: &[&Expr]| {
        let args: Vec<String> = args.iter().map(|a| expression(a)).collect();
        format!("{name}({})", args.join(", "))
    };
    match e {
        Expr::Option(code) => format!("option {}", option_name(*code)),
        Expr::AgentOption(code) => format!("option agent.{}", agent_name(*code)),
        Expr::FqdnOption(field) => format!("option fqdn.{}", field.name()),
        Expr::Hardware => "hardware".into(),
        Expr::Const(octets) => constant(octets),
        Expr::Substring(a, b, c) => call("substring", &[a, b, c]),
        Expr::Suffix(a, b) => call("suffix", &[a, b]),
        Expr::Concat(a, b) => call("concat", &[a, b]),
        Expr::BinaryToAscii(a, b, c, d) => call("binary-to-ascii", &[a, b, c, d]),
        Expr::Lcase(a) => call("lcase", &[a]),
        Expr::Ucase(a) => call("ucase", &[a]),
        Expr::PickFirst(all) => call("pick-first-value", &all.iter().collect::<Vec<_>>()),
        Expr::EncodeInt(a, width) => format!("encode-int({}, {width})", expression(a)),
        Expr::ExtractInt(a, width) => format!("extract-int({}, {width})", expression(a)),
        Expr::HostDeclName => "host-decl-name".into(),
        Expr::ConfigOption(code) => format!("config-option {}", option_name(*code)),
        Expr::LeasedAddress => "leased-address".into(),
        Expr::Packet(a, b) => call("packet", &[a, b]),
        Expr::Number(n) => n.to_string(),
        Expr::Arithmetic(op, a, b) => {
            let op = match op {
                Arithmetic::Add => "+",
                Arithmetic::Subtract => "-",
                Arithmetic::Multiply => "*",
                Arithmetic::Divide => "/",
                Arithmetic::Remainder => "%",
                Arithmetic::And => "&",
                Arithmetic::Or => "|",
                Arithmetic::Xor => "^",
            };
            format!("({} {op} {})", expression(a), expression(b))
        }
        Expr::Equal(a, b) => format!("({} = {})", expression(a), expression(b)),
        Expr::And(a, b) => format!("({} and {})", expression(a), expression(b)),
        Expr::Or(a, b) => format!("({} or {})", expression(a), expression(b)),
        Expr::Not(a) => format!("not {}", expression(a)),
        Expr::Exists(code) => format!("exists {}", option_name(*code)),
        Expr::AgentExists(code) => format!("exists agent.{}", agent_name(*code)),
        Expr::FqdnExists(field) => format!("exists fqdn.{}", field.name()),
        Expr::Known => "known".into(),
        Expr::Variable(name) => name.clone(),
        Expr::Reverse(a, b) => call("reverse", &[a, b]),
        Expr::Static => "static".into(),
        Expr::Defined(name) => format!("defined({name})"),
        Expr::LeaseTime => "lease-time".into(),
        Expr::Null => "null".into(),
        Expr::Regex(a, pattern) => format!(
            "({} {} {})",
            expression(a),
            if pattern.case_insensitive { "~~" } else { "~=" },
            expression(&pattern.source)
        ),
    }
}

/// The server-wide DDNS settings, when they are not dhcpd's defaults: keys in comments with
/// their secrets left out, zones with their servers' addresses.
fn ddns(out: &mut String, d: &Ddns) {
    if *d == Ddns::default() {
        return;
    }
    let _ = writeln!(out, "ddns-update-style {};", d.style.name());
    let on = |yes: bool| if yes { "true" } else { "false" };
    match d.conflict_detection {
        None => out.push_str("update-conflict-detection false;\n"),
        Some(rules) => {
            for (name, value, default) in [
                ("ddns-guard-id-must-match", rules.guard_id_must_match, true),
                (
                    "ddns-dual-stack-mixed-mode",
                    rules.dual_stack_mixed_mode,
                    false,
                ),
                (
                    "ddns-other-guard-is-dynamic",
                    rules.other_guard_is_dynamic,
                    false,
                ),
            ] {
                if value != default {
                    let _ = writeln!(out, "{name} {};", on(value));
                }
            }
        }
    }
    if let Some(a) = d.local_address4 {
        let _ = writeln!(out, "ddns-local-address4 {a};");
    }
    if let Some(a) = d.local_address6 {
        let _ = writeln!(out, "ddns-local-address6 {a};");
    }
    // Keys are said in comments, their secrets left out (so the print is no key file; the
    // zones' `key` lines are comments too).
    for key in &d.keys {
        let _ = writeln!(
            out,
            "# key {} {{ algorithm {}; secret \"<redacted>\"; }}",
            quoted(key.name.as_bytes()),
            key.algorithm
        );
    }
    for zone in &d.zones {
        let _ = writeln!(out, "zone {} {{", zone.name);
        let list = |addresses: Vec<String>| addresses.join(", ");
        for (name, addresses) in [
            (
                "primary",
                list(zone.primary.iter().map(ToString::to_string).collect()),
            ),
            (
                "secondary",
                list(zone.secondary.iter().map(ToString::to_string).collect()),
            ),
            (
                "primary6",
                list(zone.primary6.iter().map(ToString::to_string).collect()),
            ),
            (
                "secondary6",
                list(zone.secondary6.iter().map(ToString::to_string).collect()),
            ),
        ] {
            if !addresses.is_empty() {
                let _ = writeln!(out, "  {name} {addresses};");
            }
        }
        if let Some(key) = &zone.key {
            let _ = writeln!(out, "  # key {};", quoted(key.name.as_bytes()));
        }
        out.push_str("}\n");
    }
}

/// The statements `params` sets itself, each on a line indented by `pad`.
fn params(out: &mut String, p: &Params, pad: &str) {
    // (A comment, for what is not written back, takes no semicolon.)
    let mut line = |s: String| {
        let end = if s.starts_with('#') { "" } else { ";" };
        let _ = writeln!(out, "{pad}{s}{end}");
    };
    let times = [
        ("default-lease-time", p.default_lease_time),
        ("min-lease-time", p.min_lease_time),
        ("max-lease-time", p.max_lease_time),
        ("dynamic-bootp-lease-length", p.bootp_lease_time),
    ];
    for (name, value) in times {
        match value {
            Some(u32::MAX) => line(format!("{name} infinite")),
            Some(v) => line(format!("{name} {v}")),
            None => {}
        }
    }
    for (name, value) in [
        ("option dhcp-renewal-time", p.renewal_time),
        ("option dhcp-rebinding-time", p.rebinding_time),
        ("dhcp-cache-threshold", p.cache_threshold.map(u32::from)),
        ("ping-timeout", p.ping_timeout),
        ("ping-timeout-ms", p.ping_timeout_ms),
        ("ping-cltt-secs", p.ping_cltt_secs),
    ] {
        if let Some(v) = value {
            line(format!("{name} {v}"));
        }
    }
    let flags = [
        (
            "authoritative",
            p.authoritative,
            "authoritative",
            "not authoritative",
        ),
        ("bootp", p.bootp, "allow bootp", "deny bootp"),
        ("booting", p.booting, "allow booting", "deny booting"),
        (
            "unknown",
            p.boot_unknown_clients,
            "boot-unknown-clients true",
            "boot-unknown-clients false",
        ),
        (
            "rapid",
            p.rapid_commit,
            "option rapid-commit on",
            "option rapid-commit off",
        ),
        ("ping", p.ping_check, "ping-check true", "ping-check false"),
        (
            "echo",
            p.echo_client_id,
            "echo-client-id true",
            "echo-client-id false",
        ),
        (
            "names",
            p.use_host_decl_names,
            "use-host-decl-names true",
            "use-host-decl-names false",
        ),
    ];
    for (_, value, yes, no) in flags {
        if let Some(v) = value {
            line(if v { yes } else { no }.to_string());
        }
    }
    if let Some(a) = p.next_server {
        line(format!("next-server {a}"));
    }
    if let Some(a) = p.server_identifier {
        line(format!("server-identifier {a}"));
    }
    if let Some(f) = &p.filename {
        line(format!("filename {}", quoted(f)));
    }
    if let Some(s) = &p.server_name {
        line(format!("server-name {}", quoted(s)));
    }
    for (code, raw) in p.options.iter() {
        match lookup(code).map(|def| (def, Value::decode(def.format, code, raw))) {
            // Set to nothing (an empty value, or host names that did not resolve): not sent.
            Some((def, _)) if raw.is_empty() && def.format != charrua_wire::Format::Empty => {
                match def.format {
                    charrua_wire::Format::Text | charrua_wire::Format::Bytes => {
                        line(format!("option {} \"\"", def.name))
                    }
                    _ => line(format!("# option {}: not sent here", def.name)),
                }
            }
            Some((def, Ok(value))) => line(format!("option {} {value}", def.name)),
            _ => line(format!("option {} {}", defined_name(code.0), hex(raw))),
        }
    }
    // Dynamic DNS, per client: constants as written, expressions in dhcp-eval(5) form.
    for (name, value) in [
        ("ddns-hostname", &p.ddns_hostname),
        ("ddns-domainname", &p.ddns_domainname),
        ("ddns-rev-domainname", &p.ddns_rev_domainname),
    ] {
        match value {
            Some(Expr::Const(octets)) => line(format!("{name} {}", quoted(octets))),
            Some(e) => line(format!("{name} = {}", expression(e))),
            None => {}
        }
    }
    match &p.ddns_ttl {
        Some(Expr::Const(octets)) => match <[u8; 4]>::try_from(octets.as_slice()) {
            Ok(ttl) => line(format!("ddns-ttl {}", u32::from_be_bytes(ttl))),
            Err(_) => line(format!("ddns-ttl = {}", hex(octets))),
        },
        Some(e) => line(format!("ddns-ttl = {}", expression(e))),
        None => {}
    }
    if let Some(who) = p.client_updates {
        line(format!("{} client-updates", who.name()));
    }
    for (name, value) in [
        ("ddns-updates", p.ddns_updates),
        ("update-optimization", p.update_optimization),
        ("update-static-leases", p.update_static_leases),
        ("do-forward-updates", p.do_forward_updates),
        ("do-reverse-updates", p.do_reverse_updates),
        ("fqdn-reply", p.fqdn_reply),
    ] {
        if let Some(v) = value {
            line(format!("{name} {}", if v { "true" } else { "false" }));
        }
    }
    // What the model holds that is not written back here, said so.
    let site = p.site_option_space.as_ref().map(|s| s.name.as_str());
    for (what, name) in [
        ("site-option-space", site),
        ("vendor-option-space", p.vendor_option_space.as_deref()),
    ] {
        if let Some(name) = name {
            line(format!("# {what} {name} (its options are sent from it)"));
        }
    }
    for (space, options) in &p.space_options {
        let count = options.iter().count();
        line(format!("# {count} option(s) of space {space}"));
    }
    for (event, body) in [
        ("commit", &p.on_commit),
        ("release", &p.on_release),
        ("expiry", &p.on_expiry),
    ] {
        if let Some(body) = body {
            line(format!("# on {event}: {} statement(s) run", body.len()));
        }
    }
    if !p.statements.is_empty() {
        let count = p.statements.len();
        line(format!(
            "# {count} statement(s) evaluated per request (if, set, computed options)"
        ));
    }
}

/// A class's condition as a `match` statement, or as a comment where the model's condition has
/// no single ISC expression written here.
fn condition(m: &Match) -> String {
    match m {
        Match::VendorClass(v) => {
            format!("match if option vendor-class-identifier = {};", quoted(v))
        }
        Match::VendorClassPrefix(v) => format!(
            "match if substring (option vendor-class-identifier, 0, {}) = {};",
            v.len(),
            quoted(v)
        ),
        Match::Known => "match if known;".into(),
        other => format!("# matches {other:?}"),
    }
}

fn class(out: &mut String, c: &Class) {
    let _ = writeln!(out, "class {} {{", quoted(c.name.as_bytes()));
    let _ = writeln!(out, "  {}", condition(&c.condition));
    params(out, &c.params, "  ");
    out.push_str("}\n");
}

fn permit(config: &Config, p: &Permit) -> String {
    match p {
        Permit::KnownClients => "known-clients".into(),
        Permit::UnknownClients => "unknown-clients".into(),
        Permit::DynamicBootp => "dynamic bootp clients".into(),
        Permit::All => "all clients".into(),
        Permit::After(u64::MAX) => "after never".into(),
        Permit::After(moment) => format!("after epoch {moment}"),
        Permit::Authenticated => "authenticated clients".into(),
        Permit::Class(id) => config.classes.get(id.0 as usize).map_or_else(
            || "members of ?".into(),
            |c| format!("members of {}", quoted(c.name.as_bytes())),
        ),
    }
}

fn pool(out: &mut String, config: &Config, p: &Pool) {
    out.push_str("    pool {\n");
    for (first, last) in &p.ranges {
        let _ = writeln!(out, "      range {first} {last};");
    }
    for a in &p.allow {
        let _ = writeln!(out, "      allow {};", permit(config, a));
    }
    for d in &p.deny {
        let _ = writeln!(out, "      deny {};", permit(config, d));
    }
    params(out, &p.params, "      ");
    out.push_str("    }\n");
}

fn host(out: &mut String, h: &Host) {
    let _ = writeln!(out, "host {} {{", h.name);
    if let Some((htype, addr)) = &h.hardware {
        let kind = charrua_conf::hardware::name_of(*htype);
        let _ = writeln!(out, "  hardware {kind} {};", hex(addr));
    }
    if let Some(id) = &h.client_id {
        let _ = writeln!(out, "  option dhcp-client-identifier {};", hex(id));
    }
    if !h.fixed_addresses.is_empty() {
        let list: Vec<String> = h.fixed_addresses.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "  fixed-address {};", list.join(", "));
    }
    params(out, &h.params, "  ");
    out.push_str("}\n");
}

/// The configuration in dhcpd.conf form.
pub(crate) fn render(config: &Config) -> String {
    let mut out = String::from("# The configuration as charruad understood it.\n");
    let s = &config.server;
    let _ = writeln!(
        out,
        "# offers held {} s; declined addresses unavailable {} s; at most {} relay hops\n",
        s.offer_hold, s.decline_probation, s.max_hops
    );
    // Options the table does not know were defined in the file; their values are octets.
    let mut undefined: Vec<u8> = all_params(config)
        .flat_map(|p| p.options.iter().map(|(code, _)| code))
        .filter(|code| lookup(*code).is_none())
        .map(|code| code.0)
        .collect();
    undefined.sort_unstable();
    undefined.dedup();
    for code in undefined {
        let _ = writeln!(out, "option {} code {code} = string;", defined_name(code));
    }
    ddns(&mut out, &config.ddns);
    params(&mut out, &config.global, "");
    for c in &config.classes {
        class(&mut out, c);
    }
    for network in &config.networks {
        let _ = writeln!(out, "shared-network {} {{", quoted(network.name.as_bytes()));
        params(&mut out, &network.params, "  ");
        for id in &network.subnets {
            let Some(subnet) = config.subnet(*id) else {
                continue;
            };
            let _ = writeln!(
                out,
                "  subnet {} netmask {} {{",
                subnet.net.network(),
                subnet.net.netmask()
            );
            params(&mut out, &subnet.params, "    ");
            for p in subnet.pools.iter().filter_map(|p| config.pool(*p)) {
                pool(&mut out, config, p);
            }
            out.push_str("  }\n");
        }
        out.push_str("}\n");
    }
    for h in &config.hosts {
        host(&mut out, h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;
    use charrua_conf::{parse_config, NoIncludes};

    fn printed(text: &str) -> String {
        let lowered = parse_config("test.conf", text.to_string(), &mut NoIncludes);
        render(&lowered.config.expect("accepted"))
    }

    /// The DDNS settings read are shown: server-wide ones, keys without their secret, zones,
    /// and each scope's, expressions in dhcp-eval(5) form.
    #[test]
    fn ddns_settings_are_shown_and_secrets_are_not() {
        let out = printed(
            r#"
            ddns-update-style interim;
            ddns-dual-stack-mixed-mode true;
            key "ddns-key" { algorithm hmac-sha256; secret "c2VjcmV0LXNlY3JldC1zZWNyZXQ="; }
            zone example.test { primary 198.18.0.53, 198.18.0.54; primary6 2001:db8::53; key ddns-key; }
            ddns-hostname = concat("dhcp-", binary-to-ascii(10, 8, "-", leased-address));
            ddns-ttl 300;
            ignore client-updates;
            subnet 198.18.0.0 netmask 255.255.255.0 {
              range 198.18.0.100 198.18.0.120;
              ddns-domainname "example.test.";
              ddns-ttl = encode-int(60, 32);
              update-static-leases on;
            }
            "#,
        );
        for expected in [
            "ddns-update-style interim;\n",
            "ddns-dual-stack-mixed-mode true;\n",
            "# key \"ddns-key\" { algorithm hmac-sha256; secret \"<redacted>\"; }\n",
            "zone example.test. {\n  primary 198.18.0.53, 198.18.0.54;\n  primary6 2001:db8::53;\n  # key \"ddns-key\";\n}\n",
            "ddns-hostname = concat(\"dhcp-\", binary-to-ascii(10, 8, \"-\", leased-address));\n",
            "ddns-ttl 300;\n",
            "ignore client-updates;\n",
            "    ddns-domainname \"example.test.\";\n",
            "    ddns-ttl = encode-int(60, 32);\n",
            "    update-static-leases true;\n",
        ] {
            assert!(out.contains(expected), "{expected:?} not in:\n{out}");
        }
        assert!(!out.contains("c2VjcmV0"), "{out}");
    }

    /// Without DDNS statements, nothing of DDNS is printed.
    #[test]
    fn dhcpds_ddns_defaults_print_nothing() {
        let out =
            printed("subnet 198.18.0.0 netmask 255.255.255.0 { range 198.18.0.100 198.18.0.120; }");
        assert!(!out.contains("ddns") && !out.contains("zone"), "{out}");
    }
}
