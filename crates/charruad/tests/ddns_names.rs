//! Dynamic DNS with hostile host names (docs/ddns.md sections 3.2 and 10), in the lab of
//! `lab/ddns.rs`, ISC dhcpd as the judge: hostile host names are not registered verbatim, clean
//! ones as ISC registers them. Every process is started by the test and killed by pid.

mod lab;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lab::ddns::{config, has, reverse, udhcpc_once, Holders, Server, Site, TOOLS};
use lab::eventually;
use lab::named::FORWARD;

/// A client of the hostile-names run: its label, udhcpc's arguments, and whether ISC
/// registers its name (clean) or not.
struct Hostile {
    label: &'static str,
    args: Vec<String>,
    clean: bool,
}

/// `bytes` as udhcpc's `-x 0xCODE:HEX` argument.
fn raw_option(code: u8, bytes: &[u8]) -> Vec<String> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    vec!["-x".into(), format!("0x{code:02x}:{hex}")]
}

/// An option 81 in wire form (E) with the server asked to update (S): flags, RCODE1/2,
/// labels.
fn wire_fqdn(labels: &[&str]) -> Vec<u8> {
    let mut o = vec![0x05, 0, 0];
    for l in labels {
        o.push(u8::try_from(l.len()).unwrap());
        o.extend_from_slice(l.as_bytes());
    }
    o.push(0);
    o
}

fn hostile_clients() -> Vec<Hostile> {
    let host = |label, name: &[u8], clean| Hostile {
        label,
        args: raw_option(12, name),
        clean,
    };
    let a64 = "a".repeat(64);
    let b60 = "b".repeat(60);
    let long = format!("{b60}.{b60}.{b60}.{b60}");
    let mut fqdn_then_host = raw_option(81, &wire_fqdn(&[&a64, "lab", "example"]));
    fqdn_then_host.extend(["-x".to_string(), "hostname:hotel".to_string()]);
    let mut client_path = b"\0\0\0".to_vec();
    client_path.extend_from_slice(b"www.bank.test.");
    let mut other_zone = b"\x01\0\0".to_vec();
    other_zone.extend_from_slice(b"india.other.zone.");
    vec![
        host("underscore", b"bad_name", false),
        host("space", b"has space", false),
        host("label64", a64.as_bytes(), false),
        host("wildcard", b"*", false),
        host("emptylabel", b"a..b", false),
        host("nul", b"ab\0cd", false),
        host("utf8", "caf\u{e9}".as_bytes(), false),
        host("escape", b"a\\046b", false),
        host("trailingdot", b"evil.", false),
        host("toolong", long.as_bytes(), false),
        Hostile {
            label: "fqdnlabel64",
            args: raw_option(81, &wire_fqdn(&[&a64, "lab", "example"])),
            clean: false,
        },
        // Clean names: registered by ISC, so by charruad the same.
        host("dotted", b"x.other.zone", true),
        Hostile {
            label: "fallback",
            args: fqdn_then_host,
            clean: true,
        },
        Hostile {
            label: "clientpath",
            args: raw_option(81, &client_path),
            clean: true,
        },
        Hostile {
            label: "otherzone",
            args: raw_option(81, &other_zone),
            clean: true,
        },
        host("juliet", b"juliet", true),
    ]
}

/// Whether `name` is a host name of letters, digits and hyphens under lab.example.
fn sane(name: &str) -> bool {
    let Some(host) = name
        .to_ascii_lowercase()
        .strip_suffix(&format!(".{FORWARD}"))
        .map(str::to_string)
    else {
        return false;
    };
    host.split('.').all(|l| {
        !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// What a server did with the hostile names: every client's lease, then the records (owner
/// and PTR target) by client label, addresses named, and the DDNS log lines.
fn hostile(server: Server) -> (BTreeMap<&'static str, Vec<String>>, Vec<String>) {
    let mut site = Site::start(
        server,
        &config("interim", "hmac-sha256", 600),
        "hmac-sha256",
    );
    let ns = site.lab.client("02:00:00:00:d5:00");
    let clients = hostile_clients();
    let mut holders = Holders::default();
    let mut addresses = BTreeMap::new();
    for (i, c) in clients.iter().enumerate() {
        let mac = format!("02:00:00:00:d5:{:02x}", i + 1);
        site.lab
            .exec(&ns, 5, &["ip", "link", "set", "eth0", "address", &mac]);
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let start = Instant::now();
        let address = udhcpc_once(&site, &ns, &args).unwrap_or_else(|| {
            panic!(
                "{server:?}: no lease for {} ({:?})\n{}",
                c.label,
                c.args,
                site.logs()
            )
        });
        eprintln!(
            "{server:?}: {} leased {address} in {:?}",
            c.label,
            start.elapsed()
        );
        holders.add(address, c.label);
        addresses.insert(c.label, address);
    }
    // The last client, a clean name, is registered once everything before it was handled.
    let juliet = addresses["juliet"];
    let done = eventually(10, || {
        has(
            &site.named.registered(),
            &reverse(juliet),
            "PTR",
            Some("juliet.lab.example."),
        )
    });
    assert!(done, "{server:?}: juliet not registered\n{}", site.logs());
    std::thread::sleep(Duration::from_millis(500));
    let records = site.named.registered();
    let mut by_client = BTreeMap::new();
    for c in &clients {
        let address = addresses[c.label];
        let mine: Vec<String> = records
            .iter()
            .filter(|r| {
                let f: Vec<&str> = r.splitn(4, ' ').collect();
                f.len() == 4 && (f[3] == address.to_string() || f[0] == reverse(address))
            })
            .map(|r| holders.name(r))
            .collect();
        by_client.insert(c.label, mine);
    }
    // The TXT guards of A records live under their names: add those.
    for mine in by_client.values_mut() {
        let owners: Vec<String> = mine
            .iter()
            .filter(|r| r.split(' ').nth(2) == Some("A"))
            .map(|r| r.split(' ').next().unwrap_or_default().to_string())
            .collect();
        for r in &records {
            let f: Vec<&str> = r.splitn(4, ' ').collect();
            if f.len() == 4 && f[2] != "A" && f[2] != "PTR" && owners.iter().any(|o| o == f[0]) {
                mine.push(r.clone());
            }
        }
        mine.sort();
    }
    let log = holders.names(&site.ddns_log());
    site.stop();
    (by_client, log)
}

/// Host names outside the host name alphabet, over-long labels and names, names of other
/// zones (docs/ddns.md 3.2): ISC sanitises nothing, so BIND's check-names refuses most, the
/// unbuildable ones are not sent, and `*` becomes a wildcard record; charruad must register
/// nothing but sanitised host names under lab.example. for them (what it registered is
/// printed), and the clean ones (a dotted host name, option 81 falling back to option 12, the
/// client path's PTR to a name of another zone, option 81 naming another zone) as ISC does.
/// Every client is served throughout.
#[test]
fn hostile_names_are_not_registered_verbatim() {
    if lab::skip(TOOLS) {
        return;
    }
    let clean: BTreeMap<&str, bool> = hostile_clients()
        .into_iter()
        .map(|c| (c.label, c.clean))
        .collect();
    let (want, want_log) = hostile(Server::Isc);
    eprintln!("ISC dhcpd: {want:#?}\n{want_log:#?}");
    for (label, records) in &want {
        // Clean names are registered; hostile ones are refused or unbuildable, except "*",
        // which BIND takes as a wildcard owner (its PTR is refused by check-names).
        let expected = clean[label] || *label == "wildcard";
        assert_eq!(!records.is_empty(), expected, "ISC, {label}: {records:#?}");
    }
    let (got, got_log) = hostile(Server::Charruad);
    eprintln!("charruad: {got:#?}\n{got_log:#?}");
    for (label, records) in &got {
        if clean[label] {
            assert_eq!(
                records, &want[label],
                "{label}: as ISC registers it\n{got_log:#?}"
            );
            continue;
        }
        // Anything registered for a hostile name is a sanitised host name in lab.example.
        for r in records {
            let f: Vec<&str> = r.splitn(4, ' ').collect();
            let name = if f[2] == "PTR" { f[3] } else { f[0] };
            assert!(
                sane(name),
                "{label}: {r} is not a sanitised name\n{got_log:#?}"
            );
        }
    }
}
