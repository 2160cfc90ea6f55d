//! Dynamic DNS when the DNS server fails (docs/ddns.md sections 7 and 8), in the lab of
//! `lab/ddns.rs`, ISC dhcpd as the judge: a DNS server that is down costs no reply time
//! (latencies printed, not asserted); a DNS server that answers with an error (REFUSED,
//! NOTAUTH, a TSIG error) costs none either, registers nothing, and is logged as ISC logs it
//! and counted in charruad's metrics. Every process is started by the test and killed by pid.

mod lab;

use std::time::{Duration, Instant};

use lab::ddns::{config, doras, latencies, Dora, Holders, Server, Site, TOOLS};
use lab::eventually;
use lab::named::{ADDRESS, FORWARD, KEY};

/// How many DORAs each phase plays.
const LOAD: u8 = 10;

/// `LOAD` DORAs with the DNS server up, then `LOAD` more once it is gone: every reply must
/// come; the failures are logged once the updates time out. The DDNS error lines (addresses
/// named) and when the first came after the last ACK.
fn dns_down(server: Server) -> (Vec<String>, Duration) {
    let mut site = Site::start(
        server,
        &config("interim", "hmac-sha256", 600),
        "hmac-sha256",
    );
    let ns = site.lab.client("02:00:00:00:d4:00");
    site.lab.exec(
        &ns,
        5,
        &["ip", "addr", "add", "198.18.0.9/24", "dev", "eth0"],
    );
    let clients = |from: u8| -> Vec<([u8; 6], String)> {
        (from..from + LOAD)
            .map(|i| ([2, 0, 0, 0, 0xd4, i + 1], format!("load{i:02}")))
            .collect()
    };
    let mut holders = Holders::default();
    let mut play = |site: &Site, from: u8| -> Vec<Dora> {
        doras(&ns, clients(from))
            .into_iter()
            .zip(clients(from))
            .map(|(d, (_, name))| {
                let d =
                    d.unwrap_or_else(|| panic!("{server:?}: no reply to {name}\n{}", site.logs()));
                holders.add(d.address, &name);
                d
            })
            .collect()
    };
    let up = play(&site, 0);
    let all_in = eventually(10, || {
        site.named
            .registered()
            .iter()
            .filter(|r| r.contains(" PTR load"))
            .count()
            == usize::from(LOAD)
    });
    assert!(
        all_in,
        "{server:?}: not every client registered\n{}",
        site.logs()
    );
    site.named.stop();
    let down = play(&site, LOAD);
    let last_ack = Instant::now();
    eprintln!(
        "{server:?}: {LOAD} DORAs with the DNS server up: {}",
        latencies(&up)
    );
    eprintln!(
        "{server:?}: {LOAD} DORAs with the DNS server down: {}",
        latencies(&down)
    );
    // ISC gives up on each update after 4 sends 3 s apart (docs/ddns.md section 7): the
    // failures, each once (a server retrying later may log one again), addresses named.
    let failures = |site: &Site| {
        let mut lines = holders.names(
            &site
                .ddns_log()
                .into_iter()
                .filter(|l| l.starts_with("Unable to add forward map from load1"))
                .collect::<Vec<_>>(),
        );
        lines.sort();
        lines.dedup();
        lines
    };
    let mut first = None;
    let all_failed = eventually(40, || {
        let n = failures(&site).len();
        if n > 0 && first.is_none() {
            first = Some(last_ack.elapsed());
        }
        n >= usize::from(LOAD)
    });
    eprintln!(
        "{server:?}: the first failure was logged {first:?} after the last ACK, all {}",
        if all_failed { "came" } else { "did not come" }
    );
    let log = failures(&site);
    assert!(
        all_failed,
        "{server:?}: {} of {LOAD} failures logged\n{}",
        log.len(),
        site.logs()
    );
    site.stop();
    (log, first.unwrap_or_default())
}

/// named stopped: its address answers port 53 with ICMP port unreachable, which does not end
/// ISC's wait (measured: each failure is logged `... : timed out` 12 s after the ACK), and
/// replies are not delayed. charruad takes the ICMP error as the end of the attempt (`...:
/// connection refused`, at once) and tries again later (docs/ddns.md section 11): the same
/// lines but for that reason. Latencies are printed, not asserted.
#[test]
fn a_dns_server_down_costs_no_reply_time() {
    if lab::skip(TOOLS) {
        return;
    }
    let (want, _) = dns_down(Server::Isc);
    eprintln!("ISC dhcpd: {want:#?}");
    for line in &want {
        assert!(line.ends_with(": timed out"), "ISC: {want:#?}");
    }
    let (got, first) = dns_down(Server::Charruad);
    let want: Vec<String> = want
        .iter()
        .map(|l| l.replace(": timed out", ": connection refused"))
        .collect();
    assert_eq!(
        got, want,
        "charruad's failure lines (ISC's, with the ICMP port unreachable of a stopped named as \
         the reason)"
    );
    assert!(
        first < Duration::from_secs(12),
        "charruad waited {first:?} for a server that is not there"
    );
}

/// Where charruad serves its metrics in the DNS errors test: the server's lab address.
const METRICS: &str = "198.18.0.1:9547";

/// How many clients each server serves in the DNS errors test.
const FEW: u8 = 3;

/// An error answer named gives to every update of the DNS errors test, and how it is provoked.
#[derive(Debug, Clone, Copy)]
enum DnsError {
    /// The `zone` statements name no key: the updates go unsigned, which named's `allow-update
    /// { key ddns-key; }` does not allow.
    Refused,
    /// Names go under `other.example.`, which a `zone` statement sends to named, which does not
    /// serve it.
    NotAuth,
    /// dhcpd.conf's key has named's key's name and algorithm but another secret: named answers
    /// NOTAUTH with the TSIG error BADSIG.
    BadSig,
}

impl DnsError {
    const ALL: [Self; 3] = [Self::Refused, Self::NotAuth, Self::BadSig];

    /// The clients' host names start with this.
    fn label(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::NotAuth => "notauth",
            Self::BadSig => "badsig",
        }
    }

    /// The domain the clients' names go under.
    fn domain(self) -> &'static str {
        match self {
            Self::NotAuth => "other.example.",
            _ => FORWARD,
        }
    }

    /// The reason text (BIND's result text, docs/ddns.md 5.3 and 8) charruad gives in its
    /// `Unable to add forward map` lines.
    fn reason(self) -> &'static str {
        match self {
            Self::Refused => "REFUSED",
            Self::NotAuth => "NOTAUTH",
            Self::BadSig => "tsig indicates error",
        }
    }

    /// The configuration both servers serve: [`config`] (interim, hmac-sha256, 600 s) changed
    /// to provoke the error.
    fn config(self) -> String {
        let config = config("interim", "hmac-sha256", 600);
        let changed = match self {
            Self::Refused => config.replace(&format!(" key {KEY};"), ""),
            Self::NotAuth => {
                let zone = format!("zone other.example. {{ primary {ADDRESS}; key {KEY}; }}\n");
                config
                    .replace(
                        &format!("ddns-domainname \"{FORWARD}\";"),
                        "ddns-domainname \"other.example.\";",
                    )
                    .replace("ddns-rev-domainname", &format!("{zone}ddns-rev-domainname"))
            }
            Self::BadSig => {
                // 32 bytes, base64, as named's: "charrua: not the key named knows".
                let other = "Y2hhcnJ1YTogbm90IHRoZSBrZXkgbmFtZWQga25vd3M=";
                let at = config.find("secret \"").unwrap() + "secret \"".len();
                let end = at + config[at..].find('"').unwrap();
                format!("{}{other}{}", &config[..at], &config[end..])
            }
        };
        assert_ne!(changed, config, "{self:?}");
        changed
    }
}

/// `/metrics` of the charruad of `site`, fetched with curl inside the server's namespace.
fn scrape(site: &Site) -> String {
    let out = site.lab.exec(
        &site.lab.server,
        10,
        &["curl", "-sfS", &format!("http://{METRICS}/metrics")],
    );
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The value of the sample `series` (`name{labels}` as written).
fn sample(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

/// `FEW` DORAs of the raw client against `server` serving [`DnsError::config`], one client
/// at a time, each client's DDNS outcome awaited (up to 3 s) before the next comes: every reply
/// must come, nothing may be registered. The DDNS log lines (addresses named) and, for
/// charruad, its metrics then.
fn dns_error(server: Server, error: DnsError) -> (Vec<String>, Option<String>) {
    let mut site = Site::start_with(
        server,
        &error.config(),
        "hmac-sha256",
        &["--metrics", METRICS],
    );
    let ns = site.lab.client("02:00:00:00:d8:00");
    site.lab.exec(
        &ns,
        5,
        &["ip", "addr", "add", "198.18.0.9/24", "dev", "eth0"],
    );
    let mut holders = Holders::default();
    let mut replies = Vec::new();
    for i in 0..FEW {
        let name = format!("{}{i}", error.label());
        let dora = doras(&ns, vec![([2, 0, 0, 0, 0xd8, i + 1], name.clone())])
            .pop()
            .flatten()
            .unwrap_or_else(|| {
                panic!(
                    "{server:?} ({error:?}): no reply to {name}\n{}",
                    site.logs()
                )
            });
        holders.add(dora.address, &name);
        replies.push(dora);
        // One client at a time: ISC repudiates a zone on the first NOTAUTH it sees, and which
        // updates were sent before that must not depend on timing.
        let from = format!(" from {name}.{} ", error.domain());
        eventually(3, || site.ddns_log().iter().any(|l| l.contains(&from)));
    }
    eprintln!(
        "{server:?} ({error:?}): {FEW} DORAs: {}",
        latencies(&replies)
    );
    // Anything logged late (a retry) too.
    std::thread::sleep(Duration::from_millis(500));
    let log = holders.names(&site.ddns_log());
    eprintln!("{server:?} ({error:?}): {log:#?}");
    assert!(
        site.named.registered().is_empty(),
        "{server:?} ({error:?}) registered something\n{}",
        site.logs()
    );
    let metrics = (server == Server::Charruad).then(|| scrape(&site));
    site.stop();
    (log, metrics)
}

/// named answers every update with an error: REFUSED (unsigned updates: dhcpd.conf's `zone`
/// statements name no key, and named allows updates signed with its key only; the lab's named
/// has no zone of `allow-update { none; }`), NOTAUTH (a `zone` statement for `other.example.`,
/// which named does not serve) and BADSIG (dhcpd.conf's key has another secret than named's;
/// named's NOTAUTH carries the TSIG error, so ISC does not repudiate: docs/ddns.md section 8).
/// ISC dhcpd, then charruad, each serve `FEW` clients of the raw client: every reply comes
/// (latencies printed, not asserted), nothing is registered, charruad logs ISC's lines and
/// counts each failed registration in
/// `charrua_ddns_updates_total{operation="add",result="failed"}`.
///
/// Where they differ (docs/ddns.md sections 1.3 and 11): on NOTAUTH ISC repudiates the zone
/// (measured: `DDNS: bad zone information, repudiating zone other.example.`, `DDNS: Failed to
/// retry after zone failure`, then the first client's `Unable to add forward map ...:
/// failure`; no line at all for the clients after it: the zone is inactive until dhcpd
/// restarts and their updates are dropped, section 1.3); charruad does not repudiate: each
/// client's update is sent and fails with its own `Unable to add forward map ...: NOTAUTH`
/// line (asserted as such).
#[test]
fn dns_errors_are_counted_and_logged() {
    if lab::skip(TOOLS) || lab::skip(&["curl"]) {
        return;
    }
    for error in DnsError::ALL {
        let (want, _) = dns_error(Server::Isc, error);
        let (got, metrics) = dns_error(Server::Charruad, error);
        let unable = |reason: &str| -> Vec<String> {
            (0..FEW)
                .map(|i| {
                    let name = format!("{}{i}", error.label());
                    format!(
                        "Unable to add forward map from {name}.{} to ADDR({name}): {reason}",
                        error.domain()
                    )
                })
                .collect()
        };
        match error {
            DnsError::NotAuth => {
                let name = format!("{}0.{}", error.label(), error.domain());
                assert_eq!(
                    want,
                    [
                        "DDNS: bad zone information, repudiating zone other.example.".to_string(),
                        "DDNS: Failed to retry after zone failure".to_string(),
                        format!(
                            "Unable to add forward map from {name} to ADDR({}0): failure",
                            error.label()
                        ),
                    ],
                    "ISC ({error:?})"
                );
                assert_eq!(got, unable(error.reason()), "charruad's lines ({error:?})");
            }
            _ => {
                assert_eq!(want, unable(error.reason()), "ISC ({error:?})");
                assert_eq!(got, want, "charruad's lines ({error:?}): ISC's");
            }
        }
        let metrics = metrics.unwrap();
        eprintln!(
            "charruad ({error:?}): {}",
            metrics
                .lines()
                .filter(|l| l.starts_with("charrua_ddns_updates_total"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let failed_adds = got
            .iter()
            .filter(|l| l.starts_with("Unable to add forward map"))
            .count();
        assert_eq!(
            sample(
                &metrics,
                "charrua_ddns_updates_total{operation=\"add\",result=\"failed\"}"
            ),
            u64::try_from(failed_adds).unwrap(),
            "charruad ({error:?}): failed adds counted\n{metrics}"
        );
    }
}
