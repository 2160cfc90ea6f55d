//! `charrua-sim --seeds N [--first-seed K] [--clients C] [--fault-secs S] [--heal-secs S]
//! [--store seeded|own|shared] [--threads T]`: runs N seeds of the deterministic simulation and ends with
//! `seeds=N violations=V steps=S`. A failing seed prints its violation, a trace of the steps
//! before it, and the command that replays it.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use charrua_sim::{run, Bounds, StoreMode};

struct Args {
    seeds: u64,
    first: u64,
    threads: usize,
    bounds: Bounds,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        seeds: 100,
        first: 0,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        bounds: Bounds::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--seeds" => args.seeds = number(value()?)?,
            "--first-seed" => args.first = number(value()?)?,
            "--threads" => args.threads = number(value()?)?.max(1) as usize,
            "--clients" => args.bounds.max_clients = number(value()?)?.max(1) as usize,
            "--fault-secs" => args.bounds.fault_secs = number(value()?)?,
            "--heal-secs" => args.bounds.heal_secs = number(value()?)?,
            "--store" => args.bounds.store = value()?.parse()?,
            #[cfg(feature = "defects")]
            "--defect" => args.bounds.defects = value()?.parse()?,
            "-h" | "--help" => {
                return Err("usage: charrua-sim --seeds N [--first-seed K] [--clients C] [--fault-secs S] [--heal-secs S] [--store seeded|own|shared] [--threads T]".into())
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("charrua-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let next = AtomicU64::new(args.first);
    let end = args.first.saturating_add(args.seeds);
    let steps = AtomicU64::new(0);
    let doras = AtomicU64::new(0);
    let failed = Mutex::new(Vec::new());
    // The run's own wall time, for its report: not part of any simulated world.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..args.threads {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= end {
                    return;
                }
                let report = run(seed, &args.bounds);
                steps.fetch_add(report.steps, Ordering::Relaxed);
                doras.fetch_add(report.doras, Ordering::Relaxed);
                if let Some(v) = report.violation {
                    println!(
                        "seed {seed}: VIOLATION at {:.6} s: {}\n{}  replay: cargo run --release -p charrua-sim -- --seeds 1 --first-seed {seed}{}",
                        v.at_us as f64 / 1e6,
                        v.what,
                        v.trace,
                        replay_flags(&args.bounds),
                    );
                    if let Ok(mut f) = failed.lock() {
                        f.push(seed);
                    }
                }
            });
        }
    });
    let violations = failed.lock().map_or(0, |f| f.len());
    let secs = started.elapsed().as_secs_f64();
    let doras = doras.load(Ordering::Relaxed);
    eprintln!(
        "{doras} DORA exchanges in {secs:.1} s on {} thread(s): {:.0} per CPU-minute",
        args.threads,
        doras as f64 / (secs * args.threads as f64) * 60.0
    );
    println!(
        "seeds={} violations={violations} steps={}",
        args.seeds,
        steps.load(Ordering::Relaxed)
    );
    if violations == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The bounds' flags that differ from the defaults, for the replay command.
fn replay_flags(bounds: &Bounds) -> String {
    let default = Bounds::default();
    let mut flags = String::new();
    if bounds.max_clients != default.max_clients {
        flags += &format!(" --clients {}", bounds.max_clients);
    }
    if bounds.fault_secs != default.fault_secs {
        flags += &format!(" --fault-secs {}", bounds.fault_secs);
    }
    if bounds.heal_secs != default.heal_secs {
        flags += &format!(" --heal-secs {}", bounds.heal_secs);
    }
    let store = match bounds.store {
        StoreMode::Seeded => "",
        StoreMode::Own => " --store own",
        StoreMode::Shared => " --store shared",
    };
    flags += store;
    flags
}
