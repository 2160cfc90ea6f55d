//! What a seed simulates: how many clients of each kind, engines, relays, and how faulty the
//! network and the disks are. Every number comes from the seed, within the bounds of the
//! [`Bounds`] the run was given.

/// The run's bounds (the command line's).
#[derive(Debug, Clone)]
pub struct Bounds {
    /// Most clients a seed simulates.
    pub max_clients: usize,
    /// Virtual seconds with faults, before the network and disks heal.
    pub fault_secs: u64,
    /// Virtual seconds after healing, within which every client must be bound.
    pub heal_secs: u64,
    /// Which seeds have their engines share one store.
    pub store: StoreMode,
    /// Defects to re-introduce (tests only).
    #[cfg(feature = "defects")]
    pub defects: crate::Defect,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            max_clients: 200,
            fault_secs: 600,
            heal_secs: 300,
            store: StoreMode::Seeded,
            #[cfg(feature = "defects")]
            defects: crate::Defect::None,
        }
    }
}

/// Which seeds have their engines share one lease store (the command line's `--store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// About a third of the seeds with more than one engine, as each seed draws.
    Seeded,
    /// None: each engine has its own store and its own part of every pool.
    Own,
    /// Every seed with more than one engine.
    Shared,
}

impl std::str::FromStr for StoreMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "seeded" => Ok(Self::Seeded),
            "own" => Ok(Self::Own),
            "shared" => Ok(Self::Shared),
            other => Err(format!("--store {other}: seeded, own or shared")),
        }
    }
}

/// How a client behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Gets a lease and keeps it, renewing as RFC 2131 says.
    Steady,
    /// Reboots now and then, asking for its address again (INIT-REBOOT).
    Rebooter,
    /// Moves to another link now and then, asking there for the address it had.
    Mover,
    /// Finds its first address in use and declines it (RFC 2131 section 4.4.1).
    Decliner,
    /// Gives its lease back now and then, and asks again later.
    Releaser,
    /// Goes silent once bound: never renews.
    Silent,
    /// Has the hardware address of another client.
    Twin,
}

impl Kind {
    /// Whether the client must hold a lease at the end of a healed run.
    pub(crate) fn must_be_bound(self) -> bool {
        !matches!(self, Self::Silent)
    }
}

/// One seed's world.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Client kinds, one per client.
    pub clients: Vec<Kind>,
    /// Senders of garbage datagrams.
    pub garbage: usize,
    /// Engines (servers): each with its own store and its own part of every pool, or, with
    /// `shared_store`, all serving the same pools from one store.
    pub engines: usize,
    /// Whether the engines share one lease store and serve the same pools, as several
    /// charruad servers share one PostgreSQL database (about a third of multi-engine seeds).
    pub shared_store: bool,
    /// Shared store: whether an engine is cut off from it now and then.
    pub store_partitions: bool,
    /// Shared store: the probability that a commit lands and its connection is lost before
    /// the engine hears so (it sees an error; a resync brings the batch back).
    pub lost_commit: f64,
    /// Shared store: most delay of the change feed after a commit, microseconds.
    pub feed_lag_us: u64,
    /// Shared store: whether each engine prefers its own slice of every pool (as the daemon
    /// does once it has read who shares the store), or all take from anywhere.
    pub slices: bool,
    /// Addresses in each link's pool: few enough, for about half of the shared-store seeds,
    /// that addresses pass from client to client and servers compete for them (the clients
    /// spread over three links; each holds at most one address per link).
    pub pool_size: u32,
    /// Lease time, seconds.
    pub lease_secs: u32,
    /// Probability that a datagram is lost, duplicated.
    pub loss: f64,
    /// See `loss`.
    pub duplicate: f64,
    /// Most extra delay of a datagram, microseconds (datagrams overtake each other).
    pub jitter_us: u64,
    /// Whether links go down for a while.
    pub partitions: bool,
    /// Probability that a commit fails, that it stalls (10 ms to 1 s).
    pub commit_failure: f64,
    /// See `commit_failure`.
    pub commit_stall: f64,
    /// Engine crashes per virtual hour.
    pub crashes_per_hour: f64,
    /// Virtual microseconds with faults, then healed.
    pub fault_us: u64,
    /// See `fault_us`.
    pub heal_us: u64,
}

impl Scenario {
    /// The scenario of `seed`.
    pub fn from_seed(seed: u64, bounds: &Bounds) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed_5eed_5eed_5eed);
        let count = rng.usize(1..=bounds.max_clients.max(1));
        let kinds = [
            (Kind::Steady, 6),
            (Kind::Rebooter, 2),
            (Kind::Mover, 1),
            (Kind::Decliner, 1),
            (Kind::Releaser, 2),
            (Kind::Silent, 1),
            (Kind::Twin, 1),
        ];
        let total: u32 = kinds.iter().map(|(_, w)| w).sum();
        let clients = (0..count)
            .map(|i| {
                if i == 0 {
                    return Kind::Steady;
                }
                let mut pick = rng.u32(0..total);
                for (kind, weight) in kinds {
                    if pick < weight {
                        return kind;
                    }
                    pick -= weight;
                }
                Kind::Steady
            })
            .collect();
        let faulty = rng.u8(0..4) != 0;
        let chance = |rng: &mut fastrand::Rng, max: f64| {
            if faulty {
                rng.f64() * max
            } else {
                0.0
            }
        };
        let loss = chance(&mut rng, 0.3);
        let duplicate = chance(&mut rng, 0.1);
        let commit_failure = chance(&mut rng, 0.2);
        let commit_stall = chance(&mut rng, 0.2);
        let crashes_per_hour = chance(&mut rng, 20.0);
        let garbage = rng.usize(0..3);
        let engines = rng.usize(1..=3);
        let lease_secs = [60, 120, 300, 3600][rng.usize(0..4)];
        let jitter_us = if faulty { rng.u64(0..200_000) } else { 500 };
        let partitions = faulty && rng.bool();
        // Drawn after the rest, so that the other fields of a seed are what they were.
        let drawn = rng.u8(0..3) == 0;
        let shared_store = engines > 1
            && match bounds.store {
                StoreMode::Seeded => drawn,
                StoreMode::Own => false,
                StoreMode::Shared => true,
            };
        let store_partitions = shared_store && faulty && rng.bool();
        let lost_commit = if shared_store {
            chance(&mut rng, 0.1)
        } else {
            0.0
        };
        let feed_lag_us = if faulty {
            rng.u64(1..500_000)
        } else {
            rng.u64(1..20_000)
        };
        let slices = rng.u8(0..4) != 0 && shared_store;
        let tight = rng.bool() && shared_store;
        let pool_size = if tight {
            count as u32 / 2 + 16
        } else {
            (64 << 8) - 32
        };
        Self {
            clients,
            garbage,
            engines,
            shared_store,
            store_partitions,
            lost_commit,
            feed_lag_us,
            slices,
            pool_size,
            lease_secs,
            loss,
            duplicate,
            jitter_us,
            partitions,
            commit_failure,
            commit_stall,
            crashes_per_hour,
            fault_us: bounds.fault_secs * 1_000_000,
            heal_us: bounds.heal_secs * 1_000_000,
        }
    }
}
