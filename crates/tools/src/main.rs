//! `charrua`: command-line tools around the charrua DHCP library.
//!
//! `charrua decode FILE...` prints every DHCP message in pcap/pcapng captures as JSON Lines;
//! `charrua leases import|export` reads ISC dhcpd.leases files; `charrua pools` reports pool
//! usage as dhcpd-pools does; `charrua ctl` talks to charruad's control API; `charrua perf`
//! loads a server.

// Input must never reach a panic: library code indexes with `get` and has no unwrap.
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod capture;
mod ctl;
mod decode;
mod hex;
mod json;
mod leases;
mod link;
mod man;
mod perf;
mod pools;
mod probe;
mod reach;
mod relocate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Command-line tools for charrua, a DHCPv4 library and server.
#[derive(Debug, Parser)]
#[command(name = "charrua", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print every DHCP message in captures as one JSON object per line.
    ///
    /// FILE is a pcap or pcapng capture (Ethernet, Linux cooked SLL/SLL2 or raw IPv4 link
    /// types), or `-` for one raw DHCP payload (the UDP payload) on standard input.
    Decode {
        /// Decode this hex string as one raw DHCP payload (spaces and colons are ignored).
        #[arg(long, value_name = "HEX", conflicts_with = "files")]
        hex: Option<String>,
        /// Captures to read, or `-` for a raw payload on standard input.
        #[arg(value_name = "FILE", required_unless_present = "hex")]
        files: Vec<PathBuf>,
    },
    /// Read ISC dhcpd.leases files.
    #[command(subcommand)]
    Leases(leases::Command),
    /// Send a command to charruad's control API (Kea's command format: `lease4-get`,
    /// `lease4-del`, `list-commands`...) over its Unix socket or HTTP, and print the answer.
    ///
    /// Exit status: 0 when the result is 0, 3 when it is 3 (nothing found), 1 for another
    /// result, 2 when no answer came (no server, a timeout, a malformed answer).
    Ctl(ctl::Args),
    /// Load a DHCP server: many simulated clients at a target rate of DORA exchanges (and
    /// renewals, releases), as a relay agent or on the link; reports completion and latency.
    Perf(perf::Args),
    /// Pool usage per range, shared network and in all, from a dhcpd.conf and a lease store,
    /// as dhcpd-pools prints it (its options, formats and Nagios check: `--warning`,
    /// `--critical`; exit 0 OK, 1 WARNING, 2 CRITICAL).
    Pools(pools::Args),
    /// Play request profiles (a plain client, PXE BIOS and UEFI, iPXE, Windows, INIT-REBOOT,
    /// RELEASE and DECLINE then DISCOVER, a relay with option 82) against a server; one JSON
    /// object per step with the reply.
    Probe(probe::Args),
    /// Compare two `charrua probe` runs reply by reply (the reference first).
    ProbeDiff(probe::DiffArgs),
    /// Move a dhcpd.conf into another address block (198.18.0.0/15 by default) to serve it in
    /// a lab: every subnet, and every address in one, keeps its place within its block. Prints
    /// the file; the lab (link, server and client addresses, hosts) goes to standard error.
    Relocate(relocate::Args),
    /// Write the man pages: charrua(1), one per subcommand, and charruad-dhcpd.conf(5).
    #[command(hide = true)]
    Man(man::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let ok = match cli.command {
        Command::Decode { hex, files } => decode::run(hex.as_deref(), &files, &mut out),
        Command::Leases(command) => leases::run(&command, &mut out),
        Command::Ctl(args) => return ctl::run(&args, &mut out),
        Command::Perf(args) => perf::run(&args, &mut out),
        Command::Pools(args) => return pools::run(&args, &mut out),
        Command::Probe(args) => probe::run(&args, &mut out),
        Command::ProbeDiff(args) => probe::diff(&args, &mut out),
        Command::Relocate(args) => relocate::run(&args, &mut out),
        Command::Man(args) => man::run(&args, &mut out),
    };
    // A closed pipe (`charrua decode x.pcap | head`) is not an error worth a message.
    let _ = out.flush();
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
