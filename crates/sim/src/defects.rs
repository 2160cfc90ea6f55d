//! Test-only (feature `defects`): which earlier defect a run re-introduces.

use std::str::FromStr;

/// A defect of an earlier version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    /// None: the code as it is.
    None,
    /// A declined address offered again to its decliner during probation.
    DeclineReoffer,
    /// A released address kept bound to the client that released it.
    ReleaseKept,
    /// A failed commit's changes kept in memory.
    MemoryAheadOfDisk,
    /// An ACK sent before the commit that holds its lease.
    AckBeforeCommit,
    /// A shared store that takes every write, without `charrua_store::shared::may_write`.
    SharedBlindWrites,
}

impl Defect {
    /// Every defect.
    pub const ALL: [Self; 5] = [
        Self::DeclineReoffer,
        Self::ReleaseKept,
        Self::MemoryAheadOfDisk,
        Self::AckBeforeCommit,
        Self::SharedBlindWrites,
    ];

    pub(crate) fn engine(self) -> charrua_engine::Defects {
        charrua_engine::Defects {
            ack_before_commit: self == Self::AckBeforeCommit,
            keep_memory_after_failed_commit: self == Self::MemoryAheadOfDisk,
        }
    }

    pub(crate) fn server(self) -> charrua_server::Defects {
        charrua_server::Defects {
            decline_reoffer: self == Self::DeclineReoffer,
            release_kept: self == Self::ReleaseKept,
        }
    }
}

impl FromStr for Defect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "none" => Self::None,
            "decline-reoffer" => Self::DeclineReoffer,
            "release-kept" => Self::ReleaseKept,
            "memory-ahead-of-disk" => Self::MemoryAheadOfDisk,
            "ack-before-commit" => Self::AckBeforeCommit,
            "shared-blind-writes" => Self::SharedBlindWrites,
            other => return Err(format!("unknown defect {other:?}")),
        })
    }
}
