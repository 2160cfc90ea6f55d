//! `charrua relocate`: a dhcpd.conf moved into another address block, so that a real site's
//! configuration can be served in a lab (`bench/isc-diff` runs the world corpus this way, in
//! 198.18.0.0/15). Each outermost subnet declaration gets a block of its own size in the target,
//! in order of size then of appearance; every address written in the file that lies in a subnet
//! moves with it, keeping its offset, so ranges, fixed addresses, routers and masks keep their
//! meaning. Addresses outside every subnet (public DNS servers, other networks) are left as
//! they are: they are only values in replies. The lab (the link subnet, a server address and a
//! client address in it that nothing in the file uses, and the hardware addresses of its hosts)
//! is printed as JSON on standard error. A lab writes no file and runs no program of the site's:
//! `lease-file-name` and `pid-file-name` are taken out, and `execute` runs `/bin/true`; and
//! `interface` statements naming the site's interfaces are taken out.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use charrua_conf::lexer::{lex, Token, TokenKind};
use charrua_conf::source::FileId;
use charrua_server::Ipv4Net;
use serde_json::json;

/// `charrua relocate`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The dhcpd.conf to move.
    config: PathBuf,
    /// The block to move it into.
    #[arg(long, default_value = "198.18.0.0/15")]
    into: Ipv4Net,
}

/// A dotted quad as dhcpd reads one (leading zeros allowed).
fn address(t: &Token) -> Option<Ipv4Addr> {
    if t.kind != TokenKind::Atom {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut parts = t.text.split('.');
    for o in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *o = part.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// The subnets declared in `tokens` (`subnet A netmask M`), in order.
fn subnets(tokens: &[Token]) -> Result<Vec<Ipv4Net>, String> {
    let mut out = Vec::new();
    for w in tokens.windows(4) {
        if let [s, a, n, m] = w {
            if s.is("subnet") && n.is("netmask") {
                let (Some(a), Some(m)) = (address(a), address(m)) else {
                    continue;
                };
                let net = Ipv4Net::with_netmask(a, m).map_err(|e| format!("subnet {a}: {e}"))?;
                if net.prefix_len().is_none() {
                    return Err(format!(
                        "subnet {net}: a non-contiguous mask cannot be moved"
                    ));
                }
                if !out.contains(&net) {
                    out.push(net);
                }
            }
        }
    }
    Ok(out)
}

/// The size of `net`, in addresses.
fn size(net: &Ipv4Net) -> u64 {
    u64::from(u32::from(net.broadcast())) - u64::from(u32::from(net.network())) + 1
}

/// Where each outermost subnet goes: blocks of the same size in `into`, largest first.
fn plan(subnets: &[Ipv4Net], into: &Ipv4Net) -> Result<Vec<(Ipv4Net, u32)>, String> {
    let mut roots: Vec<&Ipv4Net> = subnets
        .iter()
        .filter(|n| {
            !subnets
                .iter()
                .any(|o| o != *n && o.contains(n.network()) && size(o) > size(n))
        })
        .collect();
    roots.sort_by_key(|n| std::cmp::Reverse(size(n)));
    let start = u64::from(u32::from(into.network()));
    let end = start + size(into);
    let mut next = start;
    let mut out = Vec::new();
    for net in roots {
        let block = size(net);
        let base = next.div_ceil(block) * block;
        if base + block > end {
            return Err(format!("the subnets do not fit in {into}"));
        }
        out.push((*net, u32::try_from(base).map_err(|e| e.to_string())?));
        next = base + block;
    }
    Ok(out)
}

/// `addr` moved by `plan`, if it lies in a subnet.
fn moved(plan: &[(Ipv4Net, u32)], addr: Ipv4Addr) -> Option<Ipv4Addr> {
    let (net, base) = plan.iter().find(|(net, _)| net.contains(addr))?;
    Some(Ipv4Addr::from(
        base + (u32::from(addr) - u32::from(net.network())),
    ))
}

/// The edits to make, in file order: each moved address; each `lease-file-name` and
/// `pid-file-name` statement taken out (the lab names its own files: a server must never write
/// where the file's site kept its leases); each `interface NAME;` taken out (the lab's link
/// has its own name); each program an `execute` would run made `/bin/true` (a lab runs no
/// program of a configuration's).
fn edits(tokens: &[Token], plan: &[(Ipv4Net, u32)]) -> Vec<(usize, usize, String)> {
    let end = |t: &Token| t.span.offset + t.span.len;
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if let Some(to) = address(t).and_then(|a| moved(plan, a)) {
            out.push((t.span.offset, end(t), to.to_string()));
        } else if t.is("lease-file-name")
            || t.is("pid-file-name")
            || (t.is("interface") && tokens.get(i + 2).is_some_and(|t| t.is_punct(";")))
        {
            let semicolon = tokens
                .iter()
                .skip(i)
                .take(4)
                .find(|t| t.is_punct(";"))
                .map_or(end(t), end);
            out.push((
                t.span.offset,
                semicolon,
                // (A comment ends its line: what followed goes on the next.)
                format!("# {} taken out by charrua relocate\n", t.text),
            ));
        } else if t.is("execute") && tokens.get(i + 1).is_some_and(|t| t.is_punct("(")) {
            if let Some(program) = tokens.get(i + 2).filter(|p| p.kind == TokenKind::String) {
                out.push((program.span.offset, end(program), "\"/bin/true\"".into()));
            }
        }
    }
    out
}

/// The hardware addresses of `hardware ethernet X;` statements.
fn hosts(tokens: &[Token]) -> Vec<String> {
    tokens
        .windows(3)
        .filter_map(|w| match w {
            [h, e, mac] if h.is("hardware") && e.is("ethernet") => Some(mac.text.to_lowercase()),
            _ => None,
        })
        .collect()
}

/// The link: the first subnet (after moving) with a `range` in it, else the first subnet; a
/// server and a client address in it, the highest that no statement names or ranges cover.
fn lab(tokens: &[Token], moved_subnets: &[Ipv4Net]) -> Result<serde_json::Value, String> {
    let mut used = BTreeSet::new();
    let mut ranges = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if let Some(a) = address(t) {
            used.insert(a);
        }
        if t.is("range") {
            let mut rest = tokens.iter().skip(i + 1).take(3).filter_map(address);
            if let Some(low) = rest.next() {
                let high = rest.next().unwrap_or(low);
                ranges.push((low.min(high), low.max(high)));
            }
        }
    }
    let link = moved_subnets
        .iter()
        .find(|n| ranges.iter().any(|(low, _)| n.contains(*low)))
        .or(moved_subnets.first())
        .ok_or("no subnet declaration")?;
    // Addresses no statement names, outside the ranges if the subnet has two such, else in
    // them (a subnet its ranges fill: the lab's two addresses are then not leased by either
    // server only because both see them in use).
    let free = || {
        (u32::from(link.network()) + 1..u32::from(link.broadcast()))
            .rev()
            .map(Ipv4Addr::from)
            .filter(|a| !used.contains(a))
    };
    let in_range = |a: &Ipv4Addr| ranges.iter().any(|(l, h)| l <= a && a <= h);
    let outside: Vec<Ipv4Addr> = free().filter(|a| !in_range(a)).take(2).collect();
    let pair = if outside.len() == 2 {
        outside
    } else {
        free().take(2).collect()
    };
    let [server, client] = pair[..] else {
        return Err(format!("{link}: no two free addresses for the lab"));
    };
    Ok(json!({
        "link": link.to_string(),
        "prefix": link.prefix_len(),
        "server": server.to_string(),
        "client": client.to_string(),
        "hosts": hosts(tokens),
    }))
}

fn relocate(args: &Args, out: &mut dyn Write) -> Result<(), String> {
    if args.into.prefix_len().is_none() {
        return Err(format!("{}: not a block", args.into));
    }
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("{}: {e}", args.config.display()))?;
    let tokens = lex(FileId(0), &text).map_err(|d| d.message)?;
    let subnets = subnets(&tokens)?;
    let plan = plan(&subnets, &args.into)?;
    let mut rewritten = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, replacement) in edits(&tokens, &plan) {
        if start < at {
            continue;
        }
        rewritten.push_str(text.get(at..start).ok_or("token out of the file")?);
        rewritten.push_str(&replacement);
        at = end;
    }
    rewritten.push_str(text.get(at..).unwrap_or_default());
    let moved_subnets: Vec<Ipv4Net> = subnets
        .iter()
        .filter_map(|n| {
            let network = moved(&plan, n.network())?;
            Ipv4Net::with_netmask(network, n.netmask()).ok()
        })
        .collect();
    let lab = lab(
        &lex(FileId(0), &rewritten).map_err(|d| d.message)?,
        &moved_subnets,
    )?;
    out.write_all(rewritten.as_bytes())
        .map_err(|e| e.to_string())?;
    eprintln!("{lab}");
    Ok(())
}

/// Runs `charrua relocate`.
pub(crate) fn run(args: &Args, out: &mut dyn Write) -> bool {
    match relocate(args, out) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("charrua relocate: {}: {e}", args.config.display());
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(text: &str) -> (String, serde_json::Value) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dhcpd.conf");
        std::fs::write(&path, text).unwrap();
        let args = Args {
            config: path,
            into: "198.18.0.0/15".parse().unwrap(),
        };
        let mut out = Vec::new();
        relocate(&args, &mut out).unwrap();
        let rewritten = String::from_utf8(out).unwrap();
        let tokens = lex(FileId(0), &rewritten).unwrap();
        let subnets = subnets(&tokens).unwrap();
        (rewritten, lab(&tokens, &subnets).unwrap())
    }

    #[test]
    fn subnets_move_with_their_addresses_and_the_rest_stays() {
        let (text, lab) = run_on(
            "option domain-name-servers 8.8.8.8, 192.168.1.1;\n\
             subnet 192.168.1.0 netmask 255.255.255.0 {\n  range 192.168.1.100 192.168.1.200;\n  option routers 192.168.1.1;\n}\n\
             subnet 10.0.0.0 netmask 255.255.0.0 { range 10.0.5.1 10.0.5.9; }\n\
             host a { hardware ethernet 00:11:22:33:44:55; fixed-address 192.168.001.7; }\n\
             lease-file-name \"/var/lib/dhcp/dhcpd.leases\";\n\
             shared-network lan { interface eth0; }\n\
             on commit { execute(\"/usr/local/bin/hook\", \"x\"); }\n",
        );
        assert_eq!(
            text,
            "option domain-name-servers 8.8.8.8, 198.19.0.1;\n\
             subnet 198.19.0.0 netmask 255.255.255.0 {\n  range 198.19.0.100 198.19.0.200;\n  option routers 198.19.0.1;\n}\n\
             subnet 198.18.0.0 netmask 255.255.0.0 { range 198.18.5.1 198.18.5.9; }\n\
             host a { hardware ethernet 00:11:22:33:44:55; fixed-address 198.19.0.7; }\n\
             # lease-file-name taken out by charrua relocate\n\n\
             shared-network lan { # interface taken out by charrua relocate\n }\n\
             on commit { execute(\"/bin/true\", \"x\"); }\n"
        );
        assert_eq!(lab["link"], "198.19.0.0/24");
        assert_eq!(lab["server"], "198.19.0.254");
        assert_eq!(lab["client"], "198.19.0.253");
        assert_eq!(lab["hosts"], json!(["00:11:22:33:44:55"]));
    }

    #[test]
    fn what_does_not_fit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dhcpd.conf");
        std::fs::write(&path, "subnet 10.0.0.0 netmask 255.0.0.0 { }\n").unwrap();
        let args = Args {
            config: path,
            into: "198.18.0.0/15".parse().unwrap(),
        };
        assert!(relocate(&args, &mut Vec::new()).is_err());
    }
}
