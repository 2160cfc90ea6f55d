//! `charruad -t --print`: the configuration as charruad understood it, written back in
//! dhcpd.conf form: every scope with the settings it sets itself (host names already looked up
//! when serving, the statements charruad does not act on left out, and what it evaluates per
//! request named in comments), so that an operator sees
//! what will be served.

use std::fmt::Write;

use charrua_server::config::{Class, Config, Host, Match, Params, Permit, Pool};
use charrua_wire::options::{lookup, text};
use charrua_wire::Value;

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
