//! The `--script` hook, in the style of dhclient-script: the program is run with the event as
//! `reason` and the lease's values as environment variables (`new_ip_address`,
//! `new_subnet_mask`, `new_routers`, ...; `old_ip_address` for the address given up). It is
//! executed directly, never through a shell, so option contents cannot become commands.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use charrua_client::Lease;

fn list(ips: &[Ipv4Addr]) -> String {
    ips.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Environment variables for `lease`, named as dhclient-script names them.
pub(crate) fn variables(lease: &Lease) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("new_ip_address", lease.address.to_string()),
        ("new_dhcp_server_identifier", lease.server.to_string()),
        ("new_dhcp_lease_time", lease.lease_time.to_string()),
        ("new_dhcp_renewal_time", lease.renewal_time.to_string()),
        ("new_dhcp_rebinding_time", lease.rebinding_time.to_string()),
    ];
    if let Some(mask) = lease.subnet_mask {
        vars.push(("new_subnet_mask", mask.to_string()));
    }
    if !lease.routers.is_empty() {
        vars.push(("new_routers", list(&lease.routers)));
    }
    if !lease.dns_servers.is_empty() {
        vars.push(("new_domain_name_servers", list(&lease.dns_servers)));
    }
    if let Some(domain) = &lease.domain_name {
        vars.push(("new_domain_name", domain.clone()));
    }
    if !lease.domain_search.is_empty() {
        vars.push(("new_domain_search", lease.domain_search.join(" ")));
    }
    if let Some(mtu) = lease.mtu {
        vars.push(("new_interface_mtu", mtu.to_string()));
    }
    if let Some(broadcast) = lease.broadcast {
        vars.push(("new_broadcast_address", broadcast.to_string()));
    }
    if !lease.classless_routes.is_empty() {
        // RFC 3442 in dhclient's form: "prefix.len dest-octets router" flattened to numbers.
        let routes: Vec<String> = lease
            .classless_routes
            .iter()
            .map(|r| format!("{}/{} {}", r.destination, r.prefix_len, r.router))
            .collect();
        vars.push(("new_classless_static_routes", routes.join(" ")));
    }
    vars
}

/// Runs `script` for `reason` on `interface`, with the new lease and the address given up.
pub(crate) fn run(
    script: &Path,
    reason: &str,
    interface: &str,
    new: Option<&Lease>,
    old: Option<Ipv4Addr>,
) {
    let mut command = Command::new(script);
    command.env("reason", reason).env("interface", interface);
    if let Some(lease) = new {
        command.envs(variables(lease));
    }
    if let Some(old) = old {
        command.env("old_ip_address", old.to_string());
    }
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => eprintln!("charrua-client: {} {reason}: {status}", script.display()),
        Err(e) => eprintln!("charrua-client: {}: {e}", script.display()),
    }
}
