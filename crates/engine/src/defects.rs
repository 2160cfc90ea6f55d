//! Test-only: defects of earlier versions, re-introduced on demand (feature `defects`) to show
//! that the simulator finds each of them.

/// Which defects of the commit pipeline to re-introduce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defects {
    /// Send a reply as soon as it is made, before the commit that holds its leases.
    pub ack_before_commit: bool,
    /// Keep a failed commit's changes in memory: memory ends up ahead of the disk.
    pub keep_memory_after_failed_commit: bool,
}
