//! `charrua probe-diff A B`: two runs of `charrua probe` (A the reference, ISC dhcpd; B the
//! server judged), compared reply by reply: whether a reply came, its type, siaddr, flags,
//! sname, file and every option's presence and value. A different address is listed apart
//! (two servers allocate differently; the harness says whether that is expected).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

/// `charrua probe-diff`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The reference run (ISC dhcpd's).
    reference: PathBuf,
    /// The run judged against it.
    judged: PathBuf,
    /// Seconds by which a lease time, T1 or T2 (options 51, 58, 59) may differ and still be the
    /// same: what is left of a lease given again depends on when each run reached the step.
    #[arg(long, default_value_t = 0)]
    time_slack: u64,
}

/// The options whose values are times counted from the moment of the reply.
const TIMES: &[u64] = &[51, 58, 59];

/// Each step: what was sent, the reply, and when it came (Unix seconds).
type Steps = BTreeMap<(String, u64), (String, Json, u64)>;

/// The difference of a step the judged server did not answer.
const NO_REPLY: &str = "no reply (the reference replied)";

/// dhcpd 4.4's latest lease end (includes/dhcpd.h `MAX_TIME`, 2038-01-19).
const DHCPD_MAX_TIME: u64 = 0x7fff_ffff;

/// A difference from dhcpd that is charrua's on purpose (docs/dhcpd-conf.md, "Answered as
/// dhcpd answers"): its name, if `code`'s value `judged` against dhcpd's `reference` at `at`
/// is one.
fn explained(code: u64, reference: &str, judged: &str, at: u64) -> Option<&'static str> {
    let (reference, judged) = (reference.parse::<u64>().ok()?, judged.parse::<u64>().ok()?);
    // An infinite lease: dhcpd ends it at its MAX_TIME and sends the seconds left until then
    // (server/dhcp.c `ack_lease`); charrua sends infinity (RFC 2131 section 3.3).
    (code == 51 && judged == u64::from(u32::MAX) && (reference + at).abs_diff(DHCPD_MAX_TIME) <= 2)
        .then_some("infinite lease: dhcpd sends the time left until 2038")
}

/// Member `key` of `value`, or null.
fn field<'a>(value: &'a Json, key: &str) -> &'a Json {
    value.get(key).unwrap_or(&Json::Null)
}

fn read(path: &Path) -> Result<Steps, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut steps = Steps::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Json =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        let profile = field(&v, "profile")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let step = field(&v, "step").as_u64().unwrap_or_default();
        let sent = field(&v, "sent").as_str().unwrap_or_default().to_string();
        let at = field(&v, "at").as_u64().unwrap_or_default();
        steps.insert((profile, step), (sent, field(&v, "reply").clone(), at));
    }
    Ok(steps)
}

/// Each option of a reply, by code: its value as hex.
fn options(reply: &Json) -> BTreeMap<u64, (String, String)> {
    field(reply, "options")
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let code = field(o, "code").as_u64()?;
            let name = field(o, "name").as_str().unwrap_or_default().to_string();
            let text = field(o, "text")
                .as_str()
                .or_else(|| field(o, "hex").as_str())
                .unwrap_or_default()
                .to_string();
            Some((code, (name, text)))
        })
        .collect()
}

/// How one step compares: its differences, the differences explained, and a different address.
#[derive(Default)]
pub(crate) struct Comparison {
    differences: Vec<String>,
    explained: Vec<&'static str>,
    address: Option<String>,
}

/// The differences of `judged` from `reference` in one step (the reference's reply came at
/// `at`).
pub(crate) fn compare(reference: &Json, judged: &Json, time_slack: u64, at: u64) -> Comparison {
    let mut out = Vec::new();
    let mut explanations = Vec::new();
    let only = |d: &str| Comparison {
        differences: vec![d.into()],
        ..Comparison::default()
    };
    match (reference.is_null(), judged.is_null()) {
        (true, true) => return Comparison::default(),
        (false, true) => return only(NO_REPLY),
        (true, false) => return only("a reply (the reference gave none)"),
        (false, false) => {}
    }
    for name in ["message_type", "siaddr", "flags", "sname", "file", "ciaddr"] {
        let (a, b) = (field(reference, name), field(judged, name));
        if a != b {
            out.push(format!("{name}: {b} instead of {a}"));
        }
    }
    let (a, b) = (options(reference), options(judged));
    for (code, (name, value)) in &a {
        match b.get(code) {
            None => out.push(format!("option {code} ({name}) missing: reference {value}")),
            Some((_, v)) if v != value && !within(*code, v, value, time_slack) => {
                match explained(*code, value, v, at) {
                    Some(why) => explanations.push(why),
                    None => out.push(format!("option {code} ({name}): {v} instead of {value}")),
                }
            }
            Some(_) => {}
        }
    }
    for (code, (name, value)) in &b {
        if !a.contains_key(code) {
            out.push(format!(
                "option {code} ({name}) sent, not by the reference: {value}"
            ));
        }
    }
    let address = (field(reference, "yiaddr") != field(judged, "yiaddr")).then(|| {
        format!(
            "yiaddr {} instead of {}",
            field(judged, "yiaddr"),
            field(reference, "yiaddr")
        )
    });
    Comparison {
        differences: out,
        explained: explanations,
        address,
    }
}

/// Whether `a` and `b`, values of option `code`, are times at most `slack` seconds apart.
fn within(code: u64, a: &str, b: &str, slack: u64) -> bool {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(a), Ok(b)) => TIMES.contains(&code) && a.abs_diff(b) <= slack,
        _ => false,
    }
}

/// Whether the reference acknowledged one address to two clients that both still held it
/// (dhcpd leases a host's fixed address inside a range to other clients too): a pool then
/// lasts one address longer there than where the address is kept for its host.
fn leased_twice(steps: &Steps) -> bool {
    let mut holders: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for ((profile, _), (_, reply, _)) in steps {
        if profile == "release-then-discover" || field(reply, "message_type") != "DHCPACK" {
            continue;
        }
        if let Some(address) = field(reply, "yiaddr").as_str() {
            holders.entry(address).or_default().insert(profile);
        }
    }
    holders.values().any(|h| h.len() > 1)
}

/// Compares the two runs; whether they agree but for addresses.
pub(crate) fn run(args: &Args, out: &mut dyn Write) -> bool {
    let (reference, judged) = match (read(&args.reference), read(&args.judged)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("charrua probe-diff: {e}");
            return false;
        }
    };
    let mut same = true;
    let twice = leased_twice(&reference);
    let keys: std::collections::BTreeSet<_> = reference.keys().chain(judged.keys()).collect();
    for key in keys {
        let (profile, step) = key;
        let null = (String::new(), Json::Null, 0);
        let (sent, a, at) = reference.get(key).unwrap_or(&null);
        let (sent_b, b, _) = judged.get(key).unwrap_or(&null);
        let sent = if sent.is_empty() { sent_b } else { sent };
        let Comparison {
            mut differences,
            mut explained,
            address,
        } = compare(a, b, args.time_slack, *at);
        if twice && differences == [NO_REPLY] {
            differences.clear();
            explained.push("dhcpd leased an address to two clients; the pool ran out sooner");
        }
        same &= differences.is_empty();
        explained.dedup();
        let but = address.map(|a| format!(" but {a}")).unwrap_or_default();
        let _ = match &differences[..] {
            [] if explained.is_empty() => writeln!(out, "{profile} {step} {sent}: same{but}"),
            [] => writeln!(
                out,
                "{profile} {step} {sent}: same (explained: {}){but}",
                explained.join("; ")
            ),
            list => {
                let _ = writeln!(out, "{profile} {step} {sent}: DIFFERENT{but}");
                for d in list {
                    let _ = writeln!(out, "    {d}");
                }
                Ok(())
            }
        };
    }
    same
}
